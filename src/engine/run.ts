/**
 * The engine: runs a compiled runbook machine with real actors. It owns the effects the
 * machine names — planning and executing steps, asking the operator, journaling every
 * transition, decision, intent and result — and turns the final state into an exit code.
 */
import { hostname, userInfo } from 'node:os';
import { createActor, fromPromise, type SnapshotFrom } from 'xstate';
import { ExitCode, InterruptedError, type ExitCodeValue } from '../errors.js';
import type { JournalWriter } from '../journal/store.js';
import type { EntryBody, RunMode } from '../journal/format.js';
import {
  compileRunbook,
  StepFailure,
  type BeforeChoice,
  type DecideInput,
  type ExecuteOutput,
  type FailureInput,
  type FinalState,
  type PlanSummary,
  type RunContext,
  type RunInput,
  type StepActorInput,
  type UndoInput,
} from '../machine/compile.js';
import type { Runbook, Step } from '../runbook/model.js';
import { stepTypes } from '../runbook/step-types.js';
import type { AwsClients } from '../aws/clients.js';
import type { Prompter } from '../prompt/types.js';
import { loadStep } from '../steps/index.js';
import { StepError, type StepContext, type StepImpl, type StepPlan, type StepResult } from '../steps/types.js';
import type { Ui } from '../ui/console.js';
import { confirmationMatches, expectedConfirmation, needsTypedConfirmation } from './confirm.js';
import { checkLimits, describeBreaches } from './limits.js';
import { resolveWith } from './resolve.js';
import { substitute } from '../runbook/template.js';
import { evaluateCondition } from '../runbook/condition.js';
import { describeDrift, sameFingerprint } from '../plan/drift.js';
import { sleep } from '../util/sleep.js';

export interface EngineOptions {
  runbook: Runbook;
  runId: string;
  params: Record<string, string>;
  mode: RunMode;
  prompter: Prompter;
  ui: Ui;
  aws: AwsClients;
  journal: JournalWriter;
  env?: NodeJS.ProcessEnv;
  /** --confirm <step-id>=<text> */
  confirmations?: ReadonlyMap<string, string>;
  /** Resume or roll back a journaled run. */
  start?: Pick<RunInput, 'startAt' | 'restore'>;
  /** Fingerprints from a saved plan: refuse before any change when the world moved. */
  expectedFingerprints?: Record<string, unknown>;
  /** Rehearse and verify: once the forward run ends, roll back everything it changed. */
  rollbackAfter?: boolean;
  /** Secret values (secret params, secret-named environment values) to keep out of output. */
  secrets?: readonly string[];
  /** Told of every journal entry once it is written (--notify); must not throw or wait. */
  observer?: ((entry: EntryBody) => void) | undefined;
}

export interface StepTiming {
  startedAt?: string;
  durationMs?: number;
  undoMs?: number;
}

export interface RunOutcome {
  runId: string;
  final: FinalState;
  exitCode: ExitCodeValue;
  context: RunContext;
  durationMs: number;
  rollbackMs: number;
  timings: Record<string, StepTiming>;
  /** What is still changed after a failed rollback: the steps left on the undo list. */
  leftChanged: string[];
  /** With rollbackAfter: how the forward run ended, before the clean-up rollback. */
  forward?: FinalState;
  /** Milliseconds until the forward run ended (the measured recovery time). */
  forwardMs: number;
}

type Impl = StepImpl<Record<string, unknown>>;

export class Execution {
  private readonly o: EngineOptions;
  private readonly machine;
  private readonly stepsById: Map<string, Step>;
  private readonly timings: Record<string, StepTiming> = {};
  private readonly impls = new Map<string, Impl>();
  private readonly startedAt = Date.now();
  private rollbackStartedAt: number | undefined;
  private rollbackMs = 0;
  private interrupts = 0;
  private lastSignal: string | undefined;
  private haltBeforeNextUndo = false;
  /** The machine's current state, e.g. `s:failover-dns.executing`, `rollingBack.undoing`. */
  private state = '';
  private stepAbort: AbortController | undefined;
  private actor: ReturnType<typeof createActor<ReturnType<typeof compileRunbook>>> | undefined;
  private forceExit: ((outcome: RunOutcome) => void) | undefined;
  /** The plan shown at each step's prompt: what the operator approved (re-checked before writing). */
  private readonly shown = new Map<string, StepPlan>();
  private readonly skipsShown = new Set<string>();

  constructor(options: EngineOptions) {
    this.o = options;
    this.stepsById = new Map([...options.runbook.steps, ...options.runbook.require].map((s) => [s.id, s]));
    this.machine = compileRunbook(options.runbook).provide({
      actors: {
        runChecks: fromPromise(async () => this.runChecks()),
        planStep: fromPromise(async ({ input }: { input: StepActorInput }) => this.plan(input)),
        decideBefore: fromPromise(async ({ input, signal }: { input: DecideInput; signal: AbortSignal }) => this.decideBefore(input, signal)),
        executeStep: fromPromise(async ({ input }: { input: StepActorInput }) => this.execute(input)),
        verifyStep: fromPromise(async ({ input }: { input: StepActorInput }) => this.verify(input)),
        decideAfterFailure: fromPromise(async ({ input, signal }: { input: FailureInput; signal: AbortSignal }) => this.decideAfterFailure(input, signal)),
        decideInterrupted: fromPromise(async ({ input }: { input: { stepId: string | undefined; canRollback: boolean } }) => this.decideInterrupted(input)),
        undoStep: fromPromise(async ({ input }: { input: UndoInput }) => this.undo(input)),
      },
    });
  }

  get runId(): string {
    return this.o.runId;
  }

  private get dryRun(): boolean {
    return this.o.mode === 'dry-run';
  }

  private journal(body: EntryBody): Promise<unknown> {
    const written = this.o.journal.append(body);
    if (this.o.observer) void written.then(() => this.o.observer?.(body), () => undefined);
    return written;
  }

  /** Run to a final state. Resolves (never rejects for step failures) with the outcome. */
  async start(): Promise<RunOutcome> {
    let outcome = await this.runActor({ params: this.o.params, ...this.o.start });
    const forwardMs = outcome.durationMs;
    if (this.o.rollbackAfter && (outcome.final === 'completed' || outcome.final === 'aborted') && outcome.context.applied.length > 0) {
      const forward = outcome.final;
      const c = outcome.context;
      this.o.ui.heading('Rolling back everything this run changed');
      const back = await this.runActor({
        params: this.o.params,
        startAt: { rollback: forward === 'completed' ? 'rehearsal' : 'clean-up' },
        restore: { outputs: c.outputs, applied: c.applied, undos: c.undos, status: c.status },
      });
      outcome = { ...back, forward, forwardMs, context: { ...back.context, error: c.error, interrupted: c.interrupted || back.context.interrupted } };
      // A rehearsal that completed and was cleaned up is a success.
      const rehearsed = forward === 'completed' && outcome.final === 'rolledBack' && !outcome.context.interrupted;
      outcome.exitCode = rehearsed ? ExitCode.ok : exitCodeFor(outcome.final, outcome.context.interrupted);
    } else {
      outcome = { ...outcome, forwardMs };
    }
    if (outcome.final === 'refused' && outcome.context.error) await this.journal({ type: 'warning', message: `refused: ${outcome.context.error.message}` });
    // `lifeboat rollback` (or a resume finishing a rollback) has succeeded when everything is undone.
    if (outcome.final === 'rolledBack' && typeof this.o.start?.startAt === 'object' && !outcome.context.interrupted) outcome = { ...outcome, exitCode: ExitCode.ok };
    await this.journal({ type: 'run-end', outcome: outcome.final, exitCode: outcome.exitCode, durationMs: outcome.durationMs });
    await this.o.journal.close();
    return outcome;
  }

  private async runActor(input: RunInput): Promise<RunOutcome> {
    const actor = createActor(this.machine, { input });
    this.actor = actor;
    let lastState = '';
    const done = new Promise<RunOutcome>((resolve, reject) => {
      this.forceExit = resolve;
      actor.subscribe({
        next: (snap) => {
          const state = stateName(snap.value);
          if (state !== lastState) {
            lastState = state;
            this.state = state;
            void this.journal({ type: 'transition', state });
            if (state.startsWith('rollingBack') && this.rollbackStartedAt === undefined) this.rollbackStartedAt = Date.now();
          }
          for (const [id, reason] of Object.entries(snap.context.skipReasons)) {
            if (this.skipsShown.has(id)) continue;
            this.skipsShown.add(id);
            this.o.ui.info(`⤼ ${id} skipped: ${reason}`);
            void this.journal({ type: 'skipped', stepId: id, reason });
          }
          if (snap.status === 'done') resolve(this.finish(snap));
        },
        error: reject,
      });
    });
    actor.start();
    return done;
  }

  /**
   * Ctrl-C or SIGTERM. The first stops the current step at a safe point and asks (or follows
   * --on-failure); a second one journals and ends the run at once, state kept for resume.
   */
  interrupt(signal: string): void {
    this.interrupts += 1;
    this.lastSignal = signal;
    if (this.interrupts === 1) {
      if (this.stepAbort) {
        // A step is executing: it stops at a safe point and its failure leads to `interrupted`.
        this.stepAbort.abort(new InterruptedError(`${signal} received`));
        return;
      }
      if (this.state.startsWith('rollingBack')) {
        // Undoing: finish the undo in flight, then stop; `lifeboat rollback <id>` undoes the rest.
        this.haltBeforeNextUndo = true;
        this.o.ui.warn(`${signal}: stopping once the undo in progress is done (a second ${signal} stops at once); lifeboat rollback ${this.o.runId} undoes the rest`);
        return;
      }
      this.actor?.send({ type: 'INTERRUPT' });
      return;
    }
    this.halt(signal);
  }

  /** End the run now, state kept for resume: journaled as an interrupt with action `exit`. */
  private halt(signal: string): void {
    void this.journal({ type: 'interrupt', signal, action: 'exit' }).finally(() => {
      const snap = this.actor?.getSnapshot();
      this.actor?.stop();
      if (snap && this.forceExit) this.forceExit({ ...this.finish(snap), final: 'suspended', exitCode: ExitCode.interrupted });
    });
  }

  private finish(snap: SnapshotFrom<ReturnType<typeof compileRunbook>>): RunOutcome {
    const final = (typeof snap.value === 'string' ? snap.value : 'suspended') as FinalState;
    const ctx = snap.context;
    if (this.rollbackStartedAt !== undefined && this.rollbackMs === 0) this.rollbackMs = Date.now() - this.rollbackStartedAt;
    return {
      runId: this.o.runId,
      final,
      exitCode: exitCodeFor(final, ctx.interrupted),
      context: ctx,
      durationMs: Date.now() - this.startedAt,
      rollbackMs: this.rollbackMs,
      timings: this.timings,
      leftChanged: [...ctx.applied],
      forwardMs: Date.now() - this.startedAt,
    };
  }

  // ------------------------------------------------------------------ actors

  private async impl(step: Step): Promise<Impl> {
    let impl = this.impls.get(step.type);
    if (!impl) {
      impl = (await loadStep(step.type)) as unknown as Impl;
      this.impls.set(step.type, impl);
    }
    return impl;
  }

  private step(id: string): Step {
    const s = this.stepsById.get(id);
    if (!s) throw new Error(`no step "${id}" in ${this.o.runbook.file}`);
    return s;
  }

  private context(step: Step, signal: AbortSignal, priorUndo: unknown, recordUndo: (u: unknown) => Promise<void>): StepContext {
    const ui = this.o.ui;
    return {
      step,
      runbookDir: this.o.runbook.dir,
      runbook: { name: this.o.runbook.name, rpoMs: this.o.runbook.rpoMs },
      dryRun: this.dryRun,
      signal,
      aws: this.o.aws,
      out: { info: (l) => ui.info(l), stream: (c) => ui.stream(c), isTTY: ui.isTTY },
      env: this.o.env ?? process.env,
      now: () => new Date(),
      recordUndo,
      priorUndo,
      secrets: this.o.secrets ?? [],
      confirmManual: async (instructions) => {
        const ok = await this.o.prompter.manualDone(step.id, instructions, signal);
        await this.journal({ type: 'decision', stepId: step.id, phase: 'manual', choice: ok ? 'done' : 'not done', who: this.o.prompter.who });
        return ok;
      },
    };
  }

  private resolve(step: Step, input: { params: Record<string, string>; outputs: RunContext['outputs'] }): Record<string, unknown> {
    return resolveWith(step, { params: input.params, outputs: input.outputs });
  }

  /** The step with `${{ }}` in its rollback spec substituted too, so the undo record is concrete. */
  private concrete(step: Step, input: { params: Record<string, string>; outputs: RunContext['outputs'] }): Step {
    if (!step.rollback) return step;
    try {
      return { ...step, rollback: substitute(step.rollback, { params: input.params, outputs: input.outputs }) };
    } catch {
      return step;
    }
  }

  private async runChecks(): Promise<void> {
    const checks = this.o.runbook.require;
    if (checks.length === 0) return;
    this.o.ui.heading(`Preconditions (${checks.length})`);
    for (const check of checks) {
      if (check.when && !evaluateCondition(check.when, { params: this.o.params, outputs: {} })) {
        this.o.ui.info(`${check.id}: skipped (when: ${check.when} is false)`);
        continue;
      }
      const impl = await this.impl(check);
      const w = this.resolve(check, { params: this.o.params, outputs: {} });
      const ctx = this.context(check, new AbortController().signal, undefined, async () => {
        throw new Error(`require check ${check.id} tried to change something`);
      });
      try {
        const result = await impl.execute(ctx, w);
        this.o.ui.ok(`${check.id}: ${result.summary ?? 'passed'}`);
      } catch (err) {
        this.o.ui.error(`${check.id}: ${errorText(err)}`);
        throw new Error(`precondition ${check.id} failed: ${errorText(err)}; nothing was changed`);
      }
    }
  }

  private async plan(input: StepActorInput): Promise<PlanSummary> {
    const step = this.step(input.stepId);
    const index = this.o.runbook.steps.indexOf(step) + 1;
    this.o.ui.step(index, this.o.runbook.steps.length, step.id, step.type, step.description);
    let plan: StepPlan;
    try {
      const impl = await this.impl(step);
      const w = this.resolve(step, input);
      plan = await impl.plan(this.context(this.concrete(step, input), new AbortController().signal, undefined, refuseUndo), w);
    } catch (err) {
      // Without a TTY nobody is asked about this failure: say it here, or the run just ends "aborted".
      this.o.ui.error(errorText(err));
      const hint = err instanceof StepError ? err.hint : undefined;
      if (hint) this.o.ui.info(`→ ${hint}`);
      throw err;
    }
    this.o.ui.plan(plan);
    if (step.rollback === false) this.o.ui.warn('IRREVERSIBLE: this step cannot be undone (rollback: false)');
    await this.journal({ type: 'plan', stepId: step.id, summary: plan.summary, mutating: plan.mutating, counts: plan.counts as Record<string, number> });
    this.shown.set(step.id, plan);
    this.checkDrift(step, plan);
    const breaches = checkLimits(plan.counts, step.limits);
    if (breaches.length > 0) {
      const message = `step ${step.id} exceeds its blast-radius limits (${describeBreaches(breaches)}); nothing was changed`;
      const hint = 'if this is really meant, raise the limit in the runbook under `limits:` for this step';
      this.o.ui.error(message);
      this.o.ui.info(`→ ${hint}`);
      throw new StepError(message, { hint });
    }
    return { ...plan, summary: plan.summary, mutating: plan.mutating };
  }

  private checkDrift(step: Step, plan: StepPlan): void {
    const expected = this.o.expectedFingerprints;
    if (!expected || !(step.id in expected)) return;
    if (!sameFingerprint(expected[step.id], plan.fingerprint)) {
      const moved = describeDrift(expected[step.id], plan.fingerprint ?? null);
      const message = `step ${step.id}: the world moved since the saved plan was made; nothing was changed: ${moved.join('; ')}`;
      const hint = 'run lifeboat plan again and review the new plan';
      this.o.ui.error(message);
      this.o.ui.info(`→ ${hint}`);
      throw new StepError(message, { hint });
    }
  }

  /**
   * The operator approved the plan shown at the prompt. If the world moved while they read
   * it, stop before the first write and say what moved (a retry plans and asks again). Only
   * when a person was asked: without one the plan is milliseconds old, and each step also
   * re-checks at write time.
   */
  private async recheckApproved(step: Step, impl: Impl, input: StepActorInput): Promise<void> {
    const shown = this.shown.get(step.id);
    this.shown.delete(step.id);
    if (!shown || shown.fingerprint === undefined || shown.fingerprint === null || input.undo !== undefined) return;
    if (!this.o.prompter.interactive || (step.confirm === 'none' && !needsTypedConfirmation(step))) return;
    const now = await impl.plan(this.context(step, new AbortController().signal, undefined, refuseUndo), this.resolve(step, input));
    const moved = describeDrift(shown.fingerprint, now.fingerprint ?? null, { before: shown.lines, now: now.lines });
    if (moved.length === 0) return;
    const message = `step ${step.id}: the world moved since the plan shown at the prompt; nothing was changed: ${moved.join('; ')}`;
    await this.journal({ type: 'step-failed', stepId: step.id, error: message, changed: false, durationMs: 0 });
    this.o.ui.error(message);
    this.o.ui.info('→ find out who changed it before going on; retry plans again and shows the new plan');
    throw new StepFailure(message, undefined, false);
  }

  private async decideBefore(input: DecideInput, signal: AbortSignal): Promise<BeforeChoice> {
    const step = this.step(input.stepId);
    const irreversible = step.rollback === false;
    let choice: BeforeChoice;
    if (step.confirm === 'none' && !needsTypedConfirmation(step)) {
      choice = 'proceed';
    } else {
      choice = await this.o.prompter.beforeStep({
        signal,
        stepId: step.id,
        title: step.description ?? `${step.id} (${step.type})`,
        index: this.o.runbook.steps.indexOf(step) + 1,
        total: this.o.runbook.steps.length,
        canRollback: input.canRollback,
        irreversible,
      });
    }
    await this.journal({ type: 'decision', stepId: step.id, phase: 'before', choice, who: this.o.prompter.who });
    if (choice === 'proceed' && needsTypedConfirmation(step)) {
      const ok = await this.typedConfirmation(step, this.resolve(step, input), signal);
      if (!ok) return 'abort';
    }
    return choice;
  }

  private async typedConfirmation(step: Step, w: Record<string, unknown>, signal?: AbortSignal): Promise<boolean> {
    const expected = expectedConfirmation(step, w);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const typed = await this.o.prompter.typed({ stepId: step.id, expected, attempt, signal });
      const ok = confirmationMatches(step, expected, typed);
      await this.journal({ type: 'decision', stepId: step.id, phase: 'typed', choice: ok ? 'matched' : 'mismatch', who: this.o.prompter.who });
      if (ok) return true;
      this.o.ui.warn(`that is not "${expected}"`);
      if (!this.o.prompter.interactive) return false;
    }
    this.o.ui.error('three wrong confirmations: stopping');
    return false;
  }

  private async execute(input: StepActorInput): Promise<ExecuteOutput> {
    // Until this step settles, Ctrl-C/SIGTERM aborts it (a safe point: the step stops its
    // calls and fails with what it changed on record) instead of leaving the state under it.
    const abort = new AbortController();
    this.stepAbort = abort;
    try {
      const step = this.step(input.stepId);
      const impl = await this.impl(step);
      const info = stepTypes[step.type];
      const started = Date.now();
      this.timings[step.id] = { startedAt: new Date(started).toISOString() };
      const requestsBefore = this.o.aws.requests.total();

      if (this.dryRun && !info.readOnly) {
        this.o.ui.info('dry-run: not executed');
        const outputs = Object.fromEntries(info.outputs.map((name) => [name, `<dry-run ${step.id}.${name}>`]));
        this.timings[step.id] = { ...this.timings[step.id], durationMs: Date.now() - started };
        if (abort.signal.aborted) setImmediate(() => this.actor?.send({ type: 'INTERRUPT' }));
        return { outputs, undo: { dryRun: true }, changed: true };
      }
      return await this.attempts(step, impl, input, abort, started, requestsBefore);
    } finally {
      this.stepAbort = undefined;
    }
  }

  private async attempts(step: Step, impl: Impl, input: StepActorInput, abort: AbortController, started: number, requestsBefore: number): Promise<ExecuteOutput> {
    const info = stepTypes[step.type];
    await this.recheckApproved(step, impl, input);
    const prior = input.undo;
    let captured: unknown = prior;
    const recordUndo = async (undo: unknown): Promise<void> => {
      // The first attempt's record stands; a step may only extend it (steps merge priorUndo).
      if (prior !== undefined && JSON.stringify(undo) === JSON.stringify(captured)) return;
      captured = undo;
      await this.journal({ type: 'intent', stepId: step.id, undo });
    };

    const attempts = step.retries + 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts && !abort.signal.aborted; attempt++) {
      await this.journal({ type: 'step-start', stepId: step.id, attempt });
      const signal = step.timeoutMs ? AbortSignal.any([abort.signal, AbortSignal.timeout(step.timeoutMs)]) : abort.signal;
      try {
        const w = this.resolve(step, input);
        const result: StepResult = await impl.execute(this.context(this.concrete(step, input), signal, captured, recordUndo), w);
        const durationMs = Date.now() - started;
        this.timings[step.id] = { ...this.timings[step.id], durationMs };
        await this.journal({ type: 'result', stepId: step.id, outputs: result.outputs, durationMs, requests: this.o.aws.requests.total() - requestsBefore, summary: result.summary });
        this.o.ui.ok(result.summary ?? `${step.id} done`);
        // Interrupted, but the step finished anyway: stop right after it (it is done and on record).
        if (abort.signal.aborted) setImmediate(() => this.actor?.send({ type: 'INTERRUPT' }));
        return { outputs: result.outputs, undo: captured, changed: captured !== undefined || info.undo !== 'none' };
      } catch (err) {
        lastError = signal.aborted && !abort.signal.aborted ? new StepError(`step ${step.id} timed out after ${step.timeoutMs} ms`, { cause: err }) : err;
        if (abort.signal.aborted || attempt === attempts) break;
        this.o.ui.warn(`attempt ${attempt} of ${attempts} failed: ${errorText(lastError)}; retrying`);
        await sleep(Math.min(30_000, 1000 * 2 ** (attempt - 1)), abort.signal).catch(() => undefined);
      }
    }
    const durationMs = Date.now() - started;
    this.timings[step.id] = { ...this.timings[step.id], durationMs };
    // Ctrl-C at a prompt inside the step (a manual confirmation) is an interrupt too.
    const interrupted = abort.signal.aborted || lastError instanceof InterruptedError;
    const message = interrupted ? `stopped: ${errorText(abort.signal.aborted ? abort.signal.reason : lastError)}` : errorText(lastError);
    const failedOutputs = lastError instanceof StepError ? lastError.outputs : undefined;
    await this.journal({ type: 'step-failed', stepId: step.id, error: message, changed: captured !== undefined, durationMs, outputs: failedOutputs });
    if (interrupted) this.o.ui.warn(message);
    else this.o.ui.error(message);
    const hint = lastError instanceof StepError ? lastError.hint : undefined;
    if (hint && !interrupted) this.o.ui.info(`→ ${hint}`);
    throw new StepFailure(message, captured, captured !== undefined, interrupted, failedOutputs);
  }

  private async verify(input: StepActorInput): Promise<void> {
    const step = this.step(input.stepId);
    const impl = await this.impl(step);
    if (!impl.verify || (this.dryRun && !stepTypes[step.type].readOnly)) return;
    const w = this.resolve(step, input);
    const outputs = input.outputs[step.id] ?? {};
    try {
      await impl.verify(this.context(step, new AbortController().signal, input.undo, refuseUndo), w, { outputs });
    } catch (err) {
      // The result is journaled already: without this entry a resume would take the step as done.
      await this.journal({ type: 'step-failed', stepId: step.id, error: `verify: ${errorText(err)}`, changed: input.undo !== undefined, durationMs: 0 });
      throw err;
    }
  }

  private async decideAfterFailure(input: FailureInput, signal?: AbortSignal) {
    const choice = await this.o.prompter.afterFailure({ stepId: input.stepId, error: input.error, canRollback: input.canRollback, signal });
    // Nothing to undo: a rollback is the same as stopping.
    const effective = choice === 'rollback' && !input.canRollback ? 'abort' : choice;
    await this.journal({ type: 'decision', stepId: input.stepId, phase: 'failure', choice: effective, who: this.o.prompter.who });
    return effective;
  }

  private async decideInterrupted(input: { stepId: string | undefined; canRollback: boolean }) {
    this.o.ui.warn('interrupted');
    const choice = input.canRollback ? await this.o.prompter.interrupted(input) : 'leave';
    await this.journal({ type: 'interrupt', signal: this.lastSignal ?? 'SIGINT', action: choice });
    await this.journal({ type: 'decision', stepId: input.stepId, phase: 'interrupt', choice, who: this.o.prompter.who });
    return choice;
  }

  private async undo(input: UndoInput): Promise<void> {
    if (this.haltBeforeNextUndo) {
      this.halt(this.lastSignal ?? 'SIGINT');
      return new Promise<void>(() => undefined); // the run ends here; this undo never starts
    }
    const step = this.step(input.stepId);
    const impl = await this.impl(step);
    const started = Date.now();
    await this.journal({ type: 'undo-start', stepId: step.id });
    this.o.ui.heading(`↶ rolling back ${step.id} (${step.type})`);
    if (isDryRunUndo(input.undo)) {
      this.o.ui.info('dry-run: would roll back this step');
    } else if (impl.rollback) {
      let w: Record<string, unknown>;
      try {
        w = this.resolve(step, input);
      } catch {
        w = step.with; // the undo record carries what rollback needs
      }
      if (impl.describeUndo) this.o.ui.info(impl.describeUndo(w, input.undo));
      try {
        await impl.rollback(this.context(this.concrete(step, input), new AbortController().signal, input.undo, refuseUndo), w, input.undo);
      } catch (err) {
        await this.journal({ type: 'undo-failed', stepId: step.id, error: errorText(err) });
        this.o.ui.error(`rollback of ${step.id} failed: ${errorText(err)}`);
        throw err;
      }
    }
    const ms = Date.now() - started;
    this.timings[step.id] = { ...this.timings[step.id], undoMs: ms };
    await this.journal({ type: 'undo-done', stepId: step.id, durationMs: ms });
    this.o.ui.ok(`${step.id} rolled back`);
  }
}

const refuseUndo = async (): Promise<void> => {
  throw new Error('this phase must not change anything');
};

function isDryRunUndo(undo: unknown): boolean {
  return typeof undo === 'object' && undo !== null && (undo as { dryRun?: unknown }).dryRun === true;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [k, v] = Object.entries(value)[0] ?? ['?', ''];
    return `${k}.${stateName(v)}`;
  }
  return String(value);
}

export function exitCodeFor(final: FinalState, interrupted: boolean): ExitCodeValue {
  switch (final) {
    case 'completed':
      return ExitCode.ok;
    case 'refused':
      return ExitCode.refused;
    case 'rollbackFailed':
      return ExitCode.rollbackFailed;
    case 'suspended':
      return ExitCode.interrupted;
    default:
      return interrupted ? ExitCode.interrupted : ExitCode.failed;
  }
}

export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LIFEBOAT_OPERATOR) return env.LIFEBOAT_OPERATOR;
  let user = env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return `${user}@${hostname()}`;
}
