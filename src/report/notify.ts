/**
 * --notify <url>: POST the JSON report when a run ends (success or failure), for a chat
 * relay, an incident tool or a webhook receiver. Each attempt has a timeout (10 s); a
 * refused connection, a timeout, 408, 429 and 5xx are retried a few times with growing
 * pauses (Retry-After honoured, capped); other answers are final. It never throws: the
 * caller reports a failed notification as a warning and keeps the run's exit code, so a
 * chat outage never turns a passing verification into a failing one.
 *
 * Webhook URLs often carry a token (Slack, Teams): messages name only the URL's origin.
 */

export interface NotifyOptions {
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Attempts in all, the first included. Default 3. */
  attempts?: number;
  /** Pause before the second attempt; doubled each time. Default 1 s. */
  backoffMs?: number;
  /** Longest pause between attempts, Retry-After included. Default 10 s. */
  maxBackoffMs?: number;
  userAgent?: string;
  /** For tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface NotifyResult {
  ok: boolean;
  attempts: number;
  /** The last HTTP status, when there was an answer. */
  status?: number;
  /** Why it failed, for a warning; names only the URL's origin. */
  error?: string;
}

/** The part of a URL that is safe to print: scheme, host and port. */
export function safeUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '<invalid url>';
  }
}

/** Undefined when the URL is usable, else why not (checked before a run starts). */
export function checkNotifyUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `--notify needs an http:// or https:// URL, not "${url}"`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `--notify needs an http:// or https:// URL, not ${u.protocol}`;
  return undefined;
}

const retryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function causeText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'no answer in time';
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return err.message;
}

export async function notify(url: string, body: unknown, options: NotifyOptions = {}): Promise<NotifyResult> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBackoff = options.maxBackoffMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const payload = JSON.stringify(body);
  const where = safeUrl(url);
  let last: NotifyResult = { ok: false, attempts: 0, error: 'not sent' };

  for (let attempt = 1; attempt <= attempts; attempt++) {
    let wait = Math.min(maxBackoff, (options.backoffMs ?? 1000) * 2 ** (attempt - 1));
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': options.userAgent ?? 'lifeboat' },
        body: payload,
        signal,
      });
      // Read the answer so the connection is released; its content does not matter.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: attempt, status: res.status };
      last = { ok: false, attempts: attempt, status: res.status, error: `${where} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}` };
      if (!retryable(res.status)) return last;
      wait = Math.min(maxBackoff, retryAfterMs(res.headers.get('retry-after')) ?? wait);
    } catch (err) {
      last = { ok: false, attempts: attempt, error: `cannot reach ${where}: ${causeText(err)}` };
    }
    if (attempt < attempts) await sleep(wait);
  }
  return { ...last, error: `${last.error ?? 'failed'} (after ${attempts} attempt${attempts === 1 ? '' : 's'})` };
}
