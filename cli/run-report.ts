/**
 * `--report` for resume and rollback: the same reports as rehearse and verify
 * (../report-output.ts), written whatever the outcome: also when the command had nothing to
 * do or was refused before any change. `--json` stays the command's own one-line result on
 * stdout, so a report on stdout goes with it only as a file.
 */
import { hostname } from 'node:os';
import type { RunOutcome } from '../src/engine/run.js';
import { operatorName } from '../src/engine/run.js';
import { LifeboatError, UsageError } from '../src/errors.js';
import type { ReplayedRun, RunMode } from '../src/journal/format.js';
import type { FinalState } from '../src/machine/compile.js';
import { buildJournalReport, type JournalReportInput } from '../src/report/from-journal.js';
import { buildReport, type Report } from '../src/report/model.js';
import { loadRun } from '../src/journal/store.js';
import type { Runbook } from '../src/runbook/model.js';
import type { Ui } from '../src/ui/console.js';
import type { Session } from './execute.js';
import { journaledReport } from './json-report.js';
import { wantsReport } from './not-started.js';
import { lifeboatVersion, stateDir } from './execute.js';
import { redactor } from '../src/util/redact.js';
import type { CommonOptions } from './options.js';
import { checkReportFiles, deliverReport, reportTargets, stdoutTaken, type ReportFlags } from './report-output.js';

export function reportFlags(opts: CommonOptions): ReportFlags {
  return { report: opts.report, reportFile: opts.reportFile, json: false };
}

/** Check the report flags before anything runs; the options to show the screen with (stderr when stdout carries a report). */
export async function checkReportFlags(opts: CommonOptions): Promise<CommonOptions> {
  const flags = reportFlags(opts);
  reportTargets(flags);
  await checkReportFiles(flags);
  if (!stdoutTaken(flags)) return opts;
  if (opts.json) {
    throw new UsageError({
      what: '--json and a --report on stdout (no --report-file, or one that is stdout) would both go to stdout',
      hint: 'give the report a --report-file <path> that is not stdout',
    });
  }
  return { ...opts, json: true };
}

/**
 * The report of the run a session just drove, built from the journal (so a resumed run's
 * report covers the whole run and a rehearsal is judged against its targets); from this
 * process's own record when the journal cannot be read back.
 */
export async function runReport(session: Session, outcome: RunOutcome, runbook: Runbook, opts: CommonOptions, mode: RunMode, exitCode: number, asCommand = false): Promise<Report> {
  const common = { runbook, exitCode, lifeboatVersion: lifeboatVersion(), host: hostname(), user: session.prompter.who, redact: redactor(session.secrets) };
  try {
    // asCommand: the --json result of a resume or rollback, named by that command, over the whole run's facts.
    return await journalReport({ ...common, opts, runId: session.runId, ...(asCommand ? { command: { mode, final: outcome.final } } : {}) });
  } catch (err) {
    session.ui.warn(`cannot read the journal back for the report (${err instanceof Error ? err.message : String(err)}): reporting from this process's own record`);
    return buildReport({ ...common, outcome, mode, finishedAt: new Date() });
  }
}

/** Write the --report/--report-file reports (if asked for) of a run a session drove. */
export async function deliverRunReport(session: Session, opts: CommonOptions, report: () => Promise<Report>): Promise<void> {
  const flags = reportFlags(opts);
  if (reportTargets(flags).length === 0) return;
  await deliverReport(await report(), flags, { warn: (l) => session.ui.warn(l), info: (l) => session.ui.info(l), notify: { userAgent: `lifeboat/${lifeboatVersion()}` } });
}

export interface UndrivenCommand {
  command: 'resume' | 'rollback';
  /** How the command found the run (already completed, rolled back, …); ignored for a refusal. */
  final: FinalState;
  exitCode: number;
  opts: CommonOptions;
  /** The flags as given (`--json`: the report on stdout). */
  given: CommonOptions;
  ui: Ui;
}

/**
 * The --report files and the --json report of a resume or rollback that drove nothing:
 * the run had nothing left to do. (No --notify: that posts step transitions, and there were none.)
 */
export async function reportUndriven(run: ReplayedRun, o: UndrivenCommand, refusal?: string): Promise<void> {
  const flags: ReportFlags = { ...reportFlags(o.opts), json: o.given.json };
  if (!wantsReport(flags)) return;
  const report = journaledReport(run, o.command, o.final, o.exitCode, operatorName(process.env), refusal);
  await deliverReport(report, flags, { warn: (l) => o.ui.warn(l), info: (l) => o.ui.info(l) });
}

/**
 * The same for a resume or rollback refused before any change (no consent, the lock, the
 * AWS preflight, a secret its undo needs): the report names the refusal and the exit code.
 * Only a LifeboatError is a refusal; anything else is a bug, reported as one by main.
 */
export async function reportRefused(run: ReplayedRun, err: unknown, o: Omit<UndrivenCommand, 'final' | 'exitCode'>): Promise<void> {
  if (!(err instanceof LifeboatError)) return;
  await reportUndriven(run, { ...o, final: 'refused', exitCode: err.exitCode }, err.message);
}

export interface JournalReportOptions {
  opts: CommonOptions;
  runId: string;
  runbook: Runbook;
  exitCode?: number | undefined;
  lifeboatVersion: string;
  host?: string | undefined;
  user?: string | undefined;
  redact?: (text: string) => string;
  command?: JournalReportInput['command'];
}

/** A run's report, built from its journal (the one function every command uses). */
export async function journalReport(o: JournalReportOptions): Promise<Report> {
  const { run } = await loadRun(stateDir(o.opts), o.runId);
  return buildJournalReport({
    journal: run,
    runbook: o.runbook,
    exitCode: o.exitCode,
    lifeboatVersion: o.lifeboatVersion,
    host: o.host,
    user: o.user,
    ...(o.redact ? { redact: o.redact } : {}),
    ...(o.command ? { command: o.command } : {}),
  });
}
