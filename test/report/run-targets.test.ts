/**
 * A plain `run` is not judged against the runbook's rto/rpo (contract §4 "Verdicts": only
 * rehearse and verify are). A run over its RTO still passes, and every report says so the
 * same way: JSON lists the breach with judged: false, JUnit has the rto testcase skipped
 * (not a failure), Markdown shows it as information. A verify over its RTO fails in all three.
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

  test('JUnit: no failure; the rto testcase is skipped, saying the measured time and the target', () => {
    const root = parseXml(renderJunit(overRto('run', 0)));
    const suite = findAll(root, 'testsuite')[0];
    expect(suite?.attrs).toMatchObject({ tests: '5', failures: '0', errors: '0', skipped: '1' });
    expect(root.attrs).toMatchObject({ failures: '0', skipped: '1' });
    const rto = findAll(root, 'testcase').find((t) => t.attrs.name === 'rto');
    expect(rto?.children.map((c) => c.name)).toEqual(['skipped']);
    expect(rto?.children[0]?.attrs.message).toBe('not judged in run (rehearse and verify are): recovery took 16m, over the RTO of 15m');
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
    expect(findAll(root, 'testsuite')[0]?.attrs).toMatchObject({ failures: '1', skipped: '0' });
    expect(findAll(root, 'testcase').find((t) => t.attrs.name === 'rto')?.children.map((c) => c.name)).toEqual(['failure']);
    expect(renderMarkdown(r)).toContain('- ❌ **RTO missed:** recovery took 16m, over the RTO of 15m');
  });
});
