/**
 * The operator at a terminal. This module owns every inquirer prompt: each takes the
 * same { input, output, signal } context, and Ctrl-C (inquirer's ExitPromptError) becomes
 * an InterruptedError, an operator decision rather than a crash.
 */
import type * as Inquirer from '@inquirer/prompts';
import { InterruptedError } from '../errors.js';
import type { BeforeChoice, FailureChoice, InterruptChoice, UndoFailureChoice } from '../machine/compile.js';
import type { BeforeQuestion, FailureQuestion, Prompter, RollbackQuestion, TypedQuestion, UndoFailureAnswer, UndoFailureQuestion } from './types.js';

/**
 * The terminal went away under a prompt (closed window, dropped ssh: EIO/ENXIO/EPIPE, or
 * raw mode refused). Not an answer: the engine treats it as an interrupt and goes on
 * without a person, per --on-failure.
 */
export class TerminalLostError extends InterruptedError {
  constructor(cause: unknown) {
    super(`the terminal went away (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'TerminalLostError';
  }
}

const TERMINAL_CODES = new Set(['EIO', 'ENXIO', 'EPIPE', 'EBADF', 'ENOTTY', 'ERR_STREAM_DESTROYED', 'ERR_USE_AFTER_CLOSE', 'ERR_STREAM_WRITE_AFTER_END']);

export function isTerminalLoss(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && TERMINAL_CODES.has(e.code)) return true;
  return typeof e.message === 'string' && /setRawMode|\bEIO\b|\bENXIO\b/.test(e.message);
}

export interface InquirerOptions {
  who: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/**
 * A terminal that goes away while a prompt is open makes Node's readline throw from an event
 * handler (`setRawMode EIO` while closing the prompt), where no promise can catch it. While a
 * prompt is open (and only then) that one error is caught process-wide and turned into "the
 * terminal is lost" for the prompter that owns the prompt; any other uncaught exception is
 * rethrown.
 */
/**
 * @inquirer/prompts, loaded by the first question: a run without a terminal (verify, --yes)
 * never asks one and no longer carries it (about 13 MiB of RSS).
 */
let loaded: typeof Inquirer | undefined;
function prompts(): typeof Inquirer {
  if (!loaded) throw new Error('@inquirer/prompts is used before ask() loaded it');
  return loaded;
}

const terminalWatchers = new Set<(err: unknown) => void>();

function onUncaught(err: Error): void {
  if (!isTerminalLoss(err)) throw err;
  for (const w of terminalWatchers) w(err);
}

function watchTerminal(onLost: (err: unknown) => void): () => void {
  if (terminalWatchers.size === 0) process.prependListener('uncaughtException', onUncaught);
  terminalWatchers.add(onLost);
  return () => {
    if (terminalWatchers.delete(onLost) && terminalWatchers.size === 0) process.off('uncaughtException', onUncaught);
  };
}

export class InquirerPrompter implements Prompter {
  readonly interactive = true;
  readonly who: string;

  constructor(private readonly options: InquirerOptions) {
    this.who = options.who;
  }

  private get context() {
    return this.contextWith(undefined);
  }

  /** Aborted when the terminal goes away under an open prompt. */
  private readonly terminal = new AbortController();

  /** The prompt context, also cancelled by `extra` (the engine aborts a question the run no longer waits for). */
  private contextWith(extra: AbortSignal | undefined) {
    const { input, output } = this.options;
    const signals = [this.options.signal, extra, this.terminal.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    return { ...(input ? { input } : {}), ...(output ? { output } : {}), ...(signal ? { signal } : {}) };
  }

  /** A prompt being taken down (aborted): the next one waits until it is gone, else inquirer closes both. */
  private settling: Promise<void> | undefined;
  /** Set once the terminal is gone: every later question is answered as an interrupt would be. */
  lost: TerminalLostError | undefined;

  private lostNow(): TerminalLostError | undefined {
    return this.lost;
  }

  get terminalLost(): boolean {
    return this.lost !== undefined;
  }

  private async ask<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    loaded ??= await import('@inquirer/prompts');
    while (this.settling) await this.settling;
    if (this.lost) throw this.lost;
    const unwatch = watchTerminal((err) => {
      this.lost ??= new TerminalLostError(err);
      this.terminal.abort(this.lost);
    });
    let prompt: Promise<T>;
    try {
      prompt = run();
    } catch (err) {
      unwatch();
      if (isTerminalLoss(err)) throw (this.lost = new TerminalLostError(err));
      throw err;
    }
    signal?.addEventListener(
      'abort',
      () => {
        const gone = prompt.then(
          () => undefined,
          () => undefined,
        );
        const settling: Promise<void> = gone.then(() => new Promise<void>((r) => setImmediate(r))).finally(() => {
          if (this.settling === settling) this.settling = undefined;
        });
        this.settling = settling;
      },
      { once: true },
    );
    try {
      return await prompt;
    } catch (err) {
      // Read again: the terminal may have gone while the prompt was open (set from an event handler).
      const lost = this.lostNow();
      if (lost) throw lost;
      // inquirer rejects with ExitPromptError on Ctrl-C and AbortPromptError on abort.
      const name = (err as Error).name;
      if (name === 'ExitPromptError' || name === 'AbortPromptError') throw new InterruptedError('Ctrl-C at a prompt');
      if (isTerminalLoss(err)) throw (this.lost = new TerminalLostError(err));
      throw err;
    } finally {
      // The prompt's own clean-up (closing readline) is where a lost terminal throws: keep watching until it ran.
      setImmediate(unwatch);
    }
  }

  beforeStep(q: BeforeQuestion): Promise<BeforeChoice> {
    const choices: Array<{ value: BeforeChoice; name: string; description: string }> = [
      { value: 'proceed', name: 'proceed', description: q.irreversible ? 'run this step (it CANNOT be undone)' : 'run this step now' },
      { value: 'skip', name: 'skip', description: 'do not run this step; go on with the next one' },
    ];
    if (q.canRollback) choices.push({ value: 'rollback', name: 'roll back', description: 'undo the steps done so far, newest first, then stop' });
    choices.push({ value: 'abort', name: 'abort', description: 'stop here and leave everything as it is (resume or roll back later)' });
    return this.ask(() =>
      prompts().select<BeforeChoice>({ message: `[${q.index}/${q.total}] ${q.title}: what now?`, choices, default: 'proceed' }, this.contextWith(q.signal)),
      q.signal,
    );
  }

  afterFailure(q: FailureQuestion): Promise<FailureChoice> {
    const choices: Array<{ value: FailureChoice; name: string; description: string }> = [
      { value: 'retry', name: 'retry', description: 'plan and run this step again' },
    ];
    if (q.canRollback) choices.push({ value: 'rollback', name: 'roll back', description: 'undo the steps done so far, newest first, then stop' });
    choices.push({ value: 'abort', name: 'abort', description: 'stop here and leave everything as it is (resume or roll back later)' });
    return this.ask(() =>
      prompts().select<FailureChoice>({ message: `step ${q.stepId} failed: what now?`, choices, default: q.canRollback ? 'rollback' : 'retry' }, this.contextWith(q.signal)),
      q.signal,
    );
  }

  typed(q: TypedQuestion): Promise<string> {
    const tries = q.attempt > 1 ? ` (attempt ${q.attempt} of 3)` : '';
    return this.ask(() => prompts().input({ message: `type ${q.expected} to confirm${tries}:` }, this.contextWith(q.signal)), q.signal);
  }

  async manualDone(stepId: string, _instructions?: string, signal?: AbortSignal, phase: 'do' | 'undo' = 'do'): Promise<boolean> {
    const answer = await this.ask(() =>
      prompts().select<'done' | 'not'>(
        {
          message: phase === 'undo' ? `is the undo of "${stepId}" done?` : `is "${stepId}" done?`,
          choices: [
            { value: 'done', name: 'done', description: 'I did what the instructions say' },
            { value: 'not', name: 'not done', description: 'treat this step as failed' },
          ],
        },
        this.contextWith(signal),
      ),
      signal,
    );
    return answer === 'done';
  }

  async interrupted(q: { stepId: string | undefined; canRollback: boolean }): Promise<InterruptChoice> {
    if (!q.canRollback) return 'leave';
    try {
      return await this.ask(() =>
        prompts().select<InterruptChoice>(
          {
            message: 'interrupted: roll back what was done, or leave it for `lifeboat resume`?',
            choices: [
              { value: 'rollback', name: 'roll back', description: 'undo the completed steps, newest first' },
              { value: 'leave', name: 'leave it', description: 'keep the state; continue later with lifeboat resume <run-id>' },
            ],
          },
          this.context,
        ),
      );
    } catch (err) {
      // A second Ctrl-C: leave everything for resume, at once. A lost terminal is not a choice.
      if (err instanceof InterruptedError && !(err instanceof TerminalLostError)) return 'leave';
      throw err;
    }
  }

  async confirmRollback(q: RollbackQuestion): Promise<boolean> {
    const answer = await this.ask(
      () =>
        prompts().select<'go' | 'no'>(
          {
            message: `roll back ${q.steps.length === 1 ? 'this step' : `these ${q.steps.length} steps, newest first`} (${q.steps.join(', ')})?`,
            choices: [
              { value: 'go', name: 'roll back', description: 'undo them now, newest first; each is re-checked right before its undo' },
              { value: 'no', name: 'not now', description: 'change nothing; the run stays as it is (its lock too)' },
            ],
            default: 'no',
          },
          this.contextWith(q.signal),
        ),
      q.signal,
    );
    return answer === 'go';
  }

  async undoFailed(q: UndoFailureQuestion): Promise<UndoFailureAnswer> {
    const choices: Array<{ value: UndoFailureChoice; name: string; description: string }> = [
      { value: 'retry', name: 'retry', description: q.drift ? 're-read the world and check again' : 'try this undo again' },
    ];
    if (q.drift && q.undoAnyway) choices.push({ value: 'force', name: 'undo anyway', description: "overwrite the later change with the step's before state" });
    choices.push(
      { value: 'by-hand', name: 'done by hand', description: 'I put it back myself: mark it undone and go on with the next undo' },
      { value: 'stop', name: 'stop', description: 'leave the rest as it is; lifeboat rollback <run-id> goes on later' },
    );
    const choice = await this.ask(
      () => prompts().select<UndoFailureChoice>({ message: `the undo of ${q.stepId} ${q.drift ? 'found drift' : 'failed'}: what now?`, choices, default: 'stop' }, this.contextWith(q.signal)),
      q.signal,
    );
    if (choice !== 'by-hand') return { choice };
    const reason = await this.ask(() => prompts().input({ message: 'what did you do (journaled with your name)?', required: true }, this.contextWith(q.signal)), q.signal);
    return { choice, reason };
  }
}
