/**
 * The write-time re-check of an S3 restore target, one page of keys at a time.
 *
 * The plan's actions are cut into pages of at most 1,000 keys, in S3's key order. Right
 * before a page's first copy, the target's key range of that page — after the previous
 * page's last key, up to this page's last key — is listed again (ListObjectsV2 with
 * StartAfter: one request while the range holds at most 1,000 keys) and every planned key in
 * it is compared with what the plan saw: absent, or this ETag. A key that differs refuses
 * the page before any of it is written. This is ≈ 1 request per 1,000 objects instead of a
 * HEAD per object, and it works the same on every endpoint; on AWS the conditional
 * CopyObject (IfNoneMatch / IfMatch, restore/s3-copy.ts) also makes each write atomic
 * against what was seen, closing the window between this listing and the copy (moto
 * accepts but ignores those headers: MOTO-NOTES).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { listObjectPages, normalizeEtag, s3Uri } from '../../aws/s3.js';
import { listSome, plural } from '../../util/format.js';
import { StepError } from '../types.js';

/** Keys per page: one ListObjectsV2 response. */
export const PAGE_KEYS = 1000;

/** One planned key of a page: where it goes and what the plan saw there. */
export interface PlannedKey {
  key: string;
  /** What the plan saw at `key`: undefined when absent. */
  seen: { etag: string | undefined } | undefined;
}

/** What a range listing found: key → ETag (unquoted), in key order. */
export type Listed = Map<string, { size: number; etag: string | undefined }>;

export interface PageDrift {
  key: string;
  /** What the plan saw: `absent` or `ETag …`. */
  planned: string;
  /** What is there now. */
  now: string;
}

const HAS_SURROGATE = /[\uD800-\uDFFF]/;

/**
 * S3's key order: by the keys' UTF-8 bytes. JavaScript's `<` compares UTF-16 code units,
 * which agrees except for characters beyond U+FFFF against U+E000–U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  if (!HAS_SURROGATE.test(a) && !HAS_SURROGATE.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** `items` in S3 key order (a stable sort, only when not already in order). */
export function inKeyOrder<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  for (let i = 1; i < items.length; i++)
    if (compareKeys(keyOf(items[i - 1] as T), keyOf(items[i] as T)) > 0) return [...items].sort((x, y) => compareKeys(keyOf(x), keyOf(y)));
  return [...items];
}

/** Consecutive pages of at most `size` items. */
export function pagesOf<T>(items: readonly T[], size = PAGE_KEYS): T[][] {
  const pages: T[][] = [];
  for (let i = 0; i < items.length; i += size) pages.push(items.slice(i, i + size));
  return pages;
}

function describe(o: { etag: string | undefined } | undefined): string {
  return o === undefined ? 'absent' : `ETag ${o.etag ?? '?'}`;
}

/**
 * Pure: the planned keys of a page whose target is no longer what the plan saw. `listed`
 * holds everything in the page's key range now. A key planned as already in place counts
 * too: the restore would report it restored while it holds something else.
 */
export function pageDrift(page: readonly PlannedKey[], listed: Listed): PageDrift[] {
  const drift: PageDrift[] = [];
  for (const p of page) {
    const now = listed.get(p.key);
    const same = p.seen === undefined ? now === undefined : now !== undefined && p.seen.etag !== undefined && now.etag === p.seen.etag;
    if (!same) drift.push({ key: p.key, planned: describe(p.seen), now: describe(now) });
  }
  return drift;
}

/**
 * List the target's keys after `after` (exclusive; undefined: from the start of `prefix`) up
 * to `last` (inclusive). One request unless the range holds more than 1,000 keys.
 */
export async function listRange(s3: S3Client, bucket: string, prefix: string, after: string | undefined, last: string, signal?: AbortSignal): Promise<Listed> {
  const found: Listed = new Map();
  for await (const page of listObjectPages(s3, bucket, prefix, { pageSize: PAGE_KEYS, startAfter: after, signal })) {
    for (const o of page) {
      if (o.Key === undefined) continue;
      if (compareKeys(o.Key, last) > 0) return found; // past the range: no further page is asked for
      found.set(o.Key, { size: o.Size ?? 0, etag: normalizeEtag(o.ETag) });
    }
  }
  return found;
}

/** The refusal of a page: which keys changed, what the plan saw, what is there now, what to do. */
export function driftRefusal(bucket: string, drift: readonly PageDrift[], page: { index: number; count: number; keys: number }): StepError {
  const items = drift.map((d) => `${s3Uri(bucket, d.key)} (the plan saw ${d.planned}, now ${d.now})`);
  const where = page.count > 1 ? `page ${page.index + 1} of ${page.count} (${plural(page.keys, 'key')})` : `its ${plural(page.keys, 'key')}`;
  const earlier = page.index > 0 ? '; the earlier pages were written and are undone by rollback' : '';
  return new StepError(`${plural(drift.length, 'target key')} changed since the plan: ${listSome(items, items.length, 5)}; refusing to write ${where}: none of it was written${earlier}`, {
    hint: 'someone else is writing to the target: find out who and stop them, then run lifeboat plan again and restore from the new plan',
  });
}
