/** A step's `with`, ready to run: placeholders substituted as data, then checked by type. Pure. */
import type { Step } from '../runbook/model.js';
import { stepTypes } from '../runbook/step-types.js';
import { substitute, TemplateError, type Scope } from '../runbook/template.js';
import { StepError } from '../steps/types.js';

export function resolveWith(step: Step, scope: Scope): Record<string, unknown> {
  let substituted: Record<string, unknown>;
  try {
    substituted = substitute(step.with, scope);
  } catch (err) {
    if (err instanceof TemplateError) throw new StepError(`step ${step.id}: ${err.message}`);
    throw err;
  }
  const parsed = stepTypes[step.type].with.safeParse(substituted);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `with.${first.path.join('.')}` : 'with';
    throw new StepError(`step ${step.id}: ${where} is invalid after substitution: ${first?.message ?? 'invalid'}`, {
      hint: 'check the --param values this step uses',
    });
  }
  return parsed.data;
}
