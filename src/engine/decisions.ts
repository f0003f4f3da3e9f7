/**
 * Every decision of a run — before a step, typed and manual confirmations, after a failure,
 * after an interrupt, before a rollback, after a failed undo — asked of the prompter and
 * journaled with who made it: a person at the terminal (`by: operator`), the flag that
 * answered for them (`--yes`, `--confirm`, `--on-failure`, `--skip-undo`, `--ignore-drift`),
 * or, in `verify`, verify's own rules (`by: verify`: it needs no --yes and ignores --on-failure);
 * a confirmation no flag answered without a terminal is refused by lifeboat's own rule
 * (`by: lifeboat`, choice `unanswered`), never journaled as a --confirm nobody gave.
 */
import type { DecisionPhase, DecisionSource } from '../journal/format.js';
import type { BeforeChoice, FailureChoice, FailureInput, InterruptChoice, UndoFailureChoice } from '../machine/compile.js';
import type { Step } from '../runbook/model.js';
import type { Prompter, UndoFailureAnswer } from '../prompt/types.js';
import type { Ui } from '../ui/console.js';
import { confirmationMatches, manualAnswer, needsTypedConfirmation } from '../steps/invoke.js';
import type { RunJournal } from './journal-observer.js';

const FLAG_FOR: Record<DecisionPhase, DecisionSource> = {
  before: '--yes',
  typed: '--confirm',
  manual: '--confirm',
  failure: '--on-failure',
  interrupt: '--on-failure',
  rollback: '--yes',
  undo: '--confirm',
  'undo-failure': '--on-failure',
  drift: '--ignore-drift',
};

/**
 * Who made a decision made without asking anyone: `explicit` when the caller knows (e.g.
 * `--skip-undo`), else the flag that answers this phase. `verify` is non-interactive by design
 * and needs no --yes (and always rolls back, whatever --on-failure says): what those flags
 * would decide elsewhere, its own rules decide there, and the journal says so.
 */
export function decisionSource(phase: DecisionPhase, o: { interactive: boolean; verify: boolean; explicit?: DecisionSource | undefined }): DecisionSource {
  const by = o.explicit ?? (o.interactive ? 'operator' : FLAG_FOR[phase]);
  return o.verify && (by === '--yes' || by === '--on-failure') ? 'verify' : by;
}

/**
 * Who answered a manual step's confirmation (or its undo's), as the screen says it: the
 * operator, or the flag that answered. `answer`: what that flag said, when not `done` (a manual
 * step that needs a typed confirmation is confirmed done by the text typed).
 */
export function manualConfirmer(stepId: string, phase: 'do' | 'undo', by: DecisionSource, answer = 'done'): string {
  if (by === 'operator') return 'the operator';
  if (by === '--confirm') return `--confirm ${stepId}${phase === 'undo' ? ':undo' : ''}=${answer}`;
  return by;
}

/**
 * Without a terminal, a typed confirmation that `--confirm` did not match (or that no
 * `--confirm` answered) once its text was known: the step is refused before it changes anything.
 */
export class TypedConfirmationRefused extends Error {
  readonly hint: string;
  constructor(
    readonly stepId: string,
    readonly expected: string,
    readonly given: string | undefined,
  ) {
    super(
      given === undefined
        ? `step ${stepId}: no --confirm ${stepId}=… answers its typed confirmation ("${expected}"); the step was refused before it changed anything`
        : `step ${stepId}: --confirm ${stepId}=${given} does not match the text to type, "${expected}"; the step was refused before it changed anything`,
    );
    this.name = 'TypedConfirmationRefused';
    this.hint = `if "${expected}" is right, give --confirm ${stepId}=${expected} to the next run (or to resume, if this run was left in place)`;
  }
}

export class Decisions {
  /** The operator chose to stop with changes in place (abort, "leave it", "not now"). */
  stoppedByOperator = false;
  /** Manual steps whose typed confirmation --confirm matched: that one answer confirms them done (manualAnswer). */
  private readonly doneByTyped = new Map<string, string>();

  constructor(
    private readonly prompter: Prompter,
    private readonly journal: RunJournal,
    private readonly ui: Ui,
    /** `lifeboat verify`: decisions no flag was given for are journaled `by: verify`. */
    private readonly verify = false,
  ) {}

  get interactive(): boolean {
    return this.prompter.interactive;
  }

  /** Journal a decision: who ran lifeboat, and who (or which flag) decided. */
  async record(stepId: string | undefined, phase: DecisionPhase, choice: string, extra: { by?: DecisionSource; reason?: string | undefined } = {}): Promise<void> {
    const by = decisionSource(phase, { interactive: this.prompter.interactive, verify: this.verify, explicit: extra.by });
    await this.journal.write({ type: 'decision', stepId, phase, choice, who: this.prompter.who, by, ...(extra.reason === undefined ? {} : { reason: extra.reason }) });
  }

  async before(step: Step, input: { canRollback: boolean; index: number; total: number }, expected: () => string, signal: AbortSignal): Promise<BeforeChoice> {
    let choice: BeforeChoice;
    if (step.confirm === 'none' && !needsTypedConfirmation(step)) {
      choice = 'proceed';
    } else {
      choice = await this.prompter.beforeStep({
        signal,
        stepId: step.id,
        title: step.description ?? `${step.id} (${step.type})`,
        index: input.index,
        total: input.total,
        canRollback: input.canRollback,
        irreversible: step.rollback === false,
      });
    }
    await this.record(step.id, 'before', choice);
    if (choice === 'abort') this.stoppedByOperator = this.prompter.interactive;
    if (choice === 'proceed' && needsTypedConfirmation(step)) {
      const ok = await this.typed(step, expected(), signal);
      if (!ok) return 'abort';
    }
    return choice;
  }

  /**
   * At a terminal: three tries, then the operator is taken to have stopped (`abort`). Without
   * one, the one answer is `--confirm <id>=<text>`; a text known only once earlier steps ran is
   * compared here, and a mismatch (or no answer) refuses the step: a TypedConfirmationRefused,
   * which the run handles as the step's failure (per --on-failure), not as an operator's abort.
   */
  private async typed(step: Step, expected: string, signal?: AbortSignal): Promise<boolean> {
    if (!this.prompter.interactive) {
      if (this.prompter.answered?.(step.id, 'do') === false) {
        await this.record(step.id, 'typed', 'unanswered', { by: 'lifeboat' });
        throw new TypedConfirmationRefused(step.id, expected, undefined);
      }
      const typed = await this.prompter.typed({ stepId: step.id, expected, attempt: 1, signal });
      const ok = confirmationMatches(step, expected, typed);
      await this.record(step.id, 'typed', ok ? 'matched' : 'mismatch');
      if (!ok) throw new TypedConfirmationRefused(step.id, expected, typed);
      // A manual step's one answer: the text to type also confirms it done (manualAnswer).
      if (manualAnswer(step) === 'typed') this.doneByTyped.set(step.id, typed);
      return true;
    }
    for (let attempt = 1; attempt <= 3; attempt++) {
      const typed = await this.prompter.typed({ stepId: step.id, expected, attempt, signal });
      const ok = confirmationMatches(step, expected, typed);
      await this.record(step.id, 'typed', ok ? 'matched' : 'mismatch');
      if (ok) return true;
      this.ui.warn(`that is not "${expected}"`);
    }
    this.ui.error('three wrong confirmations: stopping');
    return false;
  }

  /** Who answers `manual` below, as the step's summary says it (`the operator`, `--confirm <id>=done`): the `by` it journals. */
  manualConfirmer(stepId: string, phase: 'do' | 'undo' = 'do'): string {
    const by = decisionSource(phase === 'undo' ? 'undo' : 'manual', { interactive: this.prompter.interactive, verify: this.verify });
    return manualConfirmer(stepId, phase, by, phase === 'do' ? this.doneByTyped.get(stepId) : undefined);
  }

  /** A manual step (or its undo, `phase: 'undo'`) confirmed done. */
  async manual(stepId: string, instructions: string, signal: AbortSignal, phase: 'do' | 'undo' = 'do'): Promise<boolean> {
    const decision = phase === 'undo' ? 'undo' : 'manual';
    if (!this.prompter.interactive && phase === 'do' && this.doneByTyped.has(stepId)) {
      await this.record(stepId, decision, 'done');
      return true;
    }
    if (!this.prompter.interactive && this.prompter.answered?.(stepId, phase) === false) {
      // No --confirm was given for it: nobody confirmed anything; lifeboat's own rule says not done.
      await this.record(stepId, decision, 'unanswered', { by: 'lifeboat' });
      return false;
    }
    const ok = await this.prompter.manualDone(stepId, instructions, signal, phase);
    await this.record(stepId, decision, ok ? 'done' : 'not done');
    return ok;
  }

  async afterFailure(input: FailureInput, signal?: AbortSignal): Promise<FailureChoice> {
    const choice = await this.prompter.afterFailure({ stepId: input.stepId, error: input.error, canRollback: input.canRollback, signal });
    // Nothing to undo: a rollback is the same as stopping.
    const effective = choice === 'rollback' && !input.canRollback ? 'abort' : choice;
    await this.record(input.stepId, 'failure', effective);
    if (effective === 'abort') this.stoppedByOperator = this.prompter.interactive;
    return effective;
  }

  async interrupted(input: { stepId: string | undefined; canRollback: boolean }, signalName: string, fallback: () => InterruptChoice): Promise<InterruptChoice> {
    this.ui.warn('interrupted');
    let choice: InterruptChoice;
    let by: DecisionSource | undefined;
    if (!input.canRollback) choice = 'leave';
    else if (signalName === 'SIGHUP') {
      // The terminal was closed: nobody is there to ask; --on-failure decides.
      choice = fallback();
      by = '--on-failure';
    } else {
      try {
        choice = await this.prompter.interrupted(input);
      } catch {
        // Nobody to ask any more (the terminal went away): --on-failure decides.
        choice = fallback();
        by = '--on-failure';
      }
    }
    await this.journal.write({ type: 'interrupt', signal: signalName, action: choice });
    await this.record(input.stepId, 'interrupt', choice, { by });
    if (choice === 'leave' && by === undefined && this.prompter.interactive && input.canRollback) this.stoppedByOperator = true;
    return choice;
  }

  /** `lifeboat rollback` at a terminal: the preview was shown, ask before the first change. */
  async rollback(steps: string[], signal?: AbortSignal): Promise<boolean> {
    const go = await this.prompter.confirmRollback({ steps, signal });
    await this.record(undefined, 'rollback', go ? 'go' : 'not now');
    if (!go) this.stoppedByOperator = true;
    return go;
  }

  async undoFailure(stepId: string, error: string, drift: { drift: boolean; undoAnyway: boolean }, signal?: AbortSignal): Promise<UndoFailureChoice> {
    let answer: UndoFailureAnswer;
    try {
      answer = await this.prompter.undoFailed({ stepId, error, ...drift, signal });
    } catch {
      answer = { choice: 'stop' };
    }
    await this.record(stepId, 'undo-failure', answer.choice, { reason: answer.reason });
    return answer.choice;
  }
}
