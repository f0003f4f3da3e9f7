/**
 * The plan document: what `lifeboat plan --json` prints and `plan --out` saves, and what
 * `run --plan` loads back. Versioned and documented in docs/plan.md (JSON Schema:
 * schema/plan.schema.json). Secret param values never appear in it.
 *
 * Loading a saved plan checks its shape and version; the params of the run are reconciled
 * with the plan's (a repeated --param with another value is a usage error, exit 2); the
 * world seen now is compared with the fingerprints the plan saw (compareWithSaved).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { RefusedError, UsageError } from '../errors.js';
import type { LimitBreach } from '../steps/limits.js';
import type { Runbook } from '../runbook/model.js';
import { resolveParams } from '../runbook/params.js';
import { FileWriteError, writeThrough } from '../util/atomic-write.js';
import type { OutputValue, PlanCounts, PlanLine } from '../steps/types.js';
import { describeDrift, sameFingerprint, stableStringify } from './drift.js';

export const PLAN_VERSION = 1;
export const PLAN_KIND = 'lifeboat-plan';

/**
 * planned: evaluated against the world. skipped: its `when:` is false. deferred: it needs
 * an earlier step's outputs that exist only once that step has run. failed: its plan
 * failed (e.g. the hosted zone does not exist): the run would fail there too.
 */
export type PlannedStatus = 'planned' | 'skipped' | 'deferred' | 'failed';

export interface PlannedStep {
  id: string;
  type: string;
  description?: string;
  status: PlannedStatus;
  /** One line: what the step will do (or why it will not). */
  summary: string;
  lines: PlanLine[];
  counts: PlanCounts;
  mutating: boolean;
  /** What the world looked like (record sets, target listing digest); null when none or not known yet. */
  fingerprint: unknown;
  confirm: 'none' | 'yes' | 'typed';
  /** The text the operator will have to type, when a typed confirmation is needed and known. */
  typedConfirmation?: string;
  /** `rollback: false`: cannot be undone; needs a typed confirmation. */
  irreversible: boolean;
  when?: { expression: string; value: boolean | null };
  skipReason?: string;
  error?: { message: string; hint?: string };
  /** Blast-radius limits this plan exceeds: the run would refuse the step before its first write. */
  limitBreaches: LimitBreach[];
  /** Earlier steps whose run-time outputs this step uses (shown as `${{ … }}` in the plan). */
  dependsOn: string[];
  /** Outputs of a read-only step run for real while planning, because a later step uses them. */
  outputs?: Record<string, OutputValue>;
  /** What the step said while planning. */
  notes: string[];
}

export interface PlanTotals {
  /** `2 records to change, 412 objects (38.2 GiB) to restore, 1 command, 3 checks` */
  text: string;
  records: number;
  deletes: number;
  objects: number;
  overwrites: number;
  bytes: number;
  commands: number;
  checks: number;
  manual: number;
  steps: number;
  skipped: number;
  deferred: number;
  failed: number;
  overLimit: number;
  /** Steps that will change something counted in none of the above: a database failover, a capacity change (absent in older plans). */
  otherChanges?: number;
}

export interface PlanDocument {
  version: typeof PLAN_VERSION;
  kind: typeof PLAN_KIND;
  runbook: { file: string; name: string; hash: string };
  /** Param values the plan was made with; secret ones as `***`. */
  params: Record<string, string>;
  secretParams: string[];
  /** sha256 (hex) of every param value, secret ones included, in a canonical JSON form. */
  paramsHash: string;
  createdAt: string;
  createdBy: string;
  /** True when every step could be planned and none exceeds its limits. */
  complete: boolean;
  /** The runbook's `require:` checks: what each will check (they are not run by plan). */
  require: PlannedStep[];
  steps: PlannedStep[];
  summary: PlanTotals;
}

/** sha256 of all param values (names sorted), secret ones included. */
export function paramsHash(values: Record<string, string>): string {
  return createHash('sha256').update(stableStringify(values)).digest('hex');
}

// ------------------------------------------------------------------ write / load

/**
 * Write the plan file through to what the path names, as reports are: a regular file is
 * replaced atomically, a symlink's target written, a FIFO or `/dev/stdout` written directly.
 */
export async function writeSavedPlan(path: string, doc: PlanDocument): Promise<void> {
  try {
    await writeThrough(path, `${JSON.stringify(doc, null, 2)}\n`);
  } catch (err) {
    const reason = err instanceof FileWriteError ? err.reason : ((err as NodeJS.ErrnoException).code ?? String(err));
    throw new UsageError({ what: `cannot write the plan file: ${reason}`, where: path, cause: err });
  }
}

const STATUSES: readonly string[] = ['planned', 'skipped', 'deferred', 'failed'];

function problemOf(doc: unknown): string | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return 'it is not a JSON object';
  const d = doc as Record<string, unknown>;
  if (d.kind !== PLAN_KIND) return `"kind" is not "${PLAN_KIND}"`;
  if (d.version !== PLAN_VERSION) return `plan version ${JSON.stringify(d.version)} is not supported (this lifeboat reads version ${PLAN_VERSION})`;
  const rb = d.runbook as Record<string, unknown> | undefined;
  if (!rb || typeof rb.name !== 'string' || typeof rb.hash !== 'string' || typeof rb.file !== 'string') return '"runbook" must have file, name and hash';
  if (!d.params || typeof d.params !== 'object' || !Object.values(d.params).every((v) => typeof v === 'string')) return '"params" must map names to strings';
  if (!Array.isArray(d.secretParams) || !d.secretParams.every((v) => typeof v === 'string')) return '"secretParams" must be a list of names';
  if (typeof d.paramsHash !== 'string' || !/^[0-9a-f]{64}$/.test(d.paramsHash)) return '"paramsHash" must be a sha256 hex digest';
  if (typeof d.createdAt !== 'string' || Number.isNaN(Date.parse(d.createdAt))) return '"createdAt" must be an ISO-8601 time';
  if (typeof d.complete !== 'boolean') return '"complete" must be true or false';
  for (const list of ['require', 'steps'] as const) {
    const steps = d[list];
    if (!Array.isArray(steps)) return `"${list}" must be a list`;
    for (const [i, s] of steps.entries()) {
      const o = s as Record<string, unknown> | null;
      if (!o || typeof o !== 'object' || typeof o.id !== 'string' || typeof o.type !== 'string') return `${list}[${i}] must have an id and a type`;
      if (typeof o.status !== 'string' || !STATUSES.includes(o.status)) return `${list}[${i}].status must be one of ${STATUSES.join(', ')}`;
      if (!Array.isArray(o.lines) || typeof o.summary !== 'string' || typeof o.mutating !== 'boolean') return `${list}[${i}] must have summary, lines and mutating`;
      if (!('fingerprint' in o)) return `${list}[${i}] has no fingerprint (null when none)`;
    }
  }
  if (!d.summary || typeof d.summary !== 'object' || typeof (d.summary as Record<string, unknown>).text !== 'string') return '"summary" must have a text';
  return undefined;
}

/** Read and check a saved plan; a missing, unreadable or malformed file is a usage error (exit 2). */
export async function loadSavedPlan(path: string): Promise<PlanDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError({ what: code === 'ENOENT' ? 'no such plan file' : `cannot read the plan file (${code ?? 'error'})`, where: path, hint: 'make one with: lifeboat plan <runbook> --out <plan.json>', cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError({ what: `not a lifeboat plan: invalid JSON (${(err as Error).message})`, where: path, hint: 'make one with: lifeboat plan <runbook> --out <plan.json>', cause: err });
  }
  const problem = problemOf(doc);
  if (problem) throw new UsageError({ what: `not a usable lifeboat plan: ${problem}`, where: path, hint: 'make a new one with: lifeboat plan <runbook> --out <plan.json>' });
  return doc as PlanDocument;
}

// ------------------------------------------------------------------ params

/**
 * The command that makes a new plan with the same params (secret ones left for the operator
 * to give again): what a refused `run --plan` tells the operator to type. Quoted for a POSIX
 * shell where a value needs it; lifeboat itself never runs it.
 */
export function replanCommand(saved: Pick<PlanDocument, 'params' | 'secretParams'>, runbookFile: string, planFile: string): string {
  const quote = (v: string): string => (/^[\w.:/@%+,=-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const secret = new Set(saved.secretParams);
  const params = Object.entries(saved.params).map(([k, v]) => `--param ${k}=${secret.has(k) ? '…' : quote(v)}`);
  return ['lifeboat plan', quote(runbookFile), ...params, '--out', quote(planFile)].join(' ');
}

export interface ReconciledParams {
  /** What the run uses: the plan's params, with secret ones from --param or the environment. */
  given: Record<string, string>;
  values: Record<string, string>;
  secretNames: string[];
}

/**
 * The params of `run <file> --plan p.json`: the plan's own, which --param may repeat.
 * A different value, or a param the plan was made without, is refused (exit 2) naming it.
 * A runbook changed since the plan, or another runbook, is refused too.
 */
export function reconcileParams(saved: PlanDocument, planFile: string, runbook: Runbook, given: Record<string, string>, env: NodeJS.ProcessEnv): ReconciledParams {
  if (saved.runbook.name !== runbook.name)
    throw new UsageError({ what: `the plan is for runbook "${saved.runbook.name}", not "${runbook.name}"`, where: planFile, hint: `run the runbook it was made for (${saved.runbook.file}), or make a plan for this one` });
  if (saved.runbook.hash !== runbook.hash)
    throw new RefusedError({
      what: `${runbook.file} changed since the plan was made (${saved.createdAt}); nothing was changed`,
      where: planFile,
      hint: `review the change, then make a new plan: ${replanCommand(saved, runbook.file, planFile)}`,
    });
  const secret = new Set(saved.secretParams);
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries(saved.params)) if (!secret.has(k)) merged[k] = v;
  for (const [k, v] of Object.entries(given)) {
    if (secret.has(k)) {
      merged[k] = v;
      continue;
    }
    if (!(k in saved.params))
      throw new UsageError({ what: `--param ${k}: the plan was made without ${k}`, where: planFile, hint: `drop --param ${k}, or make a new plan with it` });
    if (saved.params[k] !== v)
      throw new UsageError({
        what: `--param ${k}=${v} differs from the plan, which was made with ${k}=${saved.params[k]}`,
        where: planFile,
        hint: `drop --param ${k} (the plan's value is used), or make a new plan with the new value`,
      });
  }
  const { values, secretNames } = resolveParams(runbook, merged, env);
  if (paramsHash(values) !== saved.paramsHash) {
    const suspects = saved.secretParams.length > 0 ? saved.secretParams : Object.keys(values).filter((k) => saved.params[k] !== values[k]);
    throw new UsageError({
      what: `the params differ from those the plan was made with: ${suspects.length > 0 ? suspects.join(', ') : 'a param'}${saved.secretParams.length > 0 ? ' (secret: values not shown)' : ''}`,
      where: planFile,
      hint: 'give the same values as when planning (secret ones with --param or LIFEBOAT_PARAM_<NAME>), or make a new plan',
    });
  }
  return { given: merged, values, secretNames };
}

// ------------------------------------------------------------------ drift

export interface Drift {
  stepId: string;
  /** One line each: `app.example.com. CNAME changed since the plan (plan saw …, now …)`. */
  moved: string[];
}

/**
 * Compare the world now (a fresh plan of the same runbook with the same params) with the
 * saved plan, step by step. Every difference that matters is returned, so the refusal names
 * all of them at once.
 */
export function compareWithSaved(saved: PlanDocument, now: PlanDocument): Drift[] {
  const drifts: Drift[] = [];
  const nowById = new Map(now.steps.map((s) => [s.id, s]));
  for (const s of saved.steps) {
    const n = nowById.get(s.id);
    if (!n) {
      drifts.push({ stepId: s.id, moved: ['the step is no longer in the runbook'] });
      continue;
    }
    if (s.status === 'skipped' && n.status !== 'skipped') {
      drifts.push({ stepId: s.id, moved: [`was skipped in the plan (${s.skipReason ?? 'when: false'}), would run now`] });
      continue;
    }
    if (s.status !== 'skipped' && n.status === 'skipped') {
      drifts.push({ stepId: s.id, moved: [`would be skipped now (${n.skipReason ?? 'when: false'}), the plan ran it`] });
      continue;
    }
    if (n.status === 'failed' && s.status !== 'failed') {
      drifts.push({ stepId: s.id, moved: [`cannot be planned any more: ${n.error?.message ?? 'failed'}`] });
      continue;
    }
    if (s.fingerprint === null || s.fingerprint === undefined) continue;
    if (sameFingerprint(s.fingerprint, n.fingerprint)) continue;
    drifts.push({ stepId: s.id, moved: describeDrift(s.fingerprint, n.fingerprint, { before: s.lines, now: n.lines }) });
  }
  return drifts;
}

/** The fingerprints `run --plan` hands the engine, by step id (steps that have one). */
export function expectedFingerprints(saved: PlanDocument): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of saved.steps) if (s.status === 'planned' && s.fingerprint !== null && s.fingerprint !== undefined) out[s.id] = s.fingerprint;
  return out;
}

/** Refuse a saved plan that could not be fully made: the run it describes would fail. */
export function checkComplete(saved: PlanDocument, planFile: string): void {
  if (saved.complete) return;
  const bad = saved.steps.filter((s) => s.status === 'failed' || s.limitBreaches.length > 0).map((s) => `${s.id}: ${s.error?.message ?? 'over its limits'}`);
  throw new RefusedError({
    what: `the saved plan is incomplete, so it cannot be run: ${bad.join('; ') || 'some steps could not be planned'}; nothing was changed`,
    where: planFile,
    hint: 'fix the cause and make a new plan',
  });
}
