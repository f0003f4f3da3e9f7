/**
 * Pure: what the way back of an S3 restore does with each key of its undo record, read
 * against the target now. The record lists every planned write (it is journaled before
 * the first), so for a step that failed, was refused a page, interrupted or crashed, some
 * keys were never written by it — and may hold someone else's object by now. The rule:
 *
 * - a key is the restore's when it holds what the restore's copy looks like (the record's
 *   `expected` size and ETag), or, for a step that completed, what its result says it left
 *   (`left`: a difference there is drift, refused by the way back unless the operator
 *   overrides it, and then undone as before);
 * - a created key that is the restore's is deleted; an overwritten key that is the
 *   restore's gets its previous bytes back; an overwritten key already holding them is
 *   done;
 * - anything else is left alone and named: absent (never written, or deleted by someone
 *   else: the restore deletes nothing), or another object (someone else's, or one whose
 *   copy's ETag cannot be known in advance, e.g. a multipart copy).
 *
 * A record without `expected` (journaled by an older lifeboat) is undone as it always was:
 * every created key present is deleted, every overwritten one put back.
 */
import type { LocalRestoreUndo, LocalWriteExpectation, S3OverwrittenEntry, S3RestoreUndo, S3WriteExpectation } from './undo.js';
import { expectedOf } from './undo.js';

export interface ObjectNow {
  size: number;
  etag: string | undefined;
}

/** A key the way back does not touch, and why, for the preview and the outcome. */
export interface LeftAlone {
  key: string;
  /** e.g. `holds ETag …, not the restore's copy (ETag …)`. */
  why: string;
  /** Unversioned target: where the bytes from before the restore are kept (not deleted). */
  preservedKey?: string | undefined;
}

export interface S3UndoDecision {
  /** Created keys to delete (they hold the restore's copy). */
  remove: string[];
  /** Overwritten keys to put back (they hold the restore's copy). */
  putBack: S3OverwrittenEntry[];
  leftAlone: LeftAlone[];
  /** The record predates per-key expectations: undone without them. */
  legacy: boolean;
}

function etagText(o: { etag?: string | undefined } | undefined): string {
  return o === undefined ? 'absent' : `ETag ${o.etag ?? '?'}`;
}

/** Whether `now` is the restore's copy as expected; undefined when that cannot be told (ETag not known in advance, same size). */
export function isExpectedCopy(expect: S3WriteExpectation, now: ObjectNow): boolean | undefined {
  if (now.size !== expect.size) return false;
  if (expect.etag === undefined) return undefined;
  return now.etag === expect.etag;
}

function why(expect: S3WriteExpectation, now: ObjectNow, before?: S3OverwrittenEntry): string {
  const neither = before ? `neither what was there before (${etagText(before)}) nor ` : 'not ';
  if (expect.etag === undefined) return `holds ${etagText(now)} (${now.size} bytes): the restore cannot tell it from its own copy (that copy's ETag is not known in advance)`;
  return `holds ${etagText(now)}, ${neither}the restore's copy (ETag ${expect.etag}): not written by this restore`;
}

/**
 * `left`: what the step's result says it left (key → ETag), undefined for a step that
 * stopped before its result.
 */
export function decideS3Undo(undo: S3RestoreUndo, now: ReadonlyMap<string, ObjectNow>, left: ReadonlyMap<string, string | null> | undefined): S3UndoDecision {
  const expected = expectedOf(undo.expected);
  const decision: S3UndoDecision = { remove: [], putBack: [], leftAlone: [], legacy: expected === undefined };
  const leftByStep = (key: string): boolean => left !== undefined && left.has(key);

  for (const key of undo.created) {
    const cur = now.get(key);
    if (cur === undefined) continue; // never written, or already undone
    const expect = expected?.get(key);
    if (expected === undefined || leftByStep(key)) decision.remove.push(key);
    else if (expect === undefined) decision.leftAlone.push({ key, why: `holds ${etagText(cur)}: the undo record says nothing of what the restore wrote there` });
    else if (isExpectedCopy(expect, cur) === true) decision.remove.push(key);
    else decision.leftAlone.push({ key, why: why(expect, cur) });
  }

  for (const e of undo.overwritten) {
    const cur = now.get(e.key);
    if (cur && cur.size === e.size && e.etag !== undefined && cur.etag === e.etag) continue; // holds its previous bytes
    const expect = expected?.get(e.key);
    if (expected === undefined || leftByStep(e.key)) decision.putBack.push(e);
    else if (cur === undefined) decision.leftAlone.push({ key: e.key, why: 'absent: deleted since by someone else (the restore deletes nothing)', preservedKey: e.preservedKey });
    else if (expect === undefined) decision.leftAlone.push({ key: e.key, why: `holds ${etagText(cur)}: the undo record says nothing of what the restore wrote there`, preservedKey: e.preservedKey });
    else if (isExpectedCopy(expect, cur) === true) decision.putBack.push(e);
    else decision.leftAlone.push({ key: e.key, why: why(expect, cur, e), preservedKey: e.preservedKey });
  }
  return decision;
}

/** One line per key left alone: `s3://b/k: holds …`. */
export function leftAloneText(items: readonly LeftAlone[], uri: (key: string) => string): string[] {
  return items.map((l) => `${uri(l.key)}: ${l.why}${l.preservedKey ? `; its bytes from before the restore stay at ${uri(l.preservedKey)}` : ''}`);
}

/** The note shown for a record without per-key expectations. */
export const LEGACY_NOTE =
  'this undo record was journaled by an older lifeboat, without what each copy looks like: every key it lists is undone as before, whoever wrote it last';

/**
 * Resume: the keys of the first attempt's record that hold neither their state from before
 * the run nor the restore's copy: someone else has written there since. `now` holds every
 * planned destination key that exists (absent keys are not in it).
 */
export function changedSinceFirstAttempt(prior: S3RestoreUndo, keys: Iterable<string>, now: ReadonlyMap<string, ObjectNow>): Array<{ key: string; before: string; now: string }> {
  const expected = expectedOf(prior.expected);
  if (expected === undefined) return [];
  const created = new Set(prior.created);
  const overwritten = new Map(prior.overwritten.map((e) => [e.key, e]));
  const out: Array<{ key: string; before: string; now: string }> = [];
  for (const key of keys) {
    const expect = expected.get(key);
    if (expect === undefined) continue;
    const cur = now.get(key);
    const mine = cur !== undefined && isExpectedCopy(expect, cur) !== false;
    if (created.has(key)) {
      if (cur !== undefined && !mine) out.push({ key, before: 'absent', now: etagText(cur) });
    } else {
      const e = overwritten.get(key);
      if (e === undefined) continue;
      const asBefore = cur !== undefined && cur.size === e.size && (e.etag === undefined || cur.etag === e.etag);
      if (!mine && !asBefore) out.push({ key, before: etagText(e), now: etagText(cur) });
    }
  }
  return out;
}

/**
 * Local directory: a file is the restore's when it has the size and the mtime the restore
 * gave it (the source object's LastModified, set before the file is renamed into place).
 * 2 s of slack: some file systems keep mtimes at 2 s (FAT) and round.
 */
export function isExpectedFile(expect: LocalWriteExpectation, now: { size: number; mtimeMs: number }): boolean {
  return now.size === expect.size && Math.abs(now.mtimeMs - expect.mtimeMs) < 2000;
}

/** Resume into a directory: the paths of the first attempt's record that hold neither what was there before nor the restore's file. */
export function localChangedSinceFirstAttempt(
  prior: LocalRestoreUndo,
  now: ReadonlyMap<string, { size: number; mtimeMs?: number | undefined }>,
): Array<{ key: string; before: string; now: string }> {
  const expected = expectedOf(prior.expected);
  if (expected === undefined) return [];
  const describe = (o: { size: number } | undefined): string => (o === undefined ? 'absent' : `a file of ${o.size} bytes`);
  const out: Array<{ key: string; before: string; now: string }> = [];
  const check = (rel: string, before: { size: number; mtimeMs?: number | undefined } | undefined): void => {
    const expect = expected.get(rel);
    if (expect === undefined) return;
    const cur = now.get(rel);
    const mine = cur !== undefined && cur.mtimeMs !== undefined && isExpectedFile(expect, { size: cur.size, mtimeMs: cur.mtimeMs });
    const asBefore = before === undefined ? cur === undefined : cur !== undefined && cur.size === before.size && (before.mtimeMs === undefined || cur.mtimeMs === before.mtimeMs);
    if (!mine && !asBefore) out.push({ key: rel, before: describe(before), now: describe(cur) });
  };
  for (const rel of prior.created) check(rel, undefined);
  for (const e of prior.overwritten) check(e.path, e);
  return out;
}
