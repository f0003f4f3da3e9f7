import { describe, expect, test } from 'vitest';
import { changesInPlace, exitCodeOf, keepsLock, type OutcomeFacts } from '../../src/engine/outcome.js';

const facts = (over: Partial<OutcomeFacts>): OutcomeFacts => ({ final: 'completed', kind: 'forward', changesInPlace: 0, interrupted: false, stoppedByOperator: false, ...over });

describe('exitCodeOf: one decision for every way a run ends (contract §1)', () => {
  test.each<[string, Partial<OutcomeFacts>, number]>([
    ['completed', {}, 0],
    ['refused before any change', { final: 'refused' }, 3],
    ['refused with an earlier run’s changes still in place (rollback drift)', { final: 'refused', kind: 'rollback', changesInPlace: 2 }, 3],
    ['a step failed, everything rolled back', { final: 'rolledBack' }, 1],
    ['the operator aborted before anything changed', { final: 'aborted' }, 1],
    ['the operator aborted with changes in place', { final: 'aborted', changesInPlace: 1, stoppedByOperator: true }, 5],
    ['--on-failure abort left changes in place', { final: 'aborted', changesInPlace: 1 }, 5],
    ['a person chose "leave it" after Ctrl-C', { final: 'suspended', changesInPlace: 1, interrupted: true, stoppedByOperator: true }, 5],
    ['a signal nobody answered, state saved', { final: 'suspended', changesInPlace: 1, interrupted: true }, 130],
    ['a signal, rolled back per --on-failure', { final: 'rolledBack', interrupted: true }, 130],
    ['a rollback failed or stopped at drift', { final: 'rollbackFailed', changesInPlace: 1 }, 4],
    ['the journal could not be written', { final: 'journalFailed', changesInPlace: 1 }, 4],
    ['lifeboat rollback undid everything', { final: 'rolledBack', kind: 'rollback' }, 0],
    ['lifeboat rollback: the operator said "not now"', { final: 'aborted', kind: 'rollback', changesInPlace: 2, stoppedByOperator: true }, 5],
    ['a rehearsal that completed and was cleaned up', { final: 'rolledBack', forward: 'completed' }, 0],
    ['a rehearsal that failed and was cleaned up', { final: 'rolledBack', forward: 'aborted' }, 1],
  ])('%s → %i', (_what, over, code) => {
    expect(exitCodeOf(facts(over))).toBe(code);
  });
});

describe('keepsLock: while anything changed is in place', () => {
  test('released on completion and when nothing is left; kept otherwise', () => {
    expect(keepsLock('completed', 3)).toBe(false);
    expect(keepsLock('rolledBack', 0)).toBe(false);
    expect(keepsLock('aborted', 0)).toBe(false);
    expect(keepsLock('aborted', 1)).toBe(true);
    expect(keepsLock('suspended', 1)).toBe(true);
    expect(keepsLock('rollbackFailed', 1)).toBe(true);
    expect(keepsLock('journalFailed', 1)).toBe(true);
  });

  test('a rollback refused before any change keeps the lock only if the run held it: a completed run had released it', () => {
    expect(keepsLock('refused', 2, false)).toBe(false);
    expect(keepsLock('refused', 2, true)).toBe(true);
    expect(keepsLock('aborted', 2, false)).toBe(true);
  });

  test('a dry run changed nothing: its steps are not changes in place', () => {
    expect(changesInPlace({ applied: ['a', 'b'], undos: { a: { dryRun: true }, b: { kind: 'x' } } })).toEqual(['b']);
  });
});
