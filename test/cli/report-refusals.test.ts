/**
 * Reports, metrics and `--json` are written whatever the outcome (contract §4), also when
 * the run never started: an invalid runbook or --param (exit 2), no consent, a missing
 * typed confirmation, a held lock (exit 3); and when a resume or rollback was refused before
 * any change or had nothing to do. And a `--report-file` that is stdout is stdout:
 * the run's own output goes to stderr, and `--json` cannot share it. No AWS: runbooks of
 * shell and wait steps, through the built CLI.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../src/report/model.js';
import { cliEnv } from '../helpers/aws.js';
import { BIN, ROOT, runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { parsePrometheus } from '../report/prom.js';
import { reportValidator } from '../report/validate.js';
import { findAll, parseXml } from '../report/xml.js';

let validate: ValidateFunction;
beforeAll(() => {
  validate = reportValidator();
});

const TINY = `version: 1
name: tiny-refusals
steps:
  - id: hello
    type: shell
    with: { run: [node, -e, "console.log('hello from the step')"] }
`;

const TYPED = `version: 1
name: typed-refusals
steps:
  - id: guarded
    type: shell
    confirm: typed
    with: { run: [node, -e, "console.log('guarded')"] }
`;

const DUPLICATE = `version: 1
name: dup-refusals
rto: 5m
steps:
  - id: a
    type: wait
    with: { duration: 1s }
  - id: a
    type: wait
    with: { duration: 1s }
`;

const TYPED_PARAM = `version: 1
name: param-refusals
params:
  count: { type: number, default: 1 }
steps:
  - id: pause
    type: wait
    with: { duration: 1s }
`;

/** Held long enough for the refused runs below; stopped by SIGTERM. */
const SLOW = `version: 1
name: slow-refusals
steps:
  - id: pause
    type: wait
    with: { duration: 2m }
`;

function explain(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

async function runbook(dir: string, name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

function runIds(stateDir: string): string[] {
  const runs = join(stateDir, 'runs');
  return existsSync(runs) ? readdirSync(runs) : [];
}

async function readReport(path: string): Promise<Report> {
  const report = JSON.parse(await readFile(path, 'utf8')) as Report;
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  return report;
}

/** A run of SLOW that holds the lock of its runbook until stopped. */
async function holdLock(file: string, stateDir: string): Promise<{ runId: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'verify', file, '--state-dir', stateDir], { cwd: ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!/waiting 2m/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the lock holder did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const runId = /run (\d{8}T\d{6}Z-slow-refusals-[0-9a-f]{4})/.exec(out)?.[1];
  if (!runId) throw new Error(`no run id in:\n${out}`);
  return {
    runId,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('a run stopped before it started still reports', () => {
  test('run without consent: --json prints the refused report, --report-file is written; no run id, no journal', async () => {
    const dir = tempDir();
    const file = await runbook(dir, 'tiny.yaml', TINY);
    const sd = join(dir, 'state');
    const r = await runCli(['run', file, '--state-dir', sd, '--json', '--report', 'json', '--report-file', join(dir, 'rf.json')]);
    expect(r.code, explain(r)).toBe(3);
    const printed = JSON.parse(r.stdout) as Report;
    expect(validate(printed), JSON.stringify(validate.errors)).toBe(true);
    expect(printed).toMatchObject({ mode: 'run', verdict: 'refused', exitCode: 3, runId: null, runbook: { name: 'tiny-refusals' } });
    expect(printed.error?.message).toContain('--yes');
    expect(printed.steps).toEqual([expect.objectContaining({ id: 'hello', status: 'not-run' })]);
    expect(await readReport(join(dir, 'rf.json'))).toMatchObject({ verdict: 'refused', exitCode: 3, runId: null });
    expect(r.stderr).toContain('add --yes');
    expect(runIds(sd)).toEqual([]);
  });

  test('run --yes without the typed confirmation: the JUnit report is red, the JSON names the step', async () => {
    const dir = tempDir();
    const file = await runbook(dir, 'typed.yaml', TYPED);
    const r = await runCli(['run', file, '--yes', '--state-dir', join(dir, 'state'), '--report', 'junit', '--report-file', join(dir, 'r.xml'), '--json']);
    expect(r.code, explain(r)).toBe(3);
    const printed = JSON.parse(r.stdout) as Report;
    expect(printed).toMatchObject({ verdict: 'refused', exitCode: 3, runId: null });
    expect(printed.error?.message).toContain('--confirm guarded=');
    const cases = findAll(parseXml(await readFile(join(dir, 'r.xml'), 'utf8')), 'testcase');
    expect(cases.map((t) => t.attrs.name)).toEqual(['guarded']);
    expect(cases[0]?.children[0]?.name).toBe('error');
    expect(cases[0]?.children[0]?.attrs.message).toContain('guarded');
  });

  test('run, rehearse and verify refused by a held lock: the report has the id the refused run was given, and no journal is under it', async () => {
    const dir = tempDir();
    const file = await runbook(dir, 'slow.yaml', SLOW);
    const sd = join(dir, 'state');
    const holder = await holdLock(file, sd);
    try {
      const results = await Promise.all(
        (['run', 'rehearse', 'verify'] as const).map(async (command) => {
          const out = join(dir, `${command}.json`);
          const r = await runCli([command, file, '--yes', '--state-dir', sd, '--report', 'json', '--report-file', out, '--json']);
          return { command, r, out };
        }),
      );
      for (const { command, r, out } of results) {
        expect(r.code, `${command}: ${explain(r)}`).toBe(3);
        expect(r.stderr, command).toContain(holder.runId);
        const printed = JSON.parse(r.stdout) as Report;
        const written = await readReport(out);
        expect(written).toEqual(printed);
        expect(printed, command).toMatchObject({ mode: command, verdict: 'refused', exitCode: 3 });
        expect(printed.runId, command).toMatch(/^\d{8}T\d{6}Z-slow-refusals-[0-9a-f]{4}$/);
        expect(printed.runId, command).not.toBe(holder.runId);
        expect(printed.error?.message, command).toContain(holder.runId);
      }
      expect(runIds(sd)).toEqual([holder.runId]);
    } finally {
      await holder.stop();
    }
  }, 60_000);

  test('rehearse without consent: the report says refused, with no run id', async () => {
    const dir = tempDir();
    const file = await runbook(dir, 'tiny.yaml', TINY);
    const r = await runCli(['rehearse', file, '--state-dir', join(dir, 'state'), '--json', '--metrics-file', join(dir, 'm.prom')]);
    expect(r.code, explain(r)).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'rehearse', verdict: 'refused', exitCode: 3, runId: null });
    expect(parsePrometheus(await readFile(join(dir, 'm.prom'), 'utf8')).get('lifeboat_verify_success')?.samples[0]?.value).toBe(0);
  });

  test('verify of an invalid runbook (exit 2): the metrics say it failed, under the name the YAML gives; the JUnit has an <error> at the problem', async () => {
    const dir = tempDir();
    const file = await runbook(dir, 'dup.yaml', DUPLICATE);
    const prom = join(dir, 'dup.prom');
    // The last run's metrics said it passed: they must not stay.
    await writeFile(prom, 'lifeboat_verify_success{runbook="dup-refusals"} 1\n');
    const r = await runCli(['verify', file, '--state-dir', join(dir, 'state'), '--metrics-file', prom, '--report', 'junit', '--report-file', join(dir, 'dup.xml'), '--report', 'json', '--report-file', join(dir, 'dup.json')]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/dup\.yaml:8:9: duplicate step id "a"/);
    const metrics = parsePrometheus(await readFile(prom, 'utf8'));
    expect(metrics.get('lifeboat_verify_success')?.samples[0]).toMatchObject({ labels: { runbook: 'dup-refusals' }, value: 0 });
    expect(metrics.get('lifeboat_last_run_timestamp_seconds')?.samples[0]?.value).toBeGreaterThan(Date.now() / 1000 - 120);
    const suite = findAll(parseXml(await readFile(join(dir, 'dup.xml'), 'utf8')), 'testsuite')[0];
    expect(suite?.attrs.errors).toBe('1');
    const start = findAll(parseXml(await readFile(join(dir, 'dup.xml'), 'utf8')), 'testcase').find((t) => t.attrs.name === 'start');
    expect(start?.children[0]?.attrs.message).toMatch(/dup\.yaml:8:9: duplicate step id/);
    const report = await readReport(join(dir, 'dup.json'));
    expect(report).toMatchObject({ mode: 'verify', verdict: 'refused', exitCode: 2, runId: null, steps: [], runbook: { name: 'dup-refusals', file } });
  });

  test('verify with a bad --param or an unknown one (exit 2): the metrics say it failed', async () => {
    const dir = tempDir();
    const file = await runbook(dir, 'param.yaml', TYPED_PARAM);
    for (const param of ['count=many', 'cuont=1']) {
      const prom = join(dir, `${param}.prom`);
      const r = await runCli(['verify', file, '--param', param, '--state-dir', join(dir, 'state'), '--metrics-file', prom, '--json']);
      expect(r.code, explain(r)).toBe(2);
      const printed = JSON.parse(r.stdout) as Report;
      expect(validate(printed), JSON.stringify(validate.errors)).toBe(true);
      expect(printed).toMatchObject({ verdict: 'refused', exitCode: 2, runId: null });
      expect(printed.error?.message).toContain(param.split('=')[0]);
      expect(parsePrometheus(await readFile(prom, 'utf8')).get('lifeboat_verify_success')?.samples[0]).toMatchObject({ labels: { runbook: 'param-refusals' }, value: 0 });
    }
    expect(runIds(join(dir, 'state'))).toEqual([]);
  });
});

describe('a report or metrics file that cannot be written', () => {
  test('is found before anything runs: exit 2 naming it, no run started (a cron verify must not look healthy with its metrics missing)', async () => {
    const dir = tempDir();
    const file = await runbook(dir, 'tiny.yaml', TINY);
    const sd = join(dir, 'state');
    await writeFile(join(dir, 'a-file'), 'not a directory');
    const metrics = await runCli(['verify', file, '--state-dir', sd, '--metrics-file', join(dir, 'a-file', 'lifeboat.prom')]);
    expect(metrics.code, explain(metrics)).toBe(2);
    expect(metrics.stderr).toContain(`cannot write the metrics file ${join(dir, 'a-file', 'lifeboat.prom')}`);
    expect(metrics.stderr).toContain('nothing was run');
    const report = await runCli(['run', file, '--yes', '--state-dir', sd, '--report', 'junit', '--report-file', dir]);
    expect(report.code, explain(report)).toBe(2);
    expect(report.stderr).toMatch(/cannot write the junit report .*it is a directory/);
    expect(runIds(sd)).toEqual([]);
  });
});

describe('a resume or rollback that drives nothing still reports', () => {
  /** A completed run of TINY (its one step has an undo: the marker-free `rollback.run`). */
  const UNDOABLE = `version: 1
name: undoable-refusals
steps:
  - id: hello
    type: shell
    with: { run: [node, -e, "console.log('hello')"] }
    rollback: { run: [node, -e, "console.log('bye')"] }
`;

  async function completedRun(dir: string): Promise<{ sd: string; runId: string }> {
    const file = await runbook(dir, 'undoable.yaml', UNDOABLE);
    const sd = join(dir, 'state');
    const r = await runCli(['run', file, '--yes', '--state-dir', sd]);
    expect(r.code, explain(r)).toBe(0);
    const [runId] = runIds(sd);
    if (runId === undefined) throw new Error('no run');
    return { sd, runId };
  }

  test('rollback refused for want of consent: exit 3, --json and --report-file name the run, the refusal and what is still changed', async () => {
    const dir = tempDir();
    const { sd, runId } = await completedRun(dir);
    const out = join(dir, 'rollback.json');
    const r = await runCli(['rollback', runId, '--state-dir', sd, '--json', '--report', 'json', '--report-file', out]);
    expect(r.code, explain(r)).toBe(3);
    const printed = JSON.parse(r.stdout) as Report;
    expect(validate(printed), JSON.stringify(validate.errors)).toBe(true);
    expect(printed).toMatchObject({ runId, mode: 'rollback', verdict: 'refused', exitCode: 3, final: 'refused', error: { stepId: 'start' } });
    expect(printed.error?.message).toContain('--yes');
    expect(printed.steps).toEqual([expect.objectContaining({ id: 'hello', status: 'passed', undo: 'still-changed' })]);
    expect(printed.leftChanged.map((l) => l.stepId)).toEqual(['hello']);
    expect(await readReport(out)).toEqual(printed);
    // Refused means nothing was done: the run is as it was, and a rollback with --yes still undoes it.
    const back = await runCli(['rollback', runId, '--yes', '--state-dir', sd]);
    expect(back.code, explain(back)).toBe(0);
    expect(back.stdout).toContain('bye');
  });

  test('resume of a completed run and rollback with nothing left: exit 0, and the --report-file is written', async () => {
    const dir = tempDir();
    const { sd, runId } = await completedRun(dir);
    const resumed = join(dir, 'resume.md');
    const r = await runCli(['resume', runId, '--state-dir', sd, '--report', 'markdown', '--report-file', resumed]);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain('nothing to resume');
    const md = await readFile(resumed, 'utf8');
    expect(md).toContain('resume `undoable-refusals`');
    expect(md).toContain('passed');
    expect(md).toContain(runId);

    expect((await runCli(['rollback', runId, '--yes', '--state-dir', sd])).code).toBe(0);
    const again = join(dir, 'again.json');
    const nothing = await runCli(['rollback', runId, '--yes', '--state-dir', sd, '--report', 'json', '--report-file', again]);
    expect(nothing.code, explain(nothing)).toBe(0);
    expect(nothing.stdout).toContain('nothing left to undo');
    const written = await readReport(again);
    expect(written).toMatchObject({ runId, mode: 'rollback', verdict: 'passed', final: 'rolledBack', exitCode: 0, leftChanged: [] });
    // Built from the journal: the step's own time is there.
    expect(written.steps[0]?.durationMs).toEqual(expect.any(Number));
  });
});

describe('a --report-file that is stdout', () => {
  for (const path of ['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']) {
    test(`verify --report junit --report-file ${path}: stdout is the XML alone, the progress is on stderr`, async () => {
      const dir = tempDir();
      const file = await runbook(dir, 'tiny.yaml', TINY);
      const r = await runCli(['verify', file, '--state-dir', join(dir, 'state'), '--report', 'junit', '--report-file', path]);
      expect(r.code, explain(r)).toBe(0);
      expect(r.stdout.startsWith('<?xml')).toBe(true);
      expect(r.stdout.trimEnd().endsWith('</testsuites>')).toBe(true);
      expect(findAll(parseXml(r.stdout), 'testcase').map((t) => t.attrs.name)).toEqual(['hello']);
      expect(r.stderr).toContain('▶ [1/1] hello');
      expect(r.stderr).toContain('verification passed');
    });
  }

  test('stdout redirected to the very file named by --report-file: the file holds the report alone, the progress is on stderr', async () => {
    const dir = tempDir();
    const file = await runbook(dir, 'tiny.yaml', TINY);
    const out = join(dir, 'out.xml');
    const fd = openSync(out, 'w');
    let stderr = '';
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'verify', file, '--state-dir', join(dir, 'state'), '--report', 'junit', '--report-file', out], { cwd: ROOT, env: cliEnv(), stdio: ['ignore', fd, 'pipe'] });
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', resolve);
    });
    closeSync(fd);
    expect(code, stderr).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text.startsWith('<?xml')).toBe(true);
    expect(text).not.toContain('▶');
    expect(stderr).toContain('▶ [1/1] hello');
  });

  test('--json with a report whose file is stdout is refused like --json with a report on stdout: exit 2, nothing runs', async () => {
    const dir = tempDir();
    const file = await runbook(dir, 'tiny.yaml', TINY);
    const sd = join(dir, 'state');
    for (const command of ['verify', 'rehearse', 'run']) {
      const r = await runCli([command, file, '--yes', '--state-dir', sd, '--json', '--report', 'junit', '--report-file', '/dev/stdout']);
      expect(r.code, `${command}: ${explain(r)}`).toBe(2);
      expect(r.stdout, command).toBe('');
      expect(r.stderr, command).toMatch(/--json and .*would both go to stdout/);
    }
    expect(runIds(sd)).toEqual([]);
  });

  test('--json with --metrics-file /dev/stdout is refused: exit 2, nothing runs', async () => {
    const dir = tempDir();
    const file = await runbook(dir, 'tiny.yaml', TINY);
    const sd = join(dir, 'state');
    const r = await runCli(['verify', file, '--state-dir', sd, '--json', '--metrics-file', '/dev/stdout']);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stdout).toBe('');
    expect(runIds(sd)).toEqual([]);
  });
});
