/**
 * Where the per-step time of the `overhead-20-steps` row goes, in a fresh process as the CLI
 * meets it (cold code): reading the runbook (yaml, zod, checks), building its machine
 * (xstate), and running that machine with actors that do nothing (xstate's own transitions,
 * invokes and snapshots). What the CLI adds beyond these (plans, decisions, journal entries,
 * the screen) is the rest of the row.
 *
 * Usage (by ./journal.ts): node dist/bench/step-parts.js <runbook.yaml> → one JSON line
 * { loadMs, buildMs, runMs }.
 */
import { createActor, fromPromise } from 'xstate';
import { compileRunbook, type BeforeChoice, type ExecuteOutput, type PlanSummary } from '../src/machine/compile.js';
import { loadRunbook } from '../src/runbook/load.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: node dist/bench/step-parts.js <runbook.yaml>');

const t0 = performance.now();
const runbook = await loadRunbook(file);
const t1 = performance.now();
const machine = compileRunbook(runbook, {
  mode: 'run',
  actors: {
    runChecks: fromPromise(async (): Promise<void> => undefined),
    planStep: fromPromise(async (): Promise<PlanSummary> => ({ summary: 'nothing', mutating: false })),
    decideBefore: fromPromise(async (): Promise<BeforeChoice> => 'proceed'),
    executeStep: fromPromise(async (): Promise<ExecuteOutput> => ({ outputs: {}, changed: false })),
    verifyStep: fromPromise(async (): Promise<void> => undefined),
  },
});
const t2 = performance.now();
const final = await new Promise<unknown>((resolve) => {
  const actor = createActor(machine, { input: { params: {} } });
  actor.subscribe((snap) => {
    if (snap.status === 'done') resolve(snap.value);
  });
  actor.start();
});
const t3 = performance.now();
if (final !== 'completed') throw new Error(`the machine ended in ${JSON.stringify(final)}, not completed`);
process.stdout.write(`${JSON.stringify({ loadMs: t1 - t0, buildMs: t2 - t1, runMs: t3 - t2 })}\n`);
