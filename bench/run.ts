/**
 * `npm run bench`: every figure measured side by side in one run, printed as a table
 * (figure, measured, target, met?) and written to bench/results.json with the date and
 * the machine. Starts its own moto (and a second, pre-seeded one for the 100,000-object
 * listing) and stops them. A section that cannot run here says "skipped: why".
 *
 * BENCH_ONLY=startup,loader,journal,route53,restore,verify runs a subset.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMoto, type Moto } from '../src/demo/moto.js';
import { journal } from './journal.js';
import { loader } from './loader.js';
import { ROOT, log, machine, skipped, type Figure } from './lib.js';
import { startCountingProxy, type CountingProxy } from './proxy.js';
import { restore } from './restore.js';
import { route53 } from './route53.js';
import { startup } from './startup.js';
import { verify } from './verify.js';

const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (name: string): boolean => !ONLY || ONLY.includes(name);

async function section(name: string, fallback: Array<{ id: string; figure: string; target: string }>, fn: () => Figure[] | Promise<Figure[]>): Promise<Figure[]> {
  if (!wanted(name)) return [];
  const started = performance.now();
  log(`${name}…`);
  try {
    const rows = await fn();
    log(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return rows;
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0]?.slice(0, 240) ?? 'error';
    log(`${name} failed: ${why}`);
    return fallback.map((f) => skipped(f.id, f.figure, f.target, why));
  }
}

function table(rows: Figure[]): string {
  const head = ['figure', 'measured', 'target', 'met?'];
  const cells = rows.map((r) => [r.figure, r.measured, r.target, r.met === null ? '—' : r.met ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]): string => `| ${c.map((x, i) => x.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  // The SDK's own clients here (seeding) would print its Node 20 notice; the CLI sets the same.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started = performance.now();
  const tmp = mkdtempSync(join(tmpdir(), 'lifeboat-bench-'));
  const rows: Figure[] = [];
  let moto: Moto | undefined;
  let proxy: CountingProxy | undefined;
  try {
    rows.push(
      ...(await section(
        'startup',
        [
          { id: 'startup-help', figure: 'start-up: lifeboat --help', target: '≤ 2.00× node -e 0' },
          { id: 'startup-validate', figure: 'start-up: lifeboat validate runbooks/*.yaml', target: '≤ 2.00× node -e 0' },
          { id: 'startup-plan', figure: 'start-up: lifeboat plan, 3 steps without AWS (lifeboat init starter)', target: '≤ 2.00× node -e 0' },
        ],
        () => startup(tmp),
      )),
    );
    rows.push(...(await section('loader', [{ id: 'loader-50mb', figure: 'a 50 MB runbook (424k steps): lifeboat validate', target: 'refused (exit 2) in < 1000 ms' }], () => loader(tmp))));
    rows.push(
      ...(await section(
        'journal',
        [
          { id: 'journal-append', figure: 'journal: append + fdatasync, one entry (median)', target: '—' },
          { id: 'overhead-20-steps', figure: 'tool overhead: 20 × wait 0s minus 1 × wait 0s', target: '< 100 ms' },
          { id: 'overhead-parts', figure: 'of which, for the 19 more steps: read the runbook, build the machine, run it with no-op actors', target: '—' },
        ],
        journal,
      )),
    );
    if (wanted('route53') || wanted('restore')) {
      moto = await startMoto();
      proxy = await startCountingProxy(moto.endpoint);
    }
    const m = moto;
    const p = proxy;
    rows.push(
      ...(await section('route53', [{ id: 'route53-insync-lag', figure: 'Route 53: INSYNC at the server → reported by lifeboat', target: '≤ 2 s' }], () =>
        route53((m as Moto).endpoint, p as CountingProxy, tmp),
      )),
    );
    rows.push(
      ...(await section(
        'restore',
        [
          { id: 'restore-vs-rclone', figure: 'restore 2,000 × 64 KiB, S3 → S3: wall vs rclone copy', target: '≤ 0.80× rclone' },
          { id: 'restore-requests', figure: 'restore: requests per object, every listing included', target: '≤ 1.10' },
          { id: 'restore-list-pages', figure: 'restore: objects per list page', target: '1,000' },
        ],
        () => restore((m as Moto).endpoint, p as CountingProxy, tmp),
      )),
    );
    rows.push(
      ...(await section(
        'verify',
        [
          { id: 'verify-rss', figure: 'verify-backups over 100,000 objects: peak RSS', target: '< 100 MiB' },
          { id: 'verify-vs-aws', figure: 'verify-backups over 100,000 objects: wall vs aws s3api list-objects-v2', target: '≤ 1.20× aws cli' },
        ],
        () => verify(tmp),
      )),
    );
  } finally {
    await proxy?.close();
    await moto?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  const results = {
    date: new Date().toISOString(),
    machine: machine(),
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
    figures: rows,
  };
  if (!ONLY) writeFileSync(join(ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const mc = results.machine;
  process.stdout.write(`\nlifeboat benchmarks — ${results.date} — ${mc.cpu}, ${mc.cores} cores, ${mc.memoryGiB} GiB, node ${mc.node}, moto ${mc.moto ?? '?'}, rclone ${mc.rclone ?? '-'}, ${mc.awsCli ?? 'no aws cli'}\n\n`);
  process.stdout.write(`${table(rows)}\n\n`);
  for (const r of rows) if (r.note) process.stdout.write(`- ${r.figure}: ${r.note}\n`);
  process.stdout.write(`\n${ONLY ? '(BENCH_ONLY: bench/results.json not written)' : 'written to bench/results.json'} in ${results.durationSeconds} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
