import { loadRunbook } from '../../src/runbook/load.js';
import { compileRunbook } from '../../src/machine/compile.js';
import { toDot, toMermaid } from '../../src/machine/graph.js';
import type { CommonOptions } from '../options.js';
import { ExitCode } from '../../src/errors.js';

export default async function graph([file]: string[], opts: CommonOptions): Promise<number> {
  const runbook = await loadRunbook(file as string);
  const machine = compileRunbook(runbook);
  process.stdout.write(opts.format === 'dot' ? toDot(machine) : toMermaid(machine));
  return ExitCode.ok;
}
