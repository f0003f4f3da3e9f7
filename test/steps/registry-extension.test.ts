/**
 * Issue 14's acceptance: a new step type is one file plus one registry line. A copy of the
 * built project gets a throw-away type, `demo.touch` (writes a file; its undo removes it),
 * as ONE new module and ONE line in the registry — and then validate, plan, run, show, a
 * report and rollback all work with it, through the CLI, checked on their real output. The
 * copy is compared with the original afterwards: had anything else needed touching, the
 * test could not have passed without it, and the comparison says it was not touched.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { cliEnv } from '../helpers/aws.js';
import { ROOT, tempDir, type CliResult } from '../helpers/cli.js';

/** The whole new step type, as the one file a contributor would add (the build's JavaScript). */
const DEMO_TOUCH = `
import { rm, stat, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineStepType } from './descriptor.js';

const touchWith = z.strictObject({ path: z.string().min(1), text: z.string().optional() });

async function exists(path) {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

const touchStep = {
  type: 'demo.touch',
  async plan(_ctx, w) {
    const there = await exists(w.path);
    return { summary: (there ? 'overwrite ' : 'create ') + w.path, lines: [{ kind: there ? 'change' : 'add', text: 'file ' + w.path }], counts: {}, mutating: true, fingerprint: { there } };
  },
  async execute(ctx, w) {
    await ctx.recordUndo({ path: w.path });
    await writeFile(w.path, w.text ?? 'touched');
    return { outputs: { path: w.path }, summary: 'wrote ' + w.path };
  },
  async verify(_ctx, w) {
    if (!(await exists(w.path))) throw new Error(w.path + ' is missing');
  },
  async rollback(_ctx, _w, undo) {
    await rm(undo.path, { force: true });
  },
  describeUndo(_w, undo) {
    return 'remove the file ' + undo.path;
  },
};

export const demoTouchType = defineStepType({
  type: 'demo.touch',
  description: 'Writes a file; rollback removes it. A throw-away type for a test.',
  with: touchWith,
  outputs: ['path'],
  undo: 'builtin',
  readOnly: false,
  check: false,
  live: false,
  confirmation: { text: (w) => w.path },
  load: async () => touchStep,
});
`;

const REGISTRY_LINE = "export { demoTouchType } from './demo-touch.js';";

function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

let root: string;
let bin: string;
let work: string;

function lifeboat(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: work, env: cliEnv({ NO_COLOR: '1' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('a new step type is one file plus one registry line', () => {
  beforeAll(() => {
    root = tempDir('lifeboat-extension-');
    cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    bin = join(root, 'dist/cli/bin.js');
    work = join(root, 'work');
    mkdirSync(work);
    // The one file and the one line.
    writeFileSync(join(root, 'dist/src/steps/demo-touch.js'), DEMO_TOUCH);
    const registry = join(root, 'dist/src/steps/registry.js');
    writeFileSync(registry, readFileSync(registry, 'utf8').replace(/^export \{/m, `${REGISTRY_LINE}\nexport {`));
  });

  test('only the new module and the registry line differ from the built project', () => {
    const original = hashTree(join(ROOT, 'dist'));
    const copy = hashTree(join(root, 'dist'));
    const added = [...copy.keys()].filter((k) => !original.has(k));
    const changed = [...copy.keys()].filter((k) => original.has(k) && original.get(k) !== copy.get(k));
    const removed = [...original.keys()].filter((k) => !copy.has(k));
    expect({ added, changed, removed }).toEqual({ added: [join('src', 'steps', 'demo-touch.js')], changed: [join('src', 'steps', 'registry.js')], removed: [] });
    const before = readFileSync(join(ROOT, 'dist/src/steps/registry.js'), 'utf8').split('\n');
    const after = readFileSync(join(root, 'dist/src/steps/registry.js'), 'utf8').split('\n');
    expect(after.filter((l) => !before.includes(l))).toEqual([REGISTRY_LINE]);
    expect(after.length).toBe(before.length + 1);
  });

  test('validate, plan, run, show, a report and rollback work with it', async () => {
    const marker = join(work, 'marker.txt');
    const state = join(work, 'state');
    writeFileSync(
      join(work, 'touch.yaml'),
      [
        'version: 1',
        'name: touch-demo',
        'steps:',
        '  - id: touch-it',
        '    type: demo.touch',
        '    with:',
        `      path: ${JSON.stringify(marker)}`,
        '      text: hello',
        '',
      ].join('\n'),
    );

    const validate = await lifeboat(['validate', 'touch.yaml']);
    expect(validate.code, validate.stderr + validate.stdout).toBe(0);
    expect(validate.stdout + validate.stderr).toContain('touch.yaml');

    // The loader knows its `with` schema: a wrong field is refused, located.
    writeFileSync(join(work, 'bad.yaml'), 'version: 1\nname: bad\nsteps:\n  - id: t\n    type: demo.touch\n    with: { pth: x }\n');
    const bad = await lifeboat(['validate', 'bad.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).toMatch(/bad\.yaml:6:\d+: .*pth/);

    const plan = await lifeboat(['plan', 'touch.yaml', '--state-dir', state]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`create ${marker}`);
    expect(existsSync(marker)).toBe(false);

    const run = await lifeboat(['run', 'touch.yaml', '--yes', '--state-dir', state, '--report', 'json', '--report-file', join(work, 'run.json')]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('hello');
    const report = JSON.parse(readFileSync(join(work, 'run.json'), 'utf8')) as { runId: string; steps: Array<{ id: string; type: string; status: string; outputs?: Record<string, unknown> }> };
    expect(report.steps).toEqual([expect.objectContaining({ id: 'touch-it', type: 'demo.touch', status: 'passed', outputs: { path: marker } })]);

    const show = await lifeboat(['show', report.runId, '--state-dir', state]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('touch-it');
    // The undo record reads as the type's describeUndo said, journaled with it.
    expect(show.stdout).toContain(`remove the file ${marker}`);

    const md = await lifeboat(['show', report.runId, '--state-dir', state, '--report', 'markdown']);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain('`touch-it`');
    expect(md.stdout).toContain('demo.touch');

    const back = await lifeboat(['rollback', report.runId, '--yes', '--state-dir', state]);
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });
});
