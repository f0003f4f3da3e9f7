#!/usr/bin/env node
// The lifeboat executable: a shim. Only this file calls process.exit.
import { closeSync } from 'node:fs';
import module from 'node:module';
import { isatty } from 'node:tty';

// Node 22.1+ keeps the compiled code of the modules it loads on disk (os.tmpdir(), or
// NODE_COMPILE_CACHE) and reuses it on the next start: most of what `lifeboat validate`
// spends before its own work. Node 20 has no such cache; there this does nothing. A cache
// that cannot be written (full disk, read-only tmp) is skipped by Node, silently;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. Whatever happens here, lifeboat starts.
// The cast: @types/node here is Node 20's, which does not declare it.
try {
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
} catch {
  // no cache: only slower
}

// Imported after the cache is on, so main and everything it reaches can come from it.
const { main } = await import('./main.js');

// Which of stdin, stdout and stderr were a terminal at the start (see exit below).
const ttyAtStart = [0, 1, 2].map((fd) => isatty(fd));

/**
 * Exit with the run's code, also when the terminal has gone away (closed window, dropped
 * ssh). On exit Node 20 puts back the terminal settings of every stdio fd that was a TTY
 * and aborts (exit 134) when that fails on a hung-up terminal (nodejs/node#51519), after
 * the journal already said how the run ended. An fd that is no longer a terminal is closed
 * first: Node then skips it, and the exit code is the run's.
 */
function exit(code: number): never {
  for (const fd of [0, 1, 2]) {
    if (!ttyAtStart[fd] || isatty(fd)) continue;
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing to skip
    }
  }
  return process.exit(code);
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (err: unknown) => {
    // main() reports every error it knows; reaching here is a bug in lifeboat itself.
    process.stderr.write(`lifeboat: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exit(70);
  },
);
