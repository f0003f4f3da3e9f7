/**
 * `rehearse` of a runbook with a step that cannot be undone (`rollback: false`), through the
 * built CLI: the step ran and is reported `not undone` on screen and in every report (JSON,
 * JUnit, Markdown, and `show --report`), never as rolled back or not run; the rollback does
 * not claim to have undone everything. No AWS: shell steps in a temporary directory.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { findAll, parseXml } from '../report/xml.js';

interface StepJson {
  id: string;
  status: string;
  undo: string;
  skipReason?: string;
}
interface ReportJson {
  runId: string;
  exitCode: number;
  steps: StepJson[];
  totals: { rollback: string };
  leftChanged: Array<{ stepId: string }>;
  summary: string;
}

function runbook(dir: string): string {
  const file = join(dir, 'nolb.yaml');
  const text = `version: 1
name: nolb
steps:
  - id: a
    type: shell
    with: { run: ["touch", ${JSON.stringify(join(dir, 'na'))}] }
    rollback: { run: ["rm", "-f", ${JSON.stringify(join(dir, 'na'))}] }
  - id: once
    type: shell
    with: { run: ["touch", ${JSON.stringify(join(dir, 'nonce'))}] }
    rollback: false
`;
  writeFileSync(file, text);
  return file;
}

describe('rehearse with a step that cannot be undone', () => {
  test('the step ran and is "not undone" on screen and in the JSON, JUnit and Markdown reports; show --report says the same', async () => {
    const dir = tempDir();
    const file = runbook(dir);
    const sd = join(dir, 'state');
    const [json, md, xml] = [join(dir, 'r.json'), join(dir, 'r.md'), join(dir, 'r.xml')];
    const r = await runCli(['rehearse', file, '--yes', '--confirm', 'once=once', '--state-dir', sd, '--report', 'json', '--report-file', json, '--report', 'markdown', '--report-file', md, '--report', 'junit', '--report-file', xml]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // a was undone; once could not be.
    expect(existsSync(join(dir, 'na'))).toBe(false);
    expect(existsSync(join(dir, 'nonce'))).toBe(true);

    // Screen: the closing table and rollback line.
    expect(r.stdout).toMatch(/^\s*once\s+passed\s+\d+ ms\s+NOT UNDONE$/m);
    expect(r.stdout).not.toMatch(/everything this rehearsal changed was undone/);
    expect(r.stdout).toMatch(/rollback: \d+ ms, undone except: once \(cannot be undone, still changed\)/);

    const report = JSON.parse(readFileSync(json, 'utf8')) as ReportJson;
    const once = report.steps.find((s) => s.id === 'once');
    expect(once).toMatchObject({ status: 'passed', undo: 'not-undone' });
    expect(once?.skipReason).toBeUndefined();
    expect(report.steps.find((s) => s.id === 'a')).toMatchObject({ status: 'rolled-back', undo: 'done' });
    expect(report.totals.rollback).toBe('partial');
    expect(report.leftChanged.map((l) => l.stepId)).toEqual(['once']);

    const cases = findAll(parseXml(readFileSync(xml, 'utf8')), 'testcase');
    const onceCase = cases.find((c) => c.attrs.name === 'once');
    expect(onceCase?.children.map((c) => c.name)).toEqual(['system-out']);
    expect(onceCase?.children[0]?.text).toMatch(/not undone/);
    expect(findAll(parseXml(readFileSync(xml, 'utf8')), 'skipped')).toEqual([]);

    const markdown = readFileSync(md, 'utf8');
    expect(markdown).toMatch(/\| ✅ \| `once` \| shell \| passed \| \d+ ms \| \*\*not undone\*\*/);
    expect(markdown).not.toMatch(/everything this run changed was undone/);
    expect(markdown).toMatch(/undone except:\*\* once \(cannot be undone, still changed\)/);

    // The same report, rebuilt from the journal.
    const [id] = readdirSync(join(sd, 'runs'));
    const shown = await runCli(['show', id as string, '--state-dir', sd, '--report', 'json', '--report-file', join(dir, 'shown.json')]);
    expect(shown.code, shown.stderr).toBe(0);
    const again = JSON.parse(readFileSync(join(dir, 'shown.json'), 'utf8')) as ReportJson;
    expect(again.steps.map((s) => [s.id, s.status, s.undo])).toEqual(report.steps.map((s) => [s.id, s.status, s.undo]));
    expect(again.totals.rollback).toBe('partial');
  });
});
