/**
 * The journal: what one durable entry costs (append + fdatasync, JournalWriter itself), and
 * what the tool adds on top of the steps: a runbook of 20 `wait: 0s` steps against the same
 * runbook with one, run by the CLI (--yes), interleaved; the difference is the cost of 19
 * more steps (plan, decision, journal entries, state transitions), the steps themselves
 * doing nothing.
 */
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
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
