/**
 * A step type, described in one place: everything lifeboat needs to know about it without
 * naming it (the loader, the JSON Schema, the docs, plan, the engine, reports), and how to
 * load its implementation. Each type is one module under src/steps/ exporting one of these;
 * src/steps/registry.ts lists them.
 *
 * A descriptor module must stay light at its top: zod, types and pure helpers only. An
 * effect library (the AWS SDK, execa) is loaded inside `load()` or inside the implementation's
 * functions, so `validate` and `--help` never load one (checked by .dependency-cruiser.cjs).
 */
import type { z } from 'zod';
import type { AwsService } from '../aws/clients.js';
import type { StepMode } from '../runbook/mode-names.js';
import type { Outputs, StepImpl } from './types.js';

export type UndoKind = 'none' | 'builtin' | 'command' | 'instructions';

/** The typed confirmation (contract §4) of a step of this type. */
export interface Confirmation {
  /** The text to type, from the resolved `with`; undefined: the step id. */
  text(w: Record<string, unknown>): string | undefined;
  /** Record names: the final dot optional, case-insensitive. */
  dnsName?: boolean;
  /** Names AWS keeps without case (RDS identifiers): case-insensitive. */
  ignoreCase?: boolean;
  /** A bucket prefix or a directory: the final slash optional. Otherwise exact. */
  slashOptional?: boolean;
}

/** What a run's report takes from a step of this type (report/model.ts adds them up over the run). */
export interface ReportFacts {
  /** The newest backup a check found (ageSeconds null: none, or not run): the report's backup age against the rpo. */
  backup?: { key: string | null; ageSeconds: number | null; maxAgeMs?: number | undefined };
  /** What a restore copied: the report's restore totals. */
  restored?: { objects: number; bytes: number; seconds: number };
}

export interface StepTypeDescriptor<W = Record<string, unknown>> {
  /** The name written in `type:`. */
  readonly type: string;
  /** One or two sentences: the docs' step list and the JSON Schema's hover text. */
  readonly description: string;
  /** The `with` block, checked by the loader and again after substitution. */
  readonly with: z.ZodType<W>;
  /** The output names a later step may reference as `${{ steps.<id>.outputs.<name> }}`. */
  readonly outputs: readonly string[];
  /** none: read-only, `rollback:` may not be given. */
  readonly undo: UndoKind;
  /** Read-only types run for real in --dry-run (default false). */
  readonly readOnly?: boolean;
  /** Allowed in a runbook's `require:` list (default false). */
  readonly check?: boolean;
  /** Moves live traffic, capacity or databases: left out of `verify` unless its `modes:` say otherwise (default false). */
  readonly live?: boolean;
  /** Cannot be undone: the step is `rollback: false` unless the runbook gives an undo command. */
  readonly irreversible?: boolean;
  /** The modes a step of this type runs in when it has no `modes:` (default: all, without verify for `live` types). */
  readonly modes?: readonly StepMode[];
  /** The AWS services it calls: checked by the preflight (credentials, region, roles) before a run's first step. */
  readonly awsServices?: readonly AwsService[];
  /** The typed confirmation text; without one, the step id. */
  readonly confirmation?: Confirmation;
  /** The operator confirms it as done by hand (`--confirm <id>=done` without a TTY). */
  readonly confirmedAsDone?: boolean;
  /** A read-only step of this type is run for real by `plan` when a later step needs its outputs (default true). */
  readonly runsInPlan?: boolean;
  /** What the run report takes from a step: `raw` is the `with` as written, `outputs` what it produced (empty if it did not run). */
  reportFacts?(raw: Record<string, unknown>, outputs: Outputs): ReportFacts | undefined;
  /**
   * The implementation: plan, execute, verify, rollback, describeUndo (how its undo record
   * reads to a person: journaled with the record as `text`), previewUndo (the way back read
   * against the world, with drift). Called only when a step of this type is planned or run.
   */
  load(): Promise<StepImpl<W>>;
}

/**
 * Any step type, its `with` erased: the registry's element type. The registry holds types
 * with different `with` shapes; a step is always handed its own type's parsed `with`.
 */
export interface AnyStepType extends Omit<StepTypeDescriptor<unknown>, 'load' | 'with'> {
  readonly with: z.ZodType;
  load(): Promise<StepImpl<never>>;
}

/** The typed confirmation is the `with` field `name` (a cluster id, a group, a target), when it is a non-empty string. */
export function confirmField(name: string, how: Omit<Confirmation, 'text'> = {}): Confirmation {
  return { text: (w) => (typeof w[name] === 'string' && w[name] !== '' ? w[name] : undefined), ...how };
}

/** A finite number from a step's output (numbers, or numeric strings from a template); else undefined. */
export function outputNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Declares a step type (an identity function: it checks the descriptor against the implementation's `with`). */
export function defineStepType<W>(d: StepTypeDescriptor<W>): StepTypeDescriptor<W> {
  return d;
}
