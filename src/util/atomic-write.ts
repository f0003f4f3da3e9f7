/**
 * Write a report or metrics file through to what its path names (contract §4 "Ids and
 * files"), never replacing something that is not a regular file:
 *
 * - a regular file, or nothing there yet: replaced atomically, so a reader sees either the
 *   old content or the new, never half of it. A temporary file in the same directory (same
 *   filesystem, so rename is atomic) is written and fsynced, renamed over the target, then
 *   the directory is fsynced so the rename itself survives a crash. node_exporter's
 *   textfile collector may read the file at any moment, and it ignores names that do not
 *   end in `.prom`, so the temporary name starts with a dot and ends in `.tmp`;
 * - a symlink: followed (every hop), and its final target written by the same rules; the
 *   link stays a link;
 * - `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: this process's own file
 *   descriptor: 1 and 2 are written through the process's stdout/stderr streams (so the
 *   text lands in order with the rest of the output, and a redirected file is not
 *   truncated), other descriptors are opened and written;
 * - a FIFO, a character or block device, anything else that is not a regular file: opened
 *   and written directly (as `>` in a shell would), never replaced. A FIFO with no reader
 *   is waited for a while, then refused, so a run's end never hangs on it forever.
 *
 * A write that fails throws a FileWriteError naming the path and the reason in words.
 */
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { access, lstat, mkdir, open, readlink, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export interface WriteThroughOptions {
  /** File mode for a new file; an existing file's mode is kept. Default 0o644. */
  mode?: number;
  /** Where `/dev/stdout` (fd 1) goes. Default process.stdout. */
  stdout?: NodeJS.WritableStream;
  /** Where `/dev/stderr` (fd 2) goes. Default process.stderr. */
  stderr?: NodeJS.WritableStream;
  /** How long a FIFO may have no reader (or a reader that stopped reading) before the write is given up. Default 30 s. */
  fifoWaitMs?: number;
}

/** How the path was written. */
export type WriteKind = 'replaced' | 'direct';

/** A report or metrics file that could not be written: `reason` in words, `path` as given. */
export class FileWriteError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code: string | undefined,
    cause?: unknown,
  ) {
    super(`cannot write ${path}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'FileWriteError';
  }
}

type Target =
  | { kind: 'absent'; path: string }
  | { kind: 'regular'; path: string; mode: number }
  | { kind: 'fd'; path: string; fd: number }
  | { kind: 'direct'; path: string; fifo: boolean };

const MAX_HOPS = 40;

/** Write `data` to what `file` names; see the module comment. Throws FileWriteError. */
export async function writeThrough(file: string, data: string | Uint8Array, options: WriteThroughOptions = {}): Promise<WriteKind> {
  let target: Target | undefined;
  try {
    target = await resolveTarget(file);
    switch (target.kind) {
      case 'absent':
        await mkdir(dirname(target.path), { recursive: true });
        await replaceAtomically(target.path, data, options.mode ?? 0o644);
        return 'replaced';
      case 'regular':
        await replaceAtomically(target.path, data, target.mode);
        return 'replaced';
      case 'fd':
        if (target.fd === 1 || target.fd === 2) {
          await writeStream(target.fd === 1 ? (options.stdout ?? process.stdout) : (options.stderr ?? process.stderr), data);
          return 'direct';
        }
        await writeDirect(target.path, data, false, options.fifoWaitMs ?? 30_000);
        return 'direct';
      case 'direct':
        await writeDirect(target.path, data, target.fifo, options.fifoWaitMs ?? 30_000);
        return 'direct';
    }
  } catch (err) {
    if (err instanceof FileWriteError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const shown = target && target.path !== resolve(file) ? `${file} (→ ${target.path})` : file;
    throw new FileWriteError(shown, reasonOf(err, target), code, err);
  }
}

/**
 * Whether `file` can be written as writeThrough would, checked before a run so that a
 * report or metrics file that cannot be written is found before anything changes (a
 * scheduled verify whose metrics are silently missing looks healthy). Read-only: creates
 * nothing. Returns the reason in words, or undefined. Descriptors, FIFOs and devices are
 * not probed (opening a FIFO would wait for its reader).
 */
export async function unwritableReason(file: string): Promise<string | undefined> {
  let target: Target | undefined;
  try {
    target = await resolveTarget(file);
    if (target.kind === 'fd' || target.kind === 'direct') return undefined;
    // Replaced atomically: a temporary file is made beside it, so its directory must take one.
    let dir = dirname(target.path);
    if (target.kind === 'absent') {
      // mkdir -p makes the rest: the nearest directory that exists must take a new entry.
      for (;;) {
        const st = await stat(dir).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return undefined;
          throw err;
        });
        if (st !== undefined) {
          if (!st.isDirectory()) return `${dir} is not a directory`;
          break;
        }
        const up = dirname(dir);
        if (up === dir) break;
        dir = up;
      }
    } else {
      await access(target.path, constants.W_OK);
    }
    await access(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    return reasonOf(err, target);
  }
}

/** The former name: every report and metrics file is written through. */
export const atomicWrite = writeThrough;

/** This process's own descriptor named by a path (`/dev/stdout`, `/dev/fd/3`, `/proc/self/fd/1`…). */
function ownFd(path: string): number | undefined {
  if (path === '/dev/stdout') return 1;
  if (path === '/dev/stderr') return 2;
  const m = /^\/(?:dev\/fd|proc\/(?:self|thread-self|(\d+))\/fd)\/(\d+)$/.exec(path);
  if (!m) return undefined;
  if (m[1] !== undefined && Number(m[1]) !== process.pid) return undefined;
  return Number(m[2]);
}

/** Follow symlinks hop by hop (not through realpath: /proc's fd links name pipes, not paths). */
async function resolveTarget(file: string): Promise<Target> {
  let path = resolve(file);
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const fd = ownFd(path);
    if (fd !== undefined) return { kind: 'fd', path, fd };
    let st;
    try {
      st = await lstat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent', path };
      throw err;
    }
    if (st.isSymbolicLink()) {
      const to = await readlink(path);
      // Relative to the link's real directory, as the kernel resolves it (".." included).
      path = resolve(await realpath(dirname(path)), to);
      continue;
    }
    if (st.isFile()) return { kind: 'regular', path, mode: st.mode & 0o7777 };
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return { kind: 'direct', path, fifo: st.isFIFO() };
  }
  throw Object.assign(new Error('too many symbolic links'), { code: 'ELOOP' });
}

async function replaceAtomically(file: string, data: string | Uint8Array, mode: number): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = await open(tmp, 'wx', mode);
  try {
    try {
      await fd.writeFile(data);
      await fd.sync();
    } finally {
      await fd.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** Make a rename durable. Some filesystems refuse to open or fsync a directory: not fatal. */
async function syncDir(dir: string): Promise<void> {
  let fd;
  try {
    fd = await open(dir, 'r');
    await fd.sync();
  } catch {
    // best effort
  } finally {
    await fd?.close().catch(() => undefined);
  }
}

function writeStream(stream: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> {
  return new Promise((done, fail) => {
    stream.write(data, (err) => (err ? fail(err) : done()));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Open without creating or truncating, non-blocking so that a FIFO without a reader is
 * noticed (ENXIO) instead of hanging the process in open(2); then write it all, waiting
 * out a full pipe (EAGAIN). Nothing to fsync: FIFOs and devices do not keep data.
 */
async function writeDirect(path: string, data: string | Uint8Array, fifo: boolean, waitMs: number): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
  let deadline = Date.now() + waitMs;
  let fh: FileHandle | undefined;
  while (fh === undefined) {
    try {
      fh = await open(path, flags);
    } catch (err) {
      if (!fifo || (err as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() >= deadline) throw err;
      await sleep(50);
    }
  }
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    deadline = Date.now() + waitMs;
    while (off < buf.length) {
      try {
        const { bytesWritten } = await fh.write(buf, off, buf.length - off);
        off += bytesWritten;
        deadline = Date.now() + waitMs;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() >= deadline) throw err;
        await sleep(10);
      }
    }
  } finally {
    await fh.close();
  }
}

function reasonOf(err: unknown, target: Target | undefined): string {
  const code = (err as NodeJS.ErrnoException).code;
  const fifo = target?.kind === 'direct' && target.fifo;
  switch (code) {
    case 'ENOSPC':
      return 'no space left on the device (ENOSPC)';
    case 'EDQUOT':
      return 'disk quota exceeded (EDQUOT)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code}): check the owner and mode of the file and its directory`;
    case 'EROFS':
      return 'the file system is read-only (EROFS)';
    case 'EISDIR':
      return 'it is a directory (EISDIR): name a file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory (ENOTDIR)';
    case 'ENAMETOOLONG':
      return 'the name is too long (ENAMETOOLONG)';
    case 'ELOOP':
      return 'too many symbolic links (ELOOP)';
    case 'ENXIO':
      return fifo ? 'nothing is reading the FIFO (ENXIO): start its reader first' : 'no such device or address (ENXIO)';
    case 'EAGAIN':
      return 'the reader of the FIFO stopped reading (EAGAIN)';
    case 'EPIPE':
      return 'the reader went away before everything was written (EPIPE)';
    case 'EIO':
      return 'input/output error (EIO)';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
