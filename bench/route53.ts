/**
 * Route 53: the time from the server reporting INSYNC to lifeboat reporting it.
 *
 * moto reports a change INSYNC at once, which would measure nothing. So the proxy in front
 * of moto makes each change read PENDING (in the ChangeResourceRecordSets answer and every
 * GetChange) until a chosen delay after it was submitted, then INSYNC, as AWS does after
 * propagation; it notes that moment. lifeboat "reports" INSYNC when it journals the step's
 * result (fsynced, the same moment it prints ✔). The figure is the difference, over changes
 * whose delays are spread across lifeboat's polling interval: median and worst.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedDemo } from '../src/demo/seed.js';
import { BIN, cliEnv, log, measure, median, ms, type Figure } from './lib.js';
import type { CountingProxy } from './proxy.js';

const DELAYS_MS = (process.env.BENCH_INSYNC_DELAYS ?? '2500,3000,3500,4000,4500').split(',').map(Number);
const TARGET_MS = 2000;

export async function route53(motoEndpoint: string, proxy: CountingProxy, tmp: string): Promise<Figure[]> {
  const zone = 'bench-insync.example.com';
  const { zoneId } = await seedDemo(motoEndpoint, zone);
  const lags: number[] = [];
  const polls: number[] = [];
  try {
    for (const [i, delay] of DELAYS_MS.entries()) {
      const file = join(tmp, `insync-${i}.yaml`);
      writeFileSync(
        file,
        [
          'version: 1',
          'name: bench-insync',
          'steps:',
          '  - id: dns',
          '    type: route53.change-records',
          '    with:',
          `      zoneId: ${zoneId}`,
          `      changes: [{ name: app.${zone}, type: CNAME, ttl: 60, values: [target-${i}.example.net] }]`,
          '      wait: insync',
          '',
        ].join('\n'),
      );
      proxy.reset();
      proxy.delayInsync(delay);
      const state = join(tmp, `insync-state-${i}`);
      const m = await measure(process.execPath, [BIN, 'run', file, '--yes', '--state-dir', state], { env: cliEnv(proxy.endpoint), cwd: tmp });
      if (m.code !== 0) throw new Error(`the Route 53 change run exited ${String(m.code)}: ${m.stdout.trim().split('\n').slice(-3).join(' / ')}`);
      const insync = [...proxy.insyncAt.values()][0];
      const run = readdirSync(join(state, 'runs'))[0] as string;
      const result = readFileSync(join(state, 'runs', run, 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; stepId?: string; at: string })
        .find((e) => e.type === 'result' && e.stepId === 'dns');
      if (insync === undefined || !result) throw new Error('no change or no result entry seen');
      lags.push(Date.parse(result.at) - insync);
      polls.push(proxy.counts.GetChange ?? 0);
      log(`route53: change PENDING for ${delay} ms, reported ${lags[lags.length - 1]} ms after INSYNC (${polls[polls.length - 1]} GetChange)`);
    }
  } finally {
    proxy.delayInsync(0);
  }
  const worst = Math.max(...lags);
  return [
    {
      id: 'route53-insync-lag',
      figure: 'Route 53: INSYNC at the server → reported by lifeboat',
      measured: `worst ${ms(worst)}, median ${ms(median(lags))} (${lags.length} changes)`,
      target: `≤ ${TARGET_MS / 1000} s`,
      met: worst <= TARGET_MS,
      value: worst,
      note: `the proxy holds each change PENDING for ${DELAYS_MS.join('/')} ms, then INSYNC; lifeboat's moment is its fsynced result entry; GetChange polls per change: ${polls.join(', ')}`,
      raw: { lagsMs: lags, delaysMs: DELAYS_MS, getChangePolls: polls },
    },
  ];
}
