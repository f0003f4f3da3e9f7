/**
 * The non-interactive operator: --yes, verify, CI, and tests. It proceeds at every
 * transition, answers typed and manual confirmations only from
 * --confirm, and decides after a failure or an interrupt by --on-failure.
 */
import type { BeforeChoice, FailureChoice, InterruptChoice } from '../machine/compile.js';
import type { BeforeQuestion, FailureQuestion, Prompter, TypedQuestion, UndoFailureAnswer } from './types.js';

export interface ScriptedOptions {
  who: string;
  onFailure: 'rollback' | 'abort';
  /** --confirm <step-id>=<text> */
  confirmations: ReadonlyMap<string, string>;
  /** Tests: answers per step, consumed in order; falls back to the defaults above. */
  script?: {
    before?: Record<string, BeforeChoice[]>;
    failure?: Record<string, FailureChoice[]>;
  };
}

export class ScriptedPrompter implements Prompter {
  readonly interactive = false;
  readonly who: string;

  constructor(private readonly options: ScriptedOptions) {
    this.who = options.who;
  }

  async beforeStep(q: BeforeQuestion): Promise<BeforeChoice> {
    return this.options.script?.before?.[q.stepId]?.shift() ?? 'proceed';
  }

  async afterFailure(q: FailureQuestion): Promise<FailureChoice> {
    return this.options.script?.failure?.[q.stepId]?.shift() ?? this.options.onFailure;
  }

  async typed(q: TypedQuestion): Promise<string> {
    return this.options.confirmations.get(q.stepId) ?? '';
  }

  async manualDone(stepId: string, _instructions?: string, _signal?: AbortSignal, phase: 'do' | 'undo' = 'do'): Promise<boolean> {
    // A forward --confirm never answers an undo: that one is --confirm <id>:undo=done.
    return this.options.confirmations.get(phase === 'undo' ? `${stepId}:undo` : stepId)?.toLowerCase() === 'done';
  }

  answered(stepId: string, phase: 'do' | 'undo'): boolean {
    return this.options.confirmations.has(phase === 'undo' ? `${stepId}:undo` : stepId);
  }

  async interrupted(): Promise<InterruptChoice> {
    return this.options.onFailure === 'rollback' ? 'rollback' : 'leave';
  }

  /** Consent to a rollback without a terminal is --yes, checked before the command starts. */
  async confirmRollback(): Promise<boolean> {
    return true;
  }

  /** Without a person, a failed undo stops the rollback (--skip-undo decides before an undo is tried). */
  async undoFailed(): Promise<UndoFailureAnswer> {
    return { choice: 'stop' };
  }
}
