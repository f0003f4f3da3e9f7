/** Field types shared by the envelope and the per-type `with` blocks. */
import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN, isDuration, MAX_TIMER_MS, MAX_TIMER_TEXT, parseDuration } from './duration.js';

/**
 * How lifeboat parses with its schemas: without zod's compiled fast path. zod compiles a
 * parser for an object schema the first time it parses with it, which pays off over
 * thousands of parses; lifeboat parses each schema a few times per process, so compiling
 * cost more than it saved (`lifeboat validate` of the examples: ~40 ms of ~420 ms, bench
 * "start-up").
 */
export const PARSE_ONCE = { jitless: true } as const;

const durationMeta = {
  description: 'A duration: 500ms, 30s, 5m, 1h, 1d or combined (1h30m)',
  pattern: DURATION_PATTERN,
  examples: ['30s', '5m', '1h30m'],
};

/**
 * A length of time lifeboat waits for or times out after (step and shell timeouts, waits,
 * pauses, polling intervals): at most what a timer holds, MAX_TIMER_MS (about 24.8 days).
 * The limit issue carries `params.tooLong` so the loader can name the step and field.
 */
export const duration = z
  .string()
  .superRefine((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: `bad duration "${v}": ${DURATION_HINT}` });
    else if (ms > MAX_TIMER_MS) ctx.addIssue({ code: 'custom', message: tooLongMessage(v), params: { tooLong: true } });
  })
  .meta(durationMeta);

/**
 * A length of time lifeboat only compares with, never waits for (`rto`, `rpo`, `maxAge`):
 * no upper limit, a monthly backup may well have `maxAge: 35d`.
 */
export const longDuration = z
  .string()
  .superRefine((v, ctx) => {
    if (!isDuration(v)) ctx.addIssue({ code: 'custom', message: `bad duration "${v}": ${DURATION_HINT}` });
  })
  .meta(durationMeta);

/** `subject` names what holds the value, e.g. `step "drain" timeout`. */
export function tooLongMessage(value: string, subject = 'duration'): string {
  return `${subject} "${value}" is longer than lifeboat can wait or time out: at most ${MAX_TIMER_TEXT} (2^31-1 ms, the longest a timer holds); use a shorter one`;
}

export const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

export const s3Url = z
  .string()
  .superRefine((v, ctx) => {
    if (!S3_URL.test(v)) ctx.addIssue({ code: 'custom', message: `bad S3 URL "${v}": expected s3://bucket/prefix/` });
  })
  .meta({ description: 's3://bucket/prefix/', pattern: S3_URL.source, examples: ['s3://acme-backups/db/'] });

/** ISO-8601 with a zone: 2026-11-23T04:00:00Z, fractions allowed. */
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

const ISO_PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):?(\d{2}))$/;

/**
 * A real ISO-8601 instant with a zone: the shape, and every field in range (month 1–12, a
 * day that exists in that month, hour 0–23, minute and second 0–59, offset up to 23:59).
 * Date.parse alone is not enough: some engines roll 2026-02-30 over to March.
 */
export function isIsoInstant(text: string): boolean {
  const m = ISO_PARTS.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second, offH, offM] = m.slice(1).map((v): number => (v === undefined ? 0 : Number(v)));
  if ((month as number) < 1 || (month as number) > 12) return false;
  const days = new Date(Date.UTC(year as number, month as number, 0)).getUTCDate();
  if ((day as number) < 1 || (day as number) > days) return false;
  if ((hour as number) > 23 || (minute as number) > 59 || (second as number) > 59) return false;
  if ((offH as number) > 23 || (offM as number) > 59) return false;
  return !Number.isNaN(Date.parse(text));
}

export const TIME_HINT = 'use ISO-8601 with a zone, e.g. 2026-11-23T04:00:00Z';

export const instantOrLatest = z
  .string()
  .superRefine((v, ctx) => {
    if (v !== 'latest' && !isIsoInstant(v))
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
