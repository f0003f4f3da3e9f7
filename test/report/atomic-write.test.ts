/**
 * Reports and metrics are written through to what the path names (contract §4 "Ids and
 * files"): a regular file is replaced atomically (temporary file in the same directory,
 * fsync, rename); a symlink's target is written and the link stays; a FIFO, this process's
 * stdout or a device is written directly and never replaced.
 *
 * Devices are made with mknod in a temporary directory (the suite runs as root in CI): a
 * broken implementation must never get the chance to replace the real /dev/null.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { atomicWrite, FileWriteError, unwritableReason, writeThrough } from '../../src/util/atomic-write.js';
import { tempDir } from '../helpers/cli.js';

/** A character device node of our own (1,3 is null, 1,7 is full), or undefined where mknod is not allowed. */
function charDevice(dir: string, name: string, minor: 3 | 7): string | undefined {
  const path = join(dir, name);
  return spawnSync('mknod', [path, 'c', '1', String(minor)]).status === 0 ? path : undefined;
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr.toString()}`);
}

/** Read a FIFO to its end in another process, as a log shipper would. */
function readFifo(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const cat = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    setTimeout(() => cat.kill(), 20_000).unref(); // a writer that never comes must not leave it behind
    let out = '';
    cat.stdout.on('data', (d: Buffer) => (out += d.toString()));
    cat.on('error', fail);
    cat.on('close', () => done(out));
  });
}

async function rejection(p: Promise<unknown>): Promise<FileWriteError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FileWriteError);
  return err as FileWriteError;
}

describe('a regular file (or nothing yet) is replaced atomically', () => {
  test('creates the file and its directory, and leaves no temporary file behind', async () => {
    const dir = tempDir();
    const file = join(dir, 'sub', 'deeper', 'lifeboat.prom');
    expect(await writeThrough(file, 'a 1\n')).toBe('replaced');
    expect(await readFile(file, 'utf8')).toBe('a 1\n');
    expect(await readdir(join(dir, 'sub', 'deeper'))).toEqual(['lifeboat.prom']);
  });

  test('replaces an existing file whole (a new inode: renamed over), keeping its mode', async () => {
    const dir = tempDir();
    const file = join(dir, 'report.xml');
    await writeFile(file, 'old content that is longer than the new one');
    await chmod(file, 0o600);
    const before = await stat(file);
    await atomicWrite(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    const after = await stat(file);
    expect(after.mode & 0o777).toBe(0o600);
    expect(after.ino).not.toBe(before.ino);
    expect(await readdir(dir)).toEqual(['report.xml']);
  });

  test('a reader never sees a partial file while writes race', async () => {
    const dir = tempDir();
    const file = join(dir, 'm.prom');
    const big = (c: string) => c.repeat(1 << 20);
    await atomicWrite(file, big('a'));
    let done = false;
    const reads: string[] = [];
    const reader = (async () => {
      while (!done) {
        const t = await readFile(file, 'utf8');
        reads.push(`${t.length}:${new Set(t).size}`);
      }
    })();
    for (const c of 'bcdefgh') await atomicWrite(file, big(c));
    done = true;
    await reader;
    expect(reads.length).toBeGreaterThan(0);
    expect(new Set(reads)).toEqual(new Set([`${1 << 20}:1`]));
  });

  test('a directory in the way is refused naming the path; nothing else is touched', async () => {
    const dir = tempDir();
    const file = join(dir, 'r.json');
    await writeFile(file, 'old');
    await mkdir(join(dir, 'blocker'));
    const err = await rejection(atomicWrite(join(dir, 'blocker'), 'x'));
    expect(err.message).toBe(`cannot write ${join(dir, 'blocker')}: it is a directory (EISDIR): name a file`);
    expect(await readFile(file, 'utf8')).toBe('old');
    expect((await readdir(dir)).sort()).toEqual(['blocker', 'r.json']);
  });
});

describe('a symlink: its target is written, the link stays', () => {
  test('an absolute link to a file elsewhere: the target replaced atomically, the link untouched', async () => {
    const dir = tempDir();
    const elsewhere = tempDir();
    const target = join(elsewhere, 'real.json');
    await writeFile(target, 'old');
    await chmod(target, 0o640);
    const link = join(dir, 'report.json');
    await symlink(target, link);
    expect(await writeThrough(link, '{"new":true}')).toBe('replaced');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(target);
    expect(await readFile(target, 'utf8')).toBe('{"new":true}');
    expect((await stat(target)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['report.json']);
    expect(await readdir(elsewhere)).toEqual(['real.json']);
  });

  test('a chain of relative links (with ..), and a dangling link whose target is then created', async () => {
    const dir = tempDir();
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'm.prom'), 'old');
    await symlink('../../data/m.prom', join(dir, 'a', 'b', 'hop2'));
    await symlink('a/b/hop2', join(dir, 'hop1'));
    await writeThrough(join(dir, 'hop1'), 'x 1\n');
    expect(await readFile(join(dir, 'data', 'm.prom'), 'utf8')).toBe('x 1\n');
    expect((await lstat(join(dir, 'hop1'))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(dir, 'a', 'b', 'hop2'))).isSymbolicLink()).toBe(true);

    await symlink('not-yet.json', join(dir, 'dangling'));
    await writeThrough(join(dir, 'dangling'), 'made');
    expect((await lstat(join(dir, 'dangling'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'not-yet.json'), 'utf8')).toBe('made');
  });

  test('a symlink loop is refused naming the path', async () => {
    const dir = tempDir();
    await symlink('b', join(dir, 'a'));
    await symlink('a', join(dir, 'b'));
    const err = await rejection(writeThrough(join(dir, 'a'), 'x'));
    expect(err.message).toMatch(/^cannot write .*\/a.*: too many symbolic links/);
  });
});

describe('a FIFO, stdout or a device is written directly, never replaced', () => {
  test('a FIFO read concurrently gets the whole text (larger than a pipe buffer) and stays a FIFO', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'report.fifo');
    mkfifo(fifo);
    const text = `${'0123456789abcdef'.repeat(1 << 14)}\n`; // 256 KiB: the writer must wait for the reader
    const read = readFifo(fifo);
    expect(await writeThrough(fifo, text)).toBe('direct');
    expect(await read).toBe(text);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    expect(await readdir(dir)).toEqual(['report.fifo']);
  });

  test('a FIFO nobody reads: given up after the wait, naming the path, still a FIFO', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'nobody.fifo');
    mkfifo(fifo);
    const err = await rejection(writeThrough(fifo, 'x', { fifoWaitMs: 200 }));
    expect(err.message).toBe(`cannot write ${fifo}: nothing is reading the FIFO (ENXIO): start its reader first`);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  test('a link to this process’s stdout (as /dev/stdout is) writes to stdout; the link stays', async () => {
    const dir = tempDir();
    const link = join(dir, 'stdout');
    await symlink('/proc/self/fd/1', link);
    const out = new PassThrough();
    let got = '';
    out.on('data', (d: Buffer) => (got += d.toString()));
    expect(await writeThrough(link, 'to stdout\n', { stdout: out })).toBe('direct');
    expect(await writeThrough('/proc/self/fd/1', 'and again\n', { stdout: out })).toBe('direct');
    expect(got).toBe('to stdout\nand again\n');
    expect(await readlink(link)).toBe('/proc/self/fd/1');
    expect(await readdir(dir)).toEqual(['stdout']);
  });

  test('a character device (a null device) stays a character device', async () => {
    const dir = tempDir();
    const dev = charDevice(dir, 'null', 3) ?? (process.getuid?.() === 0 ? undefined : '/dev/null');
    if (dev === undefined) return; // root without mknod: never risk the real /dev/null
    expect(await writeThrough(dev, 'gone\n')).toBe('direct');
    const st = await lstat(dev);
    expect(st.isCharacterDevice()).toBe(true);
    if (dev !== '/dev/null') expect(await readdir(dir)).toEqual(['null']);
  });

  test('a full device: an error naming the path and ENOSPC, and the device stays', async () => {
    const dir = tempDir();
    const dev = charDevice(dir, 'full', 7) ?? (process.getuid?.() === 0 ? undefined : '/dev/full');
    if (dev === undefined) return;
    const err = await rejection(writeThrough(dev, 'x'.repeat(10_000)));
    expect(err.message).toBe(`cannot write ${dev}: no space left on the device (ENOSPC)`);
    expect((await lstat(dev)).isCharacterDevice()).toBe(true);
  });
});

describe('unwritableReason: checked before a run, creates nothing', () => {
  test('a new file (parents made by mkdir -p), an existing one, a FIFO and stdout can be written', async () => {
    const dir = tempDir();
    await writeFile(join(dir, 'old.prom'), 'x');
    spawnSync('mkfifo', [join(dir, 'fifo')]);
    for (const p of [join(dir, 'new.prom'), join(dir, 'a', 'b', 'new.prom'), join(dir, 'old.prom'), join(dir, 'fifo'), '/dev/stdout']) {
      expect(await unwritableReason(p), p).toBeUndefined();
    }
    expect((await readdir(dir)).sort()).toEqual(['fifo', 'old.prom']);
  });

  test('a directory, and a path through a regular file, cannot: the reason in words', async () => {
    const dir = tempDir();
    await writeFile(join(dir, 'file'), 'x');
    expect(await unwritableReason(dir)).toMatch(/it is a directory/);
    expect(await unwritableReason(join(dir, 'file', 'm.prom'))).toMatch(/not a directory/);
    expect(await unwritableReason(join(dir, 'file', 'deeper', 'm.prom'))).toMatch(/not a directory/);
  });
});
