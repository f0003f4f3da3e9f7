/**
 * The operator at a terminal. This module owns every inquirer prompt: each takes the
 * same { input, output, signal } context, and Ctrl-C (inquirer's ExitPromptError) becomes
 * an InterruptedError, an operator decision rather than a crash.
 */
import { input as inputPrompt, select } from '@inquirer/prompts';
import { InterruptedError } from '../errors.js';
import type { BeforeChoice, FailureChoice, InterruptChoice } from '../machine/compile.js';
import type { BeforeQuestion, FailureQuestion, Prompter, TypedQuestion } from './types.js';

export interface InquirerOptions {
  who: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  signal?: AbortSignal;
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

  /** The prompt context, also cancelled by `extra` (the engine aborts a question the run no longer waits for). */
  private contextWith(extra: AbortSignal | undefined) {
    const { input, output } = this.options;
    const signals = [this.options.signal, extra].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    return { ...(input ? { input } : {}), ...(output ? { output } : {}), ...(signal ? { signal } : {}) };
  }

  /** A prompt being taken down (aborted): the next one waits until it is gone, else inquirer closes both. */
  private settling: Promise<void> | undefined;

  private async ask<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    while (this.settling) await this.settling;
    const prompt = run();
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
      // inquirer rejects with ExitPromptError on Ctrl-C and AbortPromptError on abort.
      const name = (err as Error).name;
      if (name === 'ExitPromptError' || name === 'AbortPromptError') throw new InterruptedError('Ctrl-C at a prompt');
      throw err;
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
      select<BeforeChoice>({ message: `[${q.index}/${q.total}] ${q.title}: what now?`, choices, default: 'proceed' }, this.contextWith(q.signal)),
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
      select<FailureChoice>({ message: `step ${q.stepId} failed: what now?`, choices, default: q.canRollback ? 'rollback' : 'retry' }, this.contextWith(q.signal)),
      q.signal,
    );
  }

  typed(q: TypedQuestion): Promise<string> {
    const tries = q.attempt > 1 ? ` (attempt ${q.attempt} of 3)` : '';
    return this.ask(() => inputPrompt({ message: `type ${q.expected} to confirm${tries}:` }, this.contextWith(q.signal)), q.signal);
  }

  async manualDone(stepId: string, _instructions?: string, signal?: AbortSignal): Promise<boolean> {
    const answer = await this.ask(() =>
      select<'done' | 'not'>(
        {
          message: `is "${stepId}" done?`,
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
        select<InterruptChoice>(
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
      // A second Ctrl-C: leave everything for resume, at once.
      if (err instanceof InterruptedError) return 'leave';
      throw err;
    }
  }
}
