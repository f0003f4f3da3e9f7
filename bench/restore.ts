/**
 * Restore: 2,000 × 64 KiB objects copied server-side between two moto buckets by
 * `lifeboat run` (one s3.restore step) and by `rclone copy`, through the same endpoint (a
 * counting proxy in front of moto), in the same run: 5 rounds, each lifeboat then rclone
 * onto fresh buckets, medians reported. Also counted: all requests per object (listings
 * included), copy requests per object and the size of list pages.
 *
 * rclone is not installed by the bench: without it the comparison rows say so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { BIN, ROOT, cliEnv, lastJson, log, measure, median, ratio, secs, skipped, type Figure, type Measured } from './lib.js';
import type { CountingProxy } from './proxy.js';

const OBJECTS = Number(process.env.BENCH_RESTORE_OBJECTS ?? 2000);
const SIZE = 64 * 1024;
const TARGET = 0.8;
/** rclone's --transfers, set to lifeboat's default s3.restore concurrency so both copy 16 at a time. */
const CONCURRENCY = 16;
/** Interleaved rounds of (lifeboat, rclone), each onto fresh buckets; medians are reported. */
const ROUNDS = Number(process.env.BENCH_RESTORE_ROUNDS ?? 5);
/** Every request lifeboat sends for the restore (listings, copies, preflight), per object. */
const REQUESTS_TARGET = 1.1;

function s3(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench-secret' } });
}

async function countObjects(client: S3Client, bucket: string, prefix: string): Promise<number> {
  let n = 0;
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    n += r.KeyCount ?? 0;
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return n;
}

/** Whether rclone can run here; the bench does not install it. */
export function hasRclone(): { ok: true } | { ok: false; reason: string } {
  return spawnSync('rclone', ['version'], { stdio: 'ignore' }).status === 0 ? { ok: true } : { ok: false, reason: 'rclone not installed (apt-get install rclone)' };
}

interface ToolRun {
  m: Measured;
  counts: Record<string, number>;
  listPages: number[];
  maxKeys: string[];
}

export async function restore(motoEndpoint: string, proxy: CountingProxy, tmp: string): Promise<Figure[]> {
  const rows = {
    wall: { id: 'restore-vs-rclone', figure: `restore ${OBJECTS.toLocaleString('en')} × 64 KiB, S3 → S3: wall vs rclone copy`, target: `≤ ${ratio(TARGET)} rclone` },
    requests: { id: 'restore-requests', figure: 'restore: requests per object, listings included (rclone alongside)', target: `≤ ${REQUESTS_TARGET.toFixed(2)}` },
    copies: { id: 'restore-copy-requests', figure: 'restore: CopyObject requests per object', target: '1' },
    pages: { id: 'restore-list-pages', figure: 'restore: objects per list page', target: '1,000' },
  };
  if (!existsSync(join(ROOT, 'dist/src/steps/s3-restore.js'))) {
    const why = 'the s3.restore step is not built (dist/src/steps/s3-restore.js)';
    return Object.values(rows).map((r) => skipped(r.id, r.figure, r.target, why));
  }

  const client = s3(motoEndpoint);
  const src = 'bench-restore-src';
  const targetsOf = (round: number): { lifeboat: string; rclone: string } => ({
    lifeboat: `bench-restore-lifeboat-${round}`,
    rclone: `bench-restore-rclone-${round}`,
  });
  for (let r = 0; r < ROUNDS; r++) for (const b of Object.values(targetsOf(r))) await client.send(new CreateBucketCommand({ Bucket: b }));
  await client.send(new CreateBucketCommand({ Bucket: src }));
  const seedStarted = performance.now();
  const limit = pLimit(32);
  await Promise.all(
    Array.from({ length: OBJECTS }, (_, i) =>
      limit(() => client.send(new PutObjectCommand({ Bucket: src, Key: `data/${String(i).padStart(5, '0')}.bin`, Body: Buffer.alloc(SIZE, i % 251) }))),
    ),
  );
  const seedMs = performance.now() - seedStarted;
  log(`restore: seeded ${OBJECTS} × 64 KiB in ${secs(seedMs)}`);

  const runbook = (bucket: string): string => {
    const file = join(tmp, `restore-${bucket}.yaml`);
    writeFileSync(file, ['version: 1', 'name: bench-restore', 'steps:', '  - id: restore', '    type: s3.restore', `    with: { source: "s3://${src}/data/", target: "s3://${bucket}/data/" }`, ''].join('\n'));
    return file;
  };
  const tool = async (run: () => Promise<Measured>): Promise<ToolRun> => {
    proxy.reset();
    const m = await run();
    return { m, counts: { ...proxy.counts }, listPages: [...proxy.listPages], maxKeys: [...proxy.maxKeys] };
  };
  const lifeboat = (bucket: string, extra: Record<string, string> = {}): Promise<ToolRun> =>
    tool(() => measure(process.execPath, [BIN, 'run', runbook(bucket), '--yes', '--json', '--state-dir', join(tmp, `state-${bucket}`)], { env: cliEnv(proxy.endpoint, extra), cwd: tmp }));

  const rc = hasRclone();
  let rcloneWhy = rc.ok ? '' : rc.reason;
  const rcloneEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RCLONE_CONFIG_MOTO_TYPE: 's3',
    RCLONE_CONFIG_MOTO_PROVIDER: 'Other',
    RCLONE_CONFIG_MOTO_ENDPOINT: proxy.endpoint,
    RCLONE_CONFIG_MOTO_ACCESS_KEY_ID: 'bench',
    RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY: 'bench-secret',
    RCLONE_CONFIG_MOTO_REGION: 'us-east-1',
    RCLONE_CONFIG_MOTO_FORCE_PATH_STYLE: 'true',
    // Not AWS_CA_BUNDLE: rclone refuses to start with the machine's bundle (MOTO-NOTES).
  };
  const lbRuns: ToolRun[] = [];
  const rcRuns: ToolRun[] = [];
  let copied = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const targets = targetsOf(round);
    log(`restore: round ${round + 1}/${ROUNDS}: lifeboat run (s3.restore)`);
    const lb = await lifeboat(targets.lifeboat);
    const lbOut = lastJson<{ outcome: string }>(lb.m.stdout);
    if (lb.m.code !== 0 || lbOut?.outcome !== 'completed') {
      const why = `lifeboat's restore did not complete (exit ${String(lb.m.code)}): ${lb.m.stderr.trim().split('\n').slice(-2).join(' / ').slice(0, 200)}`;
      return Object.values(rows).map((r) => skipped(r.id, r.figure, r.target, why));
    }
    lbRuns.push(lb);
    if (round === 0) copied = await countObjects(client, targets.lifeboat, 'data/');

    if (rc.ok && rcloneWhy === '') {
      log(`restore: round ${round + 1}/${ROUNDS}: rclone copy`);
      const run = await tool(() =>
        measure(
          'rclone',
          ['copy', `moto:${src}/data`, `moto:${targets.rclone}/data`, '--transfers', String(CONCURRENCY), '--checkers', String(CONCURRENCY), '--s3-no-check-bucket', '--stats', '0', '--config', '/dev/null'],
          { env: rcloneEnv, cwd: tmp },
        ),
      );
      const rcCopied = await countObjects(client, targets.rclone, 'data/');
      if (run.m.code === 0 && rcCopied === OBJECTS) rcRuns.push(run);
      else rcloneWhy = `rclone copy failed (exit ${String(run.m.code)}, ${rcCopied} objects): ${run.m.stderr.trim().split('\n').slice(-2).join(' / ').slice(0, 200)}`;
    }
  }
  const lb = lbRuns[0] as ToolRun;
  const rclone: ToolRun | undefined = rcloneWhy === '' && rcRuns.length > 0 ? (rcRuns[0]) : undefined;
  const wallOf = (runs: ToolRun[]): number => median(runs.map((t) => t.m.wallMs));

  const per = (n: number | undefined): string => ((n ?? 0) / OBJECTS).toFixed(2);
  const total = (t: ToolRun): number => Object.values(t.counts).reduce((a, b) => a + b, 0);
  const describe = (t: ToolRun): string =>
    Object.entries(t.counts)
      .sort((a, b) => b[1] - a[1])
      .map(([op, n]) => `${op} ${n}`)
      .join(', ');
  const out: Figure[] = [];
  const wallRow = (row: { id: string; figure: string; target: string }, runs: ToolRun[]): Figure => {
    if (!rclone) return skipped(row.id, row.figure, row.target, rcloneWhy);
    const mine = wallOf(runs);
    const theirs = wallOf(rcRuns);
    const r = mine / theirs;
    return {
      ...row,
      measured: `${ratio(r)} (${secs(mine)} vs ${secs(theirs)})`,
      met: r <= TARGET,
      value: r,
      raw: { lifeboatMs: runs.map((t) => t.m.wallMs), rcloneMs: rcRuns.map((t) => t.m.wallMs), lifeboatRequests: runs[0]?.counts, rcloneRequests: rclone.counts },
    };
  };
  out.push({
    ...wallRow(rows.wall, lbRuns),
    note: `median of ${lbRuns.length} interleaved rounds (lifeboat, rclone; fresh target buckets each), all through one counting proxy in front of moto, ${CONCURRENCY} copies at a time (rclone --transfers ${CONCURRENCY}); seeding took ${secs(seedMs)}`,
  });
  out.push({
    ...rows.requests,
    measured: `${per(total(lb))} (${total(lb)} for ${OBJECTS} objects)${rclone ? `; rclone ${per(total(rclone))}` : `; rclone: ${rcloneWhy}`}`,
    met: total(lb) / OBJECTS <= REQUESTS_TARGET,
    value: total(lb) / OBJECTS,
    note: `counted at the proxy in the first round: lifeboat ${describe(lb)}${rclone ? `; rclone ${describe(rclone)}` : ''}`,
    raw: { lifeboat: lb.counts, rclone: rclone?.counts },
  });
  const copies = (lb.counts.CopyObject ?? 0) + (lb.counts.UploadPartCopy ?? 0);
  out.push({
    ...rows.copies,
    measured: `${per(copies)} (${copies} for ${copied} objects)`,
    met: copies === OBJECTS && copied === OBJECTS,
    value: copies / OBJECTS,
    note: 'counted at the proxy; the SDK retries would count too (none here)',
  });
  const pages = lb.listPages;
  const full = pages.filter((p) => p >= 1000).length;
  const asked = [...new Set(lb.maxKeys.map((k) => k || 'default (1000)'))];
  out.push({
    ...rows.pages,
    measured: `${pages.length} list pages, largest ${Math.max(0, ...pages)}; max-keys asked: ${asked.join(', ')}`,
    met: Math.max(0, ...pages) === 1000 && lb.maxKeys.every((k) => k === '' || k === '1000'),
    value: Math.max(0, ...pages),
    note: `${full} full pages; pages: ${pages.join(', ')}`,
  });
  return out;
}
