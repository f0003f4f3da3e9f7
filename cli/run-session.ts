/**
 * Resume and rollback work on a run that already exists: its journal is read and replayed,
 * its runbook found again (the file, checked against the journaled hash, or the copy kept in
 * the journal), its params restored (secret ones given again through the environment), its
 * lock taken over, and an Execution started where the run stood, appending to the same
 * journal after a `resumed` entry.
 */
import { hostname } from 'node:os';
import { readFile } from 'node:fs/promises';
import { AwsClients } from '../src/aws/clients.js';
import { sessionNameFor } from '../src/aws/scope.js';
import { Execution, operatorName } from '../src/engine/run.js';
import { RefusedError, UsageError } from '../src/errors.js';
import type { RunContext, StepStatus } from '../src/machine/compile.js';
import { type ReplayedRun, type RunMode, type RunProcess, type StepState } from '../src/journal/format.js';
import { pidAlive } from '../src/journal/lock.js';
import { JournalWriter, loadRun, type LoadedRun } from '../src/journal/store.js';
import { parseRunbook } from '../src/runbook/load.js';
import type { Runbook, Step } from '../src/runbook/model.js';
import { resolveParams } from '../src/runbook/params.js';
import { createConsoleUi, type Ui } from '../src/ui/console.js';
import { collectSecrets, paramEnvName, REDACTED, redactor, undosMissingSecrets, unsealSecrets, type MissingSecretUndo, type Secrets } from '../src/util/redact.js';
import { checkSkipUndo, confirmations, holdLock, isInteractive, makePrompter, wayBackFlags, preflightConfirmations, preflightUndoConfirmations, requireConsent, stateDir, stateDirError, takeLock, type Session } from './execute.js';
import { notifierFor } from '../src/notify/notifier.js';
import { userAgent } from '../src/version.js';
import { matchesSecretCheck } from '../src/util/secret-check.js';
import type { CommonOptions } from './options.js';
import { checkReportFlags } from './run-report.js';

export type Command = 'resume' | 'rollback';

/** Whether a run's last process is alive: on this host by its pid; undefined for another host. */
export function processAlive(p: RunProcess): boolean | undefined {
  if (p.host !== hostname()) return undefined;
  return p.pid === process.pid || pidAlive(p.pid, p.at);
}

/** Read and replay a run; print torn-line warnings; refuse (exit 3) a run whose process still drives it. */
export async function openRun(runId: string, opts: CommonOptions, ui: Ui): Promise<LoadedRun> {
  const loaded = await loadRun(stateDir(opts), runId);
  for (const w of loaded.warnings) ui.warn(`warning: ${w}`);
  const { run } = loaded;
  if (!run.end && processAlive(run.process) === true && run.process.pid !== process.pid) {
    throw new RefusedError({
      what: `run ${run.runId} is still being driven by pid ${run.process.pid} on ${run.process.host} (${run.process.user})`,
      hint: `wait for it to end, or stop it first (kill -INT ${run.process.pid}: it stops at a safe point)`,
    });
  }
  return loaded;
}

/**
 * resume/rollback with nothing to do still free the run's own stale lock (a crash right
 * after its last entry leaves it), so the next run can start. Another run's lock is left be.
 */
export async function releaseOwnLock(run: ReplayedRun, opts: CommonOptions, ui: Ui): Promise<void> {
  const aws = new AwsClients({ region: opts.region, profile: opts.profile, env: process.env });
  try {
    const lock = await takeLock({ opts, aws, runbookName: run.start.runbook.name, runId: run.runId, who: operatorName(process.env), ui, intent: { takeOver: run.runId }, recorded: run.start.lock });
    await lock.release();
  } catch (err) {
    if (!(err instanceof RefusedError)) throw err;
  } finally {
    aws.destroy();
  }
}

// ------------------------------------------------------------------ the runbook

/** Step ids added, removed and changed between the runbook as run and as it is now. */
export function stepChanges(before: Runbook, now: Runbook): { added: string[]; removed: string[]; changed: string[] } {
  const key = (s: Step): string => JSON.stringify({ ...s, loc: undefined });
  const old = new Map(before.steps.map((s) => [s.id, key(s)]));
  const cur = new Map(now.steps.map((s) => [s.id, key(s)]));
  return {
    added: [...cur.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !cur.has(id)),
    changed: [...cur.keys()].filter((id) => old.has(id) && old.get(id) !== cur.get(id)),
  };
}

function journaledRunbook(run: ReplayedRun): Runbook | undefined {
  const source = run.start.runbook.source;
  if (source === undefined) return undefined;
  return parseRunbook(source, run.start.runbook.file).runbook;
}

async function fileRunbook(file: string): Promise<Runbook | undefined> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const { runbook, problems } = parseRunbook(source, file);
  if (!runbook) {
    throw new UsageError({
      what: `the runbook ${file} is no longer valid (${problems.length} problem(s), first: ${problems[0]?.line}:${problems[0]?.col}: ${problems[0]?.message})`,
      hint: 'fix it (lifeboat validate shows every problem), or put back the version the run began with',
    });
  }
  return runbook;
}

/**
 * The runbook to resume with: the file as it is, if its hash is the journaled one (or with
 * --force); the copy in the journal when the file is gone. A changed file without --force is
 * refused (exit 2), saying which steps changed.
 */
export async function runbookForResume(run: ReplayedRun, force: boolean, ui: Ui): Promise<{ runbook: Runbook; changedHash?: string }> {
  const file = run.start.runbook.file;
  const current = await fileRunbook(file);
  const journaled = journaledRunbook(run);
  if (!current) {
    if (journaled) {
      ui.warn(`the runbook ${file} is gone: resuming with the copy kept in the journal`);
      return { runbook: journaled };
    }
    throw new UsageError({ what: `the runbook ${file} is gone and this journal keeps no copy of it`, hint: 'put the runbook back at that path, then resume' });
  }
  if (current.hash === run.start.runbook.hash) return { runbook: current };
  let what = `the runbook ${file} changed since run ${run.runId} began (sha256 ${run.start.runbook.hash.slice(0, 12)}… then, ${current.hash.slice(0, 12)}… now)`;
  if (journaled) {
    const d = stepChanges(journaled, current);
    const parts = [
      d.added.length ? `added: ${d.added.join(', ')}` : '',
      d.removed.length ? `removed: ${d.removed.join(', ')}` : '',
      d.changed.length ? `changed: ${d.changed.join(', ')}` : '',
    ].filter(Boolean);
    what += parts.length ? `; steps ${parts.join('; ')}` : '; no step changed (params, names or comments did)';
  }
  if (!force) {
    throw new UsageError({
      what,
      hint: `resuming with a different runbook can redo or skip changes: review the difference, then add --force to accept it (or put back the version the run began with)`,
    });
  }
  ui.warn(`${what}: going on with the file as it is now (--force)`);
  return { runbook: current, changedHash: current.hash };
}

/** The runbook to roll back with: the copy kept in the journal (what was run), else the file. */
export async function runbookForRollback(run: ReplayedRun, ui: Ui): Promise<Runbook> {
  const journaled = journaledRunbook(run);
  if (journaled) return journaled;
  const current = await fileRunbook(run.start.runbook.file);
  if (!current) throw new UsageError({ what: `the runbook ${run.start.runbook.file} is gone and this journal keeps no copy of it`, hint: 'put the runbook back at that path, then roll back' });
  if (current.hash !== run.start.runbook.hash) ui.warn(`the runbook ${current.file} changed since the run began; undoing from the journaled undo records`);
  return current;
}

// ------------------------------------------------------------------ params

/**
 * The secret params the run was given a value for: their values are never journaled. Older
 * journals listed every declared secret param and kept the given ones in `params` as "***".
 */
export function journaledSecretParams(run: ReplayedRun): string[] {
  const names = run.start.secretParams;
  const legacy = names.some((n) => run.start.params[n] === REDACTED);
  return legacy ? names.filter((n) => n in run.start.params) : [...names];
}

/**
 * The journaled params, with secret ones (never journaled) taken again from the
 * environment. Resume refuses without them (exit 2); rollback goes on, since only the undo
 * records that hold one need it (see undosNeedingSecrets: those refuse, naming the variable).
 */
export function restoreParams(run: ReplayedRun, runbook: Runbook, command: Command, env: NodeJS.ProcessEnv): { values: Record<string, string>; secretNames: string[] } {
  const journaledSecrets = new Set(run.start.secretParams);
  const given: Record<string, string> = {};
  for (const [k, v] of Object.entries(run.start.params)) {
    if (k in runbook.params && !journaledSecrets.has(k)) given[k] = v;
  }
  const missing = journaledSecretParams(run).filter((n) => n in runbook.params && env[paramEnvName(n)] === undefined);
  if (missing.length > 0 && command === 'resume') {
    const how = missing.map((n) => `${paramEnvName(n)}=…`).join(' ');
    throw new UsageError({
      what: `secret param${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'were' : 'was'} not journaled (secrets never are) and must be given again`,
      hint: `set ${how} in the environment, then resume again`,
    });
  }
  checkSecretsGivenAgain(run, env);
  try {
    return resolveParams(runbook, given, env);
  } catch (err) {
    if (command === 'resume') throw err;
    // Rollback works from the undo records: a param the runbook now requires is not needed.
    const values = { ...given };
    for (const [n, s] of Object.entries(runbook.params)) if (s.secret && env[paramEnvName(n)] !== undefined) values[n] = env[paramEnvName(n)] as string;
    return { values, secretNames: Object.entries(runbook.params).filter(([, s]) => s.secret).map(([n]) => n) };
  }
}

/**
 * A secret param given again (LIFEBOAT_PARAM_<NAME>) must be the value the run used: its
 * undo records were sealed with it, and another value would put back something other than
 * was there. Checked against the run-start's salted hash; refused (exit 3) before anything.
 */
function checkSecretsGivenAgain(run: ReplayedRun, env: NodeJS.ProcessEnv): void {
  const wrong = Object.entries(run.start.secretCheck ?? {})
    .filter(([name, check]) => {
      const given = env[paramEnvName(name)];
      return given !== undefined && matchesSecretCheck(given, check) === false;
    })
    .map(([name]) => name);
  if (wrong.length === 0) return;
  throw new RefusedError({
    what: `${wrong.map(paramEnvName).join(', ')} ${wrong.length > 1 ? 'are not the values' : 'is not the value'} run ${run.runId} was started with: its undo records would put back something other than was there; nothing was changed`,
    hint: `give the secret param${wrong.length > 1 ? 's' : ''} ${wrong.join(', ')} the value the run used, then run the command again`,
  });
}

// ------------------------------------------------------------------ secrets in undo records

/**
 * The run's undo records and what its steps left, as the journal keeps them, with the secret
 * params they were sealed with (`${{ params.<name> }}`) put back from `secrets.params`. A
 * record whose param is not given stays sealed: its undo refuses (way-back.ts,
 * sealedUndoRefusal), naming the variable; `missing` lists those steps.
 */
export function unsealUndos(run: ReplayedRun, secrets: Secrets): { undos: Record<string, unknown>; left: Record<string, unknown>; missing: MissingSecretUndo[] } {
  const sealed = journaledSecretParams(run);
  const undos: Record<string, unknown> = {};
  for (const [stepId, undo] of Object.entries(run.undos)) undos[stepId] = unsealSecrets(undo, secrets.params, sealed).value;
  const left: Record<string, unknown> = {};
  for (const [stepId, l] of Object.entries(run.left)) left[stepId] = unsealSecrets(l, secrets.params, sealed).value;
  return { undos, left, missing: undosMissingSecrets(undos, sealed, run.applied) };
}

/**
 * For the rollback preview and its refusal (exit 3 before any change): the steps still to
 * undo whose undo record needs a secret param that is not in `env`, with the
 * `LIFEBOAT_PARAM_<NAME>` variables to set. Empty when every undo can be carried out.
 */
export function undosNeedingSecrets(run: ReplayedRun, env: NodeJS.ProcessEnv = process.env): MissingSecretUndo[] {
  const sealed = journaledSecretParams(run);
  const given: Record<string, string> = {};
  for (const n of sealed) {
    const v = env[paramEnvName(n)];
    if (v !== undefined) given[n] = v;
  }
  return unsealUndos(run, { values: [], params: given }).missing;
}

// ------------------------------------------------------------------ where to start

const STATUS: Partial<Record<StepState, StepStatus>> = { done: 'done', skipped: 'skipped', failed: 'failed', 'rolled-back': 'rolled-back' };

export function restoredStatus(run: ReplayedRun, runbook: Runbook): Record<string, StepStatus> {
  return Object.fromEntries(runbook.steps.map((s) => [s.id, STATUS[run.steps[s.id] ?? 'pending'] ?? 'pending']));
}

/** The first step not done or skipped: where the run stood (the in-flight step, if any). */
export function resumePoint(run: ReplayedRun, runbook: Runbook): string | undefined {
  return runbook.steps.find((s) => run.steps[s.id] !== 'done' && run.steps[s.id] !== 'skipped')?.id;
}

// ------------------------------------------------------------------ the session

export interface RunSessionOptions {
  loaded: LoadedRun;
  runbook: Runbook;
  opts: CommonOptions;
  command: Command;
  ui: Ui;
  /** Where the machine starts: a step id, or the rollback walk. */
  startAt: string | { rollback: string };
  /** resume --force accepted a changed runbook with this hash. */
  changedHash?: string | undefined;
}

/**
 * What resume and rollback do first: check the report flags (a bad invocation refuses
 * before anything runs) and load the run's journal.
 */
export async function openRunCommand(runId: string, given: CommonOptions) {
  const opts = await checkReportFlags(given);
  const ui = earlyUi(opts);
  const loaded = await openRun(runId, opts, ui);
  const { run } = loaded;
  return { opts, ui, loaded, run, id: run.runId };
}

/** The ui before secrets are known: the environment's secrets are already kept off the screen. */
export function earlyUi(opts: CommonOptions): Ui {
  return createConsoleUi({ out: opts.json ? process.stderr : process.stdout, redact: redactor(collectSecrets({ env: process.env })) });
}

export async function openRunSession({ loaded, runbook, opts, command, ui: _early, startAt, changedHash }: RunSessionOptions): Promise<Session> {
  const { run } = loaded;
  checkSkipUndo(opts, runbook);
  const env = process.env;
  const { values, secretNames } = restoreParams(run, runbook, command, env);
  const secrets = collectSecrets({ env, params: values, secretNames });
  const restored = unsealUndos(run, secrets);
  const ui = createConsoleUi({ out: opts.json ? process.stderr : process.stdout, redact: redactor(secrets) });
  if (run.start.mode !== 'dry-run') requireConsent(opts, command);
  for (const m of restored.missing) ui.warn(`the undo of ${m.stepId} needs the secret param${m.params.length > 1 ? 's' : ''} ${m.params.join(', ')} (never journaled): set ${m.envVars.map((v) => `${v}=…`).join(' ')}, or that undo is refused`);
  const interactive = isInteractive(opts);
  const given = confirmations(opts);
  if (!interactive && typeof startAt === 'string') {
    const from = runbook.steps.findIndex((s) => s.id === startAt);
    preflightConfirmations({ ...runbook, steps: runbook.steps.slice(Math.max(0, from)) }, values, given);
  }
  if (!interactive && typeof startAt === 'object') preflightUndoConfirmations(run.applied, restored.undos, given, opts.skipUndo);
  const who = operatorName(env);
  const prompter = makePrompter(opts, interactive, who, given);
  const aws = new AwsClients({ region: opts.region, profile: opts.profile, env, sessionName: sessionNameFor(run.runId) });
  await (await import('../src/aws/preflight.js')).preflightAws({ runbook, aws, lock: opts.lock ?? run.start.lock, say: (line) => ui.info(line) });
  const lock = await takeLock({ opts, aws, runbookName: run.start.runbook.name, runId: run.runId, who, ui, intent: { takeOver: run.runId, forceUnlock: opts.forceUnlock }, recorded: run.start.lock });
  let journal: JournalWriter;
  try {
    journal = await JournalWriter.open(stateDir(opts), run.runId, { secrets, env, lastSeq: run.lastSeq });
    await journal.append({ type: 'resumed', by: who, pid: process.pid, host: hostname(), force: changedHash !== undefined, command, ...(changedHash ? { hash: changedHash } : {}) });
    for (const w of loaded.warnings) await journal.append({ type: 'warning', message: w });
  } catch (err) {
    // The lock stays with the run (it has changes in place): only this process lets go of it.
    lock.keep();
    throw stateDirError(err, stateDir(opts));
  }
  const wasDryRun = run.start.mode === 'dry-run';
  const mode: RunMode = wasDryRun ? 'dry-run' : command;
  const execution = new Execution({
    runbook,
    runId: run.runId,
    params: values,
    mode,
    prompter,
    ui,
    aws,
    journal,
    env,
    confirmations: given,
    secrets: secrets.values,
    ...wayBackFlags(opts),
    observer: notifierFor(opts.notify, { runId: run.runId, runbook, mode, who, redact: redactor(secrets), userAgent: userAgent() }),
    rollbackAfter: command === 'resume' && (run.start.mode === 'rehearse' || run.start.mode === 'verify'),
    rollsBackCompleted: command === 'rollback' && run.end?.outcome === 'completed',
    stepMode: run.start.mode,
    start: {
      startAt,
      // Journaled outputs are the plain-JSON StepOutputs the steps returned.
      restore: {
        outputs: run.outputs as RunContext['outputs'],
        applied: [...run.applied],
        undos: restored.undos,
        status: restoredStatus(run, runbook),
        left: restored.left,
      },
    },
  });
  holdLock(execution, lock);
  return { execution, ui, runId: run.runId, prompter, aws, secrets, lock };
}
