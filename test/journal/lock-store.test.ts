/**
 * One acquire loop over the LockStore interface (src/journal/lock.ts), run against both
 * stores: the lock file and the S3 object (against the suite's moto). The rules are the
 * contract's §4 "Locks": the refusal names the holder; a stale holder is refused with the
 * three ways out; resume/rollback take over their own run's lock; --force-unlock removes
 * only the named, gone run's lock. A fake store drives the loop through the races.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { s3LockStore } from '../../src/aws/s3-lock.js';
import { RefusedError } from '../../src/errors.js';
import { acquireLock, fileLockStore, lockPath, parseHolder, serializeHolder, type LockHolder, type LockStore, type StoredLock } from '../../src/journal/lock.js';
import { motoEndpoint, testS3, uniqueName } from '../helpers/aws.js';
import { ROOT, tempDir } from '../helpers/cli.js';
import { awsEnvFor } from '../helpers/moto.js';

const NOW = new Date().toISOString();

function holder(runId: string, extra: Partial<LockHolder> = {}): LockHolder {
  return { runId, pid: process.pid, host: hostname(), user: 'ana@laptop', startedAt: NOW, runbook: 'failover', ...extra };
}

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

async function refusal(p: Promise<unknown>): Promise<RefusedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RefusedError);
  return err as RefusedError;
}

const stores: Array<[string, () => Promise<LockStore>]> = [
  ['the lock file', async () => fileLockStore(join(tempDir(), 'failover.lock'))],
  [
    'the S3 lock object',
    async () => {
      const bucket = uniqueName('lockstore');
      await testS3().send(new CreateBucketCommand({ Bucket: bucket }));
      const aws = new AwsClients({ env: { ...awsEnvFor(motoEndpoint()) } });
      return s3LockStore(await aws.s3(), { bucket, key: 'locks/failover.lock' });
    },
  ],
];

const current = async (store: LockStore): Promise<string | undefined> => (await store.read())?.holder?.runId;

describe.each(stores)('acquireLock over %s', (_name, makeStore) => {
  test('one holder at a time: the refusal names run id, pid, host, user and start; release lets the next in', async () => {
    const store = await makeStore();
    const a = await acquireLock(store, holder('run-a'));
    expect(a.where).toBe(store.where);
    expect(await current(store)).toBe('run-a');
    const err = await refusal(acquireLock(store, holder('run-b')));
    expect(err.message).toContain(`run run-a (pid ${process.pid} on ${hostname()}, user ana@laptop, started ${NOW})`);
    expect(err.message).toContain(store.where);
    await a.release();
    expect(await store.read()).toBeUndefined();
    await (await acquireLock(store, holder('run-b'))).release();
  });

  test('a stale holder is refused with the three ways out; its own run takes it over; --force-unlock removes only it', async () => {
    const store = await makeStore();
    const pid = deadPid();
    await acquireLock(store, holder('old', { pid }));
    const err = await refusal(acquireLock(store, holder('new')));
    expect(err.message).toMatch(/stale[\s\S]*lifeboat resume old[\s\S]*lifeboat rollback old[\s\S]*--force-unlock old/);
    expect(await current(store)).toBe('old');

    await refusal(acquireLock(store, holder('other'), { takeOver: 'other' }));
    const wrong = await refusal(acquireLock(store, holder('new'), { forceUnlock: 'another' }));
    expect(wrong.message).toMatch(/held by run old/);

    const warnings: string[] = [];
    const forced = await acquireLock(store, holder('new'), { forceUnlock: 'old' }, (l) => warnings.push(l));
    expect(warnings.join('\n')).toMatch(/removed the lock of run old/);
    expect(await current(store)).toBe('new');
    await forced.release();

    await acquireLock(store, holder('again', { pid }));
    const mine = await acquireLock(store, holder('again'), { takeOver: 'again' });
    expect((await store.read())?.holder).toMatchObject({ runId: 'again', pid: process.pid });
    await mine.release();
    expect(await store.read()).toBeUndefined();
  });

  test('a live holder is never removed or taken over; one on another host needs --force-unlock to be taken over', async () => {
    const store = await makeStore();
    await acquireLock(store, holder('busy', { pid: process.ppid }));
    expect((await refusal(acquireLock(store, holder('new'), { forceUnlock: 'busy' }))).message).toMatch(/still running/);
    expect((await refusal(acquireLock(store, holder('busy'), { takeOver: 'busy' }))).message).toMatch(/still being driven by pid/);

    const far = await makeStore();
    expect(await far.tryCreate(serializeHolder(holder('far', { host: 'elsewhere', pid: 1 })))).toBe(true);
    expect((await refusal(acquireLock(far, holder('new')))).message).toMatch(/another host/);
    expect((await refusal(acquireLock(far, holder('far'), { takeOver: 'far' }))).message).toMatch(/--force-unlock far/);
    const warnings: string[] = [];
    const taken = await acquireLock(far, holder('far'), { takeOver: 'far', forceUnlock: 'far' }, (l) => warnings.push(l));
    expect(warnings.join('\n')).toMatch(/taking over the lock of run far held on elsewhere/);
    await taken.release();
  });

  test('keep() leaves the lock for resume/rollback, even if release() follows; release leaves a lock that names another run', async () => {
    const store = await makeStore();
    const kept = await acquireLock(store, holder('suspended'));
    kept.keep();
    await kept.release();
    expect(await current(store)).toBe('suspended');

    const other = await makeStore();
    const a = await acquireLock(other, holder('run-a'));
    const seen = (await other.read()) as StoredLock;
    expect(await other.removeIf(seen)).toBe(true);
    expect(await other.tryCreate(serializeHolder(holder('run-z')))).toBe(true);
    await a.release();
    expect(await current(other)).toBe('run-z');
  });

  test('a lock that is not a holder is refused naming where it is; --force-unlock of a run with no lock goes on with a warning', async () => {
    const store = await makeStore();
    expect(await store.tryCreate('not json')).toBe(true);
    const err = await refusal(acquireLock(store, holder('new')));
    expect(err.message).toMatch(/cannot be read as a lock holder/);
    expect(err.message).toContain(store.where);

    const free = await makeStore();
    const warnings: string[] = [];
    const got = await acquireLock(free, holder('new'), { forceUnlock: 'ghost' }, (l) => warnings.push(l));
    expect(warnings).toEqual(['--force-unlock ghost: no lock was held by that run; going on']);
    await got.release();
  });

  test('removeIf removes only the version that was read', async () => {
    const store = await makeStore();
    expect(await store.tryCreate(serializeHolder(holder('one')))).toBe(true);
    const seen = (await store.read()) as StoredLock;
    expect(await store.removeIf(seen)).toBe(true);
    expect(await store.tryCreate(serializeHolder(holder('two')))).toBe(true);
    expect(await store.removeIf(seen)).toBe(false);
    expect(await current(store)).toBe('two');
  });
});

describe('the lock file when the process exits', () => {
  const script = (dir: string, keep: boolean) => `
    const { acquireLocalLock } = await import(${JSON.stringify(join(ROOT, 'dist/src/journal/lock.js'))});
    const lock = await acquireLocalLock(${JSON.stringify(dir)}, { runId: 'exiting', pid: process.pid, host: ${JSON.stringify(hostname())}, user: 'u', startedAt: new Date().toISOString(), runbook: 'failover' });
    ${keep ? 'lock.keep();' : ''}
    process.exit(1);`;

  test('an exit without release removes the lock; after keep() it stays for resume/rollback', () => {
    for (const keep of [false, true]) {
      const dir = tempDir();
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(dir, keep)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(1);
      expect(existsSync(lockPath(dir, 'failover')), `keep: ${keep}`).toBe(keep);
    }
  });
});

/** An in-memory store whose every call can be scripted, to drive the loop through races. */
function fakeStore(script: { read?: Array<string | undefined>; removeIf?: boolean[] } = {}): LockStore & { calls: string[]; text: string | undefined } {
  const store = {
    where: 'mem://lock',
    calls: [] as string[],
    text: undefined as string | undefined,
    async tryCreate(content: string) {
      store.calls.push('tryCreate');
      if (store.text !== undefined) return false;
      store.text = content;
      return true;
    },
    async read(): Promise<StoredLock | undefined> {
      store.calls.push('read');
      const text = script.read?.length ? script.read.shift() : store.text;
      return text === undefined ? undefined : { text, holder: parseHolder(text) };
    },
    async removeIf(): Promise<boolean> {
      store.calls.push('removeIf');
      const ok = script.removeIf?.length ? (script.removeIf.shift() as boolean) : true;
      if (ok) store.text = undefined;
      return ok;
    },
    unreadable: () => new RefusedError({ what: 'unreadable' }),
  };
  return store;
}

describe('acquireLock through races (a fake store)', () => {
  test('a lock released between the failed create and the read: tried again, and won', async () => {
    const store = fakeStore({ read: [undefined] });
    store.text = serializeHolder(holder('leaving'));
    const first = store.tryCreate;
    let once = true;
    store.tryCreate = async (content: string) => {
      if (once) {
        once = false;
        store.calls.push('tryCreate');
        store.text = undefined; // the holder releases right after our create failed
        return false;
      }
      return first(content);
    };
    const got = await acquireLock(store, holder('me'));
    expect(got.holder.runId).toBe('me');
    expect(store.calls).toEqual(['tryCreate', 'read', 'tryCreate']);
  });

  test('a stale lock that keeps being replaced: refused after five rounds, saying so', async () => {
    const stale = serializeHolder(holder('old', { pid: deadPid() }));
    const store = fakeStore({ removeIf: [false, false, false, false, false] });
    store.text = stale;
    const warnings: string[] = [];
    const err = await refusal(acquireLock(store, holder('old'), { takeOver: 'old' }, (l) => warnings.push(l)));
    expect(err.message).toMatch(/keeps changing hands/);
    expect(err.message).toContain('mem://lock');
    expect(store.calls.filter((c) => c === 'removeIf')).toHaveLength(5);
  });
});
