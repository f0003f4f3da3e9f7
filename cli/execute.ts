/**
 * What run, rehearse, verify, resume and rollback share: params, operator, the run's lock,
 * journal, signals, and the end of a run told plainly (what happened, the exit code, what
 * to type next). Resume and rollback open a session on an existing run (./run-session.ts).
 */
import { createWriteStream } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { AwsClients } from '../src/aws/clients.js';
import { preflightRoles } from '../src/aws/preflight-roles.js';
import { sessionNameFor } from '../src/aws/scope.js';
import { undoDoneByHand } from '../src/steps/by-hand.js';
import { Execution, operatorName, type RunOutcome } from '../src/engine/run.js';
import { preflightConfirmations } from '../src/engine/confirmations.js';
import { keepsLock } from '../src/engine/outcome.js';
import { RefusedError, UsageError } from '../src/errors.js';
import type { RunMode } from '../src/journal/format.js';
import { acquireLocalLock, type HeldLock, type LockIntent } from '../src/journal/lock.js';
import { describeUndoRecord } from '../src/journal/timeline.js';
import { JournalWriter, listRunIds, newRunId, resolveRunId } from '../src/journal/store.js';
import { InquirerPrompter } from '../src/prompt/inquirer.js';
import { ScriptedPrompter } from '../src/prompt/scripted.js';
import type { Prompter } from '../src/prompt/types.js';
import type { Runbook } from '../src/runbook/model.js';
import { withoutModeSkips } from '../src/runbook/modes.js';
import { parseParamFlags, resolveParams } from '../src/runbook/params.js';
import { createConsoleUi, type Ui } from '../src/ui/console.js';
import { dropOutputErrors } from '../src/ui/streams.js';
import { collectSecrets, redactor, type Secrets } from '../src/util/redact.js';
import { secretChecks } from '../src/util/secret-check.js';
import { notifierFor } from '../src/notify/notifier.js';
import { lifeboatVersion, userAgent } from '../src/version.js';
import type { CommonOptions } from './options.js';

export function stateDir(opts: CommonOptions): string {
  return resolve(opts.stateDir || process.env.LIFEBOAT_STATE_DIR || '.lifeboat');
}

export function isInteractive(opts: CommonOptions): boolean {
  return !opts.yes && Boolean(process.stdin.isTTY);
}

/**
 * Nothing changes without consent: a person at a terminal, or --yes. Without either, refuse
 * before anything is touched (exit 3) and say how to give it.
 */
export function requireConsent(opts: CommonOptions, command: string): void {
  if (opts.yes || process.stdin.isTTY) return;
  throw new RefusedError({
    what: `no terminal to ask for consent (stdin is not a TTY) and no --yes; nothing was changed`,
    hint: `to ${command} without a person answering at each transition, add --yes (and --confirm <step-id>=<text> for typed and manual confirmations)`,
  });
}

/**
 * The state directory could not be used (permissions, a file where a directory should be,
 * a path too long): found before any change, said with the path and the fix, never a raw errno.
 */
export function stateDirError(err: unknown, path: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const fixes: Record<string, string> = {
    EACCES: `make it writable for this user, or choose another with --state-dir (or LIFEBOAT_STATE_DIR)`,
    EPERM: `make it writable for this user, or choose another with --state-dir (or LIFEBOAT_STATE_DIR)`,
    EROFS: `it is on a read-only file system: choose another with --state-dir (or LIFEBOAT_STATE_DIR)`,
    ENOTDIR: `a part of that path is a file, not a directory: move it away or choose another --state-dir`,
    EISDIR: `a directory stands where a file should be: move it away or choose another --state-dir`,
    ENAMETOOLONG: `the path is too long: choose a shorter --state-dir`,
    ENOSPC: `the disk is full: free space there or choose another --state-dir`,
    ENOENT: `a part of that path is missing: create it or choose another --state-dir`,
  };
  if (typeof code !== 'string' || !(code in fixes)) return err;
  return new RefusedError({ what: `the state directory cannot be used (${code}); nothing was changed`, where: path, hint: fixes[code], cause: err });
}

/** --confirm answers by step id (`<id>:undo` for its undo): one answer a step, so two different ones are a mistake (exit 2). */
export function confirmations(opts: CommonOptions): Map<string, string> {
  return new Map(Object.entries(parseParamFlags(opts.confirm ?? [], '--confirm')));
}

/** Typed and manual confirmations without a terminal, checked before anything changes: src/engine/confirmations.ts. */
export { preflightConfirmations } from '../src/engine/confirmations.js';

/**
 * Without a person at the keyboard, the by-hand undos a rollback will reach must be
 * confirmed with --confirm <step-id>:undo=done before anything is undone (exit 3 otherwise):
 * the rollback would otherwise undo the newer steps and stop half-way at that one.
 * `applied` is the undo list (newest last); steps in `skip` are not undone.
 */
export function preflightUndoConfirmations(applied: readonly string[], undos: Readonly<Record<string, unknown>>, given: Map<string, string>, skip: readonly string[] = []): void {
  const [stepId] = unansweredByHandUndos(applied, undos, given, skip);
  if (stepId === undefined) return;
  const instructions = (undos[stepId] as { instructions: string }).instructions.split(/\r?\n/)[0]?.trim() ?? '';
  throw new RefusedError({
    what: `the undo of ${stepId} is done by hand ("${instructions}") and there is no one at a terminal to confirm it`,
    hint: `run this at a terminal, or do it by hand when the rollback reaches it and pass --confirm ${stepId}:undo=done (--skip-undo ${stepId} leaves it out); nothing was changed`,
  });
}

/** The by-hand undos of `applied` (newest first) that no --confirm <id>:undo=done answers. */
export function unansweredByHandUndos(applied: readonly string[], undos: Readonly<Record<string, unknown>>, given: Map<string, string>, skip: readonly string[] = []): string[] {
  return [...applied].reverse().filter((stepId) => !skip.includes(stepId) && undoDoneByHand(undos[stepId]) && given.get(`${stepId}:undo`)?.toLowerCase() !== 'done');
}

export interface Session {
  execution: Execution;
  ui: Ui;
  runId: string;
  prompter: Prompter;
  aws: AwsClients;
  /** The run's secrets: masked in what people read, secret params sealed in the journal. */
  secrets: Secrets;
  lock: HeldLock;
}

export interface SessionOptions {
  runbook: Runbook;
  opts: CommonOptions;
  mode: RunMode;
  /** Force non-interactive (verify). */
  nonInteractive?: boolean;
  /** Rehearse and verify: roll back everything once the forward run ends. */
  rollbackAfter?: boolean;
  /** run --plan: the saved plan's fingerprints, by step id. */
  expectedFingerprints?: Record<string, unknown>;
  /** run --plan: the steps the saved plan showed as skipped. */
  skippedInPlan?: readonly string[];
  /** Told the run's id as soon as it has one: a report of a run refused after that (AWS preflight, lock) names it. */
  onRunId?: (runId: string) => void;
}

export async function openSession({ runbook, opts, mode, nonInteractive, rollbackAfter, expectedFingerprints, skippedInPlan, onRunId }: SessionOptions): Promise<Session> {
  const env = process.env;
  checkSkipUndo(opts, runbook);
  const { values, secretNames } = resolveParams(runbook, parseParamFlags(opts.param ?? []), env);
  const secrets = collectSecrets({ env, params: values, secretNames });
  if (!nonInteractive && mode !== 'dry-run') requireConsent(opts, mode);
  const interactive = !nonInteractive && isInteractive(opts);
  const given = confirmations(opts);
  // Steps this mode leaves out (a live step in verify) ask for nothing.
  // By-hand undos (`rollback: { instructions }`) a run without a terminal may reach, unanswered.
  let unanswered: string[] = [];
  if (!interactive) {
    const steps = withoutModeSkips(runbook, mode).steps;
    preflightConfirmations({ ...runbook, steps }, values, given);
    const ids = steps.map((s) => s.id);
    const undos = Object.fromEntries(steps.map((s) => [s.id, s.rollback]));
    // Rehearse and verify roll back what they did: refused now. A run rolls back only if a step fails: said now.
    if (rollbackAfter) preflightUndoConfirmations(ids, undos, given, opts.skipUndo);
    else if (mode !== 'dry-run' && (opts.onFailure ?? 'rollback') === 'rollback') unanswered = unansweredByHandUndos(ids, undos, given, opts.skipUndo);
  }

  const ui = createConsoleUi({ out: opts.json ? process.stderr : process.stdout, redact: redactor(secrets) });
  for (const stepId of unanswered) ui.warn(`the undo of ${stepId} is done by hand: if this run rolls back, it stops there unless --confirm ${stepId}:undo=done is given`);
  const who = operatorName(env);
  const prompter = makePrompter(opts, interactive, who, given);
  const runId = newRunId(runbook.name);
  onRunId?.(runId);
  // --dry-run: clients that refuse every mutating operation (the lock is lifeboat's own, not the world's).
  const aws = new AwsClients({ region: opts.region, profile: opts.profile, env, readOnly: mode === 'dry-run', sessionName: sessionNameFor(runId) });
  const lockAws = mode === 'dry-run' ? new AwsClients({ region: opts.region, profile: opts.profile, env }) : aws;
  // Profile, region and credentials, then every role a step assumes: before anything changes (exit 3).
  await (await import('../src/aws/preflight.js')).preflightAws({ runbook, aws, lock: opts.lock, say: (line) => ui.info(line) });
  await preflightRoles(aws, [...runbook.require, ...runbook.steps]);
  // The lock first: a refused run (exit 3) leaves no journal behind.
  const lock = await takeLock({ opts, aws: lockAws, runbookName: runbook.name, runId, who, ui, intent: { forceUnlock: opts.forceUnlock } }).catch((err: unknown) => {
    throw stateDirError(err, stateDir(opts));
  });
  let journal: JournalWriter;
  try {
    journal = await JournalWriter.open(stateDir(opts), runId, { secrets, env });
  } catch (err) {
    await lock.release().catch(() => undefined);
    throw stateDirError(err, stateDir(opts));
  }
  await journal.append({
    type: 'run-start',
    runId,
    runbook: { file: resolve(runbook.file), name: runbook.name, hash: runbook.hash, source: runbook.source },
    lifeboat: lifeboatVersion(),
    mode,
    params: Object.fromEntries(Object.entries(values).filter(([k]) => !secretNames.includes(k))),
    // The secret params given a value; the values themselves are never journaled.
    secretParams: secretNames.filter((n) => n in values),
    secretCheck: secretChecks(values, secretNames),
    user: who,
    host: hostname(),
    pid: process.pid,
    lock: lock.where,
    ...(aws.identity ? { identity: { account: aws.identity.account, arn: aws.identity.arn, region: aws.identity.region, profile: aws.identity.profile } } : {}),
  });
  const execution = new Execution({
    runbook,
    runId,
    params: values,
    mode,
    prompter,
    ui,
    aws,
    journal,
    env,
    confirmations: given,
    rollbackAfter,
    expectedFingerprints,
    skippedInPlan,
    secrets: secrets.values,
    ...wayBackFlags(opts),
    observer: notifierFor(opts.notify, { runId, runbook, mode, who, redact: redactor(secrets), userAgent: userAgent() }),
  });
  ui.heading(`lifeboat ${mode} ${runbook.name} — run ${runId}${interactive ? '' : ' (non-interactive)'}`);
  locks.set(execution, lock);
  return { execution, ui, runId, prompter, aws, secrets, lock };
}

/**
 * The operator: inquirer at a terminal, else the flags. Prompts belong on the terminal, never
 * on stdout (which a pipe or a file may hold): stderr when it is the terminal, else
 * /dev/tty when there is one, else stderr.
 */
export function makePrompter(opts: CommonOptions, interactive: boolean, who: string, given: Map<string, string>): Prompter {
  if (!interactive) return new ScriptedPrompter({ who, onFailure: opts.onFailure ?? 'rollback', confirmations: given });
  return new InquirerPrompter({ who, output: promptOutput() });
}

function promptOutput(): NodeJS.WritableStream {
  if (process.stderr.isTTY) return process.stderr;
  try {
    const tty = createWriteStream('/dev/tty');
    dropOutputErrors(tty);
    return tty;
  } catch {
    return process.stderr;
  }
}

/** `--skip-undo` names steps of the runbook: a mistyped id would let the undo it meant to stop go ahead. */
export function checkSkipUndo(opts: CommonOptions, runbook: Runbook): void {
  const ids = runbook.steps.map((s) => s.id);
  const unknown = (opts.skipUndo ?? []).filter((id) => !ids.includes(id));
  if (unknown.length === 0) return;
  throw new UsageError({
    what: `--skip-undo ${unknown.join(', ')}: ${unknown.length === 1 ? 'no step' : 'no steps'} of runbook ${runbook.name} ${unknown.length === 1 ? 'has that id' : 'have those ids'}`,
    hint: `its steps are ${ids.join(', ')}; nothing was changed`,
  });
}

/** What the flags say about the way back and about going on without a person. */
export function wayBackFlags(opts: CommonOptions): { ignoreDrift: boolean; skipUndo: string[]; onFailure: 'rollback' | 'abort' } {
  return { ignoreDrift: opts.ignoreDrift === true, skipUndo: opts.skipUndo ?? [], onFailure: opts.onFailure ?? 'rollback' };
}

/** The installed lifeboat's version (package.json), journaled with every run. */
export { lifeboatVersion } from '../src/version.js';

/** The lock each execution holds: released by runWithSignals when the run ends, however it ends. */
const locks = new WeakMap<Execution, HeldLock>();

export function holdLock(execution: Execution, lock: HeldLock): void {
  locks.set(execution, lock);
}

export interface TakeLockOptions {
  opts: CommonOptions;
  aws: AwsClients;
  runbookName: string;
  runId: string;
  who: string;
  ui: Ui;
  intent: LockIntent;
  /** The lock a journaled run used (resume, rollback), when --lock is not given. */
  recorded?: string | undefined;
}

/** The run's lock: `--lock s3://…` (or the one the run recorded) shared through S3, else a lock file under the state dir. */
export async function takeLock({ opts, aws, runbookName, runId, who, ui, intent, recorded }: TakeLockOptions): Promise<HeldLock> {
  const holder = { runId, pid: process.pid, host: hostname(), user: who, startedAt: new Date().toISOString(), runbook: runbookName };
  const warn = (line: string): void => ui.warn(line);
  const where = opts.lock ?? (recorded?.startsWith('s3://') ? recorded : undefined);
  // --force-unlock names a run as every run id on the command line does: exactly one (exit 2
  // if empty or ambiguous; a unique prefix or suffix will do).
  const dir = stateDir(opts);
  const sure = intent.forceUnlock === undefined ? intent : { ...intent, forceUnlock: resolveRunId(intent.forceUnlock, await listRunIds(dir), dir, { unknownAsGiven: true }) };
  if (where !== undefined) {
    const { acquireS3Lock } = await import('../src/aws/s3-lock.js');
    return acquireS3Lock(aws, where, holder, sure, warn);
  }
  return acquireLocalLock(dir, holder, sure, warn);
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Route SIGINT, SIGTERM and SIGHUP (a closed terminal) to the execution while it runs. */
export async function runWithSignals(execution: Execution, lock: { heldBefore: boolean } = { heldBefore: true }): Promise<RunOutcome> {
  const onSignal = (signal: NodeJS.Signals): void => execution.interrupt(signal);
  for (const s of SIGNALS) process.on(s, onSignal);
  let keepLock = false;
  try {
    const outcome = await execution.start();
    // Anything changed still in place (aborted, suspended, a failed rollback, a broken
    // journal): keep the lock, so no other run starts on top of it; resume/rollback of this
    // run take it over. A rollback of a completed run refused before any change gives it back.
    keepLock = keepsLock(outcome.final, outcome.leftChanged.length, lock.heldBefore);
    outcome.lockKept = keepLock;
    return outcome;
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
    if (keepLock) {
      locks.get(execution)?.keep();
      locks.delete(execution);
    } else {
      await releaseLock(execution);
    }
  }
}

async function releaseLock(execution: Execution): Promise<void> {
  const lock = locks.get(execution);
  if (!lock) return;
  locks.delete(execution);
  try {
    await lock.release();
  } catch (err) {
    process.stderr.write(`lifeboat: could not release the lock ${lock.where}: ${err instanceof Error ? err.message : String(err)}\n  → remove it by hand once you are sure no run of this runbook is in progress\n`);
  }
}

export function describeOutcome(ui: Ui, outcome: RunOutcome, mode?: RunMode): void {
  const id = outcome.runId;
  const dry = mode === 'dry-run';
  const notUndone = Object.entries(outcome.context.status).filter(([, s]) => s === 'not-undone').map(([stepId]) => stepId);
  const byHand = Object.entries(outcome.context.status).filter(([, s]) => s === 'undone-by-hand').map(([stepId]) => stepId);
  const undoneNotes = (): void => {
    if (byHand.length > 0) ui.info(`done by hand (journaled): ${byHand.join(', ')}`);
    if (notUndone.length > 0) ui.warn(`not undone (they cannot be undone, rollback: false): ${notUndone.join(', ')}`);
  };
  const resumeOrRollback = (): void => ui.info(`continue with: lifeboat resume ${id}   or undo with: lifeboat rollback ${id}`);
  switch (outcome.final) {
    case 'completed':
      ui.heading(`✔ completed${dry ? ' (dry run: nothing was changed)' : ''} in ${(outcome.durationMs / 1000).toFixed(1)}s — run ${id}`);
      if (!dry && outcome.leftChanged.length > 0) ui.info(`to undo it: lifeboat rollback ${id}`);
      break;
    case 'rolledBack':
      if (notUndone.length > 0 || byHand.length > 0) ui.heading(`↶ rolled back — run ${id}`);
      else ui.heading(`↶ rolled back: every completed step was undone — run ${id}`);
      undoneNotes();
      if (outcome.context.error) ui.info(`cause: ${outcome.context.error.stepId}: ${outcome.context.error.message}`);
      break;
    case 'aborted':
    case 'suspended':
      if (outcome.leftChanged.length === 0) {
        ui.heading(`${outcome.final === 'aborted' ? '■ aborted' : '‖ interrupted'}: nothing is changed — run ${id}`);
        if (!dry && outcome.context.status && Object.values(outcome.context.status).some((s) => s === 'pending')) ui.info(`continue with: lifeboat resume ${id}`);
        break;
      }
      ui.heading(outcome.final === 'aborted' ? `■ stopped with changes in place — state saved — run ${id}` : `‖ interrupted — state saved — run ${id}`);
      ui.info(`still changed: ${outcome.leftChanged.join(', ')}`);
      if (outcome.lockKept !== false) ui.info('the lock stays with this run: other runs of this runbook are refused until you resume or roll it back');
      resumeOrRollback();
      break;
    case 'refused':
      ui.heading(`✘ refused before any change: ${outcome.context.error?.message ?? ''}`);
      if (outcome.leftChanged.length > 0) ui.info(`still changed (by the run, as before): ${outcome.leftChanged.join(', ')}${outcome.lockKept === false ? '' : `; the lock stays with run ${id}`}`);
      break;
    case 'rollbackFailed':
      ui.heading(`✘ ${outcome.context.rollbackError?.message.startsWith('drift') ? 'ROLLBACK STOPPED AT DRIFT' : 'ROLLBACK FAILED'} — a person must look now — run ${id}`);
      ui.error(`${outcome.context.rollbackError?.stepId}: ${outcome.context.rollbackError?.message}`);
      undoneNotes();
      describeStillChanged(ui, id, outcome.leftChanged, outcome.context.undos);
      if (outcome.context.rollbackError) {
        const { stepId, message } = outcome.context.rollbackError;
        // The ways out that need no terminal, named with the step they apply to.
        if (message.startsWith('drift')) ui.info(`once you know the later change may be overwritten: \`lifeboat rollback ${id} --ignore-drift\` puts back what was there before the run (journaled)`);
        ui.info(`if you put ${stepId} back yourself: \`lifeboat rollback ${id} --skip-undo ${stepId}\` marks it done by hand (journaled) and undoes the rest`);
      }
      break;
    case 'journalFailed':
      ui.heading(`✘ THE JOURNAL COULD NOT BE WRITTEN — no further change was made — a person must look now — run ${id}`);
      if (outcome.journalError) ui.error(`${outcome.journalError.path}: ${outcome.journalError.message}`);
      if (outcome.leftChanged.length > 0) {
        ui.info(`still changed: ${outcome.leftChanged.join(', ')}; the lock stays with this run`);
        ui.info(`what to do: ${outcome.journalError?.hint ?? 'make the journal writable again'}, then run \`lifeboat rollback ${id}\` (or \`lifeboat resume ${id}\`)`);
      } else ui.info(`nothing was changed; ${outcome.journalError?.hint ?? 'make the journal writable again'}, then run again`);
      break;
  }
}

/** After a failed rollback: what is still changed (from the undo records) and what to do by hand. */
export function describeStillChanged(ui: Ui, runId: string, leftChanged: readonly string[], undos: Record<string, unknown>): void {
  const left = [...leftChanged].reverse();
  ui.info(`still changed (newest first): ${left.join(', ')}`);
  for (const stepId of left) ui.info(`  ${stepId}: ${describeUndoRecord(undos[stepId])}`);
  ui.info(`what to do: fix the cause above, then run \`lifeboat rollback ${runId}\` again (it undoes only what is left, newest first);`);
  ui.info(`or put each of those back by hand as listed, and check with \`lifeboat show ${runId}\``);
}
