/**
 * `lifeboat graph <file> [--format mermaid|dot|json]`: the compiled state machine, drawn
 * (Mermaid, Graphviz dot) or as data (json: states and transitions, schema/graph.schema.json).
 */
import { loadRunbook } from '../../src/runbook/load.js';
import { compileRunbook } from '../../src/machine/compile.js';
import { toDot, toGraphJson, toMermaid } from '../../src/machine/graph.js';
import type { CommonOptions } from '../options.js';
import { ExitCode } from '../../src/errors.js';

export default async function graph([file]: string[], opts: CommonOptions): Promise<number> {
  const runbook = await loadRunbook(file as string);
  // Drawn for no mode in particular: every step is drawn, with the gates it has.
  const machine = compileRunbook(runbook);
  switch (opts.format) {
    case 'dot':
      process.stdout.write(toDot(machine, runbook.steps));
      break;
    case 'json':
      process.stdout.write(`${JSON.stringify(toGraphJson(machine, runbook), null, 2)}\n`);
      break;
    default:
      process.stdout.write(toMermaid(machine, runbook.steps));
  }
  return ExitCode.ok;
}
