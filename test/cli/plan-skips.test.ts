/**
 * run --plan never does more than the saved plan showed: a step the plan showed as skipped
 * (plan evaluates when: and modes: in mode plan) that the run would run is refused before
 * any change (exit 3), naming it. No AWS involved: shell steps.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

function runbook(dir: string, gate: string): { file: string; marker: string; first: string } {
  const file = join(dir, 'gated.yaml');
  const marker = join(dir, 'touched');
  const first = join(dir, 'first');
  writeFileSync(
    file,
    ['version: 1', 'name: gated', 'steps:', '  - id: first', '    type: shell', `    with: { run: [touch, ${first}] }`, '  - id: gated', '    type: shell', `    ${gate}`, `    with: { run: [touch, ${marker}] }`, ''].join('\n'),
  );
  return { file, marker, first };
}

test.each([
  ['when: mode == "run"', 'when: mode == "run"'],
  ['modes: [run, verify]', 'modes: [run, verify]'],
])('a step the plan showed skipped (%s) that run would run: exit 3 naming it, nothing changed', async (_, gate) => {
  const dir = tempDir();
  const { file, marker, first } = runbook(dir, gate);
  const plan = join(dir, 'plan.json');
  const planned = await runCli(['plan', file, '--out', plan]);
  expect(planned.code, planned.stderr).toBe(0);
  expect(planned.stdout).toMatch(/skipped/);
  const r = await runCli(['run', file, '--plan', plan, '--yes', '--state-dir', join(dir, 'state')]);
  expect(r.code, r.stdout + r.stderr).toBe(3);
  expect(r.stderr).toContain('the saved plan showed gated skipped');
  expect(existsSync(marker)).toBe(false);
  expect(existsSync(first)).toBe(false);
});

test('a step skipped in the plan and in the run too: the run goes ahead', async () => {
  const dir = tempDir();
  const { file, marker, first } = runbook(dir, 'when: mode == "verify"');
  const plan = join(dir, 'plan.json');
  expect((await runCli(['plan', file, '--out', plan])).code).toBe(0);
  const r = await runCli(['run', file, '--plan', plan, '--yes', '--state-dir', join(dir, 'state')]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(existsSync(first)).toBe(true);
  expect(existsSync(marker)).toBe(false);
});
