/**
 * `lifeboat resume <run-id>`: continue an interrupted run from its journal alone, in any
 * process, after Ctrl-C, a lost laptop or `kill -9`. A step whose intent was journaled
 * without a result is executed again with its first undo record: steps are idempotent and
 * re-check the world first (is the record already as wanted? is the object already there?),
 * so nothing is blindly repeated and "what was there before" is never re-captured.
 */
import { ExitCode } from '../../src/errors.js';
import type { FinalState } from '../../src/machine/compile.js';
import { printReport } from '../json-report.js';
import type { CommonOptions } from '../options.js';
import { deliverRunReport, reportRefused, reportUndriven, runReport } from '../run-report.js';
import { judgedAgainstTargets } from '../../src/report/targets.js';
import { describeOutcome, runWithSignals } from '../execute.js';
import { openRunCommand, openRunSession, releaseOwnLock, resumePoint, runbookForResume } from '../run-session.js';

export default async function resume([runId]: string[], given: CommonOptions): Promise<number> {
  const { opts, ui, loaded, run, id } = await openRunCommand(runId as string, given);
  // --json (the versioned report and nothing else on stdout) and --report: also when there is nothing to do.
  const json = (final: FinalState): Promise<void> => reportUndriven(run, { command: 'resume', final, exitCode: ExitCode.ok, opts, given, ui });

  if (run.end?.outcome === 'completed' || run.end?.outcome === 'rolledBack' || run.end?.outcome === 'refused') await releaseOwnLock(run, opts, ui);
  switch (run.end?.outcome) {
    case 'completed':
      ui.heading(`run ${id} already completed (${run.end.at}): nothing to resume`);
      if (run.applied.length > 0) ui.info(`to undo it: lifeboat rollback ${id}`);
      await json('completed');
      return ExitCode.ok;
    case 'rolledBack':
      ui.heading(`run ${id} was rolled back (${run.end.at}): nothing to resume`);
      ui.info(`to do it again, start a new run: lifeboat run ${run.start.runbook.file}`);
      await json('rolledBack');
      return ExitCode.ok;
    case 'refused':
      ui.heading(`run ${id} was refused before it changed anything: nothing to resume`);
      ui.info(`start a new run: lifeboat run ${run.start.runbook.file}`);
      await json('refused');
      return ExitCode.ok;
    default:
      break;
  }

  // Refused before any change (a changed runbook, consent, lock, preflight): --report and --json still say so.
  const refused = async (err: unknown): Promise<never> => {
    await reportRefused(run, err, { command: 'resume', opts, given, ui });
    throw err;
  };
  const { runbook, changedHash } = await runbookForResume(run, Boolean(opts.force), ui).catch(refused);
  let startAt: string | { rollback: string };
  if (run.phase === 'rollback') {
    if (run.applied.length === 0) {
      await releaseOwnLock(run, opts, ui);
      ui.heading(`run ${id} was being rolled back and nothing is left to undo`);
      await json('rolledBack');
      return ExitCode.ok;
    }
    startAt = { rollback: 'resume' };
  } else {
    // Every step done but no end journaled (a crash at the very end): start at the last
    // step, which the machine passes as done, so the run ends (and is journaled) completed.
    const at = resumePoint(run, runbook) ?? runbook.steps[runbook.steps.length - 1]?.id;
    if (at === undefined) {
      await releaseOwnLock(run, opts, ui);
      ui.heading(`run ${id} has no steps: nothing to resume`);
      await json('completed');
      return ExitCode.ok;
    }
    startAt = at;
  }

  const session = await openRunSession({ loaded, runbook, opts, command: 'resume', ui, startAt, changedHash }).catch(refused);
  try {
    const s = session.ui;
    s.heading(`lifeboat resume ${runbook.name} — run ${id}`);
    s.info(`started ${run.start.at} by ${run.start.user} (${run.start.mode}); last entry ${run.lastAt} by ${run.process.user}, pid ${run.process.pid}`);
    const done = runbook.steps.filter((st) => run.steps[st.id] === 'done').map((st) => st.id);
    if (done.length) s.ok(`already done: ${done.join(', ')}`);
    if (typeof startAt === 'object') {
      s.warn(`the run was rolling back when it stopped: continuing the rollback (${[...run.applied].reverse().join(', ')} left to undo, newest first)`);
    } else if (run.inFlight === startAt) {
      s.warn(`step ${startAt} was in flight when the run stopped: re-checking it against the world (it keeps the undo record captured before its first attempt)`);
    } else if (run.steps[startAt] === 'done') {
      s.info('every step is done: the run stopped before it could record its end; completing it');
    } else if (run.steps[startAt] === 'started') {
      s.info(`step ${startAt} had started but changed nothing yet: running it again`);
    } else {
      s.info(`continuing at step ${startAt}`);
    }
    const outcome = await runWithSignals(session.execution);
    describeOutcome(s, outcome, run.start.mode);
    // Finishing the rollback the run was in is the resume completing.
    const ended = typeof startAt === 'object' && outcome.final === 'rolledBack' ? ExitCode.ok : outcome.exitCode;
    // A rehearsal or verification is judged on the whole run, from the journal: a resumed
    // game day that missed its RTO (or found a backup older than the RPO) has failed, exit 1.
    const rehearsal = judgedAgainstTargets(run.start.mode);
    const report = rehearsal ? await runReport(session, outcome, runbook, opts, 'resume', ended) : undefined;
    const exitCode = report?.exitCode ?? ended;
    if (report) for (const b of report.breaches) s.error(`${b.target.toUpperCase()} missed: ${b.message}`);
    await deliverRunReport(session, opts, async () => report ?? runReport(session, outcome, runbook, opts, 'resume', exitCode));
    // --json: the run's report from its journal (true start, every step, the whole recovery time), as this resume ended it.
    if (given.json) await printReport(report ?? (await runReport(session, outcome, runbook, opts, 'resume', exitCode, true)));
    return exitCode;
  } finally {
    session.aws.destroy();
  }
}
