/**
 * The operator, as the engine sees them. Two implementations: inquirer for people at a
 * terminal, and a scripted one for --yes, CI and tests. Every method may reject with
 * InterruptedError (Ctrl-C at a prompt), which the engine treats as a decision.
 */
import type { BeforeChoice, FailureChoice, InterruptChoice } from '../machine/compile.js';

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
  beforeStep(q: BeforeQuestion): Promise<BeforeChoice>;
  afterFailure(q: FailureQuestion): Promise<FailureChoice>;
  /** The text the operator typed (compared by the engine). */
  typed(q: TypedQuestion): Promise<string>;
  /** `signal`: aborted when the run stops waiting (an interrupt): the prompt is taken down. */
  manualDone(stepId: string, instructions: string, signal?: AbortSignal): Promise<boolean>;
  interrupted(q: { stepId: string | undefined; canRollback: boolean }): Promise<InterruptChoice>;
}
