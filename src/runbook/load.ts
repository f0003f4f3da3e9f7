/**
 * Runbook loader: YAML with positions, then the schema, then the checks a schema cannot
 * express (duplicate ids, references, undo rules). Every problem of a file is reported at
 * once, each located at the offending node as 1-based line:col.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
  type YAMLError,
} from 'yaml';
import type { z } from 'zod';
import { formatProblem, type Problem, RunbookInvalidError, UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { DURATION_HINT, parseDuration } from './duration.js';
import { checkCondition } from './condition.js';
import { duration as durationField } from './fields.js';
import type { Location, Runbook, Step } from './model.js';
import { runbookSpec, type RunbookSpecRaw, type StepSpecRaw } from './schema.js';
import { isStepType, stepTypeNames, stepTypes, type StepTypeInfo } from './step-types.js';
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
  const doc = parseDocument(source, { prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  // Positions from the text itself: yaml's LineCounter can miss a line break while it
  // recovers from a syntax error, and every later problem would then point a line too high.
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const at = (offset: number): Location => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (lineStarts[lo] as number) + 1 };
  };
  const problems: Problem[] = [];
  const report = (loc: Location, message: string): void => {
    // One problem, one line: a key or value quoted in the message may hold line breaks.
    problems.push({ file, line: loc.line, col: loc.col, message: message.replace(/\r\n|[\r\n\u2028\u2029]/g, (c) => (c === '\r\n' ? '\\r\\n' : c === '\r' ? '\\r' : c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16)}`)) });
  };

  if (doc.errors.length > 0) {
    // Every duplicate key, but only the first syntax error: what follows one is mostly a
    // cascade of it, and pointing at those would send the operator to the wrong line.
    const nodes = collectNodes(doc);
    const syntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
    for (const err of doc.errors) {
      if (err.code !== 'DUPLICATE_KEY' && err !== syntax) continue;
      const p = yamlProblem(err, doc.errors, nodes, source);
      report(at(p.offset), p.message);
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
      for (const p of describeIssue(issue, { base: [], data, schema: runbookSpec, locator })) report(p.loc, p.message);
    }
  }

  // Checks that still make sense on a partly invalid file: they look at raw data.
  const raw = (typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const paramNames = new Set(Object.keys(isRecord(raw.params) ? raw.params : {}));
  const steps = Array.isArray(raw.steps) ? raw.steps : [];
  const checks = Array.isArray(raw.require) ? raw.require : [];
  const seenIds = new Map<string, Location>();
  const order = new Map<string, number>();
  const types = new Map<string, string>();
  steps.forEach((s, i) => {
    if (isRecord(s) && typeof s.id === 'string' && !order.has(s.id)) {
      order.set(s.id, i);
      if (typeof s.type === 'string') types.set(s.id, s.type);
    }
  });
  const outputsById = new Map<string, readonly string[]>();
  for (const [id, type] of types) if (isStepType(type)) outputsById.set(id, stepTypes[type].outputs);
  const checkNames = stepTypeNames.filter((t) => stepTypes[t].check);
  const checkIds = new Set(checks.filter(isRecord).map((c) => c.id).filter((id): id is string => typeof id === 'string'));

  const checkStep = (s: unknown, path: Path, index: number, inRequire: boolean): void => {
    if (!isRecord(s)) return;
    const id = typeof s.id === 'string' ? s.id : undefined;
    if (id !== undefined) {
      const first = seenIds.get(id);
      if (first) {
        report(locator.value([...path, 'id']), `duplicate step id "${id}" (first used at line ${first.line}): step ids must be unique; rename one`);
      } else {
        seenIds.set(id, locator.value([...path, 'id']));
      }
    }
    const type = typeof s.type === 'string' ? s.type : undefined;
    if (type === undefined || !isStepType(type)) return; // reported by the schema
    const info = stepTypes[type];
    const label = id ?? `#${index + 1}`;

    if (inRequire && !info.check) {
      report(
        locator.value([...path, 'type']),
        `require: lists checks only (${checkNames.join(', ')}); ${aStep(type)} changes things, so move it to steps`,
      );
    }

    const withPath: Path = [...path, 'with'];
    if (s.with === undefined) {
      const needed = requiredKeys(info.with);
      if (needed.length > 0) {
        report(locator.value(path), `step "${label}" has no "with": ${aStep(type)} needs ${needed.map((k) => `with.${k}`).join(', ')}`);
      }
    } else if (isRecord(s.with)) {
      const empty = new Set<string>();
      walkValues(s.with, withPath, (value, valuePath) => {
        if (value !== null) return;
        empty.add(valuePath.join('\0'));
        const expected = expectedOf(schemaAt(info.with, valuePath.slice(withPath.length), s.with));
        report(locator.owner(valuePath), `${fieldLabel([], valuePath)} has no value${expected ? `: expected ${expected}` : ''}; give one or remove the key`);
      });
      const withResult = info.with.safeParse(s.with);
      if (!withResult.success) {
        for (const issue of withResult.error.issues) {
          const issuePath = [...withPath, ...issue.path.map(toKey)];
          if (isTemplated(data, issuePath)) continue; // checked when substituted, just before the step runs
          if (empty.has(issuePath.join('\0'))) continue; // reported above
          for (const p of describeIssue(issue, { base: withPath, data, schema: info.with, locator, stepType: type })) report(p.loc, p.message);
        }
      }
    } // else: not a mapping, reported by the schema

    if (s.rollback !== undefined) {
      const rb = s.rollback;
      const kind = rb === false ? 'false' : isRecord(rb) && 'instructions' in rb ? 'instructions' : 'run';
      if (info.undo === 'none') {
        report(locator.key(path, 'rollback'), `step "${label}": ${aStep(type)} changes nothing, so it takes no rollback; remove the rollback`);
      } else if (kind === 'instructions' && info.undo !== 'instructions') {
        report(
          locator.key([...path, 'rollback'], 'instructions'),
          `step "${label}": rollback.instructions is for manual steps; ${aStep(type)} takes rollback: { run: [argv…] } or rollback: false`,
        );
      }
    }

    if (typeof s.when === 'string') {
      const stepsBefore = new Set(inRequire ? [] : [...order].filter(([, j]) => j < index).map(([k]) => k));
      const err = checkCondition(s.when, {
        params: paramNames,
        stepsBefore,
        allSteps: new Set(order.keys()),
        self: inRequire ? undefined : id,
        outputs: outputsById,
      });
      if (err) report(locator.value([...path, 'when']), `bad when: ${err}`);
    }

    walkStrings(s, path, (text, strPath) => {
      if (!hasTemplate(text)) return;
      for (const ref of findReferences(text)) {
        const msg = referenceProblem(ref, { paramNames, order, types, index, inRequire, ownId: id, checkIds });
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
    confirm: s.confirm ?? 'yes',
    timeoutMs: s.timeout === undefined ? undefined : parseDuration(s.timeout),
    retries: s.retries ?? 0,
    when: s.when,
    limits: s.limits,
    rollback: s.rollback ?? ((stepTypes[s.type] as StepTypeInfo).irreversible === true ? false : undefined),
    ...awsOf(spec.aws, s.aws),
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

/** A step's `aws:` merged over the runbook's, field by field; absent when neither says anything. */
function awsOf(runbook: RunbookSpecRaw['aws'], step: StepSpecRaw['aws']): Pick<Step, 'aws'> {
  const merged = { ...runbook, ...step };
  return Object.keys(merged).length === 0 ? {} : { aws: merged };
}

interface RefContext {
  paramNames: Set<string>;
  order: Map<string, number>;
  types: Map<string, string>;
  index: number;
  inRequire: boolean;
  ownId: string | undefined;
  checkIds: ReadonlySet<string>;
}

function referenceProblem(ref: ReturnType<typeof findReferences>[number], c: RefContext): string | undefined {
  if (ref.kind === 'invalid') {
    if (!ref.raw.endsWith('}}')) return `unclosed reference "${ref.raw}": close it with }}`;
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
    if (c.checkIds.has(ref.step) && !c.inRequire) {
      return `${ref.raw}: "${ref.step}" is a require check; checks pass or refuse the run, their outputs are not kept for steps`;
    }
    const near = closest(ref.step, [...c.order.keys()]);
    const known = [...c.order.keys()].filter((k) => (c.order.get(k) ?? 0) < c.index || c.inRequire);
    const listed = c.inRequire ? '' : known.length > 0 ? `; steps before this one: ${known.join(', ')}` : '; no step runs before this one';
    return `${ref.raw} refers to unknown step "${ref.step}"${near ? ` (did you mean ${near}?)` : ''}${listed}`;
  }
  if (c.inRequire) return `${ref.raw}: require checks run before every step, so they cannot use step outputs`;
  if (ref.step === c.ownId) return `${ref.raw}: a step cannot use its own outputs`;
  if (target > c.index) return `${ref.raw}: step "${ref.step}" runs after this one, so its outputs are not known yet`;
  const type = c.types.get(ref.step);
  if (type !== undefined && isStepType(type)) {
    const outputs: readonly string[] = stepTypes[type].outputs;
    if (!outputs.includes(ref.name)) {
      return `${ref.raw}: ${aStep(type)} has no output "${ref.name}"${outputs.length ? ` (outputs: ${outputs.join(', ')})` : ' (it has no outputs)'}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- zod issues → problems

interface Located {
  loc: Location;
  message: string;
}

interface IssueContext {
  /** Path of the value the schema was applied to. */
  base: Path;
  data: unknown;
  schema: z.ZodType;
  locator: Locator;
  /** Set when the schema is a step type's `with` block. */
  stepType?: string | undefined;
}

function describeIssue(issue: z.core.$ZodIssue, c: IssueContext): Located[] {
  const { base, data, locator } = c;
  const rel = issue.path.map(toKey);
  const path = [...base, ...rel];
  const name = fieldLabel(base, rel);
  const value = getIn(data, path);
  const isStepTypeField = path.length === 3 && (path[0] === 'steps' || path[0] === 'require') && path[2] === 'type';
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && value === undefined) {
    const parent = path.slice(0, -1);
    const key = String(path[path.length - 1]);
    let extra = '';
    if (isStepTypeField) extra = `; known types: ${stepTypeNames.join(', ')}`;
    else if (c.stepType !== undefined && rel.length === 1) {
      extra = `; ${aStep(c.stepType)}'s with needs: ${requiredKeys(c.schema).join(', ')}`;
    }
    return [{ loc: locator.owner(parent), message: `missing required field "${key}"${describeWhere(parent)}${extra}` }];
  }
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysOf(schemaAt(c.schema, rel, getIn(data, base)));
      const what = describeObject(path, c.stepType !== undefined && rel.length === 0 ? c.stepType : undefined);
      return issue.keys.map((key) => {
        const near = closest(key, allowed);
        return {
          loc: locator.key(path, key),
          message: `unknown field "${key}"${near ? ` (did you mean ${near}?)` : ''}${allowed.length ? `; ${what} takes: ${allowed.join(', ')}` : ''}`,
        };
      });
    }
    case 'invalid_type': {
      const here = schemaAt(c.schema, rel, getIn(data, base));
      if (here !== undefined && here === durationField && (typeof value === 'number' || typeof value === 'boolean')) {
        return [{ loc: locator.value(path), message: `bad duration ${String(value)} for ${name}: ${DURATION_HINT}` }];
      }
      if (value === null) return [{ loc: locator.owner(path), message: `${name} has no value: expected ${article(issue.expected)}; give one or remove the key` }];
      return [{ loc: locator.value(path), message: `${name} must be ${article(issue.expected)} (got ${describeValue(value)})` }];
    }
    case 'invalid_value': {
      if (isStepTypeField) {
        const near = suggestType(String(value));
        return [{ loc: locator.value(path), message: `unknown step type ${describeValue(value)}${near ? ` (did you mean ${near}?)` : ''}; known types: ${stepTypeNames.join(', ')}` }];
      }
      const options = issue.values.map((v) => JSON.stringify(v)).join(', ');
      const near = typeof value === 'string' ? closest(value, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
      return [
        {
          loc: locator.value(path),
          message: `${name} must be ${issue.values.length === 1 ? options : `one of ${options}`} (got ${describeValue(value)})${near ? `; did you mean "${near}"?` : ''}`,
        },
      ];
    }
    case 'invalid_union': {
      if (path[path.length - 1] === 'rollback') {
        return [{ loc: locator.value(path), message: `rollback must be false, { run: [argv…] } or { instructions: "…" } (got ${describeValue(value)})` }];
      }
      return [{ loc: locator.value(path), message: `${name} has an unexpected form (got ${describeValue(value)})` }];
    }
    case 'too_small': {
      if (Array.isArray(value)) return [{ loc: locator.value(path), message: `${name} must list at least ${String(issue.minimum)} item${Number(issue.minimum) === 1 ? '' : 's'}` }];
      if (typeof value === 'string') {
        return [{ loc: locator.value(path), message: Number(issue.minimum) <= 1 ? `${name} must not be empty` : `${name} must be at least ${String(issue.minimum)} characters (got ${describeValue(value)})` }];
      }
      return [{ loc: locator.value(path), message: `${name} must be at least ${String(issue.minimum)} (got ${describeValue(value)})` }];
    }
    case 'too_big':
      return [{ loc: locator.value(path), message: `${name} must be at most ${String(issue.maximum)} (got ${describeValue(value)})` }];
    default:
      return [{ loc: locator.value(path), message: issue.code === 'custom' ? issue.message : `${name}: ${issue.message}` }];
  }
}

/** "did you mean" for a step type: close spelling, or a known type that contains what was typed. */
function suggestType(input: string): string | undefined {
  const near = closest(input, stepTypeNames);
  if (near) return near;
  const lower = input.toLowerCase();
  if (lower.length < 2) return undefined;
  const containing = stepTypeNames.filter((t) => t.includes(lower) || t.split(/[.-]/).includes(lower));
  return containing.length === 1 ? containing[0] : undefined;
}

function fieldLabel(base: Path, rel: Path): string {
  const full = [...base, ...rel];
  // Relative to the step when inside one: with.changes[0].ttl
  const start = (full[0] === 'steps' || full[0] === 'require') && full.length > 2 ? 2 : 0;
  const parts = full.slice(start);
  if (parts.length === 0) return 'the runbook';
  return parts.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describeObject(path: Path, withOfType?: string): string {
  if (withOfType !== undefined) return `${aStep(withOfType)}'s with`;
  if (path.length === 0) return 'a runbook';
  if ((path[0] === 'steps' || path[0] === 'require') && path.length === 2) return 'a step';
  if (path[0] === 'params' && path.length === 2) return 'a param';
  return fieldLabel([], path);
}

function describeWhere(parent: Path): string {
  if (parent.length === 0) return ' in the runbook';
  return ` in ${fieldLabel([], parent)}`;
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

interface SchemaLike {
  def?: { type?: string; values?: unknown[]; entries?: Record<string, unknown> };
  unwrap?: () => unknown;
  element?: unknown;
  shape?: Record<string, unknown>;
  valueType?: unknown;
  options?: readonly unknown[];
  _zod?: { optin?: string };
}

/**
 * Walk a zod schema along a data path to the schema there (zod 4 shapes). `value` is the
 * data the schema applies to: it picks the right option of a union (e.g. rollback).
 */
function schemaAt(schema: z.ZodType, path: Path, value?: unknown): z.ZodType | undefined {
  let cur: unknown = pickOption(unwrap(schema), value);
  let here = value;
  for (const p of path) {
    const s = cur as SchemaLike | undefined;
    if (s === undefined) return undefined;
    if (typeof p === 'number') cur = s.element;
    else if (s.shape) cur = s.shape[p];
    else if (s.def?.type === 'record') cur = s.valueType;
    else cur = undefined;
    here = isRecord(here) || Array.isArray(here) ? (here as Record<string | number, unknown>)[p] : undefined;
    cur = pickOption(unwrap(cur), here);
  }
  return cur as z.ZodType | undefined;
}

function unwrap(s: unknown): unknown {
  let cur = s as SchemaLike | undefined;
  while (cur && typeof cur.unwrap === 'function' && ['optional', 'nullable', 'default', 'prefault'].includes(cur.def?.type ?? '')) {
    cur = cur.unwrap() as SchemaLike;
  }
  return cur;
}

/** For a union, the object option that shares the most keys with the data. */
function pickOption(s: unknown, value: unknown): unknown {
  const u = s as SchemaLike | undefined;
  if (!u || u.def?.type !== 'union' || !u.options) return s;
  const keys = isRecord(value) ? Object.keys(value) : [];
  let best: unknown;
  let bestScore = 0;
  for (const o of u.options) {
    const shape = (unwrap(o) as SchemaLike | undefined)?.shape;
    if (!shape) continue;
    const score = keys.filter((k) => k in shape).length;
    if (score > bestScore) {
      best = unwrap(o);
      bestScore = score;
    }
  }
  return best ?? s;
}

function keysOf(schema: z.ZodType | undefined): string[] {
  const shape = (schema as SchemaLike | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function requiredKeys(schema: z.ZodType | undefined): string[] {
  const shape = (schema as SchemaLike | undefined)?.shape;
  if (!shape) return [];
  return Object.entries(shape)
    .filter(([, s]) => (s as SchemaLike)._zod?.optin !== 'optional')
    .map(([k]) => k);
}

/** What a field expects, in words, for "has no value" messages. */
function expectedOf(schema: z.ZodType | undefined): string | undefined {
  const s = schema as SchemaLike | undefined;
  switch (s?.def?.type) {
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'boolean': return 'true or false';
    case 'array': return 'a list';
    case 'object':
    case 'record': return 'a mapping';
    case 'enum': return `one of ${Object.values(s.def.entries ?? {}).map((v) => JSON.stringify(v)).join(', ')}`;
    default: return undefined;
  }
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

  /** Where to point at the node at path as a whole: its key in the parent mapping, else the node. */
  owner(path: Path): Location {
    const last = path[path.length - 1];
    return typeof last === 'string' ? this.key(path.slice(0, -1), last) : this.value(path);
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

interface YamlNodes {
  scalars: Array<{ start: number; end: number; type: string | undefined }>;
  flows: Array<{ start: number; end: number; kind: 'seq' | 'map' }>;
  maps: Array<{ keys: Array<{ start: number; text: string }> }>;
}

/** What the YAML parser could still build: enough to locate the node behind an error. */
function collectNodes(doc: Document): YamlNodes {
  const nodes: YamlNodes = { scalars: [], flows: [], maps: [] };
  visit(doc, (_, node) => {
    if (isScalar(node) && node.range) nodes.scalars.push({ start: node.range[0], end: node.range[1], type: node.type });
    if ((isSeq(node) || isMap(node)) && node.flow && node.range) {
      nodes.flows.push({ start: node.range[0], end: node.range[1], kind: isSeq(node) ? 'seq' : 'map' });
    }
    if (isMap(node)) {
      const keys: Array<{ start: number; text: string }> = [];
      for (const pair of node.items) {
        if (isScalar(pair.key) && pair.key.range) keys.push({ start: pair.key.range[0], text: String(pair.key.value) });
      }
      nodes.maps.push({ keys });
    }
    return isAlias(node) ? visit.SKIP : undefined;
  });
  return nodes;
}

const INDENT_HINT = 'check the indentation: keys of one mapping start in the same column, list items with "- "';

/** A YAML error as a located message that says what to do. */
function yamlProblem(err: YAMLError, all: readonly YAMLError[], nodes: YamlNodes, source: string): { offset: number; message: string } {
  const offset = err.pos[0];
  const contentStart = (at: number): number => {
    const end = source.indexOf('\n', at);
    let i = at;
    while (i < (end < 0 ? source.length : end) && source[i] === ' ') i++;
    return i < (end < 0 ? source.length : end) ? i : at;
  };
  const first = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
  const lastBefore = <T extends { start: number }>(items: T[]): T | undefined =>
    items.filter((n) => n.start <= offset).sort((a, b) => b.start - a.start)[0];

  if (err.code === 'DUPLICATE_KEY') {
    for (const map of nodes.maps) {
      const i = map.keys.findIndex((k) => k.start === offset);
      const key = map.keys[i];
      if (!key) continue;
      const prior = map.keys.slice(0, i).find((k) => k.text === key.text);
      const firstLine = prior ? lineOf(source, prior.start) : undefined;
      return {
        offset,
        message: `duplicate key "${key.text}"${firstLine ? ` (first at line ${firstLine})` : ''}: a key may appear once in a mapping; remove one`,
      };
    }
    return { offset, message: `duplicate key: ${first}; remove one` };
  }

  if (err.code === 'MISSING_CHAR' && /closing .?quote/i.test(first)) {
    const quote = first.includes("'") ? "'" : '"';
    const open = lastBefore(
      nodes.scalars.filter((n) => {
        if (n.type !== (quote === "'" ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE')) return false;
        const text = source.slice(n.start, n.end);
        return text.length < 2 || !text.endsWith(quote);
      }),
    );
    return { offset: open?.start ?? offset, message: `YAML syntax error: this string opened with ${quote} is never closed; add the closing ${quote}` };
  }

  // `${{ }}` unquoted inside { } or [ ]: YAML reads the braces as a mapping.
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  const lineEndAt = source.indexOf('\n', offset);
  const lineEnd = lineEndAt < 0 ? source.length : lineEndAt;
  const line = source.slice(lineStart, lineEnd);
  for (let i = line.indexOf('${{'); i >= 0; i = line.indexOf('${{', i + 1)) {
    const at = lineStart + i;
    const quoted = nodes.scalars.some((n) => (n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE') && n.start < at && at < n.end);
    if (!quoted) {
      return {
        offset: at,
        message: 'YAML syntax error: inside { } or [ ], a value with ${{ }} must be quoted, e.g. { url: "https://${{ params.host }}/" }',
      };
    }
  }

  // A line indented deeper than the key above it: YAML reads both lines as one key.
  const multiline = all.find((e) => e.code === 'MULTILINE_IMPLICIT_KEY' && e.pos[0] === offset);
  if (err.code === 'BLOCK_AS_IMPLICIT_KEY' && multiline) {
    const lineStartOf = source.lastIndexOf('\n', multiline.pos[1] - 1) + 1;
    return {
      offset: contentStart(lineStartOf),
      message: 'YAML syntax error: this line is indented deeper than the line above it; keys of one mapping start in the same column',
    };
  }
  if (err.code === 'TAB_AS_INDENT') return { offset, message: 'YAML syntax error: a tab is used as indentation; indent with spaces' };
  if (err.code === 'MULTIPLE_DOCS') return { offset, message: 'YAML syntax error: a runbook file holds one YAML document; remove this ---' };

  const flow = /^Flow (sequence|map)/.exec(first);
  if (err.code === 'BAD_INDENT' && flow) {
    const kind = flow[1] === 'sequence' ? 'seq' : 'map';
    const [opener, closer] = kind === 'seq' ? ['[', ']'] : ['{', '}'];
    const open = lastBefore(nodes.flows.filter((n) => n.kind === kind && !source.slice(n.start, n.end).trimEnd().endsWith(closer)));
    if (open) return { offset: open.start, message: `YAML syntax error: this ${opener} is never closed; add the closing ${closer}` };
    return { offset, message: `YAML syntax error: ${first}; ${INDENT_HINT}` };
  }

  // Point at the first character of the offending line's content, not at its indentation.
  const hint: Partial<Record<string, string>> = {
    BAD_INDENT: INDENT_HINT,
    MISSING_CHAR: /indicator/.test(first) ? INDENT_HINT : undefined,
    MULTILINE_IMPLICIT_KEY: INDENT_HINT,
    BLOCK_AS_IMPLICIT_KEY: 'quote a value that contains ": ", or check the indentation',
    BAD_DQ_ESCAPE: 'inside "…" a backslash starts an escape: write \\\\ or use single quotes',
  };
  const h = hint[err.code];
  return { offset: contentStart(offset), message: `YAML syntax error: ${first}${h ? `; ${h}` : ''}` };
}

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < source.length; i++) if (source[i] === '\n') line++;
  return line;
}

/** "a shell step", "an s3.restore step": the article as the name is read aloud. */
function aStep(type: string): string {
  return `${/^(s3|http)/.test(type) ? 'an' : 'a'} ${type} step`;
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

function walkStrings(value: unknown, path: Path, onString: (text: string, path: Path) => void): void {
  walkValues(value, path, (v, p) => {
    if (typeof v === 'string') onString(v, p);
  });
}

/** Every leaf (not a list or mapping) of a JSON-like value, with its path. */
function walkValues(value: unknown, path: Path, onLeaf: (value: unknown, path: Path) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => walkValues(v, [...path, i], onLeaf));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) walkValues(v, [...path, k], onLeaf);
  else onLeaf(value, path);
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

