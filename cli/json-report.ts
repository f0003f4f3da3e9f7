/**
 * `--json` on run, rehearse, verify, resume and rollback prints exactly one thing on stdout:
 * the versioned run report (schema/report.schema.json), one line. rehearse and verify write
 * it through ./report-output.ts; run, resume and rollback through here, including when
 * resume or rollback find nothing to do (the report is then rebuilt from the journal).
 */
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { RunOutcome } from '../src/engine/run.js';
import type { ReplayedRun, RunMode } from '../src/journal/format.js';
import type { FinalState } from '../src/machine/compile.js';
import { buildJournalReport } from '../src/report/from-journal.js';
import { buildReport, type Report } from '../src/report/model.js';
import { parseRunbook } from '../src/runbook/load.js';
import type { Runbook, Step } from '../src/runbook/model.js';
import { lifeboatVersion } from '../src/version.js';
import type { Session } from './execute.js';
import { collectSecrets, redactor } from '../src/util/redact.js';

/** The report of a run this process just drove. */
export function sessionReport(session: Session, outcome: RunOutcome, runbook: Runbook, mode: RunMode, exitCode: number): Report {
  return buildReport({
    outcome,
    runbook,
    mode,
    exitCode,
    finishedAt: new Date(),
    lifeboatVersion: lifeboatVersion(),
    host: hostname(),
    user: session.prompter.who,
    redact: redactor(session.secrets),
  });
}

/**
 * The report of a resume or rollback that drove nothing: the run was already completed or
 * had nothing left to undo (`final` as the command found it), or the command was refused
 * before any change (`refusal`: final `refused`, its message as the error). The run's own
 * facts (steps, outputs, times, what is still changed) come from its journal.
 */
export function journaledReport(run: ReplayedRun, mode: RunMode, final: FinalState, exitCode: number, who: string, refusal?: string): Report {
  return buildJournalReport({
    journal: run,
    runbook: journaledRunbook(run),
    exitCode,
    lifeboatVersion: lifeboatVersion(),
    host: hostname(),
    user: who,
    redact: redactor(collectSecrets({ env: process.env })),
    command: { mode, final: refusal === undefined ? final : 'refused', error: refusal === undefined ? null : { stepId: 'start', message: refusal } },
  });
}

/** The runbook as the journal kept it; without a copy, its step ids as the journal names them. */
function journaledRunbook(run: ReplayedRun): Runbook {
  const { file, name, hash, source } = run.start.runbook;
  if (source !== undefined) {
    const { runbook } = parseRunbook(source, file);
    if (runbook) return runbook;
  }
  // Only ids are known: the report needs no more than id and type, and the type is not journaled.
  const steps = Object.keys(run.steps).map((id) => ({ id, type: 'unknown', with: {}, confirm: 'none', retries: 0, loc: { line: 1, col: 1 } }) as unknown as Step);
  return { file, dir: dirname(file), source: '', hash, name, params: {}, require: [], steps };
}

/** The report, one line, on stdout. */
export function printReport(report: Report): Promise<void> {
  return new Promise((resolve) => {
    process.stdout.write(`${JSON.stringify(report)}\n`, () => resolve());
  });
}
