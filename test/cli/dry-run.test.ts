/** `run --dry-run`: the same walk, real read-only calls, and not one mutating request at the server. */
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seedDemo } from '../../src/demo/seed.js';
import { motoEndpoint, testRoute53, uniqueName } from '../helpers/aws.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/proxy.js';

async function zoneSnapshot(zoneId: string) {
  const res = await testRoute53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return res.ResourceRecordSets;
}

let proxy: RecordingProxy;
beforeAll(async () => {
  proxy = await startRecordingProxy(motoEndpoint());
});
afterAll(async () => proxy.close());

describe('run --dry-run against moto', () => {
  test('makes zero mutating calls, leaves the zone unchanged, and still shows the real before → after', async () => {
    const zone = `${uniqueName('dry')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    const before = await zoneSnapshot(zoneId);
    proxy.requests.length = 0;

    const res = await runCli(
      ['run', 'runbooks/dns-failover.yaml', '--dry-run', '--yes', '--confirm', 'confirm-outage=done', '--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`, '--state-dir', tempDir()],
      { env: { AWS_ENDPOINT_URL: proxy.endpoint } },
    );

    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`- app.${zone}. CNAME ttl 300: primary.${zone}`);
    expect(res.stdout).toContain(`+ app.${zone}. CNAME ttl 60: standby.${zone}`);
    expect(res.stdout).toContain('dry-run: not executed');
    // Read-only calls were really made, through the proxy…
    expect(proxy.requests.some((r) => r.method === 'GET' && r.path.includes('/rrset'))).toBe(true);
    // …and nothing else.
    expect(proxy.mutating()).toEqual([]);
    expect(await zoneSnapshot(zoneId)).toEqual(before);
  });

  test('a real run through the same proxy does send the change (the counter can see one)', async () => {
    const zone = `${uniqueName('wet')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    proxy.requests.length = 0;
    const res = await runCli(
      ['run', 'runbooks/dns-failover.yaml', '--yes', '--confirm', 'confirm-outage=done', '--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`, '--state-dir', tempDir()],
      { env: { AWS_ENDPOINT_URL: proxy.endpoint } },
    );
    expect(res.code).toBe(0);
    expect(proxy.mutating().map((r) => r.method)).toContain('POST');
  });
});
