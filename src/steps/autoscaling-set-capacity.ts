/**
 * autoscaling.set-capacity: set min, desired and max of an Auto Scaling group.
 *
 * - plan reads the group and shows `min 1 → 2, desired 1 → 4, max 3 → 6`.
 * - execute journals the sizes it found (the undo record) before UpdateAutoScalingGroup; a
 *   resumed step keeps the first record and only sends what is still missing.
 * - rollback restores the previous min/desired/max in one call; previewUndo compares the
 *   group with the sizes the step left: a size changed since is drift.
 *
 * Undo record (journaled, plain JSON):
 *   { kind: 'autoscaling.set-capacity', group: 'web-usw2', min: 1, desired: 1, max: 3,
 *     acted: { account, region, roleArn?, scope? } }
 */
import type { AutoScalingClient, AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { AwsClients } from '../aws/clients.js';
import { formatDuration, parseDuration } from '../runbook/duration.js';
import { z } from 'zod';
import { duration, fieldsIssue } from '../runbook/fields.js';
import { isAbortError, sleep } from '../util/sleep.js';
import { actedWith, stepClients, undoClients, whereText, type ActedWith } from './aws-scope.js';
import { awsStepError, pollingStep, undoText } from './aws-step.js';
import { confirmField, defineStepType } from './descriptor.js';
import { StepError, type DriftItem, type PlanLine, type StepContext, type StepImpl, type StepPlan, type StepResult, type UndoPreview } from './types.js';

const UNDO_KIND = 'autoscaling.set-capacity';

const setCapacityWith = z
  .strictObject({
    group: z.string().min(1).describe('The Auto Scaling group name'),
    min: z.coerce.number().int().nonnegative().optional(),
    desired: z.coerce.number().int().nonnegative().optional(),
    max: z.coerce.number().int().nonnegative().optional(),
    wait: z.enum(['none', 'in-service']).optional().describe('in-service: wait until `desired` instances are InService (default none)'),
    waitTimeout: duration.optional().describe('Default 10m'),
  })
  .superRefine((w, ctx) => {
    const sizes = ['min', 'desired', 'max'] as const;
    if (sizes.every((k) => w[k] === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give at least one of min, desired, max, e.g. with: { group: web, min: 2, desired: 4, max: 8 }' });
      return;
    }
    // The sizes given must be in order; one left out keeps the group's (checked when the step runs).
    for (const [small, large] of [['min', 'desired'], ['desired', 'max'], ['min', 'max']] as const) {
      const a = w[small];
      const b = w[large];
      if (a !== undefined && b !== undefined && a > b) {
        fieldsIssue(ctx, large, sizes, `${small} ${a} is above ${large} ${b}: give min ≤ desired ≤ max`);
        return;
      }
    }
  });
export type SetCapacityWith = z.output<typeof setCapacityWith>;
const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000;

export interface Sizes {
  min: number;
  desired: number;
  max: number;
}

export interface SetCapacityUndo extends Sizes {
  kind: typeof UNDO_KIND;
  group: string;
  acted?: ActedWith;
  /** How the undo reads to a person (show, reports, the "still changed" list). */
  text?: string;
}

export interface SetCapacityLeft extends Sizes {
  group: string;
}

export interface SetCapacityOptions {
  /** Time between DescribeAutoScalingGroups polls while waiting (default 5 s). */
  pollIntervalMs?: number;
}

// ---------------------------------------------------------------- AWS

function awsFailure(err: unknown, doing: string, group: string, clients: AwsClients): Error {
  return awsStepError(err, {
    service: 'Auto Scaling',
    doing,
    what: `group ${group}`,
    where: clients.region() ?? 'the default region',
    denied: `the credentials need autoscaling:DescribeAutoScalingGroups and autoscaling:UpdateAutoScalingGroup${clients.roleArn ? ` (role ${clients.roleArn})` : ''}`,
  });
}

async function describeGroup(ctx: StepContext, clients: AwsClients, group: string): Promise<AutoScalingGroup> {
  const { DescribeAutoScalingGroupsCommand } = await import('@aws-sdk/client-auto-scaling');
  const client = await clients.autoScaling();
  let found: AutoScalingGroup | undefined;
  try {
    const res = await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }), { abortSignal: ctx.signal });
    found = res.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === group);
  } catch (err) {
    if (isAbortError(err, ctx.signal)) throw err;
    throw awsFailure(err, 'reading', group, clients);
  }
  if (!found)
    throw new StepError(`Auto Scaling group ${group} not found in region ${clients.region() ?? '(default)'}${clients.roleArn ? ` as role ${clients.roleArn}` : ''}`, {
      hint: 'check the group name, and the step\'s aws: { region, roleArn } (groups are regional): aws autoscaling describe-auto-scaling-groups',
    });
  return found;
}

function sizesOf(g: AutoScalingGroup): Sizes {
  return { min: g.MinSize ?? 0, desired: g.DesiredCapacity ?? 0, max: g.MaxSize ?? 0 };
}

async function update(ctx: StepContext, clients: AwsClients, client: AutoScalingClient, group: string, s: Partial<Sizes>): Promise<void> {
  const { UpdateAutoScalingGroupCommand } = await import('@aws-sdk/client-auto-scaling');
  try {
    await client.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: group,
        ...(s.min === undefined ? {} : { MinSize: s.min }),
        ...(s.desired === undefined ? {} : { DesiredCapacity: s.desired }),
        ...(s.max === undefined ? {} : { MaxSize: s.max }),
      }),
      { abortSignal: ctx.signal },
    );
  } catch (err) {
    if (isAbortError(err, ctx.signal)) throw err;
    throw awsFailure(err, 'updating', group, clients);
  }
}

// ---------------------------------------------------------------- sizes

/** The sizes the step asks for, on top of the group's current ones; refused when inconsistent. */
function wantedOf(w: SetCapacityWith, base: Sizes): Sizes {
  if (w.min === undefined && w.desired === undefined && w.max === undefined)
    throw new StepError(`group ${w.group}: give at least one of min, desired, max`, { hint: 'e.g. with: { group: web, min: 2, desired: 4, max: 8 }' });
  const s: Sizes = { min: w.min ?? base.min, desired: w.desired ?? base.desired, max: w.max ?? base.max };
  if (!(s.min <= s.desired && s.desired <= s.max))
    throw new StepError(`group ${w.group}: min ${s.min}, desired ${s.desired}, max ${s.max} is not min ≤ desired ≤ max`, {
      hint: `set all three (the group has min ${base.min}, desired ${base.desired}, max ${base.max} now)`,
    });
  return s;
}

function sameSizes(a: Sizes, b: Sizes): boolean {
  return a.min === b.min && a.desired === b.desired && a.max === b.max;
}

function sizesText(s: Sizes): string {
  return `min ${s.min}, desired ${s.desired}, max ${s.max}`;
}

function transitionText(a: Sizes, b: Sizes): string {
  const part = (k: keyof Sizes): string => (a[k] === b[k] ? `${k} ${a[k]}` : `${k} ${a[k]} → ${b[k]}`);
  return `${part('min')}, ${part('desired')}, ${part('max')}`;
}

/** Each size is its before or its after value: what a step stopped half-way may leave. */
function isMix(now: Sizes, before: Sizes, after: Sizes): boolean {
  return (['min', 'desired', 'max'] as const).every((k) => now[k] === before[k] || now[k] === after[k]);
}

// ---------------------------------------------------------------- undo record

export function parseUndo(raw: unknown): SetCapacityUndo {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  if (!o || o.kind !== UNDO_KIND || typeof o.group !== 'string' || ![o.min, o.desired, o.max].every((n) => typeof n === 'number'))
    throw new StepError('the undo record of this autoscaling.set-capacity step is missing or damaged: cannot tell which sizes to put back', {
      hint: 'set the group\'s sizes by hand (aws autoscaling update-auto-scaling-group) from the journal\'s intent entry',
    });
  return raw as SetCapacityUndo;
}

function parseLeft(raw: unknown): SetCapacityLeft | undefined {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  if (!o || typeof o.group !== 'string' || ![o.min, o.desired, o.max].every((n) => typeof n === 'number')) return undefined;
  return raw as SetCapacityLeft;
}

// ---------------------------------------------------------------- the step

async function plan(ctx: StepContext, w: SetCapacityWith): Promise<StepPlan> {
  const clients = stepClients(ctx);
  const now = sizesOf(await describeGroup(ctx, clients, w.group));
  const wanted = wantedOf(w, now);
  const same = sameSizes(now, wanted);
  return {
    summary: same ? `group ${w.group} already at ${sizesText(now)}: nothing to change` : `group ${w.group}: ${transitionText(now, wanted)}`,
    lines: [same ? { kind: 'info', text: `${w.group}: ${sizesText(now)} (unchanged)` } : { kind: 'change', text: `${w.group}: ${transitionText(now, wanted)}` }],
    counts: {},
    mutating: !same,
    fingerprint: { group: w.group, ...now },
  };
}

async function waitInService(ctx: StepContext, clients: AwsClients, w: SetCapacityWith, desired: number, intervalMs: number): Promise<void> {
  const timeoutMs = (w.waitTimeout === undefined ? undefined : parseDuration(w.waitTimeout)) ?? DEFAULT_WAIT_TIMEOUT_MS;
  const started = Date.now();
  for (;;) {
    const g = await describeGroup(ctx, clients, w.group);
    const inService = (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length;
    if (inService >= desired) {
      ctx.out.info(`group ${w.group}: ${inService} instance(s) InService after ${formatDuration(Date.now() - started)}`);
      return;
    }
    if (Date.now() - started >= timeoutMs)
      throw new StepError(`group ${w.group}: ${inService} of ${desired} instance(s) InService after ${formatDuration(timeoutMs)}`, {
        hint: `look at the group's scaling activities (aws autoscaling describe-scaling-activities --auto-scaling-group-name ${w.group}); the sizes are set, the rollback restores them`,
      });
    await sleep(intervalMs, ctx.signal);
  }
}

async function execute(ctx: StepContext, w: SetCapacityWith, o: Required<SetCapacityOptions>): Promise<StepResult> {
  if (ctx.dryRun) {
    const p = await plan(ctx, w);
    return { outputs: { previousMin: 0, previousDesired: 0, previousMax: 0 }, summary: `dry run, nothing sent: ${p.summary}` };
  }
  const clients = stepClients(ctx);
  const now = sizesOf(await describeGroup(ctx, clients, w.group));
  let undo: SetCapacityUndo;
  if (ctx.priorUndo === undefined || ctx.priorUndo === null) {
    undo = { kind: UNDO_KIND, group: w.group, ...now, acted: await actedWith(clients, ctx.step.aws) };
    undo.text = describeUndo(w, undo);
    await ctx.recordUndo(undo);
  } else {
    undo = parseUndo(ctx.priorUndo);
    if (undo.group !== w.group)
      throw new StepError(`this step's earlier attempt changed group ${undo.group}, but the runbook now says ${w.group}`, {
        hint: 'roll back the earlier run first (lifeboat rollback <run-id>), then run again',
      });
  }
  const before: Sizes = { min: undo.min, desired: undo.desired, max: undo.max };
  const wanted = wantedOf(w, before);
  if (!isMix(now, before, wanted))
    throw new StepError(`group ${w.group} is at ${sizesText(now)}: neither as found (${sizesText(before)}) nor as this step sets it (${sizesText(wanted)})`, {
      hint: 'someone else changed the group since this step began: look before retrying (aws autoscaling describe-auto-scaling-groups)',
    });
  const previous = { previousMin: before.min, previousDesired: before.desired, previousMax: before.max };
  const left: SetCapacityLeft = { group: w.group, ...wanted };
  if (sameSizes(now, wanted)) {
    ctx.out.info(`group ${w.group} already at ${sizesText(wanted)}: nothing sent`);
  } else {
    await update(ctx, clients, await clients.autoScaling(), w.group, wanted);
    ctx.out.info(`group ${w.group}: ${transitionText(now, wanted)}${whereText(undo.acted)}`);
  }
  if (w.wait === 'in-service') await waitInService(ctx, clients, w, wanted.desired, o.pollIntervalMs);
  return { outputs: previous, summary: `group ${w.group}: ${transitionText(before, wanted)}`, left };
}

async function verify(ctx: StepContext, w: SetCapacityWith, result: StepResult): Promise<void> {
  const now = sizesOf(await describeGroup(ctx, stepClients(ctx), w.group));
  const left = parseLeft(result.left);
  const wanted = left ?? wantedOf(w, now);
  if (!sameSizes(now, wanted))
    throw new StepError(`group ${w.group} reads back as ${sizesText(now)}, expected ${sizesText(wanted)}`, {
      hint: 'someone may have changed it right after this step, or a scaling policy did: check the group',
    });
}

async function rollback(ctx: StepContext, _w: SetCapacityWith, raw: unknown): Promise<void> {
  const undo = parseUndo(raw);
  const clients = await undoClients(ctx, undo.acted);
  const now = sizesOf(await describeGroup(ctx, clients, undo.group));
  const before: Sizes = { min: undo.min, desired: undo.desired, max: undo.max };
  if (sameSizes(now, before)) {
    ctx.out.info(`group ${undo.group} already at ${sizesText(before)}: nothing to restore`);
    return;
  }
  await update(ctx, clients, await clients.autoScaling(), undo.group, before);
  ctx.out.info(`group ${undo.group} restored: ${transitionText(now, before)}`);
}

async function previewUndo(ctx: StepContext, w: SetCapacityWith, raw: unknown, leftRaw: unknown): Promise<UndoPreview> {
  const undo = parseUndo(raw);
  const clients = await undoClients(ctx, undo.acted);
  const now = sizesOf(await describeGroup(ctx, clients, undo.group));
  const before: Sizes = { min: undo.min, desired: undo.desired, max: undo.max };
  const lines: PlanLine[] = [
    sameSizes(now, before)
      ? { kind: 'info', text: `${undo.group}: ${sizesText(now)} (already as before)` }
      : { kind: 'change', text: `${undo.group}: ${transitionText(now, before)}` },
  ];
  const drift: DriftItem[] = [];
  const left = parseLeft(leftRaw);
  const resource = `Auto Scaling group ${undo.group}`;
  if (left) {
    if (!sameSizes(now, left)) drift.push({ resource, left: sizesText(left), now: sizesText(now) });
  } else {
    // Stopped before its result: any mix of before and after is not drift.
    let after: Sizes | undefined;
    try {
      after = wantedOf(w, before);
    } catch {
      after = undefined;
    }
    if (after && !isMix(now, before, after)) drift.push({ resource, left: `${sizesText(before)} or ${sizesText(after)}`, now: sizesText(now) });
  }
  return { lines, drift };
}

function describeUndo(_w: SetCapacityWith, raw: unknown): string {
  return undoText(raw, parseUndo, (u) => `set Auto Scaling group ${u.group} back to ${sizesText(u)}${whereText(u.acted)}`, 'the group sizes cannot be restored automatically');
}

export function createSetCapacityStep(opts: SetCapacityOptions = {}): StepImpl<SetCapacityWith> {
  return pollingStep(UNDO_KIND, opts, 5000, { plan, execute, verify, rollback, describeUndo, previewUndo });
}

export const autoscalingSetCapacityType = defineStepType({
  type: UNDO_KIND,
  description: 'Sets min, desired and max of an Auto Scaling group; rollback restores the previous sizes.',
  with: setCapacityWith,
  outputs: ['previousMin', 'previousDesired', 'previousMax'],
  undo: 'builtin',
  live: true,
  awsServices: ['Auto Scaling'],
  confirmation: confirmField('group'),
  load: async () => createSetCapacityStep(),
});
