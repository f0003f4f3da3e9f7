/**
 * The operator, as the engine sees them. Two implementations: inquirer for people at a
 * terminal, and a scripted one for --yes, CI and tests. Every method may reject with
 * InterruptedError (Ctrl-C at a prompt), which the engine treats as a decision.
 */
import type { BeforeChoice, FailureChoice, InterruptChoice, UndoFailureChoice } from '../machine/compile.js';

export interface BeforeQuestion {
  /** Aborted when the run moves on without this answer (a signal): the prompt is taken down. */
  signal?: AbortSignal;
  stepId: string;
  title: string;
  index: number;
  total: number;
  canRollback: boolean;
  irreversible: boolean;
}

export interface FailureQuestion {
  /** Aborted when the run moves on without this answer (a signal): the prompt is taken down. */
  signal?: AbortSignal;
  stepId: string;
  error: string;
  canRollback: boolean;
}

export interface TypedQuestion {
  /** Aborted when the run moves on without this answer (a signal): the prompt is taken down. */
  signal?: AbortSignal;
  stepId: string;
  /** What the operator must type, e.g. the record name. */
  expected: string;
  attempt: number;
}

export interface Prompter {
  /** Who answers: recorded with every decision. */
  readonly who: string;
  readonly interactive: boolean;
  /** The terminal went away (a hangup): nobody can be asked any more. */
  readonly terminalLost?: boolean;
  beforeStep(q: BeforeQuestion): Promise<BeforeChoice>;
  afterFailure(q: FailureQuestion): Promise<FailureChoice>;
  /** The text the operator typed (compared by the engine). */
  typed(q: TypedQuestion): Promise<string>;
  /**
   * `signal`: aborted when the run stops waiting (an interrupt): the prompt is taken down.
   * `phase: 'undo'`: confirming the step's undo instructions were done (`--confirm <id>:undo=done`),
   * never answered by the forward confirmation.
   */
  manualDone(stepId: string, instructions: string, signal?: AbortSignal, phase?: 'do' | 'undo'): Promise<boolean>;
  /**
   * Without a terminal: whether a flag answers this step's confirmation (`--confirm <id>=…`, or
   * `--confirm <id>:undo=…` for its undo). false: nobody answered, and the journal says so. At a
   * terminal a person answers: absent.
   */
  answered?(stepId: string, phase: 'do' | 'undo'): boolean;
  interrupted(q: { stepId: string | undefined; canRollback: boolean }): Promise<InterruptChoice>;
  /** `lifeboat rollback`: the preview was shown; go ahead with the first change? */
  confirmRollback(q: RollbackQuestion): Promise<boolean>;
  /** An undo failed or found drift: retry, undo over the drift, mark done by hand (with a reason), or stop. */
  undoFailed(q: UndoFailureQuestion): Promise<UndoFailureAnswer>;
}

export interface RollbackQuestion {
  signal?: AbortSignal;
  /** Steps to undo, newest first. */
  steps: string[];
}

export interface UndoFailureQuestion {
  signal?: AbortSignal;
  stepId: string;
  error: string;
  /** The failure is drift: what the step left was changed since. */
  drift: boolean;
  /**
   * Drift may be overridden here ("undo anyway"): only in a rollback a person asked for
   * (`lifeboat rollback`, or resume of one). An automatic rollback stops at drift (exit 4).
   */
  undoAnyway: boolean;
}

export interface UndoFailureAnswer {
  choice: UndoFailureChoice;
  /** With `by-hand`: what the person did. */
  reason?: string | undefined;
}
