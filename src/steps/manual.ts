/**
 * `manual`: a person does something the tool cannot (call the vendor, flip a switch in a
 * console). The instructions are shown and the operator confirms it is done. Undo is the
 * step's `rollback.instructions`, shown and confirmed the same way.
 */
import { z } from 'zod';
import { defineStepType } from './descriptor.js';
import { StepError, type PlanLine, type StepContext, type StepImpl, type StepPlan, type StepResult } from './types.js';

const manualWith = z.strictObject({
  instructions: z.string().min(1),
});
export type ManualWith = z.output<typeof manualWith>;

/** What the manual step journals before asking: what to do by hand to undo it, if anything. */
export type ManualUndo = { instructions: string } | { none: true; irreversible?: true } | { run: string[]; cwd?: string; env?: Record<string, string>; timeout?: string };

function undoOf(ctx: StepContext): ManualUndo {
  const rollback = ctx.step.rollback;
  if (rollback === false) return { none: true, irreversible: true };
  if (rollback === undefined) return { none: true };
  if ('instructions' in rollback) return { instructions: rollback.instructions };
  // A command undo on a manual step: journaled like a shell step's, run by the same code.
  const undo: ManualUndo = { run: [...rollback.run] };
  if (rollback.cwd !== undefined) undo.cwd = rollback.cwd;
  if (rollback.env !== undefined) undo.env = { ...rollback.env };
  if (rollback.timeout !== undefined) undo.timeout = rollback.timeout;
  return undo;
}

function showInstructions(ctx: StepContext, heading: string, text: string): void {
  ctx.out.info(heading);
  for (const line of text.split(/\r?\n/)) ctx.out.info(`  ${line}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

export function describeManualUndo(undo: unknown): string {
  if (isRecord(undo) && typeof undo.instructions === 'string') return `the operator undoes it by hand: ${undo.instructions}`;
  if (isRecord(undo) && Array.isArray(undo.run)) return `run ${(undo.run as string[]).map((a) => JSON.stringify(a)).join(' ')}`;
  if (isRecord(undo) && undo.irreversible === true) return 'IRREVERSIBLE: declared rollback: false; nothing will be undone';
  return 'nothing to undo: no undo instructions given';
}

export const manualStep: StepImpl<ManualWith> = {
  type: 'manual',

  async plan(ctx: StepContext, w: ManualWith): Promise<StepPlan> {
    const lines: PlanLine[] = w.instructions.split(/\r?\n/).map((text) => ({ kind: 'change', text }));
    lines.push({ kind: 'info', text: `undo: ${describeManualUndo(undoOf(ctx))}` });
    const first = w.instructions.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
    return { summary: `the operator does by hand: ${first.trim()}`, lines, counts: {}, mutating: true };
  },

  async execute(ctx: StepContext, w: ManualWith): Promise<StepResult> {
    showInstructions(ctx, `Do this by hand ("${ctx.step.id}"):`, w.instructions);
    if (ctx.dryRun) {
      ctx.out.info('dry run: not asking for confirmation');
      return { outputs: {}, summary: 'dry run: instructions shown' };
    }
    await ctx.recordUndo(undoOf(ctx));
    if (!(await ctx.confirmManual(w.instructions)))
      throw new StepError(`operator did not confirm "${ctx.step.id}" was done`, {
        hint: `do the instructions, then resume the run and confirm (without a TTY: --confirm ${ctx.step.id}=done)`,
      });
    return { outputs: {}, summary: `done by hand, confirmed by ${ctx.confirmedBy ?? 'the operator'}` };
  },

  async rollback(ctx: StepContext, _w: ManualWith, undo: unknown): Promise<void> {
    if (isRecord(undo) && typeof undo.instructions === 'string') {
      showInstructions(ctx, `To undo "${ctx.step.id}", do this by hand:`, undo.instructions);
      if (!(await ctx.confirmManual(undo.instructions)))
        throw new StepError(`operator did not confirm the undo of "${ctx.step.id}" was done`, {
          hint: `do the undo instructions by hand, then run lifeboat rollback again (without a TTY: --confirm ${ctx.step.id}:undo=done)`,
        });
      return;
    }
    if (isRecord(undo) && Array.isArray(undo.run)) {
      const { rollbackFromRecord } = await import('./shell.js');
      await rollbackFromRecord(ctx, undo);
      return;
    }
    ctx.out.info(`"${ctx.step.id}": ${describeManualUndo(undo)}`);
  },

  describeUndo(_w: ManualWith, undo: unknown): string {
    return describeManualUndo(undo);
  },
};

export const manualType = defineStepType({
  type: 'manual',
  description: 'Shows with.instructions; the operator confirms when done. rollback.instructions says how to undo.',
  with: manualWith,
  outputs: [],
  undo: 'instructions',
  confirmedAsDone: true,
  load: async () => manualStep,
});
