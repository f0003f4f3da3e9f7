/**
 * `lifeboat rollback <run-id>`: undo what an earlier run changed, newest first, from the
 * undo records in its journal, journaled like any run (same journal, after a `resumed`
 * entry). Each undo-done entry takes its step off the list, so a rollback that is
 * interrupted or fails can be run again and undoes only what is left.
 */
import { operatorName } from '../../src/engine/run.js';
import { ExitCode } from '../../src/errors.js';
import { journaledReport, printReport, sessionReport } from '../json-report.js';
import { describeUndoRecord } from '../../src/journal/timeline.js';
import type { CommonOptions } from '../options.js';
import { deliverRunReport } from '../run-report.js';
import { describeOutcome, runWithSignals } from '../execute.js';
import { openRunCommand, openRunSession, releaseOwnLock, runbookForRollback } from '../run-session.js';

export default async function rollback([runId]: string[], given: CommonOptions): Promise<number> {
  const { opts, ui, loaded, run, id } = await openRunCommand(runId as string, given);

  if (run.applied.length === 0) {
    await releaseOwnLock(run, opts, ui);
    ui.heading(`run ${id}: nothing left to undo`);
    const undone = Object.entries(run.steps).filter(([, s]) => s === 'rolled-back').map(([stepId]) => stepId);
    ui.info(undone.length ? `already rolled back: ${undone.join(', ')}` : 'the run changed nothing that needs undoing');
    // --json: the versioned report and nothing else on stdout, also when there is nothing to do.
    if (given.json) await printReport(journaledReport(run, 'rollback', 'rolledBack', ExitCode.ok, operatorName(process.env)));
    return ExitCode.ok;
  }

  const runbook = await runbookForRollback(run, ui);
  const session = await openRunSession({ loaded, runbook, opts, command: 'rollback', ui, startAt: { rollback: 'command' } });
  try {
    const s = session.ui;
    s.heading(`lifeboat rollback ${runbook.name} — run ${id}`);
    s.info(`started ${run.start.at} by ${run.start.user} (${run.start.mode}); ${run.end ? `ended ${run.end.outcome}` : 'stopped without an end (killed or crashed)'}`);
    const left = [...run.applied].reverse();
    s.info(`to undo, newest first: ${left.join(', ')}`);
    for (const stepId of left) s.info(`  ${stepId}: ${describeUndoRecord(run.undos[stepId])}`);
    if (run.inFlight) s.warn(`step ${run.inFlight} was in flight when the run stopped: undoing whatever part of it was done`);
    const outcome = await runWithSignals(session.execution);
    describeOutcome(s, outcome);
    // The rollback completing is this command succeeding.
    const exitCode = outcome.final === 'rolledBack' ? ExitCode.ok : outcome.exitCode;
    await deliverRunReport(session, outcome, runbook, opts, 'rollback', exitCode);
    if (given.json) await printReport(sessionReport(session, outcome, runbook, 'rollback', exitCode));
    return exitCode;
  } finally {
    session.aws.destroy();
  }
}
