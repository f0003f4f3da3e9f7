/**
 * A bad param default can be overridden, as its error message says: validate reports it
 * (exit 2, at the field), but plan and run given a valid --param (or LIFEBOAT_PARAM_<NAME>)
 * use that value. Without one, the default is refused before anything runs. No AWS: a wait step.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { PlanDocument } from '../../src/plan/saved.js';
import type { Report } from '../../src/report/model.js';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';

const explain = (r: CliResult): string => `exit ${String(r.code)}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe('a bad param default', () => {
  test('validate reports it; plan and run use --param dur=1s or LIFEBOAT_PARAM_DUR; without either, exit 2 naming the param', async () => {
    const dir = tempDir();
    const file = join(dir, 'p2.yaml');
    writeFileSync(file, ['version: 1', 'name: p2', 'params:', '  dur: { default: 30d }', 'steps:', '  - id: e', '    type: wait', '    with: { duration: "${{ params.dur }}" }', ''].join('\n'));
    const tooLong = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:8:23: step "e" with\\.duration "30d" is longer than .*\\(the value comes from params\\.dur; pass a valid --param dur=…\\)`);

    const validate = await runCli(['validate', file]);
    expect(validate.code, explain(validate)).toBe(2);
    expect(validate.stderr).toMatch(tooLong);

    const plan = await runCli(['plan', file, '--param', 'dur=1s', '--json']);
    expect(plan.code, explain(plan)).toBe(0);
    const doc = JSON.parse(plan.stdout) as PlanDocument;
    expect(doc.params).toEqual({ dur: '1s' });
    expect(doc.steps[0]).toMatchObject({ id: 'e', status: 'planned' });

    const fromEnv = await runCli(['plan', file], { env: { LIFEBOAT_PARAM_DUR: '1s' } });
    expect(fromEnv.code, explain(fromEnv)).toBe(0);
    expect(fromEnv.stdout).toContain('params: dur=1s');

    const run = await runCli(['run', file, '--param', 'dur=1s', '--yes', '--json', '--state-dir', join(dir, 'state')]);
    expect(run.code, explain(run)).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([['e', 'passed']]);

    const bare = await runCli(['plan', file]);
    expect(bare.code, explain(bare)).toBe(2);
    expect(bare.stderr).toMatch(tooLong);
  });
});
