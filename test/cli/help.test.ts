/** Help that teaches (issue 15, item 6): per-command flags only, examples, exit codes, environment; -v; bare lifeboat. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('help', () => {
  test('bare lifeboat prints the help on stdout, exit 0, listing every command', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const c of ['validate', 'plan', 'run', 'rehearse', 'verify', 'resume', 'rollback', 'runs', 'show', 'graph', 'schema', 'init']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  test('-v, -V and --version print the version', async () => {
    for (const flag of ['-v', '-V', '--version']) expect((await runCli([flag])).stdout.trim()).toBe(VERSION);
  });

  test('run --help: its flags, examples, exit codes and environment variables, no default noise', async () => {
    const r = await runCli(['run', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--notify <url>', '--dry-run', 'Examples:', 'Exit codes:', '  5 ', 'LIFEBOAT_PARAM_<NAME>', 'LIFEBOAT_DEBUG', 'LIFEBOAT_OPERATOR', 'LIFEBOAT_STATE_DIR', 'AWS_MAX_ATTEMPTS']) expect(r.stdout).toContain(s);
    expect(r.stdout).not.toContain('(default: [])');
    // One default per option, said once (--report-file said it twice).
    for (const line of r.stdout.split('\n')) expect(line).not.toMatch(/default.*default/);
  });

  test.each([
    ['validate', '--state-dir'],
    ['graph', '--json'],
    ['verify', '--on-failure'],
    ['runs', '--region'],
  ])('%s --help does not list %s, which does nothing there', async (cmd, flag) => {
    const r = await runCli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(flag);
  });

  test('an unknown flag: exit 2, one line saying what to type instead', async () => {
    const r = await runCli(['validate', '--state-dir', 'x', 'runbooks/dns-failover.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--help');
  });
});
