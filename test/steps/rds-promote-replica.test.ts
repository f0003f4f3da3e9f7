/**
 * rds.promote-replica against moto (5.2.1), which accepts PromoteReadReplica but changes
 * nothing visible (the instance keeps naming its source): runs here use `wait: none`, and
 * one test shows the AWS-faithful wait does not take moto's word for a promotion.
 */
import { CreateDBInstanceCommand, CreateDBInstanceReadReplicaCommand } from '@aws-sdk/client-rds';
import { describe, expect, test } from 'vitest';
import { parseRunbook } from '../../src/runbook/load.js';
import { rdsPromoteReplicaType, type PromoteReplicaWith } from '../../src/steps/rds-promote-replica.js';
import { expectedConfirmation, needsTypedConfirmation } from '../../src/steps/invoke.js';
import { createPromoteReplicaStep } from '../../src/steps/rds-promote-replica.js';
import { StepError, type StepContext } from '../../src/steps/types.js';
import { uniqueName } from '../helpers/aws.js';
import { SEED_REGION, testRds } from '../helpers/aws-regional.js';
import { mutatingCommands, testContext, testStep, type TestStepContext } from '../helpers/step-context.js';

const step = createPromoteReplicaStep({ pollIntervalMs: 20 });
const rds = testRds();

async function newReplica(): Promise<{ source: string; replica: string }> {
  const source = uniqueName('src');
  await rds.send(
    new CreateDBInstanceCommand({ DBInstanceIdentifier: source, Engine: 'postgres', DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'admin1', MasterUserPassword: 'password123' }),
  );
  const replica = `${source}-replica`;
  await rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: replica, SourceDBInstanceIdentifier: source }));
  return { source, replica };
}

function withBlock(raw: Record<string, unknown>): PromoteReplicaWith {
  return rdsPromoteReplicaType.with.parse(raw);
}

function ctxFor(w: PromoteReplicaWith, overrides: Partial<StepContext> = {}): TestStepContext {
  return testContext(testStep('rds.promote-replica', w, { aws: { region: SEED_REGION }, rollback: false }), overrides);
}

describe('rds.promote-replica', () => {
  test('the loader makes it irreversible: rollback false and a typed confirmation of the instance id', () => {
    const { runbook } = parseRunbook(
      'version: 1\nname: t\nsteps:\n  - id: promote\n    type: rds.promote-replica\n    with: { instanceId: db-usw2 }\n',
      'rb.yaml',
    );
    const s = runbook?.steps[0];
    expect(s?.rollback).toBe(false);
    expect(s && needsTypedConfirmation(s)).toBe(true);
    expect(s && expectedConfirmation(s, { instanceId: 'db-usw2' })).toBe('db-usw2');
  });

  test('plan says it cannot be undone and sends nothing mutating', async () => {
    const { source, replica } = await newReplica();
    const w = withBlock({ instanceId: replica });
    const ctx = ctxFor(w);
    const plan = await step.plan(ctx, w);
    expect(plan.mutating).toBe(true);
    expect(plan.summary).toBe(`promote DB instance ${replica} (replica of ${source}) to standalone: IRREVERSIBLE`);
    expect(plan.lines[0]).toEqual({ kind: 'change', text: `${replica}: read replica of ${source} → standalone instance` });
    expect(mutatingCommands(ctx)).toEqual([]);
  });

  test('run journals an irreversible undo record before promoting; rollback undoes nothing and says so', async () => {
    const { source, replica } = await newReplica();
    const w = withBlock({ instanceId: replica, wait: 'none' });
    const ctx = ctxFor(w);
    let sentBeforeRecord = -1;
    const record = ctx.recordUndo;
    ctx.recordUndo = async (u) => {
      sentBeforeRecord = ctx.aws.requests.byCommand.PromoteReadReplicaCommand ?? 0;
      await record(u);
    };
    const result = await step.execute(ctx, w);
    expect(sentBeforeRecord).toBe(0);
    expect(ctx.aws.requests.byCommand.PromoteReadReplicaCommand).toBe(1);
    expect(ctx.undoRecords[0]).toMatchObject({ kind: 'rds.promote-replica', instanceId: replica, sourceInstanceId: source, none: true, irreversible: true });
    expect(result.outputs).toEqual({ instanceId: replica });
    expect(step.describeUndo?.(w, ctx.undoRecords[0])).toBe(`IRREVERSIBLE: DB instance ${replica} was promoted from ${source}; nothing will be undone`);
    const back = ctxFor(w);
    await step.rollback?.(back, w, ctx.undoRecords[0]);
    expect(mutatingCommands(back)).toEqual([]);
    expect(back.lines.join('\n')).toContain('irreversible, nothing undone');
    expect((await step.previewUndo?.(back, w, ctx.undoRecords[0], result.left))?.drift).toEqual([]);
  });

  test('wait: available does not take moto at its word: the instance must stop naming its source', async () => {
    const { source, replica } = await newReplica();
    const w = withBlock({ instanceId: replica, waitTimeout: '200ms' });
    const err = await step.execute(ctxFor(w), w).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).message).toContain(`still a replica of ${source}`);
  });
});
