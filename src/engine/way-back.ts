/**
 * The way back, as a run like any other: planned, shown, confirmed, re-checked against the
 * world before each write.
 *
 * - preview: every step to undo re-reads what it left (`now → after undo`). For `lifeboat
 *   rollback` a drifted step refuses the whole rollback before any change (exit 3) unless
 *   --ignore-drift; then, at a terminal, the operator is asked before the first change.
 * - undo: right before each step's undo, the same re-read; drift stops the rollback there
 *   (an automatic rollback ends with exit 4), unless accepted (--ignore-drift, or "undo
 *   anyway" at the prompt of a rollback a person asked for; never in an automatic one).
 *   `rollback: false` steps are reported `not undone`; --skip-undo marks a step done by hand.
 * - a failed undo: retry, undo anyway (drift, in a rollback a person asked for), done by hand with a reason, or stop.
 */
import { RefusedError } from '../errors.js';
import type { RollbackChoice, RollbackPreviewInput, UndoFailureChoice, UndoFailureInput, UndoInput, UndoOutput } from '../machine/compile.js';
import type { Step } from '../runbook/model.js';
import type { DriftItem, UndoPreview } from '../steps/types.js';
import type { Ui } from '../ui/console.js';
import type { Decisions } from './decisions.js';
import { errorText, type Scope, type StepInvoker } from '../steps/invoke.js';
import { WrongAccountError } from '../steps/aws-scope.js';
import type { RunJournal } from './journal-observer.js';
import { isDryRunUndo, isNothingToUndo, type StepTiming } from './outcome.js';
import { sealedUndoRefusal } from '../util/redact.js';

export interface WayBackOptions {
  invoker: StepInvoker;
  journal: RunJournal;
  decisions: Decisions;
  ui: Ui;
  runId: string;
  ignoreDrift: boolean;
  skipUndo: ReadonlySet<string>;
  /** The run being rolled back had completed: declining at the prompt refuses (see ExecutionOptions). */
  rollsBackCompleted: boolean;
  timings: Record<string, StepTiming>;
}

/** What a step left has changed since: undoing it would overwrite someone's later change. */
export class DriftError extends Error {
  constructor(
    readonly stepId: string,
    readonly items: DriftItem[],
  ) {
    super(`drift: ${describeDriftItems(items)}`);
    this.name = 'DriftError';
  }
}

export function describeDriftItems(items: readonly DriftItem[]): string {
  return items.map((d) => `${d.resource}: the step left ${d.left}, now ${d.now}`).join('; ');
}

/** A step that cannot be undone: declared `rollback: false` (its undo record says so too). */
export function isIrreversible(step: Step, undo: unknown): boolean {
  return step.rollback === false || (typeof undo === 'object' && undo !== null && (undo as { irreversible?: unknown }).irreversible === true);
}

export class WayBack {
  /** The step whose last undo attempt stopped at drift (the failure decision offers "undo anyway"). */
  private driftAt: string | undefined;
  /** A rollback a person asked for (`lifeboat rollback`, resume of one): drift may be overridden at the prompt. */
  private asked = false;

  constructor(private readonly o: WayBackOptions) {}

  private scope(input: { params: Record<string, string>; outputs: Scope['outputs'] }): Scope {
    return { params: input.params, outputs: input.outputs };
  }

  /** Re-read what a step left: undefined when the step type has nothing in the world to compare. */
  private async inspect(step: Step, undo: unknown, left: unknown, scope: Scope, signal: AbortSignal): Promise<UndoPreview | undefined> {
    const impl = await this.o.invoker.impl(step);
    if (!impl.previewUndo || undo === undefined || isDryRunUndo(undo)) return undefined;
    const w = this.o.invoker.resolveForUndo(step, scope);
    return impl.previewUndo(this.o.invoker.context(step, { signal }), w, undo, left);
  }

  async preview(input: RollbackPreviewInput, signal: AbortSignal): Promise<RollbackChoice> {
    const { ui } = this.o;
    const steps = [...input.applied].reverse();
    // Asked for by a person (`lifeboat rollback`, or `lifeboat resume` of a run that was
    // rolling back): refused on drift, and asked before the first change, like any run.
    const command = input.reason === 'command' || input.reason === 'resume';
    this.asked = command;
    ui.heading(`The way back: ${steps.length === 1 ? '1 step' : `${steps.length} steps`} to undo, newest first (${steps.join(', ')})`);
    const drifted: Array<{ stepId: string; items: DriftItem[] }> = [];
    const wrongAccount: WrongAccountError[] = [];
    for (const stepId of steps) {
      const step = this.o.invoker.step(stepId);
      const undo = input.undos[stepId];
      const impl = await this.o.invoker.impl(step);
      if (this.o.skipUndo.has(stepId)) {
        ui.info(`  ${stepId}: done by hand (--skip-undo): not touched`);
        continue;
      }
      if (isIrreversible(step, undo)) {
        ui.warn(`  ${stepId}: cannot be undone (rollback: false): not undone`);
        continue;
      }
      if (isDryRunUndo(undo)) {
        ui.info(`  ${stepId}: dry-run: nothing was changed, nothing to undo`);
        continue;
      }
      const w = this.o.invoker.resolveForUndo(step, this.scope(input));
      const what = impl.describeUndo ? impl.describeUndo(w, undo) : 'undo';
      ui.info(`  ${stepId} (${step.type}): ${what}`);
      let preview: UndoPreview | undefined;
      try {
        preview = await this.inspect(step, undo, input.left[stepId], this.scope(input), signal);
      } catch (err) {
        if (err instanceof WrongAccountError) {
          wrongAccount.push(err);
          ui.error(`    ${err.message}`);
          continue;
        }
        ui.warn(`    could not re-read what ${stepId} left: ${errorText(err)} (checked again right before its undo)`);
        continue;
      }
      if (!preview) continue;
      for (const l of preview.lines) ui.info(`    ${l.kind === 'change' ? '~' : l.kind === 'add' ? '+' : l.kind === 'remove' ? '-' : ' '} ${l.text}`);
      if (preview.drift.length > 0) {
        drifted.push({ stepId, items: preview.drift });
        for (const d of preview.drift) ui.warn(`    DRIFT ${d.resource}: the step left ${d.left}, now ${d.now}`);
      }
    }
    if (!command) return 'go';
    const wrong = wrongAccount[0];
    if (wrong) {
      throw new RefusedError({ what: `rollback refused, nothing was changed: ${wrong.message.replace(/: nothing was done$/, '')}`, where: `step ${wrongAccount.map((e) => e.stepId).join(', ')}`, hint: wrong.hint });
    }
    if (drifted.length > 0) {
      if (!this.o.ignoreDrift) {
        for (const d of drifted) await this.o.journal.write({ type: 'drift', stepId: d.stepId, items: d.items, action: 'refused' });
        const first = drifted[0] as { stepId: string; items: DriftItem[] };
        throw new RefusedError({
          what: `rollback refused, nothing was changed: what ${drifted.map((d) => d.stepId).join(', ')} left has changed since (drift): ${drifted.map((d) => describeDriftItems(d.items.slice(0, 3))).join('; ')}`,
          where: `step ${first.stepId}`,
          hint: `someone changed it after the run: find out who and why first; to put back the state from before the run over their change, run lifeboat rollback ${this.o.runId} --ignore-drift`,
        });
      }
      for (const d of drifted) {
        await this.o.journal.write({ type: 'drift', stepId: d.stepId, items: d.items, action: 'ignored' });
        await this.o.decisions.record(d.stepId, 'drift', 'undo anyway', { by: '--ignore-drift' });
      }
      ui.warn(`--ignore-drift: undoing over the later changes listed above`);
    }
    if (!this.o.decisions.interactive) {
      await this.o.decisions.record(undefined, 'rollback', 'go');
      return 'go';
    }
    if (await this.o.decisions.rollback(steps, signal)) return 'go';
    if (this.o.rollsBackCompleted) {
      throw new RefusedError({
        what: 'rollback declined at the prompt: nothing was changed',
        hint: `run ${this.o.runId} stays completed, its changes in place; to undo it later: lifeboat rollback ${this.o.runId}`,
      });
    }
    return 'decline';
  }

  async undo(input: UndoInput): Promise<UndoOutput> {
    const { ui, journal } = this.o;
    const step = this.o.invoker.step(input.stepId);
    const impl = await this.o.invoker.impl(step);
    const started = Date.now();
    const done = async (how: UndoOutput['how']): Promise<UndoOutput> => {
      const ms = Date.now() - started;
      this.o.timings[step.id] = { ...this.o.timings[step.id], undoMs: ms };
      await journal.write({ type: 'undo-done', stepId: step.id, durationMs: ms, how });
      return { how };
    };
    await journal.write({ type: 'undo-start', stepId: step.id });
    ui.heading(`↶ rolling back ${step.id} (${step.type})`);
    if (this.o.skipUndo.has(step.id)) {
      await this.o.decisions.record(step.id, 'undo-failure', 'by-hand', { by: '--skip-undo', reason: 'undone by hand (--skip-undo)' });
      ui.ok(`${step.id}: marked done by hand (--skip-undo); not touched`);
      return done('by-hand');
    }
    if (isIrreversible(step, input.undo)) {
      ui.warn(`✘ ${step.id} not undone: it cannot be undone (rollback: false)`);
      return done('not-undone');
    }
    if (isDryRunUndo(input.undo)) {
      ui.info('dry-run: would roll back this step');
      return done('undone');
    }
    if (!impl.rollback || isNothingToUndo(input.undo)) {
      // Not "rolled back": there was nothing to undo (e.g. a shell step with no `rollback:`).
      ui.ok(`${step.id}: nothing to undo`);
      return done('undone');
    }
    // A record still sealed (a secret param not given again) is never carried out.
    const sealed = sealedUndoRefusal(step.id, input.undo, this.o.invoker.secretParamNames);
    if (sealed !== undefined) {
      await journal.write({ type: 'undo-failed', stepId: step.id, error: sealed });
      ui.error(sealed);
      throw new Error(sealed);
    }
    const scope = this.scope(input);
    const w = this.o.invoker.resolveForUndo(step, scope);
    const signal = new AbortController().signal;
    // Re-checked right before the write: someone may have changed it since the preview.
    const preview = await this.inspect(step, input.undo, input.left, scope, signal);
    if (preview && preview.drift.length > 0) {
      if (this.o.ignoreDrift || input.acceptDrift) {
        await journal.write({ type: 'drift', stepId: step.id, items: preview.drift, action: 'ignored' });
        ui.warn(`${step.id}: undoing over a later change: ${describeDriftItems(preview.drift)}`);
      } else {
        await journal.write({ type: 'drift', stepId: step.id, items: preview.drift, action: 'stopped' });
        this.driftAt = step.id;
        const err = new DriftError(step.id, preview.drift);
        ui.error(`the undo of ${step.id} was not made: what it left has changed since (drift): ${describeDriftItems(preview.drift)}`);
        await journal.write({ type: 'undo-failed', stepId: step.id, error: `drift: ${describeDriftItems(preview.drift)}` });
        throw err;
      }
    }
    if (impl.describeUndo) ui.info(impl.describeUndo(w, input.undo));
    try {
      const ctx = this.o.invoker.context(this.o.invoker.concrete(step, scope), {
        signal,
        priorUndo: input.undo,
        confirmManual: (instructions) => this.o.decisions.manual(step.id, instructions, signal, 'undo'),
        confirmedBy: this.o.decisions.manualConfirmer(step.id, 'undo'),
      });
      await impl.rollback(ctx, w, input.undo, input.left);
    } catch (err) {
      await journal.write({ type: 'undo-failed', stepId: step.id, error: errorText(err) });
      ui.error(`rollback of ${step.id} failed: ${errorText(err)}`);
      throw err;
    }
    const out = await done('undone');
    ui.ok(`${step.id} rolled back`);
    return out;
  }

  async decideFailure(input: UndoFailureInput, signal: AbortSignal): Promise<UndoFailureChoice> {
    const drift = this.driftAt === input.stepId;
    this.driftAt = undefined;
    if (!this.o.decisions.interactive) {
      await this.o.decisions.record(input.stepId, 'undo-failure', 'stop');
      return 'stop';
    }
    const choice = await this.o.decisions.undoFailure(input.stepId, input.error, { drift, undoAnyway: drift && this.asked }, signal);
    if (choice === 'by-hand') await this.o.journal.write({ type: 'undo-done', stepId: input.stepId, durationMs: 0, how: 'by-hand' });
    return choice;
  }
}
