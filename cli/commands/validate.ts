/**
 * `lifeboat validate <file>...`: parse and check runbooks, no AWS call. Every problem as
 * `file:line:col: message` on stderr; `--json` prints { version, files: [{ file, valid,
 * problems: [{ line, column, message, path }] }] } on stdout (schema/validate.schema.json).
 * Exit 0 when every file is valid, 2 otherwise.
 */
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { ExitCode, formatProblem, type Problem } from '../../src/errors.js';
import type { ValidateOutput } from '../../src/json/schemas.js';
import { JSON_VERSION } from '../../src/json/version.js';
import { parseRunbook, readRunbookSource } from '../../src/runbook/load.js';
import type { CommonOptions } from '../options.js';

export default async function validate(files: string[], opts: CommonOptions): Promise<number> {
  let failed = 0;
  const out: ValidateOutput = { version: JSON_VERSION, files: [] };
  const lines: string[] = [];
  for (const file of files) {
    const read = await readRunbookSource(file);
    if (!('source' in read)) {
      const problem: Problem = 'problem' in read ? read.problem : { file, line: 1, col: 1, message: `cannot read the file (${read.error.code ?? 'error'})` };
      out.files.push({ file, valid: false, problems: [{ line: problem.line, column: problem.col, message: problem.message, path: null }] });
      lines.push(formatProblem(problem));
      failed += 1;
      continue;
    }
    const { source } = read;
    const { problems } = parseRunbook(source, file);
    const at = opts.json ? pathFinder(source) : () => null;
    out.files.push({ file, valid: problems.length === 0, problems: problems.map((p) => ({ line: p.line, column: p.col, message: p.message, path: at(p.line, p.col) })) });
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
  return pathFinder(source)(line, col);
}

/** pathAt for many positions of one file: its text is parsed once, not once per problem. */
function pathFinder(source: string): (line: number, col: number) => string | null {
  const starts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  let doc: Document | null | undefined; // parsed on the first call; null: it cannot be
  return (line, col) => {
    if (doc === undefined) {
      try {
        doc = parseDocument(source, { uniqueKeys: false });
      } catch {
        doc = null;
      }
    }
    return doc === null ? null : pathOf(doc, (starts[line - 1] ?? source.length) + col - 1);
  };
}

function pathOf(doc: Document, offset: number): string | null {
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
