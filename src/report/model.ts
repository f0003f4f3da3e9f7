/**
 * The report of a finished run: what rehearse and verify (and run, resume, rollback)
 * write as JSON, JUnit, Markdown, Prometheus metrics and the --notify POST. Pure: built
 * from the engine's RunOutcome and the runbook, no I/O. The zod schema below is the one
 * source of truth: the TypeScript type is inferred from it and the published
 * schema/report.schema.json is generated from it (src/report/write-schema.ts; a test
 * fails when the committed file is stale).
 */
import { z } from 'zod';
import type { RunOutcome } from '../engine/run.js';
import { isNothingToUndo } from '../engine/outcome.js';
import type { RunMode } from '../journal/format.js';
import { describeUndoRecord } from '../journal/timeline.js';
import { FINAL_STATES } from '../machine/compile.js';
import type { Runbook } from '../runbook/model.js';
import { isStepType, stepType } from '../steps/catalogue.js';
import type { ReportFacts } from '../steps/descriptor.js';
import { formatAge, formatBytes, formatDuration, formatMs } from '../util/format.js';
import { redactDeep } from '../util/redact.js';
import { applyTargets, judgedAgainstTargets } from './targets.js';

export const REPORT_VERSION = 1;
export const REPORT_SCHEMA_ID = 'https://lifeboat.dev/schema/report.schema.json';

const MODES = ['run', 'dry-run', 'rehearse', 'verify', 'rollback', 'resume'] as const satisfies readonly RunMode[];
type ModesCoverRunMode = RunMode extends (typeof MODES)[number] ? true : never;
const modesCoverRunMode: ModesCoverRunMode = true;
void modesCoverRunMode;

export const VERDICTS = ['passed', 'failed', 'refused', 'rollback-failed', 'interrupted'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const STEP_STATUSES = ['passed', 'failed', 'skipped', 'rolled-back', 'not-run', 'interrupted'] as const;
export type StepReportStatus = (typeof STEP_STATUSES)[number];

const ms = z.number().nonnegative();
const outputValue = z.union([z.string(), z.number(), z.boolean()]);
const where = z.object({ stepId: z.string(), message: z.string() });

export const StepReportSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    description: z.string().optional(),
    status: z
      .enum(STEP_STATUSES)
      .describe(
        'passed: ran and succeeded, and lifeboat did not undo it (see `undo`: still in place, nothing to undo, cannot be undone, or undone by hand); rolled-back: succeeded, then undone; failed: this step broke the run; skipped: by its `when` or the operator; not-run: the run ended before it; interrupted: stopped by a signal while running',
      ),
    durationMs: ms.nullable().describe('Time the step took, retries included; null when it did not run'),
    undoMs: ms.nullable().describe('Time its rollback took; null when it was not rolled back (nothing to undo, or it cannot be undone)'),
    undo: z
      .enum(['done', 'by-hand', 'not-undone', 'failed', 'still-changed', 'none'])
      .describe(
        'done: its change was undone; by-hand: a person undid it (journaled with who); not-undone: it cannot be undone (rollback: false); failed: the undo failed; still-changed: its change is still in place; none: nothing to undo',
      ),
    outputs: z.record(z.string(), outputValue).describe('The step outputs (also journaled); long strings are truncated'),
    error: z.string().optional().describe('Why the step failed (or was interrupted)'),
    undoError: z.string().optional().describe('Why its rollback failed'),
    skipReason: z.string().optional(),
  })
  .describe('One step of the runbook, in runbook order');

export const ReportSchema = z
  .object({
    reportVersion: z.literal(REPORT_VERSION),
    lifeboat: z.string().describe('lifeboat version that wrote the report'),
    runId: z
      .string()
      .nullable()
      .describe(
        'The run id. null only for a run stopped before it was given one (invalid runbook or --param, missing consent or confirmation: verdict refused, exit 2 or 3); a run refused later (the lock held, the AWS preflight) has its id, but nothing is journaled under it',
      ),
    runbook: z.object({ name: z.string(), file: z.string(), description: z.string().optional() }),
    mode: z.enum(MODES),
    host: z.string().nullable(),
    user: z.string().nullable(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    durationMs: ms.describe('Whole run, rollback included'),
    verdict: z
      .enum(VERDICTS)
      .describe('passed (exit 0), failed and cleaned up (1), refused before any change (3; 2 for an invalid runbook or a bad invocation), rollback failed (4), interrupted (130)'),
    exitCode: z.number().int(),
    summary: z.string().describe('One line for people: chat, logs, e-mail subjects'),
    final: z.enum(FINAL_STATES).describe("The engine's final state"),
    forward: z.enum(FINAL_STATES).nullable().describe('How the forward run ended, before the clean-up rollback (rehearse, verify)'),
    interrupted: z.boolean(),
    rollbackReason: z.string().nullable(),
    error: where.nullable().describe('The step that broke the run, and why'),
    rollbackError: where.nullable().describe('The step whose rollback failed, and why'),
    steps: z.array(StepReportSchema),
    totals: z.object({
      recoveryMs: ms.describe('Measured recovery time: until the forward run ended'),
      rtoMs: ms.nullable().describe("The runbook's rto"),
      rtoVerdict: z.enum(['within', 'over', 'no-target', 'incomplete']).describe('incomplete: the forward run did not complete, nothing was recovered'),
      rollbackMs: ms,
      rollback: z
        .enum(['done', 'partial', 'failed', 'not-needed'])
        .describe(
          'done: every change was undone; partial: the rollback ran to its end, but some steps were not undone by it (cannot be undone: rollback: false, listed in leftChanged; or undone by hand): see steps[].undo; failed: see leftChanged; not-needed: nothing to undo',
        ),
      backupKey: z.string().nullable().describe('Newest backup seen by the backup checks (the oldest such, if several steps)'),
      backupAgeSeconds: z.number().nullable().describe('Its age: the recovery point actually achieved'),
      backupStepId: z.string().nullable().describe('The backup check step that measured backupAgeSeconds'),
      rpoMs: ms.nullable().describe("The runbook's rpo (or the step's maxAge)"),
      rpoVerdict: z.enum(['within', 'over', 'no-target', 'unknown']),
      restoreObjects: z.number().nullable(),
      restoreBytes: z.number().nullable(),
      restoreSeconds: z.number().nullable(),
      restoreBytesPerSecond: z.number().nullable(),
    }),
    breaches: z
      .array(
        z.object({
          target: z.enum(['rto', 'rpo']),
          stepId: z.string().nullable().describe('The step that measured it (rpo: the backup check); null for the run as a whole'),
          measuredMs: ms.describe('Recovery time (rto) or the newest backup\'s age (rpo)'),
          limitMs: ms,
          message: z.string(),
          judged: z
            .boolean()
            .describe('true in rehearse and verify, where the miss fails the run; false elsewhere (a run is not judged against its targets): for information only'),
        }),
      )
      .describe('Recovery targets missed: in rehearse and verify each one fails the run (verdict failed, exit 1); in other modes they are listed with judged: false and change nothing'),
    leftChanged: z
      .array(z.object({ stepId: z.string(), type: z.string(), undo: z.string().describe('What undoing it means, from its undo record') }))
      .describe('Changes still in place after a failed or skipped rollback, and those of steps that cannot be undone (rollback: false), newest first (the order to undo them)'),
    next: z.string().nullable().describe('What to type next, when a person must act'),
  })
  .describe('A lifeboat run report (rehearse, verify, run, resume, rollback)');

export type Report = z.infer<typeof ReportSchema>;
export type StepReport = z.infer<typeof StepReportSchema>;

/** The published JSON Schema (draft-07) of the JSON report. */
export function reportJsonSchema(): Record<string, unknown> {
  const json = z.toJSONSchema(ReportSchema, { target: 'draft-07', io: 'output' }) as Record<string, unknown>;
  const { $schema, ...rest } = json;
  return { $schema, $id: REPORT_SCHEMA_ID, title: 'lifeboat run report', ...rest };
}

/**
 * The exit code of a rehearse or verify (contract §1): 0 when the forward run completed
 * and everything it changed was rolled back; 1 when a step failed and everything was
 * rolled back; 3 refused before any change; 4 a rollback failed; 130 interrupted.
 * (The engine's own code says 1 for any run that ends rolled back, which is right for
 * `run` but not for a rehearsal, where rolling back is the plan.)
 */
export function rehearsalExitCode(outcome: Pick<RunOutcome, 'final' | 'forward' | 'context'>): number {
  if (outcome.final === 'rollbackFailed') return 4;
  if (outcome.final === 'suspended' || outcome.context.interrupted) return 130;
  if (outcome.final === 'refused') return 3;
  const forward = outcome.forward ?? outcome.final;
  if (forward === 'completed' && (outcome.final === 'completed' || outcome.final === 'rolledBack')) return 0;
  return 1;
}

export function verdictFor(exitCode: number): Verdict {
  switch (exitCode) {
    case 0:
      return 'passed';
    // 2: the runbook or the invocation was bad, found before any change.
    case 2:
    case 3:
      return 'refused';
    case 4:
      return 'rollback-failed';
    case 130:
      return 'interrupted';
    default:
      return 'failed';
  }
}

export interface BuildReportInput {
  outcome: RunOutcome;
  runbook: Runbook;
  mode: RunMode;
  exitCode: number;
  /** When the run ended (the report is built right after). */
  finishedAt: Date;
  lifeboatVersion: string;
  host?: string | undefined;
  user?: string | undefined;
  /** Replace secret values in every string of the report. */
  redact?: (text: string) => string;
}

/** Longest string kept from a step output (a shell step's stdout can be megabytes). */
export const MAX_OUTPUT_CHARS = 4096;

export function buildReport(input: BuildReportInput): Report {
  const { outcome, runbook, mode, exitCode } = input;
  const ctx = outcome.context;
  // A completed `run` keeps its changes on purpose; anything else still changed was meant to be undone.
  const stillChanged = new Set(outcome.leftChanged);
  const left = new Set(outcome.final === 'completed' && !outcome.forward ? [] : outcome.leftChanged);
  const stepsById = new Map(runbook.steps.map((s) => [s.id, s]));

  const steps: StepReport[] = runbook.steps.map((step) => {
    const t = outcome.timings[step.id] ?? {};
    const undo = undoOf(step.id, outcome, stillChanged);
    const status = stepStatus(step.id, outcome, undo);
    const r: StepReport = {
      id: step.id,
      type: step.type,
      status,
      durationMs: t.durationMs ?? null,
      // Only a step lifeboat actually undid (or a person did) took time to undo.
      undoMs: undo === 'not-undone' || undo === 'none' ? null : (t.undoMs ?? null),
      undo,
      outputs: truncateOutputs(ctx.outputs[step.id] ?? {}),
    };
    if (step.description) r.description = step.description;
    if (status === 'failed' && ctx.error?.stepId === step.id) r.error = ctx.error.message;
    if (status === 'interrupted') {
      r.error = ctx.error?.stepId === step.id ? `interrupted: ${ctx.error.message}` : 'interrupted while running (the run was stopped by a signal or Ctrl-C)';
    }
    if (undo === 'failed' && ctx.rollbackError) r.undoError = ctx.rollbackError.message;
    const skip = ctx.skipReasons?.[step.id];
    if (status === 'skipped' && skip) r.skipReason = skip;
    if (status === 'not-run') r.skipReason = notRunReason(outcome);
    return r;
  });

  const forward = outcome.forward ?? null;
  const forwardCompleted = (forward ?? outcome.final) === 'completed';
  const rtoMs = runbook.rtoMs ?? null;
  const recoveryMs = outcome.forwardMs;
  const rtoVerdict = !forwardCompleted ? 'incomplete' : rtoMs === null ? 'no-target' : recoveryMs <= rtoMs ? 'within' : 'over';

  const backup = backupAge(runbook, outcome);
  const rpoMs = backup.rpoMs;
  const rpoVerdict =
    backup.ageSeconds === null ? 'unknown' : rpoMs === null ? 'no-target' : backup.ageSeconds * 1000 <= rpoMs ? 'within' : 'over';
  const restore = restoreTotals(runbook, outcome);

  // Still changed: what the rollback did not reach, and what it could not undo (rollback: false).
  const notReached = outcome.leftChanged.filter((id) => left.has(id));
  const cannotUndo = steps.filter((s) => s.undo === 'not-undone' && !notReached.includes(s.id)).map((s) => s.id);
  const position = new Map(runbook.steps.map((s, i) => [s.id, i]));
  const leftChanged = [...notReached, ...cannotUndo]
    .map((id, i) => ({ id, at: position.get(id) ?? i }))
    .sort((a, b) => a.at - b.at)
    .reverse()
    .map(({ id: stepId }) => ({ stepId, type: stepsById.get(stepId)?.type ?? 'unknown', undo: describeUndoRecord(ctx.undos[stepId]) }));
  const rollback: Report['totals']['rollback'] =
    outcome.final === 'rollbackFailed' || notReached.length > 0
      ? 'failed'
      : steps.some((s) => s.undo === 'not-undone' || s.undo === 'by-hand')
        ? 'partial'
        : steps.some((s) => s.undo === 'done')
          ? 'done'
          : 'not-needed';

  const finishedAt = input.finishedAt;
  const startedAt = new Date(finishedAt.getTime() - outcome.durationMs);
  const verdict = verdictFor(exitCode);
  const report: Report = {
    reportVersion: REPORT_VERSION,
    lifeboat: input.lifeboatVersion,
    runId: outcome.runId,
    runbook: { name: runbook.name, file: runbook.file, ...(runbook.description ? { description: runbook.description } : {}) },
    mode,
    host: input.host ?? null,
    user: input.user ?? null,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: outcome.durationMs,
    verdict,
    exitCode,
    summary: '',
    final: outcome.final,
    forward,
    interrupted: ctx.interrupted,
    rollbackReason: ctx.rollbackReason ?? null,
    error: ctx.error ? { stepId: ctx.error.stepId, message: ctx.error.message } : null,
    rollbackError: ctx.rollbackError ? { stepId: ctx.rollbackError.stepId, message: ctx.rollbackError.message } : null,
    steps,
    totals: {
      recoveryMs,
      rtoMs,
      rtoVerdict,
      rollbackMs: outcome.rollbackMs,
      rollback,
      backupKey: backup.key,
      backupAgeSeconds: backup.ageSeconds,
      backupStepId: backup.stepId,
      rpoMs,
      rpoVerdict,
      restoreObjects: restore?.objects ?? null,
      restoreBytes: restore?.bytes ?? null,
      restoreSeconds: restore?.seconds ?? null,
      restoreBytesPerSecond: restore?.bytesPerSecond ?? null,
    },
    breaches: [],
    leftChanged,
    next: nextStep(verdict, outcome),
  };
  const judged = applyTargets(report);
  judged.summary = summarize(judged);
  return input.redact ? redactDeep(judged, input.redact) : judged;
}

/**
 * The runbook a refused report names: the loaded runbook, or for one that could not be
 * loaded (invalid, unreadable) its name as far as it is known and no steps.
 */
export type RefusedRunbook = Pick<Runbook, 'name' | 'file' | 'description' | 'rtoMs' | 'rpoMs'> & {
  steps: ReadonlyArray<Pick<Runbook['steps'][number], 'id' | 'type' | 'description'>>;
};

export interface RefusedReportInput {
  runbook: RefusedRunbook;
  mode: RunMode;
  /** The id the run had been given when it was stopped (the lock or the AWS preflight refused it); none before that. */
  runId?: string | null | undefined;
  exitCode: number;
  message: string;
  finishedAt: Date;
  lifeboatVersion: string;
  host?: string | undefined;
  user?: string | undefined;
  redact?: (text: string) => string;
}

/**
 * A run stopped before it started: an invalid runbook or a bad --param (exit 2), missing
 * consent or confirmation, the lock held, the AWS preflight (exit 3). Nothing ran, nothing
 * changed, no journal was written.
 */
export function buildRefusedReport(input: RefusedReportInput): Report {
  const at = input.finishedAt.toISOString();
  const verdict = verdictFor(input.exitCode);
  const report: Report = {
    reportVersion: REPORT_VERSION,
    lifeboat: input.lifeboatVersion,
    runId: input.runId ?? null,
    runbook: { name: input.runbook.name, file: input.runbook.file, ...(input.runbook.description ? { description: input.runbook.description } : {}) },
    mode: input.mode,
    host: input.host ?? null,
    user: input.user ?? null,
    startedAt: at,
    finishedAt: at,
    durationMs: 0,
    verdict,
    exitCode: input.exitCode,
    summary: '',
    final: 'refused',
    forward: null,
    interrupted: false,
    rollbackReason: null,
    error: { stepId: 'start', message: input.message },
    rollbackError: null,
    steps: input.runbook.steps.map((s) => ({
      id: s.id,
      type: s.type,
      ...(s.description ? { description: s.description } : {}),
      status: 'not-run' as const,
      durationMs: null,
      undoMs: null,
      undo: 'none' as const,
      outputs: {},
      skipReason: 'the run was refused before it started',
    })),
    totals: {
      recoveryMs: 0,
      rtoMs: input.runbook.rtoMs ?? null,
      rtoVerdict: 'incomplete',
      rollbackMs: 0,
      rollback: 'not-needed',
      backupKey: null,
      backupAgeSeconds: null,
      backupStepId: null,
      rpoMs: input.runbook.rpoMs ?? null,
      rpoVerdict: 'unknown',
      restoreObjects: null,
      restoreBytes: null,
      restoreSeconds: null,
      restoreBytesPerSecond: null,
    },
    breaches: [],
    leftChanged: [],
    next: null,
  };
  report.summary = summarize(report);
  return input.redact ? redactDeep(report, input.redact) : report;
}

// ------------------------------------------------------------------ pieces

/** What became of a step's change: undone, by whom, or why not. */
function undoOf(id: string, outcome: RunOutcome, stillChanged: ReadonlySet<string>): StepReport['undo'] {
  const ctx = outcome.context;
  const st = ctx.status[id];
  if (ctx.rollbackError?.stepId === id) return 'failed';
  if (stillChanged.has(id)) return 'still-changed';
  if (st === 'not-undone') return 'not-undone';
  if (st === 'undone-by-hand') return 'by-hand';
  // Walked back, but its undo record says there was nothing to undo (e.g. a shell step with no `rollback:`).
  if (isNothingToUndo(ctx.undos[id])) return 'none';
  return outcome.timings[id]?.undoMs !== undefined || st === 'rolled-back' ? 'done' : 'none';
}

function stepStatus(id: string, outcome: RunOutcome, undo: StepReport['undo']): StepReportStatus {
  const ctx = outcome.context;
  const st = ctx.status[id] ?? 'pending';
  // The step the signal stopped: it had started and never finished.
  if (ctx.interrupted && ctx.current === id && outcome.timings[id]?.startedAt !== undefined && st !== 'done' && st !== 'skipped') return 'interrupted';
  if (ctx.error?.stepId === id) return 'failed';
  switch (st) {
    case 'done':
      return 'passed';
    case 'skipped':
      return 'skipped';
    case 'rolled-back':
      // Nothing was there to undo: it ran and succeeded, and was not rolled back.
      return undo === 'none' ? 'passed' : 'rolled-back';
    // It ran and succeeded; its undo (`undo`) says it was not undone, or a person undid it.
    case 'not-undone':
    case 'undone-by-hand':
      return 'passed';
    case 'failed':
      return 'failed';
    default:
      return 'not-run';
  }
}

/**
 * The steps the rollback did not undo itself although it walked back over them, one phrase
 * each, in runbook order: `once (cannot be undone, still changed)`, `dns (undone by hand)`.
 * Empty unless totals.rollback is `partial` (or `failed` with such steps besides).
 */
export function rollbackExceptions(r: Pick<Report, 'steps'>): string[] {
  return r.steps
    .filter((s) => s.undo === 'not-undone' || s.undo === 'by-hand')
    .map((s) => `${s.id} (${s.undo === 'not-undone' ? 'cannot be undone, still changed' : 'undone by hand'})`);
}

function notRunReason(outcome: RunOutcome): string {
  const ctx = outcome.context;
  if (ctx.interrupted) return 'the run was interrupted before this step';
  if (ctx.error) return `not reached: step ${ctx.error.stepId} failed`;
  if ((outcome.forward ?? outcome.final) === 'aborted') return 'not reached: the run was aborted';
  return 'not reached';
}

function truncateOutputs(outputs: Record<string, string | number | boolean>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(outputs)) {
    out[k] = typeof v === 'string' && v.length > MAX_OUTPUT_CHARS ? `${v.slice(0, MAX_OUTPUT_CHARS)}… (${v.length - MAX_OUTPUT_CHARS} more characters)` : v;
  }
  return out;
}

/** What each step's type contributes to the report (its descriptor's reportFacts), in runbook order. */
function factsOf(runbook: Runbook, outcome: RunOutcome): Array<{ stepId: string; facts: ReportFacts; ran: boolean }> {
  const out: Array<{ stepId: string; facts: ReportFacts; ran: boolean }> = [];
  for (const step of runbook.steps) {
    if (!isStepType(step.type)) continue;
    const type = stepType(step.type);
    if (!type.reportFacts) continue;
    const o = outcome.context.outputs[step.id];
    const facts = type.reportFacts(step.with, o ?? {});
    if (facts) out.push({ stepId: step.id, facts, ran: o !== undefined });
  }
  return out;
}

function backupAge(runbook: Runbook, outcome: RunOutcome): { key: string | null; ageSeconds: number | null; stepId: string | null; rpoMs: number | null } {
  let key: string | null = null;
  let ageSeconds: number | null = null;
  let stepId: string | null = null;
  let stepLimit: number | undefined;
  for (const { stepId: id, facts } of factsOf(runbook, outcome)) {
    const b = facts.backup;
    if (!b) continue;
    stepLimit ??= b.maxAgeMs;
    if (b.ageSeconds === null) continue;
    if (ageSeconds === null || b.ageSeconds > ageSeconds) {
      ageSeconds = b.ageSeconds;
      stepId = id;
      key = b.key;
    }
  }
  // The runbook's rpo wins over a step's maxAge: a looser maxAge must not hide a breach.
  return { key, ageSeconds, stepId, rpoMs: runbook.rpoMs ?? stepLimit ?? null };
}

function restoreTotals(runbook: Runbook, outcome: RunOutcome): { objects: number; bytes: number; seconds: number; bytesPerSecond: number | null } | undefined {
  let found = false;
  let objects = 0;
  let bytes = 0;
  let seconds = 0;
  for (const { facts, ran } of factsOf(runbook, outcome)) {
    const r = facts.restored;
    if (!r || !ran) continue;
    found = true;
    objects += r.objects;
    bytes += r.bytes;
    seconds += r.seconds;
  }
  if (!found) return undefined;
  return { objects, bytes, seconds, bytesPerSecond: seconds > 0 ? Math.round(bytes / seconds) : null };
}

function nextStep(verdict: Verdict, outcome: RunOutcome): string | null {
  if (verdict === 'rollback-failed') return `fix the cause, then: lifeboat rollback ${outcome.runId}`;
  if (outcome.final === 'suspended' || (outcome.final === 'aborted' && outcome.leftChanged.length > 0))
    return `continue with: lifeboat resume ${outcome.runId}   or undo with: lifeboat rollback ${outcome.runId}`;
  return null;
}

function summarize(r: Report): string {
  const head = `${r.mode} ${r.runbook.name}`;
  const t = r.totals;
  // A missed target fails a rehearse or verify (OVER); elsewhere it is for information.
  const against = (isOver: boolean, target: string, limitMs: number): string =>
    !isOver ? `within ${target} ${formatDuration(limitMs)}` : judgedAgainstTargets(r.mode) ? `OVER ${target} ${formatDuration(limitMs)}` : `over ${target} ${formatDuration(limitMs)}, not judged in a ${r.mode}`;
  const parts: string[] = [];
  switch (r.verdict) {
    case 'passed':
      parts.push(`${head}: passed`);
      break;
    case 'failed':
      parts.push(
        `${head}: FAILED${r.error ? ` at ${r.error.stepId}: ${firstLine(r.error.message)}` : r.breaches.some((b) => b.judged) ? `: ${r.breaches.filter((b) => b.judged).map((b) => b.message).join('; ')}` : ''}`,
      );
      break;
    case 'refused':
      parts.push(`${head}: refused before any change${r.error ? `: ${firstLine(r.error.message)}` : ''}`);
      return parts.join('');
    case 'rollback-failed':
      parts.push(`${head}: ROLLBACK FAILED${r.rollbackError ? ` at ${r.rollbackError.stepId}: ${firstLine(r.rollbackError.message)}` : ''}`);
      break;
    case 'interrupted':
      parts.push(`${head}: interrupted`);
      break;
  }
  if (t.rtoVerdict !== 'incomplete') {
    parts.push(`recovery ${formatMs(t.recoveryMs)}${t.rtoMs !== null ? ` (${against(t.rtoVerdict === 'over', 'RTO', t.rtoMs)})` : ''}`);
  }
  if (t.backupAgeSeconds !== null) {
    parts.push(`newest backup ${formatAge(t.backupAgeSeconds)} old${t.rpoMs !== null ? ` (${against(t.rpoVerdict === 'over', 'RPO', t.rpoMs)})` : ''}`);
  }
  if (t.restoreBytes !== null) {
    parts.push(
      `restored ${t.restoreObjects ?? 0} object${t.restoreObjects === 1 ? '' : 's'}, ${formatBytes(t.restoreBytes)}` +
        (t.restoreSeconds ? ` in ${formatMs(t.restoreSeconds * 1000)}` : '') +
        (t.restoreBytesPerSecond !== null ? ` (${formatBytes(t.restoreBytesPerSecond)}/s)` : ''),
    );
  }
  if (t.rollback === 'partial') parts.push(`rolled back in ${formatMs(t.rollbackMs)} except: ${rollbackExceptions(r).join(', ')}`);
  else if (r.leftChanged.length > 0) parts.push(`STILL CHANGED: ${r.leftChanged.map((l) => l.stepId).join(', ')}`);
  else if (t.rollback === 'done') parts.push(`rolled back in ${formatMs(t.rollbackMs)}`);
  return parts.join('; ');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
