/**
 * The engine: runs a compiled runbook machine with real actors. The parts live beside it:
 * the step invoker (./invoke.ts), decisions and who made them (./decisions.ts), the
 * journal (./journal-observer.ts), signals (./signals.ts), the way back (./way-back.ts) and
 * how a run ended (./outcome.ts). This file wires them to the machine's actors.
 */
import { hostname, userInfo } from 'node:os';
import { createActor, fromPromise, type SnapshotFrom } from 'xstate';
import { InterruptedError } from '../errors.js';
import type { EntryBody, RunMode } from '../journal/format.js';
import type { JournalWriter } from '../journal/store.js';
import { mergePatch } from '../journal/merge-patch.js';
import {
  compileRunbook,
  journalStateName,
  StepFailure,
  type BeforeChoice,
  type DecideInput,
  type ExecuteOutput,
  type FailureInput,
  type FinalState,
  type PlanSummary,
  type RollbackPreviewInput,
  type RunInput,
  type StepActorInput,
  type UndoFailureInput,
  type UndoInput,
} from '../machine/compile.js';
import type { Runbook, Step } from '../runbook/model.js';
import type { AwsClients } from '../aws/clients.js';
import type { Prompter } from '../prompt/types.js';
import { StepError, type StepPlan, type StepResult } from '../steps/types.js';
import type { Ui } from '../ui/console.js';
import { evaluateCondition } from '../runbook/condition.js';
import { describeDrift, sameFingerprint } from '../plan/drift.js';
import { sleep } from '../util/sleep.js';
import { Decisions, TypedConfirmationRefused } from './decisions.js';
import { errorText, expectedConfirmation, hintOf, needsTypedConfirmation, refuseUndo, StepInvoker, withUndoText, type Impl } from '../steps/invoke.js';
import { JournalWriteError, RunJournal } from './journal-observer.js';
import { checkLimits, describeBreaches } from '../steps/limits.js';
import { changesInPlace, exitCodeOf, type RunKind, type RunOutcome, type StepTiming } from './outcome.js';
import { SignalControl } from './signals.js';
import { WayBack } from './way-back.js';

export type { RunOutcome, StepTiming } from './outcome.js';

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
  /** Steps the saved plan showed as skipped: the run never does what the plan did not show. */
  skippedInPlan?: readonly string[];
  /** Rehearse and verify: once the forward run ends, roll back everything it changed. */
  rollbackAfter?: boolean;
  /** Secret values (secret params, secret-named environment values) to keep out of output. */
  secrets?: readonly string[];
  /** --ignore-drift: undo over later changes (journaled). */
  ignoreDrift?: boolean;
  /** --skip-undo <step-id>: a person already undid these by hand. */
  skipUndo?: readonly string[];
  /**
   * `lifeboat rollback` of a run that completed: its changes are where the run meant them to
   * be, so declining the rollback at the prompt refuses it (exit 3, nothing changed, the lock
   * left released) instead of stopping with changes in place (exit 5).
   */
  rollsBackCompleted?: boolean;
  /** What to do when nobody can be asked any more (the terminal went away): --on-failure. */
  onFailure?: 'rollback' | 'abort';
  /** The mode steps are gated by (`modes:`, `mode` in `when:`) when it differs from `mode`: a resumed run's own. */
  stepMode?: RunMode | undefined;
  /** Told of every journal entry once it is written (--notify); must not throw or wait. */
  observer?: ((entry: EntryBody) => void) | undefined;
}

type Machine = ReturnType<typeof compileRunbook>;

export class Execution {
  private readonly o: EngineOptions;
  private readonly machine;
  private readonly invoker: StepInvoker;
  private readonly journal: RunJournal;
  private readonly decisions: Decisions;
  private readonly signals: SignalControl;
  private readonly wayBack: WayBack;
  private readonly timings: Record<string, StepTiming> = {};
  private readonly startedAt = Date.now();
  private rollbackStartedAt: number | undefined;
  private rollbackMs = 0;
  /** Steps with an undo record on the journal (this process's intent, or one a resumed step inherited). */
  private readonly intents = new Set<string>();
  /** The machine's current state, e.g. `s:failover-dns.executing`, `rollingBack.undoing`. */
  private state = '';
  private actor: ReturnType<typeof createActor<Machine>> | undefined;
  private forceExit: ((outcome: RunOutcome) => void) | undefined;
  /** The plan shown at each step's prompt: what the operator approved (re-checked before writing). */
  private readonly shown = new Map<string, StepPlan>();
  private readonly skipsShown = new Set<string>();

  constructor(options: EngineOptions) {
    this.o = options;
    const env = options.env ?? process.env;
    const ui = options.ui;
    this.invoker = new StepInvoker({
      runbook: options.runbook,
      dryRun: options.mode === 'dry-run',
      aws: options.aws,
      out: { info: (l) => ui.info(l), stream: (c) => ui.stream(c), isTTY: ui.isTTY },
      env,
      secrets: options.secrets ?? [],
    });
    this.journal = new RunJournal(options.journal, (err) => this.journalFailed(err), options.observer);
    this.decisions = new Decisions(options.prompter, this.journal, options.ui, options.mode === 'verify');
    this.signals = new SignalControl({
      runId: options.runId,
      state: () => this.state,
      interruptMachine: () => this.actor?.send({ type: 'INTERRUPT' }),
      halt: (signal) => this.halt(signal),
      warn: (line) => options.ui.warn(line),
      onFailure: options.onFailure ?? 'rollback',
      interactive: options.prompter.interactive,
    });
    this.wayBack = new WayBack({
      invoker: this.invoker,
      journal: this.journal,
      decisions: this.decisions,
      ui: options.ui,
      runId: options.runId,
      ignoreDrift: options.ignoreDrift ?? false,
      skipUndo: new Set(options.skipUndo ?? []),
      rollsBackCompleted: options.rollsBackCompleted ?? false,
      timings: this.timings,
    });
    this.machine = compileRunbook(options.runbook, {
      mode: options.stepMode ?? options.mode,
      actors: {
        runChecks: fromPromise(async () => this.runChecks()),
        planStep: fromPromise(async ({ input }: { input: StepActorInput }) => this.plan(input)),
        decideBefore: fromPromise(async ({ input, signal }: { input: DecideInput; signal: AbortSignal }) => this.decideBefore(input, signal)),
        executeStep: fromPromise(async ({ input }: { input: StepActorInput }) => this.execute(input)),
        verifyStep: fromPromise(async ({ input }: { input: StepActorInput }) => this.verify(input)),
        decideAfterFailure: fromPromise(async ({ input, signal }: { input: FailureInput; signal: AbortSignal }) => {
          this.journal.check();
          return this.decisions.afterFailure(input, signal);
        }),
        decideInterrupted: fromPromise(async ({ input }: { input: { stepId: string | undefined; canRollback: boolean } }) => {
          this.journal.check();
          // No signal but the terminal is gone: that is a hangup too (and its SIGHUP, if one follows, the same event).
          if (this.signals.last === undefined && this.o.prompter.terminalLost) this.signals.hungUp();
          const signal = this.signals.last ?? (this.o.prompter.terminalLost ? 'SIGHUP' : 'SIGINT');
          return this.decisions.interrupted(input, signal, () => (this.o.onFailure === 'abort' ? 'leave' : 'rollback'));
        }),
        previewRollback: fromPromise(async ({ input, signal }: { input: RollbackPreviewInput; signal: AbortSignal }) => {
          this.journal.check();
          return this.wayBack.preview(input, signal);
        }),
        undoStep: fromPromise(async ({ input }: { input: UndoInput }) => {
          this.journal.check();
          if (this.signals.haltBeforeNextUndo) {
            this.halt(this.signals.last ?? 'SIGINT');
            return new Promise<never>(() => undefined); // the run ends here; this undo never starts
          }
          return this.wayBack.undo(input);
        }),
        decideUndoFailure: fromPromise(async ({ input, signal }: { input: UndoFailureInput; signal: AbortSignal }) => {
          this.journal.check();
          return this.wayBack.decideFailure(input, signal);
        }),
      },
    });
  }

  get runId(): string {
    return this.o.runId;
  }

  /** Ctrl-C, SIGTERM or SIGHUP: see ./signals.ts. */
  interrupt(signal: string): void {
    this.signals.interrupt(signal);
  }

  /** Run to a final state. Resolves (never rejects for step failures) with the outcome. */
  async start(): Promise<RunOutcome> {
    const kind: RunKind = typeof this.o.start?.startAt === 'object' && this.o.start.startAt.rollback === 'command' ? 'rollback' : 'forward';
    let outcome = await this.runActor({ params: this.o.params, ...this.o.start }, kind);
    const forwardMs = outcome.durationMs;
    outcome = { ...outcome, forwardMs };
    if (this.o.rollbackAfter && (outcome.final === 'completed' || outcome.final === 'aborted') && outcome.context.applied.length > 0) {
      const forward = outcome.final;
      const c = outcome.context;
      this.o.ui.heading('Rolling back everything this run changed');
      const back = await this.runActor(
        {
          params: this.o.params,
          startAt: { rollback: forward === 'completed' ? 'rehearsal' : 'clean-up' },
          restore: { outputs: c.outputs, applied: c.applied, undos: c.undos, status: c.status, left: c.left },
        },
        kind,
        forward,
      );
      outcome = { ...back, forward, forwardMs, context: { ...back.context, error: c.error, interrupted: c.interrupted || back.context.interrupted } };
      outcome.exitCode = this.exitCode(outcome, kind);
    }
    if (outcome.final === 'refused' && outcome.context.error) await this.journal.write({ type: 'warning', message: `refused: ${outcome.context.error.message}` }).catch(() => undefined);
    await this.journal.write({ type: 'run-end', outcome: outcome.final, exitCode: outcome.exitCode, durationMs: outcome.durationMs }).catch(() => undefined);
    await this.journal.close();
    return outcome;
  }

  private exitCode(outcome: RunOutcome, kind: RunKind) {
    return exitCodeOf({
      final: outcome.final,
      kind,
      changesInPlace: outcome.leftChanged.length,
      interrupted: outcome.context.interrupted,
      stoppedByOperator: outcome.stoppedByOperator,
      forward: outcome.forward,
    });
  }

  private async runActor(input: RunInput, kind: RunKind, forward?: FinalState): Promise<RunOutcome> {
    const actor = createActor(this.machine, { input });
    this.actor = actor;
    let lastState = '';
    const done = new Promise<RunOutcome>((resolve, reject) => {
      this.forceExit = resolve;
      actor.subscribe({
        next: (snap) => {
          const state = journalStateName(snap.value, snap.context);
          if (state !== lastState) {
            lastState = state;
            this.state = state;
            this.journal.note({ type: 'transition', state });
            if (state.startsWith('rollingBack') && this.rollbackStartedAt === undefined) this.rollbackStartedAt = Date.now();
          }
          for (const [id, reason] of Object.entries(snap.context.skipReasons)) {
            if (this.skipsShown.has(id)) continue;
            this.skipsShown.add(id);
            this.o.ui.info(`⤼ ${id} skipped: ${reason}`);
            this.journal.note({ type: 'skipped', stepId: id, reason });
          }
          if (snap.status === 'done') resolve(this.finish(snap, kind, forward));
        },
        error: reject,
      });
    });
    actor.start();
    return done;
  }

  /** The journal broke: stop the machine where it is (no further change); the outcome says exit 4. */
  private journalFailed(err: JournalWriteError): void {
    this.o.ui.error(err.message);
    this.actor?.send({ type: 'JOURNAL_FAILED' });
  }

  /** End the run now, state kept for resume: journaled as an interrupt with action `exit`. */
  private halt(signal: string): void {
    const stop = (): void => {
      const snap = this.actor?.getSnapshot();
      this.actor?.stop();
      if (snap && this.forceExit) this.forceExit({ ...this.finish(snap, 'forward'), final: 'suspended', exitCode: 130 });
    };
    this.journal.write({ type: 'interrupt', signal, action: 'exit' }).then(stop, stop);
  }

  private finish(snap: SnapshotFrom<Machine>, kind: RunKind, forward?: FinalState): RunOutcome {
    const failure = this.journal.failure;
    // A broken journal ends the run wherever the machine got to: nothing after it was recorded.
    const final = failure ? 'journalFailed' : ((typeof snap.value === 'string' ? snap.value : 'suspended') as FinalState);
    const ctx = snap.context;
    if (this.rollbackStartedAt !== undefined && this.rollbackMs === 0) this.rollbackMs = Date.now() - this.rollbackStartedAt;
    const outcome: RunOutcome = {
      runId: this.o.runId,
      final,
      exitCode: 0,
      context: ctx,
      durationMs: Date.now() - this.startedAt,
      rollbackMs: this.rollbackMs,
      timings: this.timings,
      leftChanged: [...changesInPlace(ctx), ...this.stoppedMidStep(ctx)],
      forwardMs: Date.now() - this.startedAt,
      stoppedByOperator: this.decisions.stoppedByOperator,
      ...(forward ? { forward } : {}),
      ...(failure ? { journalError: { message: failure.what, path: failure.path, hint: failure.hint } } : {}),
    };
    outcome.exitCode = this.exitCode(outcome, kind);
    return outcome;
  }

  /**
   * The step the machine was stopped in (a broken journal, a forced exit) after its intent
   * was journaled: it may have changed the world, though the machine never recorded it as
   * applied. Listed with what is still changed, and the lock stays for it.
   */
  private stoppedMidStep(ctx: SnapshotFrom<Machine>['context']): string[] {
    const id = ctx.current;
    return id !== undefined && ctx.status[id] === 'pending' && this.intents.has(id) && !ctx.applied.includes(id) ? [id] : [];
  }

  // ------------------------------------------------------------------ forward actors

  private async runChecks(): Promise<void> {
    const checks = this.o.runbook.require;
    if (checks.length === 0) return;
    this.o.ui.heading(`Preconditions (${checks.length})`);
    for (const check of checks) {
      if (check.when && !evaluateCondition(check.when, { params: this.o.params, outputs: {}, mode: this.o.stepMode ?? this.o.mode })) {
        this.o.ui.info(`${check.id}: skipped (when: ${check.when} is false)`);
        continue;
      }
      const impl = await this.invoker.impl(check);
      const w = this.invoker.resolve(check, { params: this.o.params, outputs: {} });
      const ctx = this.invoker.context(check, {
        signal: new AbortController().signal,
        recordUndo: async () => {
          throw new Error(`require check ${check.id} tried to change something`);
        },
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

  /**
   * A step that cannot be planned (nothing to restore, a refused key, over its limits, the
   * world moved since a saved plan) has failed: journaled as such, so every report built from
   * the journal names what broke, as for a failure while executing.
   */
  private async plan(input: StepActorInput): Promise<PlanSummary> {
    const started = Date.now();
    try {
      return await this.planOnce(input);
    } catch (err) {
      await this.journal.write({ type: 'step-failed', stepId: input.stepId, error: errorText(err), changed: false, durationMs: Date.now() - started }).catch(() => undefined);
      throw err;
    }
  }

  private async planOnce(input: StepActorInput): Promise<PlanSummary> {
    this.journal.check();
    const step = this.invoker.step(input.stepId);
    if (this.o.skippedInPlan?.includes(step.id)) {
      // Its when: turned out true here (it reads outputs the plan could not know): the operator approved less.
      const message = `step ${step.id}: the saved plan showed it skipped, and it would run now; nothing of it was done`;
      const hint = 'make a new plan from the world as it is, review it, and run that';
      this.o.ui.error(message);
      this.o.ui.info(`→ ${hint}`);
      throw new StepError(message, { hint });
    }
    this.o.ui.step(this.invoker.index(step), this.o.runbook.steps.length, step.id, step.type, step.description);
    let plan: StepPlan;
    try {
      const impl = await this.invoker.impl(step);
      const w = this.invoker.resolve(step, input);
      // A resumed step's plan may read the undo record its first attempt kept (what the rollback would put back).
      plan = await impl.plan(this.invoker.context(this.invoker.concrete(step, input), { signal: new AbortController().signal, priorUndo: input.undo }), w);
    } catch (err) {
      // Without a TTY nobody is asked about this failure: say it here, or the run just ends "aborted".
      this.o.ui.error(errorText(err));
      const hint = hintOf(err);
      if (hint) this.o.ui.info(`→ ${hint}`);
      throw err;
    }
    this.o.ui.plan(plan);
    if (step.rollback === false) this.o.ui.warn('IRREVERSIBLE: this step cannot be undone (rollback: false)');
    await this.journal.write({ type: 'plan', stepId: step.id, summary: plan.summary, mutating: plan.mutating, counts: plan.counts as Record<string, number> });
    this.shown.set(step.id, plan);
    this.checkSavedPlan(step, plan);
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

  private checkSavedPlan(step: Step, plan: StepPlan): void {
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
    const now = await impl.plan(this.invoker.context(step, { signal: new AbortController().signal }), this.invoker.resolve(step, input));
    const moved = describeDrift(shown.fingerprint, now.fingerprint ?? null, { before: shown.lines, now: now.lines });
    if (moved.length === 0) return;
    const message = `step ${step.id}: the world moved since the plan shown at the prompt; nothing was changed: ${moved.join('; ')}`;
    await this.journal.write({ type: 'step-failed', stepId: step.id, error: message, changed: false, durationMs: 0 });
    this.o.ui.error(message);
    this.o.ui.info('→ find out who changed it before going on; retry plans again and shows the new plan');
    throw new StepFailure(message, undefined, false);
  }

  private async decideBefore(input: DecideInput, signal: AbortSignal): Promise<BeforeChoice> {
    this.journal.check();
    const step = this.invoker.step(input.stepId);
    try {
      return await this.decisions.before(
        step,
        { canRollback: input.canRollback, index: this.invoker.index(step), total: this.o.runbook.steps.length },
        () => expectedConfirmation(step, this.invoker.resolve(step, input)),
        signal,
      );
    } catch (err) {
      if (!(err instanceof TypedConfirmationRefused)) throw err;
      // Refused before it changed anything: the step failed, handled per --on-failure (not an operator's abort).
      await this.journal.write({ type: 'step-failed', stepId: step.id, error: err.message, changed: false, durationMs: 0 });
      this.o.ui.error(err.message);
      this.o.ui.info(`→ ${err.hint}`);
      throw new StepFailure(err.message, input.undo, input.undo !== undefined);
    }
  }

  private async execute(input: StepActorInput): Promise<ExecuteOutput> {
    this.journal.check();
    // Until this step settles, a signal aborts it (a safe point: the step stops its calls and
    // fails with what it changed on record) instead of leaving the state under it.
    const abort = new AbortController();
    this.signals.stepAbort = abort;
    try {
      const step = this.invoker.step(input.stepId);
      const impl = await this.invoker.impl(step);
      const info = this.invoker.type(step);
      const started = Date.now();
      this.timings[step.id] = { startedAt: new Date(started).toISOString() };
      const requestsBefore = this.o.aws.requests.total();

      if (this.invoker.dryRun && !info.readOnly) {
        this.o.ui.info('dry-run: not executed');
        const outputs = Object.fromEntries(info.outputs.map((name) => [name, `<dry-run ${step.id}.${name}>`]));
        this.timings[step.id] = { ...this.timings[step.id], durationMs: Date.now() - started };
        if (abort.signal.aborted) setImmediate(() => this.actor?.send({ type: 'INTERRUPT' }));
        return { outputs, undo: { dryRun: true }, changed: true };
      }
      return await this.attempts(step, impl, input, abort, started, requestsBefore);
    } finally {
      this.signals.stepAbort = undefined;
    }
  }

  private async attempts(step: Step, impl: Impl, input: StepActorInput, abort: AbortController, started: number, requestsBefore: number): Promise<ExecuteOutput> {
    const info = this.invoker.type(step);
    await this.recheckApproved(step, impl, input);
    const prior = input.undo;
    let captured: unknown = prior;
    if (prior !== undefined) this.intents.add(step.id);
    /** This attempt's `with`, resolved once: the step runs with it and its undo record is described with it. */
    let w: Record<string, unknown> = {};
    const recordUndo = async (given: unknown): Promise<void> => {
      // Journaled with the text it reads as, so show and reports need not know the step's type.
      const undo = withUndoText(impl, w, given);
      // The first attempt's record stands; a step may only extend it (steps merge priorUndo).
      if (prior !== undefined && JSON.stringify(undo) === JSON.stringify(captured)) return;
      await this.journal.write({ type: 'intent', stepId: step.id, undo });
      captured = undo;
      this.intents.add(step.id);
    };
    const amendUndo = async (patch: Record<string, unknown>): Promise<void> => {
      if (captured === undefined) throw new Error(`step ${step.id} amended an undo record it never recorded`);
      captured = mergePatch(captured, patch);
      await this.journal.write({ type: 'undo-amend', stepId: step.id, patch });
    };

    const attempts = step.retries + 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts && !abort.signal.aborted; attempt++) {
      await this.journal.write({ type: 'step-start', stepId: step.id, attempt });
      const signal = step.timeoutMs ? AbortSignal.any([abort.signal, AbortSignal.timeout(step.timeoutMs)]) : abort.signal;
      try {
        w = this.invoker.resolve(step, input);
        const ctx = this.invoker.context(this.invoker.concrete(step, input), {
          signal,
          priorUndo: captured,
          recordUndo,
          amendUndo,
          confirmManual: (instructions) => this.decisions.manual(step.id, instructions, signal),
          confirmedBy: this.decisions.manualConfirmer(step.id),
        });
        const result: StepResult = await impl.execute(ctx, w);
        const durationMs = Date.now() - started;
        this.timings[step.id] = { ...this.timings[step.id], durationMs };
        await this.journal.write({
          type: 'result',
          stepId: step.id,
          outputs: result.outputs,
          durationMs,
          requests: this.o.aws.requests.total() - requestsBefore,
          summary: result.summary,
          ...(result.left === undefined ? {} : { left: result.left }),
        });
        this.o.ui.ok(result.summary ?? `${step.id} done`);
        // Interrupted, but the step finished anyway: stop right after it (it is done and on record).
        if (abort.signal.aborted) setImmediate(() => this.actor?.send({ type: 'INTERRUPT' }));
        return { outputs: result.outputs, undo: captured, left: result.left, changed: captured !== undefined || info.undo !== 'none' };
      } catch (err) {
        if (err instanceof JournalWriteError) throw new StepFailure(err.message, captured, captured !== undefined);
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
    await this.journal.write({ type: 'step-failed', stepId: step.id, error: message, changed: captured !== undefined, durationMs, outputs: failedOutputs }).catch(() => undefined);
    if (interrupted) this.o.ui.warn(message);
    else this.o.ui.error(message);
    const hint = hintOf(lastError);
    if (hint && !interrupted) this.o.ui.info(`→ ${hint}`);
    throw new StepFailure(message, captured, captured !== undefined, interrupted, failedOutputs);
  }

  private async verify(input: StepActorInput): Promise<void> {
    this.journal.check();
    const step = this.invoker.step(input.stepId);
    const impl = await this.invoker.impl(step);
    if (!impl.verify || (this.invoker.dryRun && !this.invoker.type(step).readOnly)) return;
    const w = this.invoker.resolve(step, input);
    const outputs = input.outputs[step.id] ?? {};
    try {
      await impl.verify(this.invoker.context(step, { signal: new AbortController().signal, priorUndo: input.undo, recordUndo: refuseUndo }), w, { outputs });
    } catch (err) {
      // The result is journaled already: without this entry a resume would take the step as done.
      await this.journal.write({ type: 'step-failed', stepId: step.id, error: `verify: ${errorText(err)}`, changed: input.undo !== undefined, durationMs: 0 });
      throw err;
    }
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
