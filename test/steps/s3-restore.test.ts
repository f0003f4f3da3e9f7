import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { groupByKey, listObjects, listVersions } from '../../src/aws/s3.js';
import { selectAsOf } from '../../src/steps/restore/select.js';
import { afterAll, describe, expect, test } from 'vitest';
import { AwsClients, isReadOnlyCommand } from '../../src/aws/clients.js';
import { s3RestoreType, type RestoreWith } from '../../src/steps/s3-restore-type.js';
import { s3RestoreStep } from '../../src/steps/s3-restore.js';
import { AwsError } from '../../src/aws/scope.js';
import { StepError } from '../../src/steps/types.js';
import type { LocalRestoreUndo, S3RestoreUndo } from '../../src/steps/restore/undo.js';
import { testContext, testStep, type TestStepContext, onS3Command } from '../helpers/step-context.js';
import { createBucket, dirSnapshot, getBytes, getText, listKeys, nextSecond, put, putAll, s3, sha256, snapshot, versionsOf } from '../helpers/s3-seed.js';

function ctxFor(w: RestoreWith, overrides: Parameters<typeof testContext>[1] = {}): TestStepContext {
  return testContext(testStep('s3.restore', w), overrides);
}


async function expectStepError(p: Promise<unknown>, pattern: RegExp): Promise<StepError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  // A failure explained for the operator: the step's own, or the AWS layer's (src/aws raises AwsError).
  expect(err instanceof StepError || err instanceof AwsError, String(err)).toBe(true);
  expect((err as Error).message).toMatch(pattern);
  return err as StepError;
}

const tmpDirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'lifeboat-restore-'));
  tmpDirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('s3.restore to S3', () => {
  test('asOf restores the version current at that time; deleted and later keys are left out', async () => {
    const src = await createBucket('restore-asof-src', { versioned: true });
    const dst = await createBucket('restore-asof-dst');
    await put(src, 'db/a', 'a version 1');
    await put(src, 'db/b', 'b only version');
    await put(src, 'db/gone', 'deleted before asOf');
    await nextSecond();
    const v2 = await put(src, 'db/a', 'a version 2');
    await s3().send(new DeleteObjectCommand({ Bucket: src, Key: 'db/gone' }));
    await nextSecond();
    await put(src, 'db/a', 'a version 3');
    await put(src, 'db/late', 'created after asOf');

    const versions = await versionsOf(src, 'db/a');
    const lm2 = versions.find((v) => v.VersionId === v2)?.LastModified as Date;
    const asOf = new Date(lm2.getTime() + 500).toISOString();
    const w: RestoreWith = { source: `s3://${src}/db/`, target: `s3://${dst}/restored/`, asOf };

    const ctx = ctxFor(w);
    const plan = await s3RestoreStep.plan(ctx, w);
    expect(plan.counts).toMatchObject({ objects: 2, overwrites: 0 });
    expect(plan.mutating).toBe(true);
    expect(plan.lines.map((l) => l.text).join('\n')).toContain(`version ${v2}`);

    const result = await s3RestoreStep.execute(ctx, w);
    expect(await listKeys(dst)).toEqual(['restored/a', 'restored/b']);
    expect(await getText(dst, 'restored/a')).toBe('a version 2');
    expect(await getText(dst, 'restored/b')).toBe('b only version');
    expect(result.outputs).toMatchObject({ objects: 2, bytes: 'a version 2'.length + 'b only version'.length });
    expect(result.outputs.requests).toBeGreaterThan(0);
    expect(typeof result.outputs.seconds).toBe('number');
  });

  test('asOf with a timestamp on a bucket without versioning fails saying what to fix', async () => {
    const src = await createBucket('restore-nover-src');
    const dst = await createBucket('restore-nover-dst');
    await put(src, 'db/a', 'x');
    const w: RestoreWith = { source: `s3://${src}/db/`, target: `s3://${dst}/db/`, asOf: '2026-01-01T00:00:00Z' };
    const err = await expectStepError(s3RestoreStep.execute(ctxFor(w), w), /versioning is not enabled on bucket/);
    expect(err.hint).toMatch(/asOf: latest/);
    expect(await listKeys(dst)).toEqual([]);
  });

  test('a missing bucket is one line naming it', async () => {
    const dst = await createBucket('restore-nsb-dst');
    const w: RestoreWith = { source: 's3://no-such-bucket-lifeboat-test/db/', target: `s3://${dst}/db/` };
    await expectStepError(s3RestoreStep.execute(ctxFor(w), w), /bucket no-such-bucket-lifeboat-test does not exist \(NoSuchBucket\)/);
  });

  test.each([{ versioned: true }, { versioned: false }])('restore over existing keys, then rollback: the target is as before (versioned: $versioned)', async ({ versioned }) => {
    const src = await createBucket('restore-rb-src');
    const dst = await createBucket('restore-rb-dst', { versioned });
    await putAll(src, { 'db/a': 'new a', 'db/b': 'same b', 'db/c': 'new c', 'db/sub/d': 'new d' });
    await putAll(dst, { 'db/a': 'old a', 'db/b': 'same b', 'db/keep': 'not in source', 'other/x': 'outside prefix' });
    const before = await snapshot(dst);
    const w: RestoreWith = { source: `s3://${src}/db/`, target: `s3://${dst}/db/` };

    const plan = await s3RestoreStep.plan(ctxFor(w), w);
    expect(plan.counts).toEqual({ objects: 3, overwrites: 1, bytes: 'new a'.length + 'new c'.length + 'new d'.length });
    expect(plan.lines.some((l) => l.kind === 'change' && l.text.includes('db/a'))).toBe(true);

    const ctx = ctxFor(w);
    const result = await s3RestoreStep.execute(ctx, w);
    expect(result.outputs.objects).toBe(4);
    expect(await getText(dst, 'db/a')).toBe('new a');
    expect(await getText(dst, 'db/c')).toBe('new c');
    expect(await getText(dst, 'db/keep')).toBe('not in source');

    expect(ctx.undoRecords).toHaveLength(1);
    const undo = ctx.undoRecords[0] as S3RestoreUndo;
    expect(JSON.parse(JSON.stringify(undo))).toEqual(undo);
    expect(undo.created.sort()).toEqual(['db/c', 'db/sub/d']);
    expect(undo.overwritten.map((e) => e.key)).toEqual(['db/a']);
    if (versioned) expect(undo.overwritten[0]?.versionId).toBeTruthy();
    else expect(undo.overwritten[0]?.preservedKey).toMatch(/^\.lifeboat-undo\/.+\/db\/a$/);

    await s3RestoreStep.rollback?.(ctxFor(w), w, undo);
    expect(await snapshot(dst)).toEqual(before);
    // Idempotent: a second rollback changes nothing.
    await s3RestoreStep.rollback?.(ctxFor(w), w, undo);
    expect(await snapshot(dst)).toEqual(before);
    expect(s3RestoreStep.describeUndo?.(w, undo)).toMatch(/delete what the restore created \(up to 2 object\(s\)\)/);
  });

  test('the undo record is journaled before the first mutating request', async () => {
    const src = await createBucket('restore-order-src');
    const dst = await createBucket('restore-order-dst');
    await putAll(src, { 'p/a': 'A', 'p/b': 'B' });
    await putAll(dst, { 'p/a': 'old A' });
    const events: string[] = [];
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/` };
    const ctx = ctxFor(w, {
      recordUndo: async () => {
        events.push('recordUndo');
      },
    });
    await onS3Command(ctx, (name) => {
      if (!isReadOnlyCommand(name)) events.push(name);
    });
    await s3RestoreStep.execute(ctx, w);
    expect(events[0]).toBe('recordUndo');
    // The preserved copy of p/a and the two restore copies, all after it.
    expect(events.filter((e) => e === 'CopyObjectCommand')).toHaveLength(3);
  });

  test.each([{ versioned: false }, { versioned: true }])('a retry with priorUndo never re-captures; rollback still returns the state before the first attempt (versioned: $versioned)', async ({ versioned }) => {
    const src = await createBucket('restore-retry-src');
    const dst = await createBucket('restore-retry-dst', { versioned });
    await putAll(src, { 'p/a': 'new a', 'p/b': 'new b', 'p/c': 'new c', 'p/d': 'new d' });
    await putAll(dst, { 'p/a': 'old a', 'p/b': 'old b' });
    const before = await snapshot(dst);
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/`, concurrency: 1 };

    // First attempt: dies after two restore copies.
    const first = ctxFor(w);
    let copies = 0;
    await onS3Command(first, (name, input) => {
      if (name === 'CopyObjectCommand' && !String(input.Key).startsWith('.lifeboat-undo/') && ++copies > 2) throw new Error('simulated crash');
    });
    await expect(s3RestoreStep.execute(first, w)).rejects.toThrow(/simulated crash/);
    expect(first.undoRecords).toHaveLength(1);
    const prior = first.undoRecords[0] as S3RestoreUndo;
    expect(await getText(dst, 'p/a')).toBe('new a'); // the crashed attempt's write

    // Second attempt: given the first record, it must not capture "new a" as the previous state.
    const second = ctxFor(w, { priorUndo: prior });
    await s3RestoreStep.execute(second, w);
    expect(second.undoRecords).toHaveLength(0);
    for (const k of ['a', 'b', 'c', 'd']) expect(await getText(dst, `p/${k}`)).toBe(`new ${k}`);

    await s3RestoreStep.rollback?.(ctxFor(w), w, prior);
    expect(await snapshot(dst)).toEqual(before);
  });

  test('multipart copy above multipartThreshold yields identical bytes', async () => {
    const src = await createBucket('restore-mp-src');
    const dst = await createBucket('restore-mp-dst');
    const big = Buffer.alloc(5 * 1024 * 1024 + 1234);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) % 251;
    await put(src, 'big/blob.bin', big);
    await put(src, 'big/small.txt', 'small');
    const w: RestoreWith = { source: `s3://${src}/big/`, target: `s3://${dst}/big/`, multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 };
    const ctx = ctxFor(w);
    await s3RestoreStep.execute(ctx, w);
    expect(sha256(await getBytes(dst, 'big/blob.bin'))).toBe(sha256(big));
    expect(await getText(dst, 'big/small.txt')).toBe('small');
    expect(ctx.aws.requests.byCommand.UploadPartCopyCommand).toBe(2);
    expect(ctx.aws.requests.byCommand.CompleteMultipartUploadCommand).toBe(1);
  });

  test('a copy that does not hold the source bytes fails naming the key', async () => {
    const src = await createBucket('restore-tamper-src');
    const dst = await createBucket('restore-tamper-dst');
    await putAll(src, { 'p/good': 'good bytes', 'p/bad': 'the real bytes', 'decoy/x': 'other bytes!!' });
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/` };
    const ctx = ctxFor(w);
    // Make S3 copy the wrong object for p/bad.
    await onS3Command(ctx, (name, input) => {
      if (name === 'CopyObjectCommand' && input.Key === 'p/bad') input.CopySource = `${src}/decoy/x`;
    });
    await expectStepError(s3RestoreStep.execute(ctx, w), /checksum mismatch .*p\/bad/);
  });

  test('a source with SHA-256 checksums is verified by SHA-256; a corrupted copy fails naming the key', async () => {
    const src = await createBucket('restore-sha-src');
    const dst = await createBucket('restore-sha-dst');
    await put(src, 'p/a', 'alpha', 'sha256');
    await put(src, 'p/b', 'bravo', 'sha256');
    await put(src, 'decoy', 'delta', 'sha256');
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/` };
    const ok = ctxFor(w);
    await s3RestoreStep.execute(ok, w);
    expect(await getText(dst, 'p/a')).toBe('alpha');

    const dst2 = await createBucket('restore-sha-dst2');
    const w2: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst2}/p/` };
    const bad = ctxFor(w2);
    await onS3Command(bad, (name, input) => {
      if (name === 'CopyObjectCommand' && input.Key === 'p/b') input.CopySource = `${src}/decoy`;
    });
    await expectStepError(s3RestoreStep.execute(bad, w2), /checksum mismatch .*p\/b.*SHA-256/);
  });

  test('an object changed behind the restore after its copy fails the read-back naming the key', async () => {
    const src = await createBucket('restore-after-src');
    const dst = await createBucket('restore-after-dst');
    await putAll(src, { 'p/a': 'aaa', 'p/b': 'bbb' });
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/`, concurrency: 1 };
    const ctx = ctxFor(w);
    let copies = 0;
    await onS3Command(ctx, async (name) => {
      // Just before the second copy, overwrite the first copy's result.
      if (name === 'CopyObjectCommand' && ++copies === 2) await s3().send(new PutObjectCommand({ Bucket: dst, Key: 'p/a', Body: 'zzz' }));
    });
    await expectStepError(s3RestoreStep.execute(ctx, w), /p\/a .*changed after it was copied/);
  });

  test('drift at write time: a key that appears after the survey is not overwritten', async () => {
    const src = await createBucket('restore-drift-src');
    const dst = await createBucket('restore-drift-dst');
    await putAll(src, { 'p/a': 'restored a', 'p/b': 'restored b' });
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/` };
    let undoRecorded = false;
    const ctx = ctxFor(w, {
      recordUndo: async () => {
        undoRecorded = true;
      },
    });
    let injected = false;
    await onS3Command(ctx, async (name, input) => {
      // After the survey and the undo record, right before the page is re-listed, someone else writes p/a.
      if (name === 'ListObjectsV2Command' && input.Bucket === dst && undoRecorded && !injected) {
        injected = true;
        await s3().send(new PutObjectCommand({ Bucket: dst, Key: 'p/a', Body: 'written by someone else' }));
      }
    });
    const err = await expectStepError(s3RestoreStep.execute(ctx, w), new RegExp(`s3://${dst}/p/a \\(the plan saw absent, now ETag [0-9a-f]{32}\\).*none of it was written`));
    expect(err.hint).toMatch(/run lifeboat plan again/);
    expect(injected).toBe(true);
    expect(await getText(dst, 'p/a')).toBe('written by someone else');
    expect(await listKeys(dst)).toEqual(['p/a']);
    expect(ctx.aws.requests.byCommand.CopyObjectCommand ?? 0).toBe(0);
  });

  test('every copy carries the destination condition AWS enforces: IfNoneMatch * for a new key, IfMatch the ETag seen for an overwrite', async () => {
    const src = await createBucket('restore-cond-src');
    const dst = await createBucket('restore-cond-dst');
    await putAll(src, { 'p/new': 'new', 'p/over': 'restored' });
    await putAll(dst, { 'p/over': 'older' });
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/` };
    const ctx = ctxFor(w);
    const copies: Record<string, unknown> = {};
    await onS3Command(ctx, (name, input) => {
      if (name === 'CopyObjectCommand' && String(input.Key).startsWith('p/')) copies[String(input.Key)] = { IfMatch: input.IfMatch, IfNoneMatch: input.IfNoneMatch };
    });
    const planned = (await s3RestoreStep.plan(ctxFor(w), w)).lines.map((l) => l.text).join('\n');
    const seen = /p\/over .*replaces ETag ([0-9a-f]{32})/.exec(planned)?.[1];
    expect(seen).toBeDefined();
    await s3RestoreStep.execute(ctx, w);
    expect(copies).toEqual({ 'p/new': { IfMatch: undefined, IfNoneMatch: '*' }, 'p/over': { IfMatch: `"${seen}"`, IfNoneMatch: undefined } });
  });

  test('include / exclude globs match keys relative to the source prefix; unchanged keys are skipped', async () => {
    const src = await createBucket('restore-glob-src');
    const dst = await createBucket('restore-glob-dst');
    await putAll(src, { 'db/x.dump': '1', 'db/y.dump': '2', 'db/logs/z.log': '3', 'db/.hidden.dump': '4' });
    const w: RestoreWith = { source: `s3://${src}/db/`, target: `s3://${dst}/db/`, include: '**/*.dump', exclude: 'y.*' };
    const ctx = ctxFor(w);
    await s3RestoreStep.execute(ctx, w);
    expect(await listKeys(dst)).toEqual(['db/.hidden.dump', 'db/x.dump']);
    // Again: everything is already in place, nothing is written.
    const again = ctxFor(w);
    const plan = await s3RestoreStep.plan(again, w);
    expect(plan.mutating).toBe(false);
    const r = await s3RestoreStep.execute(again, w);
    expect(again.undoRecords).toHaveLength(0);
    expect(again.aws.requests.byCommand.CopyObjectCommand ?? 0).toBe(0);
    expect(r.outputs.objects).toBe(2);
  });

  test('requests per object stay low: one CopyObject each, no HEAD, on any endpoint', async () => {
    const src = await createBucket('restore-req-src');
    const dst = await createBucket('restore-req-dst');
    const objects: Record<string, string> = {};
    for (let i = 0; i < 30; i++) objects[`p/k${i}`] = `value ${i}`;
    await putAll(src, objects);
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/` };
    const ctx = ctxFor(w);
    const r = await s3RestoreStep.execute(ctx, w);
    expect(ctx.aws.requests.byCommand.CopyObjectCommand).toBe(30);
    expect(ctx.aws.requests.byCommand.HeadObjectCommand ?? 0).toBe(0);
    // Source listing, target listing, the page re-list, the final listing.
    expect(ctx.aws.requests.byCommand.ListObjectsV2Command).toBe(4);
    expect(r.outputs.requests).toBe(30 + 4 + 1);
  });

  test('an interrupt stops scheduling copies; in-flight ones finish; prefixes without a final / are folders', async () => {
    const src = await createBucket('restore-abort-src');
    const dst = await createBucket('restore-abort-dst');
    await putAll(src, { 'p/a': '1', 'p/b': '2', 'p/c': '3', 'p/d': '4', 'px/not-this': '5' });
    const ac = new AbortController();
    const w: RestoreWith = { source: `s3://${src}/p`, target: `s3://${dst}/q`, concurrency: 1 };
    const ctx = ctxFor(w, { signal: ac.signal });
    let copies = 0;
    await onS3Command(ctx, (name) => {
      if (name === 'CopyObjectCommand' && ++copies === 2) ac.abort(new Error('operator pressed Ctrl-C'));
    });
    await expect(s3RestoreStep.execute(ctx, w)).rejects.toThrow('operator pressed Ctrl-C');
    expect(await listKeys(dst)).toEqual(['q/a', 'q/b']);
    expect(ctx.lines.some((l) => /interrupted: 2 of 4 objects written/.test(l))).toBe(true);
    await s3RestoreStep.rollback?.(ctxFor(w), w, ctx.undoRecords[0]);
    expect(await listKeys(dst)).toEqual([]);
  });

  test('SlowDown is retried by the SDK; a key that keeps failing names bucket, key and the AWS code', async () => {
    const src = await createBucket('restore-slow-src');
    const dst = await createBucket('restore-slow-dst');
    await putAll(src, { 'p/a': 'A', 'p/b': 'B' });
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/` };
    const slowDown = (): Error => Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 } });
    // Inside the retry loop (deserialize step), as if S3 had answered 503 SlowDown.
    const inject = async (ctx: TestStepContext, failures: (key: string) => boolean): Promise<void> => {
      const client = await ctx.aws.s3();
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { Key?: string };
          if (context.commandName === 'CopyObjectCommand' && failures(String(input.Key))) throw slowDown();
          return next(args);
        },
        { step: 'deserialize', name: 'injectSlowDown' },
      );
    };
    const ctx = ctxFor(w, { aws: new AwsClients({ env: process.env, maxAttempts: 3 }) });
    let tries = 0;
    await inject(ctx, (key) => key === 'p/a' && ++tries <= 2);
    await s3RestoreStep.execute(ctx, w);
    expect(await getText(dst, 'p/a')).toBe('A');
    expect(ctx.aws.requests.byCommand.CopyObjectCommand).toBe(4);

    const dst2 = await createBucket('restore-slow-dst2');
    const w2: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst2}/p/` };
    const failing = ctxFor(w2, { aws: new AwsClients({ env: process.env, maxAttempts: 2 }) });
    await inject(failing, (key) => key === 'p/b');
    const err = await expectStepError(s3RestoreStep.execute(failing, w2), new RegExp(`CopyObject s3://${src}/p/b → s3://${dst2}/p/b failed: SlowDown`));
    expect(err.hint).toMatch(/lower `concurrency`/);
  });

  test('keys that would leave the target prefix are refused before any write', async () => {
    const src = await createBucket('restore-unsafe-src');
    const dst = await createBucket('restore-unsafe-dst');
    await putAll(src, { 'p/ok': 'fine', 'p/../escape': 'bad' });
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/q/` };
    const ctx = ctxFor(w);
    await expectStepError(s3RestoreStep.execute(ctx, w), /p\/\.\.\/escape/);
    expect(await listKeys(dst)).toEqual([]);
    expect(ctx.undoRecords).toHaveLength(0);
  });
});

describe('s3.restore: nothing to restore is a failure', () => {
  test('a mistyped prefix fails in plan and in execute, naming the source, the prefix and the asOf, with a guess', async () => {
    const src = await createBucket('restore-empty-src');
    const dst = await createBucket('restore-empty-dst');
    await putAll(src, { 'db/a.sql': 'a', 'db/b.sql': 'b' });
    const w: RestoreWith = { source: `s3://${src}/dbb/`, target: `s3://${dst}/restored/` };
    const planErr = await expectStepError(s3RestoreStep.plan(ctxFor(w), w), /nothing to restore: no object under s3:\/\/\S+\/dbb\/ \(bucket \S+, prefix "dbb\/", asOf latest\): the prefix is empty/);
    expect(planErr.hint).toContain(`did you mean s3://${src}/db/?`);
    expect(planErr.hint).toContain('allowEmpty: true');
    await expectStepError(s3RestoreStep.execute(ctxFor(w), w), /nothing to restore/);
    expect(await listKeys(dst)).toEqual([]);
  });

  test('an asOf before the first backup fails, saying when the oldest version is from', async () => {
    const src = await createBucket('restore-early-src', { versioned: true });
    const dst = await createBucket('restore-early-dst');
    await put(src, 'db/a.sql', 'a');
    const w: RestoreWith = { source: `s3://${src}/db/`, target: `s3://${dst}/restored/`, asOf: '2020-01-01T00:00:00Z' };
    const err = await expectStepError(s3RestoreStep.execute(ctxFor(w), w), /nothing to restore: .*asOf 2020-01-01T00:00:00Z\): the oldest version under that prefix is from \d{4}-.*, after asOf/);
    expect(err.hint).toMatch(/choose an asOf after/);
    expect(await listKeys(dst)).toEqual([]);
  });

  test('include/exclude that leave nothing fail too', async () => {
    const src = await createBucket('restore-filtered-src');
    const dst = await createBucket('restore-filtered-dst');
    await putAll(src, { 'db/a.sql': 'a' });
    const w: RestoreWith = { source: `s3://${src}/db/`, target: `s3://${dst}/restored/`, include: '*.dump' };
    await expectStepError(s3RestoreStep.plan(ctxFor(w), w), /include\/exclude left out all 1 object/);
  });

  test('allowEmpty: true (also "true" from a param) restores nothing and succeeds', async () => {
    const src = await createBucket('restore-allow-src');
    const dst = await createBucket('restore-allow-dst');
    for (const allowEmpty of [true, 'true']) {
      const w = { source: `s3://${src}/db/`, target: `s3://${dst}/restored/`, allowEmpty } as unknown as RestoreWith;
      const parsed = s3RestoreType.with.parse(w);
      expect(parsed.allowEmpty).toBe(true);
      const ctx = ctxFor(parsed);
      const plan = await s3RestoreStep.plan(ctx, parsed);
      expect(plan.mutating).toBe(false);
      const result = await s3RestoreStep.execute(ctx, parsed);
      expect(result.outputs).toMatchObject({ objects: 0, bytes: 0 });
      expect(ctx.undoRecords).toEqual([]);
    }
  });

  test('an asOf in the future is refused before anything is listed', async () => {
    const dst = await createBucket('restore-future-dst');
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const w: RestoreWith = { source: 's3://no-such-bucket-lifeboat-test/db/', target: `s3://${dst}/restored/`, asOf: future };
    const err = await expectStepError(s3RestoreStep.plan(ctxFor(w), w), /asOf .* is in the future \(it is now /);
    expect(err.hint).toMatch(/asOf: latest/);
  });
});

describe('s3.restore to a local directory', () => {
  test('files get the right bytes; rollback removes them and puts back what was replaced', async () => {
    const src = await createBucket('restore-local-src', { versioned: true });
    await putAll(src, { 'p/a.txt': 'alpha', 'p/sub/deep/b.bin': 'bravo', 'p/keep.txt': 'same' });
    const root = await tempDir();
    const dir = path.join(root, 'restore');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.txt'), 'old alpha');
    await writeFile(path.join(dir, 'keep.txt'), 'same');
    await writeFile(path.join(dir, 'unrelated'), 'stays');
    const before = await dirSnapshot(dir);
    const w: RestoreWith = { source: `s3://${src}/p/`, target: dir };

    const plan = await s3RestoreStep.plan(ctxFor(w), w);
    expect(plan.counts).toEqual({ objects: 2, overwrites: 1, bytes: 10 });

    const ctx = ctxFor(w);
    await s3RestoreStep.execute(ctx, w);
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('alpha');
    expect(await readFile(path.join(dir, 'sub/deep/b.bin'), 'utf8')).toBe('bravo');
    const undo = ctx.undoRecords[0] as LocalRestoreUndo;
    expect(undo.created).toEqual(['sub/deep/b.bin']);
    expect(undo.createdDirs).toEqual(['sub/deep', 'sub']);
    expect(undo.overwritten.map((e) => e.path)).toEqual(['a.txt']);

    await s3RestoreStep.rollback?.(ctxFor(w), w, undo);
    expect(await dirSnapshot(dir)).toEqual(before);
    await s3RestoreStep.rollback?.(ctxFor(w), w, undo);
    expect(await dirSnapshot(dir)).toEqual(before);
  });

  test('a retry with priorUndo into a directory: rollback returns the state before the first attempt', async () => {
    const src = await createBucket('restore-local-retry');
    await putAll(src, { 'p/a': 'new a', 'p/b': 'new b', 'p/n/c': 'new c' });
    const dir = await tempDir();
    await writeFile(path.join(dir, 'a'), 'old a');
    await writeFile(path.join(dir, 'b'), 'old b');
    const before = await dirSnapshot(dir);
    const w: RestoreWith = { source: `s3://${src}/p/`, target: dir, concurrency: 1 };
    const first = ctxFor(w);
    let gets = 0;
    await onS3Command(first, (name) => {
      if (name === 'GetObjectCommand' && ++gets === 2) throw new Error('simulated crash');
    });
    await expect(s3RestoreStep.execute(first, w)).rejects.toThrow(/simulated crash/);
    expect(await readFile(path.join(dir, 'a'), 'utf8')).toBe('new a');
    const prior = first.undoRecords[0];
    const second = ctxFor(w, { priorUndo: prior });
    await s3RestoreStep.execute(second, w);
    expect(second.undoRecords).toHaveLength(0);
    expect(await readFile(path.join(dir, 'n/c'), 'utf8')).toBe('new c');
    await s3RestoreStep.rollback?.(ctxFor(w), w, prior);
    expect(await dirSnapshot(dir)).toEqual(before);
  });

  test('a relative target directory (and its missing parents) is created and removed again by rollback', async () => {
    const src = await createBucket('restore-local-new-src');
    await putAll(src, { 'p/x': 'x' });
    const root = await tempDir();
    const w: RestoreWith = { source: `s3://${src}/p/`, target: 'new/dir' };
    const ctx = ctxFor(w, { runbookDir: root });
    await s3RestoreStep.execute(ctx, w);
    expect(await readFile(path.join(root, 'new/dir/x'), 'utf8')).toBe('x');
    await s3RestoreStep.rollback?.(ctxFor(w, { runbookDir: root }), w, ctx.undoRecords[0]);
    expect((ctx.undoRecords[0] as LocalRestoreUndo).createdRoots).toEqual([path.join(root, 'new/dir'), path.join(root, 'new')]);
    expect(await dirSnapshot(root)).toEqual({});
  });

  test.each([
    { key: 'p/../escape', shown: 'p/../escape' },
    { key: 'p//abs', shown: 'p//abs' },
    { key: 'p/a/../../b', shown: 'p/a/../../b' },
  ])('source key $key is refused and nothing is written inside or outside the directory', async ({ key, shown }) => {
    const src = await createBucket('restore-local-unsafe');
    await putAll(src, { 'p/fine.txt': 'fine', [key]: 'escaped!' });
    const root = await tempDir();
    const dir = path.join(root, 'inner', 'target');
    await mkdir(dir, { recursive: true });
    const w: RestoreWith = { source: `s3://${src}/p/`, target: dir };
    const ctx = ctxFor(w);
    const err = await expectStepError(s3RestoreStep.execute(ctx, w), /refusing to restore/);
    expect(err.message).toContain(shown);
    expect(await dirSnapshot(root)).toEqual({ 'inner/': '<dir>', 'inner/target/': '<dir>' });
    expect(ctx.undoRecords).toHaveLength(0);
    expect(ctx.aws.requests.byCommand.GetObjectCommand ?? 0).toBe(0);
  });
});

describe('S3 listing helpers on moto', () => {
  test('listVersions pages with KeyMarker/VersionIdMarker; a key split across pages stays one group', async () => {
    const bucket = await createBucket('aws-lv', { versioned: true });
    for (const k of ['p/a', 'p/b', 'p/c']) for (let i = 0; i < 3; i++) await put(bucket, k, `${k} v${i}`);
    await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: 'p/b' }));
    const groups = [];
    for await (const g of groupByKey(listVersions(s3(), bucket, 'p/', { pageSize: 2 }))) groups.push(g);
    expect(groups.map((g) => [g.key, g.entries.length])).toEqual([
      ['p/a', 3],
      ['p/b', 4],
      ['p/c', 3],
    ]);
    expect(groups[1]?.entries.filter((e) => e.deleteMarker)).toHaveLength(1);
    const latest = [];
    for await (const o of selectAsOf(groupByKey(listVersions(s3(), bucket, 'p/', { pageSize: 2 })), Date.now() + 1000)) latest.push(o.key);
    expect(latest).toEqual(['p/a', 'p/c']);
  });

  test('listObjects pages with ContinuationToken', async () => {
    const bucket = await createBucket('aws-lo');
    await Promise.all(['x/1', 'x/2', 'x/3', 'x/4', 'x/5', 'y/6'].map((k) => put(bucket, k, k)));
    const keys = [];
    for await (const o of listObjects(s3(), bucket, 'x/', { pageSize: 2 })) keys.push(o.Key);
    expect(keys).toEqual(['x/1', 'x/2', 'x/3', 'x/4', 'x/5']);
  });
});
