/**
 * Write a file so that a reader sees either the old content or the new, never half of it:
 * a temporary file in the same directory (same filesystem, so rename is atomic), written
 * and fsynced, then renamed over the target, then the directory fsynced so the rename
 * itself survives a crash. Reports and Prometheus textfiles are written this way:
 * node_exporter's textfile collector may read the file at any moment, and it ignores
 * names that do not end in `.prom`, so the temporary name starts with a dot and ends in
 * `.tmp`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode for a new file; an existing file's mode is kept. Default 0o644. */
  mode?: number;
}

export async function atomicWrite(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  let mode = options.mode ?? 0o644;
  try {
    mode = (await stat(file)).mode & 0o7777;
  } catch {
    // a new file
  }
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
