/**
 * What run, rehearse and verify share: params, operator, journal, signals, and the end
 * of a run told plainly (what happened, the exit code, what to type next).
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { AwsClients } from '../src/aws/clients.js';
import { Execution, operatorName, type RunOutcome } from '../src/engine/run.js';
import { expectedConfirmation, needsTypedConfirmation } from '../src/engine/confirm.js';
import { resolveWith } from '../src/engine/resolve.js';
import { RefusedError } from '../src/errors.js';
import type { RunMode } from '../src/journal/format.js';
import { JournalWriter, newRunId } from '../src/journal/store.js';
import { InquirerPrompter } from '../src/prompt/inquirer.js';
import { ScriptedPrompter } from '../src/prompt/scripted.js';
import type { Prompter } from '../src/prompt/types.js';
import type { Runbook } from '../src/runbook/model.js';
import { parseParamFlags, resolveParams } from '../src/runbook/params.js';
import { createConsoleUi, type Ui } from '../src/ui/console.js';
import type { CommonOptions } from './options.js';

export function stateDir(opts: CommonOptions): string {
  return resolve(opts.stateDir ?? process.env.LIFEBOAT_STATE_DIR ?? '.lifeboat');
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
    if (step.type === 'manual' && given.get(step.id)?.toLowerCase() !== 'done') {
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
    const ok = typed !== undefined && (step.type === 'route53.change-records' ? typed.replace(/\.$/, '').toLowerCase() === expected.replace(/\.$/, '').toLowerCase() : typed === expected);
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
    ? new InquirerPrompter({ who })
    : new ScriptedPrompter({ who, onFailure: opts.onFailure ?? 'rollback', confirmations: given });
  const aws = new AwsClients({ region: opts.region, profile: opts.profile, env });
  const runId = newRunId(runbook.name);
  const journal = await JournalWriter.open(stateDir(opts), runId, { secrets, env });
  await journal.append({
    type: 'run-start',
    runId,
    runbook: { file: resolve(runbook.file), name: runbook.name, hash: runbook.hash },
    lifeboat: env.npm_package_version ?? '0.1.0',
    mode,
    params: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secretNames.includes(k) ? '***' : v])),
    secretParams: secretNames,
    user: who,
    host: hostname(),
    pid: process.pid,
  });
  const execution = new Execution({ runbook, runId, params: values, mode, prompter, ui, aws, journal, env, confirmations: given, rollbackAfter, expectedFingerprints });
  ui.heading(`lifeboat ${mode} ${runbook.name} — run ${runId}${interactive ? '' : ' (non-interactive)'}`);
  return { execution, ui, runId, prompter, aws, secrets };
}

/** Route SIGINT/SIGTERM to the execution while it runs. */
export async function runWithSignals(execution: Execution): Promise<RunOutcome> {
  const onSignal = (signal: NodeJS.Signals): void => execution.interrupt(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await execution.start();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
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
      ui.info(`continue with: lifeboat resume ${id}   or undo with: lifeboat rollback ${id}`);
      break;
    case 'refused':
      ui.heading(`✘ refused before any change: ${outcome.context.error?.message ?? ''}`);
      break;
    case 'rollbackFailed':
      ui.heading(`✘ ROLLBACK FAILED — a person must look now — run ${id}`);
      ui.error(`${outcome.context.rollbackError?.stepId}: ${outcome.context.rollbackError?.message}`);
      ui.info(`still changed (newest first): ${[...outcome.leftChanged].reverse().join(', ')}`);
      ui.info(`fix the cause, then: lifeboat rollback ${id}`);
      break;
  }
}
