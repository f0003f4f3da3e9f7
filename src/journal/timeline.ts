/**
 * What `lifeboat runs` and `lifeboat show` print, computed from a replayed journal. Pure:
 * whether a run's process is still alive is asked through `alive`, supplied by the caller.
 * The JSON shapes here are part of the contract (`--json`): add fields, never rename.
 */
import type { JournalEntry, ReplayedRun, RunProcess, StepState } from './format.js';

/** A run's status: how it ended, or `running` / `unfinished` (its process is gone without an end: killed or crashed). */
export type RunStatus = 'completed' | 'rolledBack' | 'aborted' | 'rollbackFailed' | 'suspended' | 'refused' | 'running' | 'unfinished' | (string & Record<never, never>);

export interface RunSummary {
  runId: string;
  runbook: string;
  file: string;
  mode: string;
  status: RunStatus;
  exitCode: number | null;
  startedAt: string;
  /** When the last entry was written. */
  lastAt: string;
  durationMs: number;
  /** Who started it (user@host), and who drives it now (after a resume or rollback). */
  who: string;
  lastBy: string;
  host: string;
  pid: number;
  /** Steps still changed (not undone), in the order they were applied. */
  changed: string[];
  /** The step whose intent was journaled without a result. */
  inFlight: string | null;
  phase: 'forward' | 'rollback';
}

/** true alive, false gone, undefined cannot tell (another host). */
export type Alive = (p: RunProcess) => boolean | undefined;

export function summarize(run: ReplayedRun, alive: Alive): RunSummary {
  const start = run.start;
  let status: RunStatus;
  if (run.end) status = run.end.outcome;
  else status = alive(run.process) === false ? 'unfinished' : 'running';
  return {
    runId: run.runId,
    runbook: start.runbook.name,
    file: start.runbook.file,
    mode: start.mode,
    status,
    exitCode: run.end ? run.end.exitCode : null,
    startedAt: start.at,
    lastAt: run.lastAt,
    durationMs: Math.max(0, Date.parse(run.lastAt) - Date.parse(start.at)),
    who: start.user,
    lastBy: run.process.user,
    host: start.host,
    pid: run.process.pid,
    changed: [...run.applied],
    inFlight: run.inFlight ?? null,
    phase: run.phase,
  };
}

export interface Decision {
  at: string;
  phase: string;
  choice: string;
  /** The operator's name (who ran lifeboat). */
  who: string;
  /** Who decided: `operator`, the flag (`--yes`, `--confirm`, …) or `verify`; null in journals older than the field. */
  by: string | null;
}

/**
 * Who decided, as people read it: the operator's name alone for a person at the terminal (or
 * an older journal that does not say), else the name and what decided for them, e.g.
 * `alice@host via --yes`: a flag's decision is never shown as a person's.
 */
export function decidedBy(who: string, by: string | null | undefined): string {
  return by === undefined || by === null || by === 'operator' ? who : `${who} via ${by}`;
}

export type UndoState = 'none' | 'recorded' | 'undoing' | 'undone' | 'undone by hand' | 'not undone' | 'undo-failed';

export interface StepRow {
  stepId: string;
  status: StepState;
  startedAt: string | null;
  durationMs: number | null;
  attempts: number;
  outcome: string | null;
  decisions: Decision[];
  undo: UndoState;
  /** What undoing it does (or did), from the undo record. */
  undoText: string | null;
  undoMs: number | null;
}

/** One row per step that appears in the journal, in the order they first appear. */
export function stepRows(run: ReplayedRun): StepRow[] {
  const rows = new Map<string, StepRow>();
  // How each step ran, and the steps walked back with nothing to undo: those keep that status, not `rolled-back`.
  const forward = new Map<string, StepState>();
  const nothingUndone = new Set<string>();
  const row = (stepId: string): StepRow => {
    let r = rows.get(stepId);
    if (!r) {
      r = { stepId, status: run.steps[stepId] ?? 'pending', startedAt: null, durationMs: null, attempts: 0, outcome: null, decisions: [], undo: 'none', undoText: null, undoMs: null };
      rows.set(stepId, r);
    }
    return r;
  };
  for (const e of run.entries) {
    switch (e.type) {
      case 'plan':
        row(e.stepId);
        break;
      case 'decision':
        if (e.stepId) row(e.stepId).decisions.push({ at: e.at, phase: e.phase, choice: e.choice, who: e.who, by: e.by ?? null });
        break;
      case 'step-start': {
        const r = row(e.stepId);
        r.attempts += 1;
        r.startedAt ??= e.at;
        break;
      }
      case 'intent': {
        const r = row(e.stepId);
        r.undo = 'recorded';
        r.undoText = describeUndoRecord(e.undo);
        break;
      }
      case 'result': {
        const r = row(e.stepId);
        forward.set(e.stepId, 'done');
        r.durationMs = e.durationMs;
        r.outcome = e.summary ?? 'done';
        break;
      }
      case 'step-failed': {
        const r = row(e.stepId);
        forward.set(e.stepId, 'failed');
        r.durationMs = e.durationMs;
        r.outcome = `failed: ${e.error}`;
        break;
      }
      case 'skipped':
        row(e.stepId).outcome = `skipped: ${e.reason}`;
        break;
      case 'undo-start':
        row(e.stepId).undo = 'undoing';
        break;
      case 'undo-done': {
        const r = row(e.stepId);
        r.undo = undoStateOf(e.how);
        r.undoMs = e.durationMs;
        if (nothingWasUndone(e, run)) {
          r.undo = 'none';
          nothingUndone.add(e.stepId);
        }
        break;
      }
      case 'undo-failed':
        row(e.stepId).undo = 'undo-failed';
        break;
      default:
        break;
    }
  }
  for (const r of rows.values()) {
    const state = run.steps[r.stepId];
    r.status = state === 'rolled-back' && nothingUndone.has(r.stepId) ? (forward.get(r.stepId) ?? state) : (state ?? (r.decisions.some((d) => d.choice === 'skip') ? 'skipped' : 'pending'));
  }
  return [...rows.values()];
}

/** An undo that had nothing to undo (a `{ none: true }` record, e.g. a shell step with no `rollback:`): not a rollback. */
function nothingWasUndone(e: { stepId: string; how?: string | undefined }, run: ReplayedRun): boolean {
  if (e.how !== undefined && e.how !== 'undone') return false;
  const u = run.undos[e.stepId];
  return typeof u === 'object' && u !== null && (u as { none?: unknown }).none === true && (u as { irreversible?: unknown }).irreversible !== true;
}

export interface TimelineRow {
  seq: number;
  at: string;
  stepId: string | null;
  /** run-start, decision, step-start, intent, result, step-failed, skipped, undo-*, interrupt, resumed, warning, run-end. */
  event: string;
  detail: string;
  who: string | null;
  /** For a decision: who decided (`operator`, the flag, or `verify`); null for other events and in journals older than the field. */
  by: string | null;
  durationMs: number | null;
  outcome: string | null;
  undo: UndoState | null;
}

/** The journal as a timeline of what happened and who decided; plans and transitions left out. */
export function timeline(run: ReplayedRun): TimelineRow[] {
  const rows: TimelineRow[] = [];
  for (const e of run.entries) {
    const r = timelineRow(e, run);
    if (r) rows.push({ seq: e.seq, at: e.at, stepId: null, who: null, by: null, durationMs: null, outcome: null, undo: null, ...r });
  }
  return rows;
}

type RowPart = Pick<TimelineRow, 'event' | 'detail'> & Partial<Omit<TimelineRow, 'seq' | 'at' | 'event' | 'detail'>>;

function timelineRow(e: JournalEntry, run: ReplayedRun): RowPart | undefined {
  switch (e.type) {
    case 'run-start':
      return { event: 'run-start', detail: `${e.mode} of ${e.runbook.name} (${e.runbook.file}) on ${e.host}, pid ${e.pid}`, who: e.user };
    case 'decision':
      return { event: 'decision', stepId: e.stepId ?? null, detail: `${e.phase}: ${e.choice}`, who: e.who, by: e.by ?? null };
    case 'step-start':
      return { event: 'step-start', stepId: e.stepId, detail: `attempt ${e.attempt}` };
    case 'intent':
      return { event: 'intent', stepId: e.stepId, detail: `undo recorded: ${describeUndoRecord(e.undo)}`, undo: 'recorded' };
    case 'result':
      return { event: 'result', stepId: e.stepId, detail: e.summary ?? 'done', durationMs: e.durationMs, outcome: 'done' };
    case 'step-failed':
      return { event: 'step-failed', stepId: e.stepId, detail: e.error, durationMs: e.durationMs, outcome: e.changed ? 'failed (changed something)' : 'failed (nothing changed)' };
    case 'skipped':
      return { event: 'skipped', stepId: e.stepId, detail: e.reason, outcome: 'skipped' };
    case 'undo-start':
      return { event: 'undo-start', stepId: e.stepId, detail: 'rolling back', undo: 'undoing' };
    case 'undo-done':
      if (nothingWasUndone(e, run)) return { event: 'undo-done', stepId: e.stepId, detail: 'nothing to undo', durationMs: e.durationMs, undo: 'none' };
      return { event: 'undo-done', stepId: e.stepId, detail: UNDO_DETAIL[undoStateOf(e.how)], durationMs: e.durationMs, undo: undoStateOf(e.how) };
    case 'drift':
      return {
        event: 'drift',
        stepId: e.stepId,
        detail: `${e.action === 'ignored' ? 'undone over a later change' : e.action === 'refused' ? 'rollback refused' : 'rollback stopped'}: ${e.items.map((d) => `${d.resource}: left ${d.left}, now ${d.now}`).join('; ')}`,
      };
    case 'undo-failed':
      return { event: 'undo-failed', stepId: e.stepId, detail: e.error, undo: 'undo-failed' };
    case 'interrupt':
      return { event: 'interrupt', detail: `${e.signal}: ${e.action === 'rollback' ? 'rolling back' : e.action === 'leave' ? 'state left for resume' : 'exited at once'}` };
    case 'resumed':
      return { event: 'resumed', detail: `${e.command ?? 'resume'} by pid ${e.pid}${e.host ? ` on ${e.host}` : ''}${e.force ? ' (--force: runbook changed)' : ''}`, who: e.by };
    case 'warning':
      return { event: 'warning', detail: e.message };
    case 'run-end':
      return { event: 'run-end', detail: `${e.outcome}, exit ${e.exitCode}`, durationMs: e.durationMs, outcome: e.outcome };
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------ undo records, for people

function undoStateOf(how: 'undone' | 'by-hand' | 'not-undone' | undefined): 'undone' | 'undone by hand' | 'not undone' {
  return how === 'by-hand' ? 'undone by hand' : how === 'not-undone' ? 'not undone' : 'undone';
}

const UNDO_DETAIL: Record<'undone' | 'undone by hand' | 'not undone', string> = { undone: 'rolled back', 'undone by hand': 'undone by hand (see the decision)', 'not undone': 'not undone: it cannot be undone (rollback: false)' };

/**
 * One line: what undoing a step puts back, read from its undo record alone: the `text` journaled
 * with it (docs/journal.md). Used by `show` and after a failed rollback, where it says
 * what is still changed and what to put back by hand.
 */
export function describeUndoRecord(undo: unknown): string {
  if (undo === undefined || undo === null) return 'no undo record';
  if (typeof undo !== 'object') return String(undo);
  const u = undo as Record<string, unknown>;
  if (u.dryRun === true) return 'dry run: nothing was changed';
  // How the record reads to a person is journaled with it (`text`, from the step's type):
  // nothing here needs to know a step type's record shape.
  if (typeof u.text === 'string' && u.text !== '') return u.text;
  if (Array.isArray(u.run)) return `run ${(u.run as unknown[]).map((a) => JSON.stringify(a)).join(' ')}${typeof u.cwd === 'string' ? ` in ${u.cwd}` : ''}`;
  if (typeof u.instructions === 'string') return `by hand: ${u.instructions.trim().split('\n')[0] ?? ''}`;
  if (u.none === true) return u.irreversible ? 'cannot be undone (rollback: false)' : 'nothing to undo';
  const text = JSON.stringify(undo);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
