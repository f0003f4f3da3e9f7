/**
 * A plain `run` is not judged against the runbook's rto/rpo (contract §4 "Verdicts": only
 * rehearse and verify are). A run over its RTO still passes, and every report says so the
 * same way: JSON lists the breach with judged: false, JUnit says it in the output of the
 * last step's testcase (not a failure, no testcase of its own), Markdown shows it as
 * information. A verify over its RTO fails in all three.
 */
import { describe, expect, test } from 'vitest';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReport, ReportSchema } from '../../src/report/model.js';
import type { RunMode } from '../../src/journal/format.js';
import { FINISHED, fixtureRunbook, passedVerify } from './outcomes.js';
import { findAll, parseXml } from './xml.js';

const drill = fixtureRunbook('restore-drill.yaml');

function overRto(mode: RunMode, exitCode: number) {
  const o = passedVerify();
  o.forwardMs = 16 * 60_000; // the drill's rto is 15m
  return buildReport({ outcome: o, runbook: drill, mode, exitCode, finishedAt: FINISHED, lifeboatVersion: '0.1.0' });
}

describe('recovery targets in a run are information, not a verdict', () => {
  test('JSON: verdict passed, exit 0, the breach listed with judged: false; the summary does not say FAILED', () => {
    const r = overRto('run', 0);
    expect(ReportSchema.safeParse(r).success).toBe(true);
    expect(r).toMatchObject({ verdict: 'passed', exitCode: 0, totals: { rtoVerdict: 'over', recoveryMs: 16 * 60_000, rtoMs: 15 * 60_000 } });
    expect(r.breaches).toEqual([{ target: 'rto', stepId: null, measuredMs: 16 * 60_000, limitMs: 15 * 60_000, message: 'recovery took 16m, over the RTO of 15m', judged: false }]);
    expect(r.summary).toMatch(/^run restore-drill: passed; recovery 16m \(over RTO 15m, not judged in a run\)/);
  });

  test('JUnit: no failure and no extra testcase; the last step that ran says the measured time and the target', () => {
    const r = overRto('run', 0);
    const root = parseXml(renderJunit(r));
    const suite = findAll(root, 'testsuite')[0];
    expect(suite?.attrs).toMatchObject({ tests: String(r.steps.length), failures: '0', errors: '0', skipped: '0' });
    const cases = findAll(root, 'testcase');
    expect(cases.map((t) => t.attrs.name)).toEqual(r.steps.map((s) => s.id));
    const last = cases[cases.length - 1];
    expect(last?.children.map((c) => c.name)).toEqual(['system-out']);
    expect(JSON.stringify(last?.children[0])).toContain('RTO over, not judged in run (rehearse and verify are): recovery took 16m, over the RTO of 15m');
    expect(findAll(root, 'failure')).toEqual([]);
  });

  test('Markdown: a passed run with the RTO shown as information, no ❌', () => {
    const text = renderMarkdown(overRto('run', 0));
    expect(text).toMatch(/^### lifeboat run `restore-drill`: /);
    expect(text).not.toContain('❌');
    expect(text).toContain('- ⚠️ **RTO over, for information** (a run is not judged against it; rehearse and verify are): recovery took 16m, over the RTO of 15m');
  });

  test('the same miss in a verify fails it, in every report', () => {
    const r = overRto('verify', 0);
    expect(r).toMatchObject({ verdict: 'failed', exitCode: 1 });
    expect(r.breaches.map((b) => [b.target, b.judged])).toEqual([['rto', true]]);
    const root = parseXml(renderJunit(r));
    expect(findAll(root, 'testsuite')[0]?.attrs).toMatchObject({ tests: String(r.steps.length), failures: '1', skipped: '0' });
    const cases = findAll(root, 'testcase');
    expect(cases.map((t) => t.attrs.name)).toEqual(r.steps.map((s) => s.id));
    const failure = cases[cases.length - 1]?.children.find((c) => c.name === 'failure');
    expect(failure?.attrs).toMatchObject({ message: 'RTO missed: recovery took 16m, over the RTO of 15m', type: 'target.rto' });
    expect(renderMarkdown(r)).toContain('- ❌ **RTO missed:** recovery took 16m, over the RTO of 15m');
  });
});
