/**
 * Compiles a runbook into an xstate v5 machine. The machine is pure data: every effect
 * (planning against AWS, prompting, executing, undoing) is a named actor that the engine
 * passes in (`CompileOptions.actors`) and tests swap for fakes. No I/O here.
 *
 * Shape:
 *   start ─► checks ─► advance ─► step ─► advance ─► step … ─► completed
 *   step (the step at context.index): gate → planning → awaiting → executing → verifying → done
 *                                     │            └──────┴─► failed ─► retry | rollback | abort
 *                                     └─► skip | rollback | abort   (awaiting ─► failed: refused at the prompt)
 *   One `step` state walks the runbook's steps (context.index), so the machine has the same
 *   size whatever the runbook's length: building and running it costs the same per step for
 *   a 1,000-step runbook as for a 2-step one (issue 16: each step state of its own cost
 *   ~1.5 ms a step to build and run, and the garbage of it). The journal still names states
 *   per step (`s:<id>.planning`, journalStateName) and `lifeboat graph` draws the machine
 *   unrolled over the steps (./graph.ts).
 *   rollingBack walks `applied` newest first: next → undoing → next … → rolledBack
 *   INTERRUPT (Ctrl-C, SIGTERM) during a step → interrupted → rollback | leave (suspended)
 */
import { assign, fromPromise, setup, type ActorRefFrom } from 'xstate';
import { evaluateCondition } from '../runbook/condition.js';
import { modeSkips } from '../runbook/modes.js';
import type { Runbook, Step } from '../runbook/model.js';

// Values crossing actor boundaries are plain JSON so the journal can keep them.
export type OutputValue = string | number | boolean;
export type StepOutputs = Record<string, OutputValue>;

export type BeforeChoice = 'proceed' | 'skip' | 'rollback' | 'abort';
export type FailureChoice = 'retry' | 'rollback' | 'abort';
export type InterruptChoice = 'rollback' | 'leave';
/** After an undo failed (or found drift): try again, undo over the drift, mark it done by hand, or stop. */
export type UndoFailureChoice = 'retry' | 'force' | 'by-hand' | 'stop';
/** Before the first undo of a rollback: go on, or leave everything as it is. */
export type RollbackChoice = 'go' | 'decline';
/** How a step left the undo list: undone by lifeboat, done by a person, or not undoable (`rollback: false`). */
export type UndoHow = 'undone' | 'by-hand' | 'not-undone';
export type StepStatus = 'pending' | 'skipped' | 'done' | 'failed' | 'rolled-back' | 'undone-by-hand' | 'not-undone';

export interface PlanSummary {
  summary: string;
  mutating: boolean;
  [k: string]: unknown;
}

export interface RunContext {
  params: Record<string, string>;
  outputs: Record<string, StepOutputs>;
  /** Steps that changed (or may have changed) the world, in the order they first did. */
  applied: string[];
  /** Undo record per applied step, captured before its first change. */
  undos: Record<string, unknown>;
  /** What each completed step left behind (StepResult.left): the way back compares it with the world. */
  left: Record<string, unknown>;
  /** Steps the operator chose to undo although they drifted. */
  driftAccepted: string[];
  status: Record<string, StepStatus>;
  /** Why a step was skipped, by step id. */
  skipReasons: Record<string, string>;
  plans: Record<string, PlanSummary>;
  error?: { stepId: string; message: string } | undefined;
  rollbackError?: { stepId: string; message: string } | undefined;
  /** What started the rollback: operator choice, failure, interrupt, or a command. */
  rollbackReason?: string | undefined;
  interrupted: boolean;
  /** How the last undo ended (set by the undo actor's result, read when the step leaves the list). */
  lastUndoHow?: UndoHow | undefined;
  /** The id of the step at `index`, set when the run enters it. */
  current?: string | undefined;
  startAt?: RunInput['startAt'];
}

/** The machine's own context: the run's, and where the walk over the steps is. */
interface WalkContext extends RunContext {
  /** The step the run is at (or goes to next), as an index into the runbook's steps. */
  index: number;
}

export interface RunInput {
  params: Record<string, string>;
  /** Resume: restore these and start at `startAt` (a step id), or roll back at once. */
  restore?: Partial<Pick<RunContext, 'outputs' | 'applied' | 'undos' | 'status' | 'left'>>;
  startAt?: string | { rollback: string };
}

export interface StepActorInput {
  stepId: string;
  params: Record<string, string>;
  outputs: Record<string, StepOutputs>;
  /** The undo record an earlier attempt captured (retry, resume), if any. */
  undo?: unknown;
}
export interface DecideInput extends StepActorInput {
  plan: PlanSummary | undefined;
  canRollback: boolean;
}
export interface FailureInput extends StepActorInput {
  error: string;
  canRollback: boolean;
}
export interface ExecuteOutput {
  outputs: StepOutputs;
  /** The undo record journaled before the change, if the step made one. */
  undo?: unknown;
  /** What the step left behind, journaled with its result. */
  left?: unknown;
  changed: boolean;
}
export interface UndoInput {
  stepId: string;
  undo: unknown;
  /** What the step left (undefined: it stopped before its result). */
  left: unknown;
  params: Record<string, string>;
  outputs: Record<string, StepOutputs>;
  /** The operator chose to undo this step although it drifted. */
  acceptDrift: boolean;
}
export interface UndoOutput {
  how: UndoHow;
}
export interface UndoFailureInput {
  stepId: string;
  error: string;
}
export interface RollbackPreviewInput {
  /** Newest last, as in the context. */
  applied: string[];
  undos: Record<string, unknown>;
  left: Record<string, unknown>;
  params: Record<string, string>;
  outputs: Record<string, StepOutputs>;
  /** What started the rollback: `command` (lifeboat rollback), operator, failure, interrupted, rehearsal, clean-up. */
  reason: string | undefined;
}

/** Thrown by an execute actor: the step failed, possibly after changing something. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly undo: unknown,
    readonly changed: boolean,
    /** Stopped by Ctrl-C/SIGTERM at a safe point: the run goes to `interrupted`, not `failed`. */
    readonly interrupted = false,
    /** What the step measured before failing, kept for reports (e.g. a backup's age). */
    readonly outputs?: StepOutputs,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

export const FINAL_STATES = ['completed', 'rolledBack', 'aborted', 'rollbackFailed', 'suspended', 'refused', 'journalFailed'] as const;
export type FinalState = (typeof FINAL_STATES)[number];

const notProvided = (name: string) =>
  fromPromise<never, unknown>(async () => {
    throw new Error(`actor "${name}" was not provided`);
  });

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The id of the step the run is in (`enter` sets it when the run enters `step`). */
function stepIdOf(context: RunContext): string {
  return context.current ?? '?';
}

function stepInput({ context }: { context: RunContext }): StepActorInput {
  const stepId = stepIdOf(context);
  return { stepId, params: context.params, outputs: context.outputs, undo: context.undos[stepId] };
}

/**
 * The state a snapshot is in, as the journal names it: `s:<step id>.<state>` inside a step
 * (the machine's one `step` state, named after the step it is at), `rollingBack.undoing`,
 * `completed`, ….
 */
export function journalStateName(value: unknown, context: Pick<RunContext, 'current'>): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [k, v] = Object.entries(value as Record<string, unknown>)[0] ?? ['?', ''];
    const key = k === 'step' ? `s:${context.current ?? '?'}` : k;
    return `${key}.${journalStateName(v, context)}`;
  }
  return String(value);
}

/** Every actor the machine invokes; each fails until provided (the engine, or a test's fakes). */
function unprovidedActors() {
  return {
    runChecks: notProvided('runChecks') as unknown as ReturnType<typeof fromPromise<void, { params: Record<string, string> }>>,
    planStep: notProvided('planStep') as unknown as ReturnType<typeof fromPromise<PlanSummary, StepActorInput>>,
    decideBefore: notProvided('decideBefore') as unknown as ReturnType<typeof fromPromise<BeforeChoice, DecideInput>>,
    executeStep: notProvided('executeStep') as unknown as ReturnType<typeof fromPromise<ExecuteOutput, StepActorInput>>,
    verifyStep: notProvided('verifyStep') as unknown as ReturnType<typeof fromPromise<void, StepActorInput>>,
    decideAfterFailure: notProvided('decideAfterFailure') as unknown as ReturnType<typeof fromPromise<FailureChoice, FailureInput>>,
    decideInterrupted: notProvided('decideInterrupted') as unknown as ReturnType<typeof fromPromise<InterruptChoice, { stepId: string | undefined; canRollback: boolean }>>,
    undoStep: notProvided('undoStep') as unknown as ReturnType<typeof fromPromise<UndoOutput, UndoInput>>,
    previewRollback: notProvided('previewRollback') as unknown as ReturnType<typeof fromPromise<RollbackChoice, RollbackPreviewInput>>,
    decideUndoFailure: notProvided('decideUndoFailure') as unknown as ReturnType<typeof fromPromise<UndoFailureChoice, UndoFailureInput>>,
  };
}

/** The actors the engine runs the machine with (`CompileOptions.actors`). */
export type RunActors = ReturnType<typeof unprovidedActors>;

export interface CompileOptions {
  /** The mode steps are gated by (`modes:`, `mode` in `when:`): plan, dry-run, run, rehearse, verify. */
  mode?: string | undefined;
  /** The actors to run with (the engine's); those left out fail when invoked. */
  actors?: Partial<RunActors> | undefined;
}

export function compileRunbook(runbook: Runbook, options: CompileOptions = {}) {
  const mode = options.mode;
  const skippedByMode = modeSkips(runbook, mode ?? '');
  const steps = runbook.steps;
  const stepAt = (context: WalkContext): Step | undefined => steps[context.index];
  const base = setup({
    types: {
      context: {} as WalkContext,
      input: {} as RunInput,
      events: {} as { type: 'INTERRUPT' } | { type: 'JOURNAL_FAILED' },
    },
    // Given here rather than with machine.provide(), which builds the whole machine again
    // (xstate formats every transition of every step: milliseconds a step).
    actors: { ...unprovidedActors(), ...options.actors },
    guards: {
      isChoice: ({ event }, params: { choice: string }) => (event as unknown as { output?: unknown }).output === params.choice,
      // The step at context.index: its `when:` is false, its mode leaves it out, it is done already.
      conditionFalse: ({ context }) => {
        const when = stepAt(context)?.when;
        return when !== undefined && !evaluateCondition(when, { params: context.params, outputs: context.outputs, mode });
      },
      skippedByMode: ({ context }) => skippedByMode.has(stepIdOf(context)),
      alreadyDone: ({ context }) => {
        const s = context.status[stepIdOf(context)];
        return s === 'done' || s === 'skipped';
      },
      moreSteps: ({ context }) => context.index < steps.length,
      resumeRollback: ({ context }) => typeof context.startAt === 'object',
      resumeAt: ({ context }) => typeof context.startAt === 'string' && stepAt(context)?.id === context.startAt,
      nothingToUndo: ({ context }) => context.applied.length === 0,
      refusedAtPrompt: ({ event }) => {
        const err = (event as unknown as { error?: unknown }).error;
        return err instanceof StepFailure && !err.interrupted;
      },
      stoppedByInterrupt: ({ event }) => {
        const err = (event as unknown as { error?: unknown }).error;
        return err instanceof StepFailure && err.interrupted;
      },
    },
    actions: {
      enter: assign(({ context }) => ({ current: stepAt(context)?.id })),
      nextStep: assign(({ context }) => ({ index: context.index + 1 })),
      markSkipped: assign(({ context }, params: { why: 'mode' | 'when' | 'operator' }) => {
        const stepId = stepIdOf(context);
        const reason =
          params.why === 'mode' ? (skippedByMode.get(stepId) ?? 'not in this mode') : params.why === 'when' ? `when: ${stepAt(context)?.when ?? ''} is false` : 'skipped by the operator';
        return {
          status: { ...context.status, [stepId]: 'skipped' as const },
          skipReasons: { ...context.skipReasons, [stepId]: reason },
        };
      }),
      markDone: assign(({ context }) => ({
        status: { ...context.status, [stepIdOf(context)]: 'done' as const },
        error: undefined,
      })),
      savePlan: assign(({ context, event }) => ({
        plans: { ...context.plans, [stepIdOf(context)]: (event as unknown as { output: PlanSummary }).output },
      })),
      saveExecution: assign(({ context, event }) => {
        const stepId = stepIdOf(context);
        const out = (event as unknown as { output: ExecuteOutput }).output;
        return {
          outputs: { ...context.outputs, [stepId]: out.outputs },
          ...recordApplied(context, stepId, out.undo, out.changed),
          ...(out.left === undefined ? {} : { left: { ...context.left, [stepId]: out.left } }),
        };
      }),
      saveFailure: assign(({ context, event }) => {
        const stepId = stepIdOf(context);
        const err = (event as unknown as { error: unknown }).error;
        const applied = err instanceof StepFailure ? recordApplied(context, stepId, err.undo, err.changed) : {};
        const outputs = err instanceof StepFailure && err.outputs ? { outputs: { ...context.outputs, [stepId]: err.outputs } } : {};
        return {
          ...applied,
          ...outputs,
          status: { ...context.status, [stepId]: 'failed' as const },
          error: { stepId, message: errorText(err) },
        };
      }),
      setRollbackReason: assign((_, params: { reason: string }) => ({ rollbackReason: params.reason })),
      markInterrupted: assign({ interrupted: true }),
      popUndone: assign(({ context }, params: { how: UndoHow | 'output' }) => {
        const last = context.applied[context.applied.length - 1];
        if (last === undefined) return {};
        const how = params.how === 'output' ? (context.lastUndoHow ?? 'undone') : params.how;
        const status: StepStatus = how === 'undone' ? 'rolled-back' : how === 'by-hand' ? 'undone-by-hand' : 'not-undone';
        return {
          applied: context.applied.slice(0, -1),
          status: { ...context.status, [last]: status },
          rollbackError: undefined,
        };
      }),
      saveUndoHow: assign(({ event }) => ({ lastUndoHow: (event as unknown as { output: UndoOutput }).output.how })),
      acceptDrift: assign(({ context }) => {
        const last = context.applied[context.applied.length - 1];
        return last === undefined ? {} : { driftAccepted: [...context.driftAccepted, last] };
      }),
      saveRollbackError: assign(({ context, event }) => ({
        rollbackError: {
          stepId: context.applied[context.applied.length - 1] ?? '?',
          message: errorText((event as unknown as { error: unknown }).error),
        },
      })),
    },
  });

  const config = {
    id: 'run',
    context: ({ input }: { input: RunInput }): WalkContext => ({
      params: input.params,
      outputs: input.restore?.outputs ?? {},
      applied: input.restore?.applied ?? [],
      undos: input.restore?.undos ?? {},
      left: input.restore?.left ?? {},
      driftAccepted: [],
      status: input.restore?.status ?? Object.fromEntries(steps.map((s) => [s.id, 'pending'])),
      skipReasons: {},
      plans: {},
      interrupted: false,
      // Resume at a step: the run starts at its index (start → advance → step).
      index: typeof input.startAt === 'string' ? Math.max(0, steps.findIndex((s) => s.id === input.startAt)) : 0,
      startAt: input.startAt,
    }),
    initial: 'start',
    // The journal could not be written: no further change is made, whatever state the run is in.
    on: { JOURNAL_FAILED: { target: '.journalFailed' } },
    states: {
      // Resume: straight into the rollback walk, or to the step it stopped at; else the checks.
      start: {
        always: [
          {
            guard: 'resumeRollback',
            target: 'rollingBack',
            actions: assign(({ context }: { context: RunContext }) => ({
              rollbackReason: typeof context.startAt === 'object' ? context.startAt.rollback : undefined,
            })),
          },
          { guard: 'resumeAt', target: 'advance' },
          { target: 'checks' },
        ],
      },
      checks: {
        on: { INTERRUPT: { target: 'interrupted' } },
        invoke: {
          src: 'runChecks',
          input: ({ context }: { context: RunContext }) => ({ params: context.params }),
          onDone: { target: 'advance' },
          onError: { target: 'refused', actions: assign(({ event }: { event: { error: unknown } }) => ({ error: { stepId: 'require', message: errorText(event.error) } })) },
        },
      },
      step: stepState(),
      // Between steps: the step at context.index, or the end of the runbook.
      advance: {
        always: [{ guard: 'moreSteps', target: 'step' }, { target: 'completed' }],
      },
      interrupted: {
        entry: 'markInterrupted',
        invoke: {
          src: 'decideInterrupted',
          input: ({ context }: { context: RunContext }) => ({ stepId: context.current, canRollback: context.applied.length > 0 }),
          onDone: [
            { guard: { type: 'isChoice', params: { choice: 'rollback' } }, target: 'rollingBack', actions: { type: 'setRollbackReason', params: { reason: 'interrupted' } } },
            { target: 'suspended' },
          ],
          onError: { target: 'suspended' },
        },
      },
      rollingBack: {
        initial: 'start',
        states: {
          start: {
            always: [{ guard: 'nothingToUndo', target: '#run.rolledBack' }, { target: 'preview' }],
          },
          // The way back, planned and shown: every step to undo re-read against the world
          // (`now → after undo`); `lifeboat rollback` refuses on drift and asks before the first change.
          preview: {
            invoke: {
              src: 'previewRollback',
              input: ({ context }: { context: RunContext }): RollbackPreviewInput => ({
                applied: context.applied,
                undos: context.undos,
                left: context.left,
                params: context.params,
                outputs: context.outputs,
                reason: context.rollbackReason,
              }),
              onDone: [{ guard: { type: 'isChoice', params: { choice: 'go' } }, target: 'next' }, { target: '#run.aborted' }],
              onError: { target: '#run.refused', actions: assign(({ event }: { event: { error: unknown } }) => ({ error: { stepId: 'rollback', message: errorText(event.error) } })) },
            },
          },
          next: {
            always: [{ guard: 'nothingToUndo', target: '#run.rolledBack' }, { target: 'undoing' }],
          },
          undoing: {
            invoke: {
              src: 'undoStep',
              input: ({ context }: { context: RunContext }): UndoInput => {
                const stepId = context.applied[context.applied.length - 1] as string;
                return {
                  stepId,
                  undo: context.undos[stepId],
                  left: context.left[stepId],
                  params: context.params,
                  outputs: context.outputs,
                  acceptDrift: context.driftAccepted.includes(stepId),
                };
              },
              onDone: { target: 'next', actions: ['saveUndoHow', { type: 'popUndone', params: { how: 'output' } }] },
              onError: { target: 'undoFailed', actions: 'saveRollbackError' },
            },
          },
          // An undo failed or found drift: the operator (or, without one, the flags) decides.
          undoFailed: {
            invoke: {
              src: 'decideUndoFailure',
              input: ({ context }: { context: RunContext }): UndoFailureInput => ({
                stepId: context.rollbackError?.stepId ?? '?',
                error: context.rollbackError?.message ?? 'failed',
              }),
              onDone: [
                { guard: { type: 'isChoice', params: { choice: 'retry' } }, target: 'undoing' },
                { guard: { type: 'isChoice', params: { choice: 'force' } }, target: 'undoing', actions: 'acceptDrift' },
                { guard: { type: 'isChoice', params: { choice: 'by-hand' } }, target: 'next', actions: { type: 'popUndone', params: { how: 'by-hand' } } },
                { target: '#run.rollbackFailed' },
              ],
              onError: { target: '#run.rollbackFailed' },
            },
          },
        },
      },
      completed: { type: 'final' },
      rolledBack: { type: 'final' },
      aborted: { type: 'final' },
      rollbackFailed: { type: 'final' },
      suspended: { type: 'final' },
      refused: { type: 'final' },
      journalFailed: { type: 'final' },
    },
  };

  // The config is assembled from data, so its literal type cannot be inferred by setup();
  // the shape is checked by xstate at creation and by the compiler tests.
  return base.createMachine(config as unknown as Parameters<typeof base.createMachine>[0]);

  /** The one step state: it runs the step at context.index; leaving it goes to `advance`. */
  function stepState() {
    const next = { target: '#run.advance', actions: 'nextStep' };
    const skip = (why: 'mode' | 'when' | 'operator') => ({ target: '#run.advance', actions: [{ type: 'markSkipped', params: { why } }, 'nextStep'] });
    return {
      entry: 'enter',
      on: { INTERRUPT: { target: '#run.interrupted' } },
      initial: 'gate',
      states: {
        gate: {
          always: [
            { guard: 'alreadyDone', ...next },
            { guard: 'skippedByMode', ...skip('mode') },
            { guard: 'conditionFalse', ...skip('when') },
            { target: 'planning' },
          ],
        },
        planning: {
          invoke: {
            src: 'planStep',
            input: stepInput,
            onDone: { target: 'awaiting', actions: 'savePlan' },
            onError: { target: 'failed', actions: 'saveFailure' },
          },
        },
        awaiting: {
          invoke: {
            src: 'decideBefore',
            input: ({ context }: { context: RunContext }): DecideInput => ({
              ...stepInput({ context }),
              plan: context.plans[stepIdOf(context)],
              canRollback: context.applied.length > 0,
            }),
            onDone: [
              { guard: { type: 'isChoice', params: { choice: 'proceed' } }, target: 'executing' },
              { guard: { type: 'isChoice', params: { choice: 'skip' } }, ...skip('operator') },
              { guard: { type: 'isChoice', params: { choice: 'rollback' } }, target: '#run.rollingBack', actions: { type: 'setRollbackReason', params: { reason: 'operator' } } },
              { target: '#run.aborted' },
            ],
            onError: [
              // Refused at the prompt before any change (a typed confirmation --confirm did not match): the step failed.
              { guard: 'refusedAtPrompt', target: 'failed', actions: 'saveFailure' },
              // Otherwise the prompt was taken down by Ctrl-C or a lost terminal.
              { target: '#run.interrupted' },
            ],
          },
        },
        executing: {
          invoke: {
            src: 'executeStep',
            input: stepInput,
            onDone: { target: 'verifying', actions: 'saveExecution' },
            onError: [
              // Interrupted mid-step: the step stopped at a safe point; what it changed is on the undo list.
              { guard: 'stoppedByInterrupt', target: '#run.interrupted', actions: 'saveFailure' },
              { target: 'failed', actions: 'saveFailure' },
            ],
          },
        },
        verifying: {
          invoke: {
            src: 'verifyStep',
            input: stepInput,
            onDone: { target: 'done' },
            onError: { target: 'failed', actions: 'saveFailure' },
          },
        },
        failed: {
          invoke: {
            src: 'decideAfterFailure',
            input: ({ context }: { context: RunContext }): FailureInput => ({
              ...stepInput({ context }),
              error: context.error?.message ?? 'failed',
              canRollback: context.applied.length > 0,
            }),
            onDone: [
              { guard: { type: 'isChoice', params: { choice: 'retry' } }, target: 'planning' },
              { guard: { type: 'isChoice', params: { choice: 'rollback' } }, target: '#run.rollingBack', actions: { type: 'setRollbackReason', params: { reason: 'failure' } } },
              { target: '#run.aborted' },
            ],
            onError: { target: '#run.interrupted' },
          },
        },
        done: {
          entry: 'markDone',
          always: next,
        },
      },
    };
  }
}

/** Add a step to the applied list (once) with its first undo record. */
function recordApplied(context: RunContext, stepId: string, undo: unknown, changed: boolean): Partial<RunContext> {
  if (undo === undefined && !changed) return {};
  const already = context.applied.includes(stepId);
  return {
    applied: already ? context.applied : [...context.applied, stepId],
    // The execute actor reports the record it journaled: the first attempt's, or that record
    // extended by a later attempt (never a re-capture: steps start from priorUndo).
    undos: undo === undefined ? context.undos : { ...context.undos, [stepId]: undo },
  };
}

export type RunMachine = ReturnType<typeof compileRunbook>;
export type RunActor = ActorRefFrom<RunMachine>;
