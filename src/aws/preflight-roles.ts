/**
 * Before anything changes: every role the runbook's steps act with is assumed once (STS
 * AssumeRole, then GetCallerIdentity with its credentials), so a role that cannot be assumed
 * refuses the run (exit 3, naming the role and its steps) instead of failing half-way.
 */
import { RefusedError } from '../errors.js';
import type { AwsClients } from './clients.js';
import { scopeKey, type AwsScope } from './scope.js';

export interface ScopedStep {
  id: string;
  aws?: AwsScope | undefined;
}

export async function preflightRoles(aws: AwsClients, steps: readonly ScopedStep[]): Promise<void> {
  const byScope = new Map<string, { scope: AwsScope; steps: string[] }>();
  for (const s of steps) {
    if (!s.aws?.roleArn) continue;
    const key = scopeKey(s.aws);
    const entry = byScope.get(key) ?? { scope: s.aws, steps: [] };
    entry.steps.push(s.id);
    byScope.set(key, entry);
  }
  for (const { scope, steps: ids } of byScope.values()) {
    const clients = aws.forScope(scope);
    try {
      await clients.resolveCredentials();
      const who = await clients.actedAs();
      const expected = /^arn:[^:]+:iam::(\d{12}):/.exec(scope.roleArn ?? '')?.[1];
      if (expected !== undefined && who.account !== expected)
        throw new Error(`the assumed role acts in account ${who.account}, not ${expected} as its ARN says`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const hint = err && typeof err === 'object' && typeof (err as { hint?: unknown }).hint === 'string' ? (err as { hint: string }).hint : undefined;
      throw new RefusedError({
        what: `cannot act as role ${scope.roleArn ?? '?'}${scope.profile ? ` (base profile ${scope.profile})` : ''}, needed by step${ids.length === 1 ? '' : 's'} ${ids.join(', ')}: ${reason}`,
        hint: `${hint ?? 'check the role ARN, its trust policy and externalId, and the base credentials'}; nothing was changed`,
        cause: err,
      });
    }
  }
}
