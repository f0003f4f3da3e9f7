/**
 * Run locks: one per runbook name, so two people never drive the same failover at once.
 *
 * Local: `<state-dir>/locks/<name>.lock`, a JSON holder { runId, pid, host, user, startedAt,
 * runbook }. It is created atomically with its content complete: the holder is written to a
 * private temporary file, fsynced, then hard-linked to the lock path (link fails if the path
 * exists, like `open(path, 'wx')`, but a reader never sees a half-written holder). Where hard
 * links are not supported, `open(path, 'wx')` is used instead.
 *
 * A holder whose pid is gone on this host is stale. A stale lock is never taken over
 * silently: a new run is refused and told the three ways out; `resume <id>` and
 * `rollback <id>` take over their own run's lock; `--force-unlock <id>` removes it.
 *
 * Where a lock is kept is a LockStore: read the holder, try to create, remove exactly what
 * was read. The file store is below; the S3 one (`--lock s3://…`, conditional PutObject) is
 * in ../aws/s3-lock.ts. One acquire loop, acquireLock, applies the rules above to either.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RefusedError } from '../errors.js';

export interface LockHolder {
  runId: string;
  pid: number;
  host: string;
  user: string;
  startedAt: string;
  runbook: string;
}

/** A lock this process holds. */
export interface HeldLock {
  /** The lock file path or the s3:// URL: journaled in run-start so resume and rollback find it. */
  readonly where: string;
  readonly holder: LockHolder;
  /** Remove the lock, if it still names this run. Does nothing after keep(). */
  release(): Promise<void>;
  /** Leave the lock in place when this process ends (a suspended run keeps its lock); a later release() leaves it too. */
  keep(): void;
}

/** What to do about an existing lock. */
export interface LockIntent {
  /** resume/rollback: the run whose lock may be taken over (when its process is gone). */
  takeOver?: string | undefined;
  /** --force-unlock <run-id>: remove that run's lock (if its process is gone), then go on. */
  forceUnlock?: string | undefined;
}

/** Whether the holder's process is gone: true/false on this host, undefined for another host (cannot tell). */
export function isStale(holder: LockHolder, host = hostname()): boolean | undefined {
  if (holder.host !== host) return undefined;
  if (holder.pid === process.pid) return false;
  return !pidAlive(holder.pid, holder.startedAt);
}

/**
 * Whether `pid` is alive and, where /proc tells (Linux), the same process that was there
 * at `since`: a pid reused by a process started later does not count.
 */
export function pidAlive(pid: number, since?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = processStartMs(pid);
  const at = since === undefined ? NaN : Date.parse(since);
  // Generous slack: a live holder must never be judged gone because of clock skew.
  return started === undefined || Number.isNaN(at) || started <= at + 60_000;
}

/** When a process started (epoch ms), from /proc; undefined where there is no /proc. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, in clock ticks since boot) counts from after the ")" ending the command name.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return undefined;
    return btime * 1000 + ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

export function describeHolder(h: LockHolder): string {
  return `run ${h.runId} (pid ${h.pid} on ${h.host}, user ${h.user}, started ${h.startedAt})`;
}

/** The refusal for a lock held by someone else: exit 3, naming the holder and the ways out. */
export function heldError(h: LockHolder, where: string, stale: boolean | undefined): RefusedError {
  if (stale) {
    return new RefusedError({
      what: `runbook "${h.runbook}" is locked by ${describeHolder(h)}, whose process is gone: a stale lock, left by a run that stopped without finishing (it is not taken over silently)`,
      where,
      hint:
        `continue that run: lifeboat resume ${h.runId}\n` +
        `  → or undo it:       lifeboat rollback ${h.runId}\n` +
        `  → or, if you know it is safe, remove its lock and start anew: --force-unlock ${h.runId}`,
    });
  }
  const other = stale === undefined ? ` (on another host: lifeboat cannot tell from here whether it still runs)` : '';
  return new RefusedError({
    what: `runbook "${h.runbook}" is locked by ${describeHolder(h)}${other}: another run is in progress`,
    where,
    hint: `wait for it to end (lifeboat show ${h.runId} shows where it is); nothing was changed`,
  });
}

/**
 * The decision shared by local and S3 locks, once an existing holder has been read:
 * 'replace' (remove it, then create ours) or throw the refusal.
 */
export function decide(h: LockHolder, where: string, intent: LockIntent, warn: (line: string) => void): 'replace' {
  const stale = isStale(h);
  if (intent.takeOver !== undefined && h.runId === intent.takeOver) {
    if (stale === true) return 'replace';
    if (stale === undefined && intent.forceUnlock === h.runId) {
      warn(`taking over the lock of run ${h.runId} held on ${h.host} (--force-unlock)`);
      return 'replace';
    }
    throw new RefusedError({
      what: `run ${h.runId} is still being driven by pid ${h.pid} on ${h.host} (user ${h.user})${stale === undefined ? ', as far as lifeboat can tell from another host' : ''}`,
      where,
      hint:
        stale === undefined
          ? `if that process is gone, add --force-unlock ${h.runId}`
          : `wait for it to end, or stop it first (kill -INT ${h.pid}: it stops at a safe point)`,
    });
  }
  if (intent.forceUnlock !== undefined) {
    if (h.runId !== intent.forceUnlock)
      throw new RefusedError({
        what: `--force-unlock ${intent.forceUnlock}: the lock is held by ${describeHolder(h)}, not by that run`,
        where,
        hint: stale ? `that run's process is gone: --force-unlock ${h.runId} removes its lock` : 'nothing was removed',
      });
    if (stale === false)
      throw new RefusedError({
        what: `--force-unlock ${h.runId}: that run is still running (pid ${h.pid} on ${h.host}); a live lock is never removed`,
        where,
        hint: `wait for it, or stop it first (kill -INT ${h.pid}: it stops at a safe point)`,
      });
    warn(`removed the lock of run ${h.runId} (${stale ? 'its process is gone' : `held on ${h.host}`}) as asked by --force-unlock`);
    return 'replace';
  }
  throw heldError(h, where, stale);
}

export function lockPath(stateDir: string, runbookName: string): string {
  return join(stateDir, 'locks', `${runbookName}.lock`);
}

export function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.runId === 'string' && typeof h.pid === 'number' && typeof h.host === 'string') {
      return { runId: h.runId, pid: h.pid, host: h.host, user: String(h.user ?? '?'), startedAt: String(h.startedAt ?? '?'), runbook: String(h.runbook ?? '?') };
    }
  } catch {
    // not a holder
  }
  return undefined;
}

/** What a holder is stored as: one line of JSON. */
export function serializeHolder(holder: LockHolder): string {
  return `${JSON.stringify({ v: 1, ...holder })}\n`;
}

// ------------------------------------------------------------------ the store interface

/** A lock as read from its store. */
export interface StoredLock {
  /** The raw content. */
  text: string;
  /** The holder it names; undefined when the content is not a holder. */
  holder: LockHolder | undefined;
  /** What identifies this very version (an S3 ETag), so that only it is removed; the text is compared where there is none. */
  version?: string | undefined;
}

/** Where locks are kept: a file under the state dir, or an S3 object. */
export interface LockStore {
  /** The lock file path or s3:// URL: named in refusals and journaled. */
  readonly where: string;
  /** Create the lock with `content`, complete and atomically; false if a lock exists. */
  tryCreate(content: string): Promise<boolean>;
  /** The lock there now, or undefined if there is none. */
  read(): Promise<StoredLock | undefined>;
  /** Remove the lock only if it still is `seen`; false if it changed in between (true if it is gone already). */
  removeIf(seen: StoredLock): Promise<boolean>;
  /** The refusal for a lock that exists but is not a holder: where to look at it. */
  unreadable(runbook: string): RefusedError;
  /**
   * Remove `runId`'s lock if the process exits without releasing or keeping it, where the
   * store can do that synchronously (a local file); returns how to cancel that.
   */
  releaseOnExit?(runId: string): () => void;
}

/** How many times to go round create → read → remove before giving up on a lock that keeps changing hands. */
const ATTEMPTS = 5;

/**
 * Take the lock in `store` for `holder`, or throw RefusedError (exit 3) naming the holder
 * and the ways out. The one acquire loop: create if there is none; else read the holder and
 * decide (stale, takeOver, --force-unlock); remove exactly what was read; try again.
 */
export async function acquireLock(store: LockStore, holder: LockHolder, intent: LockIntent = {}, warn: (line: string) => void = () => undefined): Promise<HeldLock> {
  const content = serializeHolder(holder);
  let replaced = false;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await store.tryCreate(content)) {
      if (intent.forceUnlock !== undefined && !replaced && intent.takeOver === undefined)
        warn(`--force-unlock ${intent.forceUnlock}: no lock was held by that run; going on`);
      return held(store, holder);
    }
    const existing = await store.read();
    if (existing === undefined) continue; // released in between: try again
    if (existing.holder === undefined) throw store.unreadable(holder.runbook);
    decide(existing.holder, store.where, intent, warn);
    replaced = true;
    await store.removeIf(existing);
  }
  throw new RefusedError({ what: 'could not take the lock: it keeps changing hands', where: store.where, hint: 'another lifeboat is starting at the same time; try again' });
}

/** Release: remove the lock only while it still names this run (someone may have forced it away and taken it since). */
async function releaseOwn(store: LockStore, runId: string): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const existing = await store.read();
    if (existing?.holder?.runId !== runId) return; // gone, or someone else's now: leave it
    if (await store.removeIf(existing)) return;
  }
}

function held(store: LockStore, holder: LockHolder): HeldLock {
  let cancelExit = store.releaseOnExit?.(holder.runId);
  let kept = false;
  const detach = (): void => {
    cancelExit?.();
    cancelExit = undefined;
  };
  return {
    where: store.where,
    holder,
    release: async () => {
      detach();
      if (!kept) await releaseOwn(store, holder.runId);
    },
    keep: () => {
      kept = true;
      detach();
    },
  };
}

// ------------------------------------------------------------------ the file store

/** Create `path` with `content`, atomically and complete; false if it exists. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const fd = await open(tmp, 'wx');
  try {
    await fd.writeFile(content);
    await fd.sync();
  } finally {
    await fd.close();
  }
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw err;
    return createWx(path, content); // no hard links on this file system
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function createWx(path: string, content: string): Promise<boolean> {
  let fd;
  try {
    fd = await open(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await fd.writeFile(content);
    await fd.sync();
  } finally {
    await fd.close();
  }
  return true;
}

/**
 * Remove the lock only if it still holds exactly `expected` (what was read): move it aside
 * atomically, check, and put it back if someone replaced it in between.
 */
async function removeIfUnchanged(path: string, expected: string): Promise<boolean> {
  const aside = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.old`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  const moved = await readFile(aside, 'utf8');
  if (moved !== expected) {
    await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return false;
  }
  await unlink(aside);
  return true;
}

const exitReleases = new Map<string, () => void>();
let exitHookInstalled = false;

/** On any exit of the process (an error, process.exit), remove the lock files it still holds. */
function releaseFileOnExit(path: string, runId: string): () => void {
  const release = (): void => {
    try {
      if (parseHolder(readFileSync(path, 'utf8'))?.runId === runId) unlinkSync(path);
    } catch {
      // already gone
    }
  };
  exitReleases.set(path, release);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const r of exitReleases.values()) r();
    });
  }
  return () => {
    if (exitReleases.get(path) === release) exitReleases.delete(path);
  };
}

/**
 * A lock file. Created with its content complete (private temporary file, fsync, hard link
 * to the lock path); removed by moving it aside and checking it is still what was read.
 */
export function fileLockStore(path: string): LockStore {
  return {
    where: path,
    tryCreate: (content) => createExclusive(path, content),
    read: async () => {
      try {
        const text = await readFile(path, 'utf8');
        return { text, holder: parseHolder(text) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    removeIf: (seen) => removeIfUnchanged(path, seen.text),
    unreadable: (runbook) =>
      new RefusedError({
        what: `the lock file exists but cannot be read as a lock holder`,
        where: path,
        hint: `look at it; if no run of "${runbook}" is in progress, delete it and start again`,
      }),
    releaseOnExit: (runId) => releaseFileOnExit(path, runId),
  };
}

/** Take the local lock for `holder.runbook`, or throw RefusedError (exit 3) naming the holder. */
export async function acquireLocalLock(stateDir: string, holder: LockHolder, intent: LockIntent = {}, warn: (line: string) => void = () => undefined): Promise<HeldLock> {
  await mkdir(join(stateDir, 'locks'), { recursive: true });
  return acquireLock(fileLockStore(lockPath(stateDir, holder.runbook)), holder, intent, warn);
}
