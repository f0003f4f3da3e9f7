/** JUnit XML: one testcase per step, failures that name what broke, escaping done right. */
import { describe, expect, test } from 'vitest';
import { escapeAttr, escapeText, renderJunit } from '../../src/report/junit.js';
import { buildReport, rehearsalExitCode } from '../../src/report/model.js';
import type { RunOutcome } from '../../src/engine/run.js';
import { cleanupFailed, FINISHED, fixtureRunbook, interruptedVerify, passedVerify, staleVerify } from './outcomes.js';
import { findAll, parseXml, XmlError, type XmlElement } from './xml.js';

const drill = fixtureRunbook('restore-drill.yaml');

function junit(outcome: RunOutcome): XmlElement {
  const report = buildReport({ outcome, runbook: drill, mode: 'verify', exitCode: rehearsalExitCode(outcome), finishedAt: FINISHED, lifeboatVersion: '0.1.0', host: 'cron-1' });
  return parseXml(renderJunit(report));
}

const cases = (root: XmlElement) => findAll(root, 'testcase');
const kinds = (tc: XmlElement) => tc.children.map((c) => c.name).filter((n) => n !== 'system-out');

describe('the test parser is strict', () => {
  test.each([
    ['<a>x < y</a>', 'raw <'],
    ['<a>AT&T</a>', 'bare &'],
    ['<a b="1" b="2"/>', 'duplicate attribute'],
    ['<a><b></a></b>', 'mismatch'],
    ['<a/><b/>', 'two roots'],
    ['<a x="&nbsp;"/>', 'unknown entity'],
    ['<a>\u0001</a>', 'control character'],
    ['<a x=1/>', 'unquoted'],
  ])('%s is rejected (%s)', (xml) => {
    expect(() => parseXml(xml)).toThrow(XmlError);
  });
});

describe('escaping', () => {
  const nasty = `a<b>&"quoted"'s]]>\n\ttab\u0000nul\u{1F600}\uD800`;

  test('text and attributes round-trip through a strict parser', () => {
    const xml = `<r a="${escapeAttr(nasty)}">${escapeText(nasty)}</r>`;
    const el = parseXml(xml);
    const expected = nasty.replace('\u0000', '\uFFFD').replace('\uD800', '\uFFFD');
    expect(el.attrs.a).toBe(expected);
    expect(el.text).toBe(expected);
  });

  test('a step error with markup in it stays one well-formed failure', () => {
    const root = junit(staleVerify('key <db/"x">&y\nsecond line'));
    const failure = cases(root)[0]?.children.find((c) => c.name === 'failure');
    expect(failure?.attrs.message).toBe('key <db/"x">&y');
    expect(failure?.text).toBe('key <db/"x">&y\nsecond line');
  });
});

describe('structure', () => {
  test('a passing verify: one passing testcase per step, in order, with times', () => {
    const root = junit(passedVerify());
    expect(root.name).toBe('testsuites');
    const suite = findAll(root, 'testsuite');
    expect(suite).toHaveLength(1);
    expect(suite[0]?.attrs).toMatchObject({ name: 'restore-drill', tests: '4', failures: '0', errors: '0', skipped: '0', time: '30.000', hostname: 'cron-1' });
    const tcs = cases(root);
    expect(tcs.map((t) => t.attrs.name)).toEqual(['verify-backups', 'restore', 'check-restored', 'list-restored']);
    expect(tcs.map((t) => t.attrs.time)).toEqual(['0.400', '1.600', '0.300', '0.100']);
    expect(tcs.every((t) => kinds(t).length === 0)).toBe(true);
    const props = Object.fromEntries(findAll(root, 'property').map((p) => [p.attrs.name, p.attrs.value]));
    expect(props).toMatchObject({ verdict: 'passed', exitCode: '0', rtoVerdict: 'within', backupAgeSeconds: '1234', rpoMs: '3600000' });
  });

  test('a backup within its step\'s maxAge but older than the runbook\'s rpo: a failure on that step, and no testcase besides the steps', () => {
    const o = passedVerify();
    const outputs = o.context.outputs['verify-backups'] as Record<string, string | number | boolean>;
    o.context.outputs['verify-backups'] = { ...outputs, newestAgeSeconds: 2 * 3600 };
    const report = buildReport({ outcome: o, runbook: drill, mode: 'verify', exitCode: rehearsalExitCode(o), finishedAt: FINISHED, lifeboatVersion: '0.1.0' });
    expect(report.breaches.map((b) => [b.target, b.stepId, b.judged])).toEqual([['rpo', 'verify-backups', true]]);
    const root = parseXml(renderJunit(report));
    const tcs = cases(root);
    expect(tcs.map((t) => t.attrs.name)).toEqual(['verify-backups', 'restore', 'check-restored', 'list-restored']);
    expect(kinds(tcs[0] as XmlElement)).toEqual(['failure']);
    expect(tcs[0]?.children[0]?.attrs).toMatchObject({ type: 'target.rpo' });
    expect(tcs[0]?.children[0]?.attrs.message).toMatch(/^RPO missed: .*2h.*1h/);
    expect(tcs.slice(1).every((t) => kinds(t).length === 0)).toBe(true);
    expect(findAll(root, 'testsuite')[0]?.attrs).toMatchObject({ tests: '4', failures: '1', errors: '0', skipped: '0' });
  });

  test('a stale backup: the failure message names the age and the limit; the rest are skipped', () => {
    const root = junit(staleVerify());
    const tcs = cases(root);
    expect(kinds(tcs[0] as XmlElement)).toEqual(['failure']);
    expect(tcs[0]?.children[0]?.attrs.message).toBe('newest backup db/2026-11-22.dump is 26h 3m old, older than rpo 1h');
    expect(tcs[0]?.children[0]?.attrs.type).toBe('s3.verify-backups');
    for (const tc of tcs.slice(1)) {
      expect(kinds(tc)).toEqual(['skipped']);
      expect(tc.children[0]?.attrs.message).toBe('not reached: step verify-backups failed');
    }
    expect(findAll(root, 'testsuite')[0]?.attrs).toMatchObject({ tests: '4', failures: '1', errors: '0', skipped: '3' });
  });

  test('a failed clean-up is an error on the step whose undo failed', () => {
    const root = junit(cleanupFailed());
    const restore = cases(root).find((t) => t.attrs.name === 'restore') as XmlElement;
    expect(kinds(restore)).toEqual(['error']);
    expect(restore.children[0]?.attrs.message).toBe('rollback failed: AccessDenied: s3:DeleteObject on drill-scratch/drill/a.dump');
    expect(restore.children[0]?.text).toContain('lifeboat rollback 20261123T041200Z-restore-drill-7f3a');
    expect(findAll(root, 'testsuite')[0]?.attrs).toMatchObject({ failures: '0', errors: '1' });
  });

  test('the interrupted step is an error, not a pass', () => {
    const root = junit(interruptedVerify());
    const restore = cases(root).find((t) => t.attrs.name === 'restore') as XmlElement;
    expect(kinds(restore)).toEqual(['error']);
    expect(restore.children[0]?.attrs.type).toBe('interrupted');
  });
});
