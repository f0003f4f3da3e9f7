/**
 * An S3 prefix as a restore target: what is there now (one listing, not a HEAD per key),
 * preserving what will be overwritten on an unversioned bucket, and rollback.
 */
import { DeleteObjectsCommand, GetBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { UNDO_DIR, abortable, forEachConcurrent, listObjects, listVersions, normalizeEtag, s3Call, s3Uri } from '../../aws/s3.js';
import { StepError } from '../types.js';
import type { TargetObject } from './plan.js';
import { copyObject, type CopySettings } from './s3-copy.js';
import type { S3OverwrittenEntry, S3RestoreUndo } from './undo.js';
import { decideS3Undo, type LeftAlone } from './undo-check.js';

export type VersioningStatus = 'Enabled' | 'Suspended' | undefined;

export async function bucketVersioning(s3: S3Client, bucket: string, signal?: AbortSignal): Promise<VersioningStatus> {
  const r = await s3Call({ op: 'GetBucketVersioning', bucket }, () => s3.send(new GetBucketVersioningCommand({ Bucket: bucket }), abortable(signal)), signal);
  return r.Status === 'Enabled' || r.Status === 'Suspended' ? r.Status : undefined;
}

/**
 * The current objects under `prefix`, keyed by key relative to `prefix`; the reserved
 * `.lifeboat-undo/` area is left out. On a versioned bucket ListObjectVersions gives the
 * current version ids too (only the latest, non-delete-marker entries are kept).
 */
export async function readS3Target(s3: S3Client, bucket: string, prefix: string, versioned: boolean, signal?: AbortSignal): Promise<Map<string, TargetObject>> {
  const found = new Map<string, TargetObject>();
  const keep = (key: string): string | undefined => {
    const rel = key.slice(prefix.length);
    return rel === '' || key.startsWith(`${UNDO_DIR}/`) ? undefined : rel;
  };
  if (versioned) {
    for await (const v of listVersions(s3, bucket, prefix, { signal })) {
      if (!v.isLatest || v.deleteMarker) continue;
      const rel = keep(v.key);
      if (rel !== undefined) found.set(rel, { size: v.size, etag: v.etag, versionId: v.versionId });
    }
  } else {
    for await (const o of listObjects(s3, bucket, prefix, { signal })) {
      const rel = keep(o.Key as string);
      if (rel !== undefined) found.set(rel, { size: o.Size ?? 0, etag: normalizeEtag(o.ETag) });
    }
  }
  return found;
}

/** Current objects under `prefix` by full key (for rollback and post-copy checks). */
export async function currentObjects(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, { size: number; etag: string | undefined }>> {
  const found = new Map<string, { size: number; etag: string | undefined }>();
  for await (const o of listObjects(s3, bucket, prefix)) found.set(o.Key as string, { size: o.Size ?? 0, etag: normalizeEtag(o.ETag) });
  return found;
}

/**
 * Unversioned target: copy each object about to be overwritten to its preserved key, unless
 * that copy already exists (a retry: it was made by the first attempt, before any write).
 */
export async function preserveS3(s3: S3Client, undo: S3RestoreUndo, entries: readonly S3OverwrittenEntry[], settings: CopySettings, concurrency: number): Promise<void> {
  if (undo.versioned || !undo.preservedPrefix || entries.length === 0) return;
  const already = await currentObjects(s3, undo.bucket, undo.preservedPrefix);
  const todo = entries.filter((e) => e.preservedKey && !already.has(e.preservedKey));
  await forEachConcurrent(todo, concurrency, async (e) => {
    await copyObject(
      s3,
      {
        from: { bucket: undo.bucket, key: e.key, size: e.size, etag: e.etag, checksumAlgorithms: [] },
        to: { bucket: undo.bucket, key: e.preservedKey as string },
        expect: { exists: false },
      },
      { ...settings, verify: 'checksum', onBytes: undefined },
    );
  });
}

/** DeleteObjects in batches of 1000 (without version ids: on a versioned bucket, delete markers). */
export async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const r = await s3Call({ op: 'DeleteObjects', bucket, key: batch[0] }, () =>
      s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
    );
    const errors = r.Errors ?? [];
    if (errors.length > 0) {
      const first = errors[0];
      throw new StepError(`DeleteObjects in bucket ${bucket} failed for ${errors.length} keys, e.g. ${first?.Key}: ${first?.Code ?? 'error'} ${first?.Message ?? ''}`.trim());
    }
  }
}

/**
 * Undo a restore into S3 from its record (and, for a step that completed, what it left).
 * Only what is the restore's own write is deleted or replaced (restore/undo-check.ts); the
 * rest is left alone and returned, with the preserved copies of left-alone keys. Idempotent:
 * objects already holding their previous bytes are left alone, created keys already gone
 * are skipped, and preserved copies are deleted only after every object was put back, so a
 * rollback interrupted at any point can simply run again.
 */
export async function rollbackS3(
  s3: S3Client,
  undo: S3RestoreUndo,
  left: ReadonlyMap<string, string | null> | undefined,
  settings: CopySettings,
  concurrency: number,
): Promise<{ restored: number; deleted: number; leftAlone: LeftAlone[]; legacy: boolean }> {
  const now = await currentObjects(s3, undo.bucket, undo.prefix);
  const preserved = undo.preservedPrefix ? await currentObjects(s3, undo.bucket, undo.preservedPrefix) : new Map<string, { size: number; etag: string | undefined }>();
  const decision = decideS3Undo(undo, now, left);
  let restored = 0;
  const limit = pLimit(Math.max(1, concurrency));
  await Promise.all(
    decision.putBack.map((e) =>
      limit(async () => {
        const cur = now.get(e.key);
        let from: { key: string; versionId?: string | undefined; etag: string | undefined };
        if (undo.versioned) from = { key: e.key, versionId: e.versionId, etag: e.etag };
        else if (e.preservedKey && preserved.has(e.preservedKey)) from = { key: e.preservedKey, etag: preserved.get(e.preservedKey)?.etag };
        // Nothing preserved: the restore never got to overwrite it, or an earlier rollback
        // already put it back and removed the copy.
        else return;
        await copyObject(
          s3,
          {
            from: { bucket: undo.bucket, key: from.key, versionId: from.versionId, size: e.size, etag: from.etag, checksumAlgorithms: [] },
            to: { bucket: undo.bucket, key: e.key },
            // Put back over exactly what was read: AWS refuses the copy if it changed since (moto ignores it, MOTO-NOTES).
            expect: cur ? { exists: true, etag: cur.etag } : { exists: false },
          },
          { ...settings, verify: 'checksum', onBytes: undefined },
        );
        restored++;
      }),
    ),
  );
  await deleteKeys(s3, undo.bucket, decision.remove);
  if (undo.preservedPrefix) {
    // The bytes from before the restore of a key left alone stay: they may be the only copy.
    const keep = new Set(decision.leftAlone.map((l) => l.preservedKey).filter((k): k is string => k !== undefined));
    await deleteKeys(s3, undo.bucket, [...preserved.keys()].filter((k) => !keep.has(k)));
  }
  return { restored, deleted: decision.remove.length, leftAlone: decision.leftAlone, legacy: decision.legacy };
}

export function describeS3Undo(undo: S3RestoreUndo): string {
  const where = s3Uri(undo.bucket, undo.prefix);
  const put = undo.versioned ? 'copy back the recorded previous version of' : `copy back the preserved copies (${s3Uri(undo.bucket, undo.preservedPrefix ?? '')}) of`;
  // From the record made before the first write: what the restore set out to do. One stopped half-way did part of it.
  return `under ${where}: delete what the restore created (up to ${undo.created.length} object(s))${undo.versioned ? ' (delete markers)' : ''}, ${put} what it overwrote (up to ${undo.overwritten.length} object(s))`;
}
