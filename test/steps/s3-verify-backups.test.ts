import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { isReadOnlyCommand } from '../../src/aws/clients.js';
import type { VerifyBackupsWith } from '../../src/steps/s3-verify-backups-type.js';
import { s3VerifyBackupsStep } from '../../src/steps/s3-verify-backups.js';
import { AwsError } from '../../src/aws/scope.js';
import { StepError } from '../../src/steps/types.js';
import { testContext, testStep, type TestStepContext } from '../helpers/step-context.js';
import { createBucket, put, putAll } from '../helpers/s3-seed.js';

function ctxFor(w: VerifyBackupsWith, overrides: Parameters<typeof testContext>[1] = {}): TestStepContext {
  return testContext(testStep('s3.verify-backups', w), overrides);
}

async function failure(w: VerifyBackupsWith, overrides: Parameters<typeof testContext>[1] = {}): Promise<StepError> {
  const err = await s3VerifyBackupsStep.execute(ctxFor(w, overrides), w).then(
    () => undefined,
    (e: unknown) => e,
  );
  // A failure explained for the operator: the step's own, or the AWS layer's (src/aws raises AwsError).
  expect(err instanceof StepError || err instanceof AwsError, String(err)).toBe(true);
  return err as StepError;
}

const hex = (s: string): string => createHash('sha256').update(s).digest('hex');
const b64 = (s: string): string => createHash('sha256').update(s).digest('base64');

describe('s3.verify-backups', () => {
  test('success: outputs count, bytes, newest key and age; only read-only requests', async () => {
    const bucket = await createBucket('vb-ok');
    await putAll(bucket, { 'db/2026-11-22.dump': 'older', 'other/x': 'not counted' });
    await put(bucket, 'db/2026-11-23.dump', 'newest!', 'sha256');
    const w: VerifyBackupsWith = { bucket, prefix: 'db/', maxAge: '1h', minCount: 2, checksums: 'required' };
    const ctx = ctxFor(w);
    const plan = await s3VerifyBackupsStep.plan(ctx, w);
    expect(plan).toMatchObject({ mutating: false, counts: { checks: 1 } });
    expect(plan.summary).toContain(`s3://${bucket}/db/`);
    const r = await s3VerifyBackupsStep.execute(ctx, w);
    expect(r.outputs.count).toBe(2);
    expect(r.outputs.bytes).toBe('older'.length + 'newest!'.length);
    expect(r.outputs.newestKey).toBe('db/2026-11-23.dump');
    expect(r.outputs.newestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(r.outputs.newestAgeSeconds).toBeLessThan(60);
    expect(r.summary).toMatch(/^2 objects, 12 B, newest db\/2026-11-23\.dump \d+s old \(limit 1h\)/);
    expect(Object.keys(ctx.aws.requests.byCommand).every(isReadOnlyCommand)).toBe(true);
    // Checksum presence comes from the listing: no request per object.
    expect(ctx.aws.requests.byCommand.HeadObjectCommand ?? 0).toBe(0);
  });

  test('newest older than maxAge fails with the age and the limit', async () => {
    const bucket = await createBucket('vb-age');
    await put(bucket, 'db/x.dump', 'x');
    const later = new Date(Date.now() + (26 * 60 + 3) * 60_000 + 20_000);
    const err = await failure({ bucket, prefix: 'db/', maxAge: '1h' }, { now: () => later });
    expect(err.message).toMatch(/^newest backup db\/x\.dump is 26h 3m old, older than maxAge 1h$/);
  });

  test("maxAge defaults to the runbook's rpo", async () => {
    const bucket = await createBucket('vb-rpo');
    await put(bucket, 'x', 'x');
    const later = new Date(Date.now() + 3 * 3600_000);
    const err = await failure({ bucket }, { now: () => later, runbook: { name: 't', rpoMs: 3600_000 } });
    expect(err.message).toMatch(/older than rpo 1h/);
  });

  test('checksums: required lists the objects that carry none', async () => {
    const bucket = await createBucket('vb-sum');
    await put(bucket, 'db/with', 'has crc32');
    await put(bucket, 'db/a', 'no checksum', 'none');
    await put(bucket, 'db/b', 'no checksum either', 'none');
    const ctx = ctxFor({ bucket, prefix: 'db/', checksums: 'required' });
    const err = await s3VerifyBackupsStep.execute(ctx, { bucket, prefix: 'db/', checksums: 'required' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as Error).message).toBe('2 objects have no checksum (checksums: required): db/a, db/b');
    expect(ctx.aws.requests.byCommand.HeadObjectCommand).toBe(2); // only the two, to confirm
    // if-present accepts them.
    const ok = await s3VerifyBackupsStep.execute(ctxFor({ bucket, prefix: 'db/' }), { bucket, prefix: 'db/' });
    expect(ok.outputs.count).toBe(3);
  });

  test('count and size bounds name the limit and the offenders', async () => {
    const bucket = await createBucket('vb-size');
    await putAll(bucket, { 'a/tiny': '1', 'a/ok': '1234567890', 'a/small': '12' });
    const err = await failure({ bucket, prefix: 'a/', minSize: 5, maxCount: 2, minTotalBytes: 1000 });
    expect(err.message).toContain('found 3 objects under');
    expect(err.message).toContain('more than maxCount 2');
    expect(err.message).toContain('below minTotalBytes 1000');
    expect(err.message).toContain('2 objects are smaller than minSize 5 bytes: a/small (2 B), a/tiny (1 B)');
  });

  test('an empty prefix fails: at least one object is expected by default', async () => {
    const bucket = await createBucket('vb-empty');
    const err = await failure({ bucket, prefix: 'nothing/' });
    expect(err.message).toMatch(/found 0 objects under s3:\/\/.*\/nothing\/, fewer than minCount 1/);
  });

  test('a missing bucket is one line naming it', async () => {
    const err = await failure({ bucket: 'no-such-bucket-lifeboat-vb' });
    expect(err.message).toBe('ListObjectsV2 failed: bucket no-such-bucket-lifeboat-vb does not exist (NoSuchBucket)');
  });

  test('a manifest (JSON, hex) that matches passes; SHA-256 is read when S3 stores none', async () => {
    const bucket = await createBucket('vb-man');
    await put(bucket, 'db/a', 'alpha', 'sha256');
    await put(bucket, 'db/b', 'bravo', 'none');
    await put(
      bucket,
      'db/manifest.json',
      JSON.stringify([
        { key: 'db/a', size: 5, sha256: hex('alpha') },
        { key: 'b', size: 5, sha256: b64('bravo') },
      ]),
    );
    const w: VerifyBackupsWith = { bucket, prefix: 'db/', manifest: `s3://${bucket}/db/manifest.json` };
    const ctx = ctxFor(w);
    const r = await s3VerifyBackupsStep.execute(ctx, w);
    expect(r.outputs.count).toBe(2); // the manifest itself is not a backup
    expect(r.summary).toContain('manifest matched (2 by SHA-256)');
    expect(ctx.aws.requests.byCommand.GetObjectCommand).toBe(2); // the manifest, and db/b read for its hash
  });

  test('a manifest (CSV) with a wrong hash fails naming the key', async () => {
    const bucket = await createBucket('vb-man-bad');
    await put(bucket, 'db/a', 'alpha', 'sha256');
    await put(bucket, 'db/b', 'bravo', 'sha256');
    await put(bucket, 'manifests/m.csv', `key,size,sha256\ndb/a,5,${hex('alpha')}\ndb/b,5,${hex('not bravo')}\ndb/c,1,\n`);
    const err = await failure({ bucket, prefix: 'db/', manifest: `s3://${bucket}/manifests/m.csv` });
    expect(err.message).toMatch(/1 object differs from the manifest s3:\/\/.*m\.csv: db\/b \(sha256 /);
    expect(err.message).toMatch(/1 object in the manifest is missing under .*: db\/c/);
    expect(err.message).not.toMatch(/db\/a/);
  });
});
