/**
 * Runbook loader: YAML with positions, then the schema, then the checks a schema cannot
 * express (duplicate ids, references, undo rules). Every problem of a file is reported at
 * once, each located at the offending node as 1-based line:col. The pieces:
 * ./yaml-diagnostics.ts (YAML syntax errors), ./locate.ts (nodes → line:col),
 * ./zod-issues.ts (schema issues → messages; the only reliance on zod internals),
 * ./checks.ts (semantic cross-checks), ./build.ts (the model).
 */
import { open } from 'node:fs/promises';
import { parseDocument, visit } from 'yaml';
import { formatProblem, type Problem, RunbookInvalidError, UsageError } from '../errors.js';
import { buildRunbook } from './build.js';
import { crossCheck } from './checks.js';
import { MAX_ALIAS_COUNT, MAX_RUNBOOK_BYTES, oversize, tooLargeMessage, tooManySteps, tooManyStepsMessage } from './limits.js';
import { lineLocator, Locator } from './locate.js';
import type { Location, Runbook } from './model.js';
import { checkParamFields, type ParamFieldStep } from './preflight.js';
import { isRecord } from './data.js';
import { PARAM_TYPES, paramValueProblem, type ParamType } from './param-types.js';
import { isStepType } from '../steps/catalogue.js';
import { runbookSpec } from './schema.js';
import { collectNodes, yamlProblem } from './yaml-diagnostics.js';
import { describeIssue } from './zod-issues.js';
import { PARSE_ONCE } from './fields.js';

/** Duplicate keys reported one by one; the rest are counted. */
const MAX_DUPLICATES = 20;

export interface LoadResult {
  /**
   * Present when the file is usable: no problems, or only problems of `with` fields built
   * from params' defaults (a bad `default:`), which `validate` reports but a run given other
   * values (`--param`, `LIFEBOAT_PARAM_<NAME>`) does not suffer; the values actually used are
   * checked again before the first step (resolveParams), where a bad default not overridden
   * is refused.
   */
  runbook?: Runbook;
  problems: Problem[];
}

/** Read and validate a file; throws RunbookInvalidError listing every problem. */
export async function loadRunbook(file: string): Promise<Runbook> {
  const read = await readRunbookSource(file);
  if ('error' in read) {
    const code = read.error.code;
    throw new UsageError({
      what: code === 'ENOENT' ? 'no such runbook file' : `cannot read the runbook (${code ?? 'error'})`,
      where: file,
      hint: 'runbooks are YAML files, usually under runbooks/',
      cause: read.error,
    });
  }
  if ('problem' in read) throw new RunbookInvalidError([read.problem]);
  const result = parseRunbook(read.source, file);
  // A runbook with problems only in its params' defaults loads: the values given are checked before it runs.
  if (!result.runbook) throw new RunbookInvalidError(result.problems);
  return result.runbook;
}

export type SourceRead = { source: string } | { problem: Problem } | { error: NodeJS.ErrnoException };

/**
 * A runbook's text, read no further than the size limit: a regular file over it is refused
 * from its size alone (stat), and a pipe or device (`/dev/stdin`, `<(…)`) is read until one
 * byte past the limit, never whole.
 */
export async function readRunbookSource(file: string): Promise<SourceRead> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    return { error: err as NodeJS.ErrnoException };
  }
  try {
    const st = await handle.stat();
    const tooLarge = (bytes: number | undefined): SourceRead => ({ problem: { file, line: 1, col: 1, message: tooLargeMessage(bytes) } });
    if (st.isFile() && st.size > MAX_RUNBOOK_BYTES) return tooLarge(st.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      // A file that grew since the stat is refused as well; a pipe's true size is unknown.
      if (total > MAX_RUNBOOK_BYTES) return tooLarge(st.isFile() ? Math.max(total, st.size) : undefined);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return { source: Buffer.concat(chunks, total).toString('utf8') };
  } catch (err) {
    return { error: err as NodeJS.ErrnoException };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Pure: text in, runbook or problems out. */
export function parseRunbook(source: string, file: string): LoadResult {
  const problems: Problem[] = [];
  // The limits first (./limits.ts): a runaway file is refused before the costly work.
  const bytes = oversize(source);
  if (bytes !== undefined) return { problems: [{ file, line: 1, col: 1, message: tooLargeMessage(bytes) }] };
  const doc = parseDocument(source, { prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const at = lineLocator(source);
  const report = (loc: Location, message: string): void => {
    // One problem, one line: a key or value quoted in the message may hold line breaks.
    problems.push({ file, line: loc.line, col: loc.col, message: message.replace(/\r\n|[\r\n\u2028\u2029]/g, (c) => (c === '\r\n' ? '\\r\\n' : c === '\r' ? '\\r' : c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16)}`)) });
  };

  const many = tooManySteps(doc);
  if (many) {
    report(at(many.offset), tooManyStepsMessage(many.count));
    return { problems };
  }

  if (doc.errors.length > 0) {
    // Every duplicate key, but only the first syntax error: what follows one is mostly a
    // cascade of it, and pointing at those would send the operator to the wrong line.
    // At most MAX_DUPLICATES of them: locating one looks through every key of the file, and
    // a generated file may repeat a key a hundred thousand times.
    const nodes = collectNodes(doc);
    const syntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
    let duplicates = 0;
    for (const err of doc.errors) {
      if (err.code !== 'DUPLICATE_KEY' && err !== syntax) continue;
      if (err.code === 'DUPLICATE_KEY' && ++duplicates > MAX_DUPLICATES) continue;
      const p = yamlProblem(err, doc.errors, nodes, source);
      report(at(p.offset), p.message);
    }
    if (duplicates > MAX_DUPLICATES) {
      const first = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY')[MAX_DUPLICATES];
      report(at(first?.pos[0] ?? 0), `${(duplicates - MAX_DUPLICATES).toLocaleString('en')} more duplicate keys from here on, not listed one by one`);
    }
    return { problems: sortProblems(dedupe(problems)) };
  }
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined) {
        report(at(node.range?.[0] ?? 0), `unknown alias *${node.source}: define the anchor &${node.source} before this point`);
      }
    },
  });
  if (problems.length > 0) return { problems: sortProblems(problems) };

  const locator = new Locator(doc, at);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const bomb = /excessive alias count/i.test((err as Error).message);
    report(
      { line: 1, col: 1 },
      bomb
        ? `YAML aliases expand over the limit of ${MAX_ALIAS_COUNT} (anchors used too often, or aliases nested inside aliases): write the repeated parts out, or use fewer aliases`
        : `cannot read the YAML: ${(err as Error).message}`,
    );
    return { problems };
  }
  if (data === null || data === undefined) {
    report({ line: 1, col: 1 }, 'empty runbook: expected version, name and steps');
    return { problems };
  }

  const parsed = runbookSpec.safeParse(data, PARSE_ONCE);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const p of describeIssue(issue, { base: [], data, schema: runbookSpec, locator })) report(p.loc, p.message);
    }
  }

  crossCheck(data, locator, report);

  // Params first, as far as the defaults tell: a with field whose params all have defaults
  // is checked now, as it would be before a run with no --param. Also in a file with other
  // problems, so that one pass lists them all.
  const params = paramsOf(data);
  const fieldProblems = checkParamFields(
    { file, source, require: stepsOf(data, 'require'), steps: stepsOf(data, 'steps') },
    params.defaults,
    { onlyKnown: true, secretNames: params.secretNames, locator },
  );
  const structural = problems.length;
  for (const p of fieldProblems) report(p, p.message);

  if (structural > 0 || !parsed.success) return { problems: sortProblems(dedupe(problems)) };
  // Problems only in fields built from params' defaults are the defaults': the runbook still
  // loads, so that --param can override them (resolveParams checks the values actually given).
  return { runbook: buildRunbook(parsed.data, source, file, locator), problems: sortProblems(dedupe(problems)) };
}

/**
 * The steps of a list as the param check reads them, from the raw data (the file may have
 * other problems): those with a known type and a `with` mapping; the others are holes.
 */
function stepsOf(data: unknown, list: 'require' | 'steps'): Array<ParamFieldStep | undefined> {
  const raw = isRecord(data) ? data[list] : undefined;
  if (!Array.isArray(raw)) return [];
  return raw.map((s: unknown, i) => {
    if (!isRecord(s) || typeof s.type !== 'string' || !isStepType(s.type) || !isRecord(s.with)) return undefined;
    return { id: typeof s.id === 'string' ? s.id : `#${i + 1}`, type: s.type, with: s.with };
  });
}

/**
 * The params' defaults, as a run with no --param would have them, and the secret names. A
 * default that does not fit its own type or enum is left out: it is reported at the default.
 */
function paramsOf(data: unknown): { defaults: Record<string, string>; secretNames: string[] } {
  const raw = isRecord(data) && isRecord(data.params) ? data.params : {};
  const defaults: Record<string, string> = {};
  const secretNames: string[] = [];
  for (const [name, spec] of Object.entries(raw)) {
    if (!isRecord(spec)) continue;
    if (spec.secret === true) secretNames.push(name);
    const d = spec.default;
    if (typeof d !== 'string' && typeof d !== 'number' && typeof d !== 'boolean') continue;
    const type = (PARAM_TYPES as readonly unknown[]).includes(spec.type) ? (spec.type as ParamType) : undefined;
    const values = Array.isArray(spec.enum) ? spec.enum.filter((v): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v)) : undefined;
    if (paramValueProblem({ type, enum: values, secret: spec.secret === true }, String(d)) !== undefined) continue;
    defaults[name] = String(d);
  }
  return { defaults, secretNames };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = formatProblem(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}

