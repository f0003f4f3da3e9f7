/**
 * s3.restore over several pages of 1,000 keys, on moto through a counting proxy: how many
 * requests it sends per object (every listing included), and the page re-check that
 * refuses a target key changed between the plan and the page's copies.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startCountingProxy, type CountingProxy } from '../../bench/proxy.js';
import { AwsClients } from '../../src/aws/clients.js';
import type { RestoreWith } from '../../src/steps/s3-restore-type.js';
import { s3RestoreStep } from '../../src/steps/s3-restore.js';
import { StepError } from '../../src/steps/types.js';
import type { S3RestoreUndo } from '../../src/steps/restore/undo.js';
import { motoEndpoint } from '../helpers/aws.js';
import { createBucket, getText, listKeys, put, s3 } from '../helpers/s3-seed.js';
import { testContext, testStep, type TestStepContext, onS3Command } from '../helpers/step-context.js';

const OBJECTS = 2500;
const keyOf = (i: number): string => `p/k${String(i).padStart(5, '0')}`;

let proxy: CountingProxy;
let src: string;
const motoUrl = process.env.AWS_ENDPOINT_URL;

beforeAll(async () => {
  proxy = await startCountingProxy(motoEndpoint());
  // The SDK takes the endpoint from the environment: the step's clients go through the proxy
  // (this file's process only; seeding and checks use their own client, straight to moto).
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  src = await createBucket('restore-pages-src');
  const limit = pLimit(16);
  await Promise.all(Array.from({ length: OBJECTS }, (_, i) => limit(() => put(src, keyOf(i), `object ${i}`))));
}, 300_000);

afterAll(async () => {
  process.env.AWS_ENDPOINT_URL = motoUrl;
  await proxy.close();
});

/** A step context whose AWS clients go through the counting proxy. */
function proxied(w: RestoreWith, overrides: Parameters<typeof testContext>[1] = {}): TestStepContext {
  expect(process.env.AWS_ENDPOINT_URL).toBe(proxy.endpoint);
  return testContext(testStep('s3.restore', w), { env: process.env, aws: new AwsClients({ env: process.env }), ...overrides });
}


describe('s3.restore, 2,500 objects over 3 pages, on moto', () => {
  test('requests per object, every listing included, stay at most 1.1 (plan + execute, counted at the server)', async () => {
    const dst = await createBucket('restore-pages-count', { versioned: true });
    // 40 keys hold other bytes (overwritten), 60 already hold the source's (left alone).
    for (let i = 0; i < 40; i++) await put(dst, keyOf(i * 50), 'older bytes');
    for (let i = 0; i < 60; i++) await put(dst, keyOf(i * 40 + 7), `object ${i * 40 + 7}`);
    const writes = OBJECTS - 60;
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/` };
    const relists: Array<string | undefined> = [];
    const undos: unknown[] = [];
    let undoRecorded = false;
    const ctx = proxied(w, {
      recordUndo: async (undo) => {
        undoRecorded = true;
        undos.push(structuredClone(undo));
      },
    });
    await onS3Command(ctx, (name, input) => {
      if (name === 'ListObjectsV2Command' && input.Bucket === dst && undoRecorded) relists.push(input.StartAfter as string | undefined);
    });

    proxy.reset();
    const plan = await s3RestoreStep.plan(ctx, w);
    expect(plan.counts).toEqual({ objects: writes, overwrites: 40, bytes: expect.any(Number) as number });
    const result = await s3RestoreStep.execute(ctx, w);

    const counts = { ...proxy.counts };
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(counts).toEqual({
      // plan and execute each: the source (3 pages) and, after the copies, the target (3 pages);
      // during the copies, one re-list per page of 1,000 keys (3).
      ListObjectsV2: 3 + 3 + 3 + 3,
      // plan and execute each: the target's versioning and its current versions (100: one page).
      GetBucketVersioning: 2,
      ListObjectVersions: 2,
      CopyObject: writes,
    });
    expect(total / writes).toBeLessThanOrEqual(1.1);
    expect(result.outputs.requests).toBe(total - 5); // the step's own count: execute only
    // The re-lists are bounded to each page: after the previous page's last key; then the final listing from the start.
    expect(relists).toEqual([undefined, keyOf(999), keyOf(1999), undefined, undefined, undefined]);
    expect(result.outputs.objects).toBe(OBJECTS);
    expect(await getText(dst, keyOf(0))).toBe('object 0');
    expect(await listKeys(dst, 'p/')).toHaveLength(OBJECTS);
    expect(undos).toHaveLength(1);
    const undo = undos[0] as S3RestoreUndo;
    expect(undo.overwritten).toHaveLength(40);
    expect(undo.created).toHaveLength(writes - 40);
  }, 300_000);

  test('a target key changed between plan and copy refuses its page: named, with what the plan saw and what is there; nothing of that page written', async () => {
    const dst = await createBucket('restore-pages-drift');
    await put(dst, keyOf(1200), 'older bytes');
    const w: RestoreWith = { source: `s3://${src}/p/`, target: `s3://${dst}/p/` };
    const plan = await s3RestoreStep.plan(proxied(w), w);
    expect(plan.counts).toMatchObject({ objects: OBJECTS, overwrites: 1 });

    const ctx = proxied(w);
    let changed = false;
    await onS3Command(ctx, async (name, input) => {
      // Right before page 2 (keys k01000–k01999) is re-listed: someone writes one of its new
      // keys and overwrites the one the plan saw.
      if (name === 'ListObjectsV2Command' && input.Bucket === dst && input.StartAfter === keyOf(999) && !changed) {
        changed = true;
        await s3().send(new PutObjectCommand({ Bucket: dst, Key: keyOf(1500), Body: 'written by someone else' }));
        await s3().send(new PutObjectCommand({ Bucket: dst, Key: keyOf(1200), Body: 'rewritten by someone else' }));
      }
    });
    const err = await s3RestoreStep.execute(ctx, w).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(changed).toBe(true);
    expect(err).toBeInstanceOf(StepError);
    const message = (err as StepError).message;
    expect(message).toMatch(new RegExp(`2 target keys changed since the plan: s3://${dst}/${keyOf(1200)} \\(the plan saw ETag [0-9a-f]{32}, now ETag [0-9a-f]{32}\\)`));
    expect(message).toContain(`s3://${dst}/${keyOf(1500)} (the plan saw absent, now ETag `);
    expect(message).toMatch(/refusing to write page 2 of 3 \(1000 keys\): none of it was written/);
    expect((err as StepError).hint).toMatch(/run lifeboat plan again/);

    // Page 1 was written in full; of page 2 (and 3) only what someone else wrote is there.
    const keys = await listKeys(dst, 'p/');
    expect(keys.filter((k) => k < keyOf(1000))).toHaveLength(1000);
    expect(keys.filter((k) => k >= keyOf(1000))).toEqual([keyOf(1200), keyOf(1500)]);
    expect(await getText(dst, keyOf(1200))).toBe('rewritten by someone else');
    expect(await getText(dst, keyOf(1500))).toBe('written by someone else');
    // Page 1's copies, and the preserved copy of k01200 made before any (the target keeps no versions).
    expect(ctx.aws.requests.byCommand.CopyObjectCommand).toBe(1000 + 1);

    // The way back of the failed step (no result, so no `left`): the undo record lists all 2,500
    // planned keys, but only page 1 is the restore's. The preview says what it leaves alone.
    const undo = ctx.undoRecords[0] as S3RestoreUndo;
    expect(undo.created).toContain(keyOf(1500));
    const preview = await s3RestoreStep.previewUndo?.(proxied(w), w, undo, undefined);
    expect(preview?.drift).toEqual([]);
    const texts = preview?.lines.map((l) => l.text) ?? [];
    expect(texts).toContain(`delete 1000 objects the restore created under s3://${dst}/p/`);
    expect(texts).toContain('put back 0 overwritten objects (the preserved copies)');
    expect(texts).toContain('leave alone 2 objects the restore did not write:');
    expect(texts).toContainEqual(expect.stringMatching(new RegExp(`^s3://${dst}/${keyOf(1500)}: holds ETag [0-9a-f]{32}, not the restore's copy \\(ETag [0-9a-f]{32}\\): not written by this restore$`)));
    expect(texts).toContainEqual(
      expect.stringMatching(
        new RegExp(`^s3://${dst}/${keyOf(1200)}: holds ETag [0-9a-f]{32}, neither what was there before \\(ETag [0-9a-f]{32}\\) nor the restore's copy .*; its bytes from before the restore stay at s3://${dst}/\\.lifeboat-undo/.+/${keyOf(1200)}$`),
      ),
    );

    const back = proxied(w);
    await s3RestoreStep.rollback?.(back, w, undo, undefined);
    // The other writer's objects are there with their bytes; every key the restore wrote is gone.
    expect(await listKeys(dst, 'p/')).toEqual([keyOf(1200), keyOf(1500)]);
    expect(await getText(dst, keyOf(1500))).toBe('written by someone else');
    expect(await getText(dst, keyOf(1200))).toBe('rewritten by someone else');
    // The bytes k01200 held before the restore are kept (they may be the only copy), and said where.
    const kept = (await listKeys(dst, '.lifeboat-undo/')).filter((k) => k.endsWith(keyOf(1200)));
    expect(kept).toHaveLength(1);
    expect(await getText(dst, kept[0] as string)).toBe('older bytes');
    expect(back.lines).toContain(`put back 0 objects, removed 1000 objects under s3://${dst}/p/`);
    expect(back.lines).toContain('left alone 2 objects the restore did not write (check whose they are):');
    expect(back.lines.some((l) => l.includes(`s3://${dst}/${keyOf(1500)}: holds ETag`))).toBe(true);
    expect(back.lines.some((l) => l.includes(`s3://${dst}/${kept[0] as string}`))).toBe(true);
  }, 300_000);
});
