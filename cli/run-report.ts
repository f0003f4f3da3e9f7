/**
 * `--report` for resume and rollback: the same reports as rehearse and verify
 * (../report-output.ts), written whatever the outcome. `--json` stays the command's own
 * one-line result on stdout, so a report on stdout goes with it only as a file.
 */
import { hostname } from 'node:os';
import type { RunOutcome } from '../src/engine/run.js';
import { UsageError } from '../src/errors.js';
import type { RunMode } from '../src/journal/format.js';
import { buildReport } from '../src/report/model.js';
import type { Runbook } from '../src/runbook/model.js';
import type { Session } from './execute.js';
import { redactor } from '../src/util/redact.js';
import type { CommonOptions } from './options.js';
import { deliverReport, reportTargets, stdoutTaken, type ReportFlags } from './report-output.js';

export function reportFlags(opts: CommonOptions): ReportFlags {
  return { report: opts.report, reportFile: opts.reportFile, json: false };
}

/** Check the report flags before anything runs; the options to show the screen with (stderr when stdout carries a report). */
export function checkReportFlags(opts: CommonOptions): CommonOptions {
  const flags = reportFlags(opts);
  reportTargets(flags);
  if (!stdoutTaken(flags)) return opts;
  if (opts.json) throw new UsageError({ what: '--json and a --report without --report-file would both go to stdout', hint: 'add --report-file <path>' });
  return { ...opts, json: true };
}

export async function deliverRunReport(session: Session, outcome: RunOutcome, runbook: Runbook, opts: CommonOptions, mode: RunMode, exitCode: number): Promise<void> {
  const flags = reportFlags(opts);
  if (reportTargets(flags).length === 0) return;
  const version = process.env.npm_package_version ?? '0.1.0';
  const report = buildReport({ outcome, runbook, mode, exitCode, finishedAt: new Date(), lifeboatVersion: version, host: hostname(), user: session.prompter.who, redact: redactor(session.secrets) });
  await deliverReport(report, flags, { warn: (l) => session.ui.warn(l), info: (l) => session.ui.info(l), notify: { userAgent: `lifeboat/${version}` } });
}
