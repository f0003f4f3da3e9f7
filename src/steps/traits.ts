/**
 * What the rest of lifeboat needs to know about particular step types, kept with the step
 * types so that code outside src/steps/ need not name one: typed confirmation texts
 * (contract §4) and how they compare, which types the operator confirms as done by hand,
 * which read-only types a plan runs for real. Pure: no SDK is loaded here.
 */
import type { StepTypeName } from '../runbook/step-types.js';

interface Confirmation {
  /** The text to type, from the resolved `with`; undefined: the step id. */
  text(w: Record<string, unknown>): string | undefined;
  /** Record names: the final dot optional, case-insensitive. */
  dnsName?: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const withoutDot = (v: string): string => v.replace(/\.$/, '');

const CONFIRMATIONS: Partial<Record<StepTypeName, Confirmation>> = {
  'route53.change-records': {
    text: (w) => {
      const first = Array.isArray(w.changes) ? (w.changes[0] as { name?: unknown } | undefined) : undefined;
      const name = str(first?.name);
      return name === undefined ? undefined : withoutDot(name);
    },
    dnsName: true,
  },
  's3.restore': { text: (w) => str(w.target) },
  'route53.shift-weights': { text: (w) => (str(w.name) === undefined ? undefined : withoutDot(str(w.name) as string)), dnsName: true },
  'rds.failover-cluster': { text: (w) => str(w.clusterId) },
  'rds.promote-replica': { text: (w) => str(w.instanceId) },
  'autoscaling.set-capacity': { text: (w) => str(w.group) },
};

/** The text to type for a step of this type: its record name, target, cluster, instance or group; else the step id. */
export function confirmationText(type: StepTypeName, stepId: string, resolvedWith: Record<string, unknown>): string {
  return CONFIRMATIONS[type]?.text(resolvedWith) ?? stepId;
}

/** The operator confirms a step of this type as done by hand (`--confirm <id>=done` without a TTY). */
export function confirmedAsDone(type: string): boolean {
  return type === 'manual';
}

/** A read-only step of this type is run for real by `plan` when a later step needs its outputs (not `wait`: it only waits). */
export function runsInPlan(type: string): boolean {
  return type !== 'wait';
}

/** Whether what was typed matches: record names ignore case and the final dot; the rest must be exact. */
export function confirmationTextMatches(type: StepTypeName, expected: string, typed: string): boolean {
  const a = typed.trim();
  if (CONFIRMATIONS[type]?.dnsName) return withoutDot(a).toLowerCase() === withoutDot(expected).toLowerCase();
  return a === expected;
}
