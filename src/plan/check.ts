/**
 * `run <file> --plan p.json`: before anything changes, plan every step again (read-only)
 * and compare with the saved plan. The run is refused (exit 3) when the world moved, naming
 * everything that moved; a different param is a usage error (exit 2).
 */
import { RefusedError } from '../errors.js';
import type { Runbook } from '../runbook/model.js';
import { buildPlan, ReadOnlyAwsClients } from './build.js';
import { collectSecrets, unsealSecrets } from '../util/redact.js';
import { checkComplete, compareWithSaved, expectedFingerprints, loadSavedPlan, reconcileParams, type PlanDocument } from './saved.js';

export interface SavedPlanCheck {
  saved: PlanDocument;
  /** The params for the run, as `--param` values (the plan's, with secret ones given again). */
  params: Record<string, string>;
  /** For the engine: it checks each step again just before asking. */
  expectedFingerprints: Record<string, unknown>;
}

export interface CheckSavedPlanOptions {
  planFile: string;
  runbook: Runbook;
  given: Record<string, string>;
  env: NodeJS.ProcessEnv;
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
      hint: `look at what moved and who moved it, then make a new plan: lifeboat plan ${o.runbook.file} --out ${o.planFile}`,
    });
  }
  // Fingerprints are saved with secret params sealed: the engine compares them with the world as it is.
  const given = collectSecrets({ params: reconciled.values, secretNames: reconciled.secretNames }).params;
  return { saved, params: reconciled.given, expectedFingerprints: unsealSecrets(expectedFingerprints(saved), given, saved.secretParams).value };
}
