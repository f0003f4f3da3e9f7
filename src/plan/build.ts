/**
 * `lifeboat plan`: every step of a runbook evaluated read-only against the real world.
 *
 * - Each step's `with` is resolved as the run would (params, then `${{ steps.x.outputs.y }}`)
 *   and its `plan` called: route53 reads the record sets, s3.restore lists source and target…
 * - Outputs of later-referenced read-only steps (s3.verify-backups, http.check) come from
 *   running them for real; every other step's outputs are placeholders shown as
 *   `${{ steps.x.outputs.y }}`, and a step that uses them gets no fingerprint.
 * - `when:` is evaluated (skipped steps say why; a condition on a placeholder is "decided
 *   at run time").
 * - A step whose plan fails is recorded with its error and the others still planned.
 * - The AWS clients given are wrapped so that any command that is not read-only is refused
 *   before it is sent: a plan cannot change the world, whatever a step does.
 */
import { hostname } from 'node:os';
import { AwsClients, type AwsOptions } from '../aws/clients.js';
import { evaluateCondition } from '../runbook/condition.js';
import { modeSkips } from '../runbook/modes.js';
import type { Runbook, Step } from '../runbook/model.js';
import { findReferences, type Scope } from '../runbook/template.js';
import { collectSecrets, REDACTED, redactDeep, sealSecrets, type Secrets } from '../util/redact.js';
import { knownConfirmation, needsTypedConfirmation, StepInvoker } from '../steps/invoke.js';
import { checkLimits } from '../steps/limits.js';
import type { OutputValue, StepContext, StepPlan } from '../steps/types.js';
import { totalsOf } from './format.js';
import { PLAN_KIND, PLAN_VERSION, paramsHash, type PlanDocument, type PlannedStep } from './saved.js';

/**
 * AWS clients that refuse, before sending, every operation that could change something:
 * the guard is in AwsClients itself (option readOnly), for every service and every scope.
 */
export class ReadOnlyAwsClients extends AwsClients {
  constructor(options: AwsOptions = {}) {
    super({ ...options, readOnly: true });
  }
}

export interface BuildOptions {
  runbook: Runbook;
  params: Record<string, string>;
  secretNames: string[];
  aws: AwsClients;
  env?: NodeJS.ProcessEnv;
  /** Values to keep out of the plan (secret params, secret-named environment variables). */
  secrets?: string[];
  /** Who made the plan (recorded in the document). */
  who?: string;
  now?: () => Date;
  signal?: AbortSignal;
}

/** A `${{ … }}` placeholder for an output known only once its step has run. */
export function placeholder(stepId: string, name: string): string {
  return `\${{ steps.${stepId}.outputs.${name} }}`;
}

function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) stringsOf(v, out);
  return out;
}

/** Step ids whose outputs a step's `with` uses. */
function outputRefsOfWith(step: Step): Set<string> {
  const ids = new Set<string>();
  for (const s of stringsOf(step.with)) for (const r of findReferences(s)) if (r.kind === 'output') ids.add(r.step);
  return ids;
}

/** Step ids whose outputs a `when:` expression uses. */
function outputRefsOfWhen(when: string | undefined): Set<string> {
  const ids = new Set<string>();
  if (!when) return ids;
  for (const m of when.matchAll(/(?:^|[^A-Za-z0-9_.-])steps\.([a-z0-9-]+)\.outputs\./g)) ids.add(m[1] as string);
  return ids;
}

function errorOf(err: unknown): { message: string; hint?: string } {
  const message = err instanceof Error ? err.message : String(err);
  const hint = err && typeof err === 'object' && typeof (err as { hint?: unknown }).hint === 'string' ? (err as { hint: string }).hint : undefined;
  return hint ? { message, hint } : { message };
}

const refuse = async (): Promise<void> => {
  throw new Error('lifeboat plan is read-only: a step tried to record an undo');
};

/** Evaluate every step read-only; never throws for a step's failure (it is recorded). */
export async function buildPlan(o: BuildOptions): Promise<PlanDocument> {
  const { runbook, params } = o;
  const env = o.env ?? process.env;
  const now = o.now ?? (() => new Date());
  const signal = o.signal ?? new AbortController().signal;
  const invoker = new StepInvoker({ runbook, dryRun: true, aws: o.aws, out: { info: () => undefined, stream: () => undefined, isTTY: false }, env, secrets: o.secrets ?? [], now });
  const impl = (step: Step): ReturnType<StepInvoker['impl']> => invoker.impl(step);
  const resolveWith = (step: Step, scope: Scope): Record<string, unknown> => invoker.resolve(step, scope);
  /** The step's context, as the run's (its rollback spec concrete), its lines collected as the plan's notes. */
  const contextFor = (step: Step, notes: string[]): StepContext =>
    invoker.context(invoker.concrete(step, { params, outputs }), {
      signal,
      recordUndo: refuse,
      out: { info: (l) => notes.push(l), stream: () => undefined, isTTY: false },
    });

  // Which steps' outputs a later step (or its `when:`) needs.
  const needed = new Set<string>();
  for (const s of runbook.steps) for (const id of [...outputRefsOfWith(s), ...outputRefsOfWhen(s.when)]) needed.add(id);

  const outputs: Record<string, Record<string, OutputValue>> = {};
  /** Steps whose outputs are placeholders (not run while planning). */
  const unknown = new Set<string>();

  const base = (step: Step): PlannedStep => ({
    id: step.id,
    type: step.type,
    ...(step.description ? { description: step.description } : {}),
    status: 'planned',
    summary: '',
    lines: [],
    counts: {},
    mutating: false,
    fingerprint: null,
    confirm: step.confirm,
    irreversible: step.rollback === false,
    limitBreaches: [],
    dependsOn: [],
    notes: [],
  });

  const skippedInPlan = modeSkips(runbook, 'plan');
  const planOne = async (step: Step, isCheck: boolean): Promise<PlannedStep> => {
    const p = base(step);
    const modeSkip = isCheck ? undefined : skippedInPlan.get(step.id);
    if (modeSkip !== undefined) return { ...p, status: 'skipped', skipReason: modeSkip, summary: `skipped: ${modeSkip}` };
    // when:
    if (step.when) {
      const on = [...outputRefsOfWhen(step.when)].filter((id) => unknown.has(id));
      if (on.length > 0) p.when = { expression: step.when, value: null };
      else {
        let value: boolean;
        try {
          value = evaluateCondition(step.when, { params, outputs, mode: 'plan' });
        } catch (err) {
          return { ...p, status: 'failed', summary: `when: ${step.when} cannot be evaluated`, error: errorOf(err) };
        }
        p.when = { expression: step.when, value };
        if (!value) return { ...p, status: 'skipped', skipReason: `when: ${step.when} is false`, summary: `skipped: when: ${step.when} is false` };
      }
    }
    p.dependsOn = [...outputRefsOfWith(step)].filter((id) => unknown.has(id));
    // Known whenever the fields it comes from are (a literal record name with an output's zone id).
    const typed = needsTypedConfirmation(step) ? knownConfirmation(step, { params, outputs }, unknown) : undefined;
    if (typed !== undefined) p.typedConfirmation = typed;
    let w: Record<string, unknown>;
    try {
      w = resolveWith(step, { params, outputs });
    } catch (err) {
      if (p.dependsOn.length > 0) return { ...p, status: 'deferred', summary: `known only at run time (uses the outputs of ${p.dependsOn.join(', ')})`, error: errorOf(err) };
      return { ...p, status: 'failed', summary: 'cannot be planned', error: errorOf(err) };
    }
    let plan: StepPlan;
    try {
      plan = await (await impl(step)).plan(contextFor(step, p.notes), w);
    } catch (err) {
      if (p.dependsOn.length > 0) return { ...p, status: 'deferred', summary: `known only at run time (uses the outputs of ${p.dependsOn.join(', ')})`, error: errorOf(err) };
      return { ...p, status: 'failed', summary: 'cannot be planned', error: errorOf(err) };
    }
    p.summary = plan.summary;
    p.lines = plan.lines;
    p.counts = plan.counts;
    p.mutating = plan.mutating;
    // A fingerprint taken with placeholders in place would not match the run's: none.
    p.fingerprint = p.dependsOn.length === 0 ? (plan.fingerprint ?? null) : null;
    if (!isCheck) p.limitBreaches = checkLimits(plan.counts, step.limits);
    return p;
  };

  /** Outputs of a step for the steps after it: real for a needed read-only step, else placeholders. */
  const produce = async (step: Step, p: PlannedStep): Promise<PlannedStep> => {
    if (p.status === 'skipped') return p; // no outputs, as at run time
    const info = invoker.type(step);
    if (p.status === 'planned' && needed.has(step.id) && info.readOnly && info.runsInPlan !== false && p.dependsOn.length === 0) {
      try {
        const w = resolveWith(step, { params, outputs });
        const result = await (await impl(step)).execute(contextFor(step, p.notes), w);
        outputs[step.id] = result.outputs;
        return { ...p, outputs: result.outputs };
      } catch (err) {
        unknown.add(step.id);
        outputs[step.id] = Object.fromEntries(info.outputs.map((n) => [n, placeholder(step.id, n)]));
        return { ...p, status: 'failed', error: { message: `checked now, and it fails: ${errorOf(err).message}`, ...(errorOf(err).hint ? { hint: errorOf(err).hint as string } : {}) } };
      }
    }
    unknown.add(step.id);
    outputs[step.id] = Object.fromEntries(info.outputs.map((n) => [n, placeholder(step.id, n)]));
    return p;
  };

  const require: PlannedStep[] = [];
  for (const check of runbook.require) require.push(await planOne(check, true));
  const steps: PlannedStep[] = [];
  for (const step of runbook.steps) steps.push(await produce(step, await planOne(step, false)));

  const secretSet = new Set(o.secretNames);
  const shownParams = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, secretSet.has(k) ? REDACTED : v]));
  const summary = totalsOf(require, steps);
  const doc: PlanDocument = {
    version: PLAN_VERSION,
    kind: PLAN_KIND,
    runbook: { file: runbook.file, name: runbook.name, hash: runbook.hash },
    params: shownParams,
    secretParams: [...o.secretNames],
    paramsHash: paramsHash(params),
    createdAt: now().toISOString(),
    createdBy: o.who ?? `${env.USER ?? 'unknown'}@${hostname()}`,
    complete: summary.failed === 0 && summary.overLimit === 0,
    require,
    steps,
    summary,
  };
  return protectPlan(doc, collectSecrets({ params, secretNames: o.secretNames, extra: o.secrets }));
}

/**
 * The plan as it may be shown and saved: what people read is masked (summaries, lines,
 * notes, errors, outputs); what `run --plan` compares and acts on is verbatim (runbook hash,
 * params, which are reconciled by value, statuses, counts), secret param values sealed in
 * fingerprints (`${{ params.<name> }}`) and unsealed by the check (check.ts).
 */
export function protectPlan(doc: PlanDocument, secrets: Secrets): PlanDocument {
  if (secrets.values.length === 0) return doc;
  const step = (s: PlannedStep): PlannedStep => {
    const { id, type, status, counts, mutating, fingerprint, confirm, irreversible, dependsOn, ...shown } = s;
    return { ...redactDeep(shown, secrets), id, type, status, counts, mutating, fingerprint: sealSecrets(fingerprint, secrets.params), confirm, irreversible, dependsOn };
  };
  return { ...doc, require: doc.require.map(step), steps: doc.steps.map(step), summary: { ...doc.summary, text: redactDeep(doc.summary.text, secrets) } };
}
