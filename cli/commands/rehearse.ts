/**
 * `lifeboat rehearse <file>`: a game day. Real execution (prompts as in `run` unless
 * --yes), then every completed step rolled back, newest first. The report gives each
 * step's time, the measured recovery time against the runbook's rto, the rollback time
 * and a verdict. Exit 0: the forward run completed and everything was rolled back; 1: a
 * step failed and everything was rolled back; 4: a rollback failed (the report says what
 * is left); 130: interrupted.
 *
 * `verify` (./verify.ts) is the same walk, non-interactive, for cron and CI.
 */
import { hostname } from 'node:os';
import { lifeboatVersion } from '../../src/version.js';
import { operatorName } from '../../src/engine/run.js';
import { formatAge, formatBytes, formatDuration, formatMs } from '../../src/util/format.js';
import { buildReport, rollbackExceptions, type Report } from '../../src/report/model.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { createConsoleUi, type Ui } from '../../src/ui/console.js';
import { openSession, runWithSignals, type Session } from '../execute.js';
import { redactor } from '../../src/util/redact.js';
import type { Runbook } from '../../src/runbook/model.js';
import { notStartedReport, wantsReport } from '../not-started.js';
import type { CommonOptions } from '../options.js';
import { checkReportFiles, deliverReport, reportTargets, sessionOptions, stdoutTaken, type ReportFlags } from '../report-output.js';
import { journalReport } from '../run-report.js';


export type RehearsalMode = 'rehearse' | 'verify';

export async function rehearsal(file: string, opts: CommonOptions, mode: RehearsalMode): Promise<number> {
  const flags = opts as ReportFlags;
  // Bad report flags are a bad invocation: refuse before anything runs (and with no report).
  reportTargets(flags);
  await checkReportFiles(flags);
  const screen = createConsoleUi({ out: stdoutTaken(flags) ? process.stderr : process.stdout });
  const version = lifeboatVersion();
  const who = operatorName();

  const started: { runbook?: Runbook; runId?: string } = {};
  let session: Session;
  let effective: CommonOptions;
  let runbook: Runbook;
  try {
    runbook = started.runbook = await loadRunbook(file);
    effective = sessionOptions(opts);
    if (mode === 'verify') {
      if (opts.onFailure === 'abort') screen.warn('verify always cleans up after itself: --on-failure abort is ignored');
      effective = { ...effective, yes: true, onFailure: 'rollback' };
    }
    session = await openSession({ runbook, opts: effective, mode, nonInteractive: mode === 'verify', rollbackAfter: true, onRunId: (id) => (started.runId = id) });
  } catch (err) {
    // Stopped before it started (an invalid runbook or --param, a confirmation missing, the
    // lock held): monitoring and CI still get a report and a metric saying so.
    if (wantsReport(flags)) {
      const report = await notStartedReport(err, { file, ...started, mode, opts });
      await deliverReport(report, flags, { warn: (l) => screen.warn(l), notify: { userAgent: `lifeboat/${version}` } });
    }
    throw err;
  }

  try {
    const outcome = await runWithSignals(session.execution);
    // The report (and so the exit code) comes from the journal: the same as `show <id> --report`.
    const common = { runbook, lifeboatVersion: version, host: hostname(), user: who, redact: redactor(session.secrets) };
    let report: Report;
    try {
      report = await journalReport({ ...common, opts: effective, runId: session.runId });
    } catch (err) {
      // The journal cannot be read back (the disk that refused it): report what this process saw.
      session.ui.warn(`cannot read the journal back for the report (${err instanceof Error ? err.message : String(err)}): reporting from this process's own record`);
      report = buildReport({ ...common, outcome, mode, exitCode: outcome.exitCode, finishedAt: new Date() });
    }
    describeReport(session.ui, report);
    await deliverReport(report, flags, {
      warn: (l) => session.ui.warn(l),
      info: (l) => session.ui.info(l),
      notify: { userAgent: `lifeboat/${version}` },
    });
    // The report's verdict includes the recovery targets: a missed rto/rpo is exit 1.
    return report.exitCode;
  } finally {
    session.aws.destroy();
  }
}

const STATUS: Record<Report['steps'][number]['status'], string> = {
  passed: 'passed',
  'rolled-back': 'passed, rolled back',
  failed: 'FAILED',
  skipped: 'skipped',
  'not-run': 'not run',
  interrupted: 'interrupted',
};

/** The rollback column; `done` shows the undo's time. */
const UNDO: Partial<Record<Report['steps'][number]['undo'], string>> = {
  failed: 'FAILED',
  'still-changed': 'CHANGED',
  'not-undone': 'NOT UNDONE',
  'by-hand': 'by hand',
  none: '—',
};

/** The end of a rehearsal told plainly: each step's time, recovery vs RTO, rollback, verdict. */
export function describeReport(ui: Ui, r: Report): void {
  const t = r.totals;
  const what = r.mode === 'verify' ? 'verification' : 'rehearsal';
  ui.heading('');
  switch (r.verdict) {
    case 'passed':
      ui.heading(`✔ ${what} passed — run ${r.runId}`);
      break;
    case 'failed':
      ui.heading(`✘ ${what} FAILED${r.error ? ` at ${r.error.stepId}` : ''}${t.rollback === 'done' ? ', everything rolled back' : ''} — run ${r.runId}`);
      break;
    case 'rollback-failed':
      ui.heading(`✘ ROLLBACK FAILED — a person must look now — run ${r.runId}`);
      break;
    case 'interrupted':
      ui.heading(`‖ ${what} interrupted${t.rollback === 'done' ? ', everything rolled back' : ''} — run ${r.runId}`);
      break;
    case 'refused':
      ui.heading(`✘ refused before any change — run ${r.runId}`);
      break;
  }
  const width = Math.max(4, ...r.steps.map((s) => s.id.length));
  ui.info(`${'step'.padEnd(width)}  ${'result'.padEnd(19)}  ${'time'.padStart(8)}  ${'rollback'.padStart(8)}`);
  for (const s of r.steps) {
    const undo = UNDO[s.undo] ?? formatMs(s.undoMs);
    ui.info(`${s.id.padEnd(width)}  ${STATUS[s.status].padEnd(19)}  ${formatMs(s.durationMs).padStart(8)}  ${undo.padStart(8)}`);
  }
  if (r.error && r.verdict !== 'passed') ui.error(`${r.error.stepId}: ${r.error.message}`);
  for (const b of r.breaches) ui.error(`${b.target.toUpperCase()} missed: ${b.message}`);
  if (t.rtoVerdict === 'incomplete') ui.info(`recovery time: not measured, the runbook did not complete (stopped after ${formatMs(t.recoveryMs)})`);
  else if (t.rtoMs === null) ui.info(`recovery time: ${formatMs(t.recoveryMs)} (no rto in the runbook)`);
  else if (t.rtoVerdict === 'within') ui.ok(`recovery time: ${formatMs(t.recoveryMs)}, within the RTO of ${formatDuration(t.rtoMs)}`);
  else ui.warn(`recovery time: ${formatMs(t.recoveryMs)}, OVER the RTO of ${formatDuration(t.rtoMs)}`);
  if (t.backupAgeSeconds !== null) {
    const line = `newest backup: ${formatAge(t.backupAgeSeconds)} old${t.backupKey ? ` (${t.backupKey})` : ''}`;
    if (t.rpoMs === null) ui.info(line);
    else if (t.rpoVerdict === 'over') ui.warn(`${line}, OLDER than the RPO of ${formatDuration(t.rpoMs)}`);
    else ui.ok(`${line}, within the RPO of ${formatDuration(t.rpoMs)}`);
  }
  if (t.restoreBytes !== null) {
    ui.info(
      `restore: ${t.restoreObjects ?? 0} objects, ${formatBytes(t.restoreBytes)}` +
        (t.restoreSeconds !== null ? ` in ${formatMs(t.restoreSeconds * 1000)}` : '') +
        (t.restoreBytesPerSecond !== null ? ` (${formatBytes(t.restoreBytesPerSecond)}/s)` : ''),
    );
  }
  if (t.rollback === 'done') ui.ok(`rollback: ${formatMs(t.rollbackMs)}, everything this ${what} changed was undone`);
  else if (t.rollback === 'partial') ui.warn(`rollback: ${formatMs(t.rollbackMs)}, undone except: ${rollbackExceptions(r).join(', ')}`);
  if (r.rollbackError) ui.error(`rollback of ${r.rollbackError.stepId} failed: ${r.rollbackError.message}`);
  if (r.leftChanged.length > 0) {
    ui.warn(`STILL CHANGED (newest first): ${r.leftChanged.map((l) => `${l.stepId} (${l.type})`).join(', ')}`);
    for (const l of r.leftChanged) ui.info(`  ${l.stepId}: ${l.undo}`);
  }
  if (r.next) ui.info(r.next);
}

export default async function rehearse([file]: string[], opts: CommonOptions): Promise<number> {
  return rehearsal(file as string, opts, 'rehearse');
}
