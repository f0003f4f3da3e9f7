/**
 * Prometheus text exposition format (0.0.4) for node_exporter's textfile collector:
 * point `--collector.textfile.directory` at a directory and write
 * `--metrics-file <dir>/lifeboat-<runbook>.prom` from the verify job. Every sample is
 * labelled `runbook="<name>"`; each metric has # HELP and # TYPE gauge. No timestamps:
 * the textfile collector rejects them. The five metrics the contract lists are always
 * there, so a series never vanishes on the very run that went wrong; a value that is not
 * known (no s3.verify-backups result, no restore) is NaN, never a made-up 0. The targets
 * are there when there is one.
 *
 * Alert on `lifeboat_verify_success == 0` and on a stale
 * `time() - lifeboat_last_run_timestamp_seconds` (the job stopped running).
 */
import type { Report } from './model.js';

export interface Metric {
  name: string;
  help: string;
  value: number;
}

/** A label value inside double quotes: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and line feed escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as Go's strconv.ParseFloat reads it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function metricsFor(report: Report): Metric[] {
  const t = report.totals;
  const metrics: Metric[] = [
    {
      name: 'lifeboat_verify_success',
      help: 'Whether the last lifeboat verify (or rehearse) of this runbook passed and cleaned up after itself (1) or not (0).',
      value: report.verdict === 'passed' ? 1 : 0,
    },
    {
      name: 'lifeboat_verify_duration_seconds',
      help: 'How long the last verify (or rehearse) of this runbook took, clean-up included, in seconds.',
      value: report.durationMs / 1000,
    },
  ];
  metrics.push({
    name: 'lifeboat_backup_age_seconds',
    help: 'Age of the newest backup seen by the backup checks in the last run, in seconds: the recovery point actually achieved (NaN: no backup check ran).',
    value: t.backupAgeSeconds ?? NaN,
  });
  metrics.push({ name: 'lifeboat_restore_bytes', help: 'Bytes restored by the restore steps in the last run (NaN: no restore ran).', value: t.restoreBytes ?? NaN });
  // The targets themselves, so alerts compare against the runbook instead of a hard-coded number.
  if (t.rtoMs !== null) {
    metrics.push({ name: 'lifeboat_rto_target_seconds', help: "The runbook's rto (target recovery time), in seconds.", value: t.rtoMs / 1000 });
  }
  if (t.rpoMs !== null) {
    metrics.push({
      name: 'lifeboat_rpo_target_seconds',
      help: "The runbook's rpo (oldest acceptable backup; the step's maxAge when the runbook has none), in seconds.",
      value: t.rpoMs / 1000,
    });
  }
  metrics.push({
    name: 'lifeboat_last_run_timestamp_seconds',
    help: 'When the last verify (or rehearse) of this runbook finished, as a Unix time in seconds.',
    value: Math.floor(Date.parse(report.finishedAt) / 1000),
  });
  return metrics;
}

export function renderPrometheus(report: Report): string {
  const labels = `{runbook="${escapeLabelValue(report.runbook.name)}"}`;
  const lines: string[] = [];
  for (const m of metricsFor(report)) {
    if (!METRIC_NAME.test(m.name)) throw new Error(`bad metric name ${m.name}`);
    lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} gauge`, `${m.name}${labels} ${formatValue(m.value)}`);
  }
  return `${lines.join('\n')}\n`;
}
