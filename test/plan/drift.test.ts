/** Naming what moved between a plan's fingerprint and the world now. */
import { describe, expect, test } from 'vitest';
import { describeDrift, sameFingerprint, stableStringify } from '../../src/plan/drift.js';

const cname = (value: string, ttl = 300) => ({ Name: 'app.example.com.', ResourceRecords: [value], TTL: ttl, Type: 'CNAME' });
const r53 = (set: unknown, zoneId = 'Z1') => ({ zoneId, records: [{ key: 'app.example.com. CNAME', set }] });

describe('fingerprints', () => {
  test('compare by content, not key order; null and undefined are the same "none"', () => {
    expect(stableStringify({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(sameFingerprint({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameFingerprint(undefined, null)).toBe(true);
    expect(sameFingerprint({ a: 1 }, { a: 2 })).toBe(false);
  });
});

describe('describeDrift', () => {
  test('nothing moved: nothing to say', () => {
    expect(describeDrift(r53(cname('primary.example.com')), r53(cname('primary.example.com')))).toEqual([]);
  });

  test('a record set whose values changed: the record, what the plan saw and what is there now', () => {
    expect(describeDrift(r53(cname('primary.example.com')), r53(cname('other.example.com')))).toEqual([
      'app.example.com. CNAME changed since the plan (plan saw primary.example.com, now other.example.com)',
    ]);
  });

  test('created, deleted, and a TTL-only change', () => {
    expect(describeDrift(r53(null), r53(cname('x.example.com')))).toEqual(['app.example.com. CNAME was created since the plan (plan saw no record, now x.example.com)']);
    expect(describeDrift(r53(cname('x.example.com')), r53(null))).toEqual(['app.example.com. CNAME was deleted since the plan (plan saw x.example.com, now no record)']);
    expect(describeDrift(r53(cname('x.example.com', 300)), r53(cname('x.example.com', 60)))).toEqual([
      'app.example.com. CNAME changed since the plan (plan saw x.example.com with ttl 300, now ttl 60)',
    ]);
  });

  test('an S3 target: the fields that differ, and the plan lines that differ name the keys', () => {
    const before = { target: 's3://t/db/', versioned: false, keys: 2, state: 'aaa' };
    const now = { target: 's3://t/db/', versioned: false, keys: 2, state: 'bbb' };
    const lines = {
      before: [{ kind: 'change' as const, text: 's3://t/db/b.sql (1000 B) replaces ETag 111' }],
      now: [{ kind: 'change' as const, text: 's3://t/db/b.sql (1000 B) replaces ETag 222' }],
    };
    expect(describeDrift(before, now, lines)).toEqual([
      's3://t/db/: the objects there (keys, sizes, ETags, versions) changed since the plan',
      'plan showed: ~ s3://t/db/b.sql (1000 B) replaces ETag 111',
      'now: ~ s3://t/db/b.sql (1000 B) replaces ETag 222',
    ]);
  });

  test('an unknown shape: the paths that differ', () => {
    expect(describeDrift({ a: { b: 1 } }, { a: { b: 2 } })).toEqual(['a.b changed since the plan (plan saw 1, now 2)']);
  });
});
