import { describe, expect, it } from 'vitest';
import { waitStep } from '../../src/steps/wait.js';
import { testContext, testStep } from '../helpers/step-context.js';

describe('wait', () => {
  it('waits the duration', async () => {
    const ctx = testContext(testStep('wait', { duration: '50ms' }));
    const started = Date.now();
    const result = await waitStep.execute(ctx, { duration: '50ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(result.outputs).toEqual({});
    expect(ctx.lines.join('\n')).toMatch(/waiting 50ms/);
  });

  it('ends early, with the abort reason, when the run is interrupted', async () => {
    const controller = new AbortController();
    const ctx = testContext(testStep('wait', { duration: '10s' }), { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const err = await waitStep.execute(ctx, { duration: '10s' }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('still waits in a dry run (it is read-only)', async () => {
    const ctx = testContext(testStep('wait', { duration: '200ms' }), { dryRun: true });
    const started = Date.now();
    await waitStep.execute(ctx, { duration: '200ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('plans as a read-only wait', async () => {
    const ctx = testContext(testStep('wait', { duration: '1h30m' }));
    const plan = await waitStep.plan(ctx, { duration: '1h30m' });
    expect(plan.summary).toBe('wait 1h30m');
    expect(plan.lines.map((l) => l.text)).toEqual(['wait 1h30m']);
    expect(plan.mutating).toBe(false);
    expect(waitStep.rollback).toBeUndefined();
  });

  it('says a wait of 1500ms as it is, not rounded to 2s', async () => {
    const ctx = testContext(testStep('wait', { duration: '1500ms' }));
    const plan = await waitStep.plan(ctx, { duration: '1500ms' });
    expect(plan.lines.map((l) => l.text)).toEqual(['wait 1500ms']);
    const short = testContext(testStep('wait', { duration: '1s20ms' }));
    const result = await waitStep.execute(short, { duration: '1s20ms' });
    expect(result.summary).toBe('waited 1020ms');
  });
});
