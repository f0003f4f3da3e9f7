/**
 * runbooks/region-failover-full.yaml end to end on the demo world (seeded in the suite's
 * moto under names of its own): backups, standby check, capacity, database writer, staged
 * weights with a health check, restore, announce; then `rollback` puts every resource back
 * exactly as seeded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { seedDemo } from '../../src/demo/seed.js';
import { seedDemoBackups } from '../../src/demo/seed-s3.js';
import { seedDemoRegion } from '../../src/demo/seed-regional.js';
import { motoEndpoint, testRoute53, testS3, uniqueName } from '../helpers/aws.js';
import { sizesNow, writerNow } from '../helpers/aws-regional.js';
import { runCli, tempDir } from '../helpers/cli.js';

let server: Server;
let health = '';
beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  health = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

test('region-failover-full runs end to end on the demo world and rolls back exactly', async () => {
  const endpoint = motoEndpoint();
  const zone = `${uniqueName('full')}.example.com`;
  const { zoneId } = await seedDemo(endpoint, zone);
  const buckets = { backups: uniqueName('full-backups'), data: uniqueName('full-data'), scratch: uniqueName('full-scratch') };
  await seedDemoBackups(endpoint, buckets);
  const region = await seedDemoRegion(endpoint, zoneId, zone, { cluster: uniqueName('full-db'), group: uniqueName('full-web') });

  const snapshot = async (): Promise<string> => {
    const sets = (await testRoute53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets;
    const objects = ((await testS3().send(new ListObjectsV2Command({ Bucket: buckets.data }))).Contents ?? []).map((o) => [o.Key, o.Size, o.ETag]);
    return JSON.stringify({ sets, objects, writer: await writerNow(region.cluster), sizes: await sizesNow(region.group) });
  };
  const before = await snapshot();
  const params = [
    ['zone_id', zoneId],
    ['record', region.weighted],
    ['health_url', health],
    ['cluster', region.cluster],
    ['writer', region.reader],
    ['group', region.group],
    ['backups', buckets.backups],
    ['target', `s3://${buckets.data}/db/`],
  ].flatMap(([k, v]) => ['--param', `${k}=${v}`]);
  const sd = tempDir();
  const run = await runCli(['run', 'runbooks/region-failover-full.yaml', '--yes', '--confirm', `failover-db=${region.cluster}`, ...params, '--state-dir', sd, '--json']);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  const { runId } = JSON.parse(run.stdout) as { runId: string };
  expect(await writerNow(region.cluster)).toBe(region.reader);
  expect(await sizesNow(region.group)).toEqual({ min: 2, desired: 2, max: 4 });
  const weights = (await testRoute53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets?.filter((s) => s.SetIdentifier).map((s) => [s.SetIdentifier, s.Weight]);
  expect(weights).toEqual([
    ['use1', 0],
    ['usw2', 100],
  ]);
  expect(await snapshot()).not.toBe(before);

  // The typed confirmation of the database step is the cluster id: without it, nothing starts.
  const refused = await runCli(['run', 'runbooks/region-failover-full.yaml', '--yes', ...params, '--state-dir', tempDir()]);
  expect(refused.code).toBe(3);
  expect(refused.stderr).toContain(`--confirm failover-db=${region.cluster}`);

  const rollback = await runCli(['rollback', runId, '--yes', '--state-dir', sd]);
  expect(rollback.code, `${rollback.stdout}\n${rollback.stderr}`).toBe(0);
  expect(await snapshot()).toBe(before);
}, 180_000);
