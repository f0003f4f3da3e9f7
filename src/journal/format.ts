/**
 * The journal format (version 1): one JSON object a line, append-only. Pure: building,
 * serialising, parsing (tolerating a torn last line) and replaying entries to the state
 * a run stood in. The file side is in ./store.ts. Documented in docs/journal.md.
 */
import { redactDeep, sealSecrets, type Secrets } from '../util/redact.js';
import { mergePatch } from './merge-patch.js';

export const JOURNAL_VERSION = 1;

export type RunMode = 'run' | 'dry-run' | 'rehearse' | 'verify' | 'rollback' | 'resume';

interface Base {
  v: 1;
  /** Sequence number within the run's journal, from 1. */
  seq: number;
  /** ISO-8601 time the entry was written. */
  at: string;
}

export type EntryBody =
  | {
      type: 'run-start';
      runId: string;
      /** `source`: the runbook text as it was run (verbatim), so the run can be resumed or rolled back from the journal alone. */
      runbook: { file: string; name: string; hash: string; source?: string | undefined };
      lifeboat: string;
      mode: RunMode;
      /** Resolved params; secret ones are left out (older journals: "***"), their names are in `secretParams`. */
      params: Record<string, string>;
      secretParams: string[];
      /** A salted hash of each secret param's value (src/util/secret-check.ts): resume and rollback refuse another value. Absent in older journals. */
      secretCheck?: Record<string, string> | undefined;
      user: string;
      host: string;
      pid: number;
      /** Where the run's lock is: a local lock file path, or the `--lock s3://bucket/key` URL. */
      lock?: string | undefined;
      /** Who the run acts as in AWS (the preflight's sts:GetCallerIdentity), when it uses AWS. */
      identity?: { account: string; arn: string; region?: string | undefined; profile?: string | undefined } | undefined;
    }
  | { type: 'transition'; state: string }
  | { type: 'plan'; stepId: string; summary: string; mutating: boolean; counts?: Record<string, number> }
  | {
      type: 'decision';
      stepId?: string | undefined;
      phase: DecisionPhase;
      choice: string;
      /** The operator's name (the person who started this process). */
      who: string;
      /**
       * Who made the decision: `operator` (a person at the terminal), the flag that made it (`--yes`, `--confirm`,
       * `--on-failure`, `--skip-undo`, `--ignore-drift`), `verify` (verify's own non-interactive rules: go on at
       * every step, roll back after a failure; no flag was needed), or `lifeboat` (its own rule: without a terminal, a
       * typed or manual confirmation that no --confirm answers is refused; choice `unanswered`). Absent in older journals.
       */
      by?: DecisionSource | undefined;
      /** Why, when a person said (e.g. what they did by hand). */
      reason?: string | undefined;
    }
  | { type: 'step-start'; stepId: string; attempt: number }
  | { type: 'intent'; stepId: string; undo: unknown }
  /** What the step learned while acting, added to its undo record (JSON Merge Patch, ./merge-patch.ts). */
  | { type: 'undo-amend'; stepId: string; patch: Record<string, unknown> }
  | {
      type: 'result';
      stepId: string;
      outputs: Record<string, unknown>;
      durationMs: number;
      requests: number;
      summary?: string | undefined;
      /** What the step left behind (verbatim): the way back compares it with the world. */
      left?: unknown;
    }
  | { type: 'step-failed'; stepId: string; error: string; changed: boolean; durationMs: number; outputs?: Record<string, unknown> | undefined }
  | { type: 'skipped'; stepId: string; reason: string }
  | { type: 'undo-start'; stepId: string }
  | {
      type: 'undo-done';
      stepId: string;
      durationMs: number;
      /** `undone` (absent in older journals), `by-hand` (a person did it; see the decision), `not-undone` (rollback: false). */
      how?: 'undone' | 'by-hand' | 'not-undone' | undefined;
    }
  /** The way back found that what a step left has changed since: refused, stopped at, or overridden. */
  | { type: 'drift'; stepId: string; items: Array<{ resource: string; left: string; now: string }>; action: 'refused' | 'stopped' | 'ignored' }
  | { type: 'undo-failed'; stepId: string; error: string }
  | { type: 'interrupt'; signal: string; action: 'rollback' | 'leave' | 'exit' }
  | {
      type: 'resumed';
      by: string;
      pid: number;
      force: boolean;
      /** Which command took the run over (absent in older journals: resume). */
      command?: 'resume' | 'rollback' | undefined;
      host?: string | undefined;
      /** The runbook's sha256 now, when it differs from the run-start hash (accepted with --force). */
      hash?: string | undefined;
    }
  | { type: 'warning'; message: string }
  | { type: 'run-end'; outcome: string; exitCode: number; durationMs: number };

export type DecisionPhase = 'before' | 'failure' | 'interrupt' | 'typed' | 'manual' | 'rollback' | 'undo' | 'undo-failure' | 'drift';
export type DecisionSource = 'operator' | '--yes' | '--confirm' | '--on-failure' | '--skip-undo' | '--ignore-drift' | 'verify' | 'lifeboat';

export type JournalEntry = Base & EntryBody;
export type EntryType = EntryBody['type'];

export function serializeEntry(entry: JournalEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

export interface ParsedJournal {
  entries: JournalEntry[];
  /** A torn last line (a crash mid-write) is dropped with a warning; it counts as not written. */
  warnings: string[];
}

export function parseJournal(text: string, file = 'journal.jsonl'): ParsedJournal {
  const entries: JournalEntry[] = [];
  const warnings: string[] = [];
  const lines = text.split('\n');
  // A complete journal ends with "\n", so the last element is "" unless the write was torn.
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const isLast = i === lines.length - 1;
    try {
      const value = JSON.parse(line) as JournalEntry;
      if (typeof value !== 'object' || value === null || value.v !== JOURNAL_VERSION || typeof value.type !== 'string') {
        throw new Error('not a journal entry');
      }
      if (isLast) throw new Error('no line end');
      entries.push(value);
    } catch {
      if (isLast) warnings.push(`${file}:${i + 1}: last line is incomplete (a crash while writing it); ignoring that entry`);
      else warnings.push(`${file}:${i + 1}: unreadable line ignored (an entry torn by a crash, later continued by resume or rollback)`);
    }
  });
  return { entries, warnings };
}

export type StepState = 'pending' | 'started' | 'intent' | 'done' | 'failed' | 'skipped' | 'rolling-back' | 'rolled-back' | 'undone-by-hand' | 'not-undone' | 'undo-failed';

/** The process that last drove the run: the one that started it, or the last resume/rollback. */
export interface RunProcess {
  pid: number;
  host: string;
  user: string;
  command: 'run' | 'resume' | 'rollback';
  at: string;
}

export interface ReplayedRun {
  runId: string;
  start: Extract<JournalEntry, { type: 'run-start' }>;
  steps: Record<string, StepState>;
  outputs: Record<string, Record<string, unknown>>;
  /** Steps that changed (or may have changed) the world and are not undone yet, in order. */
  applied: string[];
  /** Undo record per step: the one its capturing attempt journaled last (a step may extend it before changing more). */
  undos: Record<string, unknown>;
  /** What each completed step left behind (its result's `left`). */
  left: Record<string, unknown>;
  /** The step whose intent was journaled without a result: re-check it on resume. */
  inFlight?: string | undefined;
  /** `rollback` once the run entered its rollback walk (after a failure, an interrupt, a rehearsal, or `lifeboat rollback`). */
  phase: 'forward' | 'rollback';
  /** The last undo that failed and was not done since. */
  undoFailure?: { stepId: string; error: string } | undefined;
  /** The last run-end, unless a later process took the run over. */
  end?: Extract<JournalEntry, { type: 'run-end' }> | undefined;
  /**
   * While a resume or rollback process is (or was last) driving the run: where the run stood
   * when it took over, and whether it has changed anything since. A takeover that ends
   * without changing anything (refused on drift, declined at the prompt, stopped before its
   * first change) leaves the run as it found it (see `run-end` below).
   */
  takeover?: { end: ReplayedRun['end']; phase: ReplayedRun['phase']; changed: boolean } | undefined;
  process: RunProcess;
  lastAt: string;
  /** Highest seq seen: a process appending to this journal continues after it. */
  lastSeq: number;
  entries: JournalEntry[];
}

/** Rebuild where a run stood, from its entries alone. */
export function replay(entries: JournalEntry[]): ReplayedRun {
  const start = entries.find((e): e is Extract<JournalEntry, { type: 'run-start' }> => e.type === 'run-start');
  if (!start) throw new Error('journal has no run-start entry');
  const run: ReplayedRun = {
    runId: start.runId,
    start,
    steps: {},
    outputs: {},
    applied: [],
    undos: {},
    left: {},
    phase: 'forward',
    process: { pid: start.pid, host: start.host, user: start.user, command: 'run', at: start.at },
    lastAt: start.at,
    lastSeq: 0,
    entries,
  };
  for (const e of entries) {
    run.lastAt = e.at;
    if (typeof e.seq === 'number' && e.seq > run.lastSeq) run.lastSeq = e.seq;
    applyEntry(run, e);
  }
  return run;
}

/** Run ends that finish a run for good: nothing is left to resume. */
const FINISHED = new Set(['completed', 'rolledBack']);

function applyEntry(run: ReplayedRun, e: JournalEntry): void {
  switch (e.type) {
    case 'transition':
      if (e.state.startsWith('rollingBack')) run.phase = 'rollback';
      break;
    case 'decision':
      if (e.phase === 'before' && e.choice === 'skip' && e.stepId) run.steps[e.stepId] = 'skipped';
      break;
    case 'step-start':
      if (run.steps[e.stepId] !== 'done') run.steps[e.stepId] = 'started';
      break;
    case 'intent':
      if (run.takeover) run.takeover.changed = true;
      run.steps[e.stepId] = 'intent';
      if (!run.applied.includes(e.stepId)) run.applied.push(e.stepId);
      run.undos[e.stepId] = e.undo;
      run.inFlight = e.stepId;
      break;
    case 'undo-amend':
      if (run.undos[e.stepId] !== undefined) run.undos[e.stepId] = mergePatch(run.undos[e.stepId], e.patch);
      break;
    case 'result':
      run.steps[e.stepId] = 'done';
      run.outputs[e.stepId] = e.outputs;
      if (e.left !== undefined) run.left[e.stepId] = e.left;
      if (run.inFlight === e.stepId) run.inFlight = undefined;
      break;
    case 'step-failed':
      run.steps[e.stepId] = 'failed';
      if (run.inFlight === e.stepId) run.inFlight = undefined;
      break;
    case 'skipped':
      run.steps[e.stepId] = 'skipped';
      break;
    case 'undo-start':
      if (run.takeover) run.takeover.changed = true;
      run.phase = 'rollback';
      run.steps[e.stepId] = 'rolling-back';
      break;
    case 'undo-done':
      run.steps[e.stepId] = e.how === 'by-hand' ? 'undone-by-hand' : e.how === 'not-undone' ? 'not-undone' : 'rolled-back';
      run.applied = run.applied.filter((s) => s !== e.stepId);
      if (run.inFlight === e.stepId) run.inFlight = undefined;
      if (run.undoFailure?.stepId === e.stepId) run.undoFailure = undefined;
      break;
    case 'undo-failed':
      run.steps[e.stepId] = 'undo-failed';
      run.undoFailure = { stepId: e.stepId, error: e.error };
      break;
    case 'resumed':
      run.takeover = { end: run.end, phase: run.phase, changed: false };
      run.end = undefined;
      if (e.command === 'rollback') run.phase = 'rollback';
      run.process = { pid: e.pid, host: e.host ?? run.process.host, user: e.by, command: e.command ?? 'resume', at: e.at };
      break;
    case 'run-end':
      if (run.takeover && !run.takeover.changed && !FINISHED.has(e.outcome)) {
        // A resume or rollback that changed nothing and did not finish the run (a rollback
        // refused on drift, or declined): the run stands where it stood before, its phase
        // and its end (a completed run stays completed, an aborted one is resumed forward).
        run.end = run.takeover.end;
        run.phase = run.takeover.phase;
      } else run.end = e;
      run.takeover = undefined;
      break;
    default:
      break;
  }
}

// ------------------------------------------------------------------ secrets in entries

/**
 * The fields of each entry type that people read, and only those, are masked before an
 * entry is written: every other field is journaled verbatim, because the journal acts on it
 * (undo records, what a step left, captured "before" states, the runbook source, params).
 * A field added to an entry type is verbatim until it is listed here; an entry type added
 * must be listed (the type checker says so).
 */
export const MASKED_FIELDS = {
  'run-start': [],
  transition: [],
  plan: ['summary'],
  decision: ['reason'],
  'step-start': [],
  intent: [],
  'undo-amend': [],
  result: ['outputs', 'summary'],
  'step-failed': ['error', 'outputs'],
  skipped: ['reason'],
  'undo-start': [],
  'undo-done': [],
  'undo-failed': ['error'],
  // What was found, as described to the operator (what the step left is in its result's `left`, verbatim).
  drift: ['items'],
  interrupt: [],
  resumed: [],
  warning: ['message'],
  'run-end': [],
} as const satisfies { [K in EntryType]: ReadonlyArray<keyof Extract<EntryBody, { type: K }>> };

/**
 * The fields that carry records the journal acts on and that may hold a secret param's
 * value: sealed (the value replaced by `${{ params.<name> }}`), never masked, unsealed when
 * the run is resumed or rolled back (`unsealSecrets`).
 */
export const SEALED_FIELDS: Readonly<Partial<Record<EntryType, readonly string[]>>> = {
  intent: ['undo'],
  'undo-amend': ['patch'],
  result: ['left'],
};

/**
 * An entry as it may be written: the fields of MASKED_FIELDS masked (every secret value),
 * those of SEALED_FIELDS sealed (secret params), the run-start's secret params left out
 * (their names stay in `secretParams`). Everything else as it is.
 */
export function protectEntry<T extends JournalEntry>(entry: T, secrets: Secrets): T {
  const out: Record<string, unknown> = { ...entry };
  const masked: readonly string[] = MASKED_FIELDS[entry.type];
  if (secrets.values.length > 0) {
    for (const field of masked) if (out[field] !== undefined) out[field] = redactDeep(out[field], secrets);
  }
  for (const field of SEALED_FIELDS[entry.type] ?? []) if (out[field] !== undefined) out[field] = sealSecrets(out[field], secrets.params);
  if (entry.type === 'run-start') {
    const secret = new Set([...entry.secretParams, ...Object.keys(secrets.params)]);
    out.params = Object.fromEntries(Object.entries(entry.params).filter(([k]) => !secret.has(k)));
  }
  return out as T;
}

/** Run ids sort by time and name the runbook: 20261123T041200Z-region-failover-7f3a. */
export function makeRunId(runbookName: string, now: Date, random: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${runbookName}-${random}`;
}
