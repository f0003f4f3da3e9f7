/**
 * The report built from a journal spans every process that drove the run (contract §4: "a
 * resumed run's report has the true start, every step's duration and the whole recovery
 * time"): a run stopped and resumed is measured from its first start to the end of the
 * forward part in the resume, not to the stop.
 */
import { describe, expect, test } from 'vitest';
import type { EntryBody } from '../../src/journal/format.js';
import { buildJournalReport } from '../../src/report/from-journal.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { replayedAt, runStart } from '../helpers/journal.js';

const YAML = `version: 1
name: twice
steps:
  - id: a
    type: shell
    with: { run: ["true"] }
  - id: b
    type: shell
    with: { run: ["true"] }
`;

const START = runStart('twice', { source: YAML });

/** One entry a second from 04:12:00: entry i is at i seconds. */
function journal(...bodies: EntryBody[]) {
  return replayedAt([START, ...bodies]);
}

const ran = (id: string): EntryBody[] => [
  { type: 'step-start', stepId: id, attempt: 1 },
  { type: 'intent', stepId: id, undo: { none: true, text: 'nothing to undo' } },
  { type: 'result', stepId: id, outputs: { stdout: '', exitCode: 0 }, durationMs: 500, requests: 0 },
];

describe('a run stopped and resumed', () => {
  test('the recovery time runs from the first start to the end of the forward part in the resume; every step has its time', () => {
    const run = journal(
      ...ran('a'), // 1–3
      { type: 'transition', state: 'suspended' }, // 4: stopped (Ctrl-C, abort)
      { type: 'run-end', outcome: 'suspended', exitCode: 130, durationMs: 4000 }, // 5
      { type: 'resumed', pid: 101, by: 'ana@laptop', force: false, command: 'resume' }, // 6
      ...ran('b'), // 7–9
      { type: 'transition', state: 'completed' }, // 10
      { type: 'run-end', outcome: 'completed', exitCode: 0, durationMs: 4000 }, // 11
    );
    const { runbook } = parseRunbook(YAML, 'twice.yaml');
    if (!runbook) throw new Error('fixture runbook invalid');
    const r = buildJournalReport({ journal: run, runbook, lifeboatVersion: '0.1.0' });
    expect(r.startedAt).toBe('2026-11-23T04:12:00.000Z');
    expect(r.totals.recoveryMs).toBe(10_000);
    expect(r.durationMs).toBe(11_000);
    expect(r.steps.map((s) => [s.id, s.status, s.durationMs])).toEqual([
      ['a', 'passed', 500],
      ['b', 'passed', 500],
    ]);
    expect(r.final).toBe('completed');
  });
});

describe('a refusal in the journal', () => {
  const { runbook } = parseRunbook(YAML, 'twice.yaml');
  if (!runbook) throw new Error('fixture runbook invalid');
  const completed: EntryBody[] = [...ran('a'), ...ran('b'), { type: 'transition', state: 'completed' }, { type: 'run-end', outcome: 'completed', exitCode: 0, durationMs: 7000 }];
  const refusedRollback: EntryBody[] = [
    { type: 'resumed', pid: 101, by: 'ana@laptop', force: false, command: 'rollback' },
    { type: 'warning', message: 'refused: rollback refused, nothing was changed: what b left has changed since (drift)' },
  ];

  test('a rollback refused over a completed run, then one that went through: the report has no error (and never names a step "require")', () => {
    const r = buildJournalReport({
      journal: journal(...completed, ...refusedRollback, { type: 'resumed', pid: 102, by: 'ana@laptop', force: false, command: 'rollback' }, { type: 'transition', state: 'rollingBack' }, { type: 'transition', state: 'rolledBack' }, { type: 'run-end', outcome: 'rolledBack', exitCode: 0, durationMs: 10 }),
      runbook,
      lifeboatVersion: '0.1.0',
    });
    expect(r.final).toBe('rolledBack');
    expect(r.error).toBeNull();
  });

  test('a run refused by its require: checks keeps the refusal as its error', () => {
    const r = buildJournalReport({
      journal: journal({ type: 'warning', message: 'refused: require check "standby-up" failed' }, { type: 'transition', state: 'refused' }, { type: 'run-end', outcome: 'refused', exitCode: 3, durationMs: 10 }),
      runbook,
      lifeboatVersion: '0.1.0',
    });
    expect(r.error).toEqual({ stepId: 'require', message: 'require check "standby-up" failed' });
  });
});
