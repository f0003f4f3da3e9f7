/** The `--lock s3://…` lock against the suite's moto: conditional PutObject, checked release. */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { acquireS3Lock, parseLockUrl } from '../../src/aws/s3-lock.js';
import { RefusedError, UsageError } from '../../src/errors.js';
import type { LockHolder } from '../../src/journal/lock.js';
import { awsEnvFor } from '../helpers/moto.js';
import { motoEndpoint, testS3, uniqueName } from '../helpers/aws.js';

function holder(runId: string, extra: Partial<LockHolder> = {}): LockHolder {
  return { runId, pid: process.pid, host: hostname(), user: 'ana@laptop', startedAt: '2026-11-23T04:12:00Z', runbook: 'failover', ...extra };
}

async function bucket(): Promise<string> {
  const b = uniqueName('lock');
  await testS3().send(new CreateBucketCommand({ Bucket: b }));
  return b;
}

async function lockBody(b: string, key = 'locks/failover.lock'): Promise<LockHolder | undefined> {
  try {
    const r = await testS3().send(new GetObjectCommand({ Bucket: b, Key: key }));
    return JSON.parse((await r.Body?.transformToString()) ?? '') as LockHolder;
  } catch {
    return undefined;
  }
}

const aws = () => new AwsClients({ env: { ...awsEnvFor(motoEndpoint()) } });

describe('S3 lock', () => {
  test('the key: a prefix gets <runbook>.lock, a key is used as is', () => {
    expect(parseLockUrl('s3://team-locks/locks/', 'failover')).toEqual({ bucket: 'team-locks', key: 'locks/failover.lock' });
    expect(parseLockUrl('s3://team-locks', 'failover')).toEqual({ bucket: 'team-locks', key: 'failover.lock' });
    expect(parseLockUrl('s3://team-locks/one.lock', 'failover')).toEqual({ bucket: 'team-locks', key: 'one.lock' });
    expect(() => parseLockUrl('team-locks/x', 'failover')).toThrow(UsageError);
  });

  test('one holder; the second is refused naming it; release deletes only our own lock', async () => {
    const b = await bucket();
    const url = `s3://${b}/locks/`;
    const a = await acquireS3Lock(aws(), url, holder('run-a'));
    expect(a.where).toBe(`s3://${b}/locks/failover.lock`);
    expect(await lockBody(b)).toMatchObject({ runId: 'run-a', pid: process.pid });
    const err = await acquireS3Lock(aws(), url, holder('run-b')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect(String(err)).toContain('run run-a (pid');

    // Someone replaced the lock (e.g. after --force-unlock elsewhere): release leaves theirs.
    await testS3().send(new PutObjectCommand({ Bucket: b, Key: 'locks/failover.lock', Body: JSON.stringify(holder('run-z')) }));
    await a.release();
    expect(await lockBody(b)).toMatchObject({ runId: 'run-z' });
  });

  test('of concurrent takers exactly one wins (If-None-Match: *)', async () => {
    const b = await bucket();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => acquireS3Lock(aws(), `s3://${b}/l/`, holder(`run-${i}`))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const won = (await lockBody(b, 'l/failover.lock'))?.runId;
    for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toContain(`run ${won} (pid`);
  });

  test('a stale holder on this host: refused with the ways out; taken over by its own run; release deletes it', async () => {
    const b = await bucket();
    const url = `s3://${b}/locks/`;
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    await acquireS3Lock(aws(), url, holder('old', { pid: dead }));
    const err = await acquireS3Lock(aws(), url, holder('new')).catch((e: unknown) => e);
    expect(String(err)).toMatch(/stale[\s\S]*lifeboat resume old[\s\S]*lifeboat rollback old[\s\S]*--force-unlock old/);
    const mine = await acquireS3Lock(aws(), url, holder('old'), { takeOver: 'old' });
    expect(await lockBody(b)).toMatchObject({ runId: 'old', pid: process.pid });
    await mine.release();
    expect(await lockBody(b)).toBeUndefined();
  });

  test('a missing bucket is a mistake in the invocation (exit 2)', async () => {
    const err = await acquireS3Lock(aws(), `s3://${uniqueName('nope')}/locks/`, holder('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(String(err)).toMatch(/NoSuchBucket|does not exist/);
  });
});
