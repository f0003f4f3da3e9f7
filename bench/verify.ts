/**
 * verify-backups over 100,000 objects: `lifeboat run` of one s3.verify-backups step
 * (checksums: off: a listing, like the tool it is compared with) against
 * `aws s3api list-objects-v2` of the same prefix, both against the same seeded moto.
 * Peak RSS (GNU time, else VmHWM) and wall time, runs alternated, medians.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, cliEnv, lastJson, log, measure, median, mib, ratio, secs, skipped, type Figure, type Measured } from './lib.js';
import { startSeededMoto } from './seeded-moto.js';

const COUNT = Number(process.env.BENCH_VERIFY_OBJECTS ?? 100_000);
const RUNS = Number(process.env.BENCH_VERIFY_RUNS ?? 2);
const RSS_TARGET = 100 * 1024 * 1024;
const WALL_TARGET = 1.2;

/** The aws cli itself, not pyenv's shim in front of it (which would add its own start-up). */
function awsPath(): string {
  const r = spawnSync('pyenv', ['which', 'aws'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : 'aws';
}

export async function verify(tmp: string): Promise<Figure[]> {
  const rssRow = { id: 'verify-rss', figure: `verify-backups over ${COUNT.toLocaleString('en')} objects: peak RSS`, target: '< 100 MiB' };
  const wallRow = { id: 'verify-vs-aws', figure: `verify-backups over ${COUNT.toLocaleString('en')} objects: wall vs aws s3api list-objects-v2`, target: `≤ ${ratio(WALL_TARGET)} aws cli` };
  if (spawnSync('aws', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return [skipped(rssRow.id, rssRow.figure, rssRow.target, 'no aws cli'), skipped(wallRow.id, wallRow.figure, wallRow.target, 'no aws cli')];
  }
  log(`verify: seeding ${COUNT} objects into a second moto (in-process)`);
  const moto = await startSeededMoto({ bucket: 'bench-verify-backups', prefix: 'backups/', count: COUNT, size: 16 });
  try {
    log(`verify: seeded in ${moto.seedSeconds} s`);
    const file = join(tmp, 'verify.yaml');
    writeFileSync(
      file,
      ['version: 1', 'name: bench-verify', 'steps:', '  - id: verify', '    type: s3.verify-backups', `    with: { bucket: ${moto.bucket}, prefix: ${moto.prefix}, maxAge: 1h, minCount: ${COUNT}, checksums: off }`, ''].join('\n'),
    );
    const aws = awsPath();
    const awsEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench-secret',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const lb: Measured[] = [];
    const cli: Measured[] = [];
    let requests: number | undefined;
    let summary = '';
    for (let i = 0; i < RUNS; i++) {
      const state = join(tmp, `verify-state-${i}`);
      log(`verify: lifeboat run ${i + 1}/${RUNS}`);
      const m = await measure(process.execPath, [BIN, 'run', file, '--yes', '--json', '--state-dir', state], { env: cliEnv(moto.endpoint), cwd: tmp, rss: true });
      // --json prints the run report: `final` is how the run ended, each step with its outputs.
      const out = lastJson<{ final?: string; steps?: Array<{ id: string; outputs?: { count?: number } }> }>(m.stdout);
      const count = out?.steps?.find((st) => st.id === 'verify')?.outputs?.count;
      if (m.code !== 0 || out?.final !== 'completed' || count !== COUNT) {
        const why = `lifeboat's verify-backups did not pass (exit ${String(m.code)}, count ${String(count)}): ${m.stderr.trim().split('\n').slice(-2).join(' / ').slice(0, 200)}`;
        return [skipped(rssRow.id, rssRow.figure, rssRow.target, why), skipped(wallRow.id, wallRow.figure, wallRow.target, why)];
      }
      lb.push(m);
      const run = readdirSync(join(state, 'runs'))[0] as string;
      for (const line of readFileSync(join(state, 'runs', run, 'journal.jsonl'), 'utf8').trim().split('\n')) {
        const e = JSON.parse(line) as { type: string; requests?: number; summary?: string };
        if (e.type === 'result') {
          requests = e.requests;
          summary = e.summary ?? '';
        }
      }
      log(`verify: aws s3api list-objects-v2 ${i + 1}/${RUNS}`);
      const a = await measure(aws, ['--endpoint-url', moto.endpoint, 's3api', 'list-objects-v2', '--bucket', moto.bucket, '--prefix', moto.prefix], { env: awsEnv, cwd: tmp, rss: true, stdout: 'ignore' });
      if (a.code !== 0) {
        const why = `aws s3api list-objects-v2 failed (exit ${String(a.code)}): ${a.stderr.trim().split('\n').pop() ?? ''}`;
        return [skipped(wallRow.id, wallRow.figure, wallRow.target, why), skipped(rssRow.id, rssRow.figure, rssRow.target, why)];
      }
      cli.push(a);
    }
    const lbWall = median(lb.map((m) => m.wallMs));
    const cliWall = median(cli.map((m) => m.wallMs));
    const lbRss = Math.max(...lb.map((m) => m.peakRss ?? 0));
    const cliRss = Math.max(...cli.map((m) => m.peakRss ?? 0));
    const r = lbWall / cliWall;
    const how = `moto seeded in-process in ${moto.seedSeconds} s, its pages served from a sorted index of the bucket, not a scan of every key a page (bench/seeded-moto.ts); ${RUNS} runs each, alternated`;
    return [
      {
        ...rssRow,
        measured: lbRss ? `${mib(lbRss)} (aws cli: ${mib(cliRss)})` : 'not measurable here',
        met: lbRss ? lbRss < RSS_TARGET : null,
        value: lbRss / 1024 / 1024,
        note: `whole lifeboat process (node + SDK), max over runs; ${summary}`,
        raw: { lifeboatPeakRss: lb.map((m) => m.peakRss), awsCliPeakRss: cli.map((m) => m.peakRss) },
      },
      {
        ...wallRow,
        measured: `${ratio(r)} (${secs(lbWall)} vs ${secs(cliWall)})`,
        met: r <= WALL_TARGET,
        value: r,
        note: `${requests ?? '?'} requests by lifeboat (pages of 1,000); ${how}`,
        raw: { lifeboatMs: lb.map((m) => m.wallMs), awsCliMs: cli.map((m) => m.wallMs), requests },
      },
    ];
  } finally {
    await moto.stop();
  }
}
