/**
 * `--report-file` and `--metrics-file` write through to what the path names (contract §4
 * "Ids and files"), through the built CLI: a FIFO read by another process, a link to the
 * process's stdout (what /dev/stdout is), a symlink, a full device and a regular file. No
 * AWS: a runbook of one shell step, verified.
 */
import { spawn, spawnSync } from 'node:child_process';
import { lstat, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const RUNBOOK = `version: 1
name: report-files
steps:
  - id: hello
    type: shell
    confirm: none
    with: { run: [node, -e, "console.log('hello')"] }
    rollback: { run: [node, -e, "console.log('bye')"] }
`;

function readFifo(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const cat = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    setTimeout(() => cat.kill(), 30_000).unref();
    let out = '';
    cat.stdout.on('data', (d: Buffer) => (out += d.toString()));
    cat.on('error', fail);
    cat.on('close', () => done(out));
  });
}

describe('report and metrics files', () => {
  test('a FIFO, stdout, a symlink and a regular file are written through; a full device is a warning naming it', async () => {
    const dir = tempDir();
    await writeFile(join(dir, 'files.yaml'), RUNBOOK);
    const fifo = join(dir, 'report.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const toStdout = join(dir, 'stdout'); // what /dev/stdout is on Linux; the real one is never put at risk here
    await symlink('/proc/self/fd/1', toStdout);
    await symlink('kept/real.prom', join(dir, 'metrics.prom'));
    const regular = join(dir, 'report.md');
    await writeFile(regular, 'old report');
    const regularIno = (await stat(regular)).ino;
    const full = join(dir, 'full');
    const haveFull = spawnSync('mknod', [full, 'c', '1', '7']).status === 0;

    const fromFifo = readFifo(fifo);
    const args = ['verify', join(dir, 'files.yaml'), '--state-dir', join(dir, 'state'), '--report', 'json', '--report-file', fifo, '--report', 'junit', '--report-file', toStdout, '--report', 'markdown', '--report-file', regular, '--metrics-file', join(dir, 'metrics.prom')];
    if (haveFull) args.push('--report', 'markdown', '--report-file', full);
    const r = await runCli(args);
    expect(r.code, r.stderr + r.stdout).toBe(0);

    const json = JSON.parse(await fromFifo) as { runId: string; mode: string };
    expect(json.mode).toBe('verify');
    expect((await lstat(fifo)).isFIFO()).toBe(true);

    expect(r.stdout).toMatch(/<testsuites name="lifeboat verify report-files"[\s\S]*<\/testsuites>/);
    expect(await readlink(toStdout)).toBe('/proc/self/fd/1');

    expect(await readlink(join(dir, 'metrics.prom'))).toBe('kept/real.prom');
    expect(await readFile(join(dir, 'kept', 'real.prom'), 'utf8')).toMatch(/^lifeboat_verify_success\{runbook="report-files"\} 1$/m);

    expect(await readFile(regular, 'utf8')).toContain(json.runId);
    expect((await stat(regular)).ino).not.toBe(regularIno);

    if (haveFull) {
      expect(r.stdout + r.stderr).toContain(`cannot write the markdown report to ${full}: no space left on the device (ENOSPC)`);
      expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
      expect((await lstat(full)).isCharacterDevice()).toBe(true);
    }
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
