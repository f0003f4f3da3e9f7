#!/usr/bin/env node
// The lifeboat executable: a shim. Only this file calls process.exit.
import module from 'node:module';

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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // main() reports every error it knows; reaching here is a bug in lifeboat itself.
    process.stderr.write(`lifeboat: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  },
);
