/**
 * Runbook loader: YAML with positions, then the schema, then the checks a schema cannot
 * express (duplicate ids, references, undo rules). Every problem of a file is reported at
 * once, each located at the offending node as 1-based line:col.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { formatProblem, type Problem, RunbookInvalidError, UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { parseDuration } from './duration.js';
import { checkCondition } from './condition.js';
import type { Location, Runbook, Step } from './model.js';
import { runbookSpec, type RunbookSpecRaw, type StepSpecRaw } from './schema.js';
import { isStepType, stepTypeNames, stepTypes } from './step-types.js';
import { findReferences, hasTemplate } from './template.js';

type Path = ReadonlyArray<string | number>;

export interface LoadResult {
  runbook?: Runbook;
  problems: Problem[];
}

/** Read and validate a file; throws RunbookInvalidError listing every problem. */
export async function loadRunbook(file: string): Promise<Runbook> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError({
      what: code === 'ENOENT' ? 'no such runbook file' : `cannot read the runbook (${code ?? 'error'})`,
      where: file,
      hint: 'runbooks are YAML files, usually under runbooks/',
      cause: err,
    });
  }
  const result = parseRunbook(source, file);
  if (!result.runbook) throw new RunbookInvalidError(result.problems);
  return result.runbook;
}

/** Pure: text in, runbook or problems out. */
export function parseRunbook(source: string, file: string): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Location => lineCounter.linePos(offset);
  const problems: Problem[] = [];
  const report = (loc: Location, message: string): void => {
    problems.push({ file, line: loc.line, col: loc.col, message });
  };

  for (const err of doc.errors) report(at(err.pos[0]), yamlMessage(err.code, err.message));
  if (problems.length > 0) return { problems: sortProblems(problems) };

  const locator = new Locator(doc, at);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    report({ line: 1, col: 1 }, `cannot read the YAML: ${(err as Error).message}`);
    return { problems };
  }
  if (data === null || data === undefined) {
    report({ line: 1, col: 1 }, 'empty runbook: expected version, name and steps');
    return { problems };
  }

  const parsed = runbookSpec.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const p of describeIssue(issue, [], data, runbookSpec, locator)) report(p.loc, p.message);
    }
  }

  // Checks that still make sense on a partly invalid file: they look at raw data.
  const raw = (typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const paramNames = new Set(Object.keys(isRecord(raw.params) ? raw.params : {}));
  const steps = Array.isArray(raw.steps) ? raw.steps : [];
  const checks = Array.isArray(raw.require) ? raw.require : [];
  const seenIds = new Set<string>();
  const order = new Map<string, number>();
  const types = new Map<string, string>();
  steps.forEach((s, i) => {
    if (isRecord(s) && typeof s.id === 'string' && !order.has(s.id)) {
      order.set(s.id, i);
      if (typeof s.type === 'string') types.set(s.id, s.type);
    }
  });

  const checkStep = (s: unknown, path: Path, index: number, inRequire: boolean): void => {
    if (!isRecord(s)) return;
    const id = typeof s.id === 'string' ? s.id : undefined;
    if (id !== undefined) {
      if (seenIds.has(id)) report(locator.value([...path, 'id']), `duplicate step id "${id}": ids must be unique`);
      seenIds.add(id);
    }
    const type = typeof s.type === 'string' ? s.type : undefined;
    if (type === undefined || !isStepType(type)) return; // reported by the schema
    const info = stepTypes[type];
    const label = id ?? `#${index + 1}`;

    if (inRequire && !info.check) {
      report(locator.value([...path, 'type']), `require: only checks may be listed (http.check, s3.verify-backups), not ${type}`);
    }

    const withBlock = s.with ?? {};
    const withResult = info.with.safeParse(withBlock);
    if (!withResult.success) {
      for (const issue of withResult.error.issues) {
        const issuePath = [...path, 'with', ...issue.path.map(toKey)];
        if (isTemplated(data, issuePath)) continue; // checked when substituted, just before the step runs
        for (const p of describeIssue(issue, [...path, 'with'], data, info.with, locator, `${type} with`)) report(p.loc, p.message);
      }
    }

    if (s.rollback !== undefined) {
      const rb = s.rollback;
      const kind = rb === false ? 'false' : isRecord(rb) && 'instructions' in rb ? 'instructions' : 'run';
      if (info.undo === 'none') {
        report(locator.key(path, 'rollback'), `step "${label}": ${type} changes nothing, so it takes no rollback; remove it`);
      } else if (kind === 'instructions' && info.undo !== 'instructions') {
        report(locator.value([...path, 'rollback']), `step "${label}": rollback.instructions is for manual steps; a ${type} step takes rollback.run or rollback: false`);
      }
    }

    if (typeof s.when === 'string') {
      const err = checkCondition(s.when, { params: paramNames, stepsBefore: new Set([...order].filter(([, j]) => j < index || inRequire).map(([k]) => k)) });
      if (err) report(locator.value([...path, 'when']), `bad when: ${err}`);
    }

    walkStrings(s, path, (text, strPath) => {
      if (!hasTemplate(text)) return;
      for (const ref of findReferences(text)) {
        const msg = referenceProblem(ref, { paramNames, order, types, index, inRequire, ownId: id });
        if (msg) report(locator.value(strPath), msg);
      }
    });
  };

  checks.forEach((s, i) => checkStep(s, ['require', i], i, true));
  steps.forEach((s, i) => checkStep(s, ['steps', i], i, false));

  if (problems.length > 0 || !parsed.success) return { problems: sortProblems(dedupe(problems)) };
  return { runbook: build(parsed.data, source, file, locator), problems: [] };
}

function build(spec: RunbookSpecRaw, source: string, file: string, locator: Locator): Runbook {
  const toStep = (s: StepSpecRaw, path: Path): Step => ({
    id: s.id,
    type: s.type,
    description: s.description,
    with: s.with ?? {},
    confirm: s.confirm ?? 'none',
    timeoutMs: s.timeout === undefined ? undefined : parseDuration(s.timeout),
    retries: s.retries ?? 0,
    when: s.when,
    limits: s.limits,
    rollback: s.rollback,
    loc: locator.value(path),
  });
  return {
    file,
    dir: dirname(file),
    source,
    hash: createHash('sha256').update(source).digest('hex'),
    name: spec.name,
    description: spec.description,
    rtoMs: spec.rto === undefined ? undefined : parseDuration(spec.rto),
    rpoMs: spec.rpo === undefined ? undefined : parseDuration(spec.rpo),
    params: spec.params ?? {},
    require: (spec.require ?? []).map((s, i) => toStep(s, ['require', i])),
    steps: spec.steps.map((s, i) => toStep(s, ['steps', i])),
  };
}

interface RefContext {
  paramNames: Set<string>;
  order: Map<string, number>;
  types: Map<string, string>;
  index: number;
  inRequire: boolean;
  ownId: string | undefined;
}

function referenceProblem(ref: ReturnType<typeof findReferences>[number], c: RefContext): string | undefined {
  if (ref.kind === 'invalid') {
    return `bad reference ${ref.raw}: use \${{ params.<name> }} or \${{ steps.<id>.outputs.<name> }}`;
  }
  if (ref.kind === 'param') {
    if (c.paramNames.has(ref.name)) return undefined;
    const near = closest(ref.name, [...c.paramNames]);
    const declared = c.paramNames.size > 0 ? `declared: ${[...c.paramNames].join(', ')}` : 'no params are declared';
    return `unknown param "${ref.name}" in ${ref.raw}${near ? ` (did you mean ${near}?)` : ''}; ${declared}`;
  }
  const target = c.order.get(ref.step);
  if (target === undefined) {
    const near = closest(ref.step, [...c.order.keys()]);
    return `${ref.raw} refers to unknown step "${ref.step}"${near ? ` (did you mean ${near}?)` : ''}`;
  }
  if (c.inRequire) return `${ref.raw}: require checks run before every step, so they cannot use step outputs`;
  if (ref.step === c.ownId) return `${ref.raw}: a step cannot use its own outputs`;
  if (target > c.index) return `${ref.raw}: step "${ref.step}" runs after this one, so its outputs are not known yet`;
  const type = c.types.get(ref.step);
  if (type !== undefined && isStepType(type)) {
    const outputs: readonly string[] = stepTypes[type].outputs;
    if (!outputs.includes(ref.name)) {
      return `${ref.raw}: a ${type} step has no output "${ref.name}"${outputs.length ? ` (outputs: ${outputs.join(', ')})` : ''}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- zod issues → problems

interface Located {
  loc: Location;
  message: string;
}

function describeIssue(issue: z.core.$ZodIssue, base: Path, data: unknown, schema: z.ZodType, locator: Locator, context?: string): Located[] {
  const rel = issue.path.map(toKey);
  const path = [...base, ...rel];
  const name = fieldLabel(base, rel);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysOf(schemaAt(schema, rel));
      const what = context ?? describeObject(path);
      return issue.keys.map((key) => {
        const near = closest(key, allowed);
        return {
          loc: locator.key(path, key),
          message: `unknown field "${key}"${near ? ` (did you mean ${near}?)` : ''}${allowed.length ? `; ${what} takes: ${allowed.join(', ')}` : ''}`,
        };
      });
    }
    case 'invalid_type': {
      const value = getIn(data, path);
      if (value === undefined) {
        const parent = path.slice(0, -1);
        return [{ loc: locator.value(parent), message: `missing required field "${String(path[path.length - 1])}"${describeWhere(parent)}` }];
      }
      return [{ loc: locator.value(path), message: `${name} must be ${article(issue.expected)} (got ${describeValue(value)})` }];
    }
    case 'invalid_value': {
      const value = getIn(data, path);
      if (path.length >= 1 && path[path.length - 1] === 'type' && (path[0] === 'steps' || path[0] === 'require') && path.length === 3) {
        const near = closest(String(value), stepTypeNames);
        return [{ loc: locator.value(path), message: `unknown step type "${String(value)}"${near ? ` (did you mean ${near}?)` : ''}; known types: ${stepTypeNames.join(', ')}` }];
      }
      const options = issue.values.map((v) => JSON.stringify(v)).join(', ');
      return [{ loc: locator.value(path), message: `${name} must be ${issue.values.length === 1 ? options : `one of ${options}`} (got ${describeValue(value)})` }];
    }
    case 'invalid_union': {
      const value = getIn(data, path);
      if (path[path.length - 1] === 'rollback') {
        return [{ loc: locator.value(path), message: `rollback must be false, { run: [argv…] } or { instructions: "…" } (got ${describeValue(value)})` }];
      }
      return [{ loc: locator.value(path), message: `${name} has an unexpected form (got ${describeValue(value)})` }];
    }
    case 'too_small': {
      const value = getIn(data, path);
      if (Array.isArray(value)) return [{ loc: locator.value(path), message: `${name} must list at least ${String(issue.minimum)} item${Number(issue.minimum) === 1 ? '' : 's'}` }];
      if (typeof value === 'string') return [{ loc: locator.value(path), message: `${name} must not be empty` }];
      return [{ loc: locator.value(path), message: `${name} must be at least ${String(issue.minimum)} (got ${describeValue(value)})` }];
    }
    case 'too_big':
      return [{ loc: locator.value(path), message: `${name} must be at most ${String(issue.maximum)} (got ${describeValue(getIn(data, path))})` }];
    default:
      return [{ loc: locator.value(path), message: issue.code === 'custom' ? issue.message : `${name}: ${issue.message}` }];
  }
}

function fieldLabel(base: Path, rel: Path): string {
  const full = [...base, ...rel];
  // Relative to the step when inside one: with.changes[0].ttl
  const start = (full[0] === 'steps' || full[0] === 'require') && full.length > 2 ? 2 : 0;
  const parts = full.slice(start);
  if (parts.length === 0) return 'the runbook';
  return parts.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describeObject(path: Path): string {
  if (path.length === 0) return 'a runbook';
  if ((path[0] === 'steps' || path[0] === 'require') && path.length === 2) return 'a step';
  if (path[0] === 'params' && path.length === 2) return 'a param';
  return String(path[path.length - 1]);
}

function describeWhere(parent: Path): string {
  if (parent.length === 0) return '';
  return ` in ${fieldLabel([], parent) || 'the runbook'}`;
}

function article(expected: string): string {
  if (expected === 'array') return 'a list';
  if (expected === 'object' || expected === 'record') return 'a mapping';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `${typeof v} ${String(v)}`;
}

/** Walk a zod schema along a data path to the object schema there (zod 4 shapes). */
function schemaAt(schema: z.ZodType, path: Path): z.ZodType | undefined {
  let cur: unknown = schema;
  for (const p of path) {
    cur = unwrap(cur);
    if (typeof p === 'number') cur = (cur as { element?: unknown }).element;
    else cur = (cur as { shape?: Record<string, unknown> }).shape?.[p];
    if (cur === undefined) return undefined;
  }
  return unwrap(cur) as z.ZodType;
}

function unwrap(s: unknown): unknown {
  let cur = s as { unwrap?: () => unknown; def?: { type?: string } } | undefined;
  while (cur && typeof cur.unwrap === 'function' && (cur.def?.type === 'optional' || cur.def?.type === 'nullable' || cur.def?.type === 'default')) {
    cur = cur.unwrap() as typeof cur;
  }
  return cur;
}

function keysOf(schema: z.ZodType | undefined): string[] {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

// ---------------------------------------------------------------- YAML positions

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly at: (offset: number) => Location,
  ) {}

  private node(path: Path): YamlNode | undefined {
    if (path.length === 0) return (this.doc.contents ?? undefined) as YamlNode | undefined;
    const n = this.doc.getIn(path, true);
    return n && typeof n === 'object' && 'range' in n ? (n as YamlNode) : undefined;
  }

  /** The value node at path, or the nearest ancestor that exists. */
  value(path: Path): Location {
    for (let n = path.length; n >= 0; n--) {
      const node = this.node(path.slice(0, n));
      if (node?.range) return this.at(node.range[0]);
    }
    return { line: 1, col: 1 };
  }

  /** The key node `key` inside the map at path. */
  key(path: Path, key: string): Location {
    const map = this.node(path);
    if (map && isMap(map)) {
      const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (pair && isScalar(pair.key) && pair.key.range) return this.at(pair.key.range[0]);
    }
    return this.value(path);
  }
}

// ---------------------------------------------------------------- helpers

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0] ?? message;
  const cleaned = first.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return `duplicate key: ${cleaned}`;
  return `YAML syntax error: ${cleaned}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function toKey(p: PropertyKey): string | number {
  return typeof p === 'number' ? p : String(p);
}

function getIn(data: unknown, path: Path): unknown {
  let cur = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function isTemplated(data: unknown, path: Path): boolean {
  const v = getIn(data, path);
  return typeof v === 'string' && hasTemplate(v);
}

function walkStrings(value: unknown, path: Path, visit: (text: string, path: Path) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...path, i], visit));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
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

