import { describe, expect, test } from 'vitest';
import type { EntryBody } from '../../src/journal/format.js';
import { decidedBy, describeUndoRecord, stepRows, summarize, timeline } from '../../src/journal/timeline.js';
import { replayedAt, runStart } from '../helpers/journal.js';

const START = runStart('failover', { runId: 'r1', file: '/rb/failover.yaml' });

function run(...bodies: EntryBody[]) {
  return replayedAt([START, ...bodies], 10);
}

const DNS_UNDO = {
  kind: 'route53.change-records',
  zoneId: 'Z1',
  before: [
    { name: 'app.example.com.', type: 'CNAME', set: { Name: 'app.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] } },
    { name: 'new.example.com.', type: 'A', set: null },
  ],
  // Journaled with the record by the engine, from the step type's describeUndo.
  text: 'restore 2 record sets in hosted zone Z1: app.example.com. CNAME back to primary.example.com (ttl 300); delete new.example.com. A (it did not exist)',
};

const completed = () =>
  run(
    { type: 'decision', stepId: 'dns', phase: 'before', choice: 'proceed', who: 'ana@laptop' },
    { type: 'step-start', stepId: 'dns', attempt: 1 },
    { type: 'intent', stepId: 'dns', undo: DNS_UNDO },
    { type: 'result', stepId: 'dns', outputs: { changeId: 'C1' }, durationMs: 1200, requests: 4, summary: 'app → standby' },
    { type: 'decision', stepId: 'skip-me', phase: 'before', choice: 'skip', who: 'ana@laptop' },
    { type: 'skipped', stepId: 'skip-me', reason: 'skipped by the operator' },
    { type: 'transition', state: 'completed' },
    { type: 'run-end', outcome: 'completed', exitCode: 0, durationMs: 60_000 },
  );

describe('summarize', () => {
  test('a completed run', () => {
    expect(summarize(completed(), () => false)).toEqual({
      runId: 'r1',
      runbook: 'failover',
      file: '/rb/failover.yaml',
      mode: 'run',
      status: 'completed',
      exitCode: 0,
      startedAt: '2026-11-23T04:12:00.000Z',
      lastAt: '2026-11-23T04:13:20.000Z',
      durationMs: 80_000,
      who: 'ana@laptop',
      lastBy: 'ana@laptop',
      host: 'laptop',
      pid: 100,
      changed: ['dns'],
      inFlight: null,
      phase: 'forward',
    });
  });

  test('no end: running while its process lives, unfinished once it is gone', () => {
    const r = run({ type: 'intent', stepId: 'dns', undo: {} });
    expect(summarize(r, () => true).status).toBe('running');
    expect(summarize(r, () => undefined).status).toBe('running');
    expect(summarize(r, () => false)).toMatchObject({ status: 'unfinished', inFlight: 'dns', exitCode: null });
  });
});

describe('stepRows and timeline', () => {
  test('who decided what, when, how long, the outcome and the undo state', () => {
    const rows = stepRows(completed());
    expect(rows).toEqual([
      {
        stepId: 'dns',
        status: 'done',
        startedAt: '2026-11-23T04:12:20.000Z',
        durationMs: 1200,
        attempts: 1,
        outcome: 'app → standby',
        // Journaled before decisions said who decided (no `by`): null, not guessed.
        decisions: [{ at: '2026-11-23T04:12:10.000Z', phase: 'before', choice: 'proceed', who: 'ana@laptop', by: null }],
        undo: 'recorded',
        undoText: DNS_UNDO.text,
        undoMs: null,
      },
      expect.objectContaining({ stepId: 'skip-me', status: 'skipped', outcome: 'skipped: skipped by the operator', undo: 'none' }),
    ]);
    const events = timeline(completed());
    expect(events.map((e) => e.event)).toEqual(['run-start', 'decision', 'step-start', 'intent', 'result', 'decision', 'skipped', 'run-end']);
    expect(events[1]).toMatchObject({ stepId: 'dns', who: 'ana@laptop', by: null, detail: 'before: proceed' });
    expect(events[4]).toMatchObject({ stepId: 'dns', durationMs: 1200, outcome: 'done' });
  });

  test('undo states follow the rollback', () => {
    const r = run(
      { type: 'intent', stepId: 'a', undo: { run: ['./undo.sh'] } },
      { type: 'result', stepId: 'a', outputs: {}, durationMs: 1, requests: 0 },
      { type: 'intent', stepId: 'b', undo: DNS_UNDO },
      { type: 'step-failed', stepId: 'b', error: 'boom', changed: true, durationMs: 5 },
      { type: 'undo-start', stepId: 'b' },
      { type: 'undo-done', stepId: 'b', durationMs: 40 },
      { type: 'undo-start', stepId: 'a' },
      { type: 'undo-failed', stepId: 'a', error: 'exit 1' },
      { type: 'run-end', outcome: 'rollbackFailed', exitCode: 4, durationMs: 100 },
    );
    const rows = Object.fromEntries(stepRows(r).map((s) => [s.stepId, s]));
    expect(rows.a).toMatchObject({ status: 'undo-failed', undo: 'undo-failed' });
    expect(rows.b).toMatchObject({ status: 'rolled-back', undo: 'undone', undoMs: 40, outcome: 'failed: boom' });
    expect(summarize(r, () => false)).toMatchObject({ status: 'rollbackFailed', changed: ['a'], phase: 'rollback' });
  });

  test('a step walked back with nothing to undo keeps how it ran (failed, done), not rolled-back; rollback: false reads not undone', () => {
    const r = run(
      { type: 'intent', stepId: 'ok', undo: { none: true, text: 'nothing to undo: no rollback given' } },
      { type: 'result', stepId: 'ok', outputs: {}, durationMs: 1, requests: 0 },
      { type: 'intent', stepId: 'once', undo: { none: true, irreversible: true } },
      { type: 'result', stepId: 'once', outputs: {}, durationMs: 1, requests: 0 },
      { type: 'intent', stepId: 'boom', undo: { none: true, text: 'nothing to undo: no rollback given' } },
      { type: 'step-failed', stepId: 'boom', error: 'false exited with code 1', changed: true, durationMs: 5 },
      { type: 'undo-start', stepId: 'boom' },
      { type: 'undo-done', stepId: 'boom', durationMs: 1, how: 'undone' },
      { type: 'undo-start', stepId: 'once' },
      { type: 'undo-done', stepId: 'once', durationMs: 1, how: 'not-undone' },
      { type: 'undo-start', stepId: 'ok' },
      { type: 'undo-done', stepId: 'ok', durationMs: 1, how: 'undone' },
      { type: 'run-end', outcome: 'rolledBack', exitCode: 1, durationMs: 100 },
    );
    const rows = Object.fromEntries(stepRows(r).map((s) => [s.stepId, s]));
    expect(rows.boom).toMatchObject({ status: 'failed', undo: 'none' });
    expect(rows.ok).toMatchObject({ status: 'done', undo: 'none' });
    expect(rows.once).toMatchObject({ status: 'not-undone', undo: 'not undone' });
    expect(timeline(r).filter((e) => e.event === 'undo-done').map((e) => [e.stepId, e.detail])).toEqual([
      ['boom', 'nothing to undo'],
      ['once', 'not undone: it cannot be undone (rollback: false)'],
      ['ok', 'nothing to undo'],
    ]);
  });
});

describe('who decided: the operator, or the flag or rule that decided for them', () => {
  const decided = () =>
    run(
      { type: 'decision', stepId: 'dns', phase: 'before', choice: 'proceed', who: 'ana@laptop', by: '--yes' },
      { type: 'decision', stepId: 'hand', phase: 'manual', choice: 'done', who: 'ana@laptop', by: '--confirm' },
      { type: 'decision', stepId: 'hand', phase: 'failure', choice: 'rollback', who: 'ana@laptop', by: 'verify' },
      { type: 'decision', stepId: 'dns', phase: 'undo-failure', choice: 'by-hand', who: 'ana@laptop', by: 'operator', reason: 'put it back' },
      { type: 'step-start', stepId: 'dns', attempt: 1 },
    );

  test('step rows and timeline rows carry `by` from the journal; other events have none', () => {
    const rows = Object.fromEntries(stepRows(decided()).map((s) => [s.stepId, s]));
    expect(rows.dns?.decisions.map((d) => [d.phase, d.who, d.by])).toEqual([
      ['before', 'ana@laptop', '--yes'],
      ['undo-failure', 'ana@laptop', 'operator'],
    ]);
    expect(rows.hand?.decisions.map((d) => d.by)).toEqual(['--confirm', 'verify']);
    const events = timeline(decided());
    expect(events.map((e) => [e.event, e.who, e.by])).toEqual([
      ['run-start', 'ana@laptop', null],
      ['decision', 'ana@laptop', '--yes'],
      ['decision', 'ana@laptop', '--confirm'],
      ['decision', 'ana@laptop', 'verify'],
      ['decision', 'ana@laptop', 'operator'],
      ['step-start', null, null],
    ]);
  });

  test('decidedBy: a person as themselves; a flag or verify never as a person', () => {
    expect(decidedBy('ana@laptop', 'operator')).toBe('ana@laptop');
    expect(decidedBy('ana@laptop', null)).toBe('ana@laptop');
    expect(decidedBy('ana@laptop', undefined)).toBe('ana@laptop');
    expect(decidedBy('ana@laptop', '--yes')).toBe('ana@laptop via --yes');
    expect(decidedBy('ana@laptop', '--confirm')).toBe('ana@laptop via --confirm');
    expect(decidedBy('ana@laptop', 'verify')).toBe('ana@laptop via verify');
  });
});

describe('describeUndoRecord', () => {
  test('each kind of undo record, for a person', () => {
    expect(describeUndoRecord(undefined)).toBe('no undo record');
    expect(describeUndoRecord({ dryRun: true })).toMatch(/dry run/);
    expect(describeUndoRecord({ run: ['./announce.sh', 'rolled back'], cwd: 'scripts' })).toBe('run "./announce.sh" "rolled back" in scripts');
    expect(describeUndoRecord({ instructions: 'Tell the channel.\nThen wait.' })).toBe('by hand: Tell the channel.');
    expect(describeUndoRecord({ none: true, irreversible: true })).toMatch(/cannot be undone/);
    // A type's record reads as the text journaled with it: nothing here knows the type's shape.
    expect(describeUndoRecord({ v: 1, kind: 's3', bucket: 'data', created: ['db/a'], text: 's3://data/db/: delete 1 object(s) it created (db/a)' })).toBe(
      's3://data/db/: delete 1 object(s) it created (db/a)',
    );
    // Without one (a journal from before the text was kept), the record itself, shortened.
    const bare = describeUndoRecord({ kind: 'x', keys: Array.from({ length: 100 }, (_, i) => `key-${i}`) });
    expect(bare.startsWith('{"kind":"x","keys":["key-0"')).toBe(true);
    expect(bare.endsWith('…')).toBe(true);
  });
});
