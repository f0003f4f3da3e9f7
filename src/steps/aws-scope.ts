/**
 * The AWS clients a step acts with: its `aws:` (merged over the runbook's by the loader), or,
 * for an undo, the scope journaled in its undo record, so the undo acts in the same
 * account, region and role as the change did, whatever the runbook says now.
 */
import type { AwsClients } from '../aws/clients.js';
import { scopeOf, type ActedAs, type AwsScope } from '../aws/scope.js';
import { StepError, type StepContext } from './types.js';

/** What a step journals about where it acted: account, region, role, and the scope to act the same way again. */
export interface ActedWith {
  account: string;
  region?: string;
  roleArn?: string;
  profile?: string;
  /** The `aws:` to use for the undo (absent: the run's defaults). */
  scope?: AwsScope;
}

/** Clients for the step's own `aws:` (forward: plan, execute, verify). */
export function stepClients(ctx: Pick<StepContext, 'aws' | 'step'>): AwsClients {
  return ctx.aws.forScope(ctx.step.aws);
}

/**
 * Clients for an undo: the scope the change was made with, as journaled; else the step's.
 * They must reach the account the change was made in: credentials for another account (a
 * rollback run with another profile) are refused before anything is read or written.
 */
export async function undoClients(ctx: Pick<StepContext, 'aws' | 'step'>, acted: unknown): Promise<AwsClients> {
  const scope = isActedWith(acted) ? acted.scope : undefined;
  const clients = scope ? ctx.aws.forScope(scope) : stepClients(ctx);
  if (isActedWith(acted) && acted.account !== 'unknown') {
    // Who we are now is asked once per scope; not knowing it (no sts permission) is not a refusal.
    const now = await clients.actedAs().catch(() => undefined);
    if (now !== undefined && now.account !== 'unknown' && now.account !== acted.account) throw new WrongAccountError(ctx.step.id, acted, now.account);
  }
  return clients;
}

/** The credentials an undo would act with are for another account than the change was made in. */
export class WrongAccountError extends StepError {
  constructor(
    readonly stepId: string,
    acted: ActedWith,
    now: string,
  ) {
    super(`the undo of ${stepId} must act in account ${acted.account}${acted.region ? ` (${acted.region})` : ''}, where the change was made, but the credentials now are for account ${now}: nothing was done`, {
      hint: `roll back with the credentials the run used (the same AWS_PROFILE or --profile${acted.roleArn ? `, able to assume ${acted.roleArn}` : ''})`,
    });
    this.name = 'WrongAccountError';
  }
}

/** Who the clients act as, for the undo record: asks STS once per scope. */
export async function actedWith(clients: AwsClients, scope: AwsScope | undefined): Promise<ActedWith> {
  // Who we are is for the record: a step is not failed for want of sts:GetCallerIdentity.
  const who: ActedAs = await clients.actedAs().catch(() => ({ account: 'unknown', region: clients.region(), ...(clients.roleArn ? { roleArn: clients.roleArn } : {}) }));
  const s = scopeOf(who, scope);
  return {
    account: who.account,
    ...(who.region === undefined ? {} : { region: who.region }),
    ...(who.roleArn === undefined ? {} : { roleArn: who.roleArn }),
    ...(who.profile === undefined ? {} : { profile: who.profile }),
    ...(s === undefined ? {} : { scope: s }),
  };
}

export function isActedWith(v: unknown): v is ActedWith {
  return typeof v === 'object' && v !== null && typeof (v as ActedWith).account === 'string';
}

/** ` (account 222222222222, us-west-2, role arn:…)` for messages. */
export function whereText(a: ActedWith | undefined): string {
  if (!a) return '';
  const parts = [`account ${a.account}`];
  if (a.region) parts.push(a.region);
  if (a.roleArn) parts.push(`role ${a.roleArn}`);
  return ` (${parts.join(', ')})`;
}
