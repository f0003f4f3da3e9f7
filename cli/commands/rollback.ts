/**
 * `lifeboat rollback <run-id>`: undo what an earlier run changed, newest first, from the
 * undo records in its journal, journaled like any run (same journal, after a `resumed`
 * entry). Planned and shown first (`now → after undo` per step), refused on drift (exit 3,
 * unless --ignore-drift), confirmed at a terminal or by --yes, re-checked before each undo. Each undo-done entry takes its step off the list, so a rollback that is
 * interrupted or fails can be run again and undoes only what is left.
 */
import { ExitCode, RefusedError } from '../../src/errors.js';
import { printReport } from '../json-report.js';
import type { CommonOptions } from '../options.js';
import { deliverRunReport, reportRefused, reportUndriven, runReport } from '../run-report.js';
import { describeOutcome, runWithSignals } from '../execute.js';
import { openRunCommand, openRunSession, releaseOwnLock, runbookForRollback, undosNeedingSecrets } from '../run-session.js';

export default async function rollback([runId]: string[], given: CommonOptions): Promise<number> {
  const { opts, ui, loaded, run, id } = await openRunCommand(runId as string, given);

  if (run.applied.length === 0) {
    await releaseOwnLock(run, opts, ui);
    ui.heading(`run ${id}: nothing left to undo`);
    const undone = Object.entries(run.steps).filter(([, s]) => s === 'rolled-back').map(([stepId]) => stepId);
    const notUndone = Object.entries(run.steps).filter(([, s]) => s === 'not-undone').map(([stepId]) => stepId);
    const byHand = Object.entries(run.steps).filter(([, s]) => s === 'undone-by-hand').map(([stepId]) => stepId);
    ui.info(undone.length ? `already rolled back: ${undone.join(', ')}` : 'the run changed nothing that lifeboat can undo');
    if (byHand.length > 0) ui.info(`undone by hand (journaled): ${byHand.join(', ')}`);
    if (notUndone.length > 0) ui.warn(`not undone, still changed (they cannot be undone, rollback: false): ${notUndone.join(', ')}`);
    // --json (the versioned report and nothing else on stdout) and --report: also when there is nothing to do.
    await reportUndriven(run, { command: 'rollback', final: 'rolledBack', exitCode: ExitCode.ok, opts, given, ui });
    return ExitCode.ok;
  }

  // Refused before any change (consent, lock, preflight, a secret): --report and --json still say so.
  const refused = async (err: unknown): Promise<never> => {
    await reportRefused(run, err, { command: 'rollback', opts, given, ui });
    throw err;
  };
  // An undo that holds a secret param needs it again: refuse before any change rather than stop half-way.
  const missing = undosNeedingSecrets(run).filter((m) => !(opts.skipUndo ?? []).includes(m.stepId));
  if (missing.length > 0) {
    return refused(
      new RefusedError({
        what: `the undo of ${missing.map((m) => m.stepId).join(', ')} needs the secret param${missing.flatMap((m) => m.params).length > 1 ? 's' : ''} ${[...new Set(missing.flatMap((m) => m.params))].join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} never journaled; nothing was changed`,
        hint: `set ${[...new Set(missing.flatMap((m) => m.envVars))].map((v) => `${v}=…`).join(' ')} in the environment and roll back again`,
      }),
    );
  }
  const runbook = await runbookForRollback(run, ui).catch(refused);
  const session = await openRunSession({ loaded, runbook, opts, command: 'rollback', ui, startAt: { rollback: 'command' } }).catch(refused);
  try {
    const s = session.ui;
    s.heading(`lifeboat rollback ${runbook.name} — run ${id}`);
    s.info(`started ${run.start.at} by ${run.start.user} (${run.start.mode}); ${run.end ? `ended ${run.end.outcome}` : 'stopped without an end (killed or crashed)'}`);
    if (run.inFlight) s.warn(`step ${run.inFlight} was in flight when the run stopped: undoing whatever part of it was done`);
    // A completed run had released its lock: a rollback refused before any change gives it back.
    const outcome = await runWithSignals(session.execution, { heldBefore: run.end?.outcome !== 'completed' });
    describeOutcome(s, outcome, run.start.mode);
    // The rollback completing is this command succeeding.
    const exitCode = outcome.final === 'rolledBack' ? ExitCode.ok : outcome.exitCode;
    await deliverRunReport(session, opts, () => runReport(session, outcome, runbook, opts, 'rollback', exitCode));
    if (given.json) await printReport(await runReport(session, outcome, runbook, opts, 'rollback', exitCode, true));
    return exitCode;
  } finally {
    session.aws.destroy();
  }
}
