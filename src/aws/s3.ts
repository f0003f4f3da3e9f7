/**
 * S3 helpers shared by the S3 step types: s3:// URLs, listings as async generators (one
 * page in memory at a time), copy-source encoding, ETag/checksum forms, key safety, and
 * AWS errors turned into one line an operator can act on.
 */
import {
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type S3Client,
  type ObjectVersion,
  type DeleteMarkerEntry,
} from '@aws-sdk/client-s3';
import type { AbsoluteLocation, DeserializeHandlerOptions, DeserializeMiddleware } from '@smithy/types';
import { S3_URL } from '../runbook/fields.js';
import { parseListObjectsV2, type ListedObject, type ListedPage } from './list-page.js';
import { AwsError } from './scope.js';

// ---------------------------------------------------------------------------------------
// URLs and keys

export interface S3Location {
  bucket: string;
  /** The key prefix, '' for the whole bucket; kept as written (normally ends with '/'). */
  prefix: string;
}

export function isS3Url(text: string): boolean {
  return text.startsWith('s3://');
}

export function parseS3Url(url: string): S3Location {
  const m = S3_URL.exec(url);
  if (!m) throw new AwsError(`bad S3 URL "${url}"`, { hint: 'write it as s3://bucket/prefix/' });
  return { bucket: m[1] as string, prefix: m[2] ?? '' };
}

export function s3Uri(bucket: string, key = ''): string {
  return `s3://${bucket}/${key}`;
}

/**
 * The CopySource of CopyObject / UploadPartCopy: `bucket/key[?versionId=…]`, URL-encoded.
 * Each path segment is encoded on its own so the slashes stay; encodeURIComponent also
 * encodes `+`, `?`, `#`, `%` and spaces, which S3 would otherwise misread.
 */
export function copySource(bucket: string, key: string, versionId?: string): string {
  const path = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return versionId ? `${path}?versionId=${encodeURIComponent(versionId)}` : path;
}

/** The prefix under which restores keep preserved copies and temporary files. */
export const UNDO_DIR = '.lifeboat-undo';

/**
 * Why a key, relative to its source prefix, may not be written below a target, or
 * undefined when it is safe. `..` segments and a leading `/` are refused everywhere: some
 * HTTP layers and every file system resolve them, so they could land outside the target.
 * Local targets also refuse `.` and empty segments (two keys could map to one file) and
 * NUL. Neither may land in the reserved `.lifeboat-undo/` area: at the bucket root for
 * S3 (`destPrefix` is the target prefix), in the target directory for a local target.
 */
export function unsafeRelativeKey(rel: string, target: 'local' | 's3', destPrefix = ''): string | undefined {
  if (rel.startsWith('/')) return 'starts with /';
  if (rel.includes('\0')) return 'contains a NUL byte';
  const segments = rel.split('/');
  if (segments.includes('..')) return 'contains a .. segment';
  if ((target === 's3' ? destPrefix + rel : rel).startsWith(`${UNDO_DIR}/`)) return `would land in the reserved ${UNDO_DIR}/ area`;
  if (target === 'local') {
    const inner = rel.endsWith('/') ? segments.slice(0, -1) : segments;
    if (inner.some((s) => s === '' || s === '.')) return 'contains an empty or . segment';
    if (process.platform === 'win32' && /[\\:]/.test(rel)) return 'contains \\ or :';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// ETags and checksums

/** ETags come quoted from S3; compare them unquoted. */
export function normalizeEtag(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** A single-part ETag is the MD5 of the bytes (unless SSE-KMS / SSE-C encrypted). */
export function isPlainMd5Etag(etag: string | undefined): boolean {
  return etag !== undefined && /^[0-9a-f]{32}$/i.test(normalizeEtag(etag) ?? '');
}

/** Whether an object's encryption makes its ETag something other than the MD5 of its bytes. */
export function etagIsNotMd5(sse: string | undefined, sseCustomerAlgorithm?: string  ): boolean {
  return Boolean(sseCustomerAlgorithm) || (sse !== undefined && sse.startsWith('aws:kms'));
}

/** A SHA-256 given as 64 hex digits or as base64 (S3's form), as lowercase hex; undefined if neither. */
export function sha256Hex(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const t = text.trim();
  if (/^[0-9a-f]{64}$/i.test(t)) return t.toLowerCase();
  if (/^[A-Za-z0-9+/]{43}=$/.test(t)) return Buffer.from(t, 'base64').toString('hex');
  return undefined;
}

/**
 * A full-object SHA-256 from a HeadObject/CopyObject checksum field, as hex. A composite
 * (multipart) checksum `…-N` is not a hash of the bytes: undefined.
 */
export function fullObjectSha256(checksum: string | undefined, checksumType?: string  ): string | undefined {
  if (!checksum || checksum.includes('-') || checksumType === 'COMPOSITE') return undefined;
  return sha256Hex(checksum);
}

// ---------------------------------------------------------------------------------------
// Listings: async generators, one page in memory

export interface ListOptions {
  /** MaxKeys per page (S3's maximum, 1000, unless a test wants small pages). */
  pageSize?: number;
  /** Start after this key (exclusive): ListObjectsV2's StartAfter, sent with the first request only. */
  startAfter?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Every object under `prefix` (ListObjectsV2, paginated), in key order. */
export async function* listObjects(client: S3Client, bucket: string, prefix: string, options: ListOptions = {}): AsyncGenerator<ListedObject> {
  for await (const page of listObjectPages(client, bucket, prefix, options)) yield* page;
}

/**
 * The same listing a page (up to 1,000 objects) at a time. A caller that only tallies the
 * objects can go through a page in one synchronous pass: the page is then garbage before
 * the next young-generation GC instead of surviving a thousand awaits into the old
 * generation (at 100,000 objects that promotion was the step's largest memory cost).
 *
 * Each page's XML is read by ./list-page.ts rather than the SDK's deserializer (which
 * allocated ~8.8 MB per 1,000-key page; see there): the request is still the SDK's
 * (signing, endpoint, retries, errors); only a successful ListBucketResult body is read
 * here, and one this reader does not vouch for goes to the SDK unchanged.
 */
export async function* listObjectPages(client: S3Client, bucket: string, prefix: string, options: ListOptions = {}): AsyncGenerator<ListedObject[]> {
  let token: string | undefined;
  do {
    const from = token !== undefined ? { ContinuationToken: token } : options.startAfter !== undefined ? { StartAfter: options.startAfter } : {};
    const command = new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: options.pageSize ?? 1000, ...from });
    const read = readPagesHere(command);
    const sdk = await s3Call({ op: 'ListObjectsV2', bucket, key: prefix }, () => client.send(command, abortable(options.signal)), options.signal);
    // Read here, every object has its key; read by the SDK, one without is left out as before.
    const page = read.page ?? { objects: (sdk.Contents ?? []).filter((o) => o.Key !== undefined), isTruncated: sdk.IsTruncated === true, nextContinuationToken: sdk.NextContinuationToken };
    token = page.isTruncated ? page.nextContinuationToken : undefined;
    if (page.objects.length > 0) yield page.objects;
  } while (token);
}

/** The SDK's HttpResponse, as far as it is read here. */
interface RawResponse {
  statusCode: number;
  body: unknown;
}

const EMPTY_LISTING = new TextEncoder().encode('<ListBucketResult></ListBucketResult>');

/**
 * Reads a ListObjectsV2 command's successful response body with parseListObjectsV2, below
 * the SDK's deserializer (innermost in its deserialize step), which then gets an empty
 * listing to read. The page read last is in `page`: a retried request reads it again.
 */
function readPagesHere(command: ListObjectsV2Command): { page: ListedPage | undefined } {
  const read: { page: ListedPage | undefined } = { page: undefined };
  const middleware: DeserializeMiddleware<object, object> = (next) => async (args) => {
    const result = await next(args);
    const response = result.response as RawResponse;
    if (response.statusCode < 200 || response.statusCode >= 300) return result;
    const bytes = await collect(response.body);
    if (!bytes) return result;
    read.page = parseListObjectsV2(bytes);
    // Read here: the SDK reads an empty listing. Not read: the SDK reads the body as sent.
    response.body = read.page ? EMPTY_LISTING : bytes;
    return result;
  };
  (command.middlewareStack as { add(m: DeserializeMiddleware<object, object>, o: DeserializeHandlerOptions & AbsoluteLocation): void }).add(middleware, {
    step: 'deserialize',
    priority: 'low',
    name: 'lifeboatListPageReader',
  });
  return read;
}

/** A response body's bytes: the SDK hands over a Node stream (or bytes another middleware already read). */
async function collect(body: unknown): Promise<Uint8Array | undefined> {
  if (body instanceof Uint8Array) return body;
  if (body === null || typeof body !== 'object' || !(Symbol.asyncIterator in body)) return undefined;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** One entry of ListObjectVersions: a version, or a delete marker. */
export interface VersionEntry {
  key: string;
  versionId: string;
  lastModified: Date;
  isLatest: boolean;
  deleteMarker: boolean;
  size: number;
  etag: string | undefined;
  checksumAlgorithms: string[];
}

function fromVersion(v: ObjectVersion): VersionEntry {
  return {
    key: v.Key as string,
    versionId: v.VersionId ?? 'null',
    lastModified: v.LastModified ?? new Date(0),
    isLatest: v.IsLatest === true,
    deleteMarker: false,
    size: v.Size ?? 0,
    etag: normalizeEtag(v.ETag),
    checksumAlgorithms: (v.ChecksumAlgorithm ?? []).map(String),
  };
}

function fromDeleteMarker(d: DeleteMarkerEntry): VersionEntry {
  return {
    key: d.Key as string,
    versionId: d.VersionId ?? 'null',
    lastModified: d.LastModified ?? new Date(0),
    isLatest: d.IsLatest === true,
    deleteMarker: true,
    size: 0,
    etag: undefined,
    checksumAlgorithms: [],
  };
}

/**
 * Every version and delete marker under `prefix`, in key order (ListObjectVersions,
 * paginated with KeyMarker + VersionIdMarker). The SDK returns a page's versions and
 * delete markers in two lists; they are merged back into key order here (stable, so
 * each list keeps S3's newest-first order within a key).
 */
export async function* listVersions(client: S3Client, bucket: string, prefix: string, options: ListOptions = {}): AsyncGenerator<VersionEntry> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await s3Call(
      { op: 'ListObjectVersions', bucket, key: prefix },
      () =>
        client.send(
          new ListObjectVersionsCommand({
            Bucket: bucket,
            Prefix: prefix,
            MaxKeys: options.pageSize ?? 1000,
            KeyMarker: keyMarker,
            VersionIdMarker: versionIdMarker,
          }),
          abortable(options.signal),
        ),
      options.signal,
    );
    const versions = (page.Versions ?? []).filter((v) => v.Key !== undefined).map(fromVersion);
    const markers = (page.DeleteMarkers ?? []).filter((d) => d.Key !== undefined).map(fromDeleteMarker);
    let i = 0;
    let j = 0;
    while (i < versions.length || j < markers.length) {
      const v = versions[i];
      const d = markers[j];
      if (d === undefined || (v !== undefined && v.key <= d.key)) {
        yield v as VersionEntry;
        i++;
      } else {
        yield d;
        j++;
      }
    }
    if (!page.IsTruncated) return;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
    if (!keyMarker) return;
  }
}

/** Group a key-ordered stream of entries by key; a key's entries may span pages. */
export async function* groupByKey<T extends { key: string }>(entries: AsyncIterable<T>): AsyncGenerator<{ key: string; entries: T[] }> {
  let key: string | undefined;
  let group: T[] = [];
  for await (const e of entries) {
    if (key !== undefined && e.key !== key) {
      yield { key, entries: group };
      group = [];
    }
    key = e.key;
    group.push(e);
  }
  if (key !== undefined) yield { key, entries: group };
}

// ---------------------------------------------------------------------------------------
// Bounded concurrency over a stream

/**
 * Run `fn` on every item of `items` with at most `concurrency` running, pulling items only
 * as workers free up, so a listing of millions of keys never sits in memory. Stops pulling
 * at the first error (or when `signal` aborts); in-flight calls finish; the first error is
 * rethrown.
 */
export async function forEachConcurrent<T>(
  items: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const it: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in items ? (items)[Symbol.asyncIterator]() : (items)[Symbol.iterator]();
  let failed = false;
  let firstError: unknown;
  // Pulls are serialised: an async generator queues concurrent next() calls anyway.
  let pulling: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const p = pulling.then(() => it.next());
    pulling = p.catch(() => undefined);
    return p;
  };
  const worker = async (): Promise<void> => {
    while (!failed && !signal?.aborted) {
      let r: IteratorResult<T>;
      try {
        r = await next();
      } catch (err) {
        if (!failed) firstError = err;
        failed = true;
        return;
      }
      if (r.done || failed) return;
      try {
        await fn(r.value);
      } catch (err) {
        if (!failed) firstError = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failed) {
    await it.return?.();
    throw firstError;
  }
}

// ---------------------------------------------------------------------------------------
// Errors

export interface S3Where {
  /** The S3 operation, e.g. CopyObject. */
  op: string;
  bucket: string;
  key?: string | undefined;
  /** For copies: where the bytes came from. */
  from?: string | undefined;
}

interface AwsLikeError {
  name?: string;
  message?: string;
  Code?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: unknown;
}

/** The AWS error code (AccessDenied, NoSuchBucket, SlowDown, …), or a network error code. */
export function s3ErrorCode(err: unknown): string {
  const e = (err ?? {}) as AwsLikeError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.Code ?? e.name;
  // HEAD responses have no body: the SDK names the error after the status.
  if (status === 403 && (!name || name === 'Forbidden' || name === '403' || name === 'UnknownError')) return 'AccessDenied';
  if (status === 404 && (!name || name === 'NotFound' || name === '404' || name === 'UnknownError')) return 'NotFound';
  if (status === 412 && (!name || name === '412' || name === 'UnknownError')) return 'PreconditionFailed';
  if (name && name !== 'Error' && name !== 'UnknownError') return name;
  if (typeof e.code === 'string') return e.code;
  return status ? `HTTP${status}` : 'UnknownError';
}

export function isNotFound(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchVersion';
}

export function isPreconditionFailed(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return code === 'PreconditionFailed' || code === 'ConditionalRequestConflict';
}

const IAM_ACTION: Record<string, string> = {
  ListObjectsV2: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  GetBucketVersioning: 's3:GetBucketVersioning',
  HeadObject: 's3:GetObject',
  GetObject: 's3:GetObject',
  CopyObject: 's3:GetObject on the source and s3:PutObject on the target',
  UploadPartCopy: 's3:GetObject on the source and s3:PutObject on the target',
  CreateMultipartUpload: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  DeleteObject: 's3:DeleteObject',
  DeleteObjects: 's3:DeleteObject',
};

function where(w: S3Where): string {
  const at = w.key !== undefined ? s3Uri(w.bucket, w.key) : `bucket ${w.bucket}`;
  return w.from ? `${w.from} → ${at}` : at;
}

/** One line saying what failed, where, with the AWS code, and what to do about it. */
export function describeS3Error(err: unknown, w: S3Where): { message: string; hint: string | undefined } {
  const code = s3ErrorCode(err);
  const e = (err ?? {}) as AwsLikeError;
  const detail = e.message && e.message !== code && e.message !== 'UnknownError' ? ` (${firstLine(e.message)})` : '';
  const attempts = e.$metadata?.attempts;
  switch (code) {
    case 'AccessDenied':
    case 'AllAccessDisabled':
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'ExpiredToken':
      return {
        message: `${w.op} ${where(w)} failed: ${code}${detail}`,
        hint:
          code === 'AccessDenied' || code === 'AllAccessDisabled'
            ? `allow ${IAM_ACTION[w.op] ?? `s3:${w.op}`} on arn:aws:s3:::${w.bucket}${w.key !== undefined ? `/${w.key}` : ''} for these credentials (IAM policy, bucket policy), or use --profile/--region for the right account`
            : 'check the AWS credentials in use (profile, environment, expiry)',
      };
    case 'NoSuchBucket':
      return { message: `${w.op} failed: bucket ${w.bucket} does not exist (NoSuchBucket)`, hint: `check the bucket name in the runbook, and --region / AWS_ENDPOINT_URL` };
    case 'NoSuchKey':
    case 'NotFound':
      return { message: `${w.op} ${where(w)} failed: ${code}: the object is not there (any more)`, hint: 'the source changed since it was listed; run plan again' };
    case 'NoSuchVersion':
      return { message: `${w.op} ${where(w)} failed: NoSuchVersion: that object version no longer exists`, hint: 'a lifecycle rule or a person removed it; choose another asOf' };
    case 'PreconditionFailed':
    case 'ConditionalRequestConflict':
      return { message: `${w.op} ${where(w)} failed: ${code}: the object changed since it was checked`, hint: 'someone else is writing here; run plan again before retrying' };
    case 'InvalidObjectState':
      return { message: `${w.op} ${where(w)} failed: InvalidObjectState: the object is archived (Glacier / Deep Archive)`, hint: 'restore it from the archive tier first (RestoreObject), then retry' };
    case 'SlowDown':
    case 'Throttling':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
    case 'ServiceUnavailable':
    case 'InternalError':
    case 'HTTP503':
    case 'HTTP500':
      return {
        message: `${w.op} ${where(w)} failed: ${code}${attempts ? ` after ${attempts} attempts` : ''}${detail}`,
        hint: 'S3 is throttling or unavailable; lower `concurrency` in the runbook and retry',
      };
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
    case 'EAI_AGAIN':
    case 'TimeoutError':
      return { message: `${w.op} ${where(w)} failed: cannot reach S3 (${code})`, hint: 'check the network, the region and AWS_ENDPOINT_URL' };
    default:
      return { message: `${w.op} ${where(w)} failed: ${code}${detail}`, hint: undefined };
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

/**
 * An AwsError for an S3 failure. An error already explained for the operator (an AwsError,
 * or a step's StepError from inside a nested call: anything carrying a `hint` field) is
 * returned unchanged.
 */
export function s3Failure(err: unknown, w: S3Where): Error {
  if (err instanceof AwsError || isExplained(err)) return err;
  const { message, hint } = describeS3Error(err, w);
  return new AwsError(message, { cause: err, ...(hint ? { hint } : {}) });
}

function isExplained(err: unknown): err is Error {
  return err instanceof Error && 'hint' in err;
}

/** An abort from `signal` passes through untouched; any other error becomes an s3Failure. */
export function rethrowS3(err: unknown, w: S3Where, signal?: AbortSignal): never {
  if (signal?.aborted && (err === signal.reason || (err as Error | undefined)?.name === 'AbortError')) throw err;
  throw s3Failure(err, w);
}

/** Run one SDK call with its failure turned into a one-line AwsError naming `w`. */
export async function s3Call<T>(w: S3Where, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    rethrowS3(err, w, signal);
  }
}

/** The `send` options carrying an abort signal. */
export function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}
