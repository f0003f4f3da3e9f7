import { describe, expect, test } from 'vitest';
import { createActor, fromPromise, toPromise } from 'xstate';
import {
  compileRunbook,
  journalStateName,
  StepFailure,
  type BeforeChoice,
  type DecideInput,
  type ExecuteOutput,
  type FailureChoice,
  type FailureInput,
  type InterruptChoice,
  type PlanSummary,
  type RunInput,
  type StepActorInput,
  type UndoInput,
  type UndoOutput,
  type RollbackChoice,
  type UndoFailureChoice,
} from '../../src/machine/compile.js';
import { parseRunbook } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/model.js';

const SOURCE = `version: 1
name: four-steps
params:
  go: { default: "yes" }
steps:
  - { id: one, type: wait, with: { duration: 1s } }
  - { id: two, type: shell, with: { run: [echo, two] } }
  - { id: three, type: shell, with: { run: [echo, three] }, when: "params.go == 'yes'" }
  - { id: four, type: shell, with: { run: [echo, "\${{ steps.two.outputs.stdout }}"] } }
`;

function runbook(source = SOURCE): Runbook {
  const r = parseRunbook(source, 'four.yaml');
  if (!r.runbook) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.runbook;
}

interface Script {
  before?: Record<string, BeforeChoice[]>;
  failure?: Record<string, FailureChoice[]>;
  fail?: Record<string, number>; // how many times the step fails before succeeding
}

/** Swapped actors: no I/O, every call recorded. */
function harness(script: Script, input: Partial<RunInput> = {}, source = SOURCE, mode?: string) {
  const calls: string[] = [];
  const failures = { ...script.fail };
  const machine = compileRunbook(runbook(source), { mode }).provide({
    actors: {
      runChecks: fromPromise(async () => {
        calls.push('checks');
      }),
      planStep: fromPromise(async ({ input: i }: { input: StepActorInput }): Promise<PlanSummary> => {
        calls.push(`plan:${i.stepId}`);
        return { summary: `plan ${i.stepId}`, mutating: true };
      }),
      decideBefore: fromPromise(async ({ input: i }: { input: DecideInput }) => {
        const choice = script.before?.[i.stepId]?.shift() ?? 'proceed';
        calls.push(`decide:${i.stepId}:${choice}`);
        return choice;
      }),
      executeStep: fromPromise(async ({ input: i }: { input: StepActorInput }): Promise<ExecuteOutput> => {
        calls.push(`exec:${i.stepId}`);
        if ((failures[i.stepId] ?? 0) > 0) {
          failures[i.stepId] = (failures[i.stepId] ?? 0) - 1;
          throw new StepFailure(`${i.stepId} broke`, i.undo ?? { undoOf: i.stepId, attempt: 'first' }, true);
        }
        if (i.stepId === 'one') return { outputs: {}, changed: false };
        // Like the engine: a later attempt reports the record the first one captured.
        return { outputs: { stdout: `out-${i.stepId}` }, undo: i.undo ?? { undoOf: i.stepId, attempt: 'later' }, changed: true };
      }),
      verifyStep: fromPromise(async ({ input: i }: { input: StepActorInput }) => {
        calls.push(`verify:${i.stepId}`);
      }),
      decideAfterFailure: fromPromise(async ({ input: i }: { input: FailureInput }) => {
        const choice = script.failure?.[i.stepId]?.shift() ?? 'rollback';
        calls.push(`failed:${i.stepId}:${choice}`);
        return choice;
      }),
      decideInterrupted: fromPromise(async (): Promise<InterruptChoice> => 'leave'),
      undoStep: fromPromise(async ({ input: i }: { input: UndoInput }): Promise<UndoOutput> => {
        calls.push(`undo:${i.stepId}:${JSON.stringify(i.undo)}`);
        return { how: 'undone' };
      }),
      previewRollback: fromPromise(async (): Promise<RollbackChoice> => 'go'),
      decideUndoFailure: fromPromise(async (): Promise<UndoFailureChoice> => 'stop'),
    },
  });
  const actor = createActor(machine, { input: { params: { go: 'yes' }, ...input } });
  actor.start();
  return { actor, calls, done: toPromise(actor).then(() => actor.getSnapshot()) };
}

describe('compiled runbook machine with swapped actors', () => {
  test('proceeds through every step in order and completes', async () => {
    const h = harness({});
    const snap = await h.done;
    expect(snap.value).toBe('completed');
    expect(h.calls.filter((c) => c.startsWith('exec:'))).toEqual(['exec:one', 'exec:two', 'exec:three', 'exec:four']);
    expect(snap.context.outputs.two).toEqual({ stdout: 'out-two' });
    // `one` changed nothing (a wait), so it is not on the undo list.
    expect(snap.context.applied).toEqual(['two', 'three', 'four']);
    expect(h.calls[0]).toBe('checks');
  });

  test('a skipped step is not executed and not undone', async () => {
    const h = harness({ before: { two: ['skip'], four: ['rollback'] } });
    const snap = await h.done;
    expect(snap.value).toBe('rolledBack');
    expect(snap.context.status.two).toBe('skipped');
    expect(h.calls).not.toContain('exec:two');
    expect(h.calls.filter((c) => c.startsWith('undo:')).map((c) => c.split(':')[1])).toEqual(['three']);
    expect(snap.context.rollbackReason).toBe('operator');
  });

  test('a failure then rollback undoes completed steps newest first, including the partly applied one', async () => {
    const h = harness({ fail: { four: 1 }, failure: { four: ['rollback'] } });
    const snap = await h.done;
    expect(snap.value).toBe('rolledBack');
    const undos = h.calls.filter((c) => c.startsWith('undo:')).map((c) => c.split(':')[1]);
    expect(undos).toEqual(['four', 'three', 'two']);
    expect(snap.context.status).toMatchObject({ one: 'done', two: 'rolled-back', three: 'rolled-back', four: 'rolled-back' });
    expect(snap.context.rollbackReason).toBe('failure');
  });

  test('retry keeps the undo record captured by the first attempt', async () => {
    const h = harness({ fail: { two: 2 }, failure: { two: ['retry', 'retry'] }, before: { three: ['rollback'] } });
    const snap = await h.done;
    expect(h.calls.filter((c) => c === 'exec:two')).toHaveLength(3);
    expect(snap.value).toBe('rolledBack');
    const undoTwo = h.calls.find((c) => c.startsWith('undo:two:'));
    expect(undoTwo).toContain('"attempt":"first"');
  });

  test('abort stops without undoing anything', async () => {
    const h = harness({ before: { three: ['abort'] } });
    const snap = await h.done;
    expect(snap.value).toBe('aborted');
    expect(h.calls.some((c) => c.startsWith('undo:'))).toBe(false);
    expect(snap.context.applied).toEqual(['two']);
  });

  test('abort after a failure leaves the failed step recorded', async () => {
    const h = harness({ fail: { two: 1 }, failure: { two: ['abort'] } });
    const snap = await h.done;
    expect(snap.value).toBe('aborted');
    expect(snap.context.status.two).toBe('failed');
    expect(snap.context.error).toEqual({ stepId: 'two', message: 'two broke' });
  });

  test('a false `when` skips the step and says why', async () => {
    const h = harness({}, { params: { go: 'no' } });
    const snap = await h.done;
    expect(snap.value).toBe('completed');
    expect(h.calls).not.toContain('exec:three');
    expect(snap.context.skipReasons.three).toMatch(/when: params.go == 'yes' is false/);
  });

  test('a resumed run starts at the given step with restored context', async () => {
    const h = harness({}, { startAt: 'three', restore: { outputs: { two: { stdout: 'x' } }, applied: ['two'], undos: { two: { u: 2 } }, status: { one: 'done', two: 'done', three: 'pending', four: 'pending' } } });
    const snap = await h.done;
    expect(snap.value).toBe('completed');
    expect(h.calls.filter((c) => c.startsWith('exec:'))).toEqual(['exec:three', 'exec:four']);
    expect(h.calls).not.toContain('checks');
  });

  test('a rollback started from a journal walks the applied list', async () => {
    const h = harness({}, { startAt: { rollback: 'command' }, restore: { applied: ['two', 'four'], undos: { two: 2, four: 4 } } });
    const snap = await h.done;
    expect(snap.value).toBe('rolledBack');
    expect(h.calls).toEqual(['undo:four:4', 'undo:two:2']);
  });

  test('an interrupt during a step leads to the interrupt decision', async () => {
    const h = harness({});
    h.actor.send({ type: 'INTERRUPT' });
    const snap = await h.done;
    expect(snap.value).toBe('suspended');
    expect(snap.context.interrupted).toBe(true);
  });

  test('a step its mode leaves out is skipped with the reason, and the run goes on', async () => {
    const source = `version: 1
name: modes
steps:
  - { id: one, type: shell, with: { run: [echo, one] } }
  - { id: live-only, type: shell, with: { run: [echo, two] }, modes: [run] }
  - { id: three, type: shell, with: { run: [echo, three] } }
`;
    const h = harness({}, {}, source, 'rehearse');
    const snap = await h.done;
    expect(snap.value).toBe('completed');
    expect(h.calls.filter((c) => c.startsWith('exec:'))).toEqual(['exec:one', 'exec:three']);
    expect(snap.context.status['live-only']).toBe('skipped');
    expect(snap.context.skipReasons['live-only']).toMatch(/not in rehearse mode/);
  });

  test('the machine has the same states whatever the number of steps, and walks them all', async () => {
    const many = (n: number): string =>
      `version: 1\nname: many\nsteps:\n${Array.from({ length: n }, (_, i) => `  - { id: s${i}, type: shell, with: { run: [echo, "${i}"] } }`).join('\n')}\n`;
    const count = (source: string): number => {
      const walk = (node: { states: Record<string, unknown> }): number =>
        1 + Object.values(node.states).reduce<number>((n, c) => n + walk(c as { states: Record<string, unknown> }), 0);
      return walk(compileRunbook(runbook(source)).root);
    };
    expect(count(many(300))).toBe(count(many(2)));
    const h = harness({}, {}, many(300));
    const snap = await h.done;
    expect(snap.value).toBe('completed');
    const execs = h.calls.filter((c) => c.startsWith('exec:'));
    expect(execs).toHaveLength(300);
    expect(execs[299]).toBe('exec:s299');
    expect(Object.values(snap.context.status).every((s) => s === 'done')).toBe(true);
  });

  test('the journal names a state inside a step after the step', () => {
    expect(journalStateName({ step: 'planning' }, { current: 'failover-dns' })).toBe('s:failover-dns.planning');
    expect(journalStateName({ rollingBack: 'undoing' }, { current: 'x' })).toBe('rollingBack.undoing');
    expect(journalStateName('completed', { current: 'x' })).toBe('completed');
  });
});
