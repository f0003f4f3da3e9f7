/**
 * The report of a run that never started: the runbook was invalid or unreadable, a --param
 * was bad, consent or a confirmation was missing, the AWS preflight or the lock refused it.
 * Reports, metrics and `--json` are written whatever the outcome (contract §4), so a
 * scheduled verify that could not even start still leaves `lifeboat_verify_success 0` and a
 * red JUnit file, and `run --json` still prints one report. Its verdict is `refused`
 * (exit 2 or 3), every step `not-run`; `runId` is the id the run had been given, if it got
 * that far (null before: see schema/report.schema.json).
 */
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, extname } from 'node:path';
import { parseDocument } from 'yaml';
import { operatorName } from '../src/engine/run.js';
import { ExitCode, LifeboatError } from '../src/errors.js';
import type { RunMode } from '../src/journal/format.js';
import { buildRefusedReport, type RefusedRunbook, type Report } from '../src/report/model.js';
import { readRunbookSource } from '../src/runbook/load.js';
import type { Runbook } from '../src/runbook/model.js';
import { parseParamFlags } from '../src/runbook/params.js';
import { collectSecrets, paramEnvName, redactor } from '../src/util/redact.js';
import { lifeboatVersion } from '../src/version.js';
import type { CommonOptions } from './options.js';
import { reportTargets, type ReportFlags } from './report-output.js';

export interface NotStarted {
  /** The runbook file as given. */
  file: string;
  /** The runbook, when it was loaded before the run was stopped. */
  runbook?: Runbook | undefined;
  /** The run's id, when it had been given one. */
  runId?: string | undefined;
  mode: RunMode;
  opts: CommonOptions;
}

/** Whether the flags ask for any report at all (else there is nothing to build). */
export function wantsReport(flags: ReportFlags): boolean {
  return Boolean(flags.json) || flags.metricsFile !== undefined || flags.notify !== undefined || reportTargets(flags).length > 0;
}

/** The report of a run stopped by `err` before it started, with the exit code it ends with. */
export async function notStartedReport(err: unknown, o: NotStarted): Promise<Report> {
  const exitCode = err instanceof LifeboatError ? err.exitCode : ExitCode.failed;
  return buildRefusedReport({
    runbook: o.runbook ?? (await unloadedRunbook(o.file)),
    mode: o.mode,
    runId: o.runId ?? null,
    exitCode,
    message: err instanceof Error ? err.message : String(err),
    finishedAt: new Date(),
    lifeboatVersion: lifeboatVersion(),
    host: hostname(),
    user: operatorName(),
    redact: redactor(secretsOf(o)),
  });
}

/**
 * A runbook that could not be loaded, as a report names it: the `name:` its YAML gives (so
 * the metrics keep their `runbook` label), else the file's name; no steps. Only a regular
 * file is read again: a pipe's content is gone.
 */
async function unloadedRunbook(file: string): Promise<RefusedRunbook> {
  const fallback: RefusedRunbook = { name: basename(file, extname(file)) || file, file, steps: [] };
  try {
    if (!(await stat(file)).isFile()) return fallback;
    const read = await readRunbookSource(file);
    if (!('source' in read)) return fallback;
    const name: unknown = parseDocument(read.source, { uniqueKeys: false }).get('name');
    return typeof name === 'string' && name.trim() !== '' && name.length <= 200 ? { ...fallback, name } : fallback;
  } catch {
    return fallback;
  }
}

/** What to mask: secret-looking environment values, and the secret params given (--param, LIFEBOAT_PARAM_<NAME>). */
function secretsOf(o: NotStarted): ReturnType<typeof collectSecrets> {
  const secretNames = Object.entries(o.runbook?.params ?? {})
    .filter(([, spec]) => spec.secret)
    .map(([name]) => name);
  let given: Record<string, string> = {};
  try {
    given = parseParamFlags(o.opts.param ?? []);
  } catch {
    // A malformed --param: nothing to take from it.
  }
  const params: Record<string, string> = {};
  for (const name of secretNames) {
    const value = given[name] ?? process.env[paramEnvName(name)];
    if (value !== undefined) params[name] = value;
  }
  return collectSecrets({ env: process.env, params, secretNames });
}
