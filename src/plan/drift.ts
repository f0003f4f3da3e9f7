/**
 * What moved in the world between two plans of the same step, told so an operator can act
 * on it: `app.example.com. CNAME changed since the plan (plan saw primary.example.com, now
 * other.example.com)`. Compares the fingerprints steps return from `plan` (src/steps/types.ts).
 * Pure.
 *
 * Known fingerprint shapes get a precise message:
 *   route53.change-records  { zoneId, records: [{ key: 'app.example.com. CNAME', set: <canonical set> | null }] }
 *   anything with `target`  { target: 's3://bucket/prefix/', … } (s3.restore): the fields that differ
 * Any other shape falls back to the JSON paths that differ. Plan lines (the before → after
 * the operator saw) that differ are added when given, so a restore names the keys that moved.
 */
import type { PlanLine } from '../steps/types.js';

/** JSON text with object keys sorted: two fingerprints compare by content, not key order. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value ?? null));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = sortKeys(v);
  }
  return out;
}

/** Same fingerprint (undefined and null both mean "none"). */
export function sameFingerprint(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ------------------------------------------------------------------ route53 record sets

interface RecordEntry {
  key: string;
  set: Obj | null;
}

function recordsOf(fp: unknown): RecordEntry[] | undefined {
  if (!isObj(fp) || !Array.isArray(fp.records)) return undefined;
  const out: RecordEntry[] = [];
  for (const r of fp.records) {
    if (!isObj(r) || typeof r.key !== 'string' || !(r.set === null || isObj(r.set))) return undefined;
    out.push({ key: r.key, set: r.set });
  }
  return out;
}

/** The values of a (canonical) record set: `a, b`, an alias, or `no record`. */
export function setValues(set: Obj | null): string {
  if (set === null) return 'no record';
  const alias = set.AliasTarget;
  if (isObj(alias)) return `alias → ${String(alias.DNSName ?? '?')}`;
  const values = Array.isArray(set.ResourceRecords) ? set.ResourceRecords.map((r) => (isObj(r) ? String(r.Value ?? '') : String(r))) : [];
  return values.length > 0 ? values.join(', ') : '(no values)';
}

function setSettings(set: Obj | null): string {
  if (set === null) return 'no record';
  const parts: string[] = [];
  if (set.TTL !== undefined) parts.push(`ttl ${String(set.TTL)}`);
  if (set.Weight !== undefined) parts.push(`weight ${String(set.Weight)}`);
  if (set.Failover !== undefined) parts.push(`failover ${String(set.Failover)}`);
  if (set.Region !== undefined) parts.push(`region ${String(set.Region)}`);
  if (set.HealthCheckId !== undefined) parts.push(`health check ${String(set.HealthCheckId)}`);
  return parts.length > 0 ? parts.join(', ') : 'no ttl or routing';
}

function describeRecords(before: Obj, now: Obj, b: RecordEntry[], n: RecordEntry[]): string[] {
  const out: string[] = [];
  if (before.zoneId !== now.zoneId) out.push(`hosted zone changed (plan used ${String(before.zoneId)}, now ${String(now.zoneId)})`);
  const nowByKey = new Map(n.map((r) => [r.key, r]));
  const beforeKeys = new Set(b.map((r) => r.key));
  for (const r of b) {
    const m = nowByKey.get(r.key);
    if (!m) {
      out.push(`${r.key} is no longer part of this step (the runbook or its params changed)`);
      continue;
    }
    if (sameFingerprint(r.set, m.set)) continue;
    if (r.set === null) out.push(`${r.key} was created since the plan (plan saw no record, now ${setValues(m.set)})`);
    else if (m.set === null) out.push(`${r.key} was deleted since the plan (plan saw ${setValues(r.set)}, now no record)`);
    else {
      const [x, y] = [setValues(r.set), setValues(m.set)];
      if (x !== y) out.push(`${r.key} changed since the plan (plan saw ${x}, now ${y})`);
      else {
        const [s, t] = [setSettings(r.set), setSettings(m.set)];
        out.push(`${r.key} changed since the plan (plan saw ${x} with ${s}, now ${t})`);
      }
    }
  }
  for (const r of n) if (!beforeKeys.has(r.key)) out.push(`${r.key} is new in this step (the runbook or its params changed)`);
  return out;
}

// ------------------------------------------------------------------ generic

function short(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v ?? null);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** Paths whose values differ, at most `max`. */
function diffPaths(a: unknown, b: unknown, path: string, out: Array<{ path: string; a: unknown; b: unknown }>, max: number): void {
  if (out.length >= max || sameFingerprint(a, b)) return;
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diffPaths(a[k], b[k], path ? `${path}.${k}` : k, out, max);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => diffPaths(v, b[i], `${path}[${i}]`, out, max));
    return;
  }
  out.push({ path: path || '(whole)', a, b });
}

const FIELD_WORDS: Record<string, string> = {
  state: 'the objects there (keys, sizes, ETags, versions)',
  keys: 'number of objects concerned',
  versioned: 'versioning',
};

function describeGeneric(before: unknown, now: unknown): string[] {
  const diffs: Array<{ path: string; a: unknown; b: unknown }> = [];
  diffPaths(before, now, '', diffs, 5);
  const label = isObj(before) && typeof before.target === 'string' ? before.target : undefined;
  return diffs.map((d) => {
    const what = FIELD_WORDS[d.path] ?? d.path;
    const detail = d.path === 'state' ? '' : ` (plan saw ${short(d.a)}, now ${short(d.b)})`;
    return `${label ? `${label}: ` : ''}${what} changed since the plan${detail}`;
  });
}

function lineText(l: PlanLine): string {
  const mark = { add: '+', remove: '-', change: '~', info: ' ' }[l.kind] ?? ' ';
  return `${mark} ${l.text}`;
}

/**
 * Lines describing what moved between the fingerprint a plan saw and the one seen now;
 * empty when nothing moved. `lines` (the plan lines then and now) add the differing lines.
 */
export function describeDrift(before: unknown, now: unknown, lines?: { before: readonly PlanLine[]; now: readonly PlanLine[] }): string[] {
  if (sameFingerprint(before, now)) return [];
  const b = recordsOf(before);
  const n = recordsOf(now);
  let out = b && n && isObj(before) && isObj(now) ? describeRecords(before, now, b, n) : describeGeneric(before, now);
  if (out.length === 0) out = ['what the step would change is no longer what the plan showed'];
  if (lines && !(b && n)) {
    const was = new Set(lines.before.filter((l) => l.kind !== 'info').map(lineText));
    const is = new Set(lines.now.filter((l) => l.kind !== 'info').map(lineText));
    const gone = [...was].filter((l) => !is.has(l)).slice(0, 5);
    const added = [...is].filter((l) => !was.has(l)).slice(0, 5);
    for (const l of gone) out.push(`plan showed: ${l}`);
    for (const l of added) out.push(`now: ${l}`);
  }
  return out;
}
