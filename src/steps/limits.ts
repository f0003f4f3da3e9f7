/** Blast-radius limits: a step whose plan exceeds one refuses before its first write. Pure. */
import type { Limits } from '../runbook/schema.js';
import type { PlanCounts } from '../steps/types.js';

/** Safe defaults; a runbook raises them per step with `limits:`. */
export const DEFAULT_LIMITS: Required<Limits> = {
  maxChanges: 20,
  maxDeletes: 5,
  maxObjects: 100_000,
  maxBytes: 1024 ** 4,
};

export interface LimitBreach {
  limit: keyof Limits;
  planned: number;
  allowed: number;
}

export function checkLimits(counts: PlanCounts, limits: Limits | undefined): LimitBreach[] {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const breaches: LimitBreach[] = [];
  const check = (limit: keyof Limits, planned: number | undefined): void => {
    if (planned !== undefined && planned > l[limit]) breaches.push({ limit, planned, allowed: l[limit] });
  };
  check('maxChanges', counts.records);
  check('maxDeletes', counts.deletes);
  check('maxObjects', counts.objects);
  check('maxBytes', counts.bytes);
  return breaches;
}

export function describeBreaches(breaches: LimitBreach[]): string {
  return breaches.map((b) => `${b.limit}: planned ${b.planned}, limit ${b.allowed}`).join('; ');
}
