/**
 * What happens to a finished run's report: `--report json|junit|markdown` to
 * `--report-file <path>` (or stdout), `--json` (the JSON report on stdout),
 * `--metrics-file <path>` (Prometheus textfile) and `--notify <url>` (JSON POST). Used by
 * rehearse and verify, and meant for run, resume and rollback too.
 *
 * Files are written through to what the path names, whatever the outcome: a regular file
 * is replaced atomically (temporary file, fsync, rename), a symlink's target is written,
 * a FIFO, `/dev/stdout` or another device is written directly (src/util/atomic-write.ts). A
 * report that cannot be written or a notification that fails is a warning: it never
 * changes the run's exit code, which says what happened to the world.
 *
 * `--report` and `--report-file` may be repeated (paired in order: the n-th format goes to
 * the n-th file); a format without a file goes to stdout, and only one thing may. A file
 * that is stdout (`/dev/stdout`, `/dev/fd/1`, the file stdout is redirected to) counts as
 * stdout: the run's own output then goes to stderr, and `--json` cannot share it.
 */
import { basename, extname } from 'node:path';
import { UsageError } from '../src/errors.js';
import { renderJson } from '../src/report/json.js';
import { renderJunit } from '../src/report/junit.js';
import { renderMarkdown } from '../src/report/markdown.js';
import type { Report } from '../src/report/model.js';
import { checkNotifyUrl, notify, safeUrl, type NotifyOptions } from '../src/report/notify.js';
import { renderPrometheus } from '../src/report/prometheus.js';
import { FileWriteError, unwritableReason, writeThrough } from '../src/util/atomic-write.js';
import type { CommonOptions } from './options.js';
import { namesStdout } from './stdout-path.js';

export type ReportFormat = 'json' | 'junit' | 'markdown';
const FORMATS: readonly ReportFormat[] = ['json', 'junit', 'markdown'];

/** The report flags, as commander gives them (one value, or a list when repeatable). */
export interface ReportFlags {
  report?: ReportFormat | ReportFormat[] | undefined;
  reportFile?: string | string[] | undefined;
  metricsFile?: string | undefined;
  notify?: string | undefined;
  json?: boolean | undefined;
}

export interface ReportTarget {
  format: ReportFormat;
  /** undefined: stdout */
  file: string | undefined;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const BY_EXTENSION: Record<string, ReportFormat> = { '.json': 'json', '.xml': 'junit', '.md': 'markdown', '.markdown': 'markdown' };

/**
 * Where each report goes. Throws UsageError (exit 2, before anything runs) for a
 * --report-file whose format cannot be told, two things wanting stdout, or a bad --notify URL.
 */
export function reportTargets(flags: ReportFlags): ReportTarget[] {
  const formats = list(flags.report);
  const files = list(flags.reportFile);
  for (const f of formats) {
    if (!FORMATS.includes(f)) throw new UsageError({ what: `unknown report format "${f}"`, hint: 'use --report json, --report junit or --report markdown' });
  }
  const targets: ReportTarget[] = [];
  /** Targets on stdout by a --report-file path, by index: the path, for messages. */
  const named = new Map<number, string>();
  files.forEach((file, i) => {
    const format = formats[i] ?? BY_EXTENSION[extname(file).toLowerCase()];
    if (!format) {
      throw new UsageError({
        what: `--report-file ${basename(file)}: which format?`,
        hint: 'add --report json, --report junit or --report markdown before it (or name the file .json, .xml or .md)',
      });
    }
    // A path that is this process's stdout (/dev/stdout, /dev/fd/1, the file stdout is
    // redirected to…) is stdout: the same rules as a --report without a file.
    if (namesStdout(file)) {
      targets.push({ format, file: undefined });
      named.set(targets.length - 1, file);
    } else targets.push({ format, file });
  });
  for (const format of formats.slice(files.length)) targets.push({ format, file: undefined });

  const shown = (t: ReportTarget): string => {
    const file = named.get(targets.indexOf(t));
    return file === undefined ? `--report ${t.format}` : `--report ${t.format} --report-file ${file}`;
  };
  const onStdout = targets.filter((t) => t.file === undefined);
  if (onStdout.length > 1) {
    throw new UsageError({ what: `${onStdout.map(shown).join(' and ')} would ${onStdout.length === 2 ? 'both' : 'all'} go to stdout`, hint: 'give each a --report-file <path> that is not stdout' });
  }
  const stdoutReport = onStdout[0];
  if (flags.json && stdoutReport && stdoutReport.format !== 'json') {
    const hint = named.has(targets.indexOf(stdoutReport)) ? `give the ${stdoutReport.format} report a --report-file <path> that is not stdout` : `add --report-file <path> for the ${stdoutReport.format} report`;
    throw new UsageError({ what: `--json and ${shown(stdoutReport)} would both go to stdout`, hint });
  }
  if (flags.metricsFile !== undefined && namesStdout(flags.metricsFile) && (flags.json || stdoutReport)) {
    throw new UsageError({
      what: `${flags.json ? '--json' : shown(stdoutReport as ReportTarget)} and --metrics-file ${flags.metricsFile} would both go to stdout`,
      hint: 'give the metrics a --metrics-file <path> that is not stdout',
    });
  }
  if (flags.notify !== undefined) {
    const bad = checkNotifyUrl(flags.notify);
    if (bad) throw new UsageError({ what: bad, hint: 'for example --notify https://hooks.example.com/lifeboat' });
  }
  return targets;
}

/**
 * Every --report-file and the --metrics-file can be written: checked before anything runs,
 * so one that cannot be (a read-only or missing-permission directory, a path through a
 * file) is a bad invocation (exit 2) instead of a warning after the run, with the run's
 * exit code 0 and a metric that silently never came.
 */
export async function checkReportFiles(flags: ReportFlags): Promise<void> {
  const files = reportTargets(flags).flatMap((t) => (t.file === undefined ? [] : [{ what: `the ${t.format} report`, file: t.file }]));
  if (flags.metricsFile !== undefined && !namesStdout(flags.metricsFile)) files.push({ what: 'the metrics file', file: flags.metricsFile });
  for (const { what, file } of files) {
    const reason = await unwritableReason(file);
    if (reason !== undefined) throw new UsageError({ what: `cannot write ${what} ${file}: ${reason}; nothing was run`, hint: 'fix the path or its permissions, or leave the flag out' });
  }
}

/** Whether stdout belongs to a report (or --json): the run's own output must then go to stderr. */
export function stdoutTaken(flags: ReportFlags): boolean {
  return Boolean(flags.json) || reportTargets(flags).some((t) => t.file === undefined) || (flags.metricsFile !== undefined && namesStdout(flags.metricsFile));
}

/**
 * The options to open a session with: when stdout carries a report, the session's screen
 * output goes to stderr (openSession does that for `--json`).
 */
export function sessionOptions(opts: CommonOptions): CommonOptions {
  return stdoutTaken(opts) ? { ...opts, json: true } : opts;
}

export function render(report: Report, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'junit':
      return renderJunit(report);
    case 'markdown':
      return renderMarkdown(report);
  }
}

export interface DeliverOptions {
  /** Warnings for the operator (the session's UI, which is on stderr when stdout is taken). */
  warn: (line: string) => void;
  /** Informational lines (where each file went). */
  info?: (line: string) => void;
  stdout?: NodeJS.WritableStream;
  notify?: NotifyOptions;
}

export interface Delivery {
  written: string[];
  warnings: string[];
  notified?: boolean;
}

/** Write every report, the metrics file, and POST the notification. Never throws. */
export async function deliverReport(report: Report, flags: ReportFlags, options: DeliverOptions): Promise<Delivery> {
  const out = options.stdout ?? process.stdout;
  const delivery: Delivery = { written: [], warnings: [] };
  const warn = (line: string): void => {
    delivery.warnings.push(line);
    options.warn(line);
  };
  let targets: ReportTarget[];
  try {
    targets = reportTargets(flags);
  } catch (err) {
    warn(`no report written: ${err instanceof Error ? err.message : String(err)}`);
    targets = [];
  }

  for (const t of targets) {
    const text = render(report, t.format);
    if (t.file === undefined) {
      await writeOut(out, text);
      continue;
    }
    try {
      await writeThrough(t.file, text, { stdout: out });
      delivery.written.push(t.file);
      options.info?.(`${t.format} report written to ${t.file}`);
    } catch (err) {
      warn(`cannot write the ${t.format} report to ${t.file}: ${writeReason(err)}`);
    }
  }
  // --json alone: the JSON report, one line, on stdout (the same object as --report json).
  if (flags.json && !targets.some((t) => t.file === undefined)) await writeOut(out, `${JSON.stringify(report)}\n`);

  if (flags.metricsFile !== undefined) {
    try {
      await writeThrough(flags.metricsFile, renderPrometheus(report), { stdout: out });
      delivery.written.push(flags.metricsFile);
      options.info?.(`metrics written to ${flags.metricsFile}`);
    } catch (err) {
      warn(`cannot write the metrics file ${flags.metricsFile}: ${writeReason(err)}`);
    }
  }

  if (flags.notify !== undefined) {
    const result = await notify(flags.notify, report, options.notify);
    delivery.notified = result.ok;
    if (result.ok) options.info?.(`notified ${safeUrl(flags.notify)}`);
    else warn(`notification failed (the result above stands): ${result.error ?? 'unknown error'}`);
  }
  return delivery;
}

function writeOut(out: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    out.write(text, () => resolve());
  });
}

/** Why a file was not written, in words (the caller names the path). */
function writeReason(err: unknown): string {
  if (err instanceof FileWriteError) return err.reason;
  return err instanceof Error ? err.message : String(err);
}
