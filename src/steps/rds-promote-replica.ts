/**
 * rds.promote-replica: promote the read replica `instanceId` to a standalone DB instance.
 * It cannot be undone: the loader makes the step `rollback: false` unless the runbook gives
 * an undo command, and it needs a typed confirmation of the instance id.
 *
 * - plan reads the instance: `db-usw2: read replica of db-use1 → standalone (IRREVERSIBLE)`.
 * - execute journals what it is about to do (irreversible: nothing to put back) before
 *   PromoteReadReplica; an instance that is no longer a replica is not promoted again.
 * - `wait: available` (default) polls until the instance is available and names no source.
 *
 * moto (5.2.1) accepts PromoteReadReplica but changes nothing visible: the instance keeps
 * ReadReplicaSourceDBInstanceIdentifier, the source keeps listing it, a second promotion and
 * the promotion of a non-replica are both accepted (AWS: InvalidDBInstanceState). So on
 * moto `wait: available` never sees the promotion finish; the AWS-faithful check is kept.
 */
import type { DBInstance } from '@aws-sdk/client-rds';
import type { AwsClients } from '../aws/clients.js';
import { formatDuration, parseDuration } from '../runbook/duration.js';
import { z } from 'zod';
import { duration } from '../runbook/fields.js';
import { sleep } from '../util/sleep.js';
import { actedWith, stepClients, whereText, type ActedWith } from './aws-scope.js';
import { describeInstance, rdsCall } from './rds-common.js';
import { pollingStep } from './aws-step.js';
import { confirmField, defineStepType } from './descriptor.js';
import { StepError, type PlanLine, type StepContext, type StepImpl, type StepPlan, type StepResult, type UndoPreview } from './types.js';

const UNDO_KIND = 'rds.promote-replica';

const promoteReplicaWith = z.strictObject({
  instanceId: z.string().min(1).describe('The read replica DB instance identifier'),
  backupRetentionPeriod: z.coerce.number().int().min(0).max(35).optional().describe('Days of automated backups on the promoted instance'),
  wait: z.enum(['available', 'none']).optional().describe('available (default): wait until it is available and no longer a replica'),
  waitTimeout: duration.optional().describe('Default 30m'),
});
export type PromoteReplicaWith = z.output<typeof promoteReplicaWith>;
const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;

/** The undo record: the shell step's shapes (`{ none, irreversible }` or `{ run }`) plus what was promoted. */
export interface PromoteUndo {
  kind: typeof UNDO_KIND;
  instanceId: string;
  /** The primary it replicated from, when it was a replica. */
  sourceInstanceId?: string;
  none?: true;
  irreversible?: true;
  run?: string[];
  cwd?: string;
  env?: Record<string, string>;
  timeout?: string;
  acted?: ActedWith;
  /** How the undo reads to a person (show, reports, the "still changed" list). */
  text?: string;
}

export interface PromoteOptions {
  /** Time between DescribeDBInstances polls while waiting (default 10 s). */
  pollIntervalMs?: number;
}

function sourceOf(i: DBInstance): string | undefined {
  return i.ReadReplicaSourceDBInstanceIdentifier || undefined;
}

/** The undo of a step that cannot be undone, as the runbook declared it (rollback: false or a command). */
async function declaredUndo(ctx: StepContext): Promise<Pick<PromoteUndo, 'none' | 'irreversible' | 'run' | 'cwd' | 'env' | 'timeout'>> {
  if (ctx.step.rollback === false || ctx.step.rollback === undefined) return { none: true, irreversible: true };
  const { undoFromRollback } = await import('./shell.js');
  return undoFromRollback(ctx.step.rollback, ctx.runbookDir) as Pick<PromoteUndo, 'run' | 'cwd' | 'env' | 'timeout'>;
}

async function plan(ctx: StepContext, w: PromoteReplicaWith): Promise<StepPlan> {
  const i = await describeInstance(ctx, stepClients(ctx), w.instanceId);
  const source = sourceOf(i);
  const fingerprint = { instanceId: w.instanceId, source: source ?? null };
  if (!source)
    return {
      summary: `DB instance ${w.instanceId} is not a read replica (already standalone): nothing to do`,
      lines: [{ kind: 'info', text: `${w.instanceId}: standalone (unchanged)` }],
      counts: {},
      mutating: false,
      fingerprint,
    };
  const lines: PlanLine[] = [
    { kind: 'change', text: `${w.instanceId}: read replica of ${source} → standalone instance` },
    { kind: 'info', text: `IRREVERSIBLE: ${w.instanceId} stops replicating from ${source} for good; it cannot be made a replica again` },
    { kind: 'info', text: `status ${i.DBInstanceStatus ?? 'unknown'}, engine ${i.Engine ?? '?'}` },
  ];
  return { summary: `promote DB instance ${w.instanceId} (replica of ${source}) to standalone: IRREVERSIBLE`, lines, counts: {}, mutating: true, fingerprint };
}

async function waitPromoted(ctx: StepContext, clients: AwsClients, w: PromoteReplicaWith, intervalMs: number): Promise<void> {
  const timeoutMs = (w.waitTimeout === undefined ? undefined : parseDuration(w.waitTimeout)) ?? DEFAULT_WAIT_TIMEOUT_MS;
  const started = Date.now();
  for (;;) {
    const i = await describeInstance(ctx, clients, w.instanceId);
    const source = sourceOf(i);
    if (i.DBInstanceStatus === 'available' && !source) {
      ctx.out.info(`DB instance ${w.instanceId} is standalone and available after ${formatDuration(Date.now() - started)}`);
      return;
    }
    if (Date.now() - started >= timeoutMs)
      throw new StepError(
        `DB instance ${w.instanceId} is ${i.DBInstanceStatus ?? 'unknown'}${source ? ` and still a replica of ${source}` : ''} after ${formatDuration(timeoutMs)}`,
        { hint: `the promotion was requested and cannot be undone; watch it with aws rds describe-db-instances --db-instance-identifier ${w.instanceId}, or raise waitTimeout` },
      );
    await sleep(intervalMs, ctx.signal);
  }
}

async function execute(ctx: StepContext, w: PromoteReplicaWith, o: Required<PromoteOptions>): Promise<StepResult> {
  if (ctx.dryRun) {
    const p = await plan(ctx, w);
    return { outputs: { instanceId: w.instanceId }, summary: `dry run, nothing sent: ${p.summary}` };
  }
  const clients = stepClients(ctx);
  const i = await describeInstance(ctx, clients, w.instanceId);
  const source = sourceOf(i);
  let undo: PromoteUndo;
  if (ctx.priorUndo === undefined || ctx.priorUndo === null) {
    if (!source) {
      ctx.out.info(`DB instance ${w.instanceId} is not a read replica (already standalone): nothing sent`);
      return { outputs: { instanceId: w.instanceId }, summary: `${w.instanceId} already standalone`, left: { instanceId: w.instanceId } };
    }
    undo = {
      kind: UNDO_KIND,
      instanceId: w.instanceId,
      sourceInstanceId: source,
      ...(await declaredUndo(ctx)),
      acted: await actedWith(clients, ctx.step.aws),
    };
    undo.text = describeUndo(w, undo);
    await ctx.recordUndo(undo);
  } else {
    undo = ctx.priorUndo as PromoteUndo;
  }
  if (source) {
    const { PromoteReadReplicaCommand } = await import('@aws-sdk/client-rds');
    try {
      await rdsCall(ctx, clients, 'promoting', `DB instance ${w.instanceId}`, (c) =>
        c.send(
          new PromoteReadReplicaCommand({
            DBInstanceIdentifier: w.instanceId,
            ...(w.backupRetentionPeriod === undefined ? {} : { BackupRetentionPeriod: w.backupRetentionPeriod }),
          }),
          { abortSignal: ctx.signal },
        ),
      );
    } catch (err) {
      // An earlier attempt's promotion may have gone through: AWS then refuses a second one.
      const again = await describeInstance(ctx, clients, w.instanceId);
      if (sourceOf(again)) throw err;
    }
    ctx.out.info(`requested promotion of DB instance ${w.instanceId} (replica of ${source})${whereText(undo.acted)}`);
  } else {
    ctx.out.info(`DB instance ${w.instanceId} is no longer a replica (an earlier attempt promoted it): nothing sent`);
  }
  if ((w.wait ?? 'available') === 'available') await waitPromoted(ctx, clients, w, o.pollIntervalMs);
  return { outputs: { instanceId: w.instanceId }, summary: `promoted DB instance ${w.instanceId} (was a replica of ${undo.sourceInstanceId ?? '?'})`, left: { instanceId: w.instanceId } };
}

async function verify(ctx: StepContext, w: PromoteReplicaWith): Promise<void> {
  if ((w.wait ?? 'available') === 'none') return; // the promotion may still be in progress, by request
  const i = await describeInstance(ctx, stepClients(ctx), w.instanceId);
  const source = sourceOf(i);
  if (source)
    throw new StepError(`DB instance ${w.instanceId} still reads back as a replica of ${source}`, {
      hint: 'the promotion was requested; look at the instance\'s events (aws rds describe-events --source-identifier …)',
    });
}

async function rollback(ctx: StepContext, _w: PromoteReplicaWith, raw: unknown): Promise<void> {
  const undo = (raw ?? {}) as PromoteUndo;
  if (Array.isArray(undo.run)) {
    const { rollbackFromRecord } = await import('./shell.js');
    await rollbackFromRecord(ctx, { run: undo.run, ...(undo.cwd ? { cwd: undo.cwd } : {}), ...(undo.env ? { env: undo.env } : {}), ...(undo.timeout ? { timeout: undo.timeout } : {}) });
    return;
  }
  ctx.out.info(`"${ctx.step.id}" promoted ${undo.instanceId ?? 'a replica'}: irreversible, nothing undone`);
}

async function previewUndo(_ctx: StepContext, _w: PromoteReplicaWith, raw: unknown): Promise<UndoPreview> {
  const undo = (raw ?? {}) as PromoteUndo;
  return {
    lines: [{ kind: 'info', text: `${undo.instanceId ?? '?'}: promoted, cannot be undone${Array.isArray(undo.run) ? `; the runbook's undo command runs` : ''}` }],
    drift: [],
  };
}

function describeUndo(_w: PromoteReplicaWith, raw: unknown): string {
  const undo = (raw ?? {}) as PromoteUndo;
  if (Array.isArray(undo.run)) return `run ${undo.run.map((a) => JSON.stringify(a)).join(' ')} (the promotion of ${undo.instanceId} itself cannot be undone)`;
  return `IRREVERSIBLE: DB instance ${undo.instanceId ?? '?'} was promoted from ${undo.sourceInstanceId ?? '?'}; nothing will be undone`;
}

export function createPromoteReplicaStep(opts: PromoteOptions = {}): StepImpl<PromoteReplicaWith> {
  return pollingStep(UNDO_KIND, opts, 10_000, { plan, execute, verify, rollback, describeUndo, previewUndo });
}

export const rdsPromoteReplicaType = defineStepType({
  type: UNDO_KIND,
  description: 'Promotes a read replica to a standalone DB instance. Cannot be undone: needs a typed confirmation of the instance id.',
  with: promoteReplicaWith,
  outputs: ['instanceId'],
  undo: 'command',
  live: true,
  irreversible: true,
  awsServices: ['RDS'],
  confirmation: confirmField('instanceId', { ignoreCase: true }),
  load: async () => createPromoteReplicaStep(),
});
