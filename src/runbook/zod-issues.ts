/**
 * zod issues → problems a person can act on, each located at the offending node. This is
 * the one place that relies on zod's internals (schema `def`, `shape`, `element`, `_zod`):
 * walking a schema along a data path to say what a field takes, which keys are required,
 * which union option was meant. A zod upgrade that changes them breaks only this file (the
 * loader tests say so).
 */
import type { z } from 'zod';
import { closest } from '../util/suggest.js';
import { aStep, getIn, isRecord, toKey, type Path } from './data.js';
import { DURATION_HINT } from './duration.js';
import { duration as durationField, longDuration, tooLongMessage } from './fields.js';
import type { Locator } from './locate.js';
import type { Location } from './model.js';
import { stepTypeNames } from '../steps/catalogue.js';

export interface Located {
  loc: Location;
  message: string;
  /** The message already names the step and the field. */
  named?: boolean;
}

export interface IssueContext {
  /** Path of the value the schema was applied to. */
  base: Path;
  data: unknown;
  schema: z.ZodType;
  locator: Locator;
  /** Set when the schema is a step type's `with` block. */
  stepType?: string | undefined;
}

export function describeIssue(issue: z.core.$ZodIssue, c: IssueContext): Located[] {
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
      if (here !== undefined && (here === durationField || here === longDuration) && (typeof value === 'number' || typeof value === 'boolean')) {
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
      if (issue.code === 'custom' && issue.params?.tooLong === true && typeof value === 'string') {
        return [{ loc: locator.value(path), message: tooLongMessage(value, `${stepOf(data, path)}${name}`), named: true }];
      }
      return [{ loc: locator.value(path), message: issue.code === 'custom' ? issue.message : `${name}: ${issue.message}` }];
  }
}

/**
 * For a refinement over several fields of one mapping (fields.ts fieldsIssue), the fields it
 * depends on, as paths relative to the schema it came from; undefined for any other issue
 * (it depends on the value at its own path). Such an issue is the loader's to report when
 * none of those fields holds a `${{ }}`, and the param check's when those that do come
 * from params only.
 */
export function issueFields(issue: z.core.$ZodIssue): Path[] | undefined {
  const rel = issue.path.map(toKey);
  const fields: unknown = issue.code === 'custom' ? issue.params?.fields : undefined;
  if (!Array.isArray(fields)) return undefined;
  const keys = fields.filter((f): f is string | number => typeof f === 'string' || typeof f === 'number');
  if (keys.length !== fields.length) return undefined;
  const parent = rel.slice(0, -1);
  return keys.map((f) => [...parent, f]);
}

/** Whether `path` is `prefix` or lies under it. */
export function isUnder(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

/** `step "drain" ` when path is inside a step (`step #3 ` without an id), else nothing. */
function stepOf(data: unknown, path: Path): string {
  if ((path[0] !== 'steps' && path[0] !== 'require') || typeof path[1] !== 'number') return '';
  const id = getIn(data, [path[0], path[1], 'id']);
  return typeof id === 'string' ? `step "${id}" ` : `${path[0] === 'require' ? 'check' : 'step'} #${path[1] + 1} `;
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

export function fieldLabel(base: Path, rel: Path): string {
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
export function schemaAt(schema: z.ZodType, path: Path, value?: unknown): z.ZodType | undefined {
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

export function keysOf(schema: z.ZodType | undefined): string[] {
  const shape = (schema as SchemaLike | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

export function requiredKeys(schema: z.ZodType | undefined): string[] {
  const shape = (schema as SchemaLike | undefined)?.shape;
  if (!shape) return [];
  return Object.entries(shape)
    .filter(([, s]) => (s as SchemaLike)._zod?.optin !== 'optional')
    .map(([k]) => k);
}

/** What a field expects, in words, for "has no value" messages. */
export function expectedOf(schema: z.ZodType | undefined): string | undefined {
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
