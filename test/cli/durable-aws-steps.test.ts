/**
 * The new AWS step types through the built CLI against moto: plan sends nothing mutating,
 * run → rollback restores the world exactly, a role that cannot be assumed is refused before
 * any change, and the crash matrix: kill -9 after every journal entry, then rollback (the
 * world equals its snapshot) or resume (the world equals the reference run's end state).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseJournal, replay } from '../../src/journal/format.js';
import { motoEndpoint, testRoute53, uniqueName } from '../helpers/aws.js';
import { newCluster, newGroup, sizesNow, writerNow } from '../helpers/aws-regional.js';
import { ROOT, runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/proxy.js';

const RUNBOOK = join(ROOT, 'test/fixtures/runbooks/durable-aws.yaml');

interface World {
  group: string;
  clusterId: string;
  zoneId: string;
  zone: string;
  params: string[];
}

async function newWorld(): Promise<World> {
  const group = await newGroup({ min: 1, desired: 1, max: 3 });
  const { clusterId, reader } = await newCluster();
  const zone = `${uniqueName('dwa')}.example.com`;
  const r53 = testRoute53();
  const created = await r53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${zone}-${Date.now()}` }));
  const zoneId = (created.HostedZone?.Id ?? '').replace('/hostedzone/', '');
  const record = `app.${zone}.`;
  await r53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          { Action: 'UPSERT', ResourceRecordSet: { Name: record, Type: 'A', TTL: 60, SetIdentifier: 'blue', Weight: 100, ResourceRecords: [{ Value: '192.0.2.1' }] } },
          { Action: 'UPSERT', ResourceRecordSet: { Name: record, Type: 'A', TTL: 60, SetIdentifier: 'green', Weight: 0, ResourceRecords: [{ Value: '192.0.2.2' }] } },
        ],
      },
    }),
  );
  const params = ['--param', `group=${group}`, '--param', `cluster=${clusterId}`, '--param', `reader=${reader}`, '--param', `zone_id=${zoneId}`, '--param', `record=${record}`];
  return { group, clusterId, zoneId, zone, params };
}

/** Everything the runbook may change, names replaced so two worlds compare. */
async function snapshot(w: World): Promise<string> {
  const sets = await testRoute53().send(new ListResourceRecordSetsCommand({ HostedZoneId: w.zoneId }));
  const writer = await writerNow(w.clusterId);
  const text = JSON.stringify({ sizes: await sizesNow(w.group), writer: writer?.endsWith('-a') ? 'A' : writer?.endsWith('-b') ? 'B' : writer, sets: sets.ResourceRecordSets });
  return text.replaceAll(w.zone, 'ZONE');
}

function runIds(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, 'runs')).sort();
  } catch {
    return [];
  }
}

function explain(r: CliResult): string {
  return `exit ${r.code} (${r.signal ?? 'no signal'})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

async function expectCode(r: Promise<CliResult>, code: number, what: string): Promise<CliResult> {
  const res = await r;
  if (res.code !== code) throw new Error(`${what}: expected exit ${code}, got ${explain(res)}`);
  return res;
}

async function crashAt(w: World, stateDir: string, n: number): Promise<string> {
  const before = runIds(stateDir);
  const r = await runCli(['run', RUNBOOK, '--yes', ...w.params, '--state-dir', stateDir], { env: { LIFEBOAT_TEST_CRASH_AFTER: String(n) } });
  if (r.signal !== 'SIGKILL') throw new Error(`crash at ${n}: the run was not killed: ${explain(r)}`);
  const id = runIds(stateDir).find((x) => !before.includes(x));
  if (!id) throw new Error(`crash at ${n}: no run directory was created`);
  return id;
}

let proxy: RecordingProxy;
beforeAll(async () => {
  proxy = await startRecordingProxy(motoEndpoint());
});
afterAll(async () => proxy.close());

describe('autoscaling.set-capacity, rds.failover-cluster, route53.shift-weights through the CLI', () => {
  test('plan shows every change and sends no mutating request; run then rollback restores the world exactly', async () => {
    const w = await newWorld();
    const before = await snapshot(w);
    proxy.requests.length = 0;
    const plan = await expectCode(runCli(['plan', RUNBOOK, ...w.params], { env: { AWS_ENDPOINT_URL: proxy.endpoint } }), 0, 'plan');
    expect(plan.stdout).toContain(`~ ${w.group}: min 1 → 2, desired 1 → 3, max 3 → 6`);
    expect(plan.stdout).toContain(`~ ${w.clusterId}: writer ${w.clusterId}-a → ${w.clusterId}-b`);
    expect(plan.stdout).toContain('~ stage 1 (50% to green): blue 50, green 50');
    // Query-protocol services (RDS, Auto Scaling, STS) POST every call: the proxy names the actions.
    expect(proxy.requests.some((r) => r.action === 'DescribeDBClusters')).toBe(true);
    expect(proxy.mutatingActions()).toEqual([]);
    expect(await snapshot(w)).toBe(before);

    const sd = tempDir();
    await expectCode(runCli(['run', RUNBOOK, '--yes', ...w.params, '--state-dir', sd]), 0, 'run');
    expect(await sizesNow(w.group)).toEqual({ min: 2, desired: 3, max: 6 });
    expect(await writerNow(w.clusterId)).toBe(`${w.clusterId}-b`);
    const [id] = runIds(sd) as [string];
    const journal = parseJournal(readFileSync(join(sd, 'runs', id, 'journal.jsonl'), 'utf8')).entries;
    const intents = journal.filter((e) => e.type === 'intent') as Array<{ undo: { acted?: { account: string; region: string } } }>;
    expect(intents.map((i) => i.undo.acted)).toEqual([
      expect.objectContaining({ account: '123456789012', region: 'us-west-2' }),
      expect.objectContaining({ account: '123456789012', region: 'us-west-2' }),
      expect.objectContaining({ account: '123456789012' }),
    ]);
    // show reads each undo as a person would (the text journaled with the intent).
    const show = await expectCode(runCli(['show', id, '--state-dir', sd]), 0, 'show');
    expect(show.stdout).toContain(`undo recorded: set Auto Scaling group ${w.group} back to min 1, desired 1, max 3 (account 123456789012, us-west-2)`);
    expect(show.stdout).toContain(`undo recorded: fail DB cluster ${w.clusterId} back to writer ${w.clusterId}-a`);
    expect(show.stdout).toContain('undo recorded: put the weights of app.');
    await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd]), 0, 'rollback');
    expect(await snapshot(w)).toBe(before);
  });

  test('a role that cannot be assumed is refused before any change, naming the role (exit 3)', async () => {
    const w = await newWorld();
    const before = await snapshot(w);
    const dir = tempDir();
    const file = join(dir, 'role.yaml');
    const source = readFileSync(RUNBOOK, 'utf8').replace('aws: { region: us-west-2 }', 'aws: { region: us-west-2, profile: no-such-profile, roleArn: "arn:aws:iam::222222222222:role/dr" }');
    writeFileSync(file, source);
    const r = await runCli(['run', file, '--yes', ...w.params, '--state-dir', tempDir()]);
    expect(r.code, explain(r)).toBe(3);
    expect(r.stderr).toContain('cannot act as role arn:aws:iam::222222222222:role/dr (base profile no-such-profile)');
    expect(r.stderr).toContain('scale-up, failover-db, shift-traffic');
    expect(await snapshot(w)).toBe(before);
  });

  test('rollback refuses when a resource drifted since the run (exit 3), naming step, resource, what it left and what is there now', async () => {
    const w = await newWorld();
    const before = await snapshot(w);
    const sd = tempDir();
    await expectCode(runCli(['run', RUNBOOK, '--yes', ...w.params, '--state-dir', sd]), 0, 'run');
    const [id] = runIds(sd) as [string];
    // Someone resizes the group by hand after the failover.
    const { UpdateAutoScalingGroupCommand } = await import('@aws-sdk/client-auto-scaling');
    const { testAutoScaling } = await import('../helpers/aws-regional.js');
    await testAutoScaling().send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: w.group, DesiredCapacity: 5 }));
    const changed = await snapshot(w);
    const refused = await runCli(['rollback', id, '--yes', '--state-dir', sd]);
    expect(refused.code, explain(refused)).toBe(3);
    const text = refused.stdout + refused.stderr;
    expect(text).toContain('scale-up');
    expect(text).toContain(`Auto Scaling group ${w.group}`);
    expect(text).toContain('min 2, desired 3, max 6');
    expect(text).toContain('min 2, desired 5, max 6');
    expect(await snapshot(w)).toBe(changed);
    // --ignore-drift overrides it: everything goes back to as found.
    await expectCode(runCli(['rollback', id, '--yes', '--ignore-drift', '--state-dir', sd]), 0, 'rollback --ignore-drift');
    expect(await snapshot(w)).toBe(before);
  });

  test('crash after every journal entry: rollback restores the snapshot, resume completes', async () => {
    const ref = await newWorld();
    const before = await snapshot(ref);
    const sd0 = tempDir();
    await expectCode(runCli(['run', RUNBOOK, '--yes', ...ref.params, '--state-dir', sd0]), 0, 'the reference run');
    const after = await snapshot(ref);
    expect(after).not.toBe(before);
    const [fullId] = runIds(sd0) as [string];
    const total = parseJournal(readFileSync(join(sd0, 'runs', fullId, 'journal.jsonl'), 'utf8')).entries.length;
    expect(total).toBeGreaterThan(12);

    const points = Array.from({ length: total }, (_, i) => i + 1);
    const queue = [...points];
    await Promise.all(
      [0, 1].map(async () => {
        for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
          const w = await newWorld();
          const start = await snapshot(w);
          const sd = tempDir();
          const first = await crashAt(w, sd, n);
          await expectCode(runCli(['rollback', first, '--yes', '--state-dir', sd]), 0, `rollback after a crash at entry ${n}`);
          expect(await snapshot(w), `world after rollback of a crash at entry ${n}`).toBe(start);
          const second = await crashAt(w, sd, n);
          await expectCode(runCli(['resume', second, '--yes', '--state-dir', sd]), 0, `resume after a crash at entry ${n}`);
          expect(await snapshot(w), `world after resume of a crash at entry ${n}`).toBe(after);
          const entries = parseJournal(readFileSync(join(sd, 'runs', second, 'journal.jsonl'), 'utf8')).entries;
          expect(replay(entries).end?.outcome).toBe('completed');
        }
      }),
    );
  }, 900_000);
});
