/**
 * The runbook format, as one zod schema. The loader validates with it, and
 * `schema/runbook.schema.json` (editor completion) is generated from it, so the two never
 * disagree. Per-type `with` blocks live in ./step-types.ts.
 */
import { z } from 'zod';
import { duration, longDuration } from './fields.js';
import { STEP_MODES } from './mode-names.js';
import { PARAM_TYPES } from './param-types.js';
import { stepTypeNames, stepTypes, type StepTypeInfo, type StepTypeName } from './step-types.js';

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
    region: z.string().min(1).optional().describe('The AWS region the step acts in (default: --region, then the SDK chain)'),
    profile: z.string().min(1).optional().describe('A profile of the shared config: its credentials are the base ones'),
    roleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'expected an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>')
      .optional()
      .describe('Assume this role (STS AssumeRole) from the base credentials'),
    externalId: z.string().min(2).optional().describe("The external id the role's trust policy requires"),
  })
  .describe('Which account, region and role the step acts with; on the runbook, the default for every step');

/** The step envelope; `with` is checked per type (see step-types.ts). */
export const stepSpec = z.strictObject({
  id: stepId,
  type: z.enum(stepTypeNames as [StepTypeName, ...StepTypeName[]]).describe('What the step does'),
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
      'The modes the step runs in (plan, dry-run, run, rehearse, verify); skipped in the others. Default: all, except verify for steps that move live traffic (route53.*)',
    ),
  limits: limitsSpec.optional(),
  aws: awsSpec.optional(),
  rollback: rollbackSpec
    .optional()
    .describe('A replacement undo ({ run: [argv…] }, or { instructions } for manual steps), or false for a step that cannot be undone'),
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
  rpo: longDuration.optional().describe('Oldest acceptable backup; default maxAge for s3.verify-backups'),
  params: z.record(z.string(), paramSpec).optional().describe('Parameters, given with --param <name>=<value>'),
  aws: awsSpec.optional(),
  require: z.array(stepSpec).optional().describe('Checks (http.check, s3.verify-backups) that must pass before anything changes'),
  steps: z.array(stepSpec).min(1).describe('The steps, run in order'),
});

export type ParamSpec = z.output<typeof paramSpec>;
export type Limits = z.output<typeof limitsSpec>;
export type AwsSpec = z.output<typeof awsSpec>;
export type RollbackSpec = z.output<typeof rollbackSpec>;
export type StepSpecRaw = z.output<typeof stepSpec>;
export type RunbookSpecRaw = z.output<typeof runbookSpec>;

const TYPE_DESCRIPTIONS: Record<StepTypeName, string> = {
  's3.verify-backups':
    'Checks that the newest object under the prefix is younger than maxAge, count and size bounds, and checksums. Read-only.',
  'route53.change-records':
    'UPSERT/CREATE/DELETE Route 53 record sets; captures the previous sets first and restores them on rollback.',
  's3.restore':
    'Copies the objects under source, as they were at asOf, to target (s3:// or a local directory); rollback deletes what it created.',
  shell: 'Runs with.run (an argv array, never through a shell); rollback is rollback.run, or rollback: false.',
  'http.check': 'Polls a URL until the status (and body) match, or the timeout passes. Read-only.',
  manual: 'Shows with.instructions; the operator confirms when done. rollback.instructions says how to undo.',
  wait: 'Waits with.duration.',
  'route53.shift-weights':
    'Moves traffic between two weighted sets of one name in stages (percent to `to`), pausing and checking health between stages; rollback restores every weight it changed.',
  'rds.failover-cluster':
    'Fails an Aurora / Multi-AZ DB cluster over to targetInstanceId (or any healthy reader) and waits until it is available; rollback fails back to the writer found before.',
  'rds.promote-replica':
    'Promotes a read replica to a standalone DB instance. Cannot be undone: needs a typed confirmation of the instance id.',
  'autoscaling.set-capacity': 'Sets min, desired and max of an Auto Scaling group; rollback restores the previous sizes.',
};

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
    '<!-- Generated from src/runbook/step-types.ts by `npm run schema`; do not edit by hand. -->',
    '',
    '| type | does | outputs | undo |',
    '| --- | --- | --- | --- |',
  ];
  for (const name of stepTypeNames) {
    const info: StepTypeInfo = stepTypes[name];
    const undo = info.irreversible ? 'cannot be undone: `rollback: false` by default (typed confirmation), or `rollback: { run }`' : UNDO_TEXT[info.undo];
    out.push(`| \`${name}\` | ${TYPE_DESCRIPTIONS[name]} | ${info.outputs.map((o) => `\`${o}\``).join(', ') || '—'} | ${undo} |`);
  }
  for (const name of stepTypeNames) {
    const json = z.toJSONSchema(stepTypes[name].with, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { description?: string }>; required?: string[] };
    const required = new Set(json.required ?? []);
    out.push('', `## \`${name}\``, '', TYPE_DESCRIPTIONS[name], '', '| `with` field | required | meaning |', '| --- | --- | --- |');
    for (const [field, prop] of Object.entries(json.properties ?? {}))
      out.push(`| \`${field}\` | ${required.has(field) ? 'yes' : ''} | ${(prop.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
  }
  return `${out.join('\n')}\n`;
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
function typedStep(name: StepTypeName): z.ZodObject {
  const info = stepTypes[name];
  const fields = {
    type: z.literal(name).describe(TYPE_DESCRIPTIONS[name]),
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
  const union = (names: StepTypeName[]): z.ZodType =>
    z.discriminatedUnion('type', names.map(typedStep) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]);
  const checks = stepTypeNames.filter((n) => stepTypes[n].check);
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
