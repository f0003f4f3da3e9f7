/**
 * The journal: what one durable entry costs (append + fdatasync, JournalWriter itself), and
 * what the tool adds on top of the steps: a runbook of 20 `wait: 0s` steps against the same
 * runbook with one, run by the CLI (--yes), interleaved; the difference is the cost of 19
 * more steps (plan, decision, journal entries, state transitions), the steps themselves
 * doing nothing. The row after it splits that cost into reading the runbook, building its
 * machine and running the machine alone (./step-parts.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JournalWriter } from '../src/journal/store.js';
import { BIN, ROOT, measure, median, ms, percentile, type Figure } from './lib.js';

const APPENDS = Number(process.env.BENCH_JOURNAL_APPENDS ?? 300);
const RUNS = Number(process.env.BENCH_OVERHEAD_RUNS ?? 7);
const OVERHEAD_TARGET_MS = 100;

function waitRunbook(steps: number): string {
  const lines = ['version: 1', `name: bench-overhead-${steps}`, 'steps:'];
  for (let i = 1; i <= steps; i++) lines.push(`  - id: wait-${i}`, '    type: wait', '    with: { duration: 0s }');
  return `${lines.join('\n')}\n`;
}

/** The step-parts probe's figures for the 20-step runbook minus the 1-step one (medians of fresh processes). */
function stepParts(files: Record<number, string>): { load: number; build: number; run: number } {
  const probe = join(ROOT, 'dist', 'bench', 'step-parts.js');
  const samples: Record<number, Array<{ loadMs: number; buildMs: number; runMs: number }>> = { 1: [], 20: [] };
  for (let i = 0; i <= RUNS; i++) {
    for (const n of [1, 20]) {
      const r = spawnSync(process.execPath, [probe, files[n] as string], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`bench/step-parts.ts exited ${String(r.status)}: ${r.stderr.trim()}`);
      if (i > 0) samples[n]?.push(JSON.parse(r.stdout) as { loadMs: number; buildMs: number; runMs: number });
    }
  }
  const diff = (k: 'loadMs' | 'buildMs' | 'runMs'): number => median((samples[20] ?? []).map((x) => x[k])) - median((samples[1] ?? []).map((x) => x[k]));
  return { load: diff('loadMs'), build: diff('buildMs'), run: diff('runMs') };
}

export async function journal(): Promise<Figure[]> {
  // Where the journal lives by default: .lifeboat/ in the working directory (here: the repo's disk).
  const dir = mkdtempSync(join(ROOT, '.bench-journal-'));
  try {
    const writer = await JournalWriter.open(dir, 'bench', { secrets: [] });
    const times: number[] = [];
    for (let i = 0; i < APPENDS; i++) {
      const started = performance.now();
      // 'now': waits for its fdatasync, as an intent does (a result's runs in the background).
      await writer.append({ type: 'result', stepId: `step-${i}`, outputs: { objects: 2000, bytes: 131072000, seconds: 12.3, requests: 4007 }, durationMs: 12345, requests: 4007, summary: 'restored 2000 objects (125 MiB) latest to s3://bench/data/' }, 'now');
      times.push(performance.now() - started);
    }
    await writer.close();

    const files: Record<number, string> = {};
    for (const n of [1, 20]) {
      files[n] = join(dir, `wait-${n}.yaml`);
      writeFileSync(files[n], waitRunbook(n));
    }
    const walls: Record<number, number[]> = { 1: [], 20: [] };
    const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' };
    let entries20 = 0;
    for (let i = 0; i <= RUNS; i++) {
      for (const n of [1, 20]) {
        const state = join(dir, `state-${n}-${i}`);
        const r = await measure(process.execPath, [BIN, 'run', files[n] as string, '--yes', '--state-dir', state], { env, cwd: dir });
        if (r.code !== 0) throw new Error(`the ${n}-step wait runbook exited ${String(r.code)}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
        if (i === 0) continue; // warm-up
        walls[n]?.push(r.wallMs);
        if (n === 20) {
          const run = readdirSync(join(state, 'runs'))[0] as string;
          entries20 = readFileSync(join(state, 'runs', run, 'journal.jsonl'), 'utf8').trim().split('\n').length;
        }
      }
    }
    const one = median(walls[1] as number[]);
    const twenty = median(walls[20] as number[]);
    const overhead = twenty - one;
    const parts = stepParts(files);
    return [
      {
        id: 'journal-append',
        figure: 'journal: append + fdatasync, one entry (median)',
        measured: `${ms(median(times))} (p95 ${ms(percentile(times, 95))})`,
        target: '— (feeds the row below)',
        met: null,
        value: median(times),
        note: `${APPENDS} entries of ~300 bytes, JournalWriter on the repository's disk`,
        raw: { medianMs: median(times), p95Ms: percentile(times, 95), maxMs: Math.max(...times) },
      },
      {
        id: 'overhead-20-steps',
        figure: 'tool overhead: 20 × wait 0s minus 1 × wait 0s',
        measured: `${ms(overhead)} (${ms(twenty)} vs ${ms(one)}; ${entries20} journal entries)`,
        target: `< ${OVERHEAD_TARGET_MS} ms`,
        met: overhead < OVERHEAD_TARGET_MS,
        value: overhead,
        note: `lifeboat run --yes, median of ${RUNS} interleaved runs each; ${ms(overhead / 19)} a step`,
        raw: { oneStepMs: walls[1], twentyStepsMs: walls[20], journalEntries20: entries20 },
      },
      {
        id: 'overhead-parts',
        figure: 'of which, for the 19 more steps: read the runbook, build the machine, run it with no-op actors',
        measured: `${ms(parts.load)} + ${ms(parts.build)} + ${ms(parts.run)} (the rest: ${ms(overhead - parts.load - parts.build - parts.run)})`,
        target: '— (explains the row above)',
        met: null,
        value: parts.load + parts.build + parts.run,
        note: `a fresh process each (bench/step-parts.ts), median of ${RUNS} interleaved runs of the 1- and 20-step runbooks, differences of medians; the rest is what the CLI adds per step (plans, decisions, journal entries, the screen)`,
        raw: parts,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
