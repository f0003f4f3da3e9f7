import { loadRunbook } from '../../src/runbook/load.js';
import { parseParamFlags } from '../../src/runbook/params.js';
import { secretEnvValues } from '../../src/util/redact.js';
import type { CommonOptions } from '../options.js';
import { describeOutcome, openSession, runWithSignals } from '../execute.js';
import { checkReportFlags, deliverRunReport, runReport } from '../run-report.js';
import { printReport, sessionReport } from '../json-report.js';

export default async function run([file]: string[], given: CommonOptions): Promise<number> {
  // Bad report flags are a bad invocation: refuse before anything runs.
  const opts = checkReportFlags(given);
  const runbook = await loadRunbook(file as string);
  let runOpts = opts;
  let expectedFingerprints: Record<string, unknown> | undefined;
  let planNote: string | undefined;
  if (opts.plan) {
    // Before anything else (lock, journal): the saved plan's params, and the world it saw.
    const { checkSavedPlan } = await import('../../src/plan/check.js');
    const checked = await checkSavedPlan({
      planFile: opts.plan,
      runbook,
      given: parseParamFlags(opts.param ?? []),
      env: process.env,
      region: opts.region,
      profile: opts.profile,
      secrets: secretEnvValues(process.env),
    });
    runOpts = { ...opts, param: Object.entries(checked.params).map(([k, v]) => `${k}=${v}`) };
    expectedFingerprints = checked.expectedFingerprints;
    planNote = `the world still matches the saved plan ${opts.plan} (made ${checked.saved.createdAt} by ${checked.saved.createdBy}): ${checked.saved.summary.text}`;
  }
  const session = await openSession({ runbook, opts: runOpts, mode: opts.dryRun ? 'dry-run' : 'run', expectedFingerprints });
  if (planNote) session.ui.ok(planNote);
  try {
    const outcome = await runWithSignals(session.execution);
    describeOutcome(session.ui, outcome, opts.dryRun ? 'dry-run' : 'run');
    await deliverRunReport(session, opts, () => runReport(session, outcome, runbook, opts, opts.dryRun ? 'dry-run' : 'run', outcome.exitCode));
    // --json: the versioned report and nothing else on stdout (schema/report.schema.json).
    if (given.json) await printReport(sessionReport(session, outcome, runbook, opts.dryRun ? 'dry-run' : 'run', outcome.exitCode));
    return outcome.exitCode;
  } finally {
    session.aws.destroy();
  }
}
