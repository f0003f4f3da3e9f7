/**
 * route53.change-records with alias targets and the latency, geolocation and multivalue
 * routing policies, against moto: each is written as asked, captured exactly and restored
 * exactly. And the step acting in another account through an assumed role.
 */
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListHostedZonesCommand, type ResourceRecordSet, type Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, test } from 'vitest';
import { listAllSets } from '../../src/aws/route53.js';
import { route53ChangeRecordsType, type Route53With } from '../../src/steps/route53-change-records.js';
import { createRoute53Step, type Route53Undo } from '../../src/steps/route53-change-records.js';
import { StepError, type StepContext } from '../../src/steps/types.js';
import { testRoute53, uniqueName } from '../helpers/aws.js';
import { route53AsRole } from '../helpers/aws-regional.js';
import { testContext, testStep, type TestStepContext } from '../helpers/step-context.js';

const step = createRoute53Step({ pollIntervalMs: 20, batchSpacingMs: 50 });
const r53 = testRoute53();

async function newZone(client: Route53Client = r53): Promise<{ zoneId: string; zone: string }> {
  const zone = `${uniqueName('rp')}.example.`;
  const res = await client.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: uniqueName('ref') }));
  return { zoneId: (res.HostedZone?.Id ?? '').replace('/hostedzone/', ''), zone };
}

async function snapshot(zoneId: string, client: Route53Client = r53): Promise<ResourceRecordSet[]> {
  const sets = await listAllSets(client, zoneId);
  return sets.sort((a, b) => `${a.Name}${a.Type}${a.SetIdentifier}`.localeCompare(`${b.Name}${b.Type}${b.SetIdentifier}`));
}

function withBlock(raw: Record<string, unknown>): Route53With {
  return route53ChangeRecordsType.with.parse(raw);
}

function ctxFor(w: Route53With, extra: Parameters<typeof testStep>[2] = {}, overrides: Partial<StepContext> = {}): TestStepContext {
  return testContext(testStep('route53.change-records', w, extra), overrides);
}

describe('route53.change-records: alias, latency, geolocation, multivalue', () => {
  test('an apex alias, latency, geo and multivalue sets are written as asked, and the rollback restores the zone exactly', async () => {
    const { zoneId, zone } = await newZone();
    // What is there before: an alias at the apex, latency sets, geo and multivalue sets.
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            { Action: 'UPSERT', ResourceRecordSet: { Name: zone, Type: 'A', AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'primary-lb-1.us-east-1.elb.amazonaws.com.', EvaluateTargetHealth: true } } },
            { Action: 'UPSERT', ResourceRecordSet: { Name: `api.${zone}`, Type: 'A', TTL: 60, SetIdentifier: 'use1', Region: 'us-east-1', ResourceRecords: [{ Value: '192.0.2.1' }] } },
            { Action: 'UPSERT', ResourceRecordSet: { Name: `eu.${zone}`, Type: 'A', TTL: 60, SetIdentifier: 'eu', GeoLocation: { ContinentCode: 'EU' }, ResourceRecords: [{ Value: '192.0.2.7' }] } },
            { Action: 'UPSERT', ResourceRecordSet: { Name: `mv.${zone}`, Type: 'A', TTL: 60, SetIdentifier: 'mv-1', MultiValueAnswer: true, ResourceRecords: [{ Value: '192.0.2.8' }] } },
          ],
        },
      }),
    );
    const before = await snapshot(zoneId);
    const w = withBlock({
      zoneId,
      changes: [
        { name: zone, type: 'A', alias: { zoneId: '/hostedzone/Z1H1FL5HABSF5', dnsName: 'standby-lb-2.us-west-2.elb.amazonaws.com.', evaluateTargetHealth: true } },
        { name: `api.${zone}`, type: 'A', setIdentifier: 'usw2', region: 'us-west-2', ttl: 60, values: ['198.51.100.1'] },
        { name: `eu.${zone}`, type: 'A', setIdentifier: 'de', geo: { country: 'DE' }, ttl: 60, values: ['198.51.100.2'] },
        { name: `us-wa.${zone}`, type: 'A', setIdentifier: 'wa', geo: { country: 'US', subdivision: 'WA' }, ttl: 60, values: ['198.51.100.3'] },
        { name: `mv.${zone}`, type: 'A', setIdentifier: 'mv-1', multiValue: true, ttl: 60, values: ['198.51.100.4'] },
      ],
    });
    const ctx = ctxFor(w);
    const plan = await step.plan(ctxFor(w), w);
    expect(plan.lines).toContainEqual({ kind: 'add', text: expect.stringContaining('alias → standby-lb-2.us-west-2.elb.amazonaws.com.') });
    await step.execute(ctx, w);
    const after = await snapshot(zoneId);
    // moto lists an alias with TTL 0 (AWS: no TTL); the rest as given, zone id without /hostedzone/.
    const { TTL: _aliasTtl, ...alias } = after.find((s) => s.Name === zone && s.Type === 'A') ?? {};
    expect(alias).toEqual({ Name: zone, Type: 'A', AliasTarget: { HostedZoneId: 'Z1H1FL5HABSF5', DNSName: 'standby-lb-2.us-west-2.elb.amazonaws.com.', EvaluateTargetHealth: true } });
    expect(after).toContainEqual({ Name: `api.${zone}`, Type: 'A', TTL: 60, SetIdentifier: 'usw2', Region: 'us-west-2', ResourceRecords: [{ Value: '198.51.100.1' }] });
    expect(after).toContainEqual({ Name: `eu.${zone}`, Type: 'A', TTL: 60, SetIdentifier: 'de', GeoLocation: { CountryCode: 'DE' }, ResourceRecords: [{ Value: '198.51.100.2' }] });
    expect(after).toContainEqual({ Name: `us-wa.${zone}`, Type: 'A', TTL: 60, SetIdentifier: 'wa', GeoLocation: { CountryCode: 'US', SubdivisionCode: 'WA' }, ResourceRecords: [{ Value: '198.51.100.3' }] });
    expect(after).toContainEqual({ Name: `mv.${zone}`, Type: 'A', TTL: 60, SetIdentifier: 'mv-1', MultiValueAnswer: true, ResourceRecords: [{ Value: '198.51.100.4' }] });
    await step.verify?.(ctx, w, { outputs: {} });
    // The apex alias was captured exactly as listed before the change.
    const undo = ctx.undoRecords[0] as Route53Undo;
    expect(undo.before[0]?.set).toEqual(before.find((s) => s.Name === zone && s.Type === 'A'));

    await step.rollback?.(ctxFor(w), w, undo);
    expect(await snapshot(zoneId)).toEqual(before);
  });

  test('mistakes are refused before anything changes: alias with values, two policies, a policy without setIdentifier', async () => {
    const { zoneId, zone } = await newZone();
    const cases: Array<[Record<string, unknown>, RegExp, RegExp]> = [
      [{ name: zone, type: 'A', alias: { zoneId: 'Z1', dnsName: 'x.example.com' }, values: ['192.0.2.1'] }, /has both an alias and values/, /^an alias record takes alias/],
      [{ name: `a.${zone}`, type: 'A', setIdentifier: 'x', weight: 1, region: 'us-east-1', values: ['192.0.2.1'] }, /mixes routing policies \(weight, region\)/, /^a record set has one routing policy, not weight and region/],
      [{ name: `a.${zone}`, type: 'A', geo: { continent: 'EU' }, values: ['192.0.2.1'] }, /uses geo routing but has no setIdentifier/, /^geo routing needs a setIdentifier/],
      [{ name: `a.${zone}`, type: 'A', setIdentifier: 'g', geo: { continent: 'EU', country: 'DE' }, values: ['192.0.2.1'] }, /geo needs either continent or country/, /^geo needs either continent or country/],
    ];
    for (const [change, message, schemaMessage] of cases) {
      // The with schema refuses it (so validate does, and the param check before a run) ...
      const parsed = route53ChangeRecordsType.with.safeParse({ zoneId, changes: [change] });
      expect(parsed.error?.issues.map((i) => i.message)).toEqual([expect.stringMatching(schemaMessage)]);
      // ... and so does the step, handed the block without the schema.
      const w = { zoneId, changes: [change] } as unknown as Route53With;
      const ctx = ctxFor(w);
      const err = await step.execute(ctx, w).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StepError);
      expect((err as StepError).message).toMatch(message);
      expect(ctx.aws.requests.byCommand.ChangeResourceRecordSetsCommand ?? 0).toBe(0);
    }
  });
});

describe('route53.change-records in another account (aws.roleArn)', () => {
  const roleArn = 'arn:aws:iam::222222222222:role/lifeboat-dr';

  test('a zone only the assumed role can see is changed and restored; the journal names account and role', async () => {
    const asRole = await route53AsRole(roleArn);
    const { zoneId, zone } = await newZone(asRole);
    // The zone is invisible to the default account.
    const mine = await r53.send(new ListHostedZonesCommand({}));
    expect(mine.HostedZones?.some((z) => z.Id?.endsWith(zoneId))).toBe(false);
    await asRole.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `app.${zone}`, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] } }] },
      }),
    );
    const before = await snapshot(zoneId, asRole);
    const w = withBlock({ zoneId, changes: [{ name: `app.${zone}`, type: 'CNAME', ttl: 60, values: ['standby.example.com'] }] });

    // Without the role the zone is not there: refused before any change.
    const without = ctxFor(w);
    const refused = await step.execute(without, w).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(StepError);
    expect(without.aws.requests.byCommand.ChangeResourceRecordSetsCommand ?? 0).toBe(0);

    const ctx = ctxFor(w, { aws: { roleArn, externalId: 'dr-2026' } });
    await step.execute(ctx, w);
    expect(ctx.aws.requests.byCommand.AssumeRoleCommand).toBe(1);
    const after = await snapshot(zoneId, asRole);
    expect(after.find((s) => s.Type === 'CNAME')?.ResourceRecords).toEqual([{ Value: 'standby.example.com' }]);
    const undo = ctx.undoRecords[0] as Route53Undo;
    expect(undo.acted).toMatchObject({ account: '222222222222', roleArn, scope: { roleArn, externalId: 'dr-2026' } });

    // The rollback assumes the journaled role, whatever the step says now.
    await step.rollback?.(ctxFor(w), w, undo);
    expect(await snapshot(zoneId, asRole)).toEqual(before);
    asRole.destroy();
  });
});
