import { describe, expect, it } from 'vitest';
import { manualStep } from '../../src/steps/manual.js';
import { StepError } from '../../src/steps/types.js';
import { testContext, testStep } from '../helpers/step-context.js';

const instructions = 'Call the DBA on duty.\nAsk them to freeze writes on the primary.';

describe('manual', () => {
  it('shows the instructions and asks the operator to confirm', async () => {
    const asked: string[] = [];
    const ctx = testContext(testStep('manual', { instructions }), {
      confirmManual: async (text) => {
        asked.push(text);
        return true;
      },
    });
    const result = await manualStep.execute(ctx, { instructions });
    expect(asked).toEqual([instructions]);
    expect(ctx.lines.join('\n')).toContain('Call the DBA on duty.');
    expect(ctx.lines.join('\n')).toContain('Ask them to freeze writes on the primary.');
    expect(result.outputs).toEqual({});
  });

  it('its summary says who confirmed: the operator, or the flag that answered for them', async () => {
    const byPerson = await manualStep.execute(testContext(testStep('manual', { instructions }), { confirmedBy: 'the operator' }), { instructions });
    expect(byPerson.summary).toBe('done by hand, confirmed by the operator');
    const byFlag = await manualStep.execute(testContext(testStep('manual', { instructions }), { confirmedBy: '--confirm step-under-test=done' }), { instructions });
    expect(byFlag.summary).toBe('done by hand, confirmed by --confirm step-under-test=done');
    expect(byFlag.summary).not.toMatch(/operator/);
  });

  it('fails when the operator does not confirm', async () => {
    const ctx = testContext(testStep('manual', { instructions }), { confirmManual: async () => false });
    const err = await manualStep.execute(ctx, { instructions }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).message).toBe('operator did not confirm "step-under-test" was done');
    expect((err as StepError).hint).toContain('--confirm step-under-test=done');
  });

  it('journals the undo instructions before asking, and rollback shows and confirms them', async () => {
    const undoText = 'Ask the DBA to unfreeze writes.';
    const order: string[] = [];
    const asked: string[] = [];
    const ctx = testContext(testStep('manual', { instructions }, { rollback: { instructions: undoText } }), {
      confirmManual: async (text) => {
        order.push('confirm');
        asked.push(text);
        return true;
      },
    });
    const record = ctx.recordUndo;
    ctx.recordUndo = async (undo) => {
      order.push('undo');
      await record(undo);
    };
    await manualStep.execute(ctx, { instructions });
    expect(order).toEqual(['undo', 'confirm']);
    expect(ctx.undoRecords).toEqual([{ instructions: undoText }]);
    expect(manualStep.describeUndo?.({ instructions }, ctx.undoRecords[0])).toContain(undoText);

    ctx.lines.length = 0;
    await manualStep.rollback?.(ctx, { instructions }, ctx.undoRecords[0]);
    expect(asked).toEqual([instructions, undoText]);
    expect(ctx.lines.join('\n')).toContain(undoText);
  });

  it('a rollback the operator does not confirm fails', async () => {
    const ctx = testContext(testStep('manual', { instructions }), { confirmManual: async () => false });
    const err = await Promise.resolve(manualStep.rollback?.(ctx, { instructions }, { instructions: 'undo it' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as Error).message).toMatch(/did not confirm the undo of "step-under-test"/);
  });

  it('without undo instructions, rollback does nothing and asks nothing', async () => {
    let asked = 0;
    const ctx = testContext(testStep('manual', { instructions }), {
      confirmManual: async () => {
        asked++;
        return true;
      },
    });
    await manualStep.execute(ctx, { instructions });
    expect(ctx.undoRecords).toEqual([{ none: true }]);
    await manualStep.rollback?.(ctx, { instructions }, ctx.undoRecords[0]);
    expect(asked).toBe(1);
    expect(manualStep.describeUndo?.({ instructions }, ctx.undoRecords[0])).toBe('nothing to undo: no undo instructions given');
  });

  it('plans the instruction text as a mutating step', async () => {
    const ctx = testContext(testStep('manual', { instructions }));
    const plan = await manualStep.plan(ctx, { instructions });
    expect(plan.lines.map((l) => l.text)).toEqual([
      'Call the DBA on duty.',
      'Ask them to freeze writes on the primary.',
      'undo: nothing to undo: no undo instructions given',
    ]);
    expect(plan.mutating).toBe(true);
    expect(plan.counts).toEqual({});
  });

  it('does not ask in a dry run', async () => {
    let asked = 0;
    const ctx = testContext(testStep('manual', { instructions }), {
      dryRun: true,
      confirmManual: async () => {
        asked++;
        return true;
      },
    });
    await manualStep.execute(ctx, { instructions });
    expect(asked).toBe(0);
    expect(ctx.lines.join('\n')).toContain('Call the DBA on duty.');
  });
});
