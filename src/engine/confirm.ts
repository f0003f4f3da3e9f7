/** Typed confirmations (contract §4): what the operator must type for a step. Pure. */
import type { Step } from '../runbook/model.js';
import { confirmationText, confirmationTextMatches } from '../steps/traits.js';

/** A typed confirmation is needed for `confirm: typed` and for any step that cannot be undone. */
export function needsTypedConfirmation(step: Step): boolean {
  return step.confirm === 'typed' || step.rollback === false;
}

/** The text to type: the record name, restore target, cluster, instance or group (per type, see src/steps/traits.ts), else the step id. */
export function expectedConfirmation(step: Step, resolvedWith: Record<string, unknown>): string {
  return confirmationText(step.type, step.id, resolvedWith);
}

export function confirmationMatches(step: Step, expected: string, typed: string): boolean {
  return confirmationTextMatches(step.type, expected, typed);
}
