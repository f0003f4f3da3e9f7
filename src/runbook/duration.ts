/** Durations in runbooks: `500ms`, `30s`, `5m`, `1h`, `1d`, or combined like `1h30m`. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The same rule as a JSON Schema pattern (editors). */
export const DURATION_PATTERN = '^(?:\\d+(?:ms|s|m|h|d))+$';
const WHOLE = new RegExp(DURATION_PATTERN);
const PART = /(\d+)(ms|s|m|h|d)/g;

export function isDuration(text: string): boolean {
  return WHOLE.test(text);
}

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return total;
}

/** `3725000` → `1h2m5s`; sub-second values keep milliseconds. */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return parts.join('');
}

/**
 * The longest a timer holds: 2^31-1 ms (about 24.8 days). Node fires a longer setTimeout or
 * AbortSignal.timeout after 1 ms instead (a `timeout: 30d` would kill the step at once), so
 * every length lifeboat waits for or times out after is refused above it by the loader.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** MAX_TIMER_MS in runbook words, rounded down: `24d20h31m23s`. */
export const MAX_TIMER_TEXT = formatDuration(Math.floor(MAX_TIMER_MS / 1000) * 1000);

export const DURATION_HINT = 'a duration is a number and a unit: 500ms, 30s, 5m, 1h, 1d (or combined, 1h30m)';
