/**
 * The runbook format, as one zod schema. The loader validates with it, and
 * `schema/runbook.schema.json` (editor completion) is generated from it, so the two never
 * disagree. Per-type `with` blocks live in ./step-types.ts.
 */
import { z } from 'zod';
import { duration } from './fields.js';
import { stepTypeNames, stepTypes, type StepTypeName } from './step-types.js';

export const STEP_ID = /^[a-z0-9-]+$/;
export const RUNBOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const stepId = z
  .string()
  .superRefine((v, ctx) => {
    if (!STEP_ID.test(v))
      ctx.addIssue({ code: 'custom', message: `bad step id "${v}": use lowercase letters, digits and dashes ([a-z0-9-]+)` });
  })
  .describe('Unique step id, [a-z0-9-]+');

export const paramSpec = z.strictObject({
  description: z.string().optional(),
  required: z.boolean().optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  secret: z.boolean().optional().describe('Never journaled, reported or shown'),
});

export const limitsSpec = z.strictObject({
  maxChanges: z.number().int().nonnegative().optional(),
  maxDeletes: z.number().int().nonnegative().optional(),
  maxObjects: z.number().int().nonnegative().optional(),
  maxBytes: z.number().int().nonnegative().optional(),
});

export const rollbackRun = z.strictObject({
  run: z.array(z.string()).min(1).describe('argv of the undo command; never run through a shell'),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
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

/** The step envelope; `with` is checked per type (see step-types.ts). */
export const stepSpec = z.strictObject({
  id: stepId,
  type: z.enum(stepTypeNames as [StepTypeName, ...StepTypeName[]]),
  description: z.string().optional(),
  with: z.record(z.string(), z.unknown()).optional(),
  confirm: z.enum(['none', 'yes', 'typed']).optional(),
  timeout: duration.optional(),
  retries: z.number().int().min(0).max(10).optional(),
  when: z.string().optional().describe('A condition over params and step outputs; the step is skipped when false'),
  limits: limitsSpec.optional(),
  rollback: rollbackSpec.optional(),
});

export const runbookSpec = z.strictObject({
  version: z.literal(1),
  name: z.string().superRefine((v, ctx) => {
    if (!RUNBOOK_NAME.test(v))
      ctx.addIssue({ code: 'custom', message: `bad runbook name "${v}": use letters, digits, dot, dash, underscore` });
  }),
  description: z.string().optional(),
  rto: duration.optional().describe('Target recovery time'),
  rpo: duration.optional().describe('Oldest acceptable backup; default maxAge for s3.verify-backups'),
  params: z.record(z.string(), paramSpec).optional(),
  require: z.array(stepSpec).optional().describe('Checks that must pass before anything changes'),
  steps: z.array(stepSpec).min(1),
});

export type ParamSpec = z.output<typeof paramSpec>;
export type Limits = z.output<typeof limitsSpec>;
export type RollbackSpec = z.output<typeof rollbackSpec>;
export type StepSpecRaw = z.output<typeof stepSpec>;
export type RunbookSpecRaw = z.output<typeof runbookSpec>;

/** The JSON Schema for editors: the envelope, with each type's `with` block spelled out. */
export function runbookJsonSchema(): Record<string, unknown> {
  const typedSteps = stepTypeNames.map((name) => {
    const withSchema = stepTypes[name].with;
    return stepSpec.extend({ type: z.literal(name), with: withSchema });
  });
  const stepUnion = z.union(typedSteps as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  const schema = runbookSpec.extend({ steps: z.array(stepUnion).min(1), require: z.array(stepUnion).optional() });
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as Record<string, unknown>;
  return {
    ...json,
    $id: 'https://lifeboat.dev/schema/runbook.schema.json',
    title: 'lifeboat runbook',
  };
}
