/**
 * The step invoker, below both `plan` and the engine: a step's implementation (loaded
 * lazily, once per type, through the registry), its `with` resolved against params and
 * earlier outputs and checked by its type, its typed confirmation text, its rollback spec
 * made concrete, the text its undo record reads as, and the StepContext it runs in.
 */
import type { AwsClients } from '../aws/clients.js';
import type { Runbook, Step } from '../runbook/model.js';
import { findReferences, substitute, TemplateError, type Scope } from '../runbook/template.js';
import { loadStep, stepType } from './catalogue.js';
import type { AnyStepType, Confirmation } from './descriptor.js';
import { StepError, type StepContext, type StepImpl, type StepOutput } from './types.js';
import { PARSE_ONCE } from '../runbook/fields.js';

export type Impl = StepImpl<Record<string, unknown>>;
export type { Scope };

export interface InvokerOptions {
  runbook: Runbook;
  /** plan and --dry-run: only read-only steps run for real. */
  dryRun: boolean;
  aws: AwsClients;
  out: StepOutput;
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  now?: () => Date;
}

export interface ContextParts {
  signal: AbortSignal;
  priorUndo?: unknown;
  recordUndo?: (undo: unknown) => Promise<void>;
  amendUndo?: (patch: Record<string, unknown>) => Promise<void>;
  confirmManual?: (instructions: string) => Promise<boolean>;
  /** Who answers confirmManual (StepContext.confirmedBy). */
  confirmedBy?: string | undefined;
  /** Where the step's lines go, if not to the invoker's output (plan collects them as notes). */
  out?: StepOutput;
}

/** A step's `with`, ready to run: placeholders substituted as data, then checked by its type. */
export function resolveWith(step: Step, scope: Scope): Record<string, unknown> {
  let substituted: Record<string, unknown>;
  try {
    substituted = substitute(step.with, scope);
  } catch (err) {
    if (err instanceof TemplateError) throw new StepError(`step ${step.id}: ${err.message}`);
    throw err;
  }
  const parsed = stepType(step.type).with.safeParse(substituted, PARSE_ONCE);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `with.${first.path.join('.')}` : 'with';
    throw new StepError(`step ${step.id}: ${where} is invalid after substitution: ${first?.message ?? 'invalid'}`, {
      hint: 'check the --param values this step uses',
    });
  }
  return parsed.data as Record<string, unknown>;
}

// ------------------------------------------------------------------ typed confirmations (contract §4)

/** A typed confirmation is needed for `confirm: typed` and for any step that cannot be undone. */
export function needsTypedConfirmation(step: Step): boolean {
  return step.confirm === 'typed' || step.rollback === false;
}

/** The text to type: what the step's type names (record name, restore target, cluster, instance, group), else the step id. */
export function expectedConfirmation(step: Step, resolvedWith: Record<string, unknown>): string {
  return stepType(step.type).confirmation?.text(resolvedWith) ?? step.id;
}

/** Stands for an output not known yet while the text to type is worked out (see knownConfirmation). */
const UNKNOWN_OUTPUT = '\u0000lifeboat: output not known yet\u0000';

/**
 * The text to type, when it is known before the step is reached: the step's `with` resolved
 * against the params and the outputs known so far, every other output taken as unknown. Only
 * the fields the text comes from matter: a step whose `zoneId` is an earlier step's output but
 * whose record name is literal has a known text. `pending`: steps whose outputs in `scope` are
 * stand-ins (plan's placeholders), unknown too. undefined: the text depends on an output that
 * is known only once its step has run (or on a param without a value).
 */
export function knownConfirmation(step: Step, scope: Scope, pending: ReadonlySet<string> = new Set()): string | undefined {
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const [id, outs] of Object.entries(scope.outputs)) if (!pending.has(id)) outputs[id] = { ...outs };
  for (const ref of outputReferences(step.with)) {
    const outs = (outputs[ref.step] ??= {});
    if (pending.has(ref.step) || !Object.hasOwn(outs, ref.name)) outs[ref.name] = UNKNOWN_OUTPUT;
  }
  let substituted: Record<string, unknown>;
  try {
    substituted = substitute(step.with, { params: scope.params, outputs });
  } catch {
    return undefined;
  }
  // The type's own parse when it passes (a stand-in may not fit a number field): the text then reads as at run time.
  const parsed = stepType(step.type).with.safeParse(substituted, PARSE_ONCE);
  const text = expectedConfirmation(step, parsed.success ? (parsed.data as Record<string, unknown>) : substituted);
  return text.includes(UNKNOWN_OUTPUT) ? undefined : text;
}

/** Every `${{ steps.<id>.outputs.<name> }}` in a `with` block. */
function outputReferences(value: unknown): Array<{ step: string; name: string }> {
  if (typeof value === 'string') return findReferences(value).flatMap((r) => (r.kind === 'output' ? [{ step: r.step, name: r.name }] : []));
  if (Array.isArray(value)) return value.flatMap(outputReferences);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(outputReferences);
  return [];
}

/**
 * Without a terminal a step takes one `--confirm <id>=<text>` answer. A manual step's is
 * `done`; a step that needs a typed confirmation, the text to type. A manual step that needs
 * a typed confirmation too (`confirm: typed`, `rollback: false`) takes the text to type (its
 * step id) as that one answer: it passes the typed confirmation and confirms the step done.
 */
export function manualAnswer(step: Step): 'done' | 'typed' | undefined {
  if (!stepType(step.type).confirmedAsDone) return undefined;
  return needsTypedConfirmation(step) ? 'typed' : 'done';
}

/** Whether what was typed matches: record names ignore case and the final dot, RDS ids case, a restore target its final slash; the rest must be exact. */
export function confirmationMatches(step: Pick<Step, 'type'>, expected: string, typed: string): boolean {
  const how: Partial<Confirmation> = stepType(step.type).confirmation ?? {};
  const norm = (v: string): string => {
    let t = v.trim();
    if (how.dnsName) t = t.replace(/\.$/, '');
    if (how.slashOptional && t.length > 1) t = t.replace(/\/+$/, '');
    return how.dnsName || how.ignoreCase ? t.toLowerCase() : t;
  };
  return norm(typed) === norm(expected);
}

// ------------------------------------------------------------------ undo records

/**
 * The undo record as journaled: with `text`, how it reads to a person (the step's
 * describeUndo), so `show`, reports and the "still changed" list print it without knowing
 * the step's type. A record that is not a plain object, or a step without describeUndo, is
 * journaled as given.
 */
export function withUndoText(impl: Pick<Impl, 'describeUndo'>, w: Record<string, unknown>, undo: unknown): unknown {
  if (!impl.describeUndo || undo === null || typeof undo !== 'object' || Array.isArray(undo)) return undo;
  let text: string;
  try {
    text = impl.describeUndo(w, undo);
  } catch {
    return undo;
  }
  return text === '' ? undo : { ...(undo as Record<string, unknown>), text };
}

export class StepInvoker {
  private readonly stepsById: Map<string, Step>;

  constructor(private readonly o: InvokerOptions) {
    this.stepsById = new Map([...o.runbook.steps, ...o.runbook.require].map((s) => [s.id, s]));
  }

  get dryRun(): boolean {
    return this.o.dryRun;
  }

  /** The runbook's secret params: an undo record still holding one sealed cannot be carried out. */
  get secretParamNames(): string[] {
    return Object.entries(this.o.runbook.params)
      .filter(([, spec]) => spec.secret)
      .map(([name]) => name);
  }

  step(id: string): Step {
    const s = this.stepsById.get(id);
    if (!s) throw new Error(`no step "${id}" in ${this.o.runbook.file}`);
    return s;
  }

  /** 1-based position among the runbook's steps. */
  index(step: Step): number {
    return this.o.runbook.steps.indexOf(step) + 1;
  }

  /** What lifeboat knows of the step's type: outputs, read-only, undo kind… */
  type(step: Step): AnyStepType {
    return stepType(step.type);
  }

  async impl(step: Step): Promise<Impl> {
    return loadStep(step.type);
  }

  resolve(step: Step, scope: Scope): Record<string, unknown> {
    return resolveWith(step, scope);
  }

  /** For the way back: the resolved `with`, else the runbook's (the undo record carries what rollback needs). */
  resolveForUndo(step: Step, scope: Scope): Record<string, unknown> {
    try {
      return resolveWith(step, scope);
    } catch {
      return step.with;
    }
  }

  /** The step with `${{ }}` in its rollback spec substituted too, so the undo record is concrete. */
  concrete(step: Step, scope: Scope): Step {
    if (!step.rollback) return step;
    try {
      return { ...step, rollback: substitute(step.rollback, scope) };
    } catch {
      return step;
    }
  }

  context(step: Step, parts: ContextParts): StepContext {
    return {
      step,
      runbookDir: this.o.runbook.dir,
      runbook: { name: this.o.runbook.name, rpoMs: this.o.runbook.rpoMs },
      dryRun: this.dryRun,
      signal: parts.signal,
      aws: this.o.aws,
      out: parts.out ?? this.o.out,
      env: this.o.env,
      now: this.o.now ?? (() => new Date()),
      recordUndo: parts.recordUndo ?? refuseUndo,
      amendUndo: parts.amendUndo ?? refuseUndo,
      priorUndo: parts.priorUndo,
      secrets: this.o.secrets,
      confirmManual: parts.confirmManual ?? (async () => false),
      confirmedBy: parts.confirmedBy,
    };
  }
}

/** For phases that must not change anything (plan, verify, checks, previews). */
export const refuseUndo = async (): Promise<void> => {
  throw new Error('this phase must not change anything');
};

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What to do next, from any error that says (a step's StepError, the AWS layer's AwsError). */
export function hintOf(err: unknown): string | undefined {
  const hint = err !== null && typeof err === 'object' ? (err as { hint?: unknown }).hint : undefined;
  return typeof hint === 'string' && hint !== '' ? hint : undefined;
}
