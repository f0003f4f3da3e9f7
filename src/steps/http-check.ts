/**
 * `http.check`: poll a URL until its status (and optionally its body) match, or give up
 * after `timeout`. Read-only: it runs for real in --dry-run and in `require:` checks.
 * Header values are never shown (they may carry tokens), nor are secret-looking query
 * parameters or a password in the URL.
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from '../runbook/duration.js';
import { duration, fieldsIssue, httpStatus, httpUrl, regexSource } from '../runbook/fields.js';
import { isSecretName, REDACTED } from '../util/redact.js';
import { abortReason, sleep } from '../util/sleep.js';
import { defineStepType } from './descriptor.js';
import { StepError, type PlanLine, type StepContext, type StepImpl, type StepPlan, type StepResult } from './types.js';

const httpCheckWith = z
  .strictObject({
    url: httpUrl,
    method: z.enum(['GET', 'HEAD']).optional(),
    status: httpStatus.optional(),
    body: z.string().optional().describe('Substring the response body must contain'),
    bodyMatches: regexSource.optional().describe('Regular expression the response body must match'),
    headers: z.record(z.string(), z.string()).optional(),
    timeout: duration.optional().describe('Give up after this long (default 30s)'),
    interval: duration.optional().describe('Time between attempts (default 2s)'),
  })
  .superRefine((w, ctx) => {
    if (w.method !== 'HEAD') return;
    for (const field of ['body', 'bodyMatches'] as const) {
      if (w[field] !== undefined) fieldsIssue(ctx, field, ['method', field], `a HEAD request has no body to check with ${field}: use method: GET, or drop ${field}`);
    }
  });
export type HttpCheckWith = z.output<typeof httpCheckWith>;

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_INTERVAL_MS = 2_000;
/** One attempt never waits longer than this for a response (and never past the overall timeout). */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** How much of a body is read for matching; a health endpoint answers in far less. */
const BODY_LIMIT_CHARS = 4 * 1024 * 1024;
/** How much of a body a failure message quotes. */
const EXCERPT_CHARS = 200;

interface Settings {
  url: URL;
  shownUrl: string;
  method: 'GET' | 'HEAD';
  statuses: number[];
  body: string | undefined;
  bodyMatches: RegExp | undefined;
  headers: Record<string, string>;
  timeoutMs: number;
  intervalMs: number;
}

/** The URL as it may be shown: no password, secret-looking query values replaced by `***`. */
export function displayUrl(url: URL): string {
  const shown = new URL(url.href);
  if (shown.password !== '') shown.password = REDACTED;
  const secretParam = (name: string): boolean =>
    isSecretName(name) || /^(sig|signature|auth|x-amz-signature|x-amz-credential|x-amz-security-token)$/i.test(name);
  if ([...shown.searchParams.keys()].some(secretParam)) {
    const kept = [...shown.searchParams].map(([name, value]): [string, string] => [name, secretParam(name) ? REDACTED : value]);
    shown.search = new URLSearchParams(kept).toString();
  }
  return shown.href.replaceAll(encodeURIComponent(REDACTED), REDACTED);
}

function durationOf(text: string | undefined, fallback: number, field: string): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new StepError(`bad ${field} "${text}"`, { hint: 'use a duration such as 500ms, 30s or 5m' });
  return ms;
}

function settingsOf(w: HttpCheckWith): Settings {
  let url: URL;
  try {
    url = new URL(w.url);
  } catch {
    throw new StepError(`not a valid URL: "${w.url}"`, { hint: 'write the whole URL, e.g. https://app.example.com/healthz' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new StepError(`http.check needs an http:// or https:// URL, got "${url.protocol}"`, { hint: 'e.g. https://app.example.com/healthz' });
  const method = w.method ?? 'GET';
  if (method === 'HEAD' && (w.body !== undefined || w.bodyMatches !== undefined))
    throw new StepError('a HEAD request has no body to check', { hint: 'use method: GET with body or bodyMatches' });
  let bodyMatches: RegExp | undefined;
  if (w.bodyMatches !== undefined) {
    try {
      bodyMatches = new RegExp(w.bodyMatches);
    } catch (err) {
      throw new StepError(`bad regular expression in bodyMatches: ${(err as Error).message}`, {
        hint: 'bodyMatches is a JavaScript regular expression, without slashes',
      });
    }
  }
  const statuses = w.status === undefined ? [200] : Array.isArray(w.status) ? w.status : [w.status];
  return {
    url,
    shownUrl: displayUrl(url),
    method,
    statuses,
    body: w.body,
    bodyMatches,
    headers: w.headers ?? {},
    timeoutMs: durationOf(w.timeout, DEFAULT_TIMEOUT_MS, 'timeout'),
    intervalMs: durationOf(w.interval, DEFAULT_INTERVAL_MS, 'interval'),
  };
}

function expectedStatus(statuses: number[]): string {
  return statuses.length === 1 ? String(statuses[0]) : `one of ${statuses.join(', ')}`;
}

function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat);
}

/** Why an attempt did not match, in words; `ok` when it did. */
type Attempt = { ok: true; status: number } | { ok: false; status?: number; why: string };

async function readBody(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.length >= BODY_LIMIT_CHARS) break;
    }
    text += decoder.decode();
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text;
}

/** A fetch failure in words: connection refused, host not found, no response in time, TLS. */
function networkReason(err: unknown, attemptMs: number): string {
  const cause = (err as { cause?: unknown })?.cause;
  const code = (cause as { code?: unknown })?.code ?? (err as { code?: unknown })?.code;
  const name = (err as { name?: unknown })?.name;
  if (name === 'TimeoutError') return `no response within ${formatDuration(attemptMs)}`;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found (DNS)';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'no response in time';
    case 'UND_ERR_SOCKET':
      return 'connection closed by the server';
    default:
      break;
  }
  if (typeof code === 'string' && /CERT|SSL|TLS/i.test(code)) return `TLS error: ${code}`;
  const msg = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code}: ${msg}` : msg;
}

async function attempt(ctx: StepContext, s: Settings, attemptMs: number): Promise<Attempt> {
  const timeout = AbortSignal.timeout(Math.max(1, attemptMs));
  const signal = AbortSignal.any([ctx.signal, timeout]);
  let res: Response;
  try {
    res = await fetch(s.url, { method: s.method, headers: s.headers, redirect: 'follow', signal });
  } catch (err) {
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    return { ok: false, why: networkReason(err, attemptMs) };
  }
  try {
    const status = res.status;
    if (!s.statuses.includes(status)) {
      await res.body?.cancel().catch(() => undefined);
      return { ok: false, status, why: `last status ${status} (expected ${expectedStatus(s.statuses)})` };
    }
    if (s.body === undefined && s.bodyMatches === undefined) {
      await res.body?.cancel().catch(() => undefined);
      return { ok: true, status };
    }
    const body = await readBody(res);
    if (s.body !== undefined && !body.includes(s.body))
      return { ok: false, status, why: `status ${status} but the body did not contain ${JSON.stringify(s.body)} (body: ${excerpt(body)})` };
    if (s.bodyMatches !== undefined && !s.bodyMatches.test(body))
      return { ok: false, status, why: `status ${status} but the body did not match /${s.bodyMatches.source}/ (body: ${excerpt(body)})` };
    return { ok: true, status };
  } catch (err) {
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    return { ok: false, status: res.status, why: `reading the body failed: ${networkReason(err, attemptMs)}` };
  }
}

function checkText(s: Settings): string {
  const parts = [`${s.method} ${s.shownUrl} until status ${expectedStatus(s.statuses)}`];
  if (s.body !== undefined) parts.push(`body contains ${JSON.stringify(s.body)}`);
  if (s.bodyMatches !== undefined) parts.push(`body matches /${s.bodyMatches.source}/`);
  return parts.join(', ');
}

export const httpCheckStep: StepImpl<HttpCheckWith> = {
  type: 'http.check',

  async plan(_ctx: StepContext, w: HttpCheckWith): Promise<StepPlan> {
    const s = settingsOf(w);
    const lines: PlanLine[] = [
      { kind: 'info', text: `check ${checkText(s)}` },
      { kind: 'info', text: `give up after ${formatDuration(s.timeoutMs)}, trying every ${formatDuration(s.intervalMs)}` },
    ];
    const headerNames = Object.keys(s.headers);
    if (headerNames.length > 0) lines.push({ kind: 'info', text: `headers: ${headerNames.join(', ')} (values not shown)` });
    return { summary: `check ${s.method} ${s.shownUrl}`, lines, counts: { checks: 1 }, mutating: false };
  },

  async execute(ctx: StepContext, w: HttpCheckWith): Promise<StepResult> {
    const s = settingsOf(w);
    const started = Date.now();
    const deadline = started + s.timeoutMs;
    ctx.out.info(`checking ${checkText(s)} (up to ${formatDuration(s.timeoutMs)})`);
    let attempts = 0;
    let last: Attempt | undefined;
    for (;;) {
      if (ctx.signal.aborted) throw abortReason(ctx.signal);
      attempts++;
      const remaining = Math.max(0, deadline - Date.now());
      const result = await attempt(ctx, s, Math.min(ATTEMPT_TIMEOUT_MS, Math.max(remaining, 100)));
      if (result.ok) {
        const took = formatDuration(Date.now() - started);
        return {
          outputs: { status: result.status },
          summary: `${s.method} ${s.shownUrl}: ${result.status} after ${attempts} attempt${attempts === 1 ? '' : 's'} (${took})`,
        };
      }
      // Tell the operator when the picture changes, not on every attempt.
      if (last === undefined || last.ok || last.why !== result.why) ctx.out.info(`attempt ${attempts}: ${result.why}`);
      last = result;
      const left = deadline - Date.now();
      if (left <= 0) break;
      // The last attempt may start at the deadline: a service that just came up still counts.
      await sleep(Math.min(s.intervalMs, left), ctx.signal);
    }
    const why = last && !last.ok ? last.why : 'no attempt completed';
    throw new StepError(
      `${s.method} ${s.shownUrl} never matched in ${formatDuration(s.timeoutMs)} (${attempts} attempt${attempts === 1 ? '' : 's'}): ${why}`,
      {
        hint:
          last && !last.ok && last.status === undefined
            ? 'nothing answered at that address: check the URL, that the service is up, and that this machine can reach it'
            : 'the service answered but not as expected: check its health, or raise timeout if it needs longer to become ready',
      },
    );
  },
};

export const httpCheckType = defineStepType({
  type: 'http.check',
  description: 'Polls a URL until the status (and body) match, or the timeout passes. Read-only.',
  with: httpCheckWith,
  outputs: ['status'],
  undo: 'none',
  readOnly: true,
  check: true,
  load: async () => httpCheckStep,
});
