import { formatProblem } from '../../src/errors.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { readFile } from 'node:fs/promises';
import type { CommonOptions } from '../options.js';
import { ExitCode } from '../../src/errors.js';

export default async function validate(files: string[], opts: CommonOptions): Promise<number> {
  let failed = 0;
  const results: Array<{ file: string; ok: boolean; problems: string[] }> = [];
  for (const file of files) {
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch (err) {
      const msg = `${file}:1:1: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
      results.push({ file, ok: false, problems: [msg] });
      failed += 1;
      continue;
    }
    const { problems } = parseRunbook(source, file);
    results.push({ file, ok: problems.length === 0, problems: problems.map(formatProblem) });
    if (problems.length > 0) failed += 1;
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ok: failed === 0, files: results }, null, 2)}\n`);
  } else {
    for (const r of results) {
      if (r.ok) process.stdout.write(`${r.file}: ok\n`);
      else for (const p of r.problems) process.stderr.write(`${p}\n`);
    }
    if (failed > 0) process.stderr.write(`${failed} of ${files.length} runbook${files.length === 1 ? '' : 's'} invalid\n`);
  }
  return failed > 0 ? ExitCode.usage : ExitCode.ok;
}
