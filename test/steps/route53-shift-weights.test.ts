/**
 * route53.shift-weights against moto, with a local HTTP server as the health check: a
 * healthy check ends at the final weights; a check that turns unhealthy at the second stage
 * fails the step, and the rollback restores both sets exactly.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isReadOnlyCommand } from '../../src/aws/clients.js';
import { listAllSets } from '../../src/aws/route53.js';
import { route53ShiftWeightsType, type ShiftWeightsWith } from '../../src/steps/route53-shift-weights.js';
import { createShiftWeightsStep, stageWeights, type ShiftUndo } from '../../src/steps/route53-shift-weights.js';
import { StepError, type StepContext } from '../../src/steps/types.js';
import { testRoute53, uniqueName } from '../helpers/aws.js';
import { testContext, testStep, type TestStepContext } from '../helpers/step-context.js';

const step = createShiftWeightsStep({ pollIntervalMs: 20 });
const r53 = testRoute53();

/** The health endpoint: answers 200 for the first `healthyFor` requests, then 503. */
let server: Server;
let base = '';
let healthyFor = Infinity;
let hits = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    hits += 1;
    res.statusCode = hits <= healthyFor ? 200 : 503;
    res.end(res.statusCode === 200 ? 'ok' : 'down');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function weightedZone(): Promise<{ zoneId: string; name: string }> {
  const zone = `${uniqueName('sw')}.example.`;
  const res = await r53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: uniqueName('ref') }));
  const zoneId = (res.HostedZone?.Id ?? '').replace('/hostedzone/', '');
  const name = `app.${zone}`;
  await r53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          { Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: 'A', TTL: 60, SetIdentifier: 'blue', Weight: 100, ResourceRecords: [{ Value: '192.0.2.1' }] } },
          { Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: 'A', TTL: 60, SetIdentifier: 'green', Weight: 0, ResourceRecords: [{ Value: '198.51.100.1' }, { Value: '198.51.100.2' }] } },
        ],
      },
    }),
  );
  return { zoneId, name };
}

async function snapshot(zoneId: string): Promise<ResourceRecordSet[]> {
  const sets = await listAllSets(r53, zoneId);
  return sets.sort((a, b) => `${a.Name}${a.Type}${a.SetIdentifier}`.localeCompare(`${b.Name}${b.Type}${b.SetIdentifier}`));
}

async function weights(zoneId: string): Promise<Record<string, number | undefined>> {
  return Object.fromEntries((await snapshot(zoneId)).filter((s) => s.SetIdentifier).map((s) => [s.SetIdentifier, s.Weight]));
}

function withBlock(raw: Record<string, unknown>): ShiftWeightsWith {
  return route53ShiftWeightsType.with.parse(raw);
}

function ctxFor(w: ShiftWeightsWith, overrides: Partial<StepContext> = {}): TestStepContext {
  return testContext(testStep('route53.shift-weights', w), overrides);
}

function changes(ctx: StepContext): number {
  return ctx.aws.requests.byCommand.ChangeResourceRecordSetsCommand ?? 0;
}

describe('route53.shift-weights', () => {
  test('stage weights split the total found (100 when both are 0, at most 255)', () => {
    expect(stageWeights({ from: 100, to: 0 }, [10, 50, 100])).toEqual([
      { from: 90, to: 10 },
      { from: 50, to: 50 },
      { from: 0, to: 100 },
    ]);
    expect(stageWeights({ from: 0, to: 0 }, [25])).toEqual([{ from: 75, to: 25 }]);
    expect(stageWeights({ from: 200, to: 200 }, [50])).toEqual([{ from: 127, to: 128 }]);
    // Small weights found (3 + 1): each stage still sends `to` its percent, never 0 for 10%.
    expect(stageWeights({ from: 3, to: 1 }, [10, 50, 100])).toEqual([
      { from: 90, to: 10 },
      { from: 50, to: 50 },
      { from: 0, to: 100 },
    ]);
  });

  test('plan shows each stage and sends nothing mutating', async () => {
    const { zoneId, name } = await weightedZone();
    const w = withBlock({ zoneId, name, type: 'A', from: 'blue', to: 'green', stages: [10, 50, 100], pause: '1s', check: { url: `${base}/healthz` } });
    const ctx = ctxFor(w);
    const plan = await step.plan(ctx, w);
    expect(plan.summary).toBe(`${name} A: blue 100, green 0 → blue 0, green 100 in 3 stage(s)`);
    expect(plan.lines.filter((l) => l.kind === 'change').map((l) => l.text)).toEqual([
      'stage 1 (10% to green): blue 90, green 10',
      'stage 2 (50% to green): blue 50, green 50',
      'stage 3 (100% to green): blue 0, green 100',
    ]);
    expect(plan.mutating).toBe(true);
    expect(Object.keys(ctx.aws.requests.byCommand).filter((c) => !isReadOnlyCommand(c))).toEqual([]);
  });

  test('healthy check at every stage: ends at the final weights; rollback restores both sets exactly', async () => {
    const { zoneId, name } = await weightedZone();
    const before = await snapshot(zoneId);
    healthyFor = Infinity;
    hits = 0;
    const w = withBlock({ zoneId, name, type: 'A', from: 'blue', to: 'green', stages: [10, 50, 100], check: { url: `${base}/healthz`, timeout: '2s', interval: '50ms' } });
    const ctx = ctxFor(w);
    let changesBeforeRecord = -1;
    const record = ctx.recordUndo;
    ctx.recordUndo = async (u) => {
      changesBeforeRecord = changes(ctx);
      await record(u);
    };
    const result = await step.execute(ctx, w);
    expect(changesBeforeRecord).toBe(0);
    expect(changes(ctx)).toBe(3);
    expect(hits).toBe(3);
    expect(result.outputs).toEqual({ stage: 3 });
    expect(result.left).toMatchObject({ weights: { from: 0, to: 100 } });
    expect(await weights(zoneId)).toEqual({ blue: 0, green: 100 });
    await step.verify?.(ctx, w, result);
    const undo = ctx.undoRecords[0] as ShiftUndo;
    expect(undo.before.map((s) => s.Weight)).toEqual([100, 0]);
    expect(step.describeUndo?.(w, undo)).toContain(`put the weights of ${name} A back to blue 100, green 0`);

    expect((await step.previewUndo?.(ctxFor(w), w, undo, result.left))?.drift).toEqual([]);
    await step.rollback?.(ctxFor(w), w, undo);
    expect(await snapshot(zoneId)).toEqual(before);
  });

  test('a check that turns unhealthy at the second stage fails the step; rollback restores the weights exactly', async () => {
    const { zoneId, name } = await weightedZone();
    const before = await snapshot(zoneId);
    healthyFor = 1; // stage 1's check passes, stage 2's never does
    hits = 0;
    const w = withBlock({ zoneId, name, type: 'A', from: 'blue', to: 'green', stages: [10, 50, 100], check: { url: `${base}/healthz`, timeout: '300ms', interval: '50ms' } });
    const ctx = ctxFor(w);
    const err = await step.execute(ctx, w).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).message).toMatch(/^stage 2 \(50% to green\): check failed: /);
    expect(changes(ctx)).toBe(2); // stage 3 never sent
    expect(await weights(zoneId)).toEqual({ blue: 50, green: 50 });

    // Stopped half-way, no `left`: stage weights are not drift.
    const undo = ctx.undoRecords[0];
    const preview = await step.previewUndo?.(ctxFor(w), w, undo, undefined);
    expect(preview?.drift).toEqual([]);
    expect(preview?.lines).toEqual([{ kind: 'change', text: `${name} A: blue 50, green 50 → blue 100, green 0` }]);
    // Planned again on resume (with the first attempt's record): the rollback line names the weights found first, not those now.
    const replanned = await step.plan(ctxFor(w, { priorUndo: undo }), w);
    expect(replanned.lines.at(-1)).toEqual({ kind: 'info', text: 'rollback restores blue 100, green 0' });
    expect((await step.plan(ctxFor(w), w)).lines.at(-1)).toEqual({ kind: 'info', text: 'rollback restores blue 50, green 50' });
    await step.rollback?.(ctxFor(w), w, undo);
    expect(await snapshot(zoneId)).toEqual(before);
  });

  test('a resumed step goes on from the last stage it completed, keeping the first undo record', async () => {
    const { zoneId, name } = await weightedZone();
    healthyFor = Infinity;
    const w = withBlock({ zoneId, name, type: 'A', from: 'blue', to: 'green', stages: [10, 50, 100] });
    const w2 = withBlock({ zoneId, name, type: 'A', from: 'blue', to: 'green', stages: [10, 50] });
    const first = ctxFor(w2);
    await step.execute(first, w2); // as if the process died after stage 2
    const resumed = ctxFor(w, { priorUndo: first.undoRecords[0] });
    await step.execute(resumed, w);
    expect(resumed.undoRecords).toEqual([]);
    expect(changes(resumed)).toBe(1);
    expect(await weights(zoneId)).toEqual({ blue: 0, green: 100 });
  });

  test('previewUndo reports drift when a weight changed since the step left it', async () => {
    const { zoneId, name } = await weightedZone();
    const w = withBlock({ zoneId, name, type: 'A', from: 'blue', to: 'green', stages: [100] });
    const ctx = ctxFor(w);
    const result = await step.execute(ctx, w);
    const sets = await snapshot(zoneId);
    const green = sets.find((s) => s.SetIdentifier === 'green') as ResourceRecordSet;
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...green, Weight: 40 } }] } }));
    const p = await step.previewUndo?.(ctxFor(w), w, ctx.undoRecords[0], result.left);
    expect(p?.drift).toEqual([{ resource: `${name} A weights [blue, green]`, left: 'blue 0, green 100', now: 'blue 0, green 40' }]);
  });
});
