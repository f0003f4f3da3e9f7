/**
 * `lifeboat show <run-id>`: one run's timeline — who decided what and when, how long each
 * step took, how it ended, and what is still changed (undo state). `--json` for scripts.
 * A journal whose last line was torn by a crash is shown with a warning.
 * The JSON is versioned: schema/show.schema.json.
 */
import { ExitCode } from '../../src/errors.js';
import type { ShowOutput } from '../../src/json/schemas.js';
import { JSON_VERSION } from '../../src/json/version.js';
import { formatDuration } from '../../src/runbook/duration.js';
import { loadRun } from '../../src/journal/store.js';
import { decidedBy, stepRows, summarize, timeline } from '../../src/journal/timeline.js';
import type { CommonOptions } from '../options.js';
import { stateDir } from '../execute.js';
import { processAlive } from '../run-session.js';
import { table } from '../table.js';
import { rehearsalVerdict, showReport } from '../show-report.js';
import { collectSecrets, REDACTED, redactDeep, redactor } from '../../src/util/redact.js';

const time = (at: string): string => at.replace(/^\d{4}-\d{2}-\d{2}T/, '').replace(/Z$/, '');
const ms = (v: number | null): string => (v === null ? '' : formatDuration(v));

export default async function show([runId]: string[], opts: CommonOptions): Promise<number> {
  const { run, warnings, path } = await loadRun(stateDir(opts), runId as string);
  for (const w of warnings) process.stderr.write(`lifeboat: warning: ${w}\n`);
  if (opts.report !== undefined && opts.report.length > 0) return showReport(run, opts);
  const verdict = await rehearsalVerdict(run);
  const summary = { ...summarize(run, processAlive), ...(verdict ? { exitCode: verdict.exitCode } : {}) };
  const steps = stepRows(run);
  const events = timeline(run);
  // What people read is masked (secret-named environment values); the journal itself keeps undo records verbatim.
  const secrets = collectSecrets({ env: process.env });
  if (opts.json) {
    const params = run.start.params;
    const out: ShowOutput = redactDeep({ version: JSON_VERSION, ...summary, journal: path, params, warnings, steps, timeline: events }, secrets);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return ExitCode.ok;
  }
  const out: string[] = [];
  out.push(`run ${summary.runId}: ${summary.runbook} (${summary.mode}) — ${summary.status}${summary.exitCode === null ? '' : `, exit ${summary.exitCode}`}`);
  out.push(`  runbook  ${summary.file}`);
  out.push(`  started  ${summary.startedAt} by ${summary.who} on ${summary.host}; last entry ${summary.lastAt} (${formatDuration(summary.durationMs)} later)`);
  const params = [...Object.entries(run.start.params).filter(([k]) => !run.start.secretParams.includes(k)), ...run.start.secretParams.map((k): [string, string] => [k, REDACTED])];
  if (params.length) out.push(`  params   ${params.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  out.push(`  journal  ${path}`);
  for (const b of verdict?.breaches ?? []) out.push(`  ${b}`);
  out.push('');
  out.push(
    table(
      ['TIME', 'STEP', 'EVENT', 'WHO', 'DURATION', 'OUTCOME', 'UNDO', 'DETAIL'],
      events.map((e) => [time(e.at), e.stepId ?? '', e.event, e.who === null ? '' : decidedBy(e.who, e.by), ms(e.durationMs), e.outcome ?? '', e.undo ?? '', e.detail]),
    ),
  );
  out.push(
    table(
      ['STEP', 'STATUS', 'DURATION', 'DECIDED', 'UNDO'],
      steps.map((s) => [s.stepId, s.status, ms(s.durationMs), s.decisions.map((d) => `${d.phase}:${d.choice} (${decidedBy(d.who, d.by)} ${time(d.at)})`).join(', '), s.undo]),
    ),
  );
  if (summary.changed.length > 0 && summary.status !== 'running') {
    out.push(`still changed: ${summary.changed.join(', ')}`);
    if (summary.status !== 'completed') out.push(`continue with: lifeboat resume ${summary.runId}   or undo with: lifeboat rollback ${summary.runId}`);
    else out.push(`to undo it: lifeboat rollback ${summary.runId}`);
  }
  process.stdout.write(`${redactor(secrets)(out.join('\n'))}\n`);
  return ExitCode.ok;
}
