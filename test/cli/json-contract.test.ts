/**
 * One JSON contract (issue 15, item 2): `--json` on run, resume and rollback prints exactly
 * the versioned report (schema/report.schema.json) and nothing else on stdout; validate,
 * runs, show and graph print versioned JSON with a published schema in schema/, which is
 * what the zod declarations generate.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, test } from 'vitest';
import { pathAt } from '../../cli/commands/validate.js';
import { JSON_OUTPUTS, renderJsonOutputSchema, type JsonOutputName } from '../../src/json/schemas.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { reportValidator } from '../report/validate.js';

function validator(name: JsonOutputName): ValidateFunction {
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  return ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema', `${name}.schema.json`), 'utf8')) as object);
}

function expectValid(validate: ValidateFunction, value: unknown): void {
  const ok = validate(value);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
  expect(ok).toBe(true);
}

/** A runbook with local steps only: no AWS needed. */
function localRunbook(dir: string): { file: string; marker: string } {
  const marker = join(dir, 'marker');
  const file = join(dir, 'local.yaml');
  const write = join(ROOT, 'test/fixtures/write-marker.mjs');
  const remove = join(ROOT, 'test/fixtures/remove-file.mjs');
  writeFileSync(
    file,
    [
      'version: 1',
      'name: json-contract',
      'steps:',
      '  - id: mark',
      '    type: shell',
      `    with: { run: [node, ${write}, ${marker}, made] }`,
      `    rollback: { run: [node, ${remove}, ${marker}] }`,
      '  - id: pause',
      '    type: wait',
      '    with: { duration: 0s }',
      '',
    ].join('\n'),
  );
  return { file, marker };
}

let report: ValidateFunction;
beforeAll(() => {
  report = reportValidator();
});

describe('--json on run, resume and rollback: exactly the report', () => {
  test('run --json --yes: stdout is one line, one report, valid against the schema; rollback --json and resume --json the same', async () => {
    const dir = tempDir();
    const { file } = localRunbook(dir);
    const state = join(dir, 'state');
    const run = await runCli(['run', file, '--yes', '--json', '--state-dir', state]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.endsWith('\n')).toBe(true);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
    const r = JSON.parse(run.stdout) as { reportVersion: number; runId: string; mode: string; verdict: string; steps: Array<{ id: string; status: string; outputs: Record<string, unknown> }> };
    expectValid(report, r);
    expect(r).toMatchObject({ reportVersion: 1, mode: 'run', verdict: 'passed' });
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['mark', 'passed'],
      ['pause', 'passed'],
    ]);
    // What people read went to stderr.
    expect(run.stderr).toContain('completed');

    const resumed = await runCli(['resume', r.runId, '--yes', '--json', '--state-dir', state]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const again = JSON.parse(resumed.stdout) as { runId: string; mode: string; final: string };
    expectValid(report, again);
    expect(again).toMatchObject({ runId: r.runId, mode: 'resume', final: 'completed' });

    const back = await runCli(['rollback', r.runId, '--yes', '--json', '--state-dir', state]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout.trimEnd().split('\n')).toHaveLength(1);
    const undone = JSON.parse(back.stdout) as { mode: string; final: string; steps: Array<{ id: string; undo: string }> };
    expectValid(report, undone);
    expect(undone).toMatchObject({ mode: 'rollback', final: 'rolledBack' });
    expect(undone.steps.find((s) => s.id === 'mark')?.undo).toBe('done');

    const nothing = await runCli(['rollback', r.runId, '--yes', '--json', '--state-dir', state]);
    expect(nothing.code, nothing.stderr).toBe(0);
    expectValid(report, JSON.parse(nothing.stdout));
  });
});

describe('validate --json', () => {
  const validate = validator('validate');

  test('problems carry numeric line and column, the message and the path; valid files say so', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, ['version: 1', 'name: bad', 'steps:', '  - id: one', '    type: shell', '    with: { run: ["true"] }', '  - id: two', '    type: nosuch.type', '    with: {}', ''].join('\n'));
    const res = await runCli(['validate', '--json', bad, 'runbooks/dns-failover.yaml', join(dir, 'missing.yaml')]);
    expect(res.code).toBe(2);
    const out = JSON.parse(res.stdout) as { version: number; files: Array<{ file: string; valid: boolean; problems: Array<{ line: unknown; column: unknown; message: string; path: string | null }> }> };
    expectValid(validate, out);
    expect(out.version).toBe(1);
    expect(out.files.map((f) => f.valid)).toEqual([false, true, false]);
    expect(out.files[0]?.problems).toHaveLength(1);
    const problem = out.files[0]?.problems[0];
    expect(problem).toMatchObject({ line: 8, column: 11, path: 'steps[1].type' });
    expect(typeof problem?.line).toBe('number');
    expect(typeof problem?.column).toBe('number');
    expect(problem?.message).toContain('nosuch.type');
    expect(out.files[2]?.problems[0]).toMatchObject({ line: 1, column: 1, path: null });
  });

  test('pathAt names the node at a position', () => {
    const src = 'version: 1\nsteps:\n  - id: a\n    with:\n      bucket: x\n';
    expect(pathAt(src, 5, 15)).toBe('steps[0].with.bucket');
    expect(pathAt(src, 3, 9)).toBe('steps[0].id');
    expect(pathAt(src, 1, 1)).toBe('version');
  });
});

describe('runs, show and graph: versioned, with schemas', () => {
  test('runs --json and show --json validate against their schemas', async () => {
    const dir = tempDir();
    const { file } = localRunbook(dir);
    const state = join(dir, 'state');
    const run = await runCli(['run', file, '--yes', '--json', '--state-dir', state]);
    const { runId } = JSON.parse(run.stdout) as { runId: string };
    const runs = JSON.parse((await runCli(['runs', '--json', '--state-dir', state])).stdout) as { version: number; runs: Array<{ runId: string }> };
    expectValid(validator('runs'), runs);
    expect(runs.version).toBe(1);
    expect(runs.runs.map((r) => r.runId)).toEqual([runId]);
    const show = JSON.parse((await runCli(['show', runId, '--json', '--state-dir', state])).stdout) as { version: number; runId: string };
    expectValid(validator('show'), show);
    expect(show).toMatchObject({ version: 1, runId });
  });

  test('graph --format json: states and transitions', async () => {
    const res = await runCli(['graph', 'runbooks/dns-failover.yaml', '--format', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const g = JSON.parse(res.stdout) as { version: number; initial: string; states: Array<{ id: string; type: string }>; transitions: Array<{ from: string; to: string }> };
    expectValid(validator('graph'), g);
    const ids = new Set(g.states.map((s) => s.id));
    expect(ids.has(g.initial)).toBe(true);
    expect(g.states.some((s) => s.id.includes('failover-dns'))).toBe(true);
    for (const t of g.transitions) {
      expect(ids.has(t.from), t.from).toBe(true);
      expect(ids.has(t.to), t.to).toBe(true);
    }
    expect(g.states.filter((s) => s.type === 'final').length).toBeGreaterThan(0);
  });

  test.each(Object.keys(JSON_OUTPUTS) as JsonOutputName[])('schema/%s.schema.json is what src/json/schemas.ts generates', (name) => {
    expect(readFileSync(join(ROOT, 'schema', `${name}.schema.json`), 'utf8'), `stale: run npm run build && npm run schema`).toBe(renderJsonOutputSchema(name));
  });
});
