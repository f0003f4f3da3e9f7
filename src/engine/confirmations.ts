/**
 * Without a person at the keyboard, typed and manual confirmations must come from
 * `--confirm <step-id>=<text>`: all are checked before anything changes (contract §4: exit 3,
 * nothing changed). No effects: the runbook, the params and the flags in, a RefusedError out.
 *
 * One answer a step: a manual step's is `done`; a step that needs a typed confirmation, the
 * text to type; a manual step that needs both (`confirm: typed`, `rollback: false`), the text
 * to type, which also confirms it done (manualAnswer in src/steps/invoke.ts).
 */
import { RefusedError } from '../errors.js';
import type { Runbook, Step } from '../runbook/model.js';
import { findReferences } from '../runbook/template.js';
import { confirmationMatches, knownConfirmation, manualAnswer, needsTypedConfirmation } from '../steps/invoke.js';

export function preflightConfirmations(runbook: Pick<Runbook, 'steps'>, params: Record<string, string>, given: ReadonlyMap<string, string>): void {
  for (const step of runbook.steps) {
    const answer = given.get(step.id);
    if (manualAnswer(step) === 'done' && answer?.toLowerCase() !== 'done') {
      throw new RefusedError({
        what: `step ${step.id} is a manual step and there is no one at a terminal to confirm it`,
        hint: `after doing it by hand, pass --confirm ${step.id}=done; nothing was changed`,
      });
    }
    if (!needsTypedConfirmation(step)) continue;
    const why = step.rollback === false ? ' (it cannot be undone)' : '';
    const expected = knownConfirmation(step, { params, outputs: {} });
    if (expected === undefined) {
      // The text is known only once an earlier step has run: it is compared then (a mismatch
      // fails the step, per --on-failure), but without an answer the run would stop half-way.
      if (answer !== undefined) continue;
      const from = outputSteps(step);
      throw new RefusedError({
        what: `step ${step.id} needs a typed confirmation${why}, and no --confirm ${step.id}=… was given`,
        hint: `--yes alone never confirms it: the text to type is known only once the earlier steps have run (this step uses the outputs of ${from.join(', ')}); pass --confirm ${step.id}=<the text you expect>, compared when the step is reached; nothing was changed`,
      });
    }
    if (answer !== undefined && confirmationMatches(step, expected, answer)) continue;
    const manual = manualAnswer(step) === 'typed' ? ` (a manual step that needs a typed confirmation takes that text as its one answer: it also confirms it done)` : '';
    throw new RefusedError({
      what: `step ${step.id} needs a typed confirmation${why}${answer === undefined ? '' : `, and "${answer}" does not match`}`,
      hint: `--yes alone never confirms it: pass --confirm ${step.id}=${expected}${manual}; nothing was changed`,
    });
  }
}

/** The steps whose outputs a step's `with` uses, in the order they appear. */
function outputSteps(step: Step): string[] {
  const ids = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') for (const r of findReferences(v)) if (r.kind === 'output') ids.add(r.step);
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(step.with);
  return [...ids];
}
