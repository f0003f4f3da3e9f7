/**
 * rds.failover-cluster: make another instance the writer of an Aurora (or Multi-AZ) DB cluster.
 *
 * - plan reads the cluster: `writer db-a → db-b` (or "a reader RDS picks").
 * - execute journals the writer it found (the undo record) before FailoverDBCluster; with
 *   `wait: available` (default) it polls until the cluster is `available` and the target is
 *   the writer. moto switches the writer at once and never leaves `available`; AWS goes
 *   through `failing-over` for tens of seconds: the poll is written for AWS.
 * - A resumed step that finds the target already writing sends nothing (idempotent).
 * - rollback fails back to the writer found before (and waits for it); previewUndo says the
 *   writer moved when it is no longer the one the step left.
 *
 * Undo record (journaled, plain JSON):
 *   { kind: 'rds.failover-cluster', clusterId: 'app-usw2', writer: 'app-usw2-a', acted: {…} }
 */
import type { DBCluster } from '@aws-sdk/client-rds';
import type { AwsClients } from '../aws/clients.js';
import { formatDuration, parseDuration } from '../runbook/duration.js';
import { z } from 'zod';
import { duration } from '../runbook/fields.js';
import { sleep } from '../util/sleep.js';
import { actedWith, stepClients, undoClients, whereText, type ActedWith } from './aws-scope.js';
import { describeCluster, describeInstance, rdsCall, readersOf, writerOf } from './rds-common.js';
import { pollingStep, undoText } from './aws-step.js';
import { confirmField, defineStepType } from './descriptor.js';
import { StepError, type DriftItem, type PlanLine, type StepContext, type StepImpl, type StepPlan, type StepResult, type UndoPreview } from './types.js';

const UNDO_KIND = 'rds.failover-cluster';

const failoverClusterWith = z.strictObject({
  clusterId: z.string().min(1).describe('The DB cluster identifier'),
  targetInstanceId: z.string().min(1).optional().describe('The reader to promote to writer (default: any healthy reader, as RDS picks)'),
  wait: z.enum(['available', 'none']).optional().describe('available (default): wait until the cluster is available and the target is the writer'),
  waitTimeout: duration.optional().describe('Default 15m'),
});
export type FailoverClusterWith = z.output<typeof failoverClusterWith>;
const DEFAULT_WAIT_TIMEOUT_MS = 15 * 60_000;

export interface FailoverUndo {
  kind: typeof UNDO_KIND;
  clusterId: string;
  /** The writer before the step: the rollback fails back to it. */
  writer: string;
  acted?: ActedWith;
  /** How the undo reads to a person (show, reports, the "still changed" list). */
  text?: string;
}

export interface FailoverLeft {
  clusterId: string;
  writer: string;
}

export interface FailoverOptions {
  /** Time between DescribeDBClusters polls while waiting (default 5 s). */
  pollIntervalMs?: number;
}

function requireWriter(c: DBCluster, clusterId: string): string {
  const writer = writerOf(c);
  if (!writer)
    throw new StepError(`DB cluster ${clusterId} has no writer now (status ${c.Status ?? 'unknown'})`, {
      hint: 'wait until the cluster is available (aws rds describe-db-clusters), then run the step again',
    });
  return writer;
}

function requireMember(c: DBCluster, clusterId: string, instanceId: string): void {
  const members = (c.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier);
  if (!members.includes(instanceId))
    throw new StepError(`DB instance ${instanceId} is not a member of cluster ${clusterId} (members: ${members.join(', ') || 'none'})`, {
      hint: 'set targetInstanceId to one of the cluster\'s readers, or leave it out to let RDS pick one',
    });
}

/** Whether the failover the step asks for is done: the target writes (or, without a target, the writer moved). */
function isDone(writer: string | undefined, previous: string, target: string | undefined): boolean {
  return writer !== undefined && (target === undefined ? writer !== previous : writer === target);
}

export function parseUndo(raw: unknown): FailoverUndo {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  if (!o || o.kind !== UNDO_KIND || typeof o.clusterId !== 'string' || typeof o.writer !== 'string')
    throw new StepError('the undo record of this rds.failover-cluster step is missing or damaged: cannot tell which writer to fail back to', {
      hint: 'find the writer before the failover in the journal\'s intent entry or the cluster\'s events, and fail back by hand (aws rds failover-db-cluster)',
    });
  return raw as FailoverUndo;
}

function parseLeft(raw: unknown): FailoverLeft | undefined {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  return o && typeof o.clusterId === 'string' && typeof o.writer === 'string' ? (raw as FailoverLeft) : undefined;
}

async function failover(ctx: StepContext, clients: AwsClients, clusterId: string, target: string | undefined): Promise<void> {
  const { FailoverDBClusterCommand } = await import('@aws-sdk/client-rds');
  await rdsCall(ctx, clients, 'failing over', `DB cluster ${clusterId}`, (c) =>
    c.send(new FailoverDBClusterCommand({ DBClusterIdentifier: clusterId, ...(target === undefined ? {} : { TargetDBInstanceIdentifier: target }) }), {
      abortSignal: ctx.signal,
    }),
  );
}

/** Poll until the cluster is available and `done(writer)`; returns the writer. */
async function waitFor(
  ctx: StepContext,
  clients: AwsClients,
  clusterId: string,
  done: (writer: string | undefined) => boolean,
  what: string,
  timeoutMs: number,
  intervalMs: number,
): Promise<string> {
  const started = Date.now();
  for (;;) {
    const c = await describeCluster(ctx, clients, clusterId);
    const writer = writerOf(c);
    if (c.Status === 'available' && done(writer) && writer !== undefined) {
      ctx.out.info(`DB cluster ${clusterId} available with writer ${writer} after ${formatDuration(Date.now() - started)}`);
      return writer;
    }
    if (Date.now() - started >= timeoutMs)
      throw new StepError(`DB cluster ${clusterId} is ${c.Status ?? 'unknown'} with writer ${writer ?? 'none'} after ${formatDuration(timeoutMs)}, waiting for ${what}`, {
        hint: `the failover was requested; watch it with aws rds describe-db-clusters --db-cluster-identifier ${clusterId} and its events, or raise waitTimeout`,
      });
    await sleep(intervalMs, ctx.signal);
  }
}

function timeoutOf(w: FailoverClusterWith): number {
  return (w.waitTimeout === undefined ? undefined : parseDuration(w.waitTimeout)) ?? DEFAULT_WAIT_TIMEOUT_MS;
}

async function plan(ctx: StepContext, w: FailoverClusterWith): Promise<StepPlan> {
  const clients = stepClients(ctx);
  const c = await describeCluster(ctx, clients, w.clusterId);
  const writer = requireWriter(c, w.clusterId);
  const readers = readersOf(c);
  if (w.targetInstanceId !== undefined) requireMember(c, w.clusterId, w.targetInstanceId);
  const fingerprint = { clusterId: w.clusterId, writer, members: [...readers, writer].sort() };
  if (w.targetInstanceId === writer)
    return {
      summary: `DB cluster ${w.clusterId}: ${writer} is already the writer: nothing to do`,
      lines: [{ kind: 'info', text: `${w.clusterId}: writer ${writer} (unchanged)` }],
      counts: {},
      mutating: false,
      fingerprint,
    };
  if (readers.length === 0)
    throw new StepError(`DB cluster ${w.clusterId} has no reader to fail over to (only the writer ${writer})`, {
      hint: 'add a reader instance to the cluster first',
    });
  const to = w.targetInstanceId ?? `a reader RDS picks (${readers.join(', ')})`;
  const lines: PlanLine[] = [
    { kind: 'change', text: `${w.clusterId}: writer ${writer} → ${to}` },
    { kind: 'info', text: `status ${c.Status ?? 'unknown'}, engine ${c.Engine ?? '?'}; rollback fails back to ${writer}` },
  ];
  if (w.targetInstanceId !== undefined) {
    const t = await describeInstance(ctx, clients, w.targetInstanceId);
    if (t.DBInstanceStatus !== 'available') lines.push({ kind: 'info', text: `warning: ${w.targetInstanceId} is ${t.DBInstanceStatus ?? 'unknown'}, not available` });
  }
  return { summary: `DB cluster ${w.clusterId}: writer ${writer} → ${to}`, lines, counts: {}, mutating: true, fingerprint };
}

async function execute(ctx: StepContext, w: FailoverClusterWith, o: Required<FailoverOptions>): Promise<StepResult> {
  if (ctx.dryRun) {
    const p = await plan(ctx, w);
    return { outputs: { writer: '', previousWriter: '' }, summary: `dry run, nothing sent: ${p.summary}` };
  }
  const clients = stepClients(ctx);
  const c = await describeCluster(ctx, clients, w.clusterId);
  const target = w.targetInstanceId;
  if (target !== undefined) requireMember(c, w.clusterId, target);
  let undo: FailoverUndo;
  if (ctx.priorUndo === undefined || ctx.priorUndo === null) {
    undo = { kind: UNDO_KIND, clusterId: w.clusterId, writer: requireWriter(c, w.clusterId), acted: await actedWith(clients, ctx.step.aws) };
    if (undo.writer === target) {
      ctx.out.info(`DB cluster ${w.clusterId}: ${target} is already the writer: nothing sent`);
      return { outputs: { writer: target, previousWriter: target }, summary: `${target} already the writer of ${w.clusterId}`, left: { clusterId: w.clusterId, writer: target } };
    }
    undo.text = describeUndo(w, undo);
    await ctx.recordUndo(undo);
  } else {
    undo = parseUndo(ctx.priorUndo);
    if (undo.clusterId !== w.clusterId)
      throw new StepError(`this step's earlier attempt failed over cluster ${undo.clusterId}, but the runbook now says ${w.clusterId}`, {
        hint: 'roll back the earlier run first (lifeboat rollback <run-id>), then run again',
      });
  }
  const now = writerOf(c);
  const timeoutMs = timeoutOf(w);
  let writer: string | undefined = now;
  if (isDone(now, undo.writer, target)) {
    ctx.out.info(`DB cluster ${w.clusterId}: ${now ?? '?'} is the writer already (an earlier attempt): nothing sent`);
  } else if (now !== undefined && now !== undo.writer) {
    // Neither as found nor as asked: someone else moved it since this step began.
    throw new StepError(`DB cluster ${w.clusterId}: writer is ${now}, neither ${undo.writer} (found before) nor ${target ?? 'another reader'}`, {
      hint: 'someone else failed the cluster over since this step began: look at its events before retrying',
    });
  } else {
    if (readersOf(c).length === 0)
      throw new StepError(`DB cluster ${w.clusterId} has no reader to fail over to`, { hint: 'add a reader instance to the cluster first; nothing was changed' });
    await failover(ctx, clients, w.clusterId, target);
    ctx.out.info(`requested failover of DB cluster ${w.clusterId} from ${undo.writer} to ${target ?? 'a reader RDS picks'}${whereText(undo.acted)}`);
  }
  if ((w.wait ?? 'available') === 'available')
    writer = await waitFor(ctx, clients, w.clusterId, (x) => isDone(x, undo.writer, target), target === undefined ? `a writer other than ${undo.writer}` : `${target} as writer`, timeoutMs, o.pollIntervalMs);
  const result = writer ?? target ?? '';
  return {
    outputs: { writer: result, previousWriter: undo.writer },
    summary: `DB cluster ${w.clusterId}: writer ${undo.writer} → ${result || '(switching)'}`,
    ...(result ? { left: { clusterId: w.clusterId, writer: result } satisfies FailoverLeft } : {}),
  };
}

async function verify(ctx: StepContext, w: FailoverClusterWith, result: StepResult): Promise<void> {
  if ((w.wait ?? 'available') === 'none') return; // the switch may still be in progress, by request
  const c = await describeCluster(ctx, stepClients(ctx), w.clusterId);
  const expected = parseLeft(result.left)?.writer ?? w.targetInstanceId;
  const writer = writerOf(c);
  if (expected !== undefined && writer !== expected)
    throw new StepError(`DB cluster ${w.clusterId} reads back with writer ${writer ?? 'none'}, expected ${expected}`, {
      hint: 'another failover may have happened right after this step: look at the cluster\'s events',
    });
}

async function rollback(ctx: StepContext, w: FailoverClusterWith, raw: unknown, o: Required<FailoverOptions>): Promise<void> {
  const undo = parseUndo(raw);
  const clients = await undoClients(ctx, undo.acted);
  const c = await describeCluster(ctx, clients, undo.clusterId);
  if (writerOf(c) === undo.writer && c.Status === 'available') {
    ctx.out.info(`DB cluster ${undo.clusterId}: ${undo.writer} is the writer already: nothing to undo`);
    return;
  }
  requireMember(c, undo.clusterId, undo.writer);
  if (writerOf(c) !== undo.writer) {
    await failover(ctx, clients, undo.clusterId, undo.writer);
    ctx.out.info(`requested failback of DB cluster ${undo.clusterId} to ${undo.writer}`);
  }
  await waitFor(ctx, clients, undo.clusterId, (x) => x === undo.writer, `${undo.writer} as writer`, timeoutOf(w), o.pollIntervalMs);
}

async function previewUndo(ctx: StepContext, w: FailoverClusterWith, raw: unknown, leftRaw: unknown): Promise<UndoPreview> {
  const undo = parseUndo(raw);
  const clients = await undoClients(ctx, undo.acted);
  const c = await describeCluster(ctx, clients, undo.clusterId);
  const now = writerOf(c) ?? 'none';
  const lines: PlanLine[] = [
    now === undo.writer
      ? { kind: 'info', text: `${undo.clusterId}: writer ${now} (already as before)` }
      : { kind: 'change', text: `${undo.clusterId}: writer ${now} → ${undo.writer}` },
  ];
  const drift: DriftItem[] = [];
  const resource = `DB cluster ${undo.clusterId} writer`;
  const left = parseLeft(leftRaw);
  if (left) {
    if (now !== left.writer) drift.push({ resource, left: left.writer, now });
  } else if (w.targetInstanceId !== undefined && now !== undo.writer && now !== w.targetInstanceId) {
    // Stopped before its result: the writer may be the one before or the target, nothing else.
    drift.push({ resource, left: `${undo.writer} or ${w.targetInstanceId}`, now });
  }
  return { lines, drift };
}

function describeUndo(_w: FailoverClusterWith, raw: unknown): string {
  return undoText(raw, parseUndo, (u) => `fail DB cluster ${u.clusterId} back to writer ${u.writer}${whereText(u.acted)}`, 'the cluster cannot be failed back automatically');
}

export function createFailoverClusterStep(opts: FailoverOptions = {}): StepImpl<FailoverClusterWith> {
  return pollingStep(UNDO_KIND, opts, 5000, { plan, execute, verify, rollback, describeUndo, previewUndo });
}

export const rdsFailoverClusterType = defineStepType({
  type: UNDO_KIND,
  description:
    'Fails an Aurora / Multi-AZ DB cluster over to targetInstanceId (or any healthy reader) and waits until it is available; rollback fails back to the writer found before.',
  with: failoverClusterWith,
  outputs: ['writer', 'previousWriter'],
  undo: 'builtin',
  live: true,
  awsServices: ['RDS'],
  confirmation: confirmField('clusterId', { ignoreCase: true }),
  load: async () => createFailoverClusterStep(),
});
