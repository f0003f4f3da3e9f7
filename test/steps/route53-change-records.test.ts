/**
 * route53.change-records against a real moto_server (started by globalSetup). Every test makes
 * its own hosted zone, so tests may run in parallel; every assertion reads the zone back.
 */
import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  type Change,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { describe, expect, test } from 'vitest';
import { AwsClients, isReadOnlyCommand } from '../../src/aws/clients.js';
import { listAllSets, readSets } from '../../src/aws/route53.js';
import { route53ChangeRecordsType, type Route53With } from '../../src/steps/route53-change-records.js';
import { createRoute53Step, parseUndo, type Route53Undo } from '../../src/steps/route53-change-records.js';
import { StepError, type StepContext } from '../../src/steps/types.js';
import { testRoute53, uniqueName } from '../helpers/aws.js';
import { freePort } from '../helpers/moto.js';
import { rejection, testContext, testStep, type TestStepContext } from '../helpers/step-context.js';

const step = createRoute53Step({ pollIntervalMs: 20, batchSpacingMs: 200 });
const r53 = testRoute53();

/** A new hosted zone with a unique name; returns its id (without /hostedzone/) and name (with final dot). */
async function newZone(): Promise<{ zoneId: string; zone: string }> {
  const zone = `${uniqueName('lb')}.example.`;
  const res = await r53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: uniqueName('ref') }));
  return { zoneId: (res.HostedZone?.Id ?? '').replace('/hostedzone/', ''), zone };
}

function rrset(Name: string, Type: ResourceRecordSet['Type'], TTL: number, values: string[], extra: Partial<ResourceRecordSet> = {}): ResourceRecordSet {
  return { Name, Type, TTL, ResourceRecords: values.map((Value) => ({ Value })), ...extra };
}

/** Seed or change records as "another client" would. */
async function change(zoneId: string, changes: Change[]): Promise<void> {
  await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }));
}

const upsert = (set: ResourceRecordSet): Change => ({ Action: 'UPSERT', ResourceRecordSet: set });

/** The zone's full record-set list, sorted: what "restored exactly" is checked against. */
async function snapshot(zoneId: string): Promise<ResourceRecordSet[]> {
  const sets = await listAllSets(r53, zoneId);
  const key = (s: ResourceRecordSet): string => `${s.Name}|${s.Type}|${s.SetIdentifier ?? ''}`;
  return sets.sort((a, b) => key(a).localeCompare(key(b)));
}

/** One set by name/type/set identifier, as moto has it now (null when absent). */
async function getSet(zoneId: string, name: string, type: string, setIdentifier?: string): Promise<ResourceRecordSet | null> {
  const sets = await readSets(r53, zoneId, [{ name, type, setIdentifier }]);
  return [...sets.values()][0] ?? null;
}

/** The `with` block as the runbook loader would hand it over (parsed by the step type's schema). */
function withBlock(raw: Record<string, unknown>): Route53With {
  return route53ChangeRecordsType.with.parse(raw);
}

function ctxFor(w: Route53With, overrides: Partial<StepContext> = {}): TestStepContext {
  return testContext(testStep('route53.change-records', w), overrides);
}

function sentChanges(ctx: StepContext): number {
  return ctx.aws.requests.byCommand.ChangeResourceRecordSetsCommand ?? 0;
}

describe('route53.change-records', () => {
  test('UPSERT of a CNAME and a weighted set plus a CREATE, then rollback restores the zone exactly', async () => {
    const { zoneId, zone } = await newZone();
    await change(zoneId, [
      upsert(rrset(`app.${zone}`, 'CNAME', 300, ['primary.example.com'])),
      upsert(rrset(`w.${zone}`, 'A', 60, ['192.0.2.1'], { SetIdentifier: 'w-blue', Weight: 10 })),
      upsert(rrset(`w.${zone}`, 'A', 60, ['192.0.2.2', '192.0.2.3'], { SetIdentifier: 'w-green', Weight: 20 })),
    ]);
    const before = await snapshot(zoneId);

    const w = withBlock({
      zoneId,
      changes: [
        // Upper case and no final dot: names are case-insensitive, the dot optional.
        { name: `APP.${zone.slice(0, -1)}`, type: 'CNAME', ttl: 60, values: ['standby.example.com'] },
        { name: `w.${zone}`, type: 'A', setIdentifier: 'w-blue', weight: 0, ttl: 60, values: ['192.0.2.9'] },
        { action: 'CREATE', name: `new.${zone}`, type: 'A', ttl: 120, values: ['192.0.2.50'] },
      ],
    });
    const ctx = ctxFor(w);
    const result = await step.execute(ctx, w);
    expect(result.outputs.changeId).toMatch(/^[A-Z0-9]+$/);
    expect(sentChanges(ctx)).toBe(1);

    expect(await getSet(zoneId, `app.${zone}`, 'CNAME')).toEqual(rrset(`app.${zone}`, 'CNAME', 60, ['standby.example.com']));
    expect(await getSet(zoneId, `w.${zone}`, 'A', 'w-blue')).toEqual(rrset(`w.${zone}`, 'A', 60, ['192.0.2.9'], { SetIdentifier: 'w-blue', Weight: 0 }));
    expect(await getSet(zoneId, `w.${zone}`, 'A', 'w-green')).toEqual(
      rrset(`w.${zone}`, 'A', 60, ['192.0.2.2', '192.0.2.3'], { SetIdentifier: 'w-green', Weight: 20 }),
    );
    expect(await getSet(zoneId, `new.${zone}`, 'A')).toEqual(rrset(`new.${zone}`, 'A', 120, ['192.0.2.50']));
    await step.verify?.(ctx, w, result);

    // The undo record: journaled once, before the change, with the sets exactly as they were.
    expect(ctx.undoRecords).toHaveLength(1);
    const undo = ctx.undoRecords[0] as Route53Undo;
    expect(undo).toEqual({
      kind: 'route53.change-records',
      zoneId,
      before: [
        { name: `app.${zone}`, type: 'CNAME', set: rrset(`app.${zone}`, 'CNAME', 300, ['primary.example.com']) },
        { name: `w.${zone}`, type: 'A', setIdentifier: 'w-blue', set: rrset(`w.${zone}`, 'A', 60, ['192.0.2.1'], { SetIdentifier: 'w-blue', Weight: 10 }) },
        { name: `new.${zone}`, type: 'A', set: null },
      ],
      // Where it acted, so the undo acts there too (the suite's moto account and region).
      acted: { account: '123456789012', region: 'us-east-1', scope: { region: 'us-east-1' } },
    });
    expect(step.describeUndo?.(w, undo)).toBe(
      `restore 3 record sets in hosted zone ${zoneId}: app.${zone} CNAME back to primary.example.com (ttl 300); ` +
        `w.${zone} A [w-blue] back to 192.0.2.1 (ttl 60, weight 10); delete new.${zone} A (it did not exist)`,
    );

    const rb = ctxFor(w);
    await step.rollback?.(rb, w, JSON.parse(JSON.stringify(undo)));
    expect(await snapshot(zoneId)).toEqual(before);
    expect(sentChanges(rb)).toBe(1);

    // Rolling back again finds everything restored and sends nothing.
    const again = ctxFor(w);
    await step.rollback?.(again, w, undo);
    expect(sentChanges(again)).toBe(0);
    expect(await snapshot(zoneId)).toEqual(before);
  });

  test('DELETE of an existing record; rollback puts it back exactly', async () => {
    const { zoneId, zone } = await newZone();
    await change(zoneId, [
      upsert(rrset(`old.${zone}`, 'TXT', 600, ['"v=spf1 -all"', '"hello world"'])),
      upsert(rrset(`keep.${zone}`, 'A', 300, ['192.0.2.7'])),
    ]);
    const before = await snapshot(zoneId);
    const w = withBlock({ zoneId, changes: [{ action: 'DELETE', name: `old.${zone}`, type: 'TXT' }], wait: 'none' });

    const planned = await step.plan(ctxFor(w), w);
    expect(planned.counts).toEqual({ records: 1, deletes: 1 });
    expect(planned.lines).toEqual([{ kind: 'remove', text: `old.${zone} TXT ttl 600: "v=spf1 -all", "hello world"` }]);
    expect(planned.summary).toBe(`old.${zone} TXT: "v=spf1 -all", "hello world" → (deleted) (1 record set to change, 1 delete)`);

    const ctx = ctxFor(w);
    const result = await step.execute(ctx, w);
    expect(await getSet(zoneId, `old.${zone}`, 'TXT')).toBeNull();
    expect(await getSet(zoneId, `keep.${zone}`, 'A')).toEqual(rrset(`keep.${zone}`, 'A', 300, ['192.0.2.7']));
    await step.verify?.(ctx, w, result);

    await step.rollback?.(ctxFor(w), w, ctx.undoRecords[0]);
    expect(await snapshot(zoneId)).toEqual(before);
  });

  test('DELETE that names values refuses when the record holds other values', async () => {
    const { zoneId, zone } = await newZone();
    await change(zoneId, [upsert(rrset(`old.${zone}`, 'A', 300, ['192.0.2.1']))]);
    const w = withBlock({ zoneId, changes: [{ action: 'DELETE', name: `old.${zone}`, type: 'A', values: ['192.0.2.99'] }] });
    const ctx = ctxFor(w);
    const err = await rejection(step.execute(ctx, w));
    expect(err.message).toBe(`old.${zone} A is 192.0.2.1, not 192.0.2.99 as the DELETE expects`);
    expect(sentChanges(ctx)).toBe(0);
    expect(await getSet(zoneId, `old.${zone}`, 'A')).toEqual(rrset(`old.${zone}`, 'A', 300, ['192.0.2.1']));
  });

  test('failover PRIMARY/SECONDARY with a health check: swap and round trip', async () => {
    const { zoneId, zone } = await newZone();
    const hc = await r53.send(
      new CreateHealthCheckCommand({
        CallerReference: uniqueName('hc'),
        HealthCheckConfig: { Type: 'HTTP', FullyQualifiedDomainName: `health.${zone.slice(0, -1)}`, Port: 80, ResourcePath: '/healthz' },
      }),
    );
    const healthCheckId = hc.HealthCheck?.Id ?? '';
    expect(healthCheckId).not.toBe('');
    await change(zoneId, [
      upsert(rrset(`api.${zone}`, 'A', 60, ['192.0.2.1'], { SetIdentifier: 'api-primary', Failover: 'PRIMARY', HealthCheckId: healthCheckId })),
      upsert(rrset(`api.${zone}`, 'A', 60, ['198.51.100.1'], { SetIdentifier: 'api-secondary', Failover: 'SECONDARY' })),
    ]);
    const before = await snapshot(zoneId);

    const w = withBlock({
      zoneId,
      changes: [
        { name: `api.${zone}`, type: 'A', ttl: 60, setIdentifier: 'api-primary', failover: 'PRIMARY', healthCheckId, values: ['198.51.100.1'] },
        { name: `api.${zone}`, type: 'A', ttl: 30, setIdentifier: 'api-secondary', failover: 'SECONDARY', values: ['192.0.2.1'] },
      ],
    });
    const ctx = ctxFor(w);
    const result = await step.execute(ctx, w);
    await step.verify?.(ctx, w, result);
    expect(await getSet(zoneId, `api.${zone}`, 'A', 'api-primary')).toEqual(
      rrset(`api.${zone}`, 'A', 60, ['198.51.100.1'], { SetIdentifier: 'api-primary', Failover: 'PRIMARY', HealthCheckId: healthCheckId }),
    );
    expect(await getSet(zoneId, `api.${zone}`, 'A', 'api-secondary')).toEqual(
      rrset(`api.${zone}`, 'A', 30, ['192.0.2.1'], { SetIdentifier: 'api-secondary', Failover: 'SECONDARY' }),
    );

    await step.rollback?.(ctxFor(w), w, ctx.undoRecords[0]);
    expect(await snapshot(zoneId)).toEqual(before);
  });

  test('plan shows before → after with counts and makes only read-only calls', async () => {
    const { zoneId, zone } = await newZone();
    await change(zoneId, [
      upsert(rrset(`app.${zone}`, 'CNAME', 300, ['primary.example.com'])),
      upsert(rrset(`same.${zone}`, 'A', 300, ['192.0.2.5'])),
    ]);
    const before = await snapshot(zoneId);
    const w = withBlock({
      zoneId,
      changes: [
        { name: `app.${zone}`, type: 'CNAME', values: ['standby.example.com'] },
        { name: `same.${zone.toUpperCase()}`, type: 'A', values: ['192.0.2.5'] },
        { action: 'DELETE', name: `gone.${zone}`, type: 'A' },
      ],
    });
    const ctx = ctxFor(w);
    const p = await step.plan(ctx, w);

    expect(p.summary).toBe(`app.${zone} CNAME: primary.example.com → standby.example.com (1 record set to change)`);
    expect(p.counts).toEqual({ records: 1, deletes: 0 });
    expect(p.mutating).toBe(true);
    expect(p.lines).toEqual([
      { kind: 'remove', text: `app.${zone} CNAME ttl 300: primary.example.com` },
      // No ttl in the change: the record keeps its TTL.
      { kind: 'add', text: `app.${zone} CNAME ttl 300: standby.example.com` },
      { kind: 'info', text: `same.${zone} A ttl 300: 192.0.2.5 (unchanged)` },
      { kind: 'info', text: `gone.${zone} A: already absent` },
    ]);
    expect(p.fingerprint).toEqual({
      zoneId,
      records: [
        { key: `app.${zone} CNAME`, set: { Name: `app.${zone}`, ResourceRecords: ['primary.example.com'], TTL: 300, Type: 'CNAME' } },
        { key: `same.${zone} A`, set: { Name: `same.${zone}`, ResourceRecords: ['192.0.2.5'], TTL: 300, Type: 'A' } },
        { key: `gone.${zone} A`, set: null },
      ],
    });

    const commands = Object.keys(ctx.aws.requests.byCommand);
    expect(commands).toEqual(['ListResourceRecordSetsCommand']);
    expect(commands.every(isReadOnlyCommand)).toBe(true);
    expect(ctx.undoRecords).toEqual([]);
    expect(await snapshot(zoneId)).toEqual(before);

    // Nothing to do: not mutating, zero counts.
    const noop = withBlock({ zoneId, changes: [{ name: `app.${zone}`, type: 'CNAME', ttl: 300, values: ['PRIMARY.example.com.'] }] });
    const q = await step.plan(ctxFor(noop), noop);
    expect(q).toMatchObject({ mutating: false, counts: { records: 0, deletes: 0 }, summary: 'nothing to change: 1 record set already as wanted' });
  });

  test('idempotent: a second execute sends nothing; with priorUndo nothing is re-captured', async () => {
    const { zoneId, zone } = await newZone();
    await change(zoneId, [upsert(rrset(`app.${zone}`, 'CNAME', 300, ['primary.example.com']))]);
    const original = await snapshot(zoneId);
    const w = withBlock({ zoneId, changes: [{ name: `app.${zone}`, type: 'CNAME', ttl: 60, values: ['standby.example.com'] }] });

    const first = ctxFor(w);
    await step.execute(first, w);
    const afterFirst = await snapshot(zoneId);
    expect(sentChanges(first)).toBe(1);

    const second = ctxFor(w);
    const res = await step.execute(second, w);
    expect(res.outputs.changeId).toBe('');
    expect(sentChanges(second)).toBe(0);
    expect(await snapshot(zoneId)).toEqual(afterFirst);

    // A resume after a crash that happened after the change: the journaled undo is reused,
    // never replaced by the (already changed) current state, and rollback restores the original.
    const resumed = ctxFor(w, { priorUndo: first.undoRecords[0] });
    await step.execute(resumed, w);
    expect(resumed.undoRecords).toEqual([]);
    expect(sentChanges(resumed)).toBe(0);
    await step.rollback?.(ctxFor(w), w, resumed.priorUndo);
    expect(await snapshot(zoneId)).toEqual(original);

    // A resume after a crash between journaling and the change: it makes the change, still without re-capturing.
    const resumedEarly = ctxFor(w, { priorUndo: first.undoRecords[0] });
    await step.execute(resumedEarly, w);
    expect(resumedEarly.undoRecords).toEqual([]);
    // ≥ 1: moto rejects this CREATE (it saw the same one before) and the step resends it as an UPSERT.
    expect(sentChanges(resumedEarly)).toBeGreaterThanOrEqual(1);
    expect(await snapshot(zoneId)).toEqual(afterFirst);
  });

  test('drift: a change by someone else between capture and write fails naming the record and keeps their value', async () => {
    const { zoneId, zone } = await newZone();
    await change(zoneId, [upsert(rrset(`app.${zone}`, 'CNAME', 300, ['primary.example.com']))]);
    const w = withBlock({ zoneId, changes: [{ name: `app.${zone}`, type: 'CNAME', ttl: 60, values: ['standby.example.com'] }] });

    const ctx = ctxFor(w, {
      recordUndo: async (undo) => {
        ctx.undoRecords.push(structuredClone(undo));
        // Another operator changes the record right after lifeboat read it.
        await change(zoneId, [upsert(rrset(`app.${zone}`, 'CNAME', 300, ['other.example.com']))]);
      },
    });
    const err = await rejection(step.execute(ctx, w));
    expect(err.message).toContain(
      `app.${zone} CNAME changed since it was read (now: other.example.com, expected: primary.example.com); someone else is changing it: look before retrying`,
    );
    expect(err.hint).toBeDefined();
    expect(sentChanges(ctx)).toBe(0);
    expect(await getSet(zoneId, `app.${zone}`, 'CNAME')).toEqual(rrset(`app.${zone}`, 'CNAME', 300, ['other.example.com']));

    // On a resume, a record that is neither as captured nor as wanted is someone else's change too.
    const resumed = ctxFor(w, { priorUndo: ctx.undoRecords[0] });
    const again = await rejection(step.execute(resumed, w));
    expect(again.message).toContain(`app.${zone} CNAME changed since it was read (now: other.example.com, expected: primary.example.com)`);
    expect(sentChanges(resumed)).toBe(0);
    expect(await getSet(zoneId, `app.${zone}`, 'CNAME')).toEqual(rrset(`app.${zone}`, 'CNAME', 300, ['other.example.com']));
  });

  test('drift in TTL only: the message shows the TTLs', async () => {
    const { zoneId, zone } = await newZone();
    await change(zoneId, [upsert(rrset(`app.${zone}`, 'A', 300, ['192.0.2.1']))]);
    const w = withBlock({ zoneId, changes: [{ name: `app.${zone}`, type: 'A', values: ['192.0.2.2'] }] });
    const ctx = ctxFor(w, {
      recordUndo: async () => {
        await change(zoneId, [upsert(rrset(`app.${zone}`, 'A', 5, ['192.0.2.1']))]);
      },
    });
    const err = await rejection(step.execute(ctx, w));
    expect(err.message).toContain(`app.${zone} A changed since it was read (now: 192.0.2.1 (ttl 5), expected: 192.0.2.1 (ttl 300))`);
    expect(await getSet(zoneId, `app.${zone}`, 'A')).toEqual(rrset(`app.${zone}`, 'A', 5, ['192.0.2.1']));
  });

  test('drift between plan and execute shows in the plan fingerprint', async () => {
    const { zoneId, zone } = await newZone();
    await change(zoneId, [upsert(rrset(`app.${zone}`, 'CNAME', 300, ['primary.example.com']))]);
    const w = withBlock({ zoneId, changes: [{ name: `app.${zone}`, type: 'CNAME', values: ['standby.example.com'] }] });
    const p1 = await step.plan(ctxFor(w), w);
    expect((await step.plan(ctxFor(w), w)).fingerprint).toEqual(p1.fingerprint);
    await change(zoneId, [upsert(rrset(`app.${zone}`, 'CNAME', 300, ['other.example.com']))]);
    expect((await step.plan(ctxFor(w), w)).fingerprint).not.toEqual(p1.fingerprint);
  });

  test('a hosted zone that does not exist: a StepError that names it and says what to do', async () => {
    const w = withBlock({ zoneId: '/hostedzone/ZNOSUCHZONE42', changes: [{ name: 'app.example.com', type: 'CNAME', values: ['x.example.com'] }] });
    const planErr = await rejection(step.plan(ctxFor(w), w));
    expect(planErr.message).toBe('hosted zone ZNOSUCHZONE42 does not exist (check the zoneId the step was given; list zones with aws route53 list-hosted-zones)');
    expect(planErr.hint).toContain('aws route53 list-hosted-zones');

    const ctx = ctxFor(w);
    const execErr = await rejection(step.execute(ctx, w));
    expect(execErr.message).toContain('hosted zone ZNOSUCHZONE42 does not exist');
    expect(ctx.undoRecords).toEqual([]);
    expect(sentChanges(ctx)).toBe(0);
  });

  test('an endpoint that does not answer: the error names it and AWS_ENDPOINT_URL', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    // The SDK reads AWS_ENDPOINT_URL from process.env itself (AwsClients' env option does not
    // reach it), so point the process elsewhere while this test's plan runs (tests in a file run
    // one at a time).
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = endpoint;
    let err: StepError;
    try {
      const w = withBlock({ zoneId: 'Z1', changes: [{ name: 'app.example.com', type: 'CNAME', values: ['x.example.com'] }] });
      const ctx = ctxFor(w, { env: { ...process.env }, aws: new AwsClients({ maxAttempts: 1 }) });
      err = await rejection(step.plan(ctx, w));
    } finally {
      process.env.AWS_ENDPOINT_URL = saved;
    }
    expect(err.message).toContain(`the Route 53 endpoint ${endpoint} is not answering (ECONNREFUSED)`);
    expect(err.hint).toContain(`AWS_ENDPOINT_URL is set to ${endpoint}`);
  });

  test('a second rehearsal on the same zone works (moto rejects a CREATE it has seen before)', async () => {
    const { zoneId, zone } = await newZone();
    await change(zoneId, [upsert(rrset(`app.${zone}`, 'CNAME', 300, ['primary.example.com'])), upsert(rrset(`zzz.${zone}`, 'A', 300, ['192.0.2.1']))]);
    const original = await snapshot(zoneId);
    const w = withBlock({
      zoneId,
      changes: [
        { name: `app.${zone}`, type: 'CNAME', ttl: 60, values: ['standby.example.com'] },
        { action: 'CREATE', name: `new.${zone}`, type: 'A', values: ['192.0.2.9'] },
      ],
    });
    for (let round = 1; round <= 3; round++) {
      const ctx = ctxFor(w);
      await step.execute(ctx, w);
      expect(await getSet(zoneId, `app.${zone}`, 'CNAME')).toEqual(rrset(`app.${zone}`, 'CNAME', 60, ['standby.example.com']));
      expect(await getSet(zoneId, `new.${zone}`, 'A')).toEqual(rrset(`new.${zone}`, 'A', 300, ['192.0.2.9']));
      await step.rollback?.(ctxFor(w), w, ctx.undoRecords[0]);
      expect(await snapshot(zoneId)).toEqual(original);
    }
  });

  test('a record outside the zone: Route 53 (moto) rejects the batch; the message names the record', async () => {
    const { zoneId } = await newZone();
    const w = withBlock({ zoneId, changes: [{ name: 'app.elsewhere.test', type: 'A', values: ['192.0.2.1'] }] });
    const err = await rejection(step.execute(ctxFor(w), w));
    expect(err.message).toMatch(/^Route 53 rejected the change to app\.elsewhere\.test\. A in hosted zone \S+: .*not permitted in zone/);
    expect(await getSet(zoneId, 'app.elsewhere.test.', 'A')).toBeNull();
  });

  test('CREATE over an existing, different record set refuses before changing anything', async () => {
    const { zoneId, zone } = await newZone();
    await change(zoneId, [upsert(rrset(`app.${zone}`, 'A', 300, ['192.0.2.1']))]);
    const w = withBlock({ zoneId, changes: [{ action: 'CREATE', name: `app.${zone}`, type: 'A', values: ['192.0.2.2'] }] });
    const ctx = ctxFor(w);
    const err = await rejection(step.execute(ctx, w));
    expect(err.message).toBe(`app.${zone} A already exists (192.0.2.1); CREATE does not replace a record set`);
    expect(err.hint).toContain('UPSERT');
    expect(sentChanges(ctx)).toBe(0);
    expect(await getSet(zoneId, `app.${zone}`, 'A')).toEqual(rrset(`app.${zone}`, 'A', 300, ['192.0.2.1']));
  });

  test('wait: insync polls GetChange, returns quickly on moto and outputs the change id; wait: none does not poll', async () => {
    const { zoneId, zone } = await newZone();
    const w = withBlock({ zoneId, changes: [{ name: `app.${zone}`, type: 'A', values: ['192.0.2.1'] }], wait: 'insync', waitTimeout: '10s' });
    const ctx = ctxFor(w);
    const started = Date.now();
    const result = await step.execute(ctx, w);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.outputs.changeId).toMatch(/^[A-Z0-9]+$/);
    expect(ctx.aws.requests.byCommand.GetChangeCommand).toBeGreaterThanOrEqual(1);
    expect(ctx.lines.some((l) => l.startsWith('Route 53 reports INSYNC after'))).toBe(true);
    expect(await getSet(zoneId, `app.${zone}`, 'A')).toEqual(rrset(`app.${zone}`, 'A', 300, ['192.0.2.1']));

    const w2 = withBlock({ zoneId, changes: [{ name: `app.${zone}`, type: 'A', values: ['192.0.2.2'] }], wait: 'none' });
    const ctx2 = ctxFor(w2);
    const r2 = await step.execute(ctx2, w2);
    expect(r2.outputs.changeId).toMatch(/^[A-Z0-9]+$/);
    expect(ctx2.aws.requests.byCommand.GetChangeCommand).toBeUndefined();
  });

  test('a journaled undo record of the wrong shape is refused, not silently ignored', async () => {
    const w = withBlock({ zoneId: 'Z1', changes: [{ name: 'app.example.com', type: 'A', values: ['192.0.2.1'] }] });
    expect(() => parseUndo({ zoneId: 'Z1' })).toThrow(StepError);
    await expect(step.rollback?.(ctxFor(w), w, { before: 'x' })).rejects.toThrow(/undo record .* is missing or damaged/);
    expect(step.describeUndo?.(w, 42)).toMatch(/^no usable undo record/);
  });

  test('many record sets: batches stay within Route 53 limits and are spaced ≥ 200 ms apart', async () => {
    const { zoneId, zone } = await newZone();
    // 3 record sets of 400 values each: 1200 ResourceRecord elements, more than one request allows.
    const values = (n: number): string[] => Array.from({ length: 400 }, (_, i) => `"v${n}-${i}"`);
    const w = withBlock({
      zoneId,
      changes: [0, 1, 2].map((n) => ({ name: `big${n}.${zone}`, type: 'TXT', ttl: 60, values: values(n) })),
      wait: 'none',
    });
    const sendTimes: number[] = [];
    const ctx = ctxFor(w);
    const client = await ctx.aws.route53();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ChangeResourceRecordSetsCommand') sendTimes.push(Date.now());
        return next(args);
      },
      { step: 'initialize', name: 'testSendTimes' },
    );
    await step.execute(ctx, w);
    expect(sendTimes).toHaveLength(2);
    expect((sendTimes[1] ?? 0) - (sendTimes[0] ?? 0)).toBeGreaterThanOrEqual(195);
    for (const n of [0, 1, 2]) expect((await getSet(zoneId, `big${n}.${zone}`, 'TXT'))?.ResourceRecords).toHaveLength(400);
    await step.rollback?.(ctxFor(w), w, ctx.undoRecords[0]);
    for (const n of [0, 1, 2]) expect(await getSet(zoneId, `big${n}.${zone}`, 'TXT')).toBeNull();
  });
});
