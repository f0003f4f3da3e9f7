/** Seeding and inspecting S3 buckets on moto for the S3 step tests. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  type ObjectVersion,
} from '@aws-sdk/client-s3';
import { motoEndpoint, testS3, uniqueName } from './aws.js';

let client: S3Client | undefined;
let rawClient: S3Client | undefined;

/** The suite's S3 client (the SDK adds a CRC32 checksum to every PutObject by default). */
export function s3(): S3Client {
  client ??= testS3();
  return client;
}

/** A client that sends no checksum unless asked: objects it writes carry no S3 checksum. */
export function rawS3(): S3Client {
  rawClient ??= new S3Client({
    endpoint: motoEndpoint(),
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return rawClient;
}

export async function createBucket(prefix: string, options: { versioned?: boolean } = {}): Promise<string> {
  const bucket = uniqueName(prefix);
  await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  if (options.versioned) await s3().send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  return bucket;
}

export type Checksum = 'default' | 'sha256' | 'none';

export async function put(bucket: string, key: string, body: string | Uint8Array, checksum: Checksum = 'default'): Promise<string | undefined> {
  const c = checksum === 'none' ? rawS3() : s3();
  const r = await c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...(checksum === 'sha256' ? { ChecksumAlgorithm: 'SHA256' as const } : {}) }));
  return r.VersionId;
}

export async function putAll(bucket: string, objects: Record<string, string | Uint8Array>, checksum: Checksum = 'default'): Promise<void> {
  await Promise.all(Object.entries(objects).map(([k, v]) => put(bucket, k, v, checksum)));
}

export async function getBytes(bucket: string, key: string, versionId?: string): Promise<Buffer> {
  const r = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

export async function getText(bucket: string, key: string): Promise<string> {
  return (await getBytes(bucket, key)).toString('utf8');
}

export async function listKeys(bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) keys.push(o.Key as string);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every current object in a bucket (all prefixes, `.lifeboat-undo/` included): key → SHA-256 of its bytes. */
export async function snapshot(bucket: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await listKeys(bucket)) out[key] = sha256(await getBytes(bucket, key));
  return out;
}

export async function versionsOf(bucket: string, prefix = ''): Promise<ObjectVersion[]> {
  const r = await s3().send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
  return r.Versions ?? [];
}

/** Every file under a directory (recursively, dot files included): relative path → content. */
export async function dirSnapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out[`${r}/`] = '<dir>';
        await walk(r);
      } else out[r] = (await readFile(path.join(dir, r))).toString('utf8');
    }
  };
  await walk('');
  return out;
}

/** Wait until the wall clock enters the next second (moto's LastModified has 1 s resolution). */
export async function nextSecond(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
}
