/**
 * The operator, as the engine sees them. Two implementations: inquirer for people at a
 * terminal, and a scripted one for --yes, CI and tests. Every method may reject with
 * InterruptedError (Ctrl-C at a prompt), which the engine treats as a decision.
 */
import type { BeforeChoice, FailureChoice, InterruptChoice } from '../machine/compile.js';

export interface BeforeQuestion {
  stepId: string;
  title: string;
  index: number;
  total: number;
  canRollback: boolean;
  irreversible: boolean;
}

export interface FailureQuestion {
  stepId: string;
  error: string;
  canRollback: boolean;
}

export interface TypedQuestion {
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
  manualDone(stepId: string, instructions: string): Promise<boolean>;
  interrupted(q: { stepId: string | undefined; canRollback: boolean }): Promise<InterruptChoice>;
}
