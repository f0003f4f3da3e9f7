/**
 * The loader's limits (README "Limits"): a runbook over 1 MiB is refused before it is read
 * whole, one with more than 1,000 steps before the schema runs over them, an alias bomb
 * before it expands; and a duration lifeboat waits for or times out after is refused above
 * what a timer holds (2^31-1 ms), located at the value, naming the step and the field.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode, formatProblem, RunbookInvalidError } from '../../src/errors.js';
import { MAX_STEPS, MAX_TIMER_MS } from '../../src/runbook/limits.js';
import { loadRunbook, parseRunbook, readRunbookSource } from '../../src/runbook/load.js';

const y = (...lines: string[]): string => `${lines.join('\n')}\n`;
const messages = (source: string): string[] => parseRunbook(source, 'rb.yaml').problems.map(formatProblem);

/** A runbook of `n` wait steps, one line each. */
const waits = (n: number): string =>
  y('version: 1', 'name: many', 'steps:', ...Array.from({ length: n }, (_, i) => `  - { id: s${i}, type: wait, with: { duration: 0s } }`));

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-limits-'));
  dirs.push(dir);
  return dir;
};

describe('the size limit (1 MiB)', () => {
  it('refuses a larger file from its size, naming the file, the limit and the size', async () => {
    const file = join(await tempDir(), 'huge.yaml');
    const oneStep = '  - { id: s, type: wait, with: { duration: 0s } }\n';
    await writeFile(file, `version: 1\nname: huge\nsteps:\n${oneStep.repeat(Math.ceil((2 * 1024 * 1024) / oneStep.length))}`);
    const err: unknown = await loadRunbook(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunbookInvalidError);
    expect((err as RunbookInvalidError).exitCode).toBe(ExitCode.usage);
    const [problem, ...rest] = (err as RunbookInvalidError).problems.map(formatProblem);
    expect(rest).toEqual([]);
    expect(problem).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: runbook is 2\\.0 MiB \\(2,\\d{3},\\d{3} bytes\\), over the limit of 1\\.0 MiB \\(1,048,576 bytes\\)`));
  });

  it('accepts a file of exactly 1 MiB as far as its size goes', async () => {
    const file = join(await tempDir(), 'edge.yaml');
    const head = 'version: 1\nname: edge\nsteps:\n  - { id: s, type: wait, with: { duration: 0s } }\n';
    await writeFile(file, head + '#'.repeat(1024 * 1024 - head.length));
    const read = await readRunbookSource(file);
    expect('source' in read && read.source.length).toBe(1024 * 1024);
  });

  it('reads a pipe no further than the limit', async () => {
    const dir = await tempDir();
    const fifo = join(dir, 'pipe.yaml');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo here: nothing to prove
    const writer = createWriteStream(fifo);
    writer.on('error', () => undefined); // the reader stops early: EPIPE is expected
    const chunk = Buffer.alloc(64 * 1024, 0x23);
    let written = 0;
    const pump = (): void => {
      while (written < 8 * 1024 * 1024) {
        written += chunk.length;
        if (!writer.write(chunk)) return void writer.once('drain', pump);
      }
      writer.end();
    };
    pump();
    const read = await readRunbookSource(fifo);
    writer.destroy();
    expect('problem' in read && read.problem.message).toMatch(/^runbook is more than 1\.0 MiB, over the limit of 1\.0 MiB/);
    expect(written).toBeLessThan(8 * 1024 * 1024); // it stopped reading: the writer never finished
  });

  it('refuses a text over the limit handed to parseRunbook (a journaled copy, a pipe)', () => {
    expect(messages(`version: 1\nname: x\nsteps: []\n# ${'é'.repeat(600 * 1024)}\n`)).toEqual([
      expect.stringMatching(/^rb\.yaml:1:1: runbook is 1\.2 MiB \(1,228,8\d\d bytes\), over the limit of 1\.0 MiB/),
    ]);
  });
});

describe('the step limit', () => {
  it(`refuses more than ${MAX_STEPS} steps at the steps key, before checking any of them`, () => {
    // Every step is invalid too: only the count is reported, so none of them was checked.
    const source = y('version: 1', 'name: many', 'steps:', ...Array.from({ length: MAX_STEPS + 1 }, () => '  - { id: BAD, type: nope }'));
    expect(messages(source)).toEqual([`rb.yaml:3:1: runbook has 1,001 steps (steps and require), over the limit of 1,000: a person plans and confirms each one; split it into smaller runbooks`]);
  });

  it('counts require checks with the steps', () => {
    const source = y(
      'version: 1',
      'name: many',
      'require:',
      ...Array.from({ length: 2 }, (_, i) => `  - { id: c${i}, type: http.check, with: { url: "http://127.0.0.1/" } }`),
      'steps:',
      ...Array.from({ length: MAX_STEPS - 1 }, (_, i) => `  - { id: s${i}, type: wait, with: { duration: 0s } }`),
    );
    expect(messages(source)).toEqual([expect.stringMatching(/^rb\.yaml:6:1: runbook has 1,001 steps \(steps and require\), over the limit of 1,000/)]);
  });

  it(`accepts ${MAX_STEPS} steps`, () => {
    const { runbook, problems } = parseRunbook(waits(MAX_STEPS), 'rb.yaml');
    expect(problems).toEqual([]);
    expect(runbook?.steps).toHaveLength(MAX_STEPS);
  });
});

describe('YAML aliases', () => {
  it('refuses an alias bomb with the limit, without expanding it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${prev}`).join(', ')}]`);
    }
    const source = y('version: 1', 'name: bomb', ...levels, 'steps:', '  - { id: s, type: wait, with: { duration: 0s } }');
    expect(messages(source)).toEqual([
      'rb.yaml:1:1: YAML aliases expand over the limit of 100 (anchors used too often, or aliases nested inside aliases): write the repeated parts out, or use fewer aliases',
    ]);
  });
});

describe('durations and timers', () => {
  it('the limit is what a timer holds', () => {
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
  });

  it('refuses timeout: 30d at its value, naming the step and the field', () => {
    const source = y('version: 1', 'name: t', 'steps:', '  - id: drain', '    type: wait', '    timeout: 30d', '    with: { duration: 1s }');
    expect(messages(source)).toEqual([
      'rb.yaml:6:14: step "drain" timeout "30d" is longer than lifeboat can wait or time out: at most 24d20h31m23s (2^31-1 ms, the longest a timer holds); use a shorter one',
    ]);
  });

  it('accepts timeout: 24d, and rto, rpo and maxAge beyond the limit (they are compared, never waited for)', () => {
    const source = y(
      'version: 1',
      'name: t',
      'rto: 40d',
      'rpo: 35d',
      'steps:',
      '  - id: drain',
      '    type: wait',
      '    timeout: 24d',
      '    with: { duration: 1s }',
      '  - id: monthly',
      '    type: s3.verify-backups',
      '    with: { bucket: backups, maxAge: 35d }',
    );
    const { runbook, problems } = parseRunbook(source, 'rb.yaml');
    expect(problems).toEqual([]);
    expect(runbook?.steps[0]?.timeoutMs).toBe(24 * 86_400_000);
    expect(runbook?.rpoMs).toBe(35 * 86_400_000);
  });

  it.each([
    ['wait', 'with.duration', '{ duration: 25d }', 'with: { duration: 25d }'],
    ['shell', 'with.timeout', '{ run: ["true"], timeout: 24d21h }', 'with: { run: ["true"], timeout: 24d21h }'],
    ['http.check', 'with.interval', '{ url: "http://127.0.0.1/", interval: 2147483648ms }', 'with: { url: "http://127.0.0.1/", interval: 2147483648ms }'],
  ])('refuses %s %s over the limit, located at the value', (type, field, _, withLine) => {
    const source = y('version: 1', 'name: t', 'steps:', '  - id: x', `    type: ${type}`, `    ${withLine}`);
    const value = /: (\d[\dmsdh]+) \}$/.exec(withLine)?.[1] as string;
    expect(messages(source)).toEqual([
      `rb.yaml:6:${withLine.indexOf(value) + 5}: step "x" ${field} "${value}" is longer than lifeboat can wait or time out: at most 24d20h31m23s (2^31-1 ms, the longest a timer holds); use a shorter one`,
    ]);
  });

  it('refuses a too long duration that comes from a param default, naming the param', () => {
    const source = y(
      'version: 1',
      'name: t',
      'params:',
      '  hold: { type: duration, default: 30d }',
      'steps:',
      '  - id: hold',
      '    type: wait',
      '    with: { duration: "${{ params.hold }}" }',
    );
    expect(messages(source)).toEqual([
      'rb.yaml:8:23: step "hold" with.duration "30d" is longer than lifeboat can wait or time out: at most 24d20h31m23s (2^31-1 ms, the longest a timer holds); use a shorter one (the value comes from params.hold; pass a valid --param hold=…)',
    ]);
  });
});
