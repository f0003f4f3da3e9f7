import { describe, expect, test } from 'vitest';
import { ScriptedPrompter } from '../../src/prompt/scripted.js';

const prompter = (confirmations: Record<string, string>, onFailure: 'rollback' | 'abort' = 'rollback') =>
  new ScriptedPrompter({ who: 'ci@host', onFailure, confirmations: new Map(Object.entries(confirmations)) });

describe('ScriptedPrompter: the flags answer, and only for what they name', () => {
  test('a forward --confirm <id>=done never answers the undo of that manual step', async () => {
    expect(await prompter({ 'confirm-outage': 'done' }).manualDone('confirm-outage', 'do it')).toBe(true);
    expect(await prompter({ 'confirm-outage': 'done' }).manualDone('confirm-outage', 'undo it', undefined, 'undo')).toBe(false);
    expect(await prompter({ 'confirm-outage:undo': 'done' }).manualDone('confirm-outage', 'undo it', undefined, 'undo')).toBe(true);
    expect(await prompter({ 'confirm-outage:undo': 'done' }).manualDone('confirm-outage', 'do it')).toBe(false);
  });

  test('says whether a --confirm answers a step (or its undo), so nobody’s answer is journaled as the flag’s', () => {
    const p = prompter({ hand: 'done', 'dns:undo': 'done' });
    expect(p.answered('hand', 'do')).toBe(true);
    expect(p.answered('hand', 'undo')).toBe(false);
    expect(p.answered('dns', 'do')).toBe(false);
    expect(p.answered('dns', 'undo')).toBe(true);
  });

  test('after a failed undo nobody can say "done by hand": the rollback stops', async () => {
    expect(await prompter({}).undoFailed()).toEqual({ choice: 'stop' });
  });

  test('--on-failure decides after a failure and an interrupt', async () => {
    expect(await prompter({}, 'abort').afterFailure({ stepId: 's', error: 'x', canRollback: true })).toBe('abort');
    expect(await prompter({}, 'abort').interrupted()).toBe('leave');
    expect(await prompter({}, 'rollback').interrupted()).toBe('rollback');
  });
});
