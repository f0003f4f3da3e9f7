/**
 * Typed confirmations per step type (contract §4): the text the operator types, and how it
 * is compared. Pure data about the step types, kept with them so that code outside
 * src/steps/ need not name a type. No SDK is loaded here.
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

/** Whether what was typed matches: record names ignore case and the final dot; the rest must be exact. */
export function confirmationTextMatches(type: StepTypeName, expected: string, typed: string): boolean {
  const a = typed.trim();
  if (CONFIRMATIONS[type]?.dnsName) return withoutDot(a).toLowerCase() === withoutDot(expected).toLowerCase();
  return a === expected;
}
