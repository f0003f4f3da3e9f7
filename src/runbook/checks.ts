/**
 * The checks a schema cannot express, on the raw data (so they still run on a partly
 * invalid file): duplicate ids, `require:` holding only checks, `with` blocks against their
 * step type, undo rules, `when:` conditions, and every `${{ }}` reference.
 */
import { closest } from '../util/suggest.js';
import { aStep, getIn, holdsTemplate, isRecord, isTemplated, toKey, walkStrings, walkValues, type Path } from './data.js';
import { checkCondition } from './condition.js';
import type { Locator } from './locate.js';
import type { Location } from './model.js';
import { PARAM_TYPES, paramValueProblem, type ParamType } from './param-types.js';
import { isStepType, stepType, stepTypeList } from '../steps/catalogue.js';
import { findReferences, hasTemplate, PARAM_NAME } from './template.js';
import { paramEnvName } from '../util/redact.js';
import { describeIssue, expectedOf, fieldLabel, issueFields, requiredKeys, schemaAt } from './zod-issues.js';
import { PARSE_ONCE } from './fields.js';

/** Report every cross-check problem of the runbook's raw data through `report`. */
export function crossCheck(data: unknown, locator: Locator, report: (loc: Location, message: string) => void): void {
  // Checks that still make sense on a partly invalid file: they look at raw data.
  const raw = (typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const paramNames = new Set(Object.keys(isRecord(raw.params) ? raw.params : {}));
  const steps = Array.isArray(raw.steps) ? raw.steps : [];
  const checks = Array.isArray(raw.require) ? raw.require : [];
  const seenIds = new Map<string, Location>();
  const order = new Map<string, number>();
  const types = new Map<string, string>();
  const whens = new Map<string, string>();
  steps.forEach((s, i) => {
    if (isRecord(s) && typeof s.id === 'string' && !order.has(s.id)) {
      order.set(s.id, i);
      if (typeof s.type === 'string') types.set(s.id, s.type);
      if (typeof s.when === 'string') whens.set(s.id, s.when);
    }
  });
  const outputsById = new Map<string, readonly string[]>();
  for (const [id, type] of types) if (isStepType(type)) outputsById.set(id, stepType(type).outputs);
  const checkNames = stepTypeList.filter((t) => t.check).map((t) => t.type);
  /** The types undone by hand, following instructions (`rollback.instructions`). */
  const byHand = stepTypeList.filter((t) => t.undo === 'instructions').map((t) => t.type).join(' or ');
  const checkIds = new Set(checks.filter(isRecord).map((c) => c.id).filter((id): id is string => typeof id === 'string'));

  // A param's default and enum values must fit its type (and the default its enum).
  if (isRecord(raw.params)) {
    const byEnvName = new Map<string, string>();
    for (const [name, spec] of Object.entries(raw.params)) {
      const problem = paramNameProblem(name, byEnvName);
      if (problem) report(locator.key(['params'], name), problem);
      if (!isRecord(spec)) continue;
      const type = (PARAM_TYPES as readonly unknown[]).includes(spec.type) ? (spec.type as ParamType) : undefined;
      const values = Array.isArray(spec.enum) ? spec.enum.filter((v): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v)) : undefined;
      if (type !== undefined && Array.isArray(spec.enum)) {
        spec.enum.forEach((v, i) => {
          const problem = ['string', 'number', 'boolean'].includes(typeof v) ? paramValueProblem({ type }, String(v)) : undefined;
          if (problem) report(locator.value(['params', name, 'enum', i]), `param "${name}": enum value ${problem}`);
        });
      }
      const d = spec.default;
      if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') {
        const problem = paramValueProblem({ type, enum: values, secret: spec.secret === true }, String(d));
        if (problem) report(locator.value(['params', name, 'default']), `param "${name}": default ${problem}`);
      }
    }
  }

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
    const info = stepType(type);
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
      const withResult = info.with.safeParse(s.with, PARSE_ONCE);
      if (!withResult.success) {
        for (const issue of withResult.error.issues) {
          const issuePath = [...withPath, ...issue.path.map(toKey)];
          // A value with a ${{ }} is checked when substituted: before the run (params), or just before the step.
          const fields = issueFields(issue);
          if (fields ? fields.some((f) => holdsTemplate(getIn(s.with, f))) : isTemplated(data, issuePath)) continue;
          if (empty.has(issuePath.join('\0'))) continue; // reported above
          for (const p of describeIssue(issue, { base: withPath, data, schema: info.with, locator, stepType: type })) report(p.loc, p.message);
        }
      }
    } // else: not a mapping, reported by the schema

    // An irreversible step always asks for a typed confirmation (src/steps/invoke.ts): confirm: none would be ignored.
    const irreversible = s.rollback === false || (s.rollback === undefined && info.irreversible === true);
    if (s.confirm === 'none' && irreversible) {
      const why = s.rollback === false ? 'it has rollback: false' : `${aStep(type)} cannot be undone`;
      report(
        locator.value([...path, 'confirm']),
        `step "${label}": confirm: none does not apply, ${why}, so it always asks for a typed confirmation; write confirm: typed (or remove confirm)`,
      );
    }

    if (s.rollback !== undefined) {
      const rb = s.rollback;
      const kind = rb === false ? 'false' : isRecord(rb) && 'instructions' in rb ? 'instructions' : 'run';
      if (info.undo === 'none') {
        report(locator.key(path, 'rollback'), `step "${label}": ${aStep(type)} changes nothing, so it takes no rollback; remove the rollback`);
      } else if (kind === 'instructions' && info.undo !== 'instructions') {
        report(
          locator.key([...path, 'rollback'], 'instructions'),
          `step "${label}": rollback.instructions is for ${byHand} steps; ${aStep(type)} takes rollback: { run: [argv…] } or rollback: false`,
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
        const msg = referenceProblem(ref, { paramNames, order, types, index, inRequire, ownId: id, checkIds, whens });
        if (msg) report(locator.value(strPath), msg);
      }
    });
  };

  checks.forEach((s, i) => checkStep(s, ['require', i], i, true));
  steps.forEach((s, i) => checkStep(s, ['steps', i], i, false));

}

/**
 * Why a param cannot be used under this name, or undefined. A param is referred to as
 * `${{ params.<name> }}` (or params.<name> in when:), so the name must fit that grammar
 * (`Zone-ID` does: it is set as LIFEBOAT_PARAM_ZONE_ID); and it is given from the
 * environment as LIFEBOAT_PARAM_<NAME> (upper case, dashes as underscores), so two names
 * that make the same variable (`zone-id`, `zone_id`) cannot both be set that way.
 * `seen` collects the variable names of the params before this one.
 */
function paramNameProblem(name: string, seen: Map<string, string>): string | undefined {
  if (!PARAM_NAME.test(name)) {
    const fixed = name.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^(?=[0-9-])/, '_');
    return `bad param name "${name}": no \${{ params.… }} or when: can refer to it; a param name is letters, digits, _ and - (starting with a letter or _), e.g. "${fixed}"`;
  }
  const env = paramEnvName(name);
  const other = seen.get(env);
  if (other !== undefined) return `params "${other}" and "${name}" are both set by the variable ${env}: rename one`;
  seen.set(env, name);
  return undefined;
}

interface RefContext {
  /** Steps that a `when:` may skip, with their condition. */
  whens: ReadonlyMap<string, string>;
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
  const skippedWhen = c.whens.get(ref.step);
  if (skippedWhen !== undefined && ref.fallback === undefined) {
    const fallback = `\${{ steps.${ref.step}.outputs.${ref.name} || 'none' }}`;
    return `${ref.raw}: step "${ref.step}" may be skipped (when: ${skippedWhen}), and then has no outputs; give a fallback, e.g. ${fallback}`;
  }
  const type = c.types.get(ref.step);
  if (type !== undefined && isStepType(type)) {
    const outputs: readonly string[] = stepType(type).outputs;
    if (!outputs.includes(ref.name)) {
      return `${ref.raw}: ${aStep(type)} has no output "${ref.name}"${outputs.length ? ` (outputs: ${outputs.join(', ')})` : ' (it has no outputs)'}`;
    }
  }
  return undefined;
}
