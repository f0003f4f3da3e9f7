/**
 * `shell`: run a program with an argv array, never through a shell. Output is streamed to
 * the operator as it comes (redacted) and the tail of stdout becomes `outputs.stdout`.
 * Undo is the step's `rollback.run` command, run the same way.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { formatDuration, parseDuration } from '../runbook/duration.js';
import { duration } from '../runbook/fields.js';
import { collectSecrets, redact, secretEnvValues, StreamRedactor } from '../util/redact.js';
import { abortReason } from '../util/sleep.js';
import { defineStepType } from './descriptor.js';
import { StepError, type PlanLine, type StepContext, type StepImpl, type StepPlan, type StepResult } from './types.js';

const shellWith = z.strictObject({
  run: z.array(z.string()).min(1).describe('argv: program and arguments; never run through a shell'),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  timeout: duration.optional(),
  exitCodes: z.array(z.coerce.number().int()).min(1).optional().describe('Exit codes that count as success (default [0])'),
});
export type ShellWith = z.output<typeof shellWith>;

/** How much of stdout is kept for `outputs.stdout`: the last 1 Mi characters (everything is still streamed). */
export const STDOUT_CAP_CHARS = 1024 * 1024;
/** How much of stderr is kept for error messages. */
const STDERR_CAP_CHARS = 16 * 1024;
/** How many lines of stderr a failure message quotes. */
const TAIL_LINES = 8;
/** After SIGTERM (timeout or interrupt), how long a command gets before SIGKILL. */
export const KILL_GRACE_MS = 5000;
/** After a command exits, how long output from processes it left behind is still read. */
const OUTPUT_DRAIN_MS = 2000;

/** What the shell step journals before running, so that its rollback can run later. */
export interface CommandUndo {
  run: string[];
  /** As the runbook wrote it, relative to the runbook's directory. */
  cwd?: string;
  /** As the runbook wrote it in `rollback.env`. */
  env?: Record<string, string>;
  timeout?: string;
}
/** Undo by a person: shown at rollback, then confirmed. */
export interface InstructionsUndo {
  instructions: string;
}
/** Nothing to undo; `irreversible` when the runbook declared `rollback: false`. */
export interface NoUndo {
  none: true;
  irreversible?: true;
}
export type ShellUndo = CommandUndo | InstructionsUndo | NoUndo;

/** A command to run: a shell step's `with`, or a rollback command. */
export interface CommandSpec {
  run: readonly string[];
  cwd?: string | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  timeout?: string | undefined;
  exitCodes?: readonly number[] | undefined;
}

export interface CommandResult {
  exitCode: number;
  /** Redacted, the last STDOUT_CAP_CHARS at most, without its final newline. */
  stdout: string;
  stdoutTruncated: boolean;
  durationMs: number;
}

/**
 * The secrets a command's output is scrubbed of: the values of secret-named variables in
 * its `env`, plus any the engine hands over (secret params) in `ctx.secrets`.
 */
export function commandSecrets(ctx: StepContext, ...envs: Array<Readonly<Record<string, string>> | undefined>): string[] {
  const extra = (ctx as StepContext & { secrets?: readonly string[] }).secrets ?? [];
  return [...collectSecrets({ extra: [...envs.flatMap((e) => secretEnvValues(e)), ...extra] }).values];
}

/** `["./a b.sh","x"]` → `"./a b.sh" "x"`: every element JSON-quoted so spaces and newlines show. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => JSON.stringify(a)).join(' ');
}

function resolveCwd(ctx: StepContext, cwd: string | undefined): string {
  return path.resolve(ctx.runbookDir, cwd ?? '.');
}

function timeoutMsOf(timeout: string | undefined): number | undefined {
  if (timeout === undefined) return undefined;
  const ms = parseDuration(timeout);
  if (ms === undefined) throw new StepError(`bad timeout "${timeout}"`, { hint: 'use a duration such as 30s, 5m or 1h' });
  return ms;
}

function expectedCodes(codes: readonly number[]): string {
  return codes.length === 1 ? String(codes[0]) : `one of ${codes.join(', ')}`;
}

function lastLines(text: string, n: number): string[] {
  return text
    .replace(/\s+$/, '')
    .split(/\r?\n/)
    .slice(-n)
    .filter((l) => l.trim() !== '');
}

/** Keeps the last `cap` characters of what is appended (amortised, without quadratic copying). */
class TailBuffer {
  private parts: string[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  append(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size > this.cap * 2) this.compact();
  }
  private compact(): void {
    const all = this.parts.join('');
    if (all.length > this.cap) {
      this.truncated = true;
      this.parts = [all.slice(all.length - this.cap)];
    } else {
      this.parts = [all];
    }
    this.size = this.parts[0]?.length ?? 0;
  }
  text(): string {
    this.compact();
    return this.parts[0] ?? '';
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/** Where `command` would be found (a path relative to cwd, or on PATH), or undefined. */
async function findCommand(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : (env.PATH ?? '')
        .split(path.delimiter)
        .filter((d) => d !== '')
        .map((d) => path.resolve(cwd, d, command));
  for (const c of candidates) {
    try {
      await access(c, fsConstants.X_OK);
      if (!(await stat(c)).isDirectory()) return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

function notFound(command: string, cwd: string): StepError {
  const hint = command.includes('/')
    ? `"${command}" is resolved from the working directory ${cwd} (with.cwd, relative to the runbook's directory); check that the file exists`
    : `"${command}" is not on PATH; give a path to it (e.g. ./scripts/${command}) or add its directory to PATH`;
  return new StepError(`command not found: ${command} (cwd: ${cwd}); check the path or PATH`, { hint });
}

/**
 * Run one command the way the shell step does: argv without a shell, inherited environment
 * plus `env`, output streamed and redacted, killed after `timeout`, stopped by `ctx.signal`.
 * Throws StepError (or the abort reason when interrupted) unless the exit code is expected.
 */
export async function runCommand(ctx: StepContext, spec: CommandSpec, secrets: readonly string[]): Promise<CommandResult> {
  const [file, ...args] = spec.run;
  if (file === undefined || file === '') throw new StepError('nothing to run: the argv is empty', { hint: 'with.run is a list: [program, arg, ...]' });
  const cwd = resolveCwd(ctx, spec.cwd);
  const timeoutMs = timeoutMsOf(spec.timeout);
  const exitCodes = spec.exitCodes && spec.exitCodes.length > 0 ? spec.exitCodes : [0];
  const label = file;

  if (ctx.signal.aborted) throw abortReason(ctx.signal);
  if (!(await isDirectory(cwd)))
    throw new StepError(`working directory not found: ${cwd}`, {
      hint: spec.cwd === undefined ? "the runbook's directory is gone" : `cwd "${spec.cwd}" is relative to the runbook's directory ${ctx.runbookDir}`,
    });

  const stdout = new TailBuffer(STDOUT_CAP_CHARS);
  const stderr = new TailBuffer(STDERR_CAP_CHARS);
  const outRedactor = new StreamRedactor(secrets, (text) => {
    stdout.append(text);
    ctx.out.stream(text);
  });
  const errRedactor = new StreamRedactor(secrets, (text) => {
    stderr.append(text);
    ctx.out.stream(text);
  });

  // The command runs in its own process group (detached: a new session), so that a timeout
  // or an interrupt stops everything it started, not just the program itself: a script's
  // `sleep 600` would otherwise hold the output pipes open long after the script was killed.
  // Loaded by the first command run: a runbook without shell steps (or undo commands) never
  // carries execa (about 15 MiB of RSS).
  const { execa } = await import('execa');
  const subprocess = execa(file, args, {
    cwd,
    env: { ...ctx.env, ...spec.env },
    extendEnv: false,
    shell: false,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    detached: true,
    forceKillAfterDelay: false,
  });
  const pid = subprocess.pid;
  let stopReason: 'timeout' | 'interrupt' | undefined;
  let forced = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let leftBackground = false;
  const signalGroup = (sig: NodeJS.Signals): void => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // The group is gone already.
    }
  };
  const stop = (reason: 'timeout' | 'interrupt'): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    signalGroup('SIGTERM');
    graceTimer = setTimeout(() => {
      forced = true;
      signalGroup('SIGKILL');
    }, KILL_GRACE_MS);
  };
  const onAbort = (): void => stop('interrupt');
  const onExit = (): void => signalGroup('SIGKILL');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  process.once('exit', onExit);
  const timeoutTimer = timeoutMs !== undefined && timeoutMs > 0 ? setTimeout(() => stop('timeout'), timeoutMs) : undefined;
  // A command that exits leaving a background process behind (`daemon &`) that still holds
  // its output: stop reading shortly after the command itself ended, and leave the process be.
  subprocess.on('exit', () => {
    drainTimer = setTimeout(() => {
      leftBackground = true;
      subprocess.stdout?.destroy();
      subprocess.stderr?.destroy();
    }, OUTPUT_DRAIN_MS);
  });

  const outDecoder = new StringDecoder('utf8');
  const errDecoder = new StringDecoder('utf8');
  subprocess.stdout?.on('data', (chunk: Buffer | string) => outRedactor.push(typeof chunk === 'string' ? chunk : outDecoder.write(chunk)));
  subprocess.stderr?.on('data', (chunk: Buffer | string) => errRedactor.push(typeof chunk === 'string' ? chunk : errDecoder.write(chunk)));

  let result: Awaited<typeof subprocess>;
  try {
    result = await subprocess;
  } finally {
    clearTimeout(timeoutTimer);
    clearTimeout(graceTimer);
    clearTimeout(drainTimer);
    ctx.signal.removeEventListener('abort', onAbort);
    process.removeListener('exit', onExit);
  }
  outRedactor.push(outDecoder.end());
  errRedactor.push(errDecoder.end());
  outRedactor.end();
  errRedactor.end();
  if (leftBackground && stopReason === undefined)
    ctx.out.info(`${label} exited but left a background process holding its output; stopped reading its output`);

  const stderrTail = lastLines(stderr.text(), TAIL_LINES);
  const outputTail = stderrTail.length > 0 ? stderrTail : lastLines(stdout.text(), TAIL_LINES);
  const quoted = outputTail.length > 0 ? `\n${outputTail.map((l) => `    ${l}`).join('\n')}` : '';
  const lastOutput = stderrTail.length > 0 ? 'last lines of stderr' : 'last lines of output';

  if (stopReason === 'interrupt') {
    ctx.out.info(`stopped ${label}: the run was interrupted`);
    throw abortReason(ctx.signal);
  }
  if (stopReason === 'timeout') {
    const after = formatDuration(timeoutMs ?? 0);
    const how = forced
      ? `did not stop on SIGTERM and was killed with SIGKILL after ${formatDuration(KILL_GRACE_MS)}`
      : `was stopped with ${result.signal ?? 'SIGTERM'}`;
    throw new StepError(`${label} timed out after ${after} and ${how}${quoted ? `; ${lastOutput}:${quoted}` : ''}`, {
      hint: 'raise the timeout if the command legitimately needs longer, or find out why it hangs',
    });
  }
  if (result.failed && result.exitCode === undefined && result.signal === undefined) {
    // It never ran: spawn failed.
    const code = result.code;
    if (code === 'ENOENT') {
      // Distinguish a missing program from a script whose interpreter (#!) is missing.
      const found = await findCommand(file, cwd, ctx.env);
      if (found === undefined) throw notFound(file, cwd);
      throw new StepError(`could not start ${label} (cwd: ${cwd}): ${found} exists but its interpreter was not found`, {
        hint: `check the #! line of ${found}`,
        cause: result,
      });
    }
    if (code === 'EACCES')
      throw new StepError(`permission denied running ${label} (cwd: ${cwd})`, {
        hint: `make it executable (chmod +x ${file}) or run it through its interpreter, e.g. ["bash", "${file}"]`,
        cause: result,
      });
    throw new StepError(`could not start ${label} (cwd: ${cwd}): ${redact(result.originalMessage ?? result.shortMessage ?? 'unknown error', secrets)}`, {
      hint: 'check the command and its working directory',
      cause: result,
    });
  }
  if (result.signal !== undefined) {
    const what = result.signalDescription ? ` (${result.signalDescription})` : '';
    throw new StepError(`${label} was killed by ${result.signal}${what}${quoted ? `; ${lastOutput}:${quoted}` : ''}`, {
      hint: 'something outside lifeboat stopped it (the OOM killer, an operator, a supervisor); check the host, then retry',
    });
  }
  const exitCode = result.exitCode ?? -1;
  if (!exitCodes.includes(exitCode)) {
    throw new StepError(`${label} exited with code ${exitCode} (expected ${expectedCodes(exitCodes)})${quoted ? `; ${lastOutput}:${quoted}` : ''}`, {
      hint: exitCodes.length === 1 && exitCodes[0] === 0 ? 'if this exit code means success for this command, list it in with.exitCodes' : 'see the output above for why it failed',
    });
  }
  return {
    exitCode,
    stdout: stdout.text().replace(/\r?\n$/, ''),
    stdoutTruncated: stdout.truncated,
    durationMs: result.durationMs,
  };
}

/** The undo record for a step's `rollback:`, as the runbook wrote it (no resolved secrets beyond that). */
export function undoFromRollback(rollback: StepContext['step']['rollback'], defaultCwd?: string): ShellUndo {
  if (rollback === false) return { none: true, irreversible: true };
  if (rollback === undefined) return { none: true };
  if ('run' in rollback) {
    const undo: CommandUndo = { run: [...rollback.run] };
    const cwd = rollback.cwd ?? defaultCwd;
    if (cwd !== undefined) undo.cwd = cwd;
    if (rollback.env !== undefined) undo.env = { ...rollback.env };
    if (rollback.timeout !== undefined) undo.timeout = rollback.timeout;
    return undo;
  }
  return { instructions: rollback.instructions };
}

function isCommandUndo(undo: unknown): undo is CommandUndo {
  return typeof undo === 'object' && undo !== null && Array.isArray((undo as CommandUndo).run);
}
function isInstructionsUndo(undo: unknown): undo is InstructionsUndo {
  return typeof undo === 'object' && undo !== null && typeof (undo as InstructionsUndo).instructions === 'string';
}
function isIrreversible(undo: unknown): boolean {
  return typeof undo === 'object' && undo !== null && (undo as NoUndo).irreversible === true;
}

/** One line for the operator: what rolling back this undo record will do. */
export function describeUndoRecord(undo: unknown): string {
  if (isCommandUndo(undo)) {
    const parts = [`run ${formatArgv(undo.run)}`];
    if (undo.cwd !== undefined) parts.push(`in ${undo.cwd}`);
    if (undo.env && Object.keys(undo.env).length > 0) parts.push(`with env ${Object.keys(undo.env).join(', ')}`);
    if (undo.timeout !== undefined) parts.push(`timeout ${undo.timeout}`);
    return parts.join(' ');
  }
  if (isInstructionsUndo(undo)) return `the operator undoes it by hand: ${undo.instructions}`;
  if (isIrreversible(undo)) return 'IRREVERSIBLE: declared rollback: false; nothing will be undone';
  return 'nothing to undo: no rollback given';
}

/**
 * Roll back from an undo record of the kinds above: run the command, or show the
 * instructions and wait for the operator to confirm; nothing for `{ none: true }`.
 */
export async function rollbackFromRecord(ctx: StepContext, undo: unknown, extraSecrets: readonly string[] = []): Promise<void> {
  if (isCommandUndo(undo)) {
    ctx.out.info(`rollback: ${describeUndoRecord(undo)}`);
    const secrets = [...collectSecrets({ extra: [...commandSecrets(ctx, undo.env), ...extraSecrets] }).values];
    await runCommand(ctx, { run: undo.run, cwd: undo.cwd, env: undo.env, timeout: undo.timeout }, secrets);
    return;
  }
  if (isInstructionsUndo(undo)) {
    ctx.out.info(`To undo "${ctx.step.id}":`);
    for (const line of undo.instructions.split(/\r?\n/)) ctx.out.info(`  ${line}`);
    if (!(await ctx.confirmManual(undo.instructions)))
      throw new StepError(`operator did not confirm the undo of "${ctx.step.id}" was done`, {
        hint: `do the undo instructions by hand, then run lifeboat rollback again (without a TTY: --confirm ${ctx.step.id}:undo=done)`,
      });
    return;
  }
  if (isIrreversible(undo)) ctx.out.info(`"${ctx.step.id}" is irreversible (rollback: false): nothing undone`);
}

async function planShell(ctx: StepContext, w: ShellWith): Promise<StepPlan> {
  const cwd = resolveCwd(ctx, w.cwd);
  const lines: PlanLine[] = [{ kind: 'change', text: `run ${formatArgv(w.run)}` }, { kind: 'info', text: `cwd: ${cwd}` }];
  const envNames = Object.keys(w.env ?? {});
  if (envNames.length > 0) lines.push({ kind: 'info', text: `env: + ${envNames.join(', ')}` });
  if (w.timeout !== undefined) lines.push({ kind: 'info', text: `timeout: ${w.timeout}` });
  if (w.exitCodes !== undefined) lines.push({ kind: 'info', text: `exit codes that count as success: ${w.exitCodes.join(', ')}` });
  lines.push({ kind: 'info', text: `undo: ${describeUndoRecord(undoFromRollback(ctx.step.rollback, w.cwd))}` });

  // Read-only look at the world: will it even start?
  const file = w.run[0] ?? '';
  if (!(await isDirectory(cwd))) lines.push({ kind: 'info', text: `warning: working directory not found: ${cwd}` });
  else if ((await findCommand(file, cwd, { ...ctx.env, ...w.env })) === undefined)
    lines.push({ kind: 'info', text: `warning: command not found: ${file} (cwd: ${cwd})` });

  return {
    summary: `run ${file}${w.run.length > 1 ? ` with ${w.run.length - 1} argument${w.run.length === 2 ? '' : 's'}` : ''}`,
    lines,
    counts: { commands: 1 },
    mutating: true,
  };
}

export const shellStep: StepImpl<ShellWith> = {
  type: 'shell',

  plan: planShell,

  async execute(ctx: StepContext, w: ShellWith): Promise<StepResult> {
    if (ctx.dryRun) {
      ctx.out.info(`dry run: would run ${formatArgv(w.run)}`);
      return { outputs: { stdout: '', exitCode: 0 }, summary: 'dry run: not run' };
    }
    // Journal the undo before the command can change anything.
    await ctx.recordUndo(undoFromRollback(ctx.step.rollback, w.cwd));
    const result = await runCommand(ctx, w, commandSecrets(ctx, w.env));
    if (result.stdoutTruncated)
      ctx.out.info(`output was longer than ${STDOUT_CAP_CHARS / 1024 / 1024} MiB: outputs.stdout keeps the last part only`);
    return {
      outputs: { stdout: result.stdout, exitCode: result.exitCode },
      summary: `exit ${result.exitCode} in ${formatDuration(result.durationMs)}`,
    };
  },

  async rollback(ctx: StepContext, w: ShellWith, undo: unknown): Promise<void> {
    await rollbackFromRecord(ctx, undo, commandSecrets(ctx, w?.env));
  },

  describeUndo(_w: ShellWith, undo: unknown): string {
    return describeUndoRecord(undo);
  },
};

export const shellType = defineStepType({
  type: 'shell',
  description: 'Runs with.run (an argv array, never through a shell); rollback is rollback.run, or rollback: false.',
  with: shellWith,
  outputs: ['stdout', 'exitCode'],
  undo: 'command',
  load: async () => shellStep,
});
