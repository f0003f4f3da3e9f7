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
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RefusedError, UsageError } from '../errors.js';
import { decide, parseHolder, type HeldLock, type LockHolder, type LockIntent } from '../journal/lock.js';
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

/** Take the S3 lock, or throw RefusedError (exit 3) naming the holder. */
export async function acquireS3Lock(aws: AwsClients, url: string, holder: LockHolder, intent: LockIntent = {}, warn: (line: string) => void = () => undefined): Promise<HeldLock> {
  const l = parseLockUrl(url, holder.runbook);
  const s3 = await aws.s3();
  const body = `${JSON.stringify({ v: 1, ...holder })}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await s3.send(new PutObjectCommand({ Bucket: l.bucket, Key: l.key, Body: body, IfNoneMatch: '*', ContentType: 'application/json' }));
      // An S3 lock is released only by an explicit release; nothing to detach on exit.
      return { where: urlOf(l), holder, release: () => releaseS3Lock(s3, l, holder.runId), keep: () => undefined };
    } catch (err) {
      if (!isPrecondition(err)) throw lockFailure(err, 'PutObject', l);
    }
    const existing = await readLock(s3, l);
    if (existing === undefined) continue; // released in between
    const h = parseHolder(existing.text);
    if (!h) {
      throw new RefusedError({
        what: `the lock object ${urlOf(l)} exists but cannot be read as a lock holder`,
        hint: `look at it (aws s3 cp ${urlOf(l)} -); if no run of "${holder.runbook}" is in progress anywhere, delete it and start again`,
      });
    }
    decide(h, urlOf(l), intent, warn);
    await deleteIf(s3, l, existing.etag);
  }
  throw new RefusedError({ what: `could not take the lock ${urlOf(l)}: it keeps changing hands`, hint: 'another lifeboat is starting at the same time; try again' });
}

async function releaseS3Lock(s3: S3Client, l: S3LockLocation, runId: string): Promise<void> {
  const existing = await readLock(s3, l);
  if (existing === undefined) return;
  if (parseHolder(existing.text)?.runId !== runId) return; // someone else's now: leave it
  await deleteIf(s3, l, existing.etag);
}
