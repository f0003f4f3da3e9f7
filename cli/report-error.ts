/** Errors for people: one clear message, no stack trace unless LIFEBOAT_DEBUG=1. */
import { ExitCode, LifeboatError, RunbookInvalidError } from '../src/errors.js';

export function reportError(err: unknown): number {
  const debug = process.env.LIFEBOAT_DEBUG === '1';
  if (err instanceof RunbookInvalidError) {
    for (const p of err.problems) process.stderr.write(`${p.file}:${p.line}:${p.col}: ${p.message}\n`);
    process.stderr.write(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} found\n`);
  } else if (err instanceof LifeboatError) {
    process.stderr.write(`lifeboat: ${err.message}\n`);
  } else {
    process.stderr.write(`lifeboat: ${err instanceof Error ? err.message : String(err)}\n`);
    if (!debug) process.stderr.write('(set LIFEBOAT_DEBUG=1 for details)\n');
  }
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return err instanceof LifeboatError ? err.exitCode : ExitCode.failed;
}
