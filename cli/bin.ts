#!/usr/bin/env node
// The lifeboat executable: a shim. Only this file calls process.exit.
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // main() reports every error it knows; reaching here is a bug in lifeboat itself.
    process.stderr.write(`lifeboat: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  },
);
