/**
 * route53.shift-weights: move traffic between two weighted record sets of one name in stages.
 *
 * The total weight of the two sets (`from` + `to`, as found, but at least 100 and at most
 * 255) is split at each stage so that `to` gets the stage's percent of it. After each stage:
 * wait until INSYNC, hold `pause`, then poll `check` (HTTP status) until it passes or times
 * out; a failed check fails the step, and its rollback restores both sets exactly.
 *
 * - plan shows the weights now and after each stage.
 * - execute journals both sets exactly as listed (the undo record) before the first change.
 *   Each stage is one atomic batch: DELETE the sets exactly as just read, CREATE them with
 *   the new weights (AWS rejects the batch if someone changed them since; moto does not
 *   match DELETEs faithfully, so the sets are also re-read and compared right before).
 * - A resumed step finds the weights of the last stage it completed and goes on from there.
 * - previewUndo: a weight that differs from the final weights the step left is drift.
 *
 * Undo record:
 *   { kind: 'route53.shift-weights', zoneId, name, type, from, to,
 *     before: [<from set as listed>, <to set as listed>], acted: {…} }
 */
import type { Change, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import {
  canonicalSet,
  describeRoute53Error,
  keyId,
  keyLabel,
  normaliseName,
  normaliseZoneId,
  readSets,
  sameSetExactly,
  sendChangeBatch,
  waitForInsync,
  type RecordKey,
} from '../aws/route53.js';
import type { AwsClients } from '../aws/clients.js';
import { formatDuration, parseDuration } from '../runbook/duration.js';
import { z } from 'zod';
import { dnsName, duration, fieldsIssue, httpStatus, httpUrl } from '../runbook/fields.js';
import { isAbortError, sleep } from '../util/sleep.js';
import { actedWith, stepClients, undoClients, whereText, type ActedWith } from './aws-scope.js';
import { awsStepError, pollingStep, undoText } from './aws-step.js';
import { defineStepType } from './descriptor.js';
import { RECORD_TYPES, recordNameConfirmation } from './route53-fields.js';
import { StepError, type DriftItem, type PlanLine, type StepContext, type StepImpl, type StepPlan, type StepResult, type UndoPreview } from './types.js';

const shiftWeightsWith = z
  .strictObject({
    zoneId: z.string().min(1),
    name: dnsName.describe('The record name both weighted sets share'),
    type: z.enum(RECORD_TYPES),
    from: z.string().min(1).describe('Set identifier of the weighted set traffic moves away from'),
    to: z.string().min(1).describe('Set identifier of the weighted set traffic moves to'),
    stages: z
      .array(z.coerce.number().min(0).max(100))
      .min(1)
      .superRefine((stages, ctx) => {
        stages.forEach((p, i) => {
          const before = stages[i - 1];
          if (i > 0 && before !== undefined && p <= before)
            fieldsIssue(ctx, i, [i - 1, i], `stages must rise: stage ${i + 1} (${p}%) is not above stage ${i} (${before}%); list the percent sent to \`to\` after each stage in order, e.g. [10, 50, 100]`);
        });
      })
      .describe('Percent of the total weight sent to `to` after each stage, rising, e.g. [10, 50, 100]'),
    pause: duration.optional().describe('Hold after each stage before the check and the next stage (default 0s)'),
    check: z
      .strictObject({
        url: httpUrl,
        status: httpStatus.optional().describe('Expected status (default 200)'),
        timeout: duration.optional().describe('Give up after this long (default 30s)'),
        interval: duration.optional().describe('Time between attempts (default 2s)'),
      })
      .optional()
      .describe('Polled after each stage until it passes or times out; a failed check fails the step (its rollback restores the weights)'),
    wait: z.enum(['insync', 'none']).optional().describe('insync (default): wait for each stage to be INSYNC before pausing'),
    waitTimeout: duration.optional(),
  })
  .superRefine((w, ctx) => {
    if (w.from === w.to) fieldsIssue(ctx, 'to', ['from', 'to'], `from and to are both "${w.from}": name two different weighted sets (set identifiers)`);
  });
export type ShiftWeightsWith = z.output<typeof shiftWeightsWith>;

const UNDO_KIND = 'route53.shift-weights';
const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;

export interface ShiftUndo {
  kind: typeof UNDO_KIND;
  zoneId: string;
  name: string;
  type: string;
  from: string;
  to: string;
  /** The two sets exactly as Route 53 listed them before the first stage: [from, to]. */
  before: [ResourceRecordSet, ResourceRecordSet];
  acted?: ActedWith;
  /** How the undo reads to a person (show, reports, the "still changed" list). */
  text?: string;
}

export interface Weights {
  from: number;
  to: number;
}

export interface ShiftLeft {
  zoneId: string;
  name: string;
  type: string;
  from: string;
  to: string;
  weights: Weights;
}

export interface ShiftWeightsOptions {
  /** Time between GetChange polls (default 2 s). */
  pollIntervalMs?: number;
}

// ---------------------------------------------------------------- weights

/** The weights at each stage, from the weights found. */
export function stageWeights(before: Weights, stages: readonly number[]): Weights[] {
  // At least 100, so every stage gets its percent to the point: with the 3 + 1 found, a
  // stage of 10% rounded to 4 / 0, sending the standby nothing. Weights are relative: the
  // split is what matters, and the undo puts back the weights found, exactly.
  const total = Math.min(Math.max(before.from + before.to, 100), 255);
  return stages.map((p) => {
    const to = Math.round((total * p) / 100);
    return { from: total - to, to };
  });
}

function sameWeights(a: Weights, b: Weights): boolean {
  return a.from === b.from && a.to === b.to;
}

function weightsText(u: { from: string; to: string }, w: Weights): string {
  return `${u.from} ${w.from}, ${u.to} ${w.to}`;
}

// ---------------------------------------------------------------- reading

function keysOf(zoneName: string, type: string, from: string, to: string): [RecordKey, RecordKey] {
  const name = normaliseName(zoneName);
  return [
    { name, type, setIdentifier: from },
    { name, type, setIdentifier: to },
  ];
}

function r53Failure(ctx: StepContext, err: unknown, zoneId: string, doing: string, records: string): unknown {
  if (isAbortError(err, ctx.signal)) return err;
  return awsStepError(err, { service: 'Route 53', doing, what: records, where: `hosted zone ${zoneId}`, advice: describeRoute53Error(err, { zoneId, doing, records, env: ctx.env }) });
}

/** Both weighted sets, as listed now; refuses when one is missing or not weighted. */
async function readPair(ctx: StepContext, client: Route53Client, zoneId: string, keys: [RecordKey, RecordKey]): Promise<[ResourceRecordSet, ResourceRecordSet]> {
  let sets: Map<string, ResourceRecordSet | null>;
  try {
    sets = await readSets(client, zoneId, keys, ctx.signal);
  } catch (err) {
    throw r53Failure(ctx, err, zoneId, 'reading', keys.map(keyLabel).join(', '));
  }
  const pair = keys.map((k) => {
    const set = sets.get(keyId(k)) ?? null;
    if (!set)
      throw new StepError(`${keyLabel(k)} not found in hosted zone ${zoneId}`, {
        hint: 'route53.shift-weights moves traffic between two existing weighted sets: check name, type, from and to (set identifiers)',
      });
    if (set.Weight === undefined)
      throw new StepError(`${keyLabel(k)} is not a weighted record set`, { hint: 'from and to must name weighted sets (with a Weight) of the same name and type' });
    return set;
  });
  return pair as [ResourceRecordSet, ResourceRecordSet];
}

function weightsOf(pair: readonly [ResourceRecordSet, ResourceRecordSet]): Weights {
  return { from: pair[0].Weight ?? 0, to: pair[1].Weight ?? 0 };
}

// ---------------------------------------------------------------- changing

/** One stage: DELETE both sets exactly as read, CREATE them with the new weights, in one batch. */
async function applyWeights(ctx: StepContext, client: Route53Client, zoneId: string, current: [ResourceRecordSet, ResourceRecordSet], wanted: [ResourceRecordSet, ResourceRecordSet], comment: string): Promise<string> {
  const changes: Change[] = [];
  for (let i = 0; i < 2; i++) {
    const c = current[i] as ResourceRecordSet;
    const w = wanted[i] as ResourceRecordSet;
    if (sameSetExactly(c, w)) continue;
    changes.push({ Action: 'DELETE', ResourceRecordSet: c }, { Action: 'CREATE', ResourceRecordSet: w });
  }
  if (changes.length === 0) return '';
  const records = wanted.map((s) => keyLabel({ name: s.Name ?? '', type: s.Type ?? '', setIdentifier: s.SetIdentifier })).join(', ');
  try {
    return await sendChangeBatch(client, zoneId, changes, comment, ctx.signal);
  } catch (err) {
    // moto (5.2) may reject a CREATE identical to one sent to the zone before as "already
    // exists"; the route53.change-records step documents it. The sets were compared right
    // before this batch; send it again with the CREATEs as UPSERTs (the DELETEs still guard).
    if (err instanceof Error && err.name === 'InvalidChangeBatch' && /already exists/.test(err.message)) {
      const upserts = changes.map((c): Change => (c.Action === 'CREATE' ? { ...c, Action: 'UPSERT' } : c));
      try {
        return await sendChangeBatch(client, zoneId, upserts, comment, ctx.signal);
      } catch (again) {
        throw r53Failure(ctx, again, zoneId, 'changing the weights of', records);
      }
    }
    throw r53Failure(ctx, err, zoneId, 'changing the weights of', records);
  }
}

async function waitInsync(ctx: StepContext, client: Route53Client, zoneId: string, changeId: string, timeoutMs: number, intervalMs: number): Promise<void> {
  if (!changeId) return;
  let insync: boolean;
  try {
    insync = await waitForInsync(client, changeId, { timeoutMs, intervalMs, signal: ctx.signal });
  } catch (err) {
    throw r53Failure(ctx, err, zoneId, 'waiting for change', changeId);
  }
  if (!insync)
    throw new StepError(`Route 53 change ${changeId} is still PENDING after ${formatDuration(timeoutMs)}`, {
      hint: `watch it with aws route53 get-change --id ${changeId}, or raise waitTimeout; the rollback restores the weights`,
    });
}

function withWeights(pair: readonly [ResourceRecordSet, ResourceRecordSet], w: Weights): [ResourceRecordSet, ResourceRecordSet] {
  return [
    { ...pair[0], Weight: w.from },
    { ...pair[1], Weight: w.to },
  ];
}

/** Drift check against what the step computes from: the sets are the same apart from their weights. */
function sameApartFromWeight(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  return JSON.stringify(canonicalSet({ ...a, Weight: 0 })) === JSON.stringify(canonicalSet({ ...b, Weight: 0 }));
}

// ---------------------------------------------------------------- undo record

export function parseUndo(raw: unknown): ShiftUndo {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  if (
    !o ||
    o.kind !== UNDO_KIND ||
    typeof o.zoneId !== 'string' ||
    typeof o.name !== 'string' ||
    typeof o.from !== 'string' ||
    typeof o.to !== 'string' ||
    !Array.isArray(o.before) ||
    o.before.length !== 2
  )
    throw new StepError('the undo record of this route53.shift-weights step is missing or damaged: cannot tell which weights to put back', {
      hint: "restore the two weighted sets by hand from the journal's intent entry (aws route53 change-resource-record-sets)",
    });
  return raw as ShiftUndo;
}

function parseLeft(raw: unknown): ShiftLeft | undefined {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  const w = o?.weights as Weights | undefined;
  return w && typeof w.from === 'number' && typeof w.to === 'number' ? (raw as ShiftLeft) : undefined;
}

// ---------------------------------------------------------------- the step

function timeoutOf(w: ShiftWeightsWith): number {
  return (w.waitTimeout === undefined ? undefined : parseDuration(w.waitTimeout)) ?? DEFAULT_WAIT_TIMEOUT_MS;
}

function checkFrom(w: ShiftWeightsWith): void {
  if (w.from === w.to) throw new StepError(`from and to are both "${w.from}"`, { hint: 'name two different weighted sets (set identifiers)' });
}

/** The weights an earlier attempt's undo record keeps (a dry run's keeps none: the weights now). */
function priorWeights(prior: unknown, now: Weights): Weights {
  try {
    return weightsOf(parseUndo(prior).before);
  } catch {
    return now;
  }
}

async function plan(ctx: StepContext, w: ShiftWeightsWith): Promise<StepPlan> {
  checkFrom(w);
  const zoneId = normaliseZoneId(w.zoneId);
  const client = await stepClients(ctx).route53();
  const pair = await readPair(ctx, client, zoneId, keysOf(w.name, w.type, w.from, w.to));
  const now = weightsOf(pair);
  const stages = stageWeights(now, w.stages);
  const label = `${normaliseName(w.name)} ${w.type}`;
  const lines: PlanLine[] = [{ kind: 'info', text: `${label} now: ${weightsText(w, now)}` }];
  stages.forEach((s, i) => {
    lines.push({ kind: 'change', text: `stage ${i + 1} (${w.stages[i]}% to ${w.to}): ${weightsText(w, s)}` });
  });
  if (w.pause) lines.push({ kind: 'info', text: `hold ${w.pause} after each stage` });
  if (w.check) lines.push({ kind: 'info', text: `check after each stage: ${w.check.url} answers ${[w.check.status ?? 200].flat().join(' or ')}` });
  // Resumed mid-shift: the rollback puts back the weights the first attempt found, not those now.
  const restores = ctx.priorUndo === undefined || ctx.priorUndo === null ? now : priorWeights(ctx.priorUndo, now);
  lines.push({ kind: 'info', text: `rollback restores ${weightsText(w, restores)}` });
  const last = stages[stages.length - 1] as Weights;
  const mutating = stages.some((s) => !sameWeights(s, now));
  return {
    summary: `${label}: ${weightsText(w, now)} → ${weightsText(w, last)} in ${w.stages.length} stage(s)`,
    lines,
    counts: { records: mutating ? 2 : 0, checks: w.check ? w.stages.length : 0 },
    mutating,
    fingerprint: { zoneId, records: pair.map((s) => ({ key: keyLabel({ name: s.Name ?? '', type: s.Type ?? '', setIdentifier: s.SetIdentifier }), set: canonicalSet(s) })) },
  };
}

async function runCheck(ctx: StepContext, w: ShiftWeightsWith, stage: number): Promise<void> {
  if (!w.check) return;
  const { httpCheckStep } = await import('./http-check.js');
  const check = { url: w.check.url, ...(w.check.status === undefined ? {} : { status: w.check.status }), ...(w.check.timeout ? { timeout: w.check.timeout } : {}), ...(w.check.interval ? { interval: w.check.interval } : {}) };
  try {
    await httpCheckStep.execute(ctx, check);
  } catch (err) {
    if (isAbortError(err, ctx.signal)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new StepError(`stage ${stage} (${w.stages[stage - 1]}% to ${w.to}): check failed: ${message}`, {
      hint: 'traffic was stopped at this stage; the rollback restores every weight as it was before the step',
      cause: err,
    });
  }
}

async function execute(ctx: StepContext, w: ShiftWeightsWith, o: Required<ShiftWeightsOptions>): Promise<StepResult> {
  if (ctx.dryRun) {
    const p = await plan(ctx, w);
    return { outputs: { stage: 0 }, summary: `dry run, nothing sent: ${p.summary}` };
  }
  checkFrom(w);
  const zoneId = normaliseZoneId(w.zoneId);
  const clients: AwsClients = stepClients(ctx);
  const client = await clients.route53();
  const keys = keysOf(w.name, w.type, w.from, w.to);
  const found = await readPair(ctx, client, zoneId, keys);
  let undo: ShiftUndo;
  if (ctx.priorUndo === undefined || ctx.priorUndo === null) {
    undo = { kind: UNDO_KIND, zoneId, name: normaliseName(w.name), type: w.type, from: w.from, to: w.to, before: found, acted: await actedWith(clients, ctx.step.aws) };
    undo.text = describeUndo(w, undo);
    await ctx.recordUndo(undo);
  } else {
    undo = parseUndo(ctx.priorUndo);
    if (normaliseZoneId(undo.zoneId) !== zoneId || normaliseName(undo.name) !== normaliseName(w.name) || undo.from !== w.from || undo.to !== w.to)
      throw new StepError(`this step's earlier attempt shifted ${undo.name} [${undo.from} → ${undo.to}] in ${undo.zoneId}, but the runbook now says otherwise`, {
        hint: 'roll back the earlier run first (lifeboat rollback <run-id>), then run again',
      });
  }
  const before = weightsOf(undo.before);
  const stages = stageWeights(before, w.stages);
  // Where a resumed step stands: as before, or at the end of some stage.
  const now = weightsOf(found);
  let done = 0;
  if (!sameWeights(now, before)) {
    const at = stages.map((s, i) => (sameWeights(s, now) ? i + 1 : 0)).filter((i) => i > 0);
    if (at.length === 0)
      throw new StepError(`${keyLabel(keys[0])} / [${w.to}]: weights are ${weightsText(w, now)}, neither as found (${weightsText(w, before)}) nor any stage's`, {
        hint: 'someone else changed the weights since this step began: look before retrying',
      });
    done = Math.max(...at);
    ctx.out.info(`weights already at stage ${done} (${weightsText(w, now)}): an earlier attempt got this far`);
  }
  for (let i = 0; i < 2; i++) {
    if (!sameApartFromWeight(found[i] as ResourceRecordSet, undo.before[i] as ResourceRecordSet))
      throw new StepError(`${keyLabel(keys[i] as RecordKey)} changed since this step began (values, TTL or routing)`, {
        hint: 'someone else is editing the record: look before retrying',
      });
  }
  let current = found;
  const intervalMs = o.pollIntervalMs;
  for (let i = done; i < stages.length; i++) {
    const target = stages[i] as Weights;
    const stage = i + 1;
    // Re-read right before sending: moto does not reject a stale DELETE.
    const fresh = await readPair(ctx, client, zoneId, keys);
    if (!sameSetExactly(fresh[0], current[0]) || !sameSetExactly(fresh[1], current[1]))
      throw new StepError(`${keyLabel(keys[0])} / [${w.to}] changed while the step was shifting (now ${weightsText(w, weightsOf(fresh))})`, {
        hint: 'someone else is changing the weights: the rollback restores them as they were before the step; look first',
      });
    const wanted = withWeights(fresh, target);
    const changeId = await applyWeights(ctx, client, zoneId, fresh, wanted, `lifeboat ${ctx.runbook.name} ${ctx.step.id} stage ${stage}`);
    current = wanted;
    ctx.out.info(`stage ${stage}/${stages.length} (${w.stages[i]}% to ${w.to}): ${weightsText(w, target)}${changeId ? ` (change ${changeId})` : ''}${i === 0 ? whereText(undo.acted) : ''}`);
    if ((w.wait ?? 'insync') === 'insync') await waitInsync(ctx, client, zoneId, changeId, timeoutOf(w), intervalMs);
    const pauseMs = w.pause ? (parseDuration(w.pause) ?? 0) : 0;
    if (pauseMs > 0) {
      ctx.out.info(`holding ${w.pause}`);
      await sleep(pauseMs, ctx.signal);
    }
    await runCheck(ctx, w, stage);
  }
  if (done === stages.length) await runCheck(ctx, w, stages.length);
  const last = stages[stages.length - 1] as Weights;
  const left: ShiftLeft = { zoneId, name: normaliseName(w.name), type: w.type, from: w.from, to: w.to, weights: last };
  return { outputs: { stage: stages.length }, summary: `${normaliseName(w.name)} ${w.type}: ${weightsText(w, before)} → ${weightsText(w, last)} in ${stages.length} stage(s)`, left };
}

async function verify(ctx: StepContext, w: ShiftWeightsWith, result: StepResult): Promise<void> {
  const zoneId = normaliseZoneId(w.zoneId);
  const client = await stepClients(ctx).route53();
  const now = weightsOf(await readPair(ctx, client, zoneId, keysOf(w.name, w.type, w.from, w.to)));
  const left = parseLeft(result.left);
  if (left && !sameWeights(now, left.weights))
    throw new StepError(`${normaliseName(w.name)} ${w.type} reads back as ${weightsText(w, now)}, expected ${weightsText(w, left.weights)}`, {
      hint: 'someone may have changed the weights right after this step',
    });
}

async function rollback(ctx: StepContext, w: ShiftWeightsWith, raw: unknown, o: Required<ShiftWeightsOptions>): Promise<void> {
  const undo = parseUndo(raw);
  const zoneId = normaliseZoneId(undo.zoneId);
  const client = await (await undoClients(ctx, undo.acted)).route53();
  const keys = keysOf(undo.name, undo.type, undo.from, undo.to);
  const now = await readPair(ctx, client, zoneId, keys);
  if (sameSetExactly(now[0], undo.before[0]) && sameSetExactly(now[1], undo.before[1])) {
    ctx.out.info(`${undo.name} ${undo.type}: weights already as before (${weightsText(undo, weightsOf(undo.before))}): nothing to restore`);
    return;
  }
  const changeId = await applyWeights(ctx, client, zoneId, now, undo.before, `lifeboat rollback ${ctx.runbook.name} ${ctx.step.id}`);
  ctx.out.info(`restored ${undo.name} ${undo.type}: ${weightsText(undo, weightsOf(now))} → ${weightsText(undo, weightsOf(undo.before))}${changeId ? ` (change ${changeId})` : ''}`);
  if ((w.wait ?? 'insync') === 'insync') await waitInsync(ctx, client, zoneId, changeId, timeoutOf(w), o.pollIntervalMs);
}

async function previewUndo(ctx: StepContext, w: ShiftWeightsWith, raw: unknown, leftRaw: unknown): Promise<UndoPreview> {
  const undo = parseUndo(raw);
  const zoneId = normaliseZoneId(undo.zoneId);
  const client = await (await undoClients(ctx, undo.acted)).route53();
  const now = await readPair(ctx, client, zoneId, keysOf(undo.name, undo.type, undo.from, undo.to));
  const nowW = weightsOf(now);
  const before = weightsOf(undo.before);
  const label = `${undo.name} ${undo.type}`;
  const lines: PlanLine[] = [
    sameWeights(nowW, before)
      ? { kind: 'info', text: `${label}: ${weightsText(undo, nowW)} (already as before)` }
      : { kind: 'change', text: `${label}: ${weightsText(undo, nowW)} → ${weightsText(undo, before)}` },
  ];
  const drift: DriftItem[] = [];
  const left = parseLeft(leftRaw);
  const resource = `${label} weights [${undo.from}, ${undo.to}]`;
  if (left) {
    if (!sameWeights(nowW, left.weights)) drift.push({ resource, left: weightsText(undo, left.weights), now: weightsText(undo, nowW) });
  } else {
    // Stopped half-way: as before or at any stage is not drift.
    const stages = stageWeights(before, w.stages);
    if (!sameWeights(nowW, before) && !stages.some((s) => sameWeights(s, nowW)))
      drift.push({ resource, left: `${weightsText(undo, before)} or a stage's weights`, now: weightsText(undo, nowW) });
  }
  for (let i = 0; i < 2; i++) {
    const n = now[i] as ResourceRecordSet;
    if (!sameApartFromWeight(n, undo.before[i] as ResourceRecordSet))
      drift.push({ resource: keyLabel({ name: undo.name, type: undo.type, setIdentifier: n.SetIdentifier }), left: 'values, TTL and routing as before the step', now: 'changed' });
  }
  return { lines, drift };
}

function describeUndo(_w: ShiftWeightsWith, raw: unknown): string {
  return undoText(
    raw,
    parseUndo,
    (u) => `put the weights of ${u.name} ${u.type} back to ${weightsText(u, weightsOf(u.before))} in hosted zone ${u.zoneId}${whereText(u.acted)}`,
    'the weights cannot be restored automatically',
  );
}

export function createShiftWeightsStep(opts: ShiftWeightsOptions = {}): StepImpl<ShiftWeightsWith> {
  return pollingStep(UNDO_KIND, opts, 2000, { plan, execute, verify, rollback, describeUndo, previewUndo });
}

export const route53ShiftWeightsType = defineStepType({
  type: 'route53.shift-weights',
  description:
    'Moves traffic between two weighted sets of one name in stages (percent to `to`), pausing and checking health between stages; rollback restores every weight it changed.',
  with: shiftWeightsWith,
  outputs: ['stage'],
  undo: 'builtin',
  live: true,
  awsServices: ['Route 53'],
  confirmation: { text: (w) => recordNameConfirmation(w.name), dnsName: true },
  load: async () => createShiftWeightsStep(),
});
