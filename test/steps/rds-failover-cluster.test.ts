/**
 * rds.failover-cluster against moto. Clusters live in us-west-2 while the suite's default
 * region is us-east-1: the step's `aws: { region }` is what finds them. moto switches the
 * writer at once and stays `available`; the step polls as for AWS.
 */
import { FailoverDBClusterCommand } from '@aws-sdk/client-rds';
import { describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { rdsFailoverClusterType, type FailoverClusterWith } from '../../src/steps/rds-failover-cluster.js';
import { createFailoverClusterStep, type FailoverUndo } from '../../src/steps/rds-failover-cluster.js';
import type { StepContext } from '../../src/steps/types.js';
import { newCluster, SEED_REGION, testRds, writerNow } from '../helpers/aws-regional.js';
import { mutatingCommands, regionalContext, rejection, type TestStepContext } from '../helpers/step-context.js';

const step = createFailoverClusterStep({ pollIntervalMs: 20 });
const rds = testRds();

function withBlock(raw: Record<string, unknown>): FailoverClusterWith {
  return rdsFailoverClusterType.with.parse(raw);
}

function ctxFor(w: FailoverClusterWith, overrides: Partial<StepContext> = {}, region: string | null = SEED_REGION): TestStepContext {
  return regionalContext('rds.failover-cluster', w, overrides, region);
}

describe('rds.failover-cluster', () => {
  test('plan shows writer before → after in the step region and sends nothing mutating', async () => {
    const { clusterId, writer, reader } = await newCluster();
    const w = withBlock({ clusterId, targetInstanceId: reader });
    const ctx = ctxFor(w);
    const plan = await step.plan(ctx, w);
    expect(plan.mutating).toBe(true);
    expect(plan.summary).toBe(`DB cluster ${clusterId}: writer ${writer} → ${reader}`);
    expect(plan.lines[0]).toEqual({ kind: 'change', text: `${clusterId}: writer ${writer} → ${reader}` });
    expect(mutatingCommands(ctx)).toEqual([]);
    expect(await writerNow(clusterId)).toBe(writer);
    const err = await rejection(step.plan(ctxFor(w, {}, null), w));
    expect(err.message).toContain(`DB cluster ${clusterId} not found in region us-east-1`);
  });

  test('run journals the writer before failing over, waits for the target; rollback fails back exactly', async () => {
    const { clusterId, writer, reader } = await newCluster();
    const w = withBlock({ clusterId, targetInstanceId: reader });
    const ctx = ctxFor(w);
    const writerAtRecord: unknown[] = [];
    const record = ctx.recordUndo;
    ctx.recordUndo = async (u) => {
      writerAtRecord.push(await writerNow(clusterId));
      await record(u);
    };
    const result = await step.execute(ctx, w);
    expect(writerAtRecord).toEqual([writer]);
    const undo = ctx.undoRecords[0] as FailoverUndo;
    expect(undo).toMatchObject({ kind: 'rds.failover-cluster', clusterId, writer, acted: { account: '123456789012', region: SEED_REGION } });
    expect(result.outputs).toEqual({ writer: reader, previousWriter: writer });
    expect(result.left).toEqual({ clusterId, writer: reader });
    expect(ctx.aws.requests.byCommand.FailoverDBClusterCommand).toBe(1);
    expect(await writerNow(clusterId)).toBe(reader);
    await step.verify?.(ctx, w, result);
    expect(step.describeUndo?.(w, undo)).toBe(`fail DB cluster ${clusterId} back to writer ${writer} (account 123456789012, us-west-2)`);

    const back = ctxFor(w, {}, null); // the journaled region is used, not the runbook's now
    await step.rollback?.(back, w, undo);
    expect(await writerNow(clusterId)).toBe(writer);
    expect(back.aws.requests.byCommand.FailoverDBClusterCommand).toBe(1);
    const again = ctxFor(w);
    await step.rollback?.(again, w, undo);
    expect(mutatingCommands(again)).toEqual([]);
  });

  test('without a target RDS picks a reader; outputs name it', async () => {
    const { clusterId, writer, reader } = await newCluster();
    const w = withBlock({ clusterId });
    const ctx = ctxFor(w);
    const result = await step.execute(ctx, w);
    expect(result.outputs).toEqual({ writer: reader, previousWriter: writer });
    await step.rollback?.(ctxFor(w), w, ctx.undoRecords[0]);
    expect(await writerNow(clusterId)).toBe(writer);
  });

  test('a resumed step keeps the first record and does not fail over twice', async () => {
    const { clusterId, writer, reader } = await newCluster();
    const w = withBlock({ clusterId, targetInstanceId: reader });
    const first = ctxFor(w);
    await step.execute(first, w);
    const resumed = ctxFor(w, { priorUndo: first.undoRecords[0] });
    const result = await step.execute(resumed, w);
    expect(resumed.undoRecords).toEqual([]);
    expect(mutatingCommands(resumed)).toEqual([]);
    expect(result.outputs).toEqual({ writer: reader, previousWriter: writer });
    // Crashed after the undo record, before the failover: the resumed step does it.
    await step.rollback?.(ctxFor(w), w, first.undoRecords[0]);
    const resumedEarly = ctxFor(w, { priorUndo: first.undoRecords[0] });
    await step.execute(resumedEarly, w);
    expect(await writerNow(clusterId)).toBe(reader);
    expect(resumedEarly.undoRecords).toEqual([]);
  });

  test('previewUndo: writer now → after undo; drift when the writer moved since', async () => {
    const { clusterId, writer, reader } = await newCluster();
    const w = withBlock({ clusterId, targetInstanceId: reader });
    const ctx = ctxFor(w);
    const result = await step.execute(ctx, w);
    const undo = ctx.undoRecords[0];
    expect(await step.previewUndo?.(ctxFor(w), w, undo, result.left)).toEqual({
      lines: [{ kind: 'change', text: `${clusterId}: writer ${reader} → ${writer}` }],
      drift: [],
    });
    // Someone fails it back by hand: undoing now would be a surprise failover.
    await rds.send(new FailoverDBClusterCommand({ DBClusterIdentifier: clusterId, TargetDBInstanceIdentifier: writer }));
    const preview = ctxFor(w);
    const p = await step.previewUndo?.(preview, w, undo, result.left);
    expect(p?.drift).toEqual([{ resource: `DB cluster ${clusterId} writer`, left: reader, now: writer }]);
    expect(mutatingCommands(preview)).toEqual([]);
    // Stopped before its result: the writer before or the target is not drift.
    expect((await step.previewUndo?.(ctxFor(w), w, undo, undefined))?.drift).toEqual([]);
  });

  test('a target that is not a member is refused before anything changes', async () => {
    const { clusterId } = await newCluster();
    const w = withBlock({ clusterId, targetInstanceId: 'no-such-instance' });
    const ctx = ctxFor(w);
    const err = await rejection(step.execute(ctx, w));
    expect(err.message).toContain(`DB instance no-such-instance is not a member of cluster ${clusterId}`);
    expect(ctx.undoRecords).toEqual([]);
    expect(mutatingCommands(ctx)).toEqual([]);
  });

  test('read-only clients refuse FailoverDBCluster before sending it', async () => {
    const { clusterId, writer, reader } = await newCluster();
    const w = withBlock({ clusterId, targetInstanceId: reader });
    const aws = new AwsClients({ env: process.env, readOnly: true });
    const err = await step.execute(ctxFor(w, { aws }), w).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain('refused to send FailoverDBCluster');
    expect(aws.refused).toEqual(['FailoverDBClusterCommand']);
    expect(await writerNow(clusterId)).toBe(writer);
  });
});
