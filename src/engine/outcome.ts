/**
 * How a run ended, and the one place that turns that into an exit code and decides whether
 * the run keeps its lock. Pure. Exit codes (contract §1): 0 completed · 1 the world is as
 * before (a step failed or the operator aborted, and everything was undone) · 3 refused
 * before any change · 4 a person must look now · 5 stopped by the operator with changes in
 * place · 130 interrupted by a signal, state saved.
 */
import { ExitCode, type ExitCodeValue } from '../errors.js';
import type { FinalState, RunContext } from '../machine/compile.js';

export interface StepTiming {
  startedAt?: string;
  durationMs?: number;
  undoMs?: number;
}

/** What the run was asked to do: go forward (run, resume, rehearse, verify) or walk back (`lifeboat rollback`). */
export type RunKind = 'forward' | 'rollback';

export interface RunOutcome {
  runId: string;
  final: FinalState;
  exitCode: ExitCodeValue;
  context: RunContext;
  durationMs: number;
  rollbackMs: number;
  timings: Record<string, StepTiming>;
  /** What is still changed: the steps left on the undo list (dry-run steps changed nothing and are not listed). */
  leftChanged: string[];
  /** With rollbackAfter: how the forward run ended, before the clean-up rollback. */
  forward?: FinalState;
  /** Milliseconds until the forward run ended (the measured recovery time). */
  forwardMs: number;
  /** The run stopped because a person chose to (abort, "leave it", "not now"), not because of a signal. */
  stoppedByOperator: boolean;
  /** Whether the run's lock was kept when this process ended (set by whoever held it; absent: not known). */
  lockKept?: boolean | undefined;
  /** The journal could not be written: what failed and where. */
  journalError?: { message: string; path: string; hint?: string | undefined } | undefined;
}

export interface OutcomeFacts {
  final: FinalState;
  kind: RunKind;
  /** Steps whose changes are still in place. */
  changesInPlace: number;
  interrupted: boolean;
  stoppedByOperator: boolean;
  /** Rehearse/verify: how the forward part ended. */
  forward?: FinalState | undefined;
}

/** The exit code of a run, decided once from how it ended. */
export function exitCodeOf(f: OutcomeFacts): ExitCodeValue {
  switch (f.final) {
    case 'completed':
      return ExitCode.ok;
    case 'refused':
      return ExitCode.refused;
    case 'rollbackFailed':
    case 'journalFailed':
      return ExitCode.rollbackFailed;
    case 'suspended':
    case 'aborted':
      if (f.changesInPlace === 0) return f.interrupted && !f.stoppedByOperator ? ExitCode.interrupted : ExitCode.failed;
      return f.stoppedByOperator ? ExitCode.stopped : f.interrupted ? ExitCode.interrupted : ExitCode.stopped;
    case 'rolledBack':
      if (f.interrupted) return ExitCode.interrupted;
      // `lifeboat rollback` did what it was asked; a rehearsal that completed and was cleaned up passed.
      if (f.kind === 'rollback' || f.forward === 'completed') return ExitCode.ok;
      return ExitCode.failed;
  }
}

/**
 * A run keeps its lock while anything it changed is still in place (contract §4 "Locks and
 * changes"). `heldBefore: false`: a completed run had released it; a rollback of it refused
 * before any change (exit 3) leaves it released, as it found it.
 */
export function keepsLock(final: FinalState, changesInPlace: number, heldBefore = true): boolean {
  if (final === 'refused' && !heldBefore) return false;
  return final !== 'completed' && changesInPlace > 0;
}

/** Steps still changed: on the undo list, less those a dry run only pretended to change. */
export function changesInPlace(context: Pick<RunContext, 'applied' | 'undos'>): string[] {
  return context.applied.filter((id) => !isDryRunUndo(context.undos[id]));
}

export function isDryRunUndo(undo: unknown): boolean {
  return typeof undo === 'object' && undo !== null && (undo as { dryRun?: unknown }).dryRun === true;
}

/**
 * The record a step writes when its change has nothing to undo (`{ none: true }`, e.g. a shell
 * step with no `rollback:`); one that cannot be undone (`irreversible`, rollback: false) is not this.
 */
export function isNothingToUndo(undo: unknown): boolean {
  if (typeof undo !== 'object' || undo === null) return false;
  const u = undo as { none?: unknown; irreversible?: unknown };
  return u.none === true && u.irreversible !== true;
}
