/** The report model: built from a RunOutcome and the runbook, pure. */
import { describe, expect, test } from 'vitest';
import { buildRefusedReport, buildReport, rehearsalExitCode, ReportSchema, verdictFor, type BuildReportInput } from '../../src/report/model.js';
import type { RunOutcome } from '../../src/engine/run.js';
import { cleanupFailed, FINISHED, fixtureRunbook, interruptedVerify, passedVerify, staleVerify } from './outcomes.js';

const drill = fixtureRunbook('restore-drill.yaml');

function report(outcome: RunOutcome, over: Partial<BuildReportInput> = {}) {
  return buildReport({ outcome, runbook: drill, mode: 'verify', exitCode: rehearsalExitCode(outcome), finishedAt: FINISHED, lifeboatVersion: '0.1.0', host: 'cron-1', user: 'ops@cron-1', ...over });
}

describe('rehearsalExitCode', () => {
  test.each([
    ['forward completed, everything rolled back', { final: 'rolledBack', forward: 'completed' }, 0],
    ['forward completed, nothing to roll back', { final: 'completed' }, 0],
    ['a step failed, everything rolled back', { final: 'rolledBack' }, 1],
    ['a step failed, nothing had changed', { final: 'aborted' }, 1],
    ['forward aborted, cleaned up', { final: 'rolledBack', forward: 'aborted' }, 1],
    ['the clean-up failed', { final: 'rollbackFailed', forward: 'completed' }, 4],
    ['a failure whose rollback failed', { final: 'rollbackFailed' }, 4],
    ['interrupted and rolled back', { final: 'rolledBack', interrupted: true }, 130],
    ['interrupted and left', { final: 'suspended', interrupted: true }, 130],
    ['refused by a precondition', { final: 'refused' }, 3],
  ] as const)('%s → %i', (_, o, code) => {
    const outcome = { final: o.final, forward: 'forward' in o ? o.forward : undefined, context: { interrupted: 'interrupted' in o ? o.interrupted : false } };
    expect(rehearsalExitCode(outcome as unknown as RunOutcome)).toBe(code);
  });

  test('verdicts follow the exit codes', () => {
    expect([0, 1, 2, 3, 4, 130].map(verdictFor)).toEqual(['passed', 'failed', 'refused', 'refused', 'rollback-failed', 'interrupted']);
  });
});

describe('a passing verify', () => {
  const r = report(passedVerify());

  test('conforms to its schema', () => {
    expect(ReportSchema.safeParse(r).success).toBe(true);
  });

  test('run, times and verdict', () => {
    expect(r).toMatchObject({
      reportVersion: 1,
      runId: '20261123T041200Z-restore-drill-7f3a',
      runbook: { name: 'restore-drill' },
      mode: 'verify',
      verdict: 'passed',
      exitCode: 0,
      final: 'rolledBack',
      forward: 'completed',
      finishedAt: '2026-11-23T04:12:30.000Z',
      startedAt: '2026-11-23T04:12:00.000Z',
      host: 'cron-1',
      error: null,
      leftChanged: [],
    });
  });

  test('one entry per step, in runbook order, with its times and outputs', () => {
    expect(r.steps.map((s) => [s.id, s.status, s.durationMs, s.undoMs, s.undo])).toEqual([
      ['verify-backups', 'passed', 400, null, 'none'],
      ['restore', 'rolled-back', 1600, 4000, 'done'],
      ['check-restored', 'passed', 300, null, 'none'],
      ['list-restored', 'rolled-back', 100, 5, 'done'],
    ]);
    expect(r.steps[1]?.outputs).toEqual({ objects: 3, bytes: 3_000_000, seconds: 1.5, requests: 14 });
  });

  test('recovery time against the RTO, backup age against the RPO, restore throughput', () => {
    expect(r.totals).toEqual({
      recoveryMs: 25_000,
      rtoMs: 15 * 60_000,
      rtoVerdict: 'within',
      rollbackMs: 5_000,
      rollback: 'done',
      // the oldest "newest backup" of the two verify-backups steps: the source, not the fresh copy
      backupKey: 'db/2026-11-23.dump',
      backupAgeSeconds: 1234,
      backupStepId: 'verify-backups',
      rpoMs: 3_600_000,
      rpoVerdict: 'within',
      restoreObjects: 3,
      restoreBytes: 3_000_000,
      restoreSeconds: 1.5,
      restoreBytesPerSecond: 2_000_000,
    });
    expect(r.summary).toMatch(/^verify restore-drill: passed; recovery 25\.0 s \(within RTO 15m\); newest backup 20 min old \(within RPO 1h\); restored 3 objects/);
  });

  test('over the RTO and over the RPO are said so', () => {
    const o = passedVerify();
    o.forwardMs = 16 * 60_000;
    o.context.outputs['verify-backups'] = { newestKey: 'db/old.dump', newestAgeSeconds: 7300, count: 1, bytes: 1 };
    const over = report(o);
    expect(over.totals.rtoVerdict).toBe('over');
    expect(over.totals.rpoVerdict).toBe('over');
    expect(over.summary).toContain('OVER RTO 15m');
    expect(over.summary).toContain('OVER RPO 1h');
  });

  test('a missed target is a failed verify: exit 1, verdict failed, each breach named with its measure and limit', () => {
    const o = passedVerify();
    o.forwardMs = 16 * 60_000;
    o.context.outputs['verify-backups'] = { newestKey: 'db/old.dump', newestAgeSeconds: 7300, count: 1, bytes: 1 };
    const over = report(o);
    expect(over).toMatchObject({ verdict: 'failed', exitCode: 1 });
    expect(over.breaches).toEqual([
      { target: 'rto', stepId: null, measuredMs: 16 * 60_000, limitMs: 15 * 60_000, message: 'recovery took 16m, over the RTO of 15m', judged: true },
      { target: 'rpo', stepId: 'verify-backups', measuredMs: 7_300_000, limitMs: 3_600_000, message: expect.stringMatching(/^newest backup db\/old\.dump is 2h 1m old, older than the RPO of 1h$/) as unknown as string, judged: true },
    ]);
    expect(over.summary).toMatch(/^verify restore-drill: FAILED: recovery took 16m, over the RTO of 15m; newest backup db\/old\.dump/);
    // within both: no breach, passed
    expect(report(passedVerify())).toMatchObject({ verdict: 'passed', exitCode: 0, breaches: [] });
  });

  test('a step maxAge looser than the runbook rpo does not hide the breach; a plain run is not judged', () => {
    const o = passedVerify();
    o.context.outputs['verify-backups'] = { newestKey: 'db/old.dump', newestAgeSeconds: 5000, count: 1, bytes: 1 };
    const loose = { ...drill, steps: drill.steps.map((s) => (s.id === 'verify-backups' ? { ...s, with: { ...s.with, maxAge: '1d' } } : s)) };
    expect(report(o, { runbook: loose })).toMatchObject({ verdict: 'failed', exitCode: 1, totals: { rpoMs: 3_600_000, rpoVerdict: 'over' } });
    const run = report(o, { runbook: loose, mode: 'run', exitCode: 0 });
    expect(run).toMatchObject({ verdict: 'passed', exitCode: 0 });
    expect(run.breaches.map((b) => [b.target, b.judged])).toEqual([['rpo', false]]);
  });

  test('no rto in the runbook: no target', () => {
    const r2 = report(passedVerify(), { runbook: { ...drill, rtoMs: undefined, rpoMs: undefined } });
    expect(r2.totals.rtoVerdict).toBe('no-target');
    expect(r2.totals.rpoVerdict).toBe('no-target');
  });

  test('secrets are redacted everywhere, long outputs truncated', () => {
    const o = passedVerify();
    o.context.outputs['list-restored'] = { stdout: `token=hunter2-secret ${'x'.repeat(10_000)}`, exitCode: 0 };
    o.context.error = { stepId: 'restore', message: 'using hunter2-secret' };
    const r2 = report(o, { redact: (t) => t.split('hunter2-secret').join('***') });
    expect(JSON.stringify(r2)).not.toContain('hunter2-secret');
    const stdout = r2.steps[3]?.outputs.stdout as string;
    expect(stdout.startsWith('token=*** ')).toBe(true);
    expect(stdout.length).toBeLessThan(4200);
    expect(stdout).toMatch(/… \(\d+ more characters\)$/);
  });
});

describe('a failing verify', () => {
  test('the failed step carries its error; the rest were not run', () => {
    const r = report(staleVerify());
    expect(r.verdict).toBe('failed');
    expect(r.exitCode).toBe(1);
    expect(r.steps.map((s) => s.status)).toEqual(['failed', 'not-run', 'not-run', 'not-run']);
    expect(r.steps[0]?.error).toBe('newest backup db/2026-11-22.dump is 26h 3m old, older than rpo 1h');
    expect(r.steps[1]?.skipReason).toBe('not reached: step verify-backups failed');
    expect(r.totals.rtoVerdict).toBe('incomplete');
    expect(r.totals.rollback).toBe('not-needed');
    // the step failed, so it produced no outputs: the age is not known to the report
    expect(r.totals.backupAgeSeconds).toBeNull();
    expect(r.totals.rpoVerdict).toBe('unknown');
    expect(r.summary).toBe('verify restore-drill: FAILED at verify-backups: newest backup db/2026-11-22.dump is 26h 3m old, older than rpo 1h');
    expect(ReportSchema.safeParse(r).success).toBe(true);
  });

  test('a failed clean-up names what is still changed and what to type', () => {
    const r = report(cleanupFailed());
    expect(r.verdict).toBe('rollback-failed');
    expect(r.exitCode).toBe(4);
    expect(r.leftChanged).toEqual([{ stepId: 'restore', type: 's3.restore', undo: 's3://drill-scratch/drill/: delete 1 object(s) it created (drill/a.dump)' }]);
    expect(r.totals.rollback).toBe('failed');
    const restore = r.steps.find((s) => s.id === 'restore');
    expect(restore).toMatchObject({ status: 'passed', undo: 'failed', undoError: 'AccessDenied: s3:DeleteObject on drill-scratch/drill/a.dump' });
    expect(r.next).toBe('fix the cause, then: lifeboat rollback 20261123T041200Z-restore-drill-7f3a');
    expect(r.summary).toContain('ROLLBACK FAILED at restore');
    expect(r.summary).toContain('STILL CHANGED: restore');
    expect(ReportSchema.safeParse(r).success).toBe(true);
  });

  test('an interrupted verify: the step the signal stopped, then the clean-up', () => {
    const r = report(interruptedVerify());
    expect(r.verdict).toBe('interrupted');
    expect(r.exitCode).toBe(130);
    expect(r.steps.map((s) => [s.id, s.status, s.undo])).toEqual([
      ['verify-backups', 'passed', 'none'],
      ['restore', 'interrupted', 'done'],
      ['check-restored', 'not-run', 'none'],
      ['list-restored', 'not-run', 'none'],
    ]);
    expect(r.totals.rollback).toBe('done');
    expect(r.interrupted).toBe(true);
    expect(ReportSchema.safeParse(r).success).toBe(true);
  });
});

test('a run refused before it started still makes a report', () => {
  const r = buildRefusedReport({ runbook: drill, mode: 'verify', exitCode: 3, message: 'step x needs a typed confirmation', finishedAt: FINISHED, lifeboatVersion: '0.1.0' });
  expect(r.verdict).toBe('refused');
  expect(r.runId).toBeNull();
  expect(r.steps.every((s) => s.status === 'not-run')).toBe(true);
  expect(r.summary).toBe('verify restore-drill: refused before any change: step x needs a typed confirmation');
  expect(ReportSchema.safeParse(r).success).toBe(true);
});

test('a run refused by the lock keeps the id it was given; an invalid runbook is refused with exit 2 and no steps', () => {
  const locked = buildRefusedReport({ runbook: drill, mode: 'verify', runId: '20261123T041200Z-restore-drill-7f3a', exitCode: 3, message: 'locked', finishedAt: FINISHED, lifeboatVersion: '0.1.0' });
  expect(locked.runId).toBe('20261123T041200Z-restore-drill-7f3a');
  const invalid = buildRefusedReport({ runbook: { name: 'dup', file: 'dup.yaml', steps: [] }, mode: 'verify', exitCode: 2, message: 'dup.yaml:8:9: duplicate step id "a"', finishedAt: FINISHED, lifeboatVersion: '0.1.0' });
  expect(invalid).toMatchObject({ verdict: 'refused', exitCode: 2, runId: null, steps: [], totals: { rtoMs: null, rpoMs: null } });
  expect(ReportSchema.safeParse(invalid).success).toBe(true);
});
