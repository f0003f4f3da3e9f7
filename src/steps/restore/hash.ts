/** Hashing bytes as they stream past: SHA-256 (what lifeboat compares) and MD5 (single-part ETags). */
import { createHash, type Hash } from 'node:crypto';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { abortable, s3Call } from '../../aws/s3.js';

export interface Digests {
  sha256: string;
  md5: string;
  bytes: number;
}

/** A pass-through stream that hashes what flows through it. */
export class HashingStream extends Transform {
  private readonly sha = createHash('sha256');
  private readonly md5 = createHash('md5');
  private count = 0;
  private readonly onBytes: ((n: number) => void) | undefined;

  constructor(onBytes?: (n: number) => void) {
    super();
    this.onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.sha.update(chunk);
    this.md5.update(chunk);
    this.count += chunk.length;
    this.onBytes?.(chunk.length);
    cb(null, chunk);
  }

  digests(): Digests {
    return { sha256: this.sha.digest('hex'), md5: this.md5.digest('hex'), bytes: this.count };
  }
}

/** Ranges of an object hashed separately (multipart copy verification), plus the whole. */
export interface RangeDigests extends Digests {
  parts: Array<{ sha256: string; md5: string }>;
}

/**
 * Read an object (a version of it) once and hash it whole and per byte range. Used when S3
 * cannot give a comparable checksum: no SHA-256 stored, or a multipart copy.
 */
export async function hashObject(
  client: S3Client,
  loc: { bucket: string; key: string; versionId?: string | undefined },
  partSize: number | undefined,
  signal?: AbortSignal,
): Promise<RangeDigests> {
  const res = await s3Call(
    { op: 'GetObject', bucket: loc.bucket, key: loc.key },
    () => client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, VersionId: loc.versionId }), abortable(signal)),
    signal,
  );
  const whole = { sha: createHash('sha256'), md5: createHash('md5') };
  const parts: Array<{ sha256: string; md5: string }> = [];
  let part: { sha: Hash; md5: Hash; left: number } | undefined;
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      whole.sha.update(chunk);
      whole.md5.update(chunk);
      bytes += chunk.length;
      if (partSize) {
        let rest = chunk;
        while (rest.length > 0) {
          part ??= { sha: createHash('sha256'), md5: createHash('md5'), left: partSize };
          const take = rest.subarray(0, part.left);
          part.sha.update(take);
          part.md5.update(take);
          part.left -= take.length;
          rest = rest.subarray(take.length);
          if (part.left === 0) {
            parts.push({ sha256: part.sha.digest('hex'), md5: part.md5.digest('hex') });
            part = undefined;
          }
        }
      }
      cb();
    },
  });
  await pipeline(res.Body as NodeJS.ReadableStream, sink, signal ? { signal } : {});
  if (part) parts.push({ sha256: part.sha.digest('hex'), md5: part.md5.digest('hex') });
  return { sha256: whole.sha.digest('hex'), md5: whole.md5.digest('hex'), bytes, parts };
}

/** The ETag S3 gives a multipart object: MD5 of the parts' binary MD5s, `-N`. */
export function multipartEtag(partMd5s: readonly string[]): string {
  const h = createHash('md5');
  for (const m of partMd5s) h.update(Buffer.from(m, 'hex'));
  return `${h.digest('hex')}-${partMd5s.length}`;
}
