/**
 * RunOutcomes as the engine produces them for rehearse and verify, for the pure report
 * tests: built by hand from the shapes in src/engine/run.ts and src/machine/compile.ts,
 * against the fixture runbooks in test/fixtures/verify/.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunOutcome } from '../../src/engine/run.js';
import type { RunContext } from '../../src/machine/compile.js';
import type { Runbook } from '../../src/runbook/model.js';
import { parseRunbook } from '../../src/runbook/load.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/verify/', import.meta.url));

export function fixtureRunbook(name: string): Runbook {
  const file = `${FIXTURES}${name}`;
  const { runbook, problems } = parseRunbook(readFileSync(file, 'utf8'), file);
  if (!runbook) throw new Error(problems.map((p) => p.message).join('\n'));
  return runbook;
}

export const FINISHED = new Date('2026-11-23T04:12:30.000Z');

function context(over: Partial<RunContext>): RunContext {
  return { params: {}, outputs: {}, applied: [], undos: {}, left: {}, driftAccepted: [], status: {}, skipReasons: {}, plans: {}, interrupted: false, ...over };
}

const backupOutputs = { newestKey: 'db/2026-11-23.dump', newestAgeSeconds: 1234, count: 3, bytes: 3_000_000 };
const restoreOutputs = { objects: 3, bytes: 3_000_000, seconds: 1.5, requests: 14 };

/** verify of restore-drill.yaml: everything passed and was cleaned up. */
export function passedVerify(): RunOutcome {
  return {
    stoppedByOperator: false,
    runId: '20261123T041200Z-restore-drill-7f3a',
    final: 'rolledBack',
    forward: 'completed',
    exitCode: 1, // what the engine says for any run ending rolled back
    durationMs: 30_000,
    forwardMs: 25_000,
    rollbackMs: 5_000,
    leftChanged: [],
    timings: {
      'verify-backups': { startedAt: '2026-11-23T04:12:00.500Z', durationMs: 400 },
      restore: { startedAt: '2026-11-23T04:12:01.000Z', durationMs: 1600, undoMs: 4000 },
      'check-restored': { startedAt: '2026-11-23T04:12:03.000Z', durationMs: 300 },
      'list-restored': { startedAt: '2026-11-23T04:12:04.000Z', durationMs: 100, undoMs: 5 },
    },
    context: context({
      outputs: {
        'verify-backups': backupOutputs,
        restore: restoreOutputs,
        'check-restored': { newestKey: 'drill/2026-11-23.dump', newestAgeSeconds: 2, count: 3, bytes: 3_000_000 },
        'list-restored': { stdout: 'restored 3 objects', exitCode: 0 },
      },
      status: { 'verify-backups': 'done', restore: 'rolled-back', 'check-restored': 'done', 'list-restored': 'rolled-back' },
      rollbackReason: 'rehearsal',
    }),
  };
}

/** verify of restore-drill.yaml failing at its first step: nothing changed, nothing to undo. */
export function staleVerify(message = 'newest backup db/2026-11-22.dump is 26h 3m old, older than rpo 1h'): RunOutcome {
  return {
    stoppedByOperator: false,
    runId: '20261123T041200Z-restore-drill-0001',
    final: 'aborted',
    exitCode: 1,
    durationMs: 800,
    forwardMs: 800,
    rollbackMs: 0,
    leftChanged: [],
    timings: { 'verify-backups': { startedAt: '2026-11-23T04:12:29.300Z', durationMs: 500 } },
    context: context({
      status: { 'verify-backups': 'failed', restore: 'pending', 'check-restored': 'pending', 'list-restored': 'pending' },
      error: { stepId: 'verify-backups', message },
    }),
  };
}

/** verify of restore-drill.yaml whose clean-up failed at the restore's undo. */
export function cleanupFailed(): RunOutcome {
  const o = passedVerify();
  return {
    ...o,
    final: 'rollbackFailed',
    leftChanged: ['restore'],
    timings: { ...o.timings, restore: { startedAt: '2026-11-23T04:12:01.000Z', durationMs: 1600 } },
    context: {
      ...o.context,
      applied: ['restore'],
      undos: { restore: { v: 1, kind: 's3', bucket: 'drill-scratch', prefix: 'drill/', versioned: false, undoId: 'restore-x', created: ['drill/a.dump'], overwritten: [], text: 's3://drill-scratch/drill/: delete 1 object(s) it created (drill/a.dump)' } },
      status: { ...o.context.status, restore: 'done' },
      rollbackError: { stepId: 'restore', message: 'AccessDenied: s3:DeleteObject on drill-scratch/drill/a.dump' },
    },
  };
}

/** verify of restore-drill.yaml stopped by SIGTERM during the restore, then rolled back. */
export function interruptedVerify(): RunOutcome {
  return {
    stoppedByOperator: false,
    runId: '20261123T041200Z-restore-drill-0002',
    final: 'rolledBack',
    exitCode: 130,
    durationMs: 5000,
    forwardMs: 5000,
    rollbackMs: 900,
    leftChanged: [],
    timings: {
      'verify-backups': { startedAt: '2026-11-23T04:12:25.000Z', durationMs: 400 },
      restore: { startedAt: '2026-11-23T04:12:26.000Z', durationMs: 2000, undoMs: 800 },
    },
    context: context({
      outputs: { 'verify-backups': backupOutputs },
      status: { 'verify-backups': 'done', restore: 'rolled-back', 'check-restored': 'pending', 'list-restored': 'pending' },
      interrupted: true,
      current: 'restore',
      rollbackReason: 'interrupted',
    }),
  };
}
