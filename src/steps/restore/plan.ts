/**
 * What a restore will do, as pure data, shared by `plan` and `execute`: for every selected
 * source object, its key relative to the source prefix, whether it is filtered out, safe,
 * and whether its destination is new, would be overwritten, or already holds the same bytes.
 */
import picomatch from 'picomatch';
import { UNDO_DIR, unsafeRelativeKey } from '../../aws/s3.js';
import type { SourceObject } from './select.js';

/** What is at a destination now (S3: from a listing; local: from lstat and, if needed, an MD5). */
export interface TargetObject {
  size: number;
  /** S3 ETag (unquoted), or for a local file the MD5 of its bytes when computed. */
  etag?: string | undefined;
  /** S3 version id of the current version (versioned targets). */
  versionId?: string | undefined;
  /** Local files: to detect a change between capture and write. */
  mtimeMs?: number | undefined;
  ino?: number | undefined;
}

export type ActionKind = 'create' | 'overwrite' | 'unchanged';

export interface Action {
  kind: ActionKind;
  source: SourceObject;
  /** The source key relative to the source prefix: also the destination relative to the target. */
  rel: string;
  existing?: TargetObject | undefined;
}

export interface RestorePlan {
  actions: Action[];
  /** Keys that would land outside the target: the restore refuses to start. */
  refused: Array<{ key: string; reason: string }>;
  creates: number;
  overwrites: number;
  unchanged: number;
  /** Bytes to write (creates and overwrites). */
  bytesToWrite: number;
  /** Bytes of every selected object, written or already in place. */
  bytesTotal: number;
  /** Objects left out by include/exclude. */
  filtered: number;
}

export interface PlanOptions {
  sourcePrefix: string;
  target: 's3' | 'local';
  /** S3 target: its key prefix (the reserved area is at the bucket root). */
  targetPrefix?: string | undefined;
  include?: string | string[] | undefined;
  exclude?: string | string[] | undefined;
}

/** A predicate over relative keys from include/exclude globs (picomatch; `dot: true`). */
export function keyFilter(include: string | string[] | undefined, exclude: string | string[] | undefined): (rel: string) => 'in' | 'excluded' | 'not-included' {
  const inc = include === undefined || (Array.isArray(include) && include.length === 0) ? undefined : picomatch(include, { dot: true });
  const exc = exclude === undefined || (Array.isArray(exclude) && exclude.length === 0) ? undefined : picomatch(exclude, { dot: true });
  return (rel) => {
    if (exc?.(rel)) return 'excluded';
    if (inc && !inc(rel)) return 'not-included';
    return 'in';
  };
}

/** Whether the destination already holds the source's bytes: same size and same ETag (or MD5). */
export function sameContent(source: SourceObject, existing: TargetObject | undefined): boolean {
  return existing !== undefined && existing.size === source.size && source.etag !== undefined && existing.etag === source.etag;
}

/**
 * The relative key of `key` under `prefix`, or undefined for the prefix's own placeholder
 * (and, for a local target, any "directory" placeholder ending in `/`).
 */
export function relativeKey(key: string, prefix: string, target: 's3' | 'local'): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rel = key.slice(prefix.length);
  if (rel === '') return undefined;
  if (target === 'local' && rel.endsWith('/')) return undefined;
  return rel;
}

/**
 * Decide, for each source object, what happens to it. `existing` is keyed by relative key.
 * Exclusions apply first (so an operator can exclude a bad key), then the safety check,
 * then inclusions.
 */
export function planRestore(sources: Iterable<SourceObject>, existing: ReadonlyMap<string, TargetObject>, options: PlanOptions): RestorePlan {
  const filter = keyFilter(options.include, options.exclude);
  const plan: RestorePlan = { actions: [], refused: [], creates: 0, overwrites: 0, unchanged: 0, bytesToWrite: 0, bytesTotal: 0, filtered: 0 };
  for (const source of sources) {
    const rel = relativeKey(source.key, options.sourcePrefix, options.target);
    // lifeboat's own preserved copies (a restore within one bucket, or from the bucket root).
    if (rel === undefined || source.key.startsWith(`${UNDO_DIR}/`)) continue;
    const verdict = filter(rel);
    if (verdict === 'excluded') {
      plan.filtered++;
      continue;
    }
    const unsafe = unsafeRelativeKey(rel, options.target, options.targetPrefix);
    if (unsafe) {
      plan.refused.push({ key: source.key, reason: unsafe });
      continue;
    }
    if (verdict === 'not-included') {
      plan.filtered++;
      continue;
    }
    const found = existing.get(rel);
    const kind: ActionKind = found === undefined ? 'create' : sameContent(source, found) ? 'unchanged' : 'overwrite';
    plan.actions.push({ kind, source, rel, existing: found });
    plan.bytesTotal += source.size;
    if (kind === 'unchanged') plan.unchanged++;
    else {
      plan.bytesToWrite += source.size;
      if (kind === 'create') plan.creates++;
      else plan.overwrites++;
    }
  }
  return plan;
}
