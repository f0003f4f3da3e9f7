/**
 * The contract every step type implements: plan (read-only), execute, verify, rollback.
 * A step gets its effects through StepContext: AWS clients, output, the journal's undo
 * record, operator confirmation. It never imports the prompter, the CLI or the journal.
 */
import type { AwsClients } from '../aws/clients.js';
import type { Step } from '../runbook/model.js';

export type OutputValue = string | number | boolean;
export type Outputs = Record<string, OutputValue>;

/** One line of a plan: `+` added, `-` removed, `~` changed, ` ` context/info. */
export interface PlanLine {
  kind: 'add' | 'remove' | 'change' | 'info';
  text: string;
}

export interface PlanCounts {
  records?: number;
  deletes?: number;
  /** Objects to write (created plus overwritten). */
  objects?: number;
  /** Of those, how many replace an existing object. */
  overwrites?: number;
  bytes?: number;
  commands?: number;
  checks?: number;
}

export interface StepPlan {
  /** One line: what the step will do. */
  summary: string;
  lines: PlanLine[];
  counts: PlanCounts;
  /** True when executing would change the world. */
  mutating: boolean;
  /** What the world looked like when planned (record sets, ETags); compared by `run --plan`. */
  fingerprint?: unknown;
}

export interface StepResult {
  outputs: Outputs;
  /** One line for the operator, e.g. "412 objects, 38.2 GiB …". */
  summary?: string;
  /**
   * What the step left behind (the record sets it wrote, the ETags of the objects it
   * copied), journaled verbatim with the result. The way back compares it with the world
   * before undoing: a difference is drift (someone changed it since).
   */
  left?: unknown;
}

/** One resource whose state differs from what the step left: undoing it would overwrite someone's later change. */
export interface DriftItem {
  /** e.g. `app.example.com. CNAME`, `s3://bucket/key`. */
  resource: string;
  /** What the step left there. */
  left: string;
  /** What is there now. */
  now: string;
}

/** The way back, planned: what undoing the step would do, read against the world now. */
export interface UndoPreview {
  /** One line per resource, `now → after undo`. */
  lines: PlanLine[];
  /** Empty when the world is as the step left it (or as any mix of before and after, for a step that stopped half-way). */
  drift: DriftItem[];
}

export interface StepOutput {
  /** A line of progress or information for the operator. */
  info(line: string): void;
  /** Raw output of a child process, streamed as it comes. */
  stream(chunk: string): void;
  /** Whether the operator's terminal is interactive (progress bars) or a log. */
  readonly isTTY: boolean;
}

export interface StepContext {
  step: Step;
  runbookDir: string;
  /** Milliseconds from the runbook, e.g. rpo for s3.verify-backups. */
  runbook: { rpoMs?: number | undefined; name: string };
  dryRun: boolean;
  signal: AbortSignal;
  aws: AwsClients;
  out: StepOutput;
  env: NodeJS.ProcessEnv;
  now(): Date;
  /**
   * Journal what is needed to undo the coming change, durably, before making it. Call it
   * before the first mutating call; calling it again replaces the record (e.g. to add keys
   * as a restore proceeds). The engine keeps the first record across retries and resumes.
   */
  recordUndo(undo: unknown): Promise<void>;
  /**
   * Add to the undo record what the step learned from a change it made (e.g. the ETag S3
   * gave a copy), as a JSON Merge Patch: journaled without waiting for its fdatasync (the
   * change is made already; lost in a crash, the way back leaves that change alone). Only
   * after recordUndo. Cheaper than recordUndo for a large record: only the patch is written.
   */
  amendUndo(patch: Record<string, unknown>): Promise<void>;
  /** The undo record captured by an earlier attempt of this step (retry, resume), if any. */
  priorUndo: unknown;
  /** Ask the operator to confirm a manual step is done. */
  confirmManual(instructions: string): Promise<boolean>;
  /**
   * Who answers confirmManual, as a step's summary names them: `the operator` (a person at the
   * terminal) or the flag that answers without one (`--confirm <id>=done`). Absent: the operator.
   */
  confirmedBy?: string | undefined;
  /** Values that must never reach the screen, the journal or a report (secret params). */
  secrets?: readonly string[];
}

export interface StepImpl<W> {
  readonly type: string;
  /** Read-only evaluation against the real world. */
  plan(ctx: StepContext, w: W): Promise<StepPlan>;
  /** Make the change. Must be idempotent: a resumed run may execute it again. */
  execute(ctx: StepContext, w: W): Promise<StepResult>;
  /** Read back and confirm the change took effect. */
  verify?(ctx: StepContext, w: W, result: StepResult): Promise<void>;
  /**
   * Undo using the record passed to recordUndo. `left` is the step's StepResult.left
   * (undefined when the step stopped before its result); the way back calls this only after
   * its drift check passed or the operator overrode it.
   */
  rollback?(ctx: StepContext, w: W, undo: unknown, left?: unknown): Promise<void>;
  /** Describe the undo for the operator before it runs. */
  describeUndo?(w: W, undo: unknown): string;
  /**
   * Read-only: re-read what the step left and say what undoing it would do (`now → after
   * undo`) and what drifted. `left` is the step's StepResult.left, undefined when the step
   * stopped before its result (then only what cannot be a mix of its before and after
   * states is drift). Steps without it have nothing in the world to compare.
   */
  previewUndo?(ctx: StepContext, w: W, undo: unknown, left: unknown): Promise<UndoPreview>;
}

/** A step failure with the fields an operator needs. */
export class StepError extends Error {
  readonly hint: string | undefined;
  /** What the step measured before it failed (e.g. the backup's age): journaled and reported. */
  readonly outputs: Outputs | undefined;
  constructor(message: string, options?: { hint?: string; cause?: unknown; outputs?: Outputs }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StepError';
    this.hint = options?.hint;
    this.outputs = options?.outputs;
  }
}
