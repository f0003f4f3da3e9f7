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
}

export interface LocalOverwrittenEntry {
  path: string;
  size: number;
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

/** How many objects/files the record would touch on rollback. */
export function undoSize(u: RestoreUndo): { created: number; overwritten: number } {
  return { created: u.created.length, overwritten: u.overwritten.length };
}
