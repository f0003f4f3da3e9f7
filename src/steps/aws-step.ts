/**
 * What the step types that call AWS through the SDK share: a failure turned into a StepError
 * an operator can act on (which service failed, doing what, on which resource, where; a hint
 * for a denied call or the debug switch), how an undo record reads, and the shape of a step
 * that polls while it waits.
 */
import { AwsError } from '../aws/scope.js';
import { StepError, type StepContext, type StepImpl, type StepResult } from './types.js';

export interface AwsFailure {
  /** `Route 53`, `RDS`, `Auto Scaling`. */
  service: string;
  /** `reading`, `failing over`… */
  doing: string;
  /** `DB cluster db-1`, `group web`, `app.example.com. A`. */
  what: string;
  /** `us-west-2`, `hosted zone Z1`. */
  where: string;
  /** The hint when the call was denied: the permission to grant. */
  denied?: string;
  /** The hint otherwise (default: the debug switch). */
  hint?: string;
  /** A service's own reading of the error (e.g. Route 53's), preferred when it has one. */
  advice?: { message: string; hint?: string | undefined } | undefined;
}

const DENIED = /AccessDenied|UnauthorizedOperation|not authorized/i;

/** The failure as a StepError; an error already explained (a StepError, an AwsError) is returned as it is. */
export function awsStepError(err: unknown, f: AwsFailure): Error {
  if (err instanceof StepError || err instanceof AwsError) return err;
  if (f.advice) return new StepError(f.advice.message, { cause: err, ...(f.advice.hint ? { hint: f.advice.hint } : {}) });
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  const denied = f.denied !== undefined && DENIED.test(`${name} ${message}`);
  return new StepError(`${f.service} failed while ${f.doing} ${f.what} in ${f.where}: ${name}: ${message}`, {
    hint: denied ? f.denied : (f.hint ?? 'run with LIFEBOAT_DEBUG=1 for the full error'),
    cause: err,
  });
}

/**
 * How an undo record reads to a person: `text` of the record parsed by `parse`, or, when the
 * record is missing or damaged, `unusable` (what cannot be done automatically).
 */
export function undoText<U>(raw: unknown, parse: (raw: unknown) => U, text: (u: U) => string, unusable: string): string {
  let u: U;
  try {
    u = parse(raw);
  } catch {
    return `no usable undo record: ${unusable}`;
  }
  return text(u);
}

/** How often a step polls AWS while it waits (tests make it short). */
export interface PollOptions {
  pollIntervalMs?: number;
}

/** The phases of a step that polls while it waits: execute and rollback get the polling settings. */
export interface PollingPhases<W> {
  plan: StepImpl<W>['plan'];
  execute(ctx: StepContext, w: W, o: Required<PollOptions>): Promise<StepResult>;
  verify: NonNullable<StepImpl<W>['verify']>;
  rollback(ctx: StepContext, w: W, undo: unknown, o: Required<PollOptions>): Promise<void>;
  describeUndo: NonNullable<StepImpl<W>['describeUndo']>;
  previewUndo: NonNullable<StepImpl<W>['previewUndo']>;
}

/** A step implementation from its phases, polling every `opts.pollIntervalMs` (else `defaultMs`). */
export function pollingStep<W>(type: string, opts: PollOptions, defaultMs: number, p: PollingPhases<W>): StepImpl<W> {
  const o: Required<PollOptions> = { pollIntervalMs: opts.pollIntervalMs ?? defaultMs };
  return {
    type,
    plan: p.plan,
    execute: (ctx, w) => p.execute(ctx, w, o),
    verify: p.verify,
    rollback: (ctx, w, undo) => p.rollback(ctx, w, undo, o),
    describeUndo: p.describeUndo,
    previewUndo: p.previewUndo,
  };
}
