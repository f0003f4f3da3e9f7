import { loadRunbook } from '../../src/runbook/load.js';
import { parseParamFlags } from '../../src/runbook/params.js';
import { secretEnvValues } from '../../src/util/redact.js';
import type { CommonOptions } from '../options.js';
import { describeOutcome, openSession, runWithSignals, type Session } from '../execute.js';
import { checkReportFlags, deliverRunReport, reportFlags, runReport } from '../run-report.js';
import { notStartedReport, wantsReport } from '../not-started.js';
import { deliverReport, type ReportFlags } from '../report-output.js';
import type { Runbook } from '../../src/runbook/model.js';
import { createConsoleUi } from '../../src/ui/console.js';
import { printReport, sessionReport } from '../json-report.js';

export default async function run([file]: string[], given: CommonOptions): Promise<number> {
  // Bad report flags are a bad invocation: refuse before anything runs (and with no report).
  const opts = await checkReportFlags(given);
  const mode = opts.dryRun ? 'dry-run' : 'run';
  const started: { runbook?: Runbook; runId?: string } = {};
  let session: Session;
  let runbook: Runbook;
  let planNote: string | undefined;
  try {
    runbook = started.runbook = await loadRunbook(file as string);
    let runOpts = opts;
    let expectedFingerprints: Record<string, unknown> | undefined;
    let skippedInPlan: string[] | undefined;
    if (opts.plan) {
      // Before anything else (lock, journal): the saved plan's params, and the world it saw.
      const { checkSavedPlan } = await import('../../src/plan/check.js');
      const checked = await checkSavedPlan({
        planFile: opts.plan,
        runbook,
        given: parseParamFlags(opts.param ?? []),
        env: process.env,
        mode,
        region: opts.region,
        profile: opts.profile,
        secrets: secretEnvValues(process.env),
      });
      runOpts = { ...opts, param: Object.entries(checked.params).map(([k, v]) => `${k}=${v}`) };
      expectedFingerprints = checked.expectedFingerprints;
      skippedInPlan = checked.skippedInPlan;
      planNote = `the world still matches the saved plan ${opts.plan} (made ${checked.saved.createdAt} by ${checked.saved.createdBy}): ${checked.saved.summary.text}`;
    }
    session = await openSession({ runbook, opts: runOpts, mode, expectedFingerprints, skippedInPlan, onRunId: (id) => (started.runId = id) });
  } catch (err) {
    // Stopped before it started (an invalid runbook or --param, no consent, a confirmation
    // missing, the lock held): --report and --json still say so.
    await reportNotStarted(err, file as string, started, opts, given);
    throw err;
  }
  if (planNote) session.ui.ok(planNote);
  try {
    const outcome = await runWithSignals(session.execution);
    describeOutcome(session.ui, outcome, mode);
    await deliverRunReport(session, opts, () => runReport(session, outcome, runbook, opts, mode, outcome.exitCode));
    // --json: the versioned report and nothing else on stdout (schema/report.schema.json).
    if (given.json) await printReport(sessionReport(session, outcome, runbook, mode, outcome.exitCode));
    return outcome.exitCode;
  } finally {
    session.aws.destroy();
  }
}

/** The --report files and the --json report of a run that never started (no --notify: a run posts its step transitions, and there were none). */
async function reportNotStarted(err: unknown, file: string, started: { runbook?: Runbook; runId?: string }, opts: CommonOptions, given: CommonOptions): Promise<void> {
  const flags: ReportFlags = { ...reportFlags(opts), json: given.json };
  if (!wantsReport(flags)) return;
  const screen = createConsoleUi({ out: opts.json ? process.stderr : process.stdout });
  await deliverReport(await notStartedReport(err, { file, ...started, mode: opts.dryRun ? 'dry-run' : 'run', opts }), flags, { warn: (l) => screen.warn(l) });
}
