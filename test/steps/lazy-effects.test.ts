/**
 * `validate` and `--help` read every step type's descriptor, and must not load an effect
 * library for it (startup time is measured in the bench): the AWS SDK and execa are loaded
 * only when a step runs. Every module the process loads is traced.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli.js';

const TRACER = join(ROOT, 'test/fixtures/trace-imports.mjs');
/**
 * The program as tsc builds it, one module per file, so the trace names every module. The
 * published bundle keeps the same graph (each dynamic import stays a chunk of its own) but
 * its chunks no longer say which package they hold.
 */
const BIN = join(ROOT, 'dist/cli/bin.js');

function loaded(args: string[]): string[] {
  const file = join(tempDir('lifeboat-trace-'), 'modules.txt');
  const res = spawnSync(process.execPath, ['--import', TRACER, BIN, ...args], { cwd: ROOT, env: { ...process.env, TRACE_IMPORTS_FILE: file, NO_COLOR: '1' }, encoding: 'utf8' });
  expect(res.status, res.stderr).toBe(0);
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

const EFFECTS = /node_modules\/(@aws-sdk|@smithy|execa|cli-progress|p-limit)\//;

describe('step types load their effects lazily', () => {
  test('validate runbooks/*.yaml loads every step type, and no AWS SDK or execa', () => {
    const runbooks = readdirSync(join(ROOT, 'runbooks')).filter((f) => f.endsWith('.yaml')).map((f) => `runbooks/${f}`);
    const urls = loaded(['validate', ...runbooks]);
    // The trace sees the step type modules: it would see the SDK too.
    expect(urls.some((u) => u.endsWith('/dist/src/steps/registry.js'))).toBe(true);
    expect(urls.some((u) => u.endsWith('/dist/src/steps/route53-change-records.js'))).toBe(true);
    expect(urls.filter((u) => EFFECTS.test(u))).toEqual([]);
  });

  test('--help loads no AWS SDK or execa', () => {
    const urls = loaded(['--help']);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((u) => EFFECTS.test(u))).toEqual([]);
  });
});
