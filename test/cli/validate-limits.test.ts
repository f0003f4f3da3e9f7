/**
 * The loader's limits through the built CLI (`lifeboat validate`): a runbook over 1 MiB and a
 * timeout a timer cannot hold are refused with exit 2, each as file:line:col.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const dir = tempDir('lifeboat-validate-limits-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lifeboat validate: limits', () => {
  it('refuses a 50 MiB runbook with exit 2, naming the file, its size and the limit', async () => {
    const file = join(dir, 'huge.yaml');
    const step = '  - { id: s, type: wait, with: { duration: 0s } }\n';
    writeFileSync(file, `version: 1\nname: huge\nsteps:\n${step.repeat(Math.ceil((50 * 1024 * 1024) / step.length))}`);
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/huge\.yaml:1:1: runbook is 50\.0 MiB \(52,4\d\d,\d\d\d bytes\), over the limit of 1\.0 MiB \(1,048,576 bytes\)/);
    expect(r.stderr).toContain('1 of 1 runbook invalid');
  });

  it('refuses timeout: 30d at its line, and accepts 24d', async () => {
    const runbook = (timeout: string): string => `version: 1\nname: t\nsteps:\n  - id: drain\n    type: wait\n    timeout: ${timeout}\n    with: { duration: 1s }\n`;
    const long = join(dir, 'long.yaml');
    const ok = join(dir, 'ok.yaml');
    writeFileSync(long, runbook('30d'));
    writeFileSync(ok, runbook('24d'));
    const r = await runCli(['validate', long, ok]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(`${ok}: ok\n`);
    expect(r.stderr).toContain(`${long}:6:14: step "drain" timeout "30d" is longer than lifeboat can wait or time out: at most 24d20h31m23s`);
    expect(r.stderr).toContain('1 of 2 runbooks invalid');
  });
});
