/**
 * Which account, region and role a step acts with (`aws: { region, profile, roleArn,
 * externalId }` on a step or the runbook), and the AWS layer's own error type.
 *
 * A role is assumed with STS AssumeRole from the base credentials (the profile's, else the
 * SDK chain), with a session name naming the run, and the credentials are refreshed
 * before they expire. Clients are made once per (region, profile, role, external id).
 */
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** A step's `aws:` block, as written (merged over the runbook's). */
export interface AwsScope {
  region?: string | undefined;
  profile?: string | undefined;
  roleArn?: string | undefined;
  externalId?: string | undefined;
}

/** Who a step acted as: journaled in its undo record, so the undo acts the same way. */
export interface ActedAs {
  account: string;
  region: string | undefined;
  roleArn?: string;
  profile?: string;
}

/**
 * An AWS-layer failure with what to do next. src/aws raises these (not steps' StepError);
 * the engine and the CLI read `hint` from any error that has one.
 */
export class AwsError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AwsError';
    this.hint = options?.hint;
  }
}

export function scopeKey(s: AwsScope): string {
  return JSON.stringify([s.region ?? '', s.profile ?? '', s.roleArn ?? '', s.externalId ?? '']);
}

/**
 * The scope to journal with an undo record: what is needed to act the same way again. The
 * region is always kept, also when it came from --region, AWS_REGION or the profile rather
 * than the step's `aws:`: an undo run from another shell acts where the change was made.
 */
export function scopeOf(acted: ActedAs | undefined, scope: AwsScope | undefined): AwsScope | undefined {
  const out: AwsScope = {};
  const region = scope?.region ?? acted?.region;
  if (region !== undefined) out.region = region;
  if (scope?.profile !== undefined) out.profile = scope.profile;
  if (scope?.roleArn !== undefined) out.roleArn = scope.roleArn;
  if (scope?.externalId !== undefined) out.externalId = scope.externalId;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** An STS role session name: 2–64 characters of [\w+=,.@-]. */
export function sessionNameFor(runId: string | undefined): string {
  const name = `lifeboat-${runId ?? 'session'}`.replace(/[^\w+=,.@-]/g, '-');
  return name.slice(0, 64);
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

export function isRoleArn(value: string): boolean {
  return ROLE_ARN.test(value);
}

/** The account id in a role ARN. */
export function accountOfRole(roleArn: string): string | undefined {
  return /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn)?.[1];
}

interface AssumeOptions {
  roleArn: string;
  externalId?: string | undefined;
  sessionName: string;
  /** Seconds (default 3600). */
  durationSeconds?: number;
}

/**
 * Credentials of an assumed role, fetched on first use and again 5 minutes before they
 * expire. A failure says which role could not be assumed and what to check.
 */
export function assumeRoleProvider(sts: () => Promise<STSClient>, o: AssumeOptions): AwsCredentialIdentityProvider {
  let cached: Promise<AwsCredentialIdentity> | undefined;
  const fetch = async (): Promise<AwsCredentialIdentity> => {
    if (!isRoleArn(o.roleArn))
      throw new AwsError(`cannot assume role "${o.roleArn}": not an IAM role ARN`, { hint: 'write it as arn:aws:iam::<12-digit account>:role/<name>' });
    const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    const client = await sts();
    let res;
    try {
      res = await client.send(
        new AssumeRoleCommand({
          RoleArn: o.roleArn,
          RoleSessionName: o.sessionName,
          DurationSeconds: o.durationSeconds ?? 3600,
          ...(o.externalId === undefined ? {} : { ExternalId: o.externalId }),
        }),
      );
    } catch (err) {
      const name = err instanceof Error ? err.name : 'Error';
      const message = err instanceof Error ? err.message : String(err);
      throw new AwsError(`cannot assume role ${o.roleArn}: ${name}: ${message}`, {
        hint: `check that the base credentials may call sts:AssumeRole on ${o.roleArn}, that the role's trust policy allows them${o.externalId === undefined ? '' : ' with this externalId'}, and that the role exists`,
        cause: err,
      });
    }
    const c = res.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new AwsError(`cannot assume role ${o.roleArn}: STS returned no credentials`, { hint: 'try again; if it persists, check the role in IAM' });
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: new Date(c.Expiration) } : {}),
    };
  };
  return async () => {
    const now = Date.now();
    if (cached) {
      const c = await cached.catch(() => undefined);
      if (c && (!c.expiration || c.expiration.getTime() - now > 5 * 60_000)) return c;
    }
    cached = fetch();
    cached.catch(() => {
      cached = undefined;
    });
    return cached;
  };
}
