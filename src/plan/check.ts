/**
 * `run <file> --plan p.json`: before anything changes, plan every step again (read-only)
 * and compare with the saved plan. The run is refused (exit 3) when the world moved, naming
 * everything that moved; a different param is a usage error (exit 2).
 */
import { RefusedError } from '../errors.js';
import { evaluateCondition } from '../runbook/condition.js';
import { modeSkips } from '../runbook/modes.js';
import type { Runbook } from '../runbook/model.js';
import { buildPlan, ReadOnlyAwsClients } from './build.js';
import { collectSecrets, unsealSecrets } from '../util/redact.js';
import { checkComplete, compareWithSaved, expectedFingerprints, loadSavedPlan, reconcileParams, replanCommand, type PlanDocument } from './saved.js';

export interface SavedPlanCheck {
  saved: PlanDocument;
  /** The params for the run, as `--param` values (the plan's, with secret ones given again). */
  params: Record<string, string>;
  /** For the engine: it checks each step again just before asking. */
  expectedFingerprints: Record<string, unknown>;
  /** Steps the saved plan showed as skipped whose run-time gate reads outputs: the engine refuses them if reached. */
  skippedInPlan: string[];
}

export interface CheckSavedPlanOptions {
  planFile: string;
  runbook: Runbook;
  given: Record<string, string>;
  env: NodeJS.ProcessEnv;
  /** The run's mode (run, or dry-run): how its when: and modes: are evaluated. */
  mode: 'run' | 'dry-run';
  region?: string | undefined;
  profile?: string | undefined;
  secrets?: string[];
}

export async function checkSavedPlan(o: CheckSavedPlanOptions): Promise<SavedPlanCheck> {
  const saved = await loadSavedPlan(o.planFile);
  const reconciled = reconcileParams(saved, o.planFile, o.runbook, o.given, o.env);
  checkComplete(saved, o.planFile);
  const aws = new ReadOnlyAwsClients({ region: o.region, profile: o.profile, env: o.env });
  let now: PlanDocument;
  try {
    now = await buildPlan({ runbook: o.runbook, params: reconciled.values, secretNames: reconciled.secretNames, aws, env: o.env, secrets: o.secrets ?? [] });
  } finally {
    aws.destroy();
  }
  const drifts = compareWithSaved(saved, now);
  if (drifts.length > 0) {
    const lines = drifts.flatMap((d) => d.moved.map((m) => `  ${d.stepId}: ${m}`));
    throw new RefusedError({
      what: `the world moved since the plan was made (${saved.createdAt}); refusing to run it, nothing was changed:\n${lines.join('\n')}`,
      where: o.planFile,
      hint: `look at what moved and who moved it, then make a new plan: ${replanCommand(saved, o.runbook.file, o.planFile)}`,
    });
  }
  const skippedInPlan = stepsTheRunWouldAdd(saved, o.runbook, reconciled.values, o.mode, o.planFile);
  // Fingerprints are saved with secret params sealed: the engine compares them with the world as it is.
  const given = collectSecrets({ params: reconciled.values, secretNames: reconciled.secretNames }).params;
  return { saved, params: reconciled.given, expectedFingerprints: unsealSecrets(expectedFingerprints(saved), given, saved.secretParams).value, skippedInPlan };
}

/**
 * A step the saved plan showed as skipped (plan evaluates `when:` and `modes:` in mode
 * `plan`) must not run: the operator approved the plan, not more. Refused now (exit 3,
 * nothing changed) when the run's own mode and params already say it would run; a `when:`
 * that reads outputs is decided only at run time, so those are returned for the engine to
 * refuse if reached.
 */
function stepsTheRunWouldAdd(saved: PlanDocument, runbook: Runbook, params: Record<string, string>, mode: 'run' | 'dry-run', planFile: string): string[] {
  const skips = modeSkips(runbook, mode);
  const added: string[] = [];
  const later: string[] = [];
  for (const s of saved.steps) {
    if (s.status !== 'skipped') continue;
    const step = runbook.steps.find((x) => x.id === s.id);
    if (!step || skips.has(step.id)) continue;
    if (step.when === undefined) added.push(step.id);
    else if (/\bsteps\./.test(step.when)) later.push(step.id);
    else if (evaluateCondition(step.when, { params, outputs: {}, mode })) added.push(step.id);
  }
  if (added.length > 0) {
    throw new RefusedError({
      what: `the saved plan showed ${added.join(', ')} skipped, but ${mode} would run ${added.length === 1 ? 'it' : 'them'} (plan evaluates when: and modes: in mode plan); refusing to do more than the plan showed, nothing was changed`,
      where: planFile,
      hint: `to plan ${added.length === 1 ? 'that step' : 'those steps'} too, let plan see ${added.length === 1 ? 'it' : 'them'} (e.g. add plan to modes:, or a when: that is true in plan), make a new plan and review it; or run without --plan`,
    });
  }
  return later;
}
