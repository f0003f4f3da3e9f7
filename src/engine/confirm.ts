/** Typed confirmations (contract §4): what the operator must type for a step. Pure. */
import type { Step } from '../runbook/model.js';

/** A typed confirmation is needed for `confirm: typed` and for any step that cannot be undone. */
export function needsTypedConfirmation(step: Step): boolean {
  return step.confirm === 'typed' || step.rollback === false;
}

/** The text to type: the first record name (route53), the target (s3.restore), else the step id. */
export function expectedConfirmation(step: Step, resolvedWith: Record<string, unknown>): string {
  if (step.type === 'route53.change-records') {
    const changes = resolvedWith.changes;
    const first = Array.isArray(changes) ? (changes[0] as { name?: unknown } | undefined) : undefined;
    if (first && typeof first.name === 'string') return first.name.replace(/\.$/, '');
  }
  if (step.type === 's3.restore' && typeof resolvedWith.target === 'string') return resolvedWith.target;
  return step.id;
}

export function confirmationMatches(step: Step, expected: string, typed: string): boolean {
  const a = typed.trim();
  if (step.type === 'route53.change-records') return a.replace(/\.$/, '').toLowerCase() === expected.replace(/\.$/, '').toLowerCase();
  return a === expected;
}
