/**
 * One server-side copy, S3 to S3, with its write-time guard and its verification.
 *
 * Requests per object, common case: 1 CopyObject (+1 HeadObject of the source when it
 * stores a SHA-256).
 *
 * Guard (the destination must still be as it was when captured): CopyObject `IfNoneMatch:
 * '*'` for a new key, `IfMatch: <ETag seen>` for an overwrite (AWS enforces both: 412, or
 * 409 ConditionalRequestConflict on a concurrent write; the same on
 * CompleteMultipartUpload), and `CopySourceIfMatch` when the source is not pinned by a
 * version id. moto (and some S3-compatible stores) accept but ignore the destination
 * conditions, so the caller also re-lists the target page right before copying it
 * (restore/target-pages.ts): the same mechanism on every endpoint, atomic where the
 * endpoint honours the conditions.
 *
 * Verification (`verify: checksum`), cheapest comparable evidence first:
 *  1. the source stores a full-object SHA-256 (its listing says so): HEAD it and compare
 *     with the SHA-256 S3 computed while copying (`ChecksumAlgorithm: SHA256`);
 *  2. else both ETags are single-part MD5s: compare them (no extra request). A mismatch is
 *     confirmed by 3 before failing, since an SSE-KMS source has a non-MD5 ETag that looks
 *     like one;
 *  3. else read the source (GetObject of that version) and compare its SHA-256 with the
 *     copy's (or, if the endpoint returned no checksum, read the copy too).
 *  Multipart copies read the source once, hashing each part range, and compare with each
 *  part's returned SHA-256 (or its MD5 ETag), and the final `…-N` ETag.
 * `verify: size` is checked by the listing after all copies; `none` skips both.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import {
  copySource,
  etagIsNotMd5,
  fullObjectSha256,
  isPlainMd5Etag,
  isPreconditionFailed,
  normalizeEtag,
  s3Call,
  s3Failure,
  s3Uri,
} from '../../aws/s3.js';
import { StepError } from '../types.js';
import { hashObject, multipartEtag } from './hash.js';

export type VerifyMode = 'checksum' | 'size' | 'none';

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
/** S3 limits for multipart uploads. */
export const MIN_PART = 5 * MIB;
export const MAX_PART = 5 * GIB;
export const MAX_PARTS = 10_000;
export const DEFAULT_MULTIPART_THRESHOLD = 5 * GIB;
export const DEFAULT_PART_SIZE = 256 * MIB;

export interface CopyJob {
  from: { bucket: string; key: string; versionId?: string | undefined; size: number; etag?: string | undefined; checksumAlgorithms: string[] };
  to: { bucket: string; key: string };
  /** What the destination held when captured: absent, or this ETag. */
  expect: { exists: false } | { exists: true; etag: string | undefined };
}

export interface CopySettings {
  verify: VerifyMode;
  multipartThreshold: number;
  partSize: number | undefined;
  /** Concurrent part copies within one multipart copy. */
  partConcurrency: number;
  onBytes?: (n: number) => void;
}

export interface CopyResult {
  etag: string | undefined;
  size: number;
  verifiedBy: 'sha256' | 'etag' | 'read' | 'none';
}

/** The guard's one-line refusal. */
function driftError(job: CopyJob, now: string): StepError {
  const was = job.expect.exists ? `ETag ${job.expect.etag ?? '?'}` : 'absent';
  return new StepError(`${s3Uri(job.to.bucket, job.to.key)} changed since it was checked (was ${was}, now ${now}): refusing to overwrite it`, {
    hint: 'someone else is writing to the target; run plan again and retry',
  });
}

function conditions(job: CopyJob): { IfNoneMatch?: string; IfMatch?: string } {
  if (!job.expect.exists) return { IfNoneMatch: '*' };
  return job.expect.etag ? { IfMatch: `"${job.expect.etag}"` } : {};
}

function sourceConditions(job: CopyJob): { CopySourceIfMatch?: string } {
  return job.from.versionId === undefined && job.from.etag ? { CopySourceIfMatch: `"${job.from.etag}"` } : {};
}

/** The part size actually used: at least 5 MiB, at most 5 GiB, and at most 10,000 parts. */
export function effectivePartSize(size: number, requested: number | undefined): number {
  let part = Math.max(MIN_PART, requested ?? DEFAULT_PART_SIZE);
  part = Math.max(part, Math.ceil(size / MAX_PARTS));
  return Math.min(part, MAX_PART);
}

function mismatch(job: CopyJob, what: string): StepError {
  return new StepError(
    `checksum mismatch after copying ${s3Uri(job.from.bucket, job.from.key)}${job.from.versionId ? ` (version ${job.from.versionId})` : ''} to ${s3Uri(job.to.bucket, job.to.key)}: ${what}`,
    { hint: 'the copy does not hold the source bytes; it was left in place for inspection and is undone by rollback' },
  );
}

export async function copyObject(s3: S3Client, job: CopyJob, settings: CopySettings): Promise<CopyResult> {
  const where = { op: 'CopyObject', bucket: job.to.bucket, key: job.to.key, from: s3Uri(job.from.bucket, job.from.key) };
  const wantSha = settings.verify === 'checksum';
  let sourceSha: string | undefined;
  let sourceHead: Awaited<ReturnType<typeof headSource>> | undefined;
  const multipart = job.from.size > settings.multipartThreshold;
  if (multipart || (wantSha && job.from.checksumAlgorithms.includes('SHA256'))) {
    sourceHead = await headSource(s3, job);
    sourceSha = fullObjectSha256(sourceHead.ChecksumSHA256, sourceHead.ChecksumType);
  }
  if (multipart) return copyMultipart(s3, job, settings, sourceHead as NonNullable<typeof sourceHead>, sourceSha);

  let res;
  try {
    res = await s3.send(
      new CopyObjectCommand({
        Bucket: job.to.bucket,
        Key: job.to.key,
        CopySource: copySource(job.from.bucket, job.from.key, job.from.versionId),
        ...sourceConditions(job),
        ...conditions(job),
        ...(wantSha ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
      }),
    );
  } catch (err) {
    if (isPreconditionFailed(err)) throw driftError(job, 'different (precondition failed on the source or the destination)');
    throw s3Failure(err, where);
  }
  settings.onBytes?.(job.from.size);
  const etag = normalizeEtag(res.CopyObjectResult?.ETag);
  const copySha = fullObjectSha256(res.CopyObjectResult?.ChecksumSHA256);
  const result: CopyResult = { etag, size: job.from.size, verifiedBy: 'none' };
  if (!wantSha) return result;

  // 1. SHA-256 stored with the source.
  if (sourceSha && copySha) {
    if (sourceSha !== copySha) throw mismatch(job, `SHA-256 ${copySha} ≠ source ${sourceSha}`);
    return { ...result, verifiedBy: 'sha256' };
  }
  // 2. Single-part MD5 ETags.
  const etagsComparable = isPlainMd5Etag(job.from.etag) && isPlainMd5Etag(etag) && !etagIsNotMd5(res.ServerSideEncryption, res.SSECustomerAlgorithm);
  if (etagsComparable && etag === job.from.etag) return { ...result, verifiedBy: 'etag' };
  // 3. Read the source (and the copy, if the endpoint gave no SHA-256).
  const src = await hashObject(s3, job.from, undefined);
  if (sourceSha && src.sha256 !== sourceSha) throw mismatch(job, `the source reads as SHA-256 ${src.sha256}, but S3 stores ${sourceSha} for it`);
  const dstSha = copySha ?? (await hashObject(s3, { bucket: job.to.bucket, key: job.to.key, versionId: res.VersionId }, undefined)).sha256;
  if (src.sha256 !== dstSha) throw mismatch(job, `SHA-256 ${dstSha} ≠ source ${src.sha256}`);
  return { ...result, verifiedBy: 'read' };
}

async function headSource(s3: S3Client, job: CopyJob) {
  return s3Call({ op: 'HeadObject', bucket: job.from.bucket, key: job.from.key }, () =>
    s3.send(new HeadObjectCommand({ Bucket: job.from.bucket, Key: job.from.key, VersionId: job.from.versionId, ChecksumMode: 'ENABLED' })),
  );
}

type SourceHead = Awaited<ReturnType<typeof headSource>>;

/**
 * CreateMultipartUpload + UploadPartCopy (byte ranges) + CompleteMultipartUpload. The
 * metadata a CopyObject would carry over is copied from the source HEAD. On failure the
 * upload is aborted (best effort) so no parts are left behind.
 */
async function copyMultipart(s3: S3Client, job: CopyJob, settings: CopySettings, head: SourceHead, sourceSha: string | undefined): Promise<CopyResult> {
  const size = job.from.size;
  const partSize = effectivePartSize(size, settings.partSize);
  const count = Math.max(1, Math.ceil(size / partSize));
  const wantSha = settings.verify === 'checksum';
  const at = { bucket: job.to.bucket, key: job.to.key, from: s3Uri(job.from.bucket, job.from.key) };
  const created = await s3Call({ op: 'CreateMultipartUpload', ...at }, () =>
    s3.send(
      new CreateMultipartUploadCommand({
        Bucket: job.to.bucket,
        Key: job.to.key,
        ContentType: head.ContentType,
        ContentEncoding: head.ContentEncoding,
        ContentDisposition: head.ContentDisposition,
        ContentLanguage: head.ContentLanguage,
        CacheControl: head.CacheControl,
        Expires: head.Expires,
        Metadata: head.Metadata,
        ...(wantSha ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
      }),
    ),
  );
  const uploadId = created.UploadId as string;
  try {
    const limit = pLimit(Math.max(1, settings.partConcurrency));
    const parts: Array<CompletedPart & { PartNumber: number }> = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        limit(async () => {
          const start = i * partSize;
          const end = Math.min(size, start + partSize) - 1;
          const r = await s3Call({ op: 'UploadPartCopy', ...at }, () =>
            s3.send(
              new UploadPartCopyCommand({
                Bucket: job.to.bucket,
                Key: job.to.key,
                UploadId: uploadId,
                PartNumber: i + 1,
                CopySource: copySource(job.from.bucket, job.from.key, job.from.versionId),
                CopySourceRange: `bytes=${start}-${end}`,
                ...sourceConditions(job),
              }),
            ),
          );
          settings.onBytes?.(end - start + 1);
          return {
            PartNumber: i + 1,
            ETag: r.CopyPartResult?.ETag,
            ...(r.CopyPartResult?.ChecksumSHA256 ? { ChecksumSHA256: r.CopyPartResult.ChecksumSHA256 } : {}),
          };
        }),
      ),
    );
    let done;
    try {
      done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: job.to.bucket,
          Key: job.to.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          ...conditions(job),
        }),
      );
    } catch (err) {
      if (isPreconditionFailed(err)) throw driftError(job, 'different (precondition failed)');
      throw s3Failure(err, { op: 'CompleteMultipartUpload', ...at });
    }
    const etag = normalizeEtag(done.ETag);
    const result: CopyResult = { etag, size, verifiedBy: 'none' };
    if (!wantSha) return result;

    // Read the source once, hashing each part's range; compare part by part.
    const src = await hashObject(s3, job.from, partSize);
    if (sourceSha && src.sha256 !== sourceSha) throw mismatch(job, `the source reads as SHA-256 ${src.sha256}, but S3 stores ${sourceSha} for it`);
    const kms = etagIsNotMd5(done.ServerSideEncryption, undefined);
    let compared = 0;
    parts.forEach((p, i) => {
      const mine = src.parts[i];
      if (!mine) throw mismatch(job, `part ${i + 1} is beyond the source's ${src.bytes} bytes`);
      const partSha = fullObjectSha256(p.ChecksumSHA256);
      if (partSha) {
        if (partSha !== mine.sha256) throw mismatch(job, `part ${i + 1} SHA-256 ${partSha} ≠ source ${mine.sha256}`);
        compared++;
      } else if (!kms && isPlainMd5Etag(p.ETag)) {
        if (normalizeEtag(p.ETag) !== mine.md5) throw mismatch(job, `part ${i + 1} MD5 ${normalizeEtag(p.ETag)} ≠ source ${mine.md5}`);
        compared++;
      }
    });
    if (!kms && etag && /-\d+$/.test(etag) && etag !== multipartEtag(src.parts.map((p) => p.md5)))
      throw mismatch(job, `ETag ${etag} ≠ expected ${multipartEtag(src.parts.map((p) => p.md5))}`);
    if (compared < parts.length) {
      // Neither checksums nor MD5 ETags per part: read the copy back.
      const dst = await hashObject(s3, { bucket: job.to.bucket, key: job.to.key, versionId: done.VersionId }, undefined);
      if (dst.sha256 !== src.sha256) throw mismatch(job, `SHA-256 ${dst.sha256} ≠ source ${src.sha256}`);
    }
    return { ...result, verifiedBy: 'read' };
  } catch (err) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: job.to.bucket, Key: job.to.key, UploadId: uploadId })).catch(() => undefined);
    throw err;
  }
}
