/**
 * The one way a run's report is built: from its journal (contract §4: "A report is built
 * from the journal"). The journal holds every transition, attempt, result, decision and
 * undo with its time, across every process that drove the run (the one that started it,
 * then each resume or rollback), so a resumed run's report has the true start, every
 * step's duration and the whole recovery time — and `show <id> --report` renders the same
 * report for any past run. Pure: entries in, report out; no engine state.
 *
 * The journal is read into the run facts the report model renders (./model.ts), then
 * judged against the recovery targets (./targets.ts).
 */
import type { RunOutcome, StepTiming } from '../engine/run.js';
import { replay, type JournalEntry, type ReplayedRun, type RunMode } from '../journal/format.js';
import { changesInPlace } from '../engine/outcome.js';
import { FINAL_STATES, type FinalState, type RunContext, type StepOutputs, type StepStatus } from '../machine/compile.js';
import type { Runbook } from '../runbook/model.js';
import { buildReport, rehearsalExitCode, type Report } from './model.js';

export interface JournalReportInput {
  /** The run's journal entries (or the replayed run). */
  journal: readonly JournalEntry[] | ReplayedRun;
  /** The runbook as run (the journal keeps its text). */
  runbook: Runbook;
  lifeboatVersion: string;
  host?: string | undefined;
  user?: string | undefined;
  /**
   * The exit code of the command that just drove the run (resume, rollback); by default the
   * journal's: a rehearsal's from how it ended, any other run's from its last run-end.
   */
  exitCode?: number | undefined;
  redact?: (text: string) => string;
  /**
   * A resume or rollback that drove nothing (there was nothing left to do, or it was refused
   * before any change): the report is of that command, over the run's journaled facts. Its
   * mode (default: the run's), how it ended and why, instead of the run's own end.
   */
  command?: { mode?: RunMode | undefined; final: FinalState; error?: { stepId: string; message: string } | null | undefined } | undefined;
}

const TERMINAL = new Set<string>(FINAL_STATES);

export function buildJournalReport(input: JournalReportInput): Report {
  const run = 'entries' in input.journal && 'start' in input.journal ? input.journal : replay([...(input.journal)]);
  const journaled = outcomeFromJournal(run, input.runbook);
  const c = input.command;
  // error: null is none (the command found nothing to do), undefined the journal's own.
  const outcome: RunOutcome = c ? { ...journaled, final: c.final, context: { ...journaled.context, error: c.error === undefined ? journaled.context.error : (c.error ?? undefined) } } : journaled;
  const mode = c?.mode ?? run.start.mode;
  const rehearsal = run.start.mode === 'rehearse' || run.start.mode === 'verify';
  const exitCode = input.exitCode ?? (rehearsal ? rehearsalExitCode(outcome) : outcome.exitCode);
  return buildReport({
    outcome,
    runbook: input.runbook,
    mode,
    exitCode,
    finishedAt: new Date(run.lastAt),
    lifeboatVersion: input.lifeboatVersion,
    host: input.host ?? run.start.host,
    user: input.user ?? run.start.user,
    ...(input.redact ? { redact: input.redact } : {}),
  });
}

/** The run's facts, as the report model reads them, from the journal alone. */
export function outcomeFromJournal(run: ReplayedRun, runbook: Runbook): RunOutcome {
  const entries = run.entries;
  const t = (e: { at: string }): number => Date.parse(e.at);
  const startMs = t(run.start);
  const lastMs = Date.parse(run.lastAt);

  // How the forward run ended: the first final state (or the first step of a rollback walk)
  // of the last process that went forward. A run stopped (Ctrl-C, abort, kill -9) and resumed
  // ended its forward part in the resume, not at the stop: the recovery time is the whole of it.
  const lastForward = entries.reduce((at, e, i) => (e.type === 'resumed' && entries.slice(i + 1).some((n) => n.type === 'step-start') ? i : at), 0);
  const forwardEnd = entries.slice(lastForward).find((e) => e.type === 'transition' && (TERMINAL.has(e.state) || e.state.startsWith('rollingBack')));
  const forwardEndState = forwardEnd?.type === 'transition' ? forwardEnd.state : undefined;
  const rolledBackAfter = forwardEnd !== undefined && entries.some((e) => e.seq > forwardEnd.seq && e.type === 'transition' && e.state.startsWith('rollingBack'));
  const forward = forwardEndState !== undefined && TERMINAL.has(forwardEndState) && rolledBackAfter ? (forwardEndState as FinalState) : undefined;
  const final: FinalState = run.end && TERMINAL.has(run.end.outcome) ? (run.end.outcome as FinalState) : 'suspended';

  // Per process (split at each resume/rollback): step times, and the rollback's time.
  const segments: JournalEntry[][] = [[]];
  for (const e of entries) {
    if (e.type === 'resumed') segments.push([]);
    (segments[segments.length - 1] as JournalEntry[]).push(e);
  }
  const timings: Record<string, StepTiming> = {};
  let rollbackMs = 0;
  for (const seg of segments) {
    const segEnd = seg.length > 0 ? t(seg[seg.length - 1] as JournalEntry) : lastMs;
    const open = new Map<string, number>();
    for (const e of seg) {
      if (e.type === 'step-start') {
        if (!open.has(e.stepId)) open.set(e.stepId, t(e));
        const tm = (timings[e.stepId] ??= {});
        tm.startedAt ??= e.at;
      } else if ((e.type === 'result' || e.type === 'step-failed') && open.has(e.stepId)) {
        const tm = (timings[e.stepId] ??= {});
        tm.durationMs = (tm.durationMs ?? 0) + e.durationMs;
        open.delete(e.stepId);
      } else if (e.type === 'undo-done') {
        const tm = (timings[e.stepId] ??= {});
        tm.undoMs = (tm.undoMs ?? 0) + e.durationMs;
      }
    }
    // A step this process started and never finished (killed mid-step): its time until the process's last entry.
    for (const [stepId, at] of open) {
      const tm = (timings[stepId] ??= {});
      tm.durationMs = (tm.durationMs ?? 0) + Math.max(0, segEnd - at);
    }
    const back = seg.find((e) => (e.type === 'transition' && e.state.startsWith('rollingBack')) || e.type === 'undo-start');
    if (back) rollbackMs += Math.max(0, segEnd - t(back));
  }

  // What each step came to, its outputs (a failed step keeps what it measured), why skipped.
  const status: Record<string, StepStatus> = {};
  for (const s of runbook.steps) status[s.id] = STATUS[run.steps[s.id] ?? 'pending'] ?? 'pending';
  const outputs: Record<string, StepOutputs> = {};
  const skipReasons: Record<string, string> = {};
  let error: RunContext['error'];
  let rollbackError: RunContext['rollbackError'];
  let rollbackReason: string | undefined;
  let refusal: RunContext['error'];
  let resumedBy: string | undefined;
  let interrupted = false;
  let current: string | undefined;
  for (const e of entries) {
    switch (e.type) {
      case 'step-start':
        current = e.stepId;
        break;
      case 'result':
        outputs[e.stepId] = e.outputs as StepOutputs;
        if (error?.stepId === e.stepId) error = undefined;
        break;
      case 'step-failed':
        if (e.outputs) outputs[e.stepId] = e.outputs as StepOutputs;
        error = { stepId: e.stepId, message: e.error };
        break;
      case 'skipped':
        skipReasons[e.stepId] = e.reason;
        break;
      case 'decision':
        if (e.phase === 'before' && e.choice === 'skip' && e.stepId) skipReasons[e.stepId] ??= 'skipped by the operator';
        if (e.phase === 'before' && e.choice === 'rollback') rollbackReason ??= 'operator';
        if (e.phase === 'failure' && e.choice === 'rollback') rollbackReason ??= 'failure';
        break;
      case 'interrupt':
        interrupted = true;
        if (e.action === 'rollback') rollbackReason ??= 'interrupted';
        break;
      case 'undo-failed':
        rollbackError = { stepId: e.stepId, message: e.error };
        break;
      case 'undo-done':
        if (rollbackError?.stepId === e.stepId) rollbackError = undefined;
        break;
      case 'resumed':
        if (e.command === 'rollback') rollbackReason ??= 'command';
        resumedBy = e.command;
        break;
      case 'warning':
        // A refusal before any change: of the run by a `require:` check, or of a later `lifeboat rollback` (drift, no consent).
        if (e.message.startsWith('refused: ')) refusal = { stepId: resumedBy === 'rollback' ? 'rollback' : 'require', message: e.message.slice('refused: '.length) };
        break;
      default:
        break;
    }
  }
  // A refusal is the run's error only if the run ended refused: one superseded by a later
  // resume or rollback (or a rollback refused over a run that had completed) is not.
  if (refusal && run.end?.outcome === 'refused') error = refusal;
  if (forward === 'completed') rollbackReason ??= 'rehearsal';
  if (forward === 'aborted') rollbackReason ??= 'clean-up';

  const forwardMs = Math.max(0, (forwardEnd ? t(forwardEnd) : lastMs) - startMs);
  const context: RunContext = {
    params: run.start.params,
    outputs,
    applied: [...run.applied],
    undos: run.undos,
    left: run.left,
    driftAccepted: [],
    status,
    skipReasons,
    plans: {},
    error,
    rollbackError: rollbackError ?? (run.undoFailure ? { stepId: run.undoFailure.stepId, message: run.undoFailure.error } : undefined),
    rollbackReason,
    interrupted,
    current,
  };
  return {
    runId: run.runId,
    final,
    exitCode: (run.end?.exitCode ?? 130) as RunOutcome['exitCode'],
    context,
    durationMs: Math.max(0, lastMs - startMs),
    rollbackMs,
    timings,
    leftChanged: changesInPlace(run),
    // A person at a terminal chose to stop with changes in place.
    stoppedByOperator: run.entries.some((e) => e.type === 'decision' && e.by === 'operator' && ['abort', 'leave', 'not now'].includes(e.choice)),
    ...(forward ? { forward } : {}),
    forwardMs,
  };
}

const STATUS: Partial<Record<string, StepStatus>> = {
  done: 'done',
  skipped: 'skipped',
  failed: 'failed',
  'rolled-back': 'rolled-back',
  'undone-by-hand': 'undone-by-hand',
  'not-undone': 'not-undone',
  // An undo in progress or failed: the step itself had completed.
  'rolling-back': 'done',
  'undo-failed': 'done',
};
