/**
 * The `s3.restore` step type. Its implementation (./s3-restore.ts and ./restore/) loads the
 * S3 SDK at its top, so it is kept apart and loaded only when a step of this type runs.
 */
import { z } from 'zod';
import { count, flag, instantOrLatest, s3Url } from '../runbook/fields.js';
import { confirmField, defineStepType, outputNumber } from './descriptor.js';

const restoreWith = z.strictObject({
  source: s3Url,
  target: z.string().min(1).describe('s3://bucket/prefix/ or a local directory'),
  asOf: instantOrLatest.optional(),
  include: z.union([z.string(), z.array(z.string())]).optional(),
  exclude: z.union([z.string(), z.array(z.string())]).optional(),
  concurrency: z.coerce.number().int().min(1).max(256).optional(),
  verify: z.enum(['checksum', 'size', 'none']).optional(),
  multipartThreshold: count.optional().describe('Copy in parts above this many bytes (default 5 GiB)'),
  partSize: count.optional(),
  allowEmpty: flag
    .optional()
    .describe('Succeed when nothing is selected (no object under source as of asOf); by default that fails the step: a mistyped prefix or an asOf before the first backup must not pass as a restore'),
});
export type RestoreWith = z.output<typeof restoreWith>;

export const s3RestoreType = defineStepType({
  type: 's3.restore',
  description: 'Copies the objects under source, as they were at asOf, to target (s3:// or a local directory); rollback deletes what it created.',
  with: restoreWith,
  outputs: ['objects', 'bytes', 'seconds', 'requests'],
  undo: 'builtin',
  awsServices: ['S3'],
  confirmation: confirmField('target', { slashOptional: true }),
  reportFacts: (_raw, outputs) => ({
    restored: { objects: outputNumber(outputs.objects) ?? 0, bytes: outputNumber(outputs.bytes) ?? 0, seconds: outputNumber(outputs.seconds) ?? 0 },
  }),
  load: async () => (await import('./s3-restore.js')).s3RestoreStep,
});
