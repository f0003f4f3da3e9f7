/**
 * `--lock s3://bucket/key`: one lock shared by several machines, the scheme Terraform and
 * OpenTofu use for their S3 state locks. The lock object is created with a conditional
 * PutObject (`If-None-Match: *`): S3 (and moto) refuse it with 412 PreconditionFailed when
 * the key exists, so exactly one run wins. Its body is the holder JSON (../journal/lock.ts).
 *
 * Release reads the object back first and deletes it only if it still names this run, with
 * `If-Match` on the ETag just read so a lock re-taken in between is not removed. Stores that
 * do not support conditional deletes get a plain DeleteObject after the same check.
 * A key ending in `/` (or a bare bucket) gets `<runbook>.lock` appended: one lock per runbook.
 *
 * This is the S3 LockStore; the acquire loop and its rules (stale holders, takeOver,
 * --force-unlock, the refusals) are shared with the lock file, in ../journal/lock.ts.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RefusedError, UsageError } from '../errors.js';
import { acquireLock, parseHolder, type HeldLock, type LockHolder, type LockIntent, type LockStore } from '../journal/lock.js';
import { S3_URL } from '../runbook/fields.js';
import type { AwsClients } from './clients.js';
import { describeS3Error, s3ErrorCode } from './s3.js';

export interface S3LockLocation {
  bucket: string;
  key: string;
}

export function isS3LockUrl(text: string | undefined): text is string {
  return typeof text === 'string' && text.startsWith('s3://');
}

export function parseLockUrl(url: string, runbookName: string): S3LockLocation {
  const m = S3_URL.exec(url);
  if (!m) throw new UsageError({ what: `--lock ${url}: not an s3:// URL`, hint: 'write it as --lock s3://bucket/locks/ (or s3://bucket/key)' });
  const prefix = m[2] ?? '';
  const key = prefix === '' || prefix.endsWith('/') ? `${prefix}${runbookName}.lock` : prefix;
  return { bucket: m[1] as string, key };
}

function urlOf(l: S3LockLocation): string {
  return `s3://${l.bucket}/${l.key}`;
}

function isPrecondition(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return code === 'PreconditionFailed' || code === 'ConditionalRequestConflict' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412;
}

function lockFailure(err: unknown, op: string, l: S3LockLocation): Error {
  const { message, hint } = describeS3Error(err, { op, bucket: l.bucket, key: l.key });
  const fields = { what: `could not use the lock ${urlOf(l)}: ${message}`, hint: hint ?? 'fix the access to the lock bucket, or run without --lock to use a local lock' };
  // A wrong bucket is a mistake in the invocation; anything else refuses the run before it changes anything.
  return s3ErrorCode(err) === 'NoSuchBucket' ? new UsageError(fields) : new RefusedError(fields);
}

async function readLock(s3: S3Client, l: S3LockLocation): Promise<{ text: string; etag: string | undefined } | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: l.bucket, Key: l.key }));
    return { text: (await res.Body?.transformToString('utf8')) ?? '', etag: res.ETag };
  } catch (err) {
    const code = s3ErrorCode(err);
    if (code === 'NoSuchKey' || code === 'NotFound') return undefined;
    throw lockFailure(err, 'GetObject', l);
  }
}

/** Delete the lock object if it still is the one read (ETag); false if it changed. */
async function deleteIf(s3: S3Client, l: S3LockLocation, etag: string | undefined): Promise<boolean> {
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: l.bucket, Key: l.key, ...(etag ? { IfMatch: etag } : {}) }));
    return true;
  } catch (err) {
    if (isPrecondition(err)) return false;
    const code = s3ErrorCode(err);
    if (code === 'NoSuchKey' || code === 'NotFound') return true;
    if (etag && (code === 'NotImplemented' || code === 'InvalidArgument')) {
      // No conditional deletes here: the read just before is the check.
      await s3.send(new DeleteObjectCommand({ Bucket: l.bucket, Key: l.key }));
      return true;
    }
    throw lockFailure(err, 'DeleteObject', l);
  }
}

/**
 * The lock object at `l`: created with `If-None-Match: *`, removed with `If-Match` on the
 * ETag read. Nothing is released on process exit: an S3 lock goes only by an explicit release.
 */
export function s3LockStore(s3: S3Client, l: S3LockLocation): LockStore {
  const url = urlOf(l);
  return {
    where: url,
    tryCreate: async (content) => {
      try {
        await s3.send(new PutObjectCommand({ Bucket: l.bucket, Key: l.key, Body: content, IfNoneMatch: '*', ContentType: 'application/json' }));
        return true;
      } catch (err) {
        if (isPrecondition(err)) return false;
        throw lockFailure(err, 'PutObject', l);
      }
    },
    read: async () => {
      const got = await readLock(s3, l);
      return got && { text: got.text, holder: parseHolder(got.text), version: got.etag };
    },
    removeIf: (seen) => deleteIf(s3, l, seen.version),
    unreadable: (runbook) =>
      new RefusedError({
        what: `the lock object ${url} exists but cannot be read as a lock holder`,
        hint: `look at it (aws s3 cp ${url} -); if no run of "${runbook}" is in progress anywhere, delete it and start again`,
      }),
  };
}

/** Take the S3 lock, or throw RefusedError (exit 3) naming the holder. */
export async function acquireS3Lock(aws: AwsClients, url: string, holder: LockHolder, intent: LockIntent = {}, warn: (line: string) => void = () => undefined): Promise<HeldLock> {
  const l = parseLockUrl(url, holder.runbook);
  return acquireLock(s3LockStore(await aws.s3(), l), holder, intent, warn);
}
