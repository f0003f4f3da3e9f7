import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, test } from 'vitest';
import { ExitCode, RefusedError } from '../../src/errors.js';
import { acquireLocalLock, isStale, lockPath, pidAlive, type LockHolder } from '../../src/journal/lock.js';
import { tempDir } from '../helpers/cli.js';

const NOW = new Date().toISOString();

function holder(runId: string, extra: Partial<LockHolder> = {}): LockHolder {
  return { runId, pid: process.pid, host: hostname(), user: 'ana@laptop', startedAt: NOW, runbook: 'failover', ...extra };
}

/** A pid that is certainly gone: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

async function refusal(p: Promise<unknown>): Promise<RefusedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RefusedError);
  return err as RefusedError;
}

describe('local lock', () => {
  test('one holder at a time; the refusal names it; release lets the next one in', async () => {
    const dir = tempDir();
    const a = await acquireLocalLock(dir, holder('run-a'));
    const path = lockPath(dir, 'failover');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ runId: 'run-a', pid: process.pid, user: 'ana@laptop' });
    const err = await refusal(acquireLocalLock(dir, holder('run-b')));
    expect(err.exitCode).toBe(ExitCode.refused);
    expect(err.message).toContain(`run run-a (pid ${process.pid} on ${hostname()}, user ana@laptop, started ${NOW})`);
    expect(err.message).not.toMatch(/stale/);
    await a.release();
    expect(existsSync(path)).toBe(false);
    const b = await acquireLocalLock(dir, holder('run-b'));
    await b.release();
  });

  test('of many concurrent takers exactly one wins', async () => {
    const dir = tempDir();
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => acquireLocalLock(dir, holder(`run-${i}`))));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const holderId = JSON.parse(readFileSync(lockPath(dir, 'failover'), 'utf8')).runId as string;
    for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toContain(holderId);
  });

  test('a holder whose pid is gone is stale: refused with the three ways out, never taken over silently', async () => {
    const dir = tempDir();
    const pid = deadPid();
    expect(isStale(holder('old', { pid }))).toBe(true);
    await acquireLocalLock(dir, holder('old', { pid }));
    const err = await refusal(acquireLocalLock(dir, holder('new')));
    expect(err.message).toMatch(/stale/);
    for (const way of ['lifeboat resume old', 'lifeboat rollback old', '--force-unlock old']) expect(err.message).toContain(way);
    expect(JSON.parse(readFileSync(lockPath(dir, 'failover'), 'utf8')).runId).toBe('old');
  });

  test('resume/rollback take over their own stale lock, not a live one or another run’s', async () => {
    const dir = tempDir();
    const pid = deadPid();
    await acquireLocalLock(dir, holder('old', { pid }));
    await refusal(acquireLocalLock(dir, holder('other'), { takeOver: 'other' }));
    const mine = await acquireLocalLock(dir, holder('old'), { takeOver: 'old' });
    expect(JSON.parse(readFileSync(lockPath(dir, 'failover'), 'utf8'))).toMatchObject({ runId: 'old', pid: process.pid });
    await mine.release();

    // A live holder of the same run (another process) is not taken over.
    const live = tempDir();
    await acquireLocalLock(live, holder('busy', { pid: process.ppid }));
    const err = await refusal(acquireLocalLock(live, holder('busy'), { takeOver: 'busy' }));
    expect(err.message).toMatch(/still being driven by pid/);
  });

  test('--force-unlock removes the named run’s stale lock only, and never a live one', async () => {
    const dir = tempDir();
    const pid = deadPid();
    await acquireLocalLock(dir, holder('old', { pid }));
    const wrong = await refusal(acquireLocalLock(dir, holder('new'), { forceUnlock: 'another' }));
    expect(wrong.message).toMatch(/held by run old/);
    const warnings: string[] = [];
    const got = await acquireLocalLock(dir, holder('new'), { forceUnlock: 'old' }, (l) => warnings.push(l));
    expect(warnings.join('\n')).toMatch(/removed the lock of run old/);
    await got.release();

    const live = tempDir();
    await acquireLocalLock(live, holder('busy', { pid: process.ppid }));
    const err = await refusal(acquireLocalLock(live, holder('new'), { forceUnlock: 'busy' }));
    expect(err.message).toMatch(/still running/);
  });

  test('a holder on another host cannot be judged from here: not stale, and said so', async () => {
    const dir = tempDir();
    await acquireLocalLock(dir, holder('far', { host: 'elsewhere', pid: 1 }));
    expect(isStale(holder('far', { host: 'elsewhere', pid: 1 }))).toBeUndefined();
    const err = await refusal(acquireLocalLock(dir, holder('new')));
    expect(err.message).toMatch(/another host/);
  });

  test('release removes only a lock that still names this run', async () => {
    const dir = tempDir();
    const a = await acquireLocalLock(dir, holder('run-a'));
    writeFileSync(lockPath(dir, 'failover'), JSON.stringify(holder('run-z')));
    await a.release();
    expect(JSON.parse(readFileSync(lockPath(dir, 'failover'), 'utf8')).runId).toBe('run-z');
  });
});

describe('pidAlive', () => {
  test('a live pid is alive; a gone one is not; a pid whose process started well after the holder is a reused pid', () => {
    expect(pidAlive(process.pid, new Date().toISOString())).toBe(true);
    expect(pidAlive(deadPid())).toBe(false);
    // This process started long after 2001: if that was when the holder took the lock, the pid was reused since.
    const hasProc = existsSync('/proc/self/stat');
    expect(pidAlive(process.pid, '2001-01-01T00:00:00Z')).toBe(!hasProc);
  });
});
