/**
 * Compiles a runbook into an xstate v5 machine. The machine is pure data: every effect
 * (planning against AWS, prompting, executing, undoing) is a named actor that the engine
 * passes in (`CompileOptions.actors`) and tests swap for fakes. No I/O here.
 *
 * Shape:
 *   start ─► checks ─► s:<id1> ─► s:<id2> ─► … ─► completed
 *   each s:<id>: gate → planning → awaiting → executing → verifying → done
 *                                     │            └──────┴─► failed ─► retry | rollback | abort
 *                                     └─► skip | rollback | abort
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
  current?: string | undefined;
  startAt?: RunInput['startAt'];
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

const stateOf = (id: string): string => `s:${id}`;

function toStepInput(stepId: string) {
  return ({ context }: { context: RunContext }): StepActorInput => ({
    stepId,
    params: context.params,
    outputs: context.outputs,
    undo: context.undos[stepId],
  });
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
  const base = setup({
    types: {
      context: {} as RunContext,
      input: {} as RunInput,
      events: {} as { type: 'INTERRUPT' } | { type: 'JOURNAL_FAILED' },
    },
    // Given here rather than with machine.provide(), which builds the whole machine again
    // (xstate formats every transition of every step: milliseconds a step).
    actors: { ...unprovidedActors(), ...options.actors },
    guards: {
      isChoice: ({ event }, params: { choice: string }) => (event as unknown as { output?: unknown }).output === params.choice,
      conditionFalse: ({ context }, params: { stepId: string; when: string }) =>
        !evaluateCondition(params.when, { params: context.params, outputs: context.outputs, mode }),
      alreadyDone: ({ context }, params: { stepId: string }) => {
        const s = context.status[params.stepId];
        return s === 'done' || s === 'skipped';
      },
      nothingToUndo: ({ context }) => context.applied.length === 0,
      stoppedByInterrupt: ({ event }) => {
        const err = (event as unknown as { error?: unknown }).error;
        return err instanceof StepFailure && err.interrupted;
      },
    },
    actions: {
      enter: assign((_, params: { stepId: string }) => ({ current: params.stepId })),
      markSkipped: assign(({ context }, params: { stepId: string; reason: string }) => ({
        status: { ...context.status, [params.stepId]: 'skipped' as const },
        skipReasons: { ...context.skipReasons, [params.stepId]: params.reason },
      })),
      markDone: assign(({ context }, params: { stepId: string }) => ({
        status: { ...context.status, [params.stepId]: 'done' as const },
        error: undefined,
      })),
      savePlan: assign(({ context, event }, params: { stepId: string }) => ({
        plans: { ...context.plans, [params.stepId]: (event as unknown as { output: PlanSummary }).output },
      })),
      saveExecution: assign(({ context, event }, params: { stepId: string }) => {
        const out = (event as unknown as { output: ExecuteOutput }).output;
        return {
          outputs: { ...context.outputs, [params.stepId]: out.outputs },
          ...recordApplied(context, params.stepId, out.undo, out.changed),
          ...(out.left === undefined ? {} : { left: { ...context.left, [params.stepId]: out.left } }),
        };
      }),
      saveFailure: assign(({ context, event }, params: { stepId: string }) => {
        const err = (event as unknown as { error: unknown }).error;
        const applied = err instanceof StepFailure ? recordApplied(context, params.stepId, err.undo, err.changed) : {};
        const outputs = err instanceof StepFailure && err.outputs ? { outputs: { ...context.outputs, [params.stepId]: err.outputs } } : {};
        return {
          ...applied,
          ...outputs,
          status: { ...context.status, [params.stepId]: 'failed' as const },
          error: { stepId: params.stepId, message: errorText(err) },
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

  const steps = runbook.steps;

  const stepStates: Record<string, unknown> = {};
  steps.forEach((step, i) => {
    const next = steps[i + 1];
    const nextTarget = next ? `#run.${stateOf(next.id)}` : '#run.completed';
    stepStates[stateOf(step.id)] = stepState(step, nextTarget);
  });

  const firstTarget = steps[0] ? `#run.${stateOf(steps[0].id)}` : '#run.completed';

  const config = {
    id: 'run',
    context: ({ input }: { input: RunInput }): RunContext => ({
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
      startAt: input.startAt,
    }),
    initial: 'start',
    // The journal could not be written: no further change is made, whatever state the run is in.
    on: { JOURNAL_FAILED: { target: '.journalFailed' } },
    states: {
      start: { always: resumeTransitions(steps) },
      checks: {
        on: { INTERRUPT: { target: 'interrupted' } },
        invoke: {
          src: 'runChecks',
          input: ({ context }: { context: RunContext }) => ({ params: context.params }),
          onDone: { target: firstTarget },
          onError: { target: 'refused', actions: assign(({ event }: { event: { error: unknown } }) => ({ error: { stepId: 'require', message: errorText(event.error) } })) },
        },
      },
      ...stepStates,
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

  function stepState(step: Step, nextTarget: string) {
    const id = step.id;
    const p = { stepId: id };
    const input = toStepInput(id);
    return {
      entry: { type: 'enter', params: p },
      on: { INTERRUPT: { target: '#run.interrupted' } },
      initial: 'gate',
      states: {
        gate: {
          always: [
            { guard: { type: 'alreadyDone', params: p }, target: nextTarget },
            ...modeGate(id, skippedByMode.get(id), nextTarget),
            ...(step.when
              ? [{ guard: { type: 'conditionFalse', params: { stepId: id, when: step.when } }, target: nextTarget, actions: { type: 'markSkipped', params: { stepId: id, reason: `when: ${step.when} is false` } } }]
              : []),
            { target: 'planning' },
          ],
        },
        planning: {
          invoke: {
            src: 'planStep',
            input,
            onDone: { target: 'awaiting', actions: { type: 'savePlan', params: p } },
            onError: { target: 'failed', actions: { type: 'saveFailure', params: p } },
          },
        },
        awaiting: {
          invoke: {
            src: 'decideBefore',
            input: ({ context }: { context: RunContext }): DecideInput => ({
              ...input({ context }),
              plan: context.plans[id],
              canRollback: context.applied.length > 0,
            }),
            onDone: [
              { guard: { type: 'isChoice', params: { choice: 'proceed' } }, target: 'executing' },
              { guard: { type: 'isChoice', params: { choice: 'skip' } }, target: nextTarget, actions: { type: 'markSkipped', params: { stepId: id, reason: 'skipped by the operator' } } },
              { guard: { type: 'isChoice', params: { choice: 'rollback' } }, target: '#run.rollingBack', actions: { type: 'setRollbackReason', params: { reason: 'operator' } } },
              { target: '#run.aborted' },
            ],
            onError: { target: '#run.interrupted' },
          },
        },
        executing: {
          invoke: {
            src: 'executeStep',
            input,
            onDone: { target: 'verifying', actions: { type: 'saveExecution', params: p } },
            onError: [
              // Interrupted mid-step: the step stopped at a safe point; what it changed is on the undo list.
              { guard: 'stoppedByInterrupt', target: '#run.interrupted', actions: { type: 'saveFailure', params: p } },
              { target: 'failed', actions: { type: 'saveFailure', params: p } },
            ],
          },
        },
        verifying: {
          invoke: {
            src: 'verifyStep',
            input,
            onDone: { target: 'done' },
            onError: { target: 'failed', actions: { type: 'saveFailure', params: p } },
          },
        },
        failed: {
          invoke: {
            src: 'decideAfterFailure',
            input: ({ context }: { context: RunContext }): FailureInput => ({
              ...input({ context }),
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
          entry: { type: 'markDone', params: p },
          always: { target: nextTarget },
        },
      },
    };
  }
}

/** A step its mode leaves out (`modes:`, or a live step in verify): skipped, with the reason. */
function modeGate(stepId: string, reason: string | undefined, nextTarget: string): unknown[] {
  if (reason === undefined) return [];
  return [{ target: nextTarget, actions: { type: 'markSkipped', params: { stepId, reason } } }];
}

/** Resume: jump straight to a step, or into the rollback walk; otherwise start with the checks. */
function resumeTransitions(steps: Step[]): unknown[] {
  return [
    {
      guard: ({ context }: { context: RunContext }) => typeof context.startAt === 'object',
      target: 'rollingBack',
      actions: assign(({ context }: { context: RunContext }) => ({
        rollbackReason: typeof context.startAt === 'object' ? context.startAt.rollback : undefined,
      })),
    },
    ...steps.map((s) => ({
      guard: ({ context }: { context: RunContext }) => context.startAt === s.id,
      target: `#run.${stateOf(s.id)}`,
    })),
    { target: 'checks' },
  ];
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
