/**
 * A `run` over its runbook's rto (contract §4 "Verdicts": only rehearse and verify are judged
 * against it): exit 0, verdict passed, and every report agrees: the JSON breach has
 * judged: false, the JUnit has no failure (the last step's testcase says the measured
 * time and the target), the Markdown shows it as information. No AWS: one wait step.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Report } from '../../src/report/model.js';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { findAll, parseXml } from '../report/xml.js';

const explain = (r: CliResult): string => `exit ${String(r.code)}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe('run over its RTO', () => {
  test('exit 0, verdict passed; JSON, JUnit and Markdown agree: the RTO is information, not a failure', async () => {
    const dir = tempDir();
    const file = join(dir, 'rrto.yaml');
    writeFileSync(file, ['version: 1', 'name: rrto', 'rto: 1s', 'steps:', '  - id: hold', '    type: wait', '    with: { duration: 1100ms }', ''].join('\n'));
    const state = join(dir, 'state');
    const xmlFile = join(dir, 'rr.xml');

    const run = await runCli(['run', file, '--yes', '--report', 'junit', '--report-file', xmlFile, '--json', '--state-dir', state]);
    expect(run.code, explain(run)).toBe(0);
    const json = JSON.parse(run.stdout) as Report;
    expect(json).toMatchObject({ mode: 'run', verdict: 'passed', exitCode: 0, totals: { rtoMs: 1000, rtoVerdict: 'over' } });
    expect(json.breaches.map((b) => [b.target, b.judged])).toEqual([['rto', false]]);

    const xml = parseXml(readFileSync(xmlFile, 'utf8'));
    expect(xml.attrs).toMatchObject({ tests: String(json.steps.length), failures: '0', errors: '0', skipped: '0' });
    expect(findAll(xml, 'failure')).toEqual([]);
    const cases = findAll(xml, 'testcase');
    expect(cases.map((t) => t.attrs.name)).toEqual(json.steps.map((s) => s.id));
    const out = cases[cases.length - 1]?.children.find((c) => c.name === 'system-out');
    expect(out?.text).toMatch(/RTO over, not judged in run \(rehearse and verify are\): recovery took .+, over the RTO of 1s/);

    const md = await runCli(['show', json.runId ?? '', '--report', 'markdown', '--state-dir', state]);
    expect(md.code, explain(md)).toBe(0);
    expect(md.stdout).toMatch(/^### lifeboat run `rrto`: ✅ passed/m);
    expect(md.stdout).not.toContain('❌');
    expect(md.stdout).toMatch(/⚠️ \*\*RTO over, for information\*\* \(a run is not judged against it; rehearse and verify are\): recovery took .+, over the RTO of 1s/);
  });
});
