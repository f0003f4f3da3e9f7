/**
 * The `s3.verify-backups` step type. Its implementation (./s3-verify-backups.ts) loads the S3
 * SDK at its top, so it is kept apart and loaded only when a step of this type runs.
 */
import { z } from 'zod';
import { parseDuration } from '../runbook/duration.js';
import { count, longDuration, s3Url } from '../runbook/fields.js';
import { defineStepType, outputNumber } from './descriptor.js';

const verifyBackupsWith = z.strictObject({
  bucket: z.string().min(3),
  prefix: z.string().optional(),
  maxAge: longDuration.optional().describe("Newest object must be younger than this (default: the runbook's rpo)"),
  minCount: count.optional(),
  maxCount: count.optional(),
  minSize: count.optional().describe('Smallest acceptable object, bytes'),
  maxSize: count.optional(),
  minTotalBytes: count.optional(),
  maxTotalBytes: count.optional(),
  checksums: z.enum(['required', 'if-present', 'off']).optional(),
  manifest: s3Url.optional().describe('A JSON or CSV list of key, size, sha256 to compare against'),
  concurrency: z.coerce.number().int().min(1).max(256).optional(),
});
export type VerifyBackupsWith = z.output<typeof verifyBackupsWith>;

export const s3VerifyBackupsType = defineStepType({
  type: 's3.verify-backups',
  description: 'Checks that the newest object under the prefix is younger than maxAge, count and size bounds, and checksums. Read-only.',
  with: verifyBackupsWith,
  outputs: ['newestKey', 'newestAgeSeconds', 'count', 'bytes'],
  undo: 'none',
  readOnly: true,
  check: true,
  awsServices: ['S3'],
  reportFacts(raw, outputs) {
    const age = outputNumber(outputs.newestAgeSeconds);
    const key = typeof outputs.newestKey === 'string' && outputs.newestKey !== '' ? outputs.newestKey : null;
    const maxAgeMs = typeof raw.maxAge === 'string' ? parseDuration(raw.maxAge) : undefined;
    // -1: the step found no object at all.
    return { backup: { key, ageSeconds: age === undefined || age < 0 ? null : age, maxAgeMs } };
  },
  load: async () => (await import('./s3-verify-backups.js')).s3VerifyBackupsStep,
});
