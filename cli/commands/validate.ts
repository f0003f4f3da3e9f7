/**
 * `lifeboat validate <file>...`: parse and check runbooks, no AWS call. Every problem as
 * `file:line:col: message` on stderr; `--json` prints { version, files: [{ file, valid,
 * problems: [{ line, column, message, path }] }] } on stdout (schema/validate.schema.json).
 * Exit 0 when every file is valid, 2 otherwise.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { ExitCode, formatProblem, type Problem } from '../../src/errors.js';
import { JSON_VERSION, type ValidateOutput } from '../../src/json/schemas.js';
import { parseRunbook } from '../../src/runbook/load.js';
import type { CommonOptions } from '../options.js';

export default async function validate(files: string[], opts: CommonOptions): Promise<number> {
  let failed = 0;
  const out: ValidateOutput = { version: JSON_VERSION, files: [] };
  const lines: string[] = [];
  for (const file of files) {
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch (err) {
      const problem: Problem = { file, line: 1, col: 1, message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
      out.files.push({ file, valid: false, problems: [{ line: 1, column: 1, message: problem.message, path: null }] });
      lines.push(formatProblem(problem));
      failed += 1;
      continue;
    }
    const { problems } = parseRunbook(source, file);
    out.files.push({ file, valid: problems.length === 0, problems: problems.map((p) => ({ line: p.line, column: p.col, message: p.message, path: pathAt(source, p.line, p.col) })) });
    lines.push(...problems.map(formatProblem));
    if (problems.length > 0) failed += 1;
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    for (const f of out.files) if (f.valid) process.stdout.write(`${f.file}: ok\n`);
    for (const l of lines) process.stderr.write(`${l}\n`);
    if (failed > 0) process.stderr.write(`${failed} of ${files.length} runbook${files.length === 1 ? '' : 's'} invalid\n`);
  }
  return failed > 0 ? ExitCode.usage : ExitCode.ok;
}

/** The path of the YAML node at line:col (1-based), e.g. `steps[2].with.bucket`; null when there is none. */
export function pathAt(source: string, line: number, col: number): string | null {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') starts.push(i + 1);
  const offset = (starts[line - 1] ?? source.length) + col - 1;
  let doc;
  try {
    doc = parseDocument(source, { uniqueKeys: false });
  } catch {
    return null;
  }
  const parts: string[] = [];
  const inside = (n: unknown): n is Node => typeof n === 'object' && n !== null && 'range' in n && Array.isArray((n as Node).range) && (n as Node).range![0] <= offset && offset < (n as Node).range![2];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => inside(p.key) || inside(p.value));
      if (!pair) break;
      parts.push(isScalar(pair.key) ? String(pair.key.value) : '?');
      if (inside(pair.key)) break;
      node = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => inside(it));
      if (i < 0) break;
      parts.push(`[${i}]`);
      node = node.items[i];
    } else {
      break;
    }
  }
  if (parts.length === 0) return null;
  return parts.reduce((p, part) => (part.startsWith('[') ? `${p}${part}` : p === '' ? part : `${p}.${part}`), '');
}
