/**
 * A step that ran and was not undone by the rollback — it cannot be undone (`rollback:
 * false`), a person undid it by hand, or it had nothing to undo — is reported as having run,
 * with its undo saying which, in every report; the rollback never claims to have undone
 * everything (contract §4 "The way back is a run like any other").
 */
import { describe, expect, test } from 'vitest';
import type { RunOutcome } from '../../src/engine/run.js';
import type { EntryBody } from '../../src/journal/format.js';
import type { RunContext } from '../../src/machine/compile.js';
import { buildJournalReport } from '../../src/report/from-journal.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReport, rehearsalExitCode, ReportSchema, type Report } from '../../src/report/model.js';
import { parseRunbook } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/model.js';
import { FINISHED } from './outcomes.js';
import { replayedAt, runStart } from '../helpers/journal.js';
import { reportValidator } from './validate.js';
import { findAll, parseXml } from './xml.js';

const YAML = `version: 1
name: nolb
steps:
  - id: a
    type: shell
    with: { run: ["touch", "/tmp/x/na"] }
    rollback: { run: ["rm", "-f", "/tmp/x/na"] }
  - id: once
    type: shell
    with: { run: ["touch", "/tmp/x/nonce"] }
    rollback: false
  - id: boom
    type: shell
    with: { run: ["false"] }
`;

function runbook(): Runbook {
  const { runbook: rb, problems } = parseRunbook(YAML, 'nolb.yaml');
  if (!rb) throw new Error(problems.map((p) => p.message).join('\n'));
  return rb;
}

const UNDO_A = { run: ['rm', '-f', '/tmp/x/na'], text: 'run "rm" "-f" "/tmp/x/na"' };
const UNDO_ONCE = { none: true, irreversible: true, text: 'IRREVERSIBLE: declared rollback: false; nothing will be undone' };
const UNDO_BOOM = { none: true, text: 'nothing to undo: no rollback given' };

function context(over: Partial<RunContext>): RunContext {
  return { params: {}, outputs: {}, applied: [], undos: {}, left: {}, driftAccepted: [], status: {}, skipReasons: {}, plans: {}, interrupted: false, ...over };
}

/** rehearse of a and once (boom skipped by `when` for brevity): both ran, the rollback undid a and could not undo once — as the engine leaves it. */
function rehearsed(onceStatus: 'not-undone' | 'undone-by-hand' = 'not-undone'): RunOutcome {
  return {
    stoppedByOperator: false,
    runId: '20261123T041200Z-nolb-0001',
    final: 'rolledBack',
    forward: 'completed',
    exitCode: 0,
    durationMs: 200,
    forwardMs: 120,
    rollbackMs: 30,
    // once left the undo list when the rollback passed it (popUndone), like a.
    leftChanged: [],
    timings: {
      a: { startedAt: '2026-11-23T04:12:29.900Z', durationMs: 60, undoMs: 10 },
      once: { startedAt: '2026-11-23T04:12:29.960Z', durationMs: 8, undoMs: 4 },
    },
    context: context({
      outputs: { a: { stdout: '', exitCode: 0 }, once: { stdout: '', exitCode: 0 } },
      undos: { a: UNDO_A, once: UNDO_ONCE },
      status: { a: 'rolled-back', once: onceStatus, boom: 'skipped' },
      skipReasons: { boom: 'when: false' },
      rollbackReason: 'rehearsal',
    }),
  };
}

function build(outcome: RunOutcome, mode: Report['mode'] = 'rehearse'): Report {
  return buildReport({ outcome, runbook: runbook(), mode, exitCode: rehearsalExitCode(outcome), finishedAt: FINISHED, lifeboatVersion: '0.1.0', host: 'gameday' });
}

const stepsOf = (r: Report) => r.steps.map((s) => [s.id, s.status, s.undo, s.undoMs, s.skipReason ?? null]);

describe('a rollback: false step in a rehearsal', () => {
  const r = build(rehearsed());

  test('ran and passed, undo not-undone, no time to undo and no "not reached"', () => {
    expect(stepsOf(r)).toEqual([
      ['a', 'rolled-back', 'done', 10, null],
      ['once', 'passed', 'not-undone', null, null],
      ['boom', 'skipped', 'none', null, 'when: false'],
    ]);
  });

  test('the rollback is partial, not done; its change is still in place; the summary names it', () => {
    expect(r.totals.rollback).toBe('partial');
    expect(r.leftChanged).toEqual([{ stepId: 'once', type: 'shell', undo: 'IRREVERSIBLE: declared rollback: false; nothing will be undone' }]);
    expect(r.summary).toBe('rehearse nolb: passed; recovery 120 ms; rolled back in 30 ms except: once (cannot be undone, still changed)');
    // Exit codes are not this report's to change: a completed rehearsal is 0.
    expect(r.exitCode).toBe(0);
  });

  test('conforms to the zod schema and to the committed JSON schema', () => {
    expect(ReportSchema.safeParse(r).success).toBe(true);
    const validate = reportValidator();
    expect(validate(JSON.parse(JSON.stringify(r))), JSON.stringify(validate.errors)).toBe(true);
  });

  test('JUnit: a testcase that ran (no <skipped/>), saying "not undone"; nothing counted skipped', () => {
    const root = parseXml(renderJunit(r));
    const suite = findAll(root, 'testsuite')[0];
    expect(suite?.attrs).toMatchObject({ tests: '3', failures: '0', errors: '0', skipped: '1' });
    const once = findAll(root, 'testcase').find((t) => t.attrs.name === 'once');
    expect(once?.children.map((c) => c.name)).toEqual(['system-out']);
    expect(once?.children[0]?.text).toMatch(/^not undone: this step cannot be undone \(rollback: false\)/);
    expect(findAll(root, 'property').find((p) => p.attrs.name === 'rollback')?.attrs.value).toBe('partial');
  });

  test('Markdown: passed, not undone, and the rollback line names it instead of "everything was undone"', () => {
    const md = renderMarkdown(r);
    const row = md.split('\n').find((l) => l.includes('`once`'));
    expect(row).toMatch(/^\| ✅ \| `once` \| shell \| passed \| 8 ms \| \*\*not undone\*\*/);
    expect(md).not.toMatch(/everything this run changed was undone/);
    expect(md).toContain('**Rollback:** 30 ms, **undone except:** once (cannot be undone, still changed)');
    expect(md).toContain('- `once` (shell): IRREVERSIBLE: declared rollback: false; nothing will be undone');
  });
});

describe('a step undone by hand', () => {
  const r = build(rehearsed('undone-by-hand'));

  test('ran and passed, undo by-hand; the rollback is partial and names it; nothing is left changed', () => {
    expect(r.steps.find((s) => s.id === 'once')).toMatchObject({ status: 'passed', undo: 'by-hand', undoMs: 4 });
    expect(r.totals.rollback).toBe('partial');
    expect(r.leftChanged).toEqual([]);
    expect(r.summary).toMatch(/except: once \(undone by hand\)$/);
  });

  test('JUnit says so in the testcase; Markdown shows "undone by hand"', () => {
    const once = findAll(parseXml(renderJunit(r)), 'testcase').find((t) => t.attrs.name === 'once');
    expect(once?.children.map((c) => c.name)).toEqual(['system-out']);
    expect(once?.children[0]?.text).toMatch(/^undone by hand/);
    expect(renderMarkdown(r)).toMatch(/\| ✅ \| `once` \| shell \| passed \| 8 ms \| undone by hand \|/);
  });
});

// ------------------------------------------------------------------ from the journal

const START = runStart('nolb', { runId: '20261123T041200Z-nolb-0002', source: YAML });

function journal(...bodies: EntryBody[]) {
  return replayedAt([START, ...bodies]);
}

const ran = (id: string, undo: unknown): EntryBody[] => [
  { type: 'step-start', stepId: id, attempt: 1 },
  { type: 'intent', stepId: id, undo },
  { type: 'result', stepId: id, outputs: { stdout: '', exitCode: 0 }, durationMs: 5, requests: 0 },
];
const undone = (id: string, how: 'undone' | 'by-hand' | 'not-undone'): EntryBody[] => [
  { type: 'undo-start', stepId: id },
  { type: 'undo-done', stepId: id, durationMs: 2, how },
];

describe('from the journal (run, show --report)', () => {
  test('a later step failed and the run was rolled back: once ran, was not undone, and is still changed; boom had nothing to undo', () => {
    const run = journal(
      ...ran('a', UNDO_A),
      ...ran('once', UNDO_ONCE),
      { type: 'step-start', stepId: 'boom', attempt: 1 },
      { type: 'intent', stepId: 'boom', undo: UNDO_BOOM },
      { type: 'step-failed', stepId: 'boom', error: 'false exited with code 1 (expected 0)', changed: true, durationMs: 3 },
      { type: 'transition', state: 'rollingBack' },
      ...undone('boom', 'undone'),
      ...undone('once', 'not-undone'),
      ...undone('a', 'undone'),
      { type: 'transition', state: 'rolledBack' },
      { type: 'run-end', outcome: 'rolledBack', exitCode: 1, durationMs: 20 },
    );
    const r = buildJournalReport({ journal: run, runbook: runbook(), lifeboatVersion: '0.1.0' });
    expect(stepsOf(r)).toEqual([
      ['a', 'rolled-back', 'done', 2, null],
      ['once', 'passed', 'not-undone', null, null],
      ['boom', 'failed', 'none', null, null],
    ]);
    expect(r.totals.rollback).toBe('partial');
    expect(r.leftChanged.map((l) => l.stepId)).toEqual(['once']);
    expect(r.exitCode).toBe(1);
  });

  test('rollback <id> with --skip-undo a after a completed run: a by hand, once not undone, both ran', () => {
    const run = journal(
      ...ran('a', UNDO_A),
      ...ran('once', UNDO_ONCE),
      { type: 'skipped', stepId: 'boom', reason: 'when: false' },
      { type: 'transition', state: 'completed' },
      { type: 'run-end', outcome: 'completed', exitCode: 0, durationMs: 20 },
      { type: 'resumed', pid: 101, by: 'ana@laptop', force: false, command: 'rollback' },
      { type: 'transition', state: 'rollingBack' },
      ...undone('once', 'not-undone'),
      { type: 'decision', stepId: 'a', phase: 'undo-failure', choice: 'by-hand', who: 'ana@laptop', by: '--skip-undo', reason: 'undone by hand (--skip-undo)' },
      ...undone('a', 'by-hand'),
      { type: 'transition', state: 'rolledBack' },
      { type: 'run-end', outcome: 'rolledBack', exitCode: 0, durationMs: 30 },
    );
    const r = buildJournalReport({ journal: run, runbook: runbook(), lifeboatVersion: '0.1.0' });
    expect(r.steps.map((s) => [s.id, s.status, s.undo])).toEqual([
      ['a', 'passed', 'by-hand'],
      ['once', 'passed', 'not-undone'],
      ['boom', 'skipped', 'none'],
    ]);
    expect(r.totals.rollback).toBe('partial');
    expect(r.summary).toMatch(/except: a \(undone by hand\), once \(cannot be undone, still changed\)$/);
  });
});
