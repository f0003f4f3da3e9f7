/**
 * The `s3.restore` step type. Its implementation (./s3-restore.ts and ./restore/) loads the
 * S3 SDK at its top, so it is kept apart and loaded only when a step of this type runs.
 */
import { z } from 'zod';
import { count, flag, instantOrLatest, s3Url } from '../runbook/fields.js';
import { defineStepType } from './descriptor.js';

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

/** A finite number from an output (numbers, or numeric strings from a template); else 0. */
function num(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : 0;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return 0;
}

export const s3RestoreType = defineStepType({
  type: 's3.restore',
  description: 'Copies the objects under source, as they were at asOf, to target (s3:// or a local directory); rollback deletes what it created.',
  with: restoreWith,
  outputs: ['objects', 'bytes', 'seconds', 'requests'],
  undo: 'builtin',
  readOnly: false,
  check: false,
  live: false,
  awsServices: ['S3'],
  confirmation: { text: (w) => (typeof w.target === 'string' && w.target !== '' ? w.target : undefined) },
  reportFacts: (_raw, outputs) => ({ restored: { objects: num(outputs.objects), bytes: num(outputs.bytes), seconds: num(outputs.seconds) } }),
  load: async () => (await import('./s3-restore.js')).s3RestoreStep,
});
