/**
 * `lifeboat show <id> --report json|junit|markdown [--report-file …]`: the report of any
 * past run, rebuilt from its journal by the same function run, resume, rollback, rehearse
 * and verify use, so it is the report the run itself wrote (or would have).
 */
import type { ReplayedRun } from '../src/journal/format.js';
import { buildJournalReport } from '../src/report/from-journal.js';
import { judgedAgainstTargets } from '../src/report/targets.js';
import { parseRunbook } from '../src/runbook/load.js';
import { readFile } from 'node:fs/promises';
import type { Runbook } from '../src/runbook/model.js';
import { UsageError } from '../src/errors.js';
import { lifeboatVersion } from './execute.js';
import { collectSecrets, redactor } from '../src/util/redact.js';
import type { CommonOptions } from './options.js';
import { deliverReport, reportTargets, type ReportFlags } from './report-output.js';

export async function showReport(run: ReplayedRun, opts: CommonOptions): Promise<number> {
  const flags: ReportFlags = { report: opts.report, reportFile: opts.reportFile, json: false };
  reportTargets(flags);
  const runbook = await runbookOf(run);
  const report = buildJournalReport({
    journal: run,
    runbook,
    lifeboatVersion: lifeboatVersion(),
    redact: redactor(collectSecrets({ env: process.env })),
  });
  await deliverReport(report, flags, {
    warn: (l) => process.stderr.write(`lifeboat: warning: ${l}\n`),
    info: (l) => process.stderr.write(`${l}\n`),
    notify: { userAgent: `lifeboat/${lifeboatVersion()}` },
  });
  return 0;
}

/**
 * How an ended rehearsal or verification was judged: its report's exit code and the targets
 * it missed (the journal's run-end is written before the recovery time is measured against
 * the RTO). Undefined for other runs, runs still going, and runbooks that cannot be read.
 */
export async function rehearsalVerdict(run: ReplayedRun): Promise<{ exitCode: number; breaches: string[] } | undefined> {
  if (!run.end || !judgedAgainstTargets(run.start.mode)) return undefined;
  const runbook = await runbookOf(run).catch(() => undefined);
  if (!runbook) return undefined;
  const report = buildJournalReport({ journal: run, runbook, lifeboatVersion: lifeboatVersion() });
  return { exitCode: report.exitCode, breaches: report.breaches.filter((b) => b.judged).map((b) => `${b.target.toUpperCase()} missed: ${b.message}`) };
}

/** The runbook as run: the copy in the journal, else the file (whatever it holds now). */
async function runbookOf(run: ReplayedRun): Promise<Runbook> {
  const file = run.start.runbook.file;
  const source = run.start.runbook.source ?? (await readFile(file, 'utf8').catch(() => undefined));
  const parsed = source === undefined ? undefined : parseRunbook(source, file).runbook;
  if (!parsed) throw new UsageError({ what: `cannot read the runbook of run ${run.runId} (${file}): the journal keeps no copy and the file is gone or invalid`, hint: 'lifeboat show <id> without --report still shows the timeline' });
  return parsed;
}
