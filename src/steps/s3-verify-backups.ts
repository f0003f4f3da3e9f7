/**
 * `s3.verify-backups`: are the backups under a prefix fresh, complete and intact?
 * Read-only (it runs for real in --dry-run). The listing is streamed page by page and
 * only running totals, the newest object and the first few offenders of each kind are
 * kept, so a prefix with millions of objects is checked in constant memory (a manifest,
 * when given, is held in memory: it is the list to compare against).
 *
 * Checks: the newest object is younger than `maxAge` (default: the runbook's rpo); the
 * object count, per-object size and total size bounds (`minCount` defaults to 1: an
 * empty prefix is not a healthy backup); with `checksums: required`, objects that carry
 * no S3 checksum fail (the listing names each object's checksum algorithm; an object
 * listed without one is HEADed with ChecksumMode ENABLED to confirm before it is failed,
 * at bounded concurrency); with a `manifest`, each listed object's size and SHA-256 are
 * compared with the manifest's (SHA-256 from S3 when it stores a full-object SHA-256,
 * otherwise computed by reading the object; with `checksums: off` only sizes), and
 * manifest entries missing from S3 fail. "Directory" placeholder keys (ending in `/`,
 * 0 bytes) and the manifest itself are not counted.
 */
import { GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { ListedObject } from '../aws/list-page.js';
import { abortable, forEachConcurrent, fullObjectSha256, listObjectPages, parseS3Url, s3Call, s3Uri } from '../aws/s3.js';
import { formatDuration, parseDuration } from '../runbook/duration.js';
import type { VerifyBackupsWith } from './s3-verify-backups-type.js';
import { formatAge, formatBytes, listSome, plural } from '../util/format.js';
import { hashObject } from './restore/hash.js';
import { parseManifest, type ManifestEntry } from './restore/manifest.js';
import { StepError, type PlanLine, type StepContext, type StepImpl, type StepPlan, type StepResult } from './types.js';
import { stepClients } from './aws-scope.js';

/** How many offending keys each problem names. */
const SHOW = 10;

/** A kind of problem: the first few keys and how many in all. */
class Offenders {
  readonly keys: string[] = [];
  count = 0;
  add(text: string): void {
    this.count++;
    if (this.keys.length < SHOW) this.keys.push(text);
  }
  /** Sorted: checks run concurrently, and the same backups must read the same way every night. */
  list(): string {
    return listSome([...this.keys].sort(), this.count, SHOW);
  }
}

interface Limits {
  location: string;
  bucket: string;
  prefix: string;
  maxAgeMs: number | undefined;
  maxAgeLabel: string;
  minCount: number;
  checksums: 'required' | 'if-present' | 'off';
  concurrency: number;
}

function limitsOf(ctx: StepContext, w: VerifyBackupsWith): Limits {
  const prefix = w.prefix ?? '';
  let maxAgeMs: number | undefined;
  let maxAgeLabel = '';
  if (w.maxAge !== undefined) {
    maxAgeMs = parseDuration(w.maxAge);
    if (maxAgeMs === undefined) throw new StepError(`bad maxAge "${w.maxAge}"`, { hint: 'use a duration such as 30m, 1h or 1d' });
    maxAgeLabel = `maxAge ${w.maxAge}`;
  } else if (ctx.runbook.rpoMs !== undefined) {
    maxAgeMs = ctx.runbook.rpoMs;
    maxAgeLabel = `rpo ${formatDuration(ctx.runbook.rpoMs)}`;
  }
  return {
    location: s3Uri(w.bucket, prefix),
    bucket: w.bucket,
    prefix,
    maxAgeMs,
    maxAgeLabel,
    minCount: w.minCount ?? 1,
    checksums: w.checksums ?? 'if-present',
    concurrency: w.concurrency ?? 16,
  };
}

function describeChecks(l: Limits, w: VerifyBackupsWith): string[] {
  const checks: string[] = [];
  checks.push(l.maxAgeMs !== undefined ? `newest object younger than ${l.maxAgeLabel.replace(/^maxAge /, '')}` : 'no age limit (no maxAge, no rpo)');
  checks.push(w.maxCount !== undefined ? `${l.minCount}–${w.maxCount} objects` : `at least ${plural(l.minCount, 'object')}`);
  if (w.minSize !== undefined || w.maxSize !== undefined) checks.push(`each object ${range(w.minSize, w.maxSize)}`);
  if (w.minTotalBytes !== undefined || w.maxTotalBytes !== undefined) checks.push(`total ${range(w.minTotalBytes, w.maxTotalBytes)}`);
  checks.push(`checksums ${l.checksums}`);
  if (w.manifest) checks.push(`matches manifest ${w.manifest}`);
  return checks;
}

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${formatBytes(min)}–${formatBytes(max)}`;
  return min !== undefined ? `≥ ${formatBytes(min)}` : `≤ ${formatBytes(max ?? 0)}`;
}

const HAS_CHECKSUM: ReadonlyArray<keyof HeadObjectCommandOutput> = [
  'ChecksumCRC32',
  'ChecksumCRC32C',
  'ChecksumCRC64NVME',
  'ChecksumSHA1',
  'ChecksumSHA256',
];

async function readManifest(s3: S3Client, url: string, prefix: string, signal: AbortSignal): Promise<{ entries: Map<string, ManifestEntry>; key: string; bucket: string }> {
  const { bucket, prefix: key } = parseS3Url(url);
  const res = await s3Call({ op: 'GetObject', bucket, key }, () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), abortable(signal)), signal);
  const text = (await res.Body?.transformToString('utf8')) ?? '';
  return { entries: parseManifest(text, url, prefix), key, bucket };
}

export const s3VerifyBackupsStep: StepImpl<VerifyBackupsWith> = {
  type: 's3.verify-backups',

  async plan(ctx: StepContext, w: VerifyBackupsWith): Promise<StepPlan> {
    const l = limitsOf(ctx, w);
    const checks = describeChecks(l, w);
    const lines: PlanLine[] = checks.map((text) => ({ kind: 'info', text: `check: ${text}` }));
    return { summary: `check backups under ${l.location}: ${checks.join(', ')}`, lines, counts: { checks: 1 }, mutating: false };
  },

  async execute(ctx: StepContext, w: VerifyBackupsWith): Promise<StepResult> {
    const l = limitsOf(ctx, w);
    const s3 = await stepClients(ctx).s3();
    const manifest = w.manifest ? await readManifest(s3, w.manifest, l.prefix, ctx.signal) : undefined;
    const seenInManifest = new Set<string>();

    let count = 0;
    let bytes = 0;
    let newest: { key: string; at: number } | undefined;
    const tooSmall = new Offenders();
    const tooLarge = new Offenders();
    const noChecksum = new Offenders();
    const differs = new Offenders();
    let withChecksum = 0;
    let shaCompared = 0;
    let sizeOnly = 0;

    /** Counts one listed object into the totals (in listing order); false for one that is not counted. */
    const tally = (o: ListedObject): boolean => {
      const key = o.Key as string;
      const size = o.Size ?? 0;
      if (key.endsWith('/') && size === 0) return false; // a "directory" placeholder
      if (manifest && manifest.bucket === l.bucket && key === manifest.key) return false;
      count++;
      bytes += size;
      const at = o.LastModified?.getTime() ?? 0;
      if (!newest || at > newest.at || (at === newest.at && key > newest.key)) newest = { key, at };
      if (w.minSize !== undefined && size < w.minSize) tooSmall.add(`${key} (${formatBytes(size)})`);
      if (w.maxSize !== undefined && size > w.maxSize) tooLarge.add(`${key} (${formatBytes(size)})`);
      return true;
    };
    const pages = (): AsyncGenerator<ListedObject[]> => listObjectPages(s3, l.bucket, l.prefix, { signal: ctx.signal });

    // Totals are kept in listing order by this generator; HEADs run concurrently behind it.
    const counted = async function* (): AsyncGenerator<ListedObject> {
      for await (const page of pages()) for (const o of page) if (tally(o)) yield o;
    };

    const checkOne = async (o: ListedObject): Promise<void> => {
      const key = o.Key as string;
      const size = o.Size ?? 0;
      const entry = manifest?.entries.get(key);
      if (entry) seenInManifest.add(key);
      if (entry?.size !== undefined && entry.size !== size) differs.add(`${key} (size ${size}, manifest ${entry.size})`);
      if (l.checksums === 'off') {
        if (entry?.sha256) sizeOnly++;
        return;
      }
      // Presence comes from the listing (it names each object's checksum algorithm): no
      // request per object. HEAD (ChecksumMode ENABLED) only to confirm an absence before
      // failing it (some S3-compatible stores leave the algorithm out of listings), and to
      // read the stored SHA-256 a manifest entry is compared with.
      const algorithms = (o.ChecksumAlgorithm ?? []).map(String);
      const listed = algorithms.length > 0;
      const needHead = (!listed && l.checksums === 'required') || (entry?.sha256 !== undefined && (!listed || algorithms.includes('SHA256')));
      const head = needHead
        ? await s3Call(
            { op: 'HeadObject', bucket: l.bucket, key },
            () => s3.send(new HeadObjectCommand({ Bucket: l.bucket, Key: key, ChecksumMode: 'ENABLED' }), abortable(ctx.signal)),
            ctx.signal,
          )
        : undefined;
      const has = listed || (head !== undefined && HAS_CHECKSUM.some((f) => typeof head[f] === 'string' && head[f] !== ''));
      if (has) withChecksum++;
      else if (l.checksums === 'required') noChecksum.add(key);
      if (entry?.sha256) {
        let sha = fullObjectSha256(head?.ChecksumSHA256, head?.ChecksumType);
        // No full-object SHA-256 stored (none, another algorithm, or multipart): read it.
        sha ??= (await hashObject(s3, { bucket: l.bucket, key, versionId: head?.VersionId }, undefined, ctx.signal)).sha256;
        shaCompared++;
        if (sha !== entry.sha256) differs.add(`${key} (sha256 ${sha.slice(0, 12)}…, manifest ${entry.sha256.slice(0, 12)}…)`);
      }
    };

    // Without per-object work the listing alone is enough: each page is tallied in one pass.
    const perObject = l.checksums !== 'off' || manifest !== undefined;
    if (perObject) await forEachConcurrent(counted(), l.concurrency, checkOne, ctx.signal);
    else {
      for await (const page of pages()) {
        if (ctx.signal.aborted) break;
        for (const o of page) tally(o);
      }
    }
    if (ctx.signal.aborted) throw new StepError(`interrupted while checking ${l.location}`, { cause: ctx.signal.reason });

    const missing = new Offenders();
    if (manifest) for (const key of manifest.entries.keys()) if (!seenInManifest.has(key)) missing.add(key);

    const now = ctx.now().getTime();
    const ageMs = newest ? Math.max(0, now - newest.at) : undefined;
    const problems: string[] = [];
    const hints: string[] = [];
    if (count < l.minCount) {
      problems.push(`found ${plural(count, 'object')} under ${l.location}, fewer than minCount ${l.minCount}`);
      hints.push('check that the backup job is writing to this bucket and prefix');
    }
    if (w.maxCount !== undefined && count > w.maxCount) problems.push(`found ${plural(count, 'object')} under ${l.location}, more than maxCount ${w.maxCount}`);
    if (l.maxAgeMs !== undefined && newest && ageMs !== undefined && ageMs > l.maxAgeMs) {
      problems.push(`newest backup ${newest.key} is ${formatAge(ageMs / 1000)} old, older than ${l.maxAgeLabel}`);
      hints.push('the backup job may have stopped: check it before relying on these backups');
    }
    if (w.minTotalBytes !== undefined && bytes < w.minTotalBytes)
      problems.push(`total size ${formatBytes(bytes)} (${bytes} bytes) is below minTotalBytes ${w.minTotalBytes} (${formatBytes(w.minTotalBytes)})`);
    if (w.maxTotalBytes !== undefined && bytes > w.maxTotalBytes)
      problems.push(`total size ${formatBytes(bytes)} (${bytes} bytes) is above maxTotalBytes ${w.maxTotalBytes} (${formatBytes(w.maxTotalBytes)})`);
    if (tooSmall.count) problems.push(`${plural(tooSmall.count, 'object is', 'objects are')} smaller than minSize ${w.minSize} bytes: ${tooSmall.list()}`);
    if (tooLarge.count) problems.push(`${plural(tooLarge.count, 'object is', 'objects are')} larger than maxSize ${w.maxSize} bytes: ${tooLarge.list()}`);
    if (noChecksum.count) {
      problems.push(`${plural(noChecksum.count, 'object has', 'objects have')} no checksum (checksums: required): ${noChecksum.list()}`);
      hints.push('upload backups with a checksum (e.g. aws s3 cp --checksum-algorithm SHA256)');
    }
    if (differs.count) problems.push(`${plural(differs.count, 'object differs', 'objects differ')} from the manifest ${w.manifest}: ${differs.list()}`);
    if (missing.count) problems.push(`${plural(missing.count, 'object')} in the manifest ${missing.count === 1 ? 'is' : 'are'} missing under ${l.location}: ${missing.list()}`);
    const outputs = {
      newestKey: newest?.key ?? '',
      // -1: no object at all.
      newestAgeSeconds: ageMs !== undefined ? Math.floor(ageMs / 1000) : -1,
      count,
      bytes,
    };
    if (problems.length > 0) throw new StepError(problems.join('; '), { outputs, ...(hints.length ? { hint: hints.join('; ') } : {}) });

    const parts = [`${plural(count, 'object')}`, formatBytes(bytes)];
    if (newest && ageMs !== undefined) parts.push(`newest ${newest.key} ${formatAge(ageMs / 1000)} old${l.maxAgeMs !== undefined ? ` (limit ${formatDuration(l.maxAgeMs)})` : ''}`);
    if (l.checksums !== 'off') parts.push(`${withChecksum} with checksums`);
    if (manifest) parts.push(`manifest matched (${shaCompared} by SHA-256${sizeOnly ? `, ${sizeOnly} by size only` : ''})`);
    return { outputs, summary: parts.join(', ') };
  },
};
