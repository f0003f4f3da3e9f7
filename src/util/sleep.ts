/** Sleeping that an AbortSignal can cut short, for waits and polling loops. */
import { setTimeout as delay } from 'node:timers/promises';

/** setTimeout fires at once for delays above this (about 24.8 days); longer sleeps are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The error to throw when `signal` aborted: its reason when that is an Error (the engine's
 * own interrupt error, or the DOMException `AbortError` of a bare `abort()`), otherwise an
 * Error named `AbortError` carrying the reason as its cause.
 */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error('the operation was aborted', reason === undefined ? undefined : { cause: reason });
  err.name = 'AbortError';
  return err;
}

/** Whether `err` is what an aborted signal produced (by our helpers, fetch or execa). */
export function isAbortError(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted && err === signal.reason) return true;
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR');
}

/**
 * Resolve after `ms` milliseconds; reject with `abortReason(signal)` as soon as the signal
 * aborts. node:timers/promises does the waiting; what is kept here is what it lacks: the
 * rejection is the signal's own reason (the engine's interrupt error), and sleeps longer
 * than a timer can hold (about 24.8 days: a `wait` step may say 30d) are chained.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  const end = Date.now() + Math.max(0, ms);
  for (;;) {
    if (signal?.aborted) throw abortReason(signal);
    const left = end - Date.now();
    if (left <= 0) return;
    try {
      await delay(Math.min(left, MAX_TIMER_MS), undefined, signal ? { signal } : undefined);
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      throw err;
    }
  }
}
