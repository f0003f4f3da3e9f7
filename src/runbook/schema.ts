/**
 * The runbook format, as one zod schema. The loader validates with it, and
 * `schema/runbook.schema.json` (editor completion) is generated from it, so the two never
 * disagree. Per-type `with` blocks, descriptions and outputs come from the step types'
 * descriptors (src/steps/registry.ts).
 */
import { z } from 'zod';
import { awsRegion, duration, longDuration } from './fields.js';
import { STEP_MODES } from './mode-names.js';
import { PARAM_TYPES } from './param-types.js';
import { stepType, stepTypeList, stepTypeNames } from '../steps/catalogue.js';

export const STEP_ID = /^[a-z0-9-]+$/;
export const RUNBOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A valid id close to a bad one: `Fail Over` → `fail-over`. */
function slug(v: string): string {
  return v
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const stepId = z
  .string()
  .superRefine((v, ctx) => {
    if (!STEP_ID.test(v)) {
      const s = slug(v);
      ctx.addIssue({
        code: 'custom',
        message: `bad step id "${v}": use lowercase letters, digits and dashes ([a-z0-9-]+)${s ? `, e.g. "${s}"` : ''}`,
      });
    }
  })
  .meta({ description: 'Unique step id: lowercase letters, digits and dashes', pattern: STEP_ID.source });

export const paramSpec = z
  .strictObject({
    description: z.string().optional().describe('Shown in prompts and --help of the runbook'),
    required: z.boolean().optional().describe('The run is refused unless --param <name>=… gives a value'),
    default: z.union([z.string(), z.number(), z.boolean()]).optional().describe('Value when no --param is given'),
    secret: z.boolean().optional().describe('Never journaled, reported or shown'),
    type: z
      .enum(PARAM_TYPES)
      .optional()
      .describe('What the value must be; checked (with every with field that depends only on params) before the first step runs: exit 2, nothing changed'),
    enum: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1)
      .optional()
      .describe('The only values accepted'),
  })
  .describe('A runbook parameter, used as ${{ params.<name> }} and given with --param <name>=<value>');

export const limitsSpec = z
  .strictObject({
    maxChanges: z.number().int().nonnegative().optional().describe('Refuse to change more record sets than this'),
    maxDeletes: z.number().int().nonnegative().optional().describe('Refuse to delete more than this'),
    maxObjects: z.number().int().nonnegative().optional().describe('Refuse to copy more objects than this'),
    maxBytes: z.number().int().nonnegative().optional().describe('Refuse to copy more bytes than this'),
  })
  .describe('Safety limits checked at plan time: the step refuses to exceed them');

export const rollbackRun = z.strictObject({
  run: z.array(z.string()).min(1).describe('argv of the undo command; never run through a shell'),
  cwd: z.string().optional().describe("Working directory (default: the runbook's directory)"),
  env: z.record(z.string(), z.string()).optional().describe('Extra environment variables'),
  timeout: duration.optional(),
});
export const rollbackInstructions = z.strictObject({
  instructions: z.string().describe('What the operator does by hand to undo this step'),
});
export const rollbackSpec = z.union([
  z.literal(false).describe('This step cannot be undone: shown as IRREVERSIBLE and needs a typed confirmation'),
  rollbackRun,
  rollbackInstructions,
]);

export const awsSpec = z
  .strictObject({
    region: awsRegion.optional().describe('The AWS region the step acts in (default: --region, then the SDK chain)'),
    profile: z.string().min(1).optional().describe('A profile of the shared config: its credentials are the base ones'),
    roleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'expected an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>')
      .optional()
      .describe('Assume this role (STS AssumeRole) from the base credentials'),
    externalId: z.string().min(2).optional().describe("The external id the role's trust policy requires"),
  })
  .describe('Which account, region and role the step acts with; on the runbook, the default for every step');

/** The step types allowed in `require:`: the read-only checks. */
const checkTypeNames = stepTypeList.filter((t) => t.check).map((t) => t.type);
/** The types that move live traffic, capacity or databases (not run by `verify` unless their `modes:` say so). */
const liveTypeNames = stepTypeList.filter((t) => t.live && t.modes === undefined).map((t) => t.type);

/** The step envelope; `with` is checked per type (see src/steps/registry.ts). */
export const stepSpec = z.strictObject({
  id: stepId,
  type: z.enum(stepTypeNames as [string, ...string[]]).describe('What the step does'),
  description: z.string().optional().describe('Shown to the operator before the step runs'),
  with: z.record(z.string(), z.unknown()).optional().describe("The step type's settings"),
  confirm: z
    .enum(['none', 'yes', 'typed'])
    .optional()
    .describe('none: no extra prompt; yes: ask before the step; typed: the operator types the record name, restore target or step id'),
  timeout: duration.optional().describe('Fail the step after this long'),
  retries: z.number().int().min(0).max(10).optional().describe('Attempts after the first failure (default 0)'),
  when: z
    .string()
    .optional()
    .describe('A condition over params, step outputs and mode (plan, dry-run, run, rehearse, verify), e.g. params.env == "prod" && mode != "verify"; the step is skipped when false'),
  modes: z
    .array(z.enum(STEP_MODES))
    .min(1)
    .optional()
    .describe(
      `The modes the step runs in (plan, dry-run, run, rehearse, verify); skipped in the others. Default: all, except verify for steps that move live traffic, capacity or databases (${liveTypeNames.join(', ')})`,
    ),
  limits: limitsSpec.optional(),
  aws: awsSpec.optional(),
  rollback: rollbackSpec
    .optional()
    .describe(`A replacement undo ({ run: [argv…] }, or { instructions } for ${stepTypeList.filter((t) => t.undo === 'instructions').map((t) => t.type).join(' or ')} steps), or false for a step that cannot be undone`),
});

export const runbookSpec = z.strictObject({
  version: z.literal(1).describe('Runbook format version: 1'),
  name: z
    .string()
    .superRefine((v, ctx) => {
      if (!RUNBOOK_NAME.test(v))
        ctx.addIssue({ code: 'custom', message: `bad runbook name "${v}": use letters, digits, dot, dash, underscore (start with a letter or digit)` });
    })
    .meta({ description: 'Runbook name: names its lock and its run ids', pattern: RUNBOOK_NAME.source }),
  description: z.string().optional().describe('What the runbook does, for the operator'),
  rto: longDuration.optional().describe('Target recovery time; rehearse and verify report against it'),
  rpo: longDuration.optional().describe('Oldest acceptable backup; the default maxAge of the backup checks'),
  params: z.record(z.string(), paramSpec).optional().describe('Parameters, given with --param <name>=<value>'),
  aws: awsSpec.optional(),
  require: z.array(stepSpec).optional().describe(`Checks (${checkTypeNames.join(', ')}) that must pass before anything changes`),
  steps: z.array(stepSpec).min(1).describe('The steps, run in order'),
});

export type ParamSpec = z.output<typeof paramSpec>;
export type Limits = z.output<typeof limitsSpec>;
export type AwsSpec = z.output<typeof awsSpec>;
export type RollbackSpec = z.output<typeof rollbackSpec>;
export type StepSpecRaw = z.output<typeof stepSpec>;
export type RunbookSpecRaw = z.output<typeof runbookSpec>;

const UNDO_TEXT: Record<string, string> = {
  none: 'none needed (read-only)',
  builtin: 'built in, exact; or `rollback: { run }` / `rollback: false`',
  command: '`rollback: { run: [argv…] }`, or `rollback: false`',
  instructions: '`rollback: { instructions }`, `{ run }` or `false`',
};

/**
 * The step types as a Markdown page (docs/step-types.md), generated from the same catalogue
 * the loader and the JSON Schema use: what each does, its `with` fields, outputs and undo.
 */
export function stepTypesMarkdown(): string {
  const out: string[] = [
    '# Step types',
    '',
    '<!-- Generated from the step types in src/steps/registry.ts by `npm run schema`; do not edit by hand. -->',
    '',
    '| type | does | outputs | undo |',
    '| --- | --- | --- | --- |',
  ];
  for (const info of stepTypeList) {
    const undo = info.irreversible ? 'cannot be undone: `rollback: false` by default (typed confirmation), or `rollback: { run }`' : UNDO_TEXT[info.undo];
    out.push(`| \`${info.type}\` | ${info.description} | ${info.outputs.map((o) => `\`${o}\``).join(', ') || '—'} | ${undo} |`);
  }
  for (const info of stepTypeList) {
    const json = z.toJSONSchema(info.with, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { description?: string }>; required?: string[] };
    const required = new Set(json.required ?? []);
    out.push('', `## \`${info.type}\``, '', info.description, '', '| `with` field | required | meaning |', '| --- | --- | --- |');
    for (const [field, prop] of Object.entries(json.properties ?? {}))
      out.push(`| \`${field}\` | ${required.has(field) ? 'yes' : ''} | ${(prop.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
  }
  return `${out.join('\n')}\n`;
}

/** The short list of step types for the README (between its step-types markers): one line each. */
export function stepTypesList(): string {
  return stepTypeList.map((t) => `- \`${t.type}\`: ${t.description}`).join('\n');
}

/** `text` with the part between the step-types markers replaced by the current list. */
export function withStepTypesList(text: string): string {
  const begin = /<!-- step-types:begin[^>]*-->\n/.exec(text);
  const end = text.indexOf('<!-- step-types:end -->');
  if (!begin || end < begin.index) throw new Error('the step-types markers are missing');
  const from = begin.index + begin[0].length;
  return `${text.slice(0, from)}${stepTypesList()}\n${text.slice(end)}`;
}

const TEMPLATE = {
  type: 'string',
  pattern: '\\$\\{\\{',
  description:
    "A ${{ params.<name> }} or ${{ steps.<id>.outputs.<name> }} reference, substituted before the step runs; with a fallback for a value that may not exist (a step its when: may skip): ${{ steps.<id>.outputs.<name> || 'none' }}",
} as const;

type Json = Record<string, unknown>;

function isJsonObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A leaf that a `${{ }}` string would not satisfy: a number, boolean, enum or pattern. */
function rejectsTemplates(node: Json): boolean {
  const t = node.type;
  if (t === 'number' || t === 'integer' || t === 'boolean') return true;
  if (Array.isArray(t)) return true;
  return t === 'string' && ('pattern' in node || 'enum' in node || 'const' in node || 'format' in node);
}

/**
 * Inside `with`, any scalar may be a `${{ }}` reference (the loader checks the value after
 * substitution), so editors must accept one wherever a number, enum or pattern is expected.
 */
function allowTemplates(node: Json): Json {
  if (isJsonObject(node.properties)) {
    for (const [k, v] of Object.entries(node.properties)) if (isJsonObject(v)) node.properties[k] = allowTemplates(v);
  }
  if (isJsonObject(node.additionalProperties)) node.additionalProperties = allowTemplates(node.additionalProperties);
  if (isJsonObject(node.items)) node.items = allowTemplates(node.items);
  if (Array.isArray(node.anyOf)) {
    const members = (node.anyOf as unknown[]).map((m) => (isJsonObject(m) && !rejectsTemplates(m) ? allowTemplates(m) : m));
    if (members.some((m) => isJsonObject(m) && rejectsTemplates(m))) members.push({ ...TEMPLATE });
    node.anyOf = members;
    return node;
  }
  if (!rejectsTemplates(node)) return node;
  const { description, ...rest } = node;
  return { ...(description === undefined ? {} : { description }), anyOf: [rest, { ...TEMPLATE }] };
}

/** Drops the ±2^53 bounds zod writes for every int: noise in an editor's hover. */
function dropSafeIntegerBounds(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(dropSafeIntegerBounds);
    return;
  }
  if (!isJsonObject(node)) return;
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
  for (const v of Object.values(node)) dropSafeIntegerBounds(v);
}

/** One branch of the step union: the envelope with `type` fixed and its own `with` and rollback. */
function typedStep(name: string): z.ZodObject {
  const info = stepType(name);
  const fields = {
    type: z.literal(name).describe(info.description),
    with: info.with.describe(`Settings for ${name}`),
  };
  if (info.undo === 'none') return stepSpec.omit({ rollback: true }).extend(fields);
  const rollback =
    info.undo === 'instructions'
      ? rollbackSpec
      : z.union([rollbackSpec.options[0], rollbackSpec.options[1]]);
  return stepSpec.extend({
    ...fields,
    rollback: rollback
      .optional()
      .describe(
        info.undo === 'instructions'
          ? 'How to undo by hand ({ instructions }), a command ({ run: [argv…] }), or false if it cannot be undone'
          : 'A replacement undo command ({ run: [argv…] }), or false if the step cannot be undone',
      ),
  });
}

/**
 * The JSON Schema for editors (draft-07): the envelope, with each type's `with` block
 * spelled out through a union discriminated by `type`, so an editor completes the right
 * fields once the type is written. Written to schema/runbook.schema.json by write-schema.ts.
 */
export function runbookJsonSchema(): Record<string, unknown> {
  const union = (names: readonly string[]): z.ZodType =>
    z.discriminatedUnion('type', names.map(typedStep) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]);
  const checks = checkTypeNames;
  const schema = runbookSpec.extend({
    steps: z.array(union(stepTypeNames)).min(1).describe('The steps, run in order'),
    require: z
      .array(union(checks))
      .optional()
      .describe(`Checks (${checks.join(', ')}) that must pass before anything changes; otherwise the run is refused (exit 3)`),
  });
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-07' }) as Json;
  const steps = [(json.properties as Json).steps, (json.properties as Json).require];
  for (const list of steps) {
    const branches = isJsonObject(list) && isJsonObject(list.items) ? list.items.oneOf : undefined;
    if (!Array.isArray(branches)) throw new Error('runbookJsonSchema: expected steps.items.oneOf');
    for (const branch of branches as Json[]) {
      const props = branch.properties as Json;
      props.with = allowTemplates(props.with as Json);
    }
  }
  dropSafeIntegerBounds(json);
  const { $schema, ...rest } = json;
  return {
    $schema,
    $id: 'https://lifeboat.dev/schema/runbook.schema.json',
    title: 'lifeboat runbook',
    description:
      'A lifeboat disaster-recovery runbook: steps run in order, each planned, confirmed, executed, verified, and undone on failure. First line of a runbook: # yaml-language-server: $schema=../schema/runbook.schema.json',
    ...rest,
  };
}
