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

/**
 * A refinement's issue about several fields of one mapping (min ≤ desired ≤ max, weight
 * with setIdentifier): located at the field `at`, and depending on every field in `fields`
 * (keys of the same mapping, `at` among them). The loader reports it when none of them holds
 * a `${{ }}`; when some come from params only, the param check before the run does
 * (src/runbook/zod-issues.ts issueFields reads `fields` back).
 */
export function fieldsIssue(ctx: z.RefinementCtx, at: string | number, fields: ReadonlyArray<string | number>, message: string): void {
  ctx.addIssue({ code: 'custom', path: [at], message, params: { fields: [...fields] } });
}

/** An http:// or https:// URL, as fetch takes it (http.check, a shift's check). */
export const httpUrl = z
  .string()
  .min(1)
  .superRefine((v, ctx) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `bad URL "${v}": write the whole URL, with http:// or https://, e.g. https://app.example.com/healthz` });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      ctx.addIssue({ code: 'custom', message: `bad URL "${v}": only http:// and https:// can be checked, not ${url.protocol}//; e.g. https://app.example.com/healthz` });
  })
  .meta({ description: 'An http:// or https:// URL', examples: ['https://app.example.com/healthz'] });

/** An HTTP status code, 100–599 (a number, or a string from `${{ params.x }}`). */
const httpStatusCode = z.coerce
  .number()
  .int()
  .superRefine((v, ctx) => {
    if (v < 100 || v > 599) ctx.addIssue({ code: 'custom', message: `bad HTTP status ${v}: a status code is 100–599, e.g. 200` });
  });

/** The status (or statuses) a check expects. */
export const httpStatus = z.union([httpStatusCode, z.array(httpStatusCode).min(1)]);

/** A JavaScript regular expression, without slashes, that compiles. */
export const regexSource = z.string().superRefine((v, ctx) => {
  try {
    new RegExp(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `bad regular expression "${v}": ${(err as Error).message}; write a JavaScript regular expression without slashes, e.g. "status.*ok"` });
  }
});

/**
 * An AWS region name. Only what the SDK itself refuses is refused here (a region is one DNS
 * label: letters, digits and dashes), so a private or new region, or a local endpoint's own
 * name, still works.
 */
export const AWS_REGION = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export const awsRegion = z
  .string()
  .superRefine((v, ctx) => {
    if (!AWS_REGION.test(v)) ctx.addIssue({ code: 'custom', message: `bad region "${v}": a region name is letters, digits and dashes, e.g. us-east-1` });
  })
  .meta({ pattern: AWS_REGION.source, examples: ['us-east-1', 'eu-west-1'] });

/**
 * A DNS record name that Route 53 can hold: no empty label (`a..b`, a leading dot), no label
 * over 63 characters, at most 255 with the final dot, no space or control character (Route 53
 * takes other characters as \ooo escapes).
 */
export function dnsNameProblem(name: string): string | undefined {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\s\u0000-\u001f\u007f]/.test(name)) return 'a record name has no spaces or control characters';
  if (bare === '' || bare.split('.').some((l) => l === '')) return 'a record name has no empty labels (no leading dot, no "..")';
  const long = bare.split('.').find((l) => l.length > 63);
  if (long !== undefined) return `a label is at most 63 characters ("${long.slice(0, 20)}…" has ${long.length})`;
  if (bare.length + 1 > 255) return `a record name is at most 255 characters with its final dot (this one has ${bare.length + 1})`;
  return undefined;
}

export const dnsName = z
  .string()
  .min(1)
  .superRefine((v, ctx) => {
    const problem = dnsNameProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `bad record name "${v}": ${problem}; e.g. app.example.com` });
  });
