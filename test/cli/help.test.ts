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

  test("an unknown flag points at that command's help; a flag before the command says where it goes", async () => {
    const bogus = await runCli(['run', 'x.yaml', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('see lifeboat run --help');
    const early = await runCli(['--yes', 'run', 'x.yaml']);
    expect(early.code).toBe(2);
    expect(early.stderr.trim().split('\n')).toHaveLength(1);
    expect(early.stderr).toContain('flags go after the command: lifeboat run --yes');
  });

  test('help of a command there is not: exit 2, not the general help', async () => {
    const r = await runCli(['help', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("unknown command 'nosuch'");
    expect((await runCli(['help', 'run'])).code).toBe(0);
  });

  test("plan --help and validate --help give their own exit codes, not the run's", async () => {
    const plan = await runCli(['plan', '--help']);
    expect(plan.stdout).toMatch(/1 +a step could not be planned/);
    expect(plan.stdout).not.toMatch(/stopped by the operator/);
    const validate = await runCli(['validate', '--help']);
    expect(validate.stdout).toMatch(/2 +a runbook is invalid/);
    expect(validate.stdout).not.toMatch(/rolled back/);
  });

  test('one param given twice with different values: exit 2 naming it; --confirm without = shows a --confirm example', async () => {
    const twice = await runCli(['plan', 'runbooks/dns-failover.yaml', '--param', 'zone_id=Z1', '--param', 'zone_id=Z2']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('--param zone_id is given twice');
    const confirm = await runCli(['run', 'runbooks/dns-failover.yaml', '--param', 'zone_id=Z1', '--yes', '--confirm', 'confirm-outage']);
    expect(confirm.code).toBe(2);
    expect(confirm.stderr).toContain('e.g. --confirm failover-dns=');
  });
});
