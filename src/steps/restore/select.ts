/**
 * Which version of each key to restore: pure logic over ListObjectVersions entries.
 *
 * For each key the version current at `asOf` is the newest entry (version or delete marker)
 * whose LastModified is at or before `asOf`. If that entry is a delete marker the key did
 * not exist at `asOf` and is skipped; a key whose first version is after `asOf` is skipped.
 *
 * S3's LastModified has one-second resolution, so a version written at 12:00:00.700 counts
 * as 12:00:00. Ties (two entries of a key in the same second) are broken by S3's own order
 * (it lists each key's versions newest first): the entry flagged IsLatest wins, then a
 * delete marker over a version (the SDK splits the two lists, losing their interleaving,
 * and restoring a key that may have been deleted is the worse mistake), then listing order.
 */
import type { VersionEntry } from '../../aws/s3.js';

/** An object version chosen for restore (versionId undefined: the current object, asOf latest). */
export interface SourceObject {
  key: string;
  versionId?: string | undefined;
  size: number;
  etag?: string | undefined;
  lastModified: Date;
  checksumAlgorithms: string[];
}

/** Newest first, with the tie rules above. Stable: equal entries keep listing order. */
export function orderVersions(entries: readonly VersionEntry[]): VersionEntry[] {
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const t = b.e.lastModified.getTime() - a.e.lastModified.getTime();
      if (t !== 0) return t;
      if (a.e.isLatest !== b.e.isLatest) return a.e.isLatest ? -1 : 1;
      if (a.e.deleteMarker !== b.e.deleteMarker) return a.e.deleteMarker ? -1 : 1;
      return a.i - b.i;
    })
    .map(({ e }) => e);
}

/** The entry current at `asOfMs` (possibly a delete marker), or undefined if the key did not exist yet. */
export function entryAsOf(entries: readonly VersionEntry[], asOfMs: number): VersionEntry | undefined {
  return orderVersions(entries).find((e) => e.lastModified.getTime() <= asOfMs);
}

/** The version to restore for one key, or undefined when the key did not exist at `asOfMs`. */
export function versionAsOf(entries: readonly VersionEntry[], asOfMs: number): SourceObject | undefined {
  const e = entryAsOf(entries, asOfMs);
  if (!e || e.deleteMarker) return undefined;
  return {
    key: e.key,
    versionId: e.versionId,
    size: e.size,
    etag: e.etag,
    lastModified: e.lastModified,
    checksumAlgorithms: e.checksumAlgorithms,
  };
}

/** Apply versionAsOf to a stream of per-key groups. */
export async function* selectAsOf(groups: AsyncIterable<{ key: string; entries: VersionEntry[] }>, asOfMs: number): AsyncGenerator<SourceObject> {
  for await (const g of groups) {
    const chosen = versionAsOf(g.entries, asOfMs);
    if (chosen) yield chosen;
  }
}
