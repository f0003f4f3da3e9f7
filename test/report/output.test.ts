/** cli/report-output.ts: where reports go, conflicts refused up front, delivery never throws. */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { deliverReport, reportTargets, stdoutTaken } from '../../cli/report-output.js';
import { UsageError } from '../../src/errors.js';
import { buildReport, rehearsalExitCode } from '../../src/report/model.js';
import { freePort } from '../helpers/moto.js';
import { tempDir } from '../helpers/cli.js';
import { FINISHED, fixtureRunbook, passedVerify } from './outcomes.js';
import { parsePrometheus } from './prom.js';
import { parseXml } from './xml.js';

const outcome = passedVerify();
const report = buildReport({ outcome, runbook: fixtureRunbook('restore-drill.yaml'), mode: 'verify', exitCode: rehearsalExitCode(outcome), finishedAt: FINISHED, lifeboatVersion: '0.1.0' });

describe('reportTargets', () => {
  test('pairs repeated --report and --report-file in order; a format without a file goes to stdout', () => {
    expect(reportTargets({ report: ['junit', 'markdown', 'json'], reportFile: ['a.xml', 'b.md'] })).toEqual([
      { format: 'junit', file: 'a.xml' },
      { format: 'markdown', file: 'b.md' },
      { format: 'json', file: undefined },
    ]);
    expect(reportTargets({ report: 'junit' })).toEqual([{ format: 'junit', file: undefined }]);
  });

  test('a --report-file alone takes its format from the extension, or is refused', () => {
    expect(reportTargets({ reportFile: 'out/r.xml' })).toEqual([{ format: 'junit', file: 'out/r.xml' }]);
    expect(() => reportTargets({ reportFile: 'r.txt' })).toThrow(UsageError);
  });

  test('two things on stdout are refused before anything runs', () => {
    expect(() => reportTargets({ report: ['junit', 'markdown'] })).toThrow(/would both go to stdout/);
    expect(() => reportTargets({ report: 'junit', json: true })).toThrow(/--json and --report junit/);
    expect(reportTargets({ report: 'json', json: true })).toEqual([{ format: 'json', file: undefined }]);
    expect(() => reportTargets({ notify: 'file:///etc/passwd' })).toThrow(UsageError);
  });

  test('a --report-file that names stdout is stdout: refused with --json or another report there', () => {
    for (const path of ['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']) {
      expect(reportTargets({ report: 'junit', reportFile: path })).toEqual([{ format: 'junit', file: undefined }]);
      expect(stdoutTaken({ report: 'junit', reportFile: path })).toBe(true);
      expect(() => reportTargets({ report: 'junit', reportFile: path, json: true })).toThrow(`--json and --report junit --report-file ${path} would both go to stdout`);
      expect(() => reportTargets({ report: ['junit', 'markdown'], reportFile: path })).toThrow(/would both go to stdout/);
    }
    expect(stdoutTaken({ metricsFile: '/dev/stdout' })).toBe(true);
    expect(() => reportTargets({ metricsFile: '/dev/stdout', json: true })).toThrow(/--json and --metrics-file \/dev\/stdout/);
    expect(reportTargets({ report: 'junit', reportFile: '/dev/null' })).toEqual([{ format: 'junit', file: '/dev/null' }]);
  });

  test('stdout is taken by a report without a file, or --json', () => {
    expect(stdoutTaken({ report: 'json' })).toBe(true);
    expect(stdoutTaken({ report: 'json', reportFile: 'r.json' })).toBe(false);
    expect(stdoutTaken({ json: true })).toBe(true);
    expect(stdoutTaken({})).toBe(false);
  });
});

describe('deliverReport', () => {
  test('writes every report and the metrics file; --json prints the report on one line', async () => {
    const dir = tempDir();
    const out = new PassThrough();
    let printed = '';
    out.on('data', (d: Buffer) => (printed += d.toString()));
    const d = await deliverReport(
      report,
      { report: ['junit', 'markdown'], reportFile: [join(dir, 'r.xml'), join(dir, 'r.md')], metricsFile: join(dir, 'prom', 'lifeboat.prom'), json: true },
      { warn: () => undefined, stdout: out },
    );
    expect(d.warnings).toEqual([]);
    expect(parseXml(await readFile(join(dir, 'r.xml'), 'utf8')).name).toBe('testsuites');
    expect(await readFile(join(dir, 'r.md'), 'utf8')).toContain('### lifeboat verify');
    expect(parsePrometheus(await readFile(join(dir, 'prom', 'lifeboat.prom'), 'utf8')).get('lifeboat_verify_success')?.samples[0]?.value).toBe(1);
    expect(printed.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(printed)).toEqual(report);
    expect((await readdir(dir)).sort()).toEqual(['prom', 'r.md', 'r.xml']);
  });

  test('a file that cannot be written and a refused notification are warnings, never errors', async () => {
    const dir = tempDir();
    await writeFile(join(dir, 'a-file'), '');
    const warnings: string[] = [];
    const port = await freePort();
    const d = await deliverReport(
      report,
      { report: 'json', reportFile: join(dir, 'a-file', 'r.json'), metricsFile: join(dir, 'ok.prom'), notify: `http://127.0.0.1:${port}/hook` },
      { warn: (l) => warnings.push(l), notify: { backoffMs: 1 } },
    );
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^cannot write the json report to .*a-file\/r\.json: /);
    expect(warnings[1]).toMatch(/^notification failed \(the result above stands\): cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(d.notified).toBe(false);
    expect(await readFile(join(dir, 'ok.prom'), 'utf8')).toContain('lifeboat_verify_success');
  });
});
