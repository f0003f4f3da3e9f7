/**
 * `wait`: let time pass (DNS TTLs, caches, replication). Read-only, so it waits in
 * --dry-run too; an interrupt ends it at once.
 */
import { formatDuration, parseDuration } from '../runbook/duration.js';

/** A wait as long as it is: 1500ms stays 1500ms (formatDuration rounds to seconds). */
const exactly = (ms: number): string => (ms % 1000 === 0 ? formatDuration(ms) : `${ms}ms`);
import { z } from 'zod';
import { duration } from '../runbook/fields.js';
import { sleep } from '../util/sleep.js';
import { defineStepType } from './descriptor.js';
import { StepError, type StepContext, type StepImpl, type StepPlan, type StepResult } from './types.js';

const waitWith = z.strictObject({
  duration,
});
export type WaitWith = z.output<typeof waitWith>;

function durationMs(w: WaitWith): number {
  const ms = parseDuration(w.duration);
  if (ms === undefined) throw new StepError(`bad duration "${w.duration}"`, { hint: 'use a duration such as 30s, 5m or 1h' });
  return ms;
}

export const waitStep: StepImpl<WaitWith> = {
  type: 'wait',

  async plan(_ctx: StepContext, w: WaitWith): Promise<StepPlan> {
    const ms = durationMs(w);
    return { summary: `wait ${w.duration}`, lines: [{ kind: 'info', text: `wait ${exactly(ms)}` }], counts: {}, mutating: false };
  },

  async execute(ctx: StepContext, w: WaitWith): Promise<StepResult> {
    const ms = durationMs(w);
    const until = new Date(ctx.now().getTime() + ms);
    ctx.out.info(`waiting ${exactly(ms)} (until ${until.toISOString().replace(/\.\d+Z$/, 'Z')})`);
    await sleep(ms, ctx.signal);
    return { outputs: {}, summary: `waited ${exactly(ms)}` };
  },
};

export const waitType = defineStepType({
  type: 'wait',
  description: 'Waits with.duration.',
  with: waitWith,
  outputs: [],
  undo: 'none',
  readOnly: true,
  // It only waits: a plan has nothing to learn from running it.
  runsInPlan: false,
  load: async () => waitStep,
});
