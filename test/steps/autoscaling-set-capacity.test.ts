/**
 * autoscaling.set-capacity against moto. Groups live in us-west-2 while the suite's default
 * region is us-east-1: the step's `aws: { region }` is what finds them.
 */
import { UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { autoscalingSetCapacityType, type SetCapacityWith } from '../../src/steps/autoscaling-set-capacity.js';
import { createSetCapacityStep, type SetCapacityUndo } from '../../src/steps/autoscaling-set-capacity.js';
import type { StepContext } from '../../src/steps/types.js';
import { newGroup, SEED_REGION, sizesNow, testAutoScaling } from '../helpers/aws-regional.js';
import { mutatingCommands, regionalContext, rejection, type TestStepContext } from '../helpers/step-context.js';

const step = createSetCapacityStep({ pollIntervalMs: 20 });
const asg = testAutoScaling();

function withBlock(raw: Record<string, unknown>): SetCapacityWith {
  return autoscalingSetCapacityType.with.parse(raw);
}

function ctxFor(w: SetCapacityWith, overrides: Partial<StepContext> = {}, region: string | null = SEED_REGION): TestStepContext {
  return regionalContext('autoscaling.set-capacity', w, overrides, region);
}

describe('autoscaling.set-capacity', () => {
  test('plan reads the group in the step region, shows the sizes before → after and sends nothing mutating', async () => {
    const group = await newGroup({ min: 1, desired: 1, max: 3 });
    const w = withBlock({ group, min: 2, desired: 4, max: 6 });
    const ctx = ctxFor(w);
    const plan = await step.plan(ctx, w);
    expect(plan.mutating).toBe(true);
    expect(plan.summary).toBe(`group ${group}: min 1 → 2, desired 1 → 4, max 3 → 6`);
    expect(plan.lines).toEqual([{ kind: 'change', text: `${group}: min 1 → 2, desired 1 → 4, max 3 → 6` }]);
    expect(mutatingCommands(ctx)).toEqual([]);
    expect(await sizesNow(group)).toEqual({ min: 1, desired: 1, max: 3 });

    // Without the step's region the run's default (us-east-1) is used: the group is not there.
    const err = await rejection(step.plan(ctxFor(w, {}, null), w));
    expect(err.message).toContain(`Auto Scaling group ${group} not found in region us-east-1`);
  });

  test('run journals the sizes before the change, sets them, verifies; rollback restores them exactly', async () => {
    const group = await newGroup({ min: 1, desired: 1, max: 3 });
    const w = withBlock({ group, min: 2, desired: 3, max: 5, wait: 'in-service' });
    const seenAtRecord: unknown[] = [];
    const ctx = ctxFor(w);
    const record = ctx.recordUndo;
    ctx.recordUndo = async (u) => {
      seenAtRecord.push(await sizesNow(group)); // the world when the undo record is written
      await record(u);
    };
    const result = await step.execute(ctx, w);
    expect(seenAtRecord).toEqual([{ min: 1, desired: 1, max: 3 }]);
    expect(ctx.undoRecords).toHaveLength(1);
    const undo = ctx.undoRecords[0] as SetCapacityUndo;
    expect(undo).toMatchObject({ kind: 'autoscaling.set-capacity', group, min: 1, desired: 1, max: 3, acted: { account: '123456789012', region: SEED_REGION, scope: { region: SEED_REGION } } });
    expect(result.outputs).toEqual({ previousMin: 1, previousDesired: 1, previousMax: 3 });
    expect(result.left).toEqual({ group, min: 2, desired: 3, max: 5 });
    expect(await sizesNow(group)).toEqual({ min: 2, desired: 3, max: 5 });
    await step.verify?.(ctx, w, result);
    expect(step.describeUndo?.(w, undo)).toBe(`set Auto Scaling group ${group} back to min 1, desired 1, max 3 (account 123456789012, us-west-2)`);

    // The rollback uses the region journaled with the undo, even from a context without it.
    const back = ctxFor(w, {}, null);
    await step.rollback?.(back, w, undo);
    expect(await sizesNow(group)).toEqual({ min: 1, desired: 1, max: 3 });
    // A second rollback finds nothing to do and sends nothing.
    const again = ctxFor(w);
    await step.rollback?.(again, w, undo);
    expect(mutatingCommands(again)).toEqual([]);
  });

  test('a resumed step keeps the first undo record and sends nothing when the sizes are already set', async () => {
    const group = await newGroup({ min: 1, desired: 1, max: 3 });
    const w = withBlock({ group, desired: 2 });
    const first = ctxFor(w);
    await step.execute(first, w);
    const prior = first.undoRecords[0];
    const resumed = ctxFor(w, { priorUndo: prior });
    const result = await step.execute(resumed, w);
    expect(resumed.undoRecords).toEqual([]);
    expect(mutatingCommands(resumed)).toEqual([]);
    expect(result.outputs).toEqual({ previousMin: 1, previousDesired: 1, previousMax: 3 });
  });

  test('a resumed step refuses when someone else changed the sizes since it began', async () => {
    const group = await newGroup({ min: 1, desired: 1, max: 3 });
    const w = withBlock({ group, desired: 2 });
    const first = ctxFor(w);
    await step.execute(first, w);
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group, MaxSize: 7 }));
    const resumed = ctxFor(w, { priorUndo: first.undoRecords[0] });
    const err = await rejection(step.execute(resumed, w));
    expect(err.message).toContain(`group ${group} is at min 1, desired 2, max 7: neither as found (min 1, desired 1, max 3)`);
    expect(mutatingCommands(resumed)).toEqual([]);
  });

  test('previewUndo: now → after undo, and drift when the sizes changed behind its back', async () => {
    const group = await newGroup({ min: 1, desired: 1, max: 3 });
    const w = withBlock({ group, min: 2, desired: 2, max: 4 });
    const ctx = ctxFor(w);
    const result = await step.execute(ctx, w);
    const undo = ctx.undoRecords[0];
    const clean = await step.previewUndo?.(ctxFor(w), w, undo, result.left);
    expect(clean).toEqual({ lines: [{ kind: 'change', text: `${group}: min 2 → 1, desired 2 → 1, max 4 → 3` }], drift: [] });

    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group, DesiredCapacity: 3 }));
    const preview = ctxFor(w);
    const drifted = await step.previewUndo?.(preview, w, undo, result.left);
    expect(drifted?.drift).toEqual([{ resource: `Auto Scaling group ${group}`, left: 'min 2, desired 2, max 4', now: 'min 2, desired 3, max 4' }]);
    expect(mutatingCommands(preview)).toEqual([]);

    // Stopped before its result (no `left`): a mix of before and after is not drift, anything else is.
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group, DesiredCapacity: 1 }));
    expect((await step.previewUndo?.(ctxFor(w), w, undo, undefined))?.drift).toEqual([]);
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group, MaxSize: 9 }));
    expect((await step.previewUndo?.(ctxFor(w), w, undo, undefined))?.drift).toHaveLength(1);
  });

  test('inconsistent sizes are refused before anything changes', async () => {
    const group = await newGroup({ min: 1, desired: 1, max: 3 });
    const w = withBlock({ group, min: 5 });
    const ctx = ctxFor(w);
    const err = await rejection(step.execute(ctx, w));
    expect(err.message).toContain('is not min ≤ desired ≤ max');
    expect(mutatingCommands(ctx)).toEqual([]);
  });

  test('read-only clients (plan, --dry-run) refuse UpdateAutoScalingGroup before sending it', async () => {
    const group = await newGroup({ min: 1, desired: 1, max: 3 });
    const w = withBlock({ group, desired: 2 });
    const aws = new AwsClients({ env: process.env, readOnly: true });
    const ctx = ctxFor(w, { aws });
    // Execute as if it were a real run: the guard, not the step, stops the change.
    const err = await step.execute(ctx, w).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain('refused to send UpdateAutoScalingGroup');
    expect(aws.refused).toEqual(['UpdateAutoScalingGroupCommand']);
    expect(await sizesNow(group)).toEqual({ min: 1, desired: 1, max: 3 });
  });
});
