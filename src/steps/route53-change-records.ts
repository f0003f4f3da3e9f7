/**
 * route53.change-records: UPSERT / CREATE / DELETE record sets in one hosted zone, safely.
 *
 * - plan reads the current set of every touched name/type/set identifier and shows before → after.
 * - execute journals those sets (the undo record) before the first change, then sends one
 *   atomic batch that DELETEs exactly the sets it read and CREATEs the wanted ones: on AWS a
 *   concurrent edit makes the DELETE fail, so nobody's change is overwritten. moto does not
 *   match DELETEs faithfully, so the sets are also re-read right before sending and compared.
 * - verify reads back; rollback puts the journaled sets back exactly, with the same batch shape.
 *
 * Undo record (journaled, plain JSON):
 *   { kind: 'route53.change-records', zoneId: 'Z123',
 *     before: [{ name: 'app.example.com.', type: 'CNAME', setIdentifier?: 'blue',
 *                set: <ResourceRecordSet as ListResourceRecordSets returned it> | null }] }
 * `set: null` means the record set did not exist: rollback deletes it.
 */
import type { Change, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import {
  canonicalSet,
  chunkByLimits,
  describeRoute53Error,
  describeSet,
  keyId,
  keyLabel,
  normaliseName,
  normaliseZoneId,
  readSets,
  sameSet,
  sameSetExactly,
  sameValues,
  sendChangeBatch,
  settingsText,
  valuesText,
  waitForInsync,
  type ErrorContext,
  type RecordKey,
} from '../aws/route53.js';
import { formatDuration, parseDuration } from '../runbook/duration.js';
import { z } from 'zod';
import { awsRegion, dnsName, duration, fieldsIssue } from '../runbook/fields.js';
import { isAbortError, sleep } from '../util/sleep.js';
import { actedWith, stepClients, undoClients, type ActedWith } from './aws-scope.js';
import { awsStepError } from './aws-step.js';
import { defineStepType } from './descriptor.js';
import { aliasTarget, geoLocation, RECORD_TYPES, recordNameConfirmation } from './route53-fields.js';
import { StepError, type DriftItem, type PlanLine, type StepContext, type StepImpl, type StepPlan, type StepResult, type UndoPreview } from './types.js';

const recordChange = z
  .strictObject({
    action: z.enum(['UPSERT', 'CREATE', 'DELETE']).optional(),
    name: dnsName,
    type: z.enum(RECORD_TYPES),
    ttl: z.coerce.number().int().nonnegative().optional(),
    values: z.array(z.string()).optional(),
    alias: aliasTarget.optional(),
    setIdentifier: z.string().optional(),
    weight: z.coerce.number().int().min(0).max(255).optional(),
    failover: z.enum(['PRIMARY', 'SECONDARY']).optional(),
    region: awsRegion.optional().describe('Latency routing: the AWS region of this set'),
    geo: geoLocation.optional(),
    multiValue: z.boolean().optional().describe('Multivalue answer routing'),
    healthCheckId: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    const action = c.action ?? 'UPSERT';
    if (c.alias !== undefined && (c.values !== undefined || c.ttl !== undefined)) {
      const other = c.values !== undefined ? 'values' : 'ttl';
      fieldsIssue(ctx, other, ['alias', other], `an alias record takes alias: { zoneId, dnsName } instead of ttl and values: drop ${other} or the alias`);
    }
    if (action !== 'DELETE' && c.alias === undefined && !(c.values && c.values.length > 0))
      fieldsIssue(ctx, 'values', ['action', 'values', 'alias'], `${action} needs values: list them, e.g. values: ["standby.example.com"], or give an alias: { zoneId, dnsName }; to remove the record use action: DELETE`);
    const policies = (['weight', 'failover', 'region', 'geo', 'multiValue'] as const).filter((p) => c[p] !== undefined && c[p] !== false);
    const [first, second] = policies;
    if (first !== undefined && second !== undefined)
      fieldsIssue(ctx, second, policies, `a record set has one routing policy, not ${policies.join(' and ')}: keep one of weight, failover, region (latency), geo or multiValue`);
    else if (first !== undefined && c.setIdentifier === undefined)
      fieldsIssue(ctx, first, [first, 'setIdentifier'], `${first} routing needs a setIdentifier: give each set of a routing policy its own, e.g. setIdentifier: usw2`);
    if (c.geo !== undefined && (c.geo.continent === undefined) === (c.geo.country === undefined))
      fieldsIssue(ctx, 'geo', ['geo'], 'geo needs either continent or country (with an optional subdivision), e.g. geo: { continent: EU } or geo: { country: US, subdivision: WA }');
  });

const route53With = z.strictObject({
  zoneId: z.string().min(1),
  changes: z.array(recordChange).min(1),
  wait: z.enum(['insync', 'none']).optional().describe('insync: poll the change until Route 53 reports INSYNC'),
  waitTimeout: duration.optional(),
});
export type RecordChange = z.output<typeof recordChange>;
export type Route53With = z.output<typeof route53With>;

const DEFAULT_TTL = 300;
const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;
const UNDO_KIND = 'route53.change-records';

export interface UndoEntry {
  name: string;
  type: string;
  setIdentifier?: string;
  /** The set as it was before the step, exactly as Route 53 listed it; null: it did not exist. */
  set: ResourceRecordSet | null;
}

export interface Route53Undo {
  kind: typeof UNDO_KIND;
  zoneId: string;
  before: UndoEntry[];
  /** Where the change was made (account, region, role): the undo acts the same way. */
  acted?: ActedWith;
}

/** What the step left (StepResult.left): every touched set as the change made it; null: deleted. */
export interface Route53Left {
  kind: typeof UNDO_KIND;
  zoneId: string;
  after: UndoEntry[];
}

export interface Route53StepOptions {
  /** Time between GetChange polls while waiting for INSYNC (default 2 s). */
  pollIntervalMs?: number;
  /** Minimum time between two ChangeResourceRecordSets calls (default 200 ms: 5 requests/s). */
  batchSpacingMs?: number;
}

/** One entry of `with.changes`, with its key and action resolved. */
interface Target {
  index: number;
  change: RecordChange;
  action: 'UPSERT' | 'CREATE' | 'DELETE';
  key: RecordKey;
}

/** One record set to bring from `current` to `wanted`. */
interface Move {
  key: RecordKey;
  current: ResourceRecordSet | null;
  wanted: ResourceRecordSet | null;
}

// ---------------------------------------------------------------- inputs

function targetsOf(w: Route53With): Target[] {
  const seen = new Set<string>();
  return w.changes.map((change, index) => {
    const key: RecordKey = { name: normaliseName(change.name), type: change.type, setIdentifier: change.setIdentifier };
    const action = change.action ?? 'UPSERT';
    const id = keyId(key);
    if (seen.has(id))
      throw new StepError(`changes[${index}]: ${keyLabel(key)} appears twice in this step`, {
        hint: 'give each record set (name, type, setIdentifier) once; merge the two entries',
      });
    seen.add(id);
    if (change.alias !== undefined && (change.values !== undefined || change.ttl !== undefined))
      throw new StepError(`changes[${index}]: ${keyLabel(key)} has both an alias and ${change.values !== undefined ? 'values' : 'a ttl'}`, {
        hint: 'an alias record takes alias: { zoneId, dnsName } instead of ttl and values: drop one of them',
      });
    if (action !== 'DELETE' && change.alias === undefined && !(change.values && change.values.length > 0))
      throw new StepError(`changes[${index}]: ${keyLabel(key)} has no values for ${action}`, {
        hint: 'list the record values, e.g. values: ["standby.example.com"], or give an alias: { zoneId, dnsName }; to remove the record use action: DELETE',
      });
    const policies = (['weight', 'failover', 'region', 'geo', 'multiValue'] as const).filter((p) => change[p] !== undefined && change[p] !== false);
    if (policies.length > 1)
      throw new StepError(`changes[${index}]: ${keyLabel(key)} mixes routing policies (${policies.join(', ')})`, {
        hint: 'a record set has one routing policy: weight, failover, region (latency), geo or multiValue',
      });
    if (policies.length === 1 && change.setIdentifier === undefined)
      throw new StepError(`changes[${index}]: ${keyLabel(key)} uses ${policies[0]} routing but has no setIdentifier`, {
        hint: 'every set of a routing policy needs its own setIdentifier, e.g. setIdentifier: usw2',
      });
    if (change.geo !== undefined && (change.geo.continent === undefined) === (change.geo.country === undefined))
      throw new StepError(`changes[${index}]: ${keyLabel(key)}: geo needs either continent or country (with an optional subdivision)`, {
        hint: 'e.g. geo: { continent: EU } or geo: { country: US, subdivision: WA }, or geo: { country: "*" } for the default',
      });
    return { index, change, action, key };
  });
}

/**
 * The set a change asks for, built on `base` (the set before the change): TTL defaults to
 * the base set's TTL, else 300. Routing fields are exactly as given, like Route 53's own
 * record set. DELETE asks for no set.
 */
function wantedSet(t: Target, base: ResourceRecordSet | null): ResourceRecordSet | null {
  if (t.action === 'DELETE') return null;
  const c = t.change;
  const set: ResourceRecordSet = c.alias
    ? {
        Name: t.key.name,
        Type: c.type,
        AliasTarget: { HostedZoneId: normaliseZoneId(c.alias.zoneId), DNSName: c.alias.dnsName, EvaluateTargetHealth: c.alias.evaluateTargetHealth ?? false },
      }
    : {
        Name: t.key.name,
        Type: c.type,
        TTL: c.ttl ?? base?.TTL ?? DEFAULT_TTL,
        ResourceRecords: (c.values ?? []).map((Value) => ({ Value })),
      };
  if (c.setIdentifier !== undefined) set.SetIdentifier = c.setIdentifier;
  if (c.weight !== undefined) set.Weight = c.weight;
  if (c.failover !== undefined) set.Failover = c.failover;
  if (c.region !== undefined) set.Region = c.region as ResourceRecordSet['Region'];
  if (c.geo !== undefined) {
    set.GeoLocation = {
      ...(c.geo.continent === undefined ? {} : { ContinentCode: c.geo.continent }),
      ...(c.geo.country === undefined ? {} : { CountryCode: c.geo.country }),
      ...(c.geo.subdivision === undefined ? {} : { SubdivisionCode: c.geo.subdivision }),
    };
  }
  if (c.multiValue === true) set.MultiValueAnswer = true;
  if (c.healthCheckId !== undefined) set.HealthCheckId = c.healthCheckId;
  return set;
}

/** Refuse what Route 53 would refuse, before anything changes (CREATE over an existing set; DELETE of other values). */
function checkAction(t: Target, before: ResourceRecordSet | null, wanted: ResourceRecordSet | null): void {
  const label = keyLabel(t.key);
  if (t.action === 'CREATE' && before !== null && !sameSet(before, wanted))
    throw new StepError(`${label} already exists (${valuesText(before)}); CREATE does not replace a record set`, {
      hint: 'use action: UPSERT to replace it, or DELETE it first',
    });
  if (t.action === 'DELETE' && before !== null && t.change.values !== undefined) {
    const expected: ResourceRecordSet = { Name: t.key.name, Type: t.change.type, ResourceRecords: t.change.values.map((Value) => ({ Value })) };
    if (!sameValues(before, expected))
      throw new StepError(`${label} is ${valuesText(before)}, not ${valuesText(expected)} as the DELETE expects`, {
        hint: 'someone may have changed it; check the record, then fix or drop `values` on the DELETE',
      });
  }
}

// ---------------------------------------------------------------- AWS calls with advice

function errorContext(ctx: StepContext, zoneId: string, doing: string, keys: readonly RecordKey[]): ErrorContext {
  return { zoneId, doing, records: keys.map(keyLabel).join(', '), env: ctx.env };
}

/** An AWS failure as a StepError an operator can act on (StepErrors and aborts pass through). */
function toStepError(ctx: StepContext, where: ErrorContext, err: unknown): unknown {
  if (isAbortError(err, ctx.signal)) return err;
  return awsStepError(err, { service: 'Route 53', doing: where.doing, what: where.records ?? 'record sets', where: `hosted zone ${where.zoneId}`, advice: describeRoute53Error(err, where) });
}

async function call<T>(ctx: StepContext, where: ErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStepError(ctx, where, err);
  }
}

async function read(ctx: StepContext, client: Route53Client, zoneId: string, keys: readonly RecordKey[]): Promise<Map<string, ResourceRecordSet | null>> {
  return call(ctx, errorContext(ctx, zoneId, 'reading', keys), () => readSets(client, zoneId, keys, ctx.signal));
}

function currentOf(sets: Map<string, ResourceRecordSet | null>, key: RecordKey): ResourceRecordSet | null {
  return sets.get(keyId(key)) ?? null;
}

// ---------------------------------------------------------------- undo record

function captureUndo(zoneId: string, keys: readonly RecordKey[], sets: Map<string, ResourceRecordSet | null>): Route53Undo {
  return { kind: UNDO_KIND, zoneId, before: keys.map((key) => undoEntry(key, currentOf(sets, key))) };
}

function undoEntry(key: RecordKey, set: ResourceRecordSet | null): UndoEntry {
  return { name: key.name, type: key.type, ...(key.setIdentifier === undefined ? {} : { setIdentifier: key.setIdentifier }), set };
}

function isUndoEntry(e: unknown): e is UndoEntry {
  if (!e || typeof e !== 'object') return false;
  const o = e as Record<string, unknown>;
  return typeof o.name === 'string' && typeof o.type === 'string' && (o.set === null || typeof o.set === 'object') && (o.setIdentifier === undefined || typeof o.setIdentifier === 'string');
}

/** The journaled undo record, checked: a wrong shape must not silently "restore" nothing. */
export function parseUndo(undo: unknown): Route53Undo {
  const o = undo && typeof undo === 'object' ? (undo as Record<string, unknown>) : undefined;
  if (!o || o.kind !== UNDO_KIND || typeof o.zoneId !== 'string' || !Array.isArray(o.before) || !o.before.every(isUndoEntry))
    throw new StepError('the undo record for this route53.change-records step is missing or damaged: cannot tell what to put back', {
      hint: 'look at the record sets by hand (aws route53 list-resource-record-sets) and restore them from the journal\'s "before" entries',
    });
  return { kind: UNDO_KIND, zoneId: o.zoneId, before: o.before, ...(o.acted === undefined ? {} : { acted: o.acted as ActedWith }) };
}

function undoKey(e: UndoEntry): RecordKey {
  return { name: e.name, type: e.type, setIdentifier: e.setIdentifier };
}

// ---------------------------------------------------------------- applying moves

function changesFor(m: Move): Change[] {
  const changes: Change[] = [];
  // DELETE exactly what was read (as Route 53 listed it) so that AWS rejects the batch if
  // the set changed since; then CREATE the wanted set. Both in the same atomic batch.
  if (m.current) changes.push({ Action: 'DELETE', ResourceRecordSet: m.current });
  if (m.wanted) changes.push({ Action: 'CREATE', ResourceRecordSet: m.wanted });
  return changes;
}

/** The two states for a message: values, plus TTL and routing when the values alone look the same. */
function bothStates(now: ResourceRecordSet | null, expected: ResourceRecordSet | null): [string, string] {
  const [a, b] = [valuesText(now), valuesText(expected)];
  return a !== b ? [a, b] : [stateText(now), stateText(expected)];
}

function driftError(m: Move, now: ResourceRecordSet | null, sentBefore: number): StepError {
  const label = keyLabel(m.key);
  const [nowText, expectedText] = bothStates(now, m.current);
  const done = sentBefore > 0 ? ` (${sentBefore} earlier batch${sentBefore === 1 ? ' was' : 'es were'} already applied; rollback undoes them)` : '';
  return new StepError(
    `${label} changed since it was read (now: ${nowText}, expected: ${expectedText}); someone else is changing it: look before retrying${done}`,
    { hint: `nothing was sent for ${label}; find out who changed it (CloudTrail: ChangeResourceRecordSets) before running this step again` },
  );
}

interface ApplyOptions {
  zoneId: string;
  comment: string;
  spacingMs: number;
}

/** Refuse if any set of the batch differs from what its move was computed from. */
async function checkUnchanged(ctx: StepContext, client: Route53Client, zoneId: string, batch: readonly Move[], sentBefore: number): Promise<void> {
  const now = await read(ctx, client, zoneId, batch.map((m) => m.key));
  for (const m of batch) if (!sameSet(currentOf(now, m.key), m.current)) throw driftError(m, currentOf(now, m.key), sentBefore);
}

/**
 * After a failed send: did the batch apply anyway? When a response is lost, the SDK retries
 * the same batch, and Route 53 refuses it (its DELETEs no longer match) although the first
 * attempt went through. If every set now is exactly what the batch wanted, it was applied.
 */
async function appliedAlready(ctx: StepContext, client: Route53Client, zoneId: string, batch: readonly Move[]): Promise<boolean> {
  try {
    const now = await read(ctx, client, zoneId, batch.map((m) => m.key));
    return batch.every((m) => sameSet(currentOf(now, m.key), m.wanted));
  } catch {
    return false;
  }
}

function isAlreadyExists(err: unknown): boolean {
  return err instanceof Error && err.name === 'InvalidChangeBatch' && /already exists/.test(err.message);
}

/**
 * Send one batch. moto (5.2) wrongly rejects a CREATE identical to one sent to the zone
 * before ("... but it already exists"), even right after the DELETE of that set in the same
 * batch or when the set is absent: the second rehearsal of a runbook would fail. On that error,
 * and only if a re-read shows every set still as expected, the batch is sent again with its
 * CREATEs as UPSERTs: the DELETEs of existing sets still guard them atomically. On AWS a CREATE
 * after the DELETE of the same set cannot fail that way, and a set created by someone else
 * shows in the re-read and stops us.
 */
async function sendBatch(ctx: StepContext, client: Route53Client, batch: readonly Move[], o: ApplyOptions, sentBefore: number): Promise<string> {
  const where = errorContext(ctx, o.zoneId, 'changing', batch.map((m) => m.key));
  const changes = batch.flatMap(changesFor);
  try {
    return await sendChangeBatch(client, o.zoneId, changes, o.comment, ctx.signal);
  } catch (err) {
    if (await appliedAlready(ctx, client, o.zoneId, batch)) {
      ctx.out.info('Route 53 applied the change but its answer was lost (the retry was refused): the records are as wanted');
      return '';
    }
    if (!isAlreadyExists(err)) throw toStepError(ctx, where, err);
    await sleep(o.spacingMs, ctx.signal);
    await checkUnchanged(ctx, client, o.zoneId, batch, sentBefore);
    const upserts = changes.map((c): Change => (c.Action === 'CREATE' ? { ...c, Action: 'UPSERT' } : c));
    return call(ctx, where, () => sendChangeBatch(client, o.zoneId, upserts, o.comment, ctx.signal));
  }
}

/**
 * Send the moves in batches within Route 53's limits, ≥ spacingMs apart. Before each batch
 * re-read its sets and refuse if any differs from what the moves were computed from: moto
 * would not reject a stale DELETE, and on AWS this gives a clearer message. Returns change ids.
 */
async function applyMoves(ctx: StepContext, client: Route53Client, moves: readonly Move[], o: ApplyOptions): Promise<string[]> {
  const ids: string[] = [];
  let lastSent = 0;
  for (const batch of chunkByLimits(moves, changesFor)) {
    const wait = lastSent + o.spacingMs - Date.now();
    if (lastSent > 0 && wait > 0) await sleep(wait, ctx.signal);
    await checkUnchanged(ctx, client, o.zoneId, batch, ids.length);
    ids.push(await sendBatch(ctx, client, batch, o, ids.length));
    lastSent = Date.now();
  }
  return ids;
}

async function waitInsync(ctx: StepContext, client: Route53Client, zoneId: string, ids: readonly string[], timeoutMs: number, intervalMs: number): Promise<void> {
  const started = Date.now();
  // An empty id: a batch whose answer was lost, so there is no change to poll.
  for (const id of ids.filter(Boolean)) {
    const left = Math.max(0, timeoutMs - (Date.now() - started));
    const where = { zoneId, doing: 'waiting for change', records: id, env: ctx.env };
    const insync = await call(ctx, where, () => waitForInsync(client, id, { timeoutMs: left, intervalMs, signal: ctx.signal }));
    if (!insync)
      throw new StepError(`Route 53 change ${id} is still PENDING after ${formatDuration(timeoutMs)}`, {
        hint: `Route 53 accepted the change and will apply it; watch it with \`aws route53 get-change --id ${id}\`, or raise waitTimeout`,
      });
  }
  ctx.out.info(`Route 53 reports INSYNC after ${formatDuration(Date.now() - started)}`);
}

function waitTimeoutMs(w: Route53With): number {
  return (w.waitTimeout === undefined ? undefined : parseDuration(w.waitTimeout)) ?? DEFAULT_WAIT_TIMEOUT_MS;
}

// ---------------------------------------------------------------- plan

interface Assessed {
  target: Target;
  before: ResourceRecordSet | null;
  wanted: ResourceRecordSet | null;
}

function assess(targets: readonly Target[], before: (key: RecordKey) => ResourceRecordSet | null): Assessed[] {
  return targets.map((target) => {
    const b = before(target.key);
    const wanted = wantedSet(target, b);
    checkAction(target, b, wanted);
    return { target, before: b, wanted };
  });
}

function planLines(a: Assessed): PlanLine[] {
  if (sameSet(a.before, a.wanted))
    return [{ kind: 'info', text: a.wanted ? `${describeSet(a.wanted)} (unchanged)` : `${keyLabel(a.target.key)}: already absent` }];
  const lines: PlanLine[] = [];
  if (a.before) lines.push({ kind: 'remove', text: describeSet(a.before) });
  if (a.wanted) lines.push({ kind: 'add', text: describeSet(a.wanted) });
  return lines;
}

function transition(before: ResourceRecordSet | null, after: ResourceRecordSet | null): string {
  const b = valuesText(before);
  const a = after === null && before !== null ? '(deleted)' : valuesText(after);
  return b !== a ? `${b} → ${a}` : `${settingsText(before)} → ${settingsText(after)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function planSummary(changed: readonly Assessed[], total: number, deletes: number): string {
  if (changed.length === 0) return `nothing to change: ${plural(total, 'record set')} already as wanted`;
  const parts = changed.slice(0, 3).map((a) => `${keyLabel(a.target.key)}: ${transition(a.before, a.wanted)}`);
  const more = changed.length > 3 ? `; and ${changed.length - 3} more` : '';
  const del = deletes > 0 ? `, ${plural(deletes, 'delete')}` : '';
  return `${parts.join('; ')}${more} (${plural(changed.length, 'record set')} to change${del})`;
}

function fingerprint(zoneId: string, assessed: readonly Assessed[]): unknown {
  return {
    zoneId,
    records: assessed.map((a) => ({ key: keyLabel(a.target.key), set: a.before === null ? null : canonicalSet(a.before) })),
  };
}

async function plan(ctx: StepContext, w: Route53With): Promise<StepPlan> {
  const zoneId = normaliseZoneId(w.zoneId);
  const targets = targetsOf(w);
  const client = await stepClients(ctx).route53();
  const sets = await read(ctx, client, zoneId, targets.map((t) => t.key));
  const assessed = assess(targets, (key) => currentOf(sets, key));
  const changed = assessed.filter((a) => !sameSet(a.before, a.wanted));
  const deletes = changed.filter((a) => a.wanted === null).length;
  return {
    summary: planSummary(changed, assessed.length, deletes),
    lines: assessed.flatMap(planLines),
    counts: { records: changed.length, deletes },
    mutating: changed.length > 0,
    fingerprint: fingerprint(zoneId, assessed),
  };
}

// ---------------------------------------------------------------- execute

/**
 * The undo record to use: the one an earlier attempt journaled (never re-captured), extended
 * with any record set it does not cover yet (journaled again before anything changes).
 */
async function undoFor(ctx: StepContext, zoneId: string, targets: readonly Target[], seen: Map<string, ResourceRecordSet | null>): Promise<Route53Undo> {
  const keys = targets.map((t) => t.key);
  if (ctx.priorUndo === undefined || ctx.priorUndo === null) {
    // Where it acted, on record for every change (contract: account, region, role), so the undo checks it acts there too.
    const acted = await actedWith(stepClients(ctx), ctx.step.aws);
    const undo: Route53Undo = { ...captureUndo(zoneId, keys, seen), ...(acted ? { acted } : {}) };
    await ctx.recordUndo(undo);
    return undo;
  }
  const prior = parseUndo(ctx.priorUndo);
  if (normaliseZoneId(prior.zoneId) !== zoneId)
    throw new StepError(`this step's earlier attempt changed hosted zone ${prior.zoneId}, but the runbook now says ${zoneId}`, {
      hint: `roll back the earlier run first (lifeboat rollback <run-id>), then run again`,
    });
  const known = new Set(prior.before.map((e) => keyId(undoKey(e))));
  const missing = keys.filter((k) => !known.has(keyId(k)));
  if (missing.length === 0) return prior;
  const extended: Route53Undo = { ...prior, before: [...prior.before, ...missing.map((k) => undoEntry(k, currentOf(seen, k)))] };
  await ctx.recordUndo(extended);
  return extended;
}

/** On a retry or resume a set may already be as wanted (our earlier attempt), or still as before; anything else is someone else's change. */
function checkNotDrifted(a: Assessed, current: ResourceRecordSet | null): void {
  if (sameSet(current, a.before) || sameSet(current, a.wanted)) return;
  throw driftError({ key: a.target.key, current: a.before, wanted: a.wanted }, current, 0);
}

async function execute(ctx: StepContext, w: Route53With, options: Required<Route53StepOptions>): Promise<StepResult> {
  if (ctx.dryRun) {
    const p = await plan(ctx, w);
    return { outputs: { changeId: '' }, summary: `dry run, nothing sent: ${p.summary}` };
  }
  const zoneId = normaliseZoneId(w.zoneId);
  const targets = targetsOf(w);
  const client = await stepClients(ctx).route53();
  const seen = await read(ctx, client, zoneId, targets.map((t) => t.key));
  const undo = await undoFor(ctx, zoneId, targets, seen);
  const beforeByKey = new Map(undo.before.map((e) => [keyId(undoKey(e)), e.set] as const));
  const assessed = assess(targets, (key) => beforeByKey.get(keyId(key)) ?? null);
  for (const a of assessed) checkNotDrifted(a, currentOf(seen, a.target.key));
  const moves = assessed
    .map((a) => ({ key: a.target.key, current: currentOf(seen, a.target.key), wanted: a.wanted }))
    .filter((m) => !sameSet(m.current, m.wanted));
  const left: Route53Left = { kind: UNDO_KIND, zoneId, after: assessed.map((a) => undoEntry(a.target.key, a.wanted)) };
  if (moves.length === 0) {
    ctx.out.info(`${plural(assessed.length, 'record set')} already as wanted in hosted zone ${zoneId}: nothing sent`);
    return { outputs: { changeId: '' }, summary: `nothing to change: ${plural(assessed.length, 'record set')} already as wanted`, left };
  }
  const ids = await applyMoves(ctx, client, moves, { zoneId, comment: `lifeboat ${ctx.runbook.name} ${ctx.step.id}`, spacingMs: options.batchSpacingMs });
  ctx.out.info(`sent Route 53 change ${ids.join(', ')} (${plural(moves.length, 'record set')})`);
  if ((w.wait ?? 'insync') === 'insync') await waitInsync(ctx, client, zoneId, ids, waitTimeoutMs(w), options.pollIntervalMs);
  const changeId = ids[ids.length - 1] ?? '';
  const what = moves.map((m) => `${keyLabel(m.key)}: ${transition(m.current, m.wanted)}`).join('; ');
  return { outputs: { changeId }, summary: `${what} (change ${changeId}${(w.wait ?? 'insync') === 'insync' ? ', INSYNC' : ''})`, left };
}

// ---------------------------------------------------------------- verify, rollback, describeUndo

async function verify(ctx: StepContext, w: Route53With): Promise<void> {
  const zoneId = normaliseZoneId(w.zoneId);
  const targets = targetsOf(w);
  const client = await stepClients(ctx).route53();
  const sets = await read(ctx, client, zoneId, targets.map((t) => t.key));
  for (const t of targets) {
    const current = currentOf(sets, t.key);
    // Built on the current set: a change without ttl accepts whatever TTL it kept.
    const wanted = wantedSet(t, current);
    if (!sameSet(current, wanted))
      throw new StepError(`${keyLabel(t.key)} reads back as ${stateText(current)}, expected ${stateText(wanted)}`, {
        hint: `someone may have changed it after this step, or the change did not apply: check with aws route53 list-resource-record-sets --hosted-zone-id ${zoneId} --start-record-name ${t.key.name} --start-record-type ${t.key.type}`,
      });
  }
}

async function rollback(ctx: StepContext, w: Route53With, raw: unknown, options: Required<Route53StepOptions>): Promise<void> {
  const undo = parseUndo(raw);
  const zoneId = normaliseZoneId(undo.zoneId);
  const client = await (await undoClients(ctx, undo.acted)).route53();
  const keys = undo.before.map(undoKey);
  const now = await read(ctx, client, zoneId, keys);
  const moves = undo.before
    .map((e) => ({ key: undoKey(e), current: currentOf(now, undoKey(e)), wanted: e.set }))
    .filter((m) => !sameSetExactly(m.current, m.wanted));
  if (moves.length === 0) {
    ctx.out.info(`${plural(keys.length, 'record set')} already as before in hosted zone ${zoneId}: nothing to restore`);
    return;
  }
  const ids = await applyMoves(ctx, client, moves, { zoneId, comment: `lifeboat rollback ${ctx.runbook.name} ${ctx.step.id}`, spacingMs: options.batchSpacingMs });
  ctx.out.info(`restored ${plural(moves.length, 'record set')} with Route 53 change ${ids.join(', ')}`);
  if ((w.wait ?? 'insync') === 'insync') await waitInsync(ctx, client, zoneId, ids, waitTimeoutMs(w), options.pollIntervalMs);
}

function parseLeft(raw: unknown): Route53Left | undefined {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  if (!o || o.kind !== UNDO_KIND || typeof o.zoneId !== 'string' || !Array.isArray(o.after) || !o.after.every(isUndoEntry)) return undefined;
  return { kind: UNDO_KIND, zoneId: o.zoneId, after: o.after };
}

/** A set's values with its TTL and routing in brackets (none for an alias without routing: no empty brackets). */
function stateText(set: ResourceRecordSet | null): string {
  if (set === null) return '(none)';
  const settings = settingsText(set);
  return settings === '' ? valuesText(set) : `${valuesText(set)} (${settings})`;
}

/**
 * The way back, read against the zone: each set `now → before`. Drift: a set is not what
 * the step left (another value, TTL, weight, alias, routing, or gone). For a step that
 * stopped before its result, each set may be as before or as the change wanted: anything
 * else is someone else's.
 */
async function previewUndo(ctx: StepContext, w: Route53With, raw: unknown, rawLeft: unknown): Promise<UndoPreview> {
  const undo = parseUndo(raw);
  const zoneId = normaliseZoneId(undo.zoneId);
  const client = await (await undoClients(ctx, undo.acted)).route53();
  const keys = undo.before.map(undoKey);
  const now = await read(ctx, client, zoneId, keys);
  const left = parseLeft(rawLeft);
  const leftByKey = new Map((left?.after ?? []).map((e) => [keyId(undoKey(e)), e.set] as const));
  let wantedByKey: Map<string, ResourceRecordSet | null> | undefined;
  if (!left) {
    try {
      const beforeByKey = new Map(undo.before.map((e) => [keyId(undoKey(e)), e.set] as const));
      wantedByKey = new Map(targetsOf(w).map((t) => [keyId(t.key), wantedSet(t, beforeByKey.get(keyId(t.key)) ?? null)] as const));
    } catch {
      wantedByKey = undefined; // the runbook's `with` no longer resolves: only "as before" is known
    }
  }
  const lines: PlanLine[] = [];
  const drift: DriftItem[] = [];
  for (const e of undo.before) {
    const key = undoKey(e);
    const label = keyLabel(key);
    const current = currentOf(now, key);
    if (sameSet(current, e.set)) lines.push({ kind: 'info', text: `${label}: already as before (${stateText(current)}): nothing to do` });
    else lines.push({ kind: e.set === null ? 'remove' : current === null ? 'add' : 'change', text: `${label}: ${stateText(current)} → ${stateText(e.set)}` });
    if (left) {
      const leftSet = leftByKey.has(keyId(key)) ? (leftByKey.get(keyId(key)) ?? null) : undefined;
      if (leftSet !== undefined && !sameSet(current, leftSet)) drift.push({ resource: `${label} in hosted zone ${zoneId}`, left: stateText(leftSet), now: stateText(current) });
    } else if (wantedByKey?.has(keyId(key))) {
      const wanted = wantedByKey.get(keyId(key)) ?? null;
      if (!sameSet(current, e.set) && !sameSet(current, wanted))
        drift.push({ resource: `${label} in hosted zone ${zoneId}`, left: `${stateText(e.set)} or ${stateText(wanted)}`, now: stateText(current) });
    }
  }
  return { lines, drift };
}

function describeUndo(_w: Route53With, raw: unknown): string {
  let undo: Route53Undo;
  try {
    undo = parseUndo(raw);
  } catch {
    return 'no usable undo record: the record sets cannot be restored automatically';
  }
  const parts = undo.before.map((e) => {
    const label = keyLabel(undoKey(e));
    return e.set === null ? `delete ${label} (it did not exist)` : `${label} back to ${stateText(e.set)}`;
  });
  return `restore ${plural(undo.before.length, 'record set')} in hosted zone ${undo.zoneId}: ${parts.join('; ')}`;
}

/** The step, with its polling interval and batch spacing injectable for tests. */
export function createRoute53Step(opts: Route53StepOptions = {}): StepImpl<Route53With> {
  const options: Required<Route53StepOptions> = { pollIntervalMs: opts.pollIntervalMs ?? 2000, batchSpacingMs: opts.batchSpacingMs ?? 200 };
  return {
    type: 'route53.change-records',
    plan,
    execute: (ctx, w) => execute(ctx, w, options),
    verify,
    rollback: (ctx, w, undo) => rollback(ctx, w, undo, options),
    describeUndo,
    previewUndo,
  };
}

export const route53Step = createRoute53Step();

export const route53ChangeRecordsType = defineStepType({
  type: 'route53.change-records',
  description:
    'UPSERT/CREATE/DELETE Route 53 record sets (simple, weighted, failover, latency `region`, geolocation `geo`, `multiValue`, `alias` targets); captures the previous sets first and restores them on rollback.',
  with: route53With,
  outputs: ['changeId'],
  undo: 'builtin',
  live: true,
  awsServices: ['Route 53'],
  confirmation: {
    text: (w) => recordNameConfirmation(Array.isArray(w.changes) ? (w.changes[0] as { name?: unknown } | undefined)?.name : undefined),
    dnsName: true,
  },
  load: async () => route53Step,
});
