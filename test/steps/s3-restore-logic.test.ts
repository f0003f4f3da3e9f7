/** Pure parts of the S3 steps: version selection, the restore plan, key safety, manifests, formatting. */
import { describe, expect, test } from 'vitest';
import { copySource, forEachConcurrent, sha256Hex, unsafeRelativeKey, type VersionEntry } from '../../src/aws/s3.js';
import { formatAge, formatBytes } from '../../src/util/format.js';
import { parseManifest } from '../../src/steps/restore/manifest.js';
import { planRestore, type TargetObject } from '../../src/steps/restore/plan.js';
import { effectivePartSize, MIB } from '../../src/steps/restore/s3-copy.js';
import { versionAsOf, type SourceObject } from '../../src/steps/restore/select.js';
import { compareKeys, driftRefusal, inKeyOrder, pageDrift, pagesOf } from '../../src/steps/restore/target-pages.js';
import { StepError } from '../../src/steps/types.js';
import { changedSinceFirstAttempt, decideS3Undo, isExpectedFile } from '../../src/steps/restore/undo-check.js';
import type { S3RestoreUndo } from '../../src/steps/restore/undo.js';

const T = (s: string): Date => new Date(`2026-11-23T04:00:${s}Z`);
function entry(versionId: string, at: string, extra: Partial<VersionEntry> = {}): VersionEntry {
  return { key: 'k', versionId, lastModified: T(at), isLatest: false, deleteMarker: false, size: 1, etag: versionId, checksumAlgorithms: [], ...extra };
}

describe('versionAsOf', () => {
  // As S3 lists them: newest first.
  const history = [entry('v3', '30', { isLatest: true }), entry('v2', '20'), entry('v1', '10')];
  test('picks the newest version at or before asOf', () => {
    expect(versionAsOf(history, T('25').getTime())?.versionId).toBe('v2');
    expect(versionAsOf(history, T('20').getTime())?.versionId).toBe('v2');
    expect(versionAsOf(history, T('35').getTime())?.versionId).toBe('v3');
  });
  test('a key created after asOf is skipped', () => {
    expect(versionAsOf(history, T('05').getTime())).toBeUndefined();
  });
  test('a key whose entry at asOf is a delete marker is skipped; one re-created later is not', () => {
    const h = [entry('v2', '30', { isLatest: true }), entry('dm', '20', { deleteMarker: true }), entry('v1', '10')];
    expect(versionAsOf(h, T('25').getTime())).toBeUndefined();
    expect(versionAsOf(h, T('15').getTime())?.versionId).toBe('v1');
    expect(versionAsOf(h, T('31').getTime())?.versionId).toBe('v2');
  });
  test('ties in the same second: IsLatest first, then a delete marker, then listing order', () => {
    expect(versionAsOf([entry('a', '10'), entry('b', '10', { isLatest: true })], T('10').getTime())?.versionId).toBe('b');
    expect(versionAsOf([entry('a', '10'), entry('dm', '10', { deleteMarker: true })], T('10').getTime())).toBeUndefined();
    expect(versionAsOf([entry('newer', '10'), entry('older', '10')], T('10').getTime())?.versionId).toBe('newer');
  });
});

function src(key: string, size = 3, etag = `e-${key}`): SourceObject {
  return { key, size, etag, lastModified: new Date(0), checksumAlgorithms: [] };
}

describe('planRestore', () => {
  test('create / overwrite / unchanged from the target state, keyed by relative key', () => {
    const existing = new Map<string, TargetObject>([
      ['same', { size: 3, etag: 'e-db/same' }],
      ['diff', { size: 3, etag: 'other' }],
    ]);
    const p = planRestore([src('db/new'), src('db/same'), src('db/diff'), src('db/')], existing, { sourcePrefix: 'db/', target: 's3' });
    expect(p.actions.map((a) => [a.rel, a.kind])).toEqual([
      ['new', 'create'],
      ['same', 'unchanged'],
      ['diff', 'overwrite'],
    ]);
    expect(p).toMatchObject({ creates: 1, overwrites: 1, unchanged: 1, bytesToWrite: 6, bytesTotal: 9 });
  });
  test('unsafe keys are refused; an explicit exclude can leave them out', () => {
    const keys = [src('p/ok'), src('p/../x'), src('p//abs'), src('p/a/../../b'), src('p/.lifeboat-undo/z')];
    const p = planRestore(keys, new Map(), { sourcePrefix: 'p/', target: 's3' });
    expect(p.refused.map((r) => r.key)).toEqual(['p/../x', 'p//abs', 'p/a/../../b', 'p/.lifeboat-undo/z']);
    const q = planRestore(keys, new Map(), { sourcePrefix: 'p/', target: 's3', exclude: ['../x', '/abs', 'a/../../b', '.lifeboat-undo/**'] });
    expect(q.refused).toEqual([]);
    expect(q.actions.map((a) => a.rel)).toEqual(['ok']);
  });
  test('include narrows (dot files match); local targets skip directory placeholders', () => {
    const p = planRestore([src('p/a.dump'), src('p/x/.b.dump'), src('p/c.log'), src('p/dir/')], new Map(), { sourcePrefix: 'p/', target: 'local', include: '**/*.dump' });
    expect(p.actions.map((a) => a.rel)).toEqual(['a.dump', 'x/.b.dump']);
    expect(p.filtered).toBe(1);
  });
});

describe('unsafeRelativeKey', () => {
  test.each([
    ['../escape', 's3', 'contains a .. segment'],
    ['/abs', 'local', 'starts with /'],
    ['a/../../b', 'local', 'contains a .. segment'],
    ['a/./b', 'local', 'contains an empty or . segment'],
    ['a//b', 'local', 'contains an empty or . segment'],
    ['.lifeboat-undo/x', 's3', 'would land in the reserved .lifeboat-undo/ area'],
    ['.lifeboat-undo/x', 'local', 'would land in the reserved .lifeboat-undo/ area'],
  ] as const)('%s (%s) is refused', (rel, target, reason) => {
    expect(unsafeRelativeKey(rel, target)).toBe(reason);
  });
  test.each(['a/b.dump', '..x/y', 'a..b', 'dir/', '.hidden'])('%s is fine', (rel) => {
    expect(unsafeRelativeKey(rel, 'local')).toBeUndefined();
  });
  test('on S3 the reserved area is at the bucket root only', () => {
    expect(unsafeRelativeKey('.lifeboat-undo/x', 's3', 'restored/')).toBeUndefined();
    expect(unsafeRelativeKey('x', 's3', '.lifeboat-undo/')).toMatch(/reserved/);
  });
});

test('copySource encodes each segment and the version id', () => {
  expect(copySource('b', 'a dir/x+y?z#%ü.txt')).toBe('b/a%20dir/x%2By%3Fz%23%25%C3%BC.txt');
  expect(copySource('b', 'k', 'v+1/=')).toBe('b/k?versionId=v%2B1%2F%3D');
});

describe('parseManifest', () => {
  const hex = 'a'.repeat(64);
  const b64 = Buffer.from(hex, 'hex').toString('base64');
  test('JSON array, keys relative to the prefix or full', () => {
    const m = parseManifest(JSON.stringify([{ key: 'x', size: 1, sha256: b64 }, { key: 'db/y' }]), 'm', 'db/');
    expect([...m.values()]).toEqual([
      { key: 'db/x', size: 1, sha256: hex },
      { key: 'db/y', size: undefined, sha256: undefined },
    ]);
  });
  test('CSV with a header, quotes and no header', () => {
    expect(parseManifest(`key,sha256,size\n"a,b",${hex},7\n`, 'm').get('a,b')).toEqual({ key: 'a,b', size: 7, sha256: hex });
    expect(parseManifest(`k1,3,${hex}\r\nk2,,\n`, 'm').get('k2')).toEqual({ key: 'k2', size: undefined, sha256: undefined });
  });
  test('a bad entry is a StepError naming where', () => {
    expect(() => parseManifest('key,size,sha256\nx,1,nothex\n', 's3://b/m.csv')).toThrow(StepError);
    expect(() => parseManifest('key,size,sha256\nx,1,nothex\n', 's3://b/m.csv')).toThrow(/s3:\/\/b\/m\.csv: line 2: bad sha256/);
    expect(() => parseManifest('{"objects": 3}', 'm')).toThrow(/expected a JSON array/);
  });
  test('sha256Hex accepts hex and base64 only', () => {
    expect(sha256Hex(hex.toUpperCase())).toBe(hex);
    expect(sha256Hex(b64)).toBe(hex);
    expect(sha256Hex('abc')).toBeUndefined();
  });
});

test('formatAge and formatBytes', () => {
  expect(formatAge(47 * 60 + 5)).toBe('47 min');
  expect(formatAge((26 * 60 + 3) * 60)).toBe('26h 3m');
  expect(formatAge(5 * 86_400)).toBe('5d');
  expect(formatAge(12)).toBe('12s');
  expect(formatBytes(512)).toBe('512 B');
  expect(formatBytes(38.2 * 1024 ** 3)).toBe('38.2 GiB');
});

test('effectivePartSize keeps parts between 5 MiB and 5 GiB and at most 10,000 of them', () => {
  expect(effectivePartSize(100 * MIB, 1)).toBe(5 * MIB);
  expect(effectivePartSize(100 * MIB, 8 * MIB)).toBe(8 * MIB);
  expect(effectivePartSize(5 * 1024 * 1024 * MIB, 5 * MIB)).toBe(Math.ceil((5 * 1024 * 1024 * MIB) / 10_000));
});

describe('forEachConcurrent', () => {
  test('never runs more than the limit and pulls items lazily', async () => {
    let running = 0;
    let peak = 0;
    let pulled = 0;
    async function* items(): AsyncGenerator<number> {
      for (let i = 0; i < 20; i++) {
        pulled++;
        yield i;
      }
    }
    const seen: number[] = [];
    await forEachConcurrent(items(), 3, async (i) => {
      running++;
      peak = Math.max(peak, running);
      expect(pulled - seen.length).toBeLessThanOrEqual(3);
      await new Promise((r) => setTimeout(r, 2));
      seen.push(i);
      running--;
    });
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
  test('stops scheduling after the first error, lets in-flight work finish, rethrows it', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = forEachConcurrent([0, 1, 2, 3, 4, 5, 6, 7], 2, async (i) => {
      started.push(i);
      await new Promise((r) => setTimeout(r, i === 1 ? 20 : 1));
      if (i === 2) throw new Error('boom 2');
      finished.push(i);
    });
    await expect(run).rejects.toThrow('boom 2');
    expect(finished).toContain(1); // in flight when 2 failed
    expect(started.length).toBeLessThan(8);
  });
  test('an aborted signal stops scheduling', async () => {
    const ac = new AbortController();
    const done: number[] = [];
    await forEachConcurrent([1, 2, 3, 4], 1, async (i) => {
      done.push(i);
      if (i === 2) ac.abort();
    }, ac.signal);
    expect(done).toEqual([1, 2]);
  });
});

describe('restore target pages', () => {
  test('compareKeys is S3 order (UTF-8 bytes), also for characters beyond U+FFFF', () => {
    expect(compareKeys('a', 'b')).toBeLessThan(0);
    expect(compareKeys('p/k1', 'p/k1')).toBe(0);
    // U+FF5E (3 UTF-8 bytes EF BD 9E) sorts before U+1F600 (F0 9F 98 80), though its UTF-16 unit is greater.
    expect('\uFF5E' > '\u{1F600}').toBe(true);
    expect(compareKeys('\uFF5E', '\u{1F600}')).toBeLessThan(0);
    expect(inKeyOrder(['\u{1F600}', '\uFF5E', 'a'], (k) => k)).toEqual(['a', '\uFF5E', '\u{1F600}']);
  });

  test('pagesOf cuts consecutive pages of at most 1,000', () => {
    const pages = pagesOf(Array.from({ length: 2500 }, (_, i) => i));
    expect(pages.map((p) => p.length)).toEqual([1000, 1000, 500]);
    expect(pages[1]?.[0]).toBe(1000);
    expect(pagesOf([])).toEqual([]);
  });

  test('pageDrift names every planned key not as the plan saw it: appeared, rewritten, deleted; other keys are not its business', () => {
    const planned = [
      { key: 'p/new', seen: undefined },
      { key: 'p/over', seen: { etag: 'e1' } },
      { key: 'p/same', seen: { etag: 'e2' } },
      { key: 'p/gone', seen: { etag: 'e3' } },
      { key: 'p/still-absent', seen: undefined },
    ];
    const listed = new Map([
      ['p/new', { size: 1, etag: 'x' }],
      ['p/over', { size: 1, etag: 'e9' }],
      ['p/same', { size: 1, etag: 'e2' }],
      ['p/unplanned', { size: 1, etag: 'u' }],
    ]);
    expect(pageDrift(planned, listed)).toEqual([
      { key: 'p/new', planned: 'absent', now: 'ETag x' },
      { key: 'p/over', planned: 'ETag e1', now: 'ETag e9' },
      { key: 'p/gone', planned: 'ETag e3', now: 'absent' },
    ]);
    expect(pageDrift(planned.slice(2, 3), listed)).toEqual([]);
  });

  test('the refusal names bucket/key, what the plan saw, what is there, the page, and says to plan again', () => {
    const err = driftRefusal('b', [{ key: 'p/x', planned: 'absent', now: 'ETag y' }], { index: 1, count: 3, keys: 1000 });
    expect(err.message).toBe(
      '1 target key changed since the plan: s3://b/p/x (the plan saw absent, now ETag y); refusing to write page 2 of 3 (1000 keys): none of it was written; the earlier pages were written and are undone by rollback',
    );
    expect(err.hint).toMatch(/run lifeboat plan again/);
  });
});

describe("decideS3Undo: only the restore's own writes are undone", () => {
  const md5 = (c: string): string => c.repeat(32);
  // Keys named like Object.prototype members are data, not properties.
  const undo: S3RestoreUndo = {
    v: 1,
    kind: 's3',
    bucket: 'b',
    prefix: 'p/',
    versioned: true,
    undoId: 'u',
    created: ['p/mine', 'p/theirs', 'p/never', 'p/constructor', 'p/big'],
    overwritten: [
      { key: 'p/over-mine', size: 3, etag: md5('0'), versionId: 'v0' },
      { key: 'p/over-theirs', size: 3, etag: md5('0'), versionId: 'v0' },
      { key: 'p/over-gone', size: 3, etag: md5('0'), versionId: 'v0' },
      { key: 'p/over-same', size: 3, etag: md5('0'), versionId: 'v0' },
    ],
    expected: JSON.parse(
      JSON.stringify({
        'p/mine': { size: 5, etag: md5('a') },
        'p/theirs': { size: 5, etag: md5('a') },
        'p/never': { size: 5, etag: md5('a') },
        'p/big': { size: 5 },
        'p/over-mine': { size: 5, etag: md5('b') },
        'p/over-theirs': { size: 5, etag: md5('b') },
        'p/over-gone': { size: 5, etag: md5('b') },
        'p/over-same': { size: 5, etag: md5('b') },
      }),
    ) as S3RestoreUndo['expected'],
  };
  const now = new Map([
    ['p/mine', { size: 5, etag: md5('a') }],
    ['p/theirs', { size: 5, etag: md5('c') }],
    ['p/constructor', { size: 1, etag: md5('d') }],
    ['p/big', { size: 5, etag: `${md5('e')}-2` }],
    ['p/over-mine', { size: 5, etag: md5('b') }],
    ['p/over-theirs', { size: 9, etag: md5('f') }],
    ['p/over-same', { size: 3, etag: md5('0') }],
  ]);

  test('a step that stopped half-way: what holds the expected copy is undone, the rest left alone and named', () => {
    const d = decideS3Undo(undo, now, undefined);
    expect(d.legacy).toBe(false);
    expect(d.remove).toEqual(['p/mine']);
    expect(d.putBack.map((e) => e.key)).toEqual(['p/over-mine']);
    expect(d.leftAlone.map((l) => l.key)).toEqual(['p/theirs', 'p/constructor', 'p/big', 'p/over-theirs', 'p/over-gone']);
    expect(d.leftAlone.find((l) => l.key === 'p/big')?.why).toMatch(/cannot tell it from its own copy/);
    expect(d.leftAlone.find((l) => l.key === 'p/over-gone')?.why).toMatch(/^absent: deleted since by someone else/);
  });

  test("a completed step: what it left is undone (drift is the way back's check, before)", () => {
    const left = new Map<string, string | null>([...undo.created, ...undo.overwritten.map((e) => e.key)].map((k) => [k, 'x']));
    const d = decideS3Undo(undo, now, left);
    expect(d.remove).toEqual(['p/mine', 'p/theirs', 'p/constructor', 'p/big']);
    expect(d.putBack.map((e) => e.key)).toEqual(['p/over-mine', 'p/over-theirs', 'p/over-gone']);
    expect(d.leftAlone).toEqual([]);
  });

  test('an older record (no expectations) is undone as before', () => {
    const { expected: _dropped, ...legacy } = undo;
    const d = decideS3Undo(legacy, now, undefined);
    expect(d.legacy).toBe(true);
    expect(d.remove).toEqual(['p/mine', 'p/theirs', 'p/constructor', 'p/big']);
    expect(d.leftAlone).toEqual([]);
  });

  test("resume: keys holding neither their state before the run nor the restore's copy", () => {
    expect(changedSinceFirstAttempt(undo, [...now.keys(), 'p/never', 'p/over-gone'], now).map((c) => c.key)).toEqual(['p/theirs', 'p/over-theirs', 'p/over-gone']);
  });

  test("a local file is the restore's by its size and the mtime it set (2 s of slack for coarse file systems)", () => {
    expect(isExpectedFile({ size: 5, mtimeMs: 10_000 }, { size: 5, mtimeMs: 11_000 })).toBe(true);
    expect(isExpectedFile({ size: 5, mtimeMs: 10_000 }, { size: 5, mtimeMs: 12_500 })).toBe(false);
    expect(isExpectedFile({ size: 5, mtimeMs: 10_000 }, { size: 6, mtimeMs: 10_000 })).toBe(false);
  });
});
