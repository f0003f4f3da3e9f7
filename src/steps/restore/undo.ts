/**
 * The undo record of s3.restore, journaled (recordUndo) before the first write. Plain JSON,
 * no secrets: bucket names, keys, ETags, version ids, relative paths. It is complete on its
 * own: rollback needs nothing from the runbook.
 *
 * S3 target:
 *   versioned (Enabled): `overwritten[].versionId` is the version current before the
 *     restore; rollback copies it back (a new version with the same bytes and metadata).
 *     Keys in `created` get a delete marker (DeleteObjects without a version id): the visible
 *     state is the one before, and the restored bytes stay as noncurrent versions.
 *   unversioned (or Suspended): before the first overwrite each existing object is copied
 *     to `<preservedPrefix><key>` (preservedPrefix = `.lifeboat-undo/<undoId>/`) in the target
 *     bucket; rollback copies it back, deletes `created` keys, then deletes the preserved
 *     copies.
 * Local directory: existing files are hard-linked (or copied) to `<dir>/<undoDir>/<rel>`
 *   before the first write; rollback renames them back, removes created files, temporary
 *   files and directories the restore created.
 *
 * The record is journaled before the first write, so it lists every planned write, also
 * those a failed, refused or interrupted step never made. `expected` says, per destination,
 * what the restore's own write looks like (S3: size and, where it can be known in advance,
 * the ETag; local: size and the mtime the restore gives the file): the way back deletes or
 * replaces only what is provably the restore's write (or, for a step that completed, what
 * its result says it left) and leaves anything else alone, naming it (restore/undo-check.ts).
 * Records journaled before `expected` existed roll back as they always did, with a note.
 */
import { randomBytes } from 'node:crypto';

export interface S3OverwrittenEntry {
  key: string;
  size: number;
  etag?: string | undefined;
  versionId?: string | undefined;
  /** Unversioned target: where the previous bytes were preserved. */
  preservedKey?: string | undefined;
}

export interface S3RestoreUndo {
  v: 1;
  kind: 's3';
  bucket: string;
  prefix: string;
  versioned: boolean;
  undoId: string;
  /** Unversioned target: `.lifeboat-undo/<undoId>/`. */
  preservedPrefix?: string | undefined;
  /** Destination keys that did not exist before. */
  created: string[];
  overwritten: S3OverwrittenEntry[];
  /**
   * Per key of `created` and `overwritten`: what the restore's copy will be (plain JSON
   * object; read it with expectedOf, never with `in` or `[key]` alone). Absent in records
   * journaled by lifeboat before it was added.
   */
  expected?: Record<string, S3WriteExpectation> | undefined;
}

/** What the restore's copy of one key looks like. */
export interface S3WriteExpectation {
  size: number;
  /**
   * The copy's ETag, when known before copying: a single-part copy of a source whose ETag is
   * a plain MD5 keeps it. Absent otherwise (multipart copies, a source uploaded in parts).
   */
  etag?: string | undefined;
}

export interface LocalOverwrittenEntry {
  path: string;
  size: number;
  /** The replaced file's mtime (absent in older records). */
  mtimeMs?: number | undefined;
  /** Relative to `dir`. */
  preserved: string;
}

export interface LocalRestoreUndo {
  v: 1;
  kind: 'local';
  /** Absolute. */
  dir: string;
  undoId: string;
  /** Relative to `dir`: `.lifeboat-undo/<undoId>`. */
  undoDir: string;
  /** The target directory and ancestors the restore created (absolute, deepest first). */
  createdRoots: string[];
  /** Relative, deepest first. */
  createdDirs: string[];
  /** Relative paths of files that did not exist. */
  created: string[];
  overwritten: LocalOverwrittenEntry[];
  /**
   * Per relative path of `created` and `overwritten`: the file the restore writes (its size,
   * and the mtime it sets: the source object's LastModified). Absent in older records.
   */
  expected?: Record<string, LocalWriteExpectation> | undefined;
}

export interface LocalWriteExpectation {
  size: number;
  mtimeMs: number;
}

export type RestoreUndo = S3RestoreUndo | LocalRestoreUndo;

export function newUndoId(stepId: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stepId.replace(/[^a-z0-9-]/gi, '')}-${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isRestoreUndo(x: unknown): x is RestoreUndo {
  if (typeof x !== 'object' || x === null) return false;
  const u = x as Partial<RestoreUndo>;
  if (u.v !== 1 || typeof u.undoId !== 'string' || !Array.isArray(u.created) || !Array.isArray(u.overwritten)) return false;
  if (u.kind === 's3') return typeof (u as S3RestoreUndo).bucket === 'string' && typeof (u as S3RestoreUndo).prefix === 'string';
  if (u.kind === 'local') return typeof (u as LocalRestoreUndo).dir === 'string' && Array.isArray((u as LocalRestoreUndo).createdDirs) && Array.isArray((u as LocalRestoreUndo).createdRoots);
  return false;
}

/**
 * The expectations of a record as a Map (own properties only: a key such as `constructor`
 * or `__proto__` is data, not a property of Object.prototype). undefined for an older record.
 */
export function expectedOf<T extends S3WriteExpectation | LocalWriteExpectation>(expected: Record<string, T> | undefined): Map<string, T> | undefined {
  if (typeof expected !== 'object' || expected === null) return undefined;
  return new Map(Object.entries(expected));
}

/** A plain-JSON record from a Map (Object.fromEntries defines own properties, whatever the key). */
export function expectedRecord<T>(m: ReadonlyMap<string, T>): Record<string, T> {
  return Object.fromEntries(m);
}

/** How many objects/files the record would touch on rollback. */
export function undoSize(u: RestoreUndo): { created: number; overwritten: number } {
  return { created: u.created.length, overwritten: u.overwritten.length };
}
