/**
 * Params first (contract §2): before the first step runs, every `with` field whose value
 * depends only on params is substituted and checked against its step type's schema, so a
 * bad value (`--param asof=2026-13-45T99:99:99Z`) is refused with exit 2 before anything
 * changes, instead of failing at its step after earlier steps moved traffic. Located at the
 * field (file:line:col) and naming the param. Pure: the runbook's own text is parsed again
 * for positions.
 */
import { parseDocument } from 'yaml';
import type { Problem } from '../errors.js';
import type { z } from 'zod';
import { getIn, isRecord, toKey, walkValues, type Path } from './data.js';
import { lineLocator, Locator } from './locate.js';
import type { Location, Runbook, Step } from './model.js';
import { stepType } from '../steps/catalogue.js';
import { findReferences, hasTemplate, substituteString } from './template.js';
import { describeIssue, isUnder, issueFields } from './zod-issues.js';
import { PARSE_ONCE } from './fields.js';

export interface ParamFieldOptions {
  /** Names of secret params: their values never appear in a message. */
  secretNames?: readonly string[];
  /**
   * validate: only fields whose params all have a value (defaults) are checked; a param
   * without one is not an error there (it is given at run time).
   */
  onlyKnown?: boolean;
  /** Appended to every message, e.g. "; nothing was changed". */
  suffix?: string;
  /** Where the runbook's nodes are, if the caller has it already (else its text is parsed again). */
  locator?: Locator;
}

/** A step as far as its param fields go: validate passes the steps of a file that has other problems too. */
export type ParamFieldStep = Pick<Step, 'id' | 'type' | 'with'>;

/**
 * What the check reads of a runbook. A list may have holes (undefined): steps whose type or
 * `with` is not known, kept so that the others keep their index.
 */
export interface ParamFieldInput {
  file: string;
  source: string;
  require: ReadonlyArray<ParamFieldStep | undefined>;
  steps: ReadonlyArray<ParamFieldStep | undefined>;
}

/** Where nodes of a loaded runbook are: its text parsed again (positions only). */
export function runbookLocator(runbook: Pick<Runbook, 'source'>): Locator {
  return new Locator(parseDocument(runbook.source, { logLevel: 'silent' }), lineLocator(runbook.source));
}

interface ParamField {
  path: Path;
  params: string[];
  /** Params referred to without a fallback: the field cannot be built without them. */
  required: string[];
}

/** Every problem of the param-only `with` fields of the runbook's checks and steps. */
export function checkParamFields(runbook: ParamFieldInput, values: Readonly<Record<string, string>>, options: ParamFieldOptions = {}): Problem[] {
  const problems: Problem[] = [];
  let locator: Locator | undefined = options.locator;
  const locatorFor = (): Locator => (locator ??= runbookLocator(runbook));
  const locate = (path: Path): Location => locatorFor().value(path);
  const secrets = (options.secretNames ?? []).map((n) => values[n]).filter((v): v is string => typeof v === 'string' && v.length > 0);
  const hide = (text: string): string => secrets.reduce((t, s) => t.split(s).join('***'), text);
  const suffix = options.suffix ?? '';
  const add = (loc: Location, message: string): void => {
    problems.push({ file: runbook.file, line: loc.line, col: loc.col, message: hide(message) + suffix });
  };

  const lists: Array<['require' | 'steps', ParamFieldInput['steps']]> = [
    ['require', runbook.require],
    ['steps', runbook.steps],
  ];
  for (const [list, steps] of lists) {
    steps.forEach((step, index) => {
      if (step === undefined) return;
      const base: Path = [list, index, 'with'];
      const fields = paramOnlyFields(step.with);
      if (fields.length === 0) return;
      const substituted = structuredClone(step.with);
      const checked: ParamField[] = [];
      for (const f of fields) {
        const missing = f.required.filter((p) => values[p] === undefined);
        if (missing.length > 0) {
          if (!options.onlyKnown) {
            add(locate([...base, ...f.path]), `step "${step.id}" ${label(f.path)} uses ${missing.map((m) => `params.${m}`).join(', ')}, which has no value: give it with --param ${missing[0]}=… or a default`);
          }
          continue;
        }
        setIn(substituted, f.path, substituteString(getIn(step.with, f.path) as string, { params: values, outputs: {} }));
        checked.push(f);
      }
      if (checked.length === 0) return;
      const result = stepType(step.type).with.safeParse(substituted, PARSE_ONCE);
      if (result.success) return;
      // describeIssue reads values from the runbook's shape: put the substituted block there.
      const data = { [list]: steps.map((s, i) => (s === undefined ? undefined : { id: s.id, type: s.type, with: i === index ? substituted : s.with })) };
      for (const issue of result.error.issues) {
        const field = paramFieldOf(issue, checked, step.with);
        if (!field) continue; // a field with a step output (checked when substituted) or a literal (checked by the loader)
        const from = field.params.map((p) => `params.${p}`).join(', ');
        for (const d of describeIssue(issue, { base, data, schema: stepType(step.type).with, locator: locatorFor(), stepType: step.type })) {
          const what = d.named === true ? d.message : `step "${step.id}" ${issue.code === 'custom' ? `${label(field.path)}: ${d.message}` : d.message}`;
          add(locate([...base, ...field.path]), `${what} (the value comes from ${from}; pass a valid --param ${field.params[0]}=…)`);
        }
      }
    });
  }
  return problems;
}

/**
 * The param field an issue is about: the field at or above its path; for a refinement over
 * several fields (fields.ts fieldsIssue), the first of them that comes from params, provided
 * none of them waits for a step output (that is checked just before the step).
 */
function paramFieldOf(issue: z.core.$ZodIssue, checked: readonly ParamField[], w: Record<string, unknown>): ParamField | undefined {
  const fields = issueFields(issue);
  if (fields === undefined) {
    const rel = issue.path.map(toKey);
    return checked.find((f) => isUnder(rel, f.path));
  }
  const inFields = (path: Path): boolean => fields.some((f) => isUnder(path, f));
  let waits = false;
  walkValues(w, [], (v, path) => {
    if (typeof v === 'string' && hasTemplate(v) && inFields(path) && !checked.some((f) => isUnder(path, f.path))) waits = true;
  });
  return waits ? undefined : checked.find((f) => inFields(f.path));
}

/** Leaves of a `with` block that are `${{ }}` strings referring to params only. */
function paramOnlyFields(w: Record<string, unknown>): ParamField[] {
  const out: ParamField[] = [];
  walkValues(w, [], (v, path) => {
    if (typeof v !== 'string' || !hasTemplate(v)) return;
    const refs = findReferences(v);
    if (refs.length === 0 || !refs.every((r) => r.kind === 'param')) return;
    const params = refs.flatMap((r) => (r.kind === 'param' ? [r] : []));
    out.push({ path, params: [...new Set(params.map((r) => r.name))], required: [...new Set(params.filter((r) => r.fallback === undefined).map((r) => r.name))] });
  });
  return out;
}

function label(path: Path): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${p}`), 'with');
}

function setIn(target: unknown, path: Path, value: unknown): void {
  let cur = target;
  for (const p of path.slice(0, -1)) cur = (cur as Record<string | number, unknown>)[p];
  if (isRecord(cur) || Array.isArray(cur)) (cur as Record<string | number, unknown>)[path[path.length - 1] as string | number] = value;
}
