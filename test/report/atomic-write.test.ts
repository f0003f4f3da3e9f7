/** Reports and metrics are written atomically: temporary file in the same directory, fsync, rename. */
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { atomicWrite } from '../../src/util/atomic-write.js';
import { tempDir } from '../helpers/cli.js';

describe('atomicWrite', () => {
  test('creates the file and its directory, and leaves no temporary file behind', async () => {
    const dir = tempDir();
    const file = join(dir, 'sub', 'deeper', 'lifeboat.prom');
    await atomicWrite(file, 'a 1\n');
    expect(await readFile(file, 'utf8')).toBe('a 1\n');
    expect(await readdir(join(dir, 'sub', 'deeper'))).toEqual(['lifeboat.prom']);
  });

  test('replaces an existing file whole, keeping its mode', async () => {
    const dir = tempDir();
    const file = join(dir, 'report.xml');
    await writeFile(file, 'old content that is longer than the new one');
    await chmod(file, 0o600);
    await atomicWrite(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
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

  test('a failed write leaves the old file and no temporary file', async () => {
    const dir = tempDir();
    const file = join(dir, 'r.json');
    await writeFile(file, 'old');
    await mkdir(join(dir, 'blocker'));
    // renaming a file over a directory fails
    await expect(atomicWrite(join(dir, 'blocker'), 'x')).rejects.toThrow();
    expect(await readFile(file, 'utf8')).toBe('old');
    expect((await readdir(dir)).sort()).toEqual(['blocker', 'r.json']);
  });
});
