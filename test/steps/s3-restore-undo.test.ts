/**
 * The way back of s3.restore deletes or replaces only what the restore wrote, whatever point
 * the step stopped at: its undo record lists every planned write (journaled before the
 * first), so a key the step never reached may hold someone else's object by then. On moto;
 * see also s3-restore-pages.test.ts (a refused page, then rollback).
 */
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, test } from 'vitest';
import type { RestoreWith } from '../../src/steps/s3-restore-type.js';
import { s3RestoreStep } from '../../src/steps/s3-restore.js';
import type { LocalRestoreUndo, S3RestoreUndo } from '../../src/steps/restore/undo.js';
import { testContext, testStep, type TestStepContext, onS3Command, rejection } from '../helpers/step-context.js';
import { createBucket, getText, listKeys, putAll, s3, versionsOf } from '../helpers/s3-seed.js';

function ctxFor(w: RestoreWith, overrides: Parameters<typeof testContext>[1] = {}): TestStepContext {
  return testContext(testStep('s3.restore', w), overrides);
}

const tmpDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A restore of p/a (over "old a"), p/b, p/c, p/d (over "old d"), one copy at a time, that crashes at its third copy (p/c). */
async function crashedRestore(name: string, versioned: boolean): Promise<{ dst: string; w: RestoreWith; undo: S3RestoreUndo }> {
  const src = await createBucket(`${name}-src`);
  const dst = await createBucket(`${name}-dst`, { versioned });
  await putAll(src, { 'p/a': 'new a', 'p/b': 'new b', 'p/c': 'new c', 'p/d': 'new d' });
  await putAll(dst, { 'p/a': 'old a', 'p/d': 'old d' });
  const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/`, concurrency: 1 };
  const ctx = ctxFor(w);
  let copies = 0;
  await onS3Command(ctx, (cmd, input) => {
    if (cmd === 'CopyObjectCommand' && !String(input.Key).startsWith('.lifeboat-undo/') && ++copies > 2) throw new Error('simulated crash');
  });
  await expect(s3RestoreStep.execute(ctx, w)).rejects.toThrow(/simulated crash/);
  expect(await listKeys(dst, 'p/')).toEqual(['p/a', 'p/b', 'p/d']);
  const undo = ctx.undoRecords[0] as S3RestoreUndo;
  expect(undo.created.sort()).toEqual(['p/b', 'p/c']);
  expect(undo.overwritten.map((e) => e.key).sort()).toEqual(['p/a', 'p/d']);
  return { dst, w, undo };
}

/** Someone else writes the keys the crashed restore never reached. */
async function someoneElseWrites(dst: string): Promise<void> {
  await s3().send(new PutObjectCommand({ Bucket: dst, Key: 'p/c', Body: 'their c' }));
  await s3().send(new PutObjectCommand({ Bucket: dst, Key: 'p/d', Body: 'their d' }));
}

describe('s3.restore: the way back of a step that stopped half-way', () => {
  test.each([{ versioned: false }, { versioned: true }])(
    'a key it never wrote keeps what someone else put there; what it wrote is undone (versioned: $versioned)',
    async ({ versioned }) => {
      const { dst, w, undo } = await crashedRestore('undo-half', versioned);
      await someoneElseWrites(dst);

      const preview = await s3RestoreStep.previewUndo?.(ctxFor(w), w, undo, undefined);
      expect(preview?.drift).toEqual([]);
      const texts = preview?.lines.map((l) => l.text) ?? [];
      expect(texts).toContain(`delete 1 object the restore created under s3://${dst}/p/${versioned ? ' (delete markers)' : ''}`);
      expect(texts.some((t) => t.startsWith(`s3://${dst}/p/a: ETag`))).toBe(true); // put back
      expect(texts).toContain('leave alone 2 objects the restore did not write:');
      expect(texts).toContainEqual(expect.stringMatching(new RegExp(`^s3://${dst}/p/c: holds ETag [0-9a-f]{32}, not the restore's copy`)));
      expect(texts).toContainEqual(expect.stringMatching(new RegExp(`^s3://${dst}/p/d: holds ETag [0-9a-f]{32}, neither what was there before`)));

      const back = ctxFor(w);
      await s3RestoreStep.rollback?.(back, w, undo, undefined);
      expect(await listKeys(dst, 'p/')).toEqual(['p/a', 'p/c', 'p/d']);
      expect(await getText(dst, 'p/a')).toBe('old a'); // the restore's overwrite, put back
      expect(await getText(dst, 'p/c')).toBe('their c'); // not deleted (nor hidden by a delete marker)
      expect(await getText(dst, 'p/d')).toBe('their d'); // not replaced by "old d"
      if (versioned) expect((await versionsOf(dst, 'p/c')).filter((v) => v.IsLatest)).toHaveLength(1);
      expect(back.lines).toContain(`put back 1 object, removed 1 object under s3://${dst}/p/`);
      expect(back.lines).toContain('left alone 2 objects the restore did not write (check whose they are):');
      expect(back.lines.some((l) => l.includes(`s3://${dst}/p/c: holds ETag`))).toBe(true);
      const dLine = back.lines.find((l) => l.includes(`s3://${dst}/p/d: holds ETag`)) ?? '';
      if (versioned) expect(dLine).not.toContain('stay at');
      else {
        // The bytes p/d held before the run are kept where the line says.
        const kept = /stay at s3:\/\/[^/]+\/(\S+)$/.exec(dLine)?.[1] ?? '';
        expect(await getText(dst, kept)).toBe('old d');
      }

      // Idempotent: a second rollback changes nothing.
      await s3RestoreStep.rollback?.(ctxFor(w), w, undo, undefined);
      expect(await getText(dst, 'p/c')).toBe('their c');
      expect(await getText(dst, 'p/d')).toBe('their d');
      expect(await getText(dst, 'p/a')).toBe('old a');
    },
  );

  test('copies whose ETag cannot be foreseen (multipart) go on record as made: a step stopped half-way is undone over them', async () => {
    const src = await createBucket('undo-parts-src');
    const dst = await createBucket('undo-parts-dst');
    const MiB = 1024 * 1024;
    await putAll(src, { 'p/a': 'a'.repeat(6 * MiB), 'p/b': 'b'.repeat(6 * MiB), 'p/c': 'c'.repeat(6 * MiB) });
    await putAll(dst, { 'p/a': 'old a' });
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/`, concurrency: 1, multipartThreshold: 5 * MiB, partSize: 5 * MiB };
    const ctx = ctxFor(w);
    let uploads = 0;
    await onS3Command(ctx, (cmd, input) => {
      if (cmd === 'CreateMultipartUploadCommand' && !String(input.Key).startsWith('.lifeboat-undo/') && ++uploads > 2) throw new Error('simulated crash');
    });
    await expect(s3RestoreStep.execute(ctx, w)).rejects.toThrow(/simulated crash/);
    expect(await listKeys(dst, 'p/')).toEqual(['p/a', 'p/b']);

    // Journaled before the first copy: no ETag for a multipart copy. Learned once each was made.
    const first = ctx.undoRecords[0] as S3RestoreUndo;
    expect(first.expected?.['p/a']?.etag).toBeUndefined();
    const undo = ctx.undoRecords[ctx.undoRecords.length - 1] as S3RestoreUndo;
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: dst, Prefix: 'p/' }));
    const etagOf = (k: string): string | undefined => listed.Contents?.find((o) => o.Key === k)?.ETag?.replace(/"/g, '');
    expect(undo.expected?.['p/a']?.etag).toBe(etagOf('p/a'));
    expect(undo.expected?.['p/b']?.etag).toBe(etagOf('p/b'));
    expect(undo.expected?.['p/c']?.etag).toBeUndefined(); // never copied

    // The record as first journaled could not tell these copies from someone else's: left alone.
    const blind = await s3RestoreStep.previewUndo?.(ctxFor(w), w, first, undefined);
    expect(blind?.lines.map((l) => l.text)).toContain('leave alone 2 objects the restore did not write:');
    const preview = await s3RestoreStep.previewUndo?.(ctxFor(w), w, undo, undefined);
    expect(preview?.lines.map((l) => l.text).some((t) => t.startsWith('leave alone'))).toBe(false);
    // A resume knows its own multipart copies: it goes on with p/c instead of refusing them.
    const again = ctxFor(w, { priorUndo: undo });
    await s3RestoreStep.execute(again, w);
    expect(await listKeys(dst, 'p/')).toEqual(['p/a', 'p/b', 'p/c']);
    const resumed = again.undoRecords[again.undoRecords.length - 1] as S3RestoreUndo;
    expect(resumed.expected?.['p/c']?.etag).toMatch(/-2$/);

    const back = ctxFor(w);
    await s3RestoreStep.rollback?.(back, w, resumed, undefined);
    expect(await listKeys(dst, 'p/')).toEqual(['p/a']);
    expect(await getText(dst, 'p/a')).toBe('old a');
    expect(back.lines).toContain(`put back 1 object, removed 2 objects under s3://${dst}/p/`);
  });

  test('an undo record without per-key expectations (older lifeboat) rolls back as before, with a note', async () => {
    const { dst, w, undo } = await crashedRestore('undo-legacy', false);
    await someoneElseWrites(dst);
    const legacy: S3RestoreUndo = { ...undo };
    delete legacy.expected;
    const preview = await s3RestoreStep.previewUndo?.(ctxFor(w), w, legacy, undefined);
    expect(preview?.lines.map((l) => l.text)).toContainEqual(expect.stringMatching(/^note: this undo record was journaled by an older lifeboat/));
    const back = ctxFor(w);
    await s3RestoreStep.rollback?.(back, w, legacy, undefined);
    // As before the per-key check: every listed key present is undone, whoever wrote it last.
    expect(await listKeys(dst, 'p/')).toEqual(['p/a', 'p/d']);
    expect(await getText(dst, 'p/d')).toBe('old d');
    expect(back.lines.some((l) => l.startsWith('note: this undo record was journaled by an older lifeboat'))).toBe(true);
  });

  test('a resume refuses to copy over a key someone else wrote since the first attempt', async () => {
    const { dst, w, undo } = await crashedRestore('undo-resume', true);
    await s3().send(new PutObjectCommand({ Bucket: dst, Key: 'p/c', Body: 'their c' }));
    const second = ctxFor(w, { priorUndo: undo });
    const err = await rejection(s3RestoreStep.execute(second, w));
    expect(err.message).toMatch(new RegExp(`^1 target key changed since the first attempt of this step, not by the restore: s3://${dst}/p/c \\(before the run absent, now ETag [0-9a-f]{32}\\); refusing to go on`));
    expect(err.hint).toMatch(/roll this run back/);
    expect(second.aws.requests.byCommand.CopyObjectCommand ?? 0).toBe(0);
    expect(await getText(dst, 'p/c')).toBe('their c');
  });

  test('a completed step: an object written over a restored key is still drift, and an override undoes it as before', async () => {
    const src = await createBucket('undo-done-src');
    const dst = await createBucket('undo-done-dst');
    await putAll(src, { 'p/a': 'new a', 'p/b': 'new b' });
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/` };
    const ctx = ctxFor(w);
    const result = await s3RestoreStep.execute(ctx, w);
    const undo = ctx.undoRecords[0] as S3RestoreUndo;
    await s3().send(new PutObjectCommand({ Bucket: dst, Key: 'p/b', Body: 'their b' }));
    const preview = await s3RestoreStep.previewUndo?.(ctxFor(w), w, undo, result.left);
    expect(preview?.drift).toEqual([{ resource: `s3://${dst}/p/b`, left: expect.stringMatching(/^ETag /) as string, now: expect.stringMatching(/\(written since\)$/) as string }]);
    // The way back calls rollback only when the drift was accepted (--ignore-drift): then the state before the run.
    await s3RestoreStep.rollback?.(ctxFor(w), w, undo, result.left);
    expect(await listKeys(dst, 'p/')).toEqual([]);
  });
});

describe('s3.restore into a directory: the way back of a step that stopped half-way', () => {
  test('a file it never wrote keeps what someone else put there; what it wrote is undone', async () => {
    const src = await createBucket('undo-local-src');
    await putAll(src, { 'p/a': 'new a', 'p/b': 'new b', 'p/d': 'new d' });
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-undo-'));
    tmpDirs.push(dir);
    await writeFile(path.join(dir, 'd'), 'old d');
    const w: RestoreWith = { source: `s3://${src}/p/`, target: dir, concurrency: 1 };
    const first = ctxFor(w);
    let gets = 0;
    await onS3Command(first, (cmd) => {
      if (cmd === 'GetObjectCommand' && ++gets === 2) throw new Error('simulated crash');
    });
    await expect(s3RestoreStep.execute(first, w)).rejects.toThrow(/simulated crash/);
    const undo = first.undoRecords[0] as LocalRestoreUndo;
    expect(undo.created.sort()).toEqual(['a', 'b']);
    // The restore's file carries the source's LastModified: how the way back knows it.
    expect((await stat(path.join(dir, 'a'))).mtimeMs).toBe(undo.expected?.a?.mtimeMs);
    // Someone else writes where the restore never got to (d: a new file in its place, as editors and
    // most tools save; an in-place rewrite would change the preserved hard link too).
    await writeFile(path.join(dir, 'b'), 'their b');
    await rm(path.join(dir, 'd'));
    await writeFile(path.join(dir, 'd'), 'their d!');

    const preview = await s3RestoreStep.previewUndo?.(ctxFor(w), w, undo, undefined);
    const texts = preview?.lines.map((l) => l.text) ?? [];
    expect(texts).toContain('leave alone 2 files the restore did not write:');
    expect(texts).toContainEqual(expect.stringMatching(new RegExp(`^${path.join(dir, 'b')}: holds a file of 7 bytes, .*not written by this restore$`)));

    const back = ctxFor(w);
    await s3RestoreStep.rollback?.(back, w, undo, undefined);
    expect((await readdir(dir)).sort()).toEqual(['.lifeboat-undo', 'b', 'd']);
    expect(await readFile(path.join(dir, 'b'), 'utf8')).toBe('their b');
    expect(await readFile(path.join(dir, 'd'), 'utf8')).toBe('their d!');
    expect(back.lines).toContain(`put back 0 files, removed 1 file in ${dir}`);
    expect(back.lines).toContain('left alone 2 files the restore did not write (check whose they are):');
    const dLine = back.lines.find((l) => l.includes(`${path.join(dir, 'd')}: holds`)) ?? '';
    const kept = /stay at (\S+)$/.exec(dLine)?.[1] ?? '';
    expect(await readFile(kept, 'utf8')).toBe('old d');
  });
});
