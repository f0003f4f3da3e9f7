/** Who a decision is journaled as made by: a person, the flag that answered, or verify's own rules. */
import { describe, expect, test } from 'vitest';
import { Decisions, decisionSource, manualConfirmer, TypedConfirmationRefused } from '../../src/engine/decisions.js';
import { RunJournal } from '../../src/engine/journal-observer.js';
import type { DecisionPhase, EntryBody } from '../../src/journal/format.js';
import type { FailureInput } from '../../src/machine/compile.js';
import type { Step } from '../../src/runbook/model.js';
import type { JournalWriter } from '../../src/journal/store.js';
import { ScriptedPrompter } from '../../src/prompt/scripted.js';
import type { Ui } from '../../src/ui/console.js';

const PHASES: DecisionPhase[] = ['before', 'failure', 'interrupt', 'typed', 'manual', 'rollback', 'undo', 'undo-failure', 'drift'];

describe('decisionSource', () => {
  test('at a terminal every decision is the operator’s', () => {
    for (const phase of PHASES) expect(decisionSource(phase, { interactive: true, verify: false })).toBe('operator');
  });

  test('without one, the flag that answers the phase', () => {
    const by = Object.fromEntries(PHASES.map((p) => [p, decisionSource(p, { interactive: false, verify: false })]));
    expect(by).toEqual({
      before: '--yes',
      failure: '--on-failure',
      interrupt: '--on-failure',
      typed: '--confirm',
      manual: '--confirm',
      rollback: '--yes',
      undo: '--confirm',
      'undo-failure': '--on-failure',
      drift: '--ignore-drift',
    });
  });

  test('verify: what --yes and --on-failure would decide elsewhere, its own rules decide; --confirm and explicit flags stay', () => {
    const by = Object.fromEntries(PHASES.map((p) => [p, decisionSource(p, { interactive: false, verify: true })]));
    expect(by).toEqual({
      before: 'verify',
      failure: 'verify',
      interrupt: 'verify',
      typed: '--confirm',
      manual: '--confirm',
      rollback: 'verify',
      undo: '--confirm',
      'undo-failure': 'verify',
      drift: '--ignore-drift',
    });
    expect(decisionSource('undo-failure', { interactive: false, verify: true, explicit: '--skip-undo' })).toBe('--skip-undo');
    // A hang-up decided by --on-failure elsewhere: verify ignores that flag and always rolls back.
    expect(decisionSource('interrupt', { interactive: false, verify: true, explicit: '--on-failure' })).toBe('verify');
    expect(decisionSource('interrupt', { interactive: false, verify: false, explicit: '--on-failure' })).toBe('--on-failure');
  });
});

describe('manualConfirmer', () => {
  test('names the person, or the exact flag that answered', () => {
    expect(manualConfirmer('hand', 'do', 'operator')).toBe('the operator');
    expect(manualConfirmer('hand', 'do', '--confirm')).toBe('--confirm hand=done');
    expect(manualConfirmer('hand', 'undo', '--confirm')).toBe('--confirm hand:undo=done');
  });
});

const failed = (stepId: string): FailureInput => ({ stepId, params: {}, outputs: {}, error: 'boom', canRollback: true });

function decisions(verify: boolean, confirmations: Record<string, string> = {}) {
  const written: EntryBody[] = [];
  // Only what RunJournal uses of a writer: the journal file itself is tested in test/journal/.
  const writer = {
    path: '/nowhere/journal.jsonl',
    append: async (body: EntryBody) => {
      written.push(body);
    },
    onBroken: () => undefined,
  } as unknown as JournalWriter;
  const ui: Ui = { isTTY: false, heading: () => undefined, step: () => undefined, plan: () => undefined, info: () => undefined, ok: () => undefined, warn: () => undefined, error: () => undefined, stream: () => undefined };
  const prompter = new ScriptedPrompter({ who: 'ana@laptop', onFailure: 'rollback', confirmations: new Map(Object.entries(confirmations)) });
  return { d: new Decisions(prompter, new RunJournal(writer), ui, verify), written };
}

describe('Decisions without a terminal', () => {
  test('run --yes: journaled by the flags, and the manual confirmation is named as the flag', async () => {
    const { d, written } = decisions(false, { hand: 'done' });
    await d.record('a', 'before', 'proceed');
    expect(await d.manual('hand', 'flip it', new AbortController().signal)).toBe(true);
    expect(await d.afterFailure(failed('a'))).toBe('rollback');
    expect(written.map((e) => (e.type === 'decision' ? [e.phase, e.who, e.by] : e.type))).toEqual([
      ['before', 'ana@laptop', '--yes'],
      ['manual', 'ana@laptop', '--confirm'],
      ['failure', 'ana@laptop', '--on-failure'],
    ]);
    expect(d.manualConfirmer('hand')).toBe('--confirm hand=done');
  });

  test('verify: journaled by verify, never as a --yes nobody gave', async () => {
    const { d, written } = decisions(true, { hand: 'done', 'hand:undo': 'done' });
    await d.record('a', 'before', 'proceed');
    await d.manual('hand', 'flip it', new AbortController().signal);
    await d.afterFailure(failed('a'));
    await d.manual('hand', 'flip it back', new AbortController().signal, 'undo');
    expect(written.map((e) => (e.type === 'decision' ? [e.phase, e.by] : e.type))).toEqual([
      ['before', 'verify'],
      ['manual', '--confirm'],
      ['failure', 'verify'],
      ['undo', '--confirm'],
    ]);
    expect(written.some((e) => e.type === 'decision' && e.by === '--yes')).toBe(false);
    expect(d.manualConfirmer('hand', 'undo')).toBe('--confirm hand:undo=done');
  });
});

/** A step as the loader makes it: only what Decisions reads. */
function step(id: string, type: string, extra: Partial<Step> = {}): Step {
  return { id, type, confirm: 'typed', with: {}, retries: 0, ...extra } as Step;
}

describe('typed and manual confirmations without a terminal', () => {
  const signal = new AbortController().signal;
  const input = { canRollback: true, index: 2, total: 2 };

  test('no --confirm for the step: refused, journaled as lifeboat’s rule, never as a --confirm nobody gave', async () => {
    const { d, written } = decisions(false, { other: 'x' });
    await expect(d.before(step('sh', 'shell'), input, () => 'sh', signal)).rejects.toBeInstanceOf(TypedConfirmationRefused);
    const typed = written.filter((e) => e.type === 'decision' && e.phase === 'typed');
    expect(typed.map((e) => e.type === 'decision' && [e.choice, e.by])).toEqual([['unanswered', 'lifeboat']]);
    expect(written.some((e) => e.type === 'decision' && e.by === '--confirm')).toBe(false);
  });

  test('a wrong --confirm: refused as the step’s failure (not an abort), journaled as the flag’s', async () => {
    const { d, written } = decisions(false, { dns: 'wrong.example.com' });
    const refused = await d.before(step('dns', 'route53.change-records'), input, () => 'app.example.com', signal).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TypedConfirmationRefused);
    expect((refused as Error).message).toContain('--confirm dns=wrong.example.com does not match the text to type, "app.example.com"');
    expect(d.stoppedByOperator).toBe(false);
    expect(written.flatMap((e) => (e.type === 'decision' ? [[e.phase, e.choice, e.by]] : []))).toEqual([
      ['before', 'proceed', '--yes'],
      ['typed', 'mismatch', '--confirm'],
    ]);
  });

  test('a manual step that needs a typed confirmation, answered with its text: done, named by that --confirm', async () => {
    const { d, written } = decisions(false, { mt: 'mt' });
    expect(await d.before(step('mt', 'manual'), input, () => 'mt', signal)).toBe('proceed');
    expect(d.manualConfirmer('mt')).toBe('--confirm mt=mt');
    expect(await d.manual('mt', 'do it', signal)).toBe(true);
    expect(written.flatMap((e) => (e.type === 'decision' ? [[e.phase, e.choice, e.by]] : []))).toEqual([
      ['before', 'proceed', '--yes'],
      ['typed', 'matched', '--confirm'],
      ['manual', 'done', '--confirm'],
    ]);
  });

  test('an undo done by hand that no --confirm <id>:undo answers: not done, journaled as lifeboat’s rule', async () => {
    const { d, written } = decisions(false, { hand: 'done' });
    expect(await d.manual('hand', 'flip it back', signal, 'undo')).toBe(false);
    expect(written.flatMap((e) => (e.type === 'decision' ? [[e.phase, e.choice, e.by]] : []))).toEqual([['undo', 'unanswered', 'lifeboat']]);
  });
});
