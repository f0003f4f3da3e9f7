/**
 * What run, rehearse, verify, resume and rollback share: params, operator, the run's lock,
 * journal, signals, and the end of a run told plainly (what happened, the exit code, what
 * to type next). Resume and rollback open a session on an existing run (./run-session.ts).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { AwsClients } from '../src/aws/clients.js';
import { preflightRoles } from '../src/aws/preflight-roles.js';
import { sessionNameFor } from '../src/aws/scope.js';
import { confirmedAsDone } from '../src/steps/traits.js';
import { Execution, operatorName, type RunOutcome } from '../src/engine/run.js';
import { confirmationMatches, expectedConfirmation, needsTypedConfirmation } from '../src/engine/confirm.js';
import { resolveWith } from '../src/engine/resolve.js';
import { RefusedError } from '../src/errors.js';
import type { RunMode } from '../src/journal/format.js';
import { acquireLocalLock, type HeldLock, type LockIntent } from '../src/journal/lock.js';
import { describeUndoRecord } from '../src/journal/timeline.js';
import { JournalWriter, newRunId } from '../src/journal/store.js';
import { InquirerPrompter } from '../src/prompt/inquirer.js';
import { ScriptedPrompter } from '../src/prompt/scripted.js';
import type { Prompter } from '../src/prompt/types.js';
import type { Runbook } from '../src/runbook/model.js';
import { parseParamFlags, resolveParams } from '../src/runbook/params.js';
import { createConsoleUi, type Ui } from '../src/ui/console.js';
import type { CommonOptions } from './options.js';

export function stateDir(opts: CommonOptions): string {
  return resolve(opts.stateDir || process.env.LIFEBOAT_STATE_DIR || '.lifeboat');
}

export function isInteractive(opts: CommonOptions): boolean {
  return !opts.yes && Boolean(process.stdin.isTTY);
}

export function confirmations(opts: CommonOptions): Map<string, string> {
  return new Map(Object.entries(parseParamFlags(opts.confirm ?? [], '--confirm')));
}

/** Secret values to keep off the screen, the journal and reports. */
export function secretValues(params: Record<string, string>, secretNames: string[], env: NodeJS.ProcessEnv): string[] {
  const fromParams = secretNames.map((n) => params[n]).filter((v): v is string => typeof v === 'string');
  const fromEnv = Object.entries(env)
    .filter(([k, v]) => v && /token|secret|password|passwd|credential|(^|_)key($|_)/i.test(k) && !/^AWS_ACCESS_KEY_ID$/.test(k))
    .map(([, v]) => v as string);
  return [...new Set([...fromParams, ...fromEnv])].filter((v) => v.length >= 4);
}

export function redactor(secrets: string[]): (text: string) => string {
  return (text) => secrets.reduce((t, s) => t.split(s).join('***'), text);
}

/**
 * Without a person at the keyboard, typed and manual confirmations must come from
 * --confirm: check them all before anything changes (exit 3 otherwise).
 */
export function preflightConfirmations(runbook: Runbook, params: Record<string, string>, given: Map<string, string>): void {
  for (const step of runbook.steps) {
    if (confirmedAsDone(step.type) && given.get(step.id)?.toLowerCase() !== 'done') {
      throw new RefusedError({
        what: `step ${step.id} is a manual step and there is no one at a terminal to confirm it`,
        hint: `after doing it by hand, pass --confirm ${step.id}=done; nothing was changed`,
      });
    }
    if (!needsTypedConfirmation(step)) continue;
    let expected: string;
    try {
      expected = expectedConfirmation(step, resolveWith(step, { params, outputs: {} }));
    } catch {
      continue; // depends on an earlier step's output: checked when the step is reached
    }
    const typed = given.get(step.id);
    const ok = typed !== undefined && confirmationMatches(step, expected, typed);
    if (!ok) {
      throw new RefusedError({
        what: `step ${step.id} needs a typed confirmation${step.rollback === false ? ' (it cannot be undone)' : ''}${typed === undefined ? '' : `, and "${typed}" does not match`}`,
        hint: `--yes alone never confirms it: pass --confirm ${step.id}=${expected}; nothing was changed`,
      });
    }
  }
}

export interface Session {
  execution: Execution;
  ui: Ui;
  runId: string;
  prompter: Prompter;
  aws: AwsClients;
  secrets: string[];
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
}

export async function openSession({ runbook, opts, mode, nonInteractive, rollbackAfter, expectedFingerprints }: SessionOptions): Promise<Session> {
  const env = process.env;
  const { values, secretNames } = resolveParams(runbook, parseParamFlags(opts.param ?? []), env);
  const secrets = secretValues(values, secretNames, env);
  const interactive = !nonInteractive && isInteractive(opts);
  const given = confirmations(opts);
  if (!interactive) preflightConfirmations(runbook, values, given);

  const ui = createConsoleUi({ out: opts.json ? process.stderr : process.stdout, redact: redactor(secrets) });
  const who = operatorName(env);
  const prompter: Prompter = interactive
    ? new InquirerPrompter({ who, ...(opts.json ? { output: process.stderr } : {}) })
    : new ScriptedPrompter({ who, onFailure: opts.onFailure ?? 'rollback', confirmations: given });
  const runId = newRunId(runbook.name);
  // --dry-run: clients that refuse every mutating operation (the lock is lifeboat's own, not the world's).
  const aws = new AwsClients({ region: opts.region, profile: opts.profile, env, readOnly: mode === 'dry-run', sessionName: sessionNameFor(runId) });
  const lockAws = mode === 'dry-run' ? new AwsClients({ region: opts.region, profile: opts.profile, env }) : aws;
  await preflightRoles(aws, [...runbook.require, ...runbook.steps]);
  // The lock first: a refused run (exit 3) leaves no journal behind.
  const lock = await takeLock({ opts, aws: lockAws, runbookName: runbook.name, runId, who, ui, intent: { forceUnlock: opts.forceUnlock } });
  let journal: JournalWriter;
  try {
    journal = await JournalWriter.open(stateDir(opts), runId, { secrets, env });
  } catch (err) {
    await lock.release();
    throw err;
  }
  await journal.append({
    type: 'run-start',
    runId,
    runbook: { file: resolve(runbook.file), name: runbook.name, hash: runbook.hash, source: runbook.source },
    lifeboat: lifeboatVersion(),
    mode,
    params: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secretNames.includes(k) ? '***' : v])),
    secretParams: secretNames,
    user: who,
    host: hostname(),
    pid: process.pid,
    lock: lock.where,
  });
  const execution = new Execution({ runbook, runId, params: values, mode, prompter, ui, aws, journal, env, confirmations: given, rollbackAfter, expectedFingerprints, secrets });
  ui.heading(`lifeboat ${mode} ${runbook.name} — run ${runId}${interactive ? '' : ' (non-interactive)'}`);
  locks.set(execution, lock);
  return { execution, ui, runId, prompter, aws, secrets, lock };
}

/** The installed lifeboat's version (package.json), journaled with every run. */
export function lifeboatVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return process.env.npm_package_version ?? 'unknown';
  }
}

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
  if (where !== undefined) {
    const { acquireS3Lock } = await import('../src/aws/s3-lock.js');
    return acquireS3Lock(aws, where, holder, intent, warn);
  }
  return acquireLocalLock(stateDir(opts), holder, intent, warn);
}

/** Route SIGINT/SIGTERM to the execution while it runs. */
export async function runWithSignals(execution: Execution): Promise<RunOutcome> {
  const onSignal = (signal: NodeJS.Signals): void => execution.interrupt(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let keepLock = false;
  try {
    const outcome = await execution.start();
    // Suspended with changes applied: keep the lock, so no other run starts on top of a
    // half-done one; resume/rollback of this run take it over (its holder is gone).
    keepLock = outcome.final === 'suspended' && outcome.context.applied.length > 0;
    return outcome;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
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

export function describeOutcome(ui: Ui, outcome: RunOutcome): void {
  const id = outcome.runId;
  switch (outcome.final) {
    case 'completed':
      ui.heading(`✔ completed in ${(outcome.durationMs / 1000).toFixed(1)}s — run ${id}`);
      if (outcome.context.applied.length > 0) ui.info(`to undo it: lifeboat rollback ${id}`);
      break;
    case 'rolledBack':
      ui.heading(`↶ rolled back: every completed step was undone — run ${id}`);
      if (outcome.context.error) ui.info(`cause: ${outcome.context.error.stepId}: ${outcome.context.error.message}`);
      break;
    case 'aborted':
      ui.heading(`■ aborted — run ${id}`);
      if (outcome.context.applied.length > 0) {
        ui.info(`still changed: ${outcome.context.applied.join(', ')}`);
        ui.info(`continue with: lifeboat resume ${id}   or undo with: lifeboat rollback ${id}`);
      }
      break;
    case 'suspended':
      ui.heading(`‖ interrupted — state saved — run ${id}`);
      if (outcome.context.applied.length > 0) ui.info(`the lock stays with this run: other runs of this runbook are refused until you resume or roll it back`);
      ui.info(`continue with: lifeboat resume ${id}   or undo with: lifeboat rollback ${id}`);
      break;
    case 'refused':
      ui.heading(`✘ refused before any change: ${outcome.context.error?.message ?? ''}`);
      break;
    case 'rollbackFailed':
      ui.heading(`✘ ROLLBACK FAILED — a person must look now — run ${id}`);
      ui.error(`${outcome.context.rollbackError?.stepId}: ${outcome.context.rollbackError?.message}`);
      describeStillChanged(ui, id, outcome.leftChanged, outcome.context.undos);
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
