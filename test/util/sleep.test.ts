import { describe, expect, it } from 'vitest';
import { abortReason, isAbortError, sleep } from '../../src/util/sleep.js';

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const started = Date.now();
    await sleep(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('rejects promptly when the signal aborts, with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('operator pressed Ctrl-C');
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    await expect(sleep(10_000, controller.signal)).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects at once when already aborted, with an AbortError', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await sleep(10_000, controller.signal).catch((e: unknown) => e);
    expect(isAbortError(err, controller.signal)).toBe(true);
    expect((err as Error).name).toBe('AbortError');
  });

  it('wraps a non-Error reason in an AbortError', () => {
    const controller = new AbortController();
    controller.abort('stop');
    const err = abortReason(controller.signal);
    expect(err.name).toBe('AbortError');
    expect(err.cause).toBe('stop');
  });
});
