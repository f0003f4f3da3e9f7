/** Field types shared by the envelope and the per-type `with` blocks. */
import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN, isDuration } from './duration.js';

export const duration = z
  .string()
  .superRefine((v, ctx) => {
    if (!isDuration(v)) ctx.addIssue({ code: 'custom', message: `bad duration "${v}": ${DURATION_HINT}` });
  })
  .meta({
    description: 'A duration: 500ms, 30s, 5m, 1h, 1d or combined (1h30m)',
    pattern: DURATION_PATTERN,
    examples: ['30s', '5m', '1h30m'],
  });

export const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

export const s3Url = z
  .string()
  .superRefine((v, ctx) => {
    if (!S3_URL.test(v)) ctx.addIssue({ code: 'custom', message: `bad S3 URL "${v}": expected s3://bucket/prefix/` });
  })
  .meta({ description: 's3://bucket/prefix/', pattern: S3_URL.source, examples: ['s3://acme-backups/db/'] });

/** ISO-8601 with a zone: 2026-11-23T04:00:00Z, fractions allowed. */
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

export const instantOrLatest = z
  .string()
  .superRefine((v, ctx) => {
    if (v !== 'latest' && !(ISO_INSTANT.test(v) && !Number.isNaN(Date.parse(v))))
      ctx.addIssue({
        code: 'custom',
        message: `bad time "${v}": use latest or ISO-8601 with a zone, e.g. 2026-11-23T04:00:00Z`,
      });
  })
  .meta({
    description: 'latest, or an ISO-8601 time with a zone (2026-11-23T04:00:00Z)',
    pattern: `^(?:latest|${ISO_INSTANT.source.slice(1, -1)})$`,
    examples: ['latest', '2026-11-23T04:00:00Z'],
  });

/** Numbers may come from `${{ params.x }}` (a string after substitution): accept both. */
export const count = z.coerce.number().int().nonnegative();

/**
 * true/false; also "true"/"false", so a flag may come from `${{ params.x }}` (a string after
 * substitution).
 */
export const flag = z
  .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
  .meta({ description: 'true or false' });
