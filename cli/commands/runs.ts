/** `lifeboat runs`: the runs kept under the state dir, newest first; `--json` for scripts (schema/runs.schema.json). */
import { ExitCode } from '../../src/errors.js';
import type { RunsOutput } from '../../src/json/schemas.js';
import { JSON_VERSION } from '../../src/json/version.js';
import { formatDuration } from '../../src/runbook/duration.js';
import { listRunIds, loadRun } from '../../src/journal/store.js';
import { summarize, type RunSummary } from '../../src/journal/timeline.js';
import type { CommonOptions } from '../options.js';
import { stateDir } from '../execute.js';
import { processAlive } from '../run-session.js';
import { table } from '../table.js';

export default async function runs(_args: string[], opts: CommonOptions): Promise<number> {
  const dir = stateDir(opts);
  const ids = (await listRunIds(dir)).reverse();
  const rows: RunSummary[] = [];
  const problems: Array<{ runId: string; problem: string }> = [];
  for (const id of ids) {
    try {
      const { run, warnings } = await loadRun(dir, id);
      rows.push(summarize(run, processAlive));
      for (const w of warnings) problems.push({ runId: id, problem: w });
    } catch (err) {
      problems.push({ runId: id, problem: err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err) });
    }
  }
  // Newest first by when each run started: ids sort by time only to the second (two runs
  // started in one second would otherwise be ordered by their random suffix).
  rows.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.runId < b.runId ? 1 : -1));
  if (opts.json) {
    const out: RunsOutput = { version: JSON_VERSION, stateDir: dir, runs: rows, problems };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return ExitCode.ok;
  }
  if (rows.length === 0) {
    process.stdout.write(`no runs under ${dir}\n`);
  } else {
    process.stdout.write(
      table(
        ['RUN ID', 'RUNBOOK', 'MODE', 'STATUS', 'STARTED', 'DURATION', 'WHO'],
        rows.map((r) => [r.runId, r.runbook, r.mode, statusText(r), r.startedAt.replace(/\.\d+Z$/, 'Z'), formatDuration(r.durationMs), r.who === r.lastBy ? r.who : `${r.who} (then ${r.lastBy})`]),
      ),
    );
  }
  for (const p of problems) process.stderr.write(`lifeboat: warning: ${p.problem}\n`);
  return ExitCode.ok;
}

function statusText(r: RunSummary): string {
  if (r.status === 'unfinished') return `unfinished${r.changed.length ? ` (${r.changed.length} changed)` : ''}`;
  return r.status;
}
