/**
 * Fault injection: runbooks run through the real CLI, with a proxy between lifeboat and moto
 * that answers a share of the requests with S3 SlowDown 503s, Route 53 Throttling and
 * PriorRequestNotComplete 400s (the real error bodies), connection resets and latency; at
 * 30 % also resets after moto acted (the response is lost: the client cannot tell).
 *
 * The promise under test: whatever the faults, a run ends either completed (exit 0) and the
 * world is what a fault-free run makes of it, or failed with a complete rollback (exit 1)
 * and the world is exactly its snapshot from before: never something in between.
 *
 * "The world" is every record set the runbook could touch (SOA/NS aside) and every current
 * object of the buckets concerned, bytes included; names that differ from run to run (zone
 * name, bucket names, the undo id in .lifeboat-undo/<id>/) are normalised, so a run can be
 * compared with a fault-free reference run on twin resources.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ListResourceRecordSetsCommand, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, test } from 'vitest';
import { seedDemo } from '../../src/demo/seed.js';
import { motoEndpoint, testRoute53, uniqueName } from '../helpers/aws.js';
import { ROOT, runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { startFaultProxy, type Fault, type FaultProxy, type FaultProxyOptions } from '../helpers/fault-proxy.js';
import { createBucket, putAll, s3, snapshot } from '../helpers/s3-seed.js';

const RATES = [0.1, 0.3] as const;
/**
 * The faults the SDK retries on its own; at 30 % also `reset-after` (moto acted, the response
 * was lost, the SDK sends the request again), on S3 and Route 53 alike: a Route 53 change
 * whose answer was lost fails its retry, and lifeboat must recognise its own applied change
 * (FAULT_RESET_AFTER_S3_ONLY=1 limits that kind to S3).
 * FAULT_KINDS=a,b and FAULT_SEED=n explore other mixes and seeds by hand.
 */
const RETRIED: Fault[] = ['s3-slowdown', 'route53-throttling', 'route53-prior-request', 'reset', 'latency'];
const kindsAt = (rate: number): Fault[] =>
  (process.env.FAULT_KINDS?.split(',') as Fault[] | undefined) ?? (rate > 0.2 ? [...RETRIED, 'reset-after'] : RETRIED);
const SERVICES: FaultProxyOptions['services'] = process.env.FAULT_RESET_AFTER_S3_ONLY ? { 'reset-after': ['s3'] } : {};
const SEED_OFFSET = Number(process.env.FAULT_SEED ?? 0);

/** Every fault kind the proxy knows, and how many of each were injected over the whole file. */
const totals: Record<string, number> = {};
let runs = 0;
let completed = 0;
let rolledBack = 0;
const proxies: FaultProxy[] = [];

afterAll(async () => {
  for (const p of proxies) {
    for (const [k, n] of Object.entries(p.injected)) totals[k] = (totals[k] ?? 0) + n;
    await p.close();
  }
  const sum = Object.values(totals).reduce((a, b) => a + b, 0);
  const errors = sum - (totals.latency ?? 0);
  console.log(
    `faults: ${sum} injected (${Object.entries(totals).map(([k, n]) => `${k} ${n}`).join(', ')}); ` +
      `${errors} errors and resets survived over ${runs} runs: ${completed} completed, ${rolledBack} failed and rolled back completely`,
  );
});

// ------------------------------------------------------------------ the world, normalised

type World = Record<string, unknown>;

async function zoneWorld(zoneId: string, zone: string): Promise<World> {
  const sets: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string; id?: string } = {};
  for (;;) {
    const r = await testRoute53().send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: start.name, StartRecordType: start.type as never, StartRecordIdentifier: start.id }),
    );
    sets.push(...(r.ResourceRecordSets ?? []));
    if (!r.IsTruncated) break;
    start = { name: r.NextRecordName, type: r.NextRecordType, id: r.NextRecordIdentifier };
  }
  const out: World = {};
  for (const s of sets) {
    if (s.Type === 'SOA' || s.Type === 'NS') continue;
    const name = (s.Name ?? '').split(zone).join('ZONE');
    out[`dns ${name} ${s.Type} ${s.SetIdentifier ?? ''}`] = JSON.parse(JSON.stringify({ ...s, Name: name }).split(zone).join('ZONE')) as unknown;
  }
  return out;
}

async function bucketWorld(label: string, bucket: string): Promise<World> {
  const out: World = {};
  for (const [key, hash] of Object.entries(await snapshot(bucket))) {
    out[`s3 ${label}/${key.replace(/^\.lifeboat-undo\/[^/]+\//, '.lifeboat-undo/*/')}`] = hash;
  }
  return out;
}

// ------------------------------------------------------------------ scenarios

interface Setup {
  params: Record<string, string>;
  /** Flags for this world, e.g. the typed confirmation naming its record. */
  args?: string[];
  world(): Promise<World>;
}

interface Scenario {
  name: string;
  /** The runbook file (absolute). */
  file: string;
  /** Fresh resources, seeded: the params to run with and a way to read the world they make up. */
  setup(index: number): Promise<Setup>;
  extraArgs?: string[];
  /** How many kinds of world setup(index) makes (index modulo this); default 1. */
  variants?: number;
}

function writeRunbook(name: string, text: string): string {
  const file = join(tempDir('lifeboat-faults-'), `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

const dnsFailover: Scenario = {
  name: 'runbooks/dns-failover.yaml',
  file: join(ROOT, 'runbooks/dns-failover.yaml'),
  extraArgs: ['--confirm', 'confirm-outage=done'],
  async setup() {
    const zone = `${uniqueName('flt')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    return {
      params: { zone_id: zoneId, record: `app.${zone}`, standby: `standby.${zone}` },
      world: () => zoneWorld(zoneId, zone),
    };
  },
};

/**
 * Every kind of step that changes AWS, in one runbook: a read-only backup check (a HEAD per
 * object), a DNS change, a restore onto a target that already holds some of the keys
 * (overwrites: preserved copies on an unversioned target, versions on a versioned one), and
 * a last step that fails when asked to, so that the rollback itself runs under faults.
 */
function failoverScenario(fail: boolean): Scenario {
  const file = writeRunbook(
    'fault-failover',
    `version: 1
name: fault-failover
params:
  zone_id: { required: true }
  record: { required: true }
  standby: { required: true }
  src: { required: true }
  dst: { required: true }
  exit: { default: "0" }
steps:
  - id: check-backups
    type: s3.verify-backups
    with: { bucket: "\${{ params.src }}", prefix: db/, maxAge: 1h, minCount: 12, checksums: if-present }
  - id: failover-dns
    type: route53.change-records
    with:
      zoneId: \${{ params.zone_id }}
      changes:
        - { name: "\${{ params.record }}", type: CNAME, ttl: 60, values: ["\${{ params.standby }}"] }
      wait: insync
  - id: restore-db
    type: s3.restore
    with: { source: "s3://\${{ params.src }}/db/", target: "s3://\${{ params.dst }}/db/", concurrency: 4 }
  - id: finish
    type: shell
    with: { run: [node, -e, "process.exit(Number(process.argv[1]))", "\${{ params.exit }}"] }
`,
  );
  return {
    name: `restore + DNS${fail ? ', last step fails' : ''}`,
    file,
    variants: 2,
    async setup(index) {
      const zone = `${uniqueName('fltr')}.example.com`;
      const { zoneId } = await seedDemo(motoEndpoint(), zone);
      const src = await createBucket('flt-src', { versioned: true });
      const dst = await createBucket('flt-dst');
      // Alternate the target's kind: preserved copies (unversioned) or versions.
      if (index % 2 === 1) await s3().send(new PutBucketVersioningCommand({ Bucket: dst, VersioningConfiguration: { Status: 'Enabled' } }));
      const objects: Record<string, string> = {};
      for (let i = 0; i < 12; i++) objects[`db/part-${i}.dump`] = `backup ${i} `.repeat(50 + i);
      await putAll(src, objects);
      await putAll(dst, { 'db/part-1.dump': 'old 1', 'db/part-4.dump': 'old 4', 'db/keep.txt': 'not in the backup', 'other/x': 'untouched' });
      return {
        params: { zone_id: zoneId, record: `app.${zone}`, standby: `standby.${zone}`, src, dst, exit: fail ? '1' : '0' },
        world: async () => ({ ...(await zoneWorld(zoneId, zone)), ...(await bucketWorld('src', src)), ...(await bucketWorld('dst', dst)) }),
      };
    },
  };
}

/** A stand-in for the standby's health endpoint (http.check talks to it directly, not through the proxy). */
let health: Server | undefined;
async function healthUrl(): Promise<string> {
  if (!health) {
    health = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => health?.listen(0, '127.0.0.1', resolve));
  }
  return `http://127.0.0.1:${(health.address() as AddressInfo).port}/healthz`;
}
afterAll(() => health?.close());

/** Nightly exports under db/, each with an S3 checksum (the SDK adds CRC32 by default). */
async function backupsBucket(): Promise<string> {
  const bucket = await createBucket('flt-bak', { versioned: true });
  const objects: Record<string, string> = {};
  for (let i = 0; i < 8; i++) objects[`db/2026-11-2${i % 3}/export-${i}.dump`] = `export ${i} `.repeat(40 + i);
  await putAll(bucket, objects);
  return bucket;
}

const regionFailover: Scenario = {
  name: 'runbooks/region-failover.yaml',
  file: join(ROOT, 'runbooks/region-failover.yaml'),
  async setup() {
    const zone = `${uniqueName('fltg')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    const backups = await backupsBucket();
    const target = await createBucket('flt-usw2');
    await putAll(target, { 'db/2026-11-20/export-0.dump': 'stale copy', 'app/config.json': '{}' });
    return {
      args: ['--confirm', `failover-dns=app.${zone}`],
      params: { zone_id: zoneId, record: `app.${zone}`, standby: `standby.${zone}`, health_url: await healthUrl(), backups, target: `s3://${target}/db/` },
      world: async () => ({ ...(await zoneWorld(zoneId, zone)), ...(await bucketWorld('backups', backups)), ...(await bucketWorld('target', target)) }),
    };
  },
};

const restoreDrill: Scenario = {
  name: 'runbooks/restore-drill.yaml',
  file: join(ROOT, 'runbooks/restore-drill.yaml'),
  async setup() {
    const backups = await backupsBucket();
    const scratch = await createBucket('flt-scratch');
    await putAll(scratch, { 'elsewhere/x': 'not the drill' });
    return {
      params: { backups, scratch: `s3://${scratch}/drill/`, as_of: 'latest' },
      world: async () => ({ ...(await bucketWorld('backups', backups)), ...(await bucketWorld('scratch', scratch)) }),
    };
  },
};

// ------------------------------------------------------------------ running

/** The run report `run --json` prints (schema/report.schema.json): the fields read here. */
interface RunJson {
  runId: string;
  final: string;
  exitCode: number;
}

function parseJson(res: CliResult): RunJson | undefined {
  const line = res.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as RunJson;
  } catch {
    return undefined;
  }
}

async function runThrough(proxy: FaultProxy, scenario: Scenario, world: Setup, params = world.params): Promise<CliResult> {
  const args = ['run', scenario.file, '--yes', '--json', '--state-dir', tempDir('lifeboat-faults-state-'), ...(scenario.extraArgs ?? []), ...(world.args ?? [])];
  for (const [k, v] of Object.entries(params)) args.push('--param', `${k}=${v}`);
  return runCli(args, { env: { AWS_ENDPOINT_URL: proxy.endpoint }, timeoutMs: 120_000 });
}

/** What a fault-free run makes of the world, on twin resources set up the same way (`index`). */
const references = new Map<string, Promise<World>>();
function completedWorld(scenario: Scenario, index: number): Promise<World> {
  const key = `${scenario.name}#${index % (scenario.variants ?? 1)}`;
  let ref = references.get(key);
  if (!ref) {
    ref = (async () => {
      const proxy = await startFaultProxy(motoEndpoint(), { rate: 0, seed: 0 });
      try {
        const twin = await scenario.setup(index);
        const res = await runThrough(proxy, scenario, twin, { ...twin.params, ...('exit' in twin.params ? { exit: '0' } : {}) });
        expect(res.code, `fault-free reference run of ${scenario.name} failed:\n${res.stdout}\n${res.stderr}`).toBe(0);
        return await twin.world();
      } finally {
        await proxy.close();
      }
    })();
    references.set(key, ref);
  }
  return ref;
}

const scenarios: Scenario[] = [
  dnsFailover,
  ...[regionFailover, restoreDrill].filter((s) => existsSync(s.file)),
  // region-failover covers a completing restore + DNS run; without it, this one does.
  ...(existsSync(regionFailover.file) ? [] : [failoverScenario(false)]),
  failoverScenario(true),
];

// The runs wait mostly on the SDK's retry back-off: run them side by side.
describe.concurrent.each(RATES.map((rate) => ({ rate, pct: `${Math.round(rate * 100)} %` })))('at a $pct fault rate', ({ rate }) => {
  test.for(scenarios.map((s, i) => ({ s, i, name: s.name })))(
    '$name ends completed or completely rolled back, never in between',
    { timeout: 150_000 },
    async ({ s, i }, { expect }) => {
      const seed = 1000 * i + Math.round(rate * 100) + SEED_OFFSET;
      const index = i + (rate > 0.2 ? 1 : 0);
      const world = await s.setup(index);
      const before = await world.world();
      const proxy = await startFaultProxy(motoEndpoint(), { rate, seed, faults: kindsAt(rate), services: SERVICES, latencyMs: [20, 150] });
      proxies.push(proxy);

      const res = await runThrough(proxy, s, world);
      proxy.setRate(0);
      runs += 1;
      console.log(
        `${s.name} at ${rate}: exit ${String(res.code)} after ${proxy.log.length} requests, ` +
          `${proxy.errorsInjected()} errors and resets injected, ${proxy.injected.latency} delays`,
      );
      if (process.env.FAULT_VERBOSE) console.log(`${res.stdout}\n${res.stderr}\n${proxy.log.map((r) => `${r.method} ${r.path}${r.fault ? ` <- ${r.fault}` : ''}`).join('\n')}`);
      const after = await world.world();
      const json = parseJson(res);
      const context = `${s.name} at ${rate}: exit ${String(res.code)}, ${proxy.errorsInjected()} errors injected of ${proxy.log.length} requests\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`;

      expect(proxy.log.length, 'the run went through the proxy').toBeGreaterThan(0);
      expect([0, 1], context).toContain(res.code);
      expect(json, context).toBeDefined();
      const failing = s.name.includes('fails');
      if (res.code === 0) {
        expect(failing, `${context}\na run whose last step fails cannot complete`).toBe(false);
        expect(json?.final).toBe('completed');
        expect(after, `completed, but the world is not what a fault-free run makes: ${context}`).toEqual(await completedWorld(s, index));
        completed += 1;
      } else {
        expect(json?.final, context).toBe('rolledBack');
        expect(after, `failed, but the world is not its snapshot from before: ${context}`).toEqual(before);
        rolledBack += 1;
      }
      // At 10 % a request fails all 8 attempts once in 10^8: the run must complete. At 30 %
      // (3 in 10^5 a request) most do; either way the world must be whole.
      if (!failing && rate <= 0.1 && !process.env.FAULT_KINDS) expect(res.code, `at 10 % the SDK's retries should carry the run: ${context}`).toBe(0);
    },
  );
});
