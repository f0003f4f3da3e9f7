/**
 * Route 53 helpers for the route53.change-records step: record names and keys, reading the
 * record sets of one name/type/set identifier, comparing sets, batching changes, polling a
 * change until INSYNC, and describing SDK errors so that an operator can act on them.
 *
 * Retries: clients.ts creates the client with retryMode 'adaptive' and maxAttempts 8 (unless configured). The
 * SDK's retry middleware (@smithy/core retry, service-error-classification) classifies as
 * throttling every error whose name is in THROTTLING_ERROR_CODES, which includes both
 * `Throttling` (the code Route 53 sends for "Rate exceeded") and `PriorRequestNotComplete`
 * (Route 53's "a change for this zone is still being processed"), plus any HTTP 429. Those
 * are retried with backoff and client-side rate limiting; this module does not retry them
 * again. ECONNREFUSED and 5xx are retried as transient errors.
 */
// The SDK's commands are imported where they are sent (the client is loaded by then): the
// step types that use this module stay light to load, so `validate` never loads the SDK.
import type { Change, ListResourceRecordSetsCommandInput, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { sleep } from '../util/sleep.js';

/** One record set's identity in a zone: name (normalised), type, and set identifier if any. */
export interface RecordKey {
  name: string;
  type: string;
  setIdentifier?: string | undefined;
}

/** Route 53 accepts at most this many ResourceRecord elements and Value characters per request. */
export const BATCH_LIMITS = { records: 1000, chars: 32_000 } as const;

/** `/hostedzone/Z123` and `Z123` name the same zone; messages and the journal use `Z123`. */
export function normaliseZoneId(zoneId: string): string {
  return zoneId.trim().replace(/^\/?hostedzone\//, '');
}

/** `/change/C123` → `C123`. */
export function normaliseChangeId(changeId: string | undefined): string {
  return (changeId ?? '').replace(/^\/?change\//, '');
}

/**
 * The name as Route 53 compares it: lowercase, with the final dot, and with the `\ddd` octal
 * escapes that ListResourceRecordSets uses (`\052` for `*`) turned back into characters.
 */
export function normaliseName(name: string): string {
  const decoded = name.trim().replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  const lower = decoded.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

export function keyId(key: RecordKey): string {
  return `${normaliseName(key.name)}|${key.type}|${key.setIdentifier ?? ''}`;
}

/** `app.example.com. CNAME`, or `w.example.com. A [blue]` for a set with an identifier. */
export function keyLabel(key: RecordKey): string {
  const base = `${normaliseName(key.name)} ${key.type}`;
  return key.setIdentifier === undefined ? base : `${base} [${key.setIdentifier}]`;
}

export function keyOfSet(set: ResourceRecordSet): RecordKey {
  return { name: normaliseName(set.Name ?? ''), type: set.Type ?? '', setIdentifier: set.SetIdentifier };
}

/** Types whose values are domain names: case and the final dot do not matter. */
const NAME_VALUED = new Set(['CNAME', 'NS', 'PTR']);

function normaliseValue(type: string, value: string): string {
  if (!NAME_VALUED.has(type)) return value;
  const lower = value.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Objects with their keys sorted and undefined fields dropped, so JSON text compares. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = sortKeys(v);
  }
  return out;
}

/**
 * A record set in a form that compares by meaning: name normalised, values in a set order
 * (name-valued types also without case or final dot), alias target name normalised, keys
 * sorted. Used for idempotency, drift detection and plan fingerprints.
 */
export function canonicalSet(set: ResourceRecordSet): Record<string, unknown> {
  const type = set.Type ?? '';
  const out: Record<string, unknown> = { ...set, Name: normaliseName(set.Name ?? '') };
  if (set.ResourceRecords) out.ResourceRecords = set.ResourceRecords.map((r) => normaliseValue(type, r.Value ?? '')).sort();
  if (set.AliasTarget) {
    out.AliasTarget = { ...set.AliasTarget, DNSName: normaliseName(set.AliasTarget.DNSName ?? ''), HostedZoneId: (set.AliasTarget.HostedZoneId ?? '').replace(/^\/?hostedzone\//, '') };
    // An alias has no TTL of its own (AWS lists none); moto (5.2) lists it with TTL 0.
    delete out.TTL;
  }
  return sortKeys(out) as Record<string, unknown>;
}

/** Same record set by meaning (null: no such set). */
export function sameSet(a: ResourceRecordSet | null, b: ResourceRecordSet | null): boolean {
  if (a === null || b === null) return a === b;
  return JSON.stringify(canonicalSet(a)) === JSON.stringify(canonicalSet(b));
}

/** Same values by meaning (order, and for name-valued types case and final dot, ignored). */
export function sameValues(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  return JSON.stringify(canonicalSet(a).ResourceRecords ?? null) === JSON.stringify(canonicalSet(b).ResourceRecords ?? null);
}

/** Same record set exactly, value order included (only the name's spelling is normalised). */
export function sameSetExactly(a: ResourceRecordSet | null, b: ResourceRecordSet | null): boolean {
  if (a === null || b === null) return a === b;
  const exact = (s: ResourceRecordSet): string => JSON.stringify(sortKeys({ ...s, Name: normaliseName(s.Name ?? '') }));
  return exact(a) === exact(b);
}

/** The values of a set for a summary: `a, b`; an alias as `alias → name`; `(none)` when absent. */
export function valuesText(set: ResourceRecordSet | null): string {
  if (set === null) return '(none)';
  if (set.AliasTarget) return `alias → ${set.AliasTarget.DNSName ?? '?'}`;
  const values = (set.ResourceRecords ?? []).map((r) => r.Value ?? '');
  return values.length ? values.join(', ') : '(no values)';
}

/** TTL and routing of a set: `ttl 60, weight 10, failover PRIMARY, health check abc`. */
export function settingsText(set: ResourceRecordSet | null): string {
  if (set === null) return '(none)';
  const parts: string[] = [];
  if (set.TTL !== undefined) parts.push(`ttl ${set.TTL}`);
  if (set.Weight !== undefined) parts.push(`weight ${set.Weight}`);
  if (set.Failover !== undefined) parts.push(`failover ${set.Failover}`);
  if (set.HealthCheckId !== undefined) parts.push(`health check ${set.HealthCheckId}`);
  for (const other of ['Region', 'GeoLocation', 'MultiValueAnswer', 'CidrRoutingConfig', 'GeoProximityLocation'] as const) {
    if (set[other] !== undefined) parts.push(`${other} ${JSON.stringify(set[other])}`);
  }
  return parts.join(', ');
}

/** One plan line for a set: `w.example.com. A [blue] ttl 60, weight 10: 192.0.2.1`. */
export function describeSet(set: ResourceRecordSet): string {
  const settings = settingsText(set);
  return `${keyLabel(keyOfSet(set))}${settings ? ` ${settings}` : ''}: ${valuesText(set)}`;
}

type Cursor = Pick<ListResourceRecordSetsCommandInput, 'StartRecordName' | 'StartRecordType' | 'StartRecordIdentifier'>;

/**
 * Every record set of one name and type (all set identifiers), reading from StartRecordName /
 * StartRecordType onwards and following pagination until the listing moves past that name and
 * type (the listing is sorted by name, then type, then set identifier).
 */
export async function listNameType(client: Route53Client, zoneId: string, name: string, type: string, signal?: AbortSignal): Promise<ResourceRecordSet[]> {
  const wanted = normaliseName(name);
  const found: ResourceRecordSet[] = [];
  let cursor: Cursor = { StartRecordName: wanted, StartRecordType: type as Cursor['StartRecordType'] };
  const cursorsSeen = new Set<string>();
  for (;;) {
    const { ListResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53');
    const page = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...cursor }), { abortSignal: signal });
    for (const set of page.ResourceRecordSets ?? []) {
      if (normaliseName(set.Name ?? '') !== wanted || set.Type !== type) return found;
      found.push(set);
    }
    if (!page.IsTruncated) return found;
    cursor = { StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType, StartRecordIdentifier: page.NextRecordIdentifier };
    if (normaliseName(cursor.StartRecordName ?? '') !== wanted || cursor.StartRecordType !== type) return found;
    // moto ignores StartRecordIdentifier and omits NextRecordIdentifier: a cursor that does
    // not move would loop for ever, so stop loudly instead.
    const seen = JSON.stringify(cursor);
    if (cursorsSeen.has(seen)) throw new Error(`ListResourceRecordSets returned the same page twice for ${wanted} ${type} (the endpoint does not paginate by set identifier)`);
    cursorsSeen.add(seen);
  }
}

/**
 * The current set of each key (null when absent), reading each name/type once however many
 * of its set identifiers are asked for. Sequential on purpose: Route 53 allows 5 requests/s.
 */
export async function readSets(client: Route53Client, zoneId: string, keys: readonly RecordKey[], signal?: AbortSignal): Promise<Map<string, ResourceRecordSet | null>> {
  const byNameType = new Map<string, ResourceRecordSet[]>();
  const result = new Map<string, ResourceRecordSet | null>();
  for (const key of keys) {
    const nt = `${normaliseName(key.name)}|${key.type}`;
    let sets = byNameType.get(nt);
    if (!sets) {
      sets = await listNameType(client, zoneId, key.name, key.type, signal);
      byNameType.set(nt, sets);
    }
    result.set(keyId(key), sets.find((s) => (s.SetIdentifier ?? '') === (key.setIdentifier ?? '')) ?? null);
  }
  return result;
}

/** Every record set of a zone (all pages). For tests and diagnostics; a step reads by name. */
export async function listAllSets(client: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  const all: ResourceRecordSet[] = [];
  let cursor: Cursor = {};
  for (;;) {
    const { ListResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53');
    const page = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...cursor }));
    all.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated) return all;
    cursor = { StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType, StartRecordIdentifier: page.NextRecordIdentifier };
  }
}

/** ResourceRecord elements and Value characters a change costs against the batch limits (UPSERT counts twice). */
function changeCost(change: Change): { records: number; chars: number } {
  const values = change.ResourceRecordSet?.ResourceRecords ?? [];
  const factor = change.Action === 'UPSERT' ? 2 : 1;
  return { records: values.length * factor, chars: values.reduce((n, r) => n + (r.Value ?? '').length, 0) * factor };
}

/**
 * Split items into request batches within Route 53's limits. The changes of one item (the
 * DELETE and CREATE of one record set) are never split, so each record set changes atomically;
 * an item too big on its own gets a batch of its own (and Route 53's own error).
 */
export function chunkByLimits<T>(items: readonly T[], changesOf: (item: T) => Change[], limits: { records: number; chars: number } = BATCH_LIMITS): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let used = { records: 0, chars: 0 };
  for (const item of items) {
    const cost = changesOf(item)
      .map(changeCost)
      .reduce((a, b) => ({ records: a.records + b.records, chars: a.chars + b.chars }), { records: 0, chars: 0 });
    if (current.length > 0 && (used.records + cost.records > limits.records || used.chars + cost.chars > limits.chars)) {
      batches.push(current);
      current = [];
      used = { records: 0, chars: 0 };
    }
    current.push(item);
    used = { records: used.records + cost.records, chars: used.chars + cost.chars };
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** An alias set as Route 53 takes it: without the TTL 0 moto (5.2) lists alias sets with (AWS lists none, and rejects one). */
function sendable(change: Change): Change {
  const set = change.ResourceRecordSet;
  if (!set?.AliasTarget || set.TTL === undefined) return change;
  const { TTL: _ttl, ...rest } = set;
  return { ...change, ResourceRecordSet: rest };
}

/** Send one batch; returns the change id without its `/change/` prefix. */
export async function sendChangeBatch(client: Route53Client, zoneId: string, changes: Change[], comment: string, signal?: AbortSignal): Promise<string> {
  const { ChangeResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53');
  const res = await client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: comment, Changes: changes.map(sendable) } }), { abortSignal: signal });
  return normaliseChangeId(res.ChangeInfo?.Id);
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Poll GetChange every `intervalMs` until INSYNC. Returns false when `timeoutMs` passes first.
 * (The SDK's waitUntilResourceRecordSetsChanged has a 30 s minimum delay: too coarse here.)
 * An abort rejects with the signal's reason.
 */
export async function waitForInsync(client: Route53Client, changeId: string, options: WaitOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const { GetChangeCommand } = await import('@aws-sdk/client-route-53');
    const res = await client.send(new GetChangeCommand({ Id: changeId }), { abortSignal: options.signal });
    if (res.ChangeInfo?.Status === 'INSYNC') return true;
    if (Date.now() + options.intervalMs > deadline) return false;
    await sleep(options.intervalMs, options.signal);
  }
}

/** What an operator is told about a failed Route 53 call. */
export interface ErrorAdvice {
  message: string;
  hint: string;
}

export interface ErrorContext {
  zoneId: string;
  /** What lifeboat was doing: "reading", "changing", "waiting for". */
  doing: string;
  /** The record sets concerned, e.g. `app.example.com. CNAME`. */
  records?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

const ACCESS_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'NotAuthorizedException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  messages?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  cause?: unknown;
  errors?: unknown;
}

/** The endpoint the SDK talks to for Route 53, and the variable that set it. */
export function route53Endpoint(env: NodeJS.ProcessEnv = process.env): { url: string; variable?: string } {
  if (env.AWS_ENDPOINT_URL_ROUTE_53) return { url: env.AWS_ENDPOINT_URL_ROUTE_53, variable: 'AWS_ENDPOINT_URL_ROUTE_53' };
  if (env.AWS_ENDPOINT_URL) return { url: env.AWS_ENDPOINT_URL, variable: 'AWS_ENDPOINT_URL' };
  return { url: 'https://route53.amazonaws.com' };
}

/** The Node network error code of an error or of its cause / aggregated errors. */
function networkCode(err: SdkErrorShape, depth = 0): string | undefined {
  if (typeof err.code === 'string' && NETWORK_CODES.has(err.code)) return err.code;
  if (depth > 3) return undefined;
  const nested: unknown[] = [err.cause];
  if (Array.isArray(err.errors)) nested.push(...(err.errors as unknown[]));
  for (const inner of nested) {
    if (inner && typeof inner === 'object') {
      const code = networkCode(inner, depth + 1);
      if (code) return code;
    }
  }
  return undefined;
}

function zoneMissing(c: ErrorContext): ErrorAdvice {
  return {
    message: `hosted zone ${c.zoneId} does not exist (check the zoneId the step was given; list zones with aws route53 list-hosted-zones)`,
    hint: `check the zoneId given to the step (a param such as zone_id); \`aws route53 list-hosted-zones\` lists the zones these credentials can see`,
  };
}

function accessDenied(c: ErrorContext, name: string, message: string): ErrorAdvice {
  return {
    message: `Route 53 refused access while ${c.doing} ${c.records ?? 'record sets'} in hosted zone ${c.zoneId} (${name}: ${message})`,
    hint:
      `check which identity lifeboat runs as with \`aws sts get-caller-identity\` (and --profile / AWS_PROFILE); ` +
      `it needs route53:ListResourceRecordSets, route53:ChangeResourceRecordSets and route53:GetChange on hostedzone/${c.zoneId}`,
  };
}

function unreachable(c: ErrorContext, code: string): ErrorAdvice {
  const endpoint = route53Endpoint(c.env);
  return {
    message: `the Route 53 endpoint ${endpoint.url} is not answering (${code}) while ${c.doing} ${c.records ?? 'record sets'}`,
    hint: endpoint.variable
      ? `${endpoint.variable} is set to ${endpoint.url}: is that server running? Unset it to use AWS itself`
      : `check network access to ${endpoint.url} (proxy, VPN, DNS); AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_ROUTE_53 point lifeboat at another endpoint`,
  };
}

function rejectedBatch(c: ErrorContext, err: SdkErrorShape, message: string): ErrorAdvice {
  const details = Array.isArray(err.messages) && err.messages.length > 0 ? err.messages.map(String).join('; ') : message;
  return {
    message: `Route 53 rejected the change to ${c.records ?? 'the record sets'} in hosted zone ${c.zoneId}: ${details}`,
    hint: 'nothing in this batch was applied (a change batch is all or nothing); fix the record in the runbook and run again',
  };
}

/**
 * Advice for a Route 53 / SDK error, or undefined when it is not one we know (the caller then
 * reports the raw error). Aborts are not errors to advise on: callers rethrow them first.
 */
export function describeRoute53Error(err: unknown, c: ErrorContext): ErrorAdvice | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = networkCode(e);
  if (code) return unreachable(c, code);
  if (name === 'NoSuchHostedZone' || name === 'HostedZoneNotFound') return zoneMissing(c);
  if (ACCESS_ERRORS.has(name) || e.$metadata?.httpStatusCode === 403) return accessDenied(c, name, message);
  if (name === 'CredentialsProviderError')
    return { message: `no AWS credentials found while ${c.doing} ${c.records ?? 'record sets'} (${message})`, hint: accessDenied(c, name, message).hint };
  if (name === 'InvalidChangeBatch' || name === 'InvalidInput') return rejectedBatch(c, e, message);
  if (name === 'NoSuchHealthCheck')
    return { message: `a health check named in ${c.records ?? 'the change'} does not exist (${message})`, hint: 'list health checks with `aws route53 list-health-checks` and fix healthCheckId' };
  if (name === 'Throttling' || name === 'ThrottlingException' || name === 'PriorRequestNotComplete')
    return {
      message: `Route 53 is still refusing requests (${name}) after ${e.$metadata?.attempts ?? 'several'} attempts while ${c.doing} ${c.records ?? 'record sets'}`,
      hint: 'Route 53 allows 5 requests per second per account: something else is calling it heavily; wait a minute and retry',
    };
  return undefined;
}
