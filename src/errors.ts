/**
 * Errors meant for a person under stress: each says what failed, where, and what to do
 * next. The message is built from structured fields so that reports and the journal can
 * keep the fields, and `cause` is kept for LIFEBOAT_DEBUG=1.
 */

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  /** A person must look now: a rollback failed or stopped at drift, or the journal could not be written. */
  rollbackFailed: 4,
  /** Stopped by the operator with changes in place: the lock is kept; resume or roll back. */
  stopped: 5,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface LifeboatErrorFields {
  /** What failed, in one line. */
  what: string;
  /** Where: file:line:col, step id, bucket/key, record name. */
  where?: string | undefined;
  /** What the operator can do next. */
  hint?: string | undefined;
  exitCode?: ExitCodeValue;
  cause?: unknown;
}

export class LifeboatError extends Error {
  readonly what: string;
  readonly where: string | undefined;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;

  constructor(fields: LifeboatErrorFields) {
    super(formatMessage(fields), fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'LifeboatError';
    this.what = fields.what;
    this.where = fields.where;
    this.hint = fields.hint;
    this.exitCode = fields.exitCode ?? ExitCode.failed;
  }
}

function formatMessage({ what, where, hint }: LifeboatErrorFields): string {
  const head = where ? `${where}: ${what}` : what;
  return hint ? `${head}\n  → ${hint}` : head;
}

/** A bad invocation: unknown flag, missing param, unreadable file. Exit 2. */
export class UsageError extends LifeboatError {
  constructor(fields: Omit<LifeboatErrorFields, 'exitCode'>) {
    super({ ...fields, exitCode: ExitCode.usage });
    this.name = 'UsageError';
  }
}

/** The run was refused before anything changed: lock held, precondition, confirmation. Exit 3. */
export class RefusedError extends LifeboatError {
  constructor(fields: Omit<LifeboatErrorFields, 'exitCode'>) {
    super({ ...fields, exitCode: ExitCode.refused });
    this.name = 'RefusedError';
  }
}

/** One problem in a runbook file, located at the offending node (1-based). */
export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

export class RunbookInvalidError extends LifeboatError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super({
      what: problems.map(formatProblem).join('\n'),
      exitCode: ExitCode.usage,
    });
    this.name = 'RunbookInvalidError';
    this.problems = problems;
  }
}

/** The operator pressed Ctrl-C at a prompt, or a signal arrived. Not a crash. */
export class InterruptedError extends LifeboatError {
  constructor(what = 'interrupted by the operator') {
    super({ what, exitCode: ExitCode.interrupted });
    this.name = 'InterruptedError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
