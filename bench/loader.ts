/**
 * A bounded loader: a 50 MB runbook of 424,000 steps (what a generator gone wrong or a
 * pasted log could produce) must be refused quickly with exit 2 and the limit it broke, not
 * parsed for minutes into gigabytes. The file is generated in the bench's temp directory;
 * `lifeboat validate` on it is timed once, with its peak RSS, and killed after 30 s.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, measure, mib, ms, type Figure } from './lib.js';

const STEPS = 424_000;
const KILL_AFTER_MS = 30_000;
const TARGET_MS = 1000;

/** About 50 MB: each step a wait with a description, ~118 bytes. */
function bigRunbook(): string {
  const parts = ['version: 1\nname: generated-50mb\nsteps:\n'];
  for (let i = 1; i <= STEPS; i++) {
    const n = String(i).padStart(6, '0');
    parts.push(`  - id: wait-${n}\n    type: wait\n    description: step ${n} of a runbook far too big\n    with: { duration: 0s }\n`);
  }
  return parts.join('');
}

export async function loader(tmp: string): Promise<Figure[]> {
  const file = join(tmp, 'generated-50mb.yaml');
  const text = bigRunbook();
  writeFileSync(file, text);
  const size = Buffer.byteLength(text);
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' };
  const r = await measure(process.execPath, [BIN, 'validate', file], { env, rss: true, timeoutMs: KILL_AFTER_MS });
  const killed = r.code === null || r.wallMs >= KILL_AFTER_MS;
  const said = r.stderr.trim().split('\n')[0]?.replace(file, '<file>').slice(0, 200) ?? '';
  const met = !killed && r.code === 2 && r.wallMs < TARGET_MS;
  return [
    {
      id: 'loader-50mb',
      figure: `a ${(size / 1e6).toFixed(0)} MB runbook (${(STEPS / 1000).toFixed(0)}k steps): lifeboat validate`,
      measured: killed ? `not refused: killed after ${KILL_AFTER_MS / 1000} s` : `exit ${String(r.code)} in ${ms(r.wallMs)}, ${r.peakRss ? mib(r.peakRss) : '?'} RSS`,
      target: `refused (exit 2) in < ${ms(TARGET_MS)}`,
      met,
      value: r.wallMs,
      note: killed ? `still running after ${KILL_AFTER_MS / 1000} s` : `said: ${said || '(nothing on stderr)'}`,
      raw: { bytes: size, steps: STEPS, exitCode: r.code, wallMs: r.wallMs, peakRssBytes: r.peakRss, killed, firstStderrLine: said },
    },
  ];
}
