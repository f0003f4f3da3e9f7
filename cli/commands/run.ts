import { loadRunbook } from '../../src/runbook/load.js';
import type { CommonOptions } from '../options.js';
import { describeOutcome, openSession, runWithSignals } from '../execute.js';

export default async function run([file]: string[], opts: CommonOptions): Promise<number> {
  const runbook = await loadRunbook(file as string);
  const session = await openSession({ runbook, opts, mode: opts.dryRun ? 'dry-run' : 'run' });
  try {
    const outcome = await runWithSignals(session.execution);
    describeOutcome(session.ui, outcome);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ runId: outcome.runId, outcome: outcome.final, exitCode: outcome.exitCode, outputs: outcome.context.outputs, status: outcome.context.status })}\n`);
    }
    return outcome.exitCode;
  } finally {
    session.aws.destroy();
  }
}
