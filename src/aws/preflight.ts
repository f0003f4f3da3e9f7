/**
 * The AWS preflight: before a run's first step (run, rehearse, verify, resume, rollback,
 * and plan), check that lifeboat can act in AWS at all — the profile exists, a region is
 * configured for the regional services the runbook uses, and the credentials work
 * (`sts:GetCallerIdentity`, read-only, once). Anything wrong is refused in one line that
 * says how to fix it (exit 3, nothing changed) instead of failing at the first AWS step,
 * after earlier steps acted. The identity found is shown and kept on the clients
 * (`aws.identity`), so the run can journal it.
 *
 * A runbook without AWS steps (and without an S3 lock) makes no AWS call at all.
 */
import { RefusedError } from '../errors.js';
import type { Runbook } from '../runbook/model.js';
import { stepType } from '../steps/catalogue.js';
import type { AwsClients, AwsIdentity, AwsService } from './clients.js';

export interface PreflightInput {
  runbook: Pick<Runbook, 'steps'> & { require?: Runbook['require'] | undefined };
  aws: AwsClients;
  /** `--lock s3://…` (or the lock a journaled run used): the lock is kept in S3. */
  lock?: string | undefined;
  /** Where to show who lifeboat acts as (one line). */
  say?: (line: string) => void;
}

/** The AWS services a runbook's steps call, from each step type's declaration (src/steps/). */
export function awsServicesOf(runbook: PreflightInput['runbook'], lock?: string): Set<AwsService> {
  const services = new Set<AwsService>();
  for (const step of [...(runbook.require ?? []), ...runbook.steps]) {
    for (const s of stepType(step.type).awsServices ?? []) services.add(s);
  }
  if (lock?.startsWith('s3://')) services.add('S3');
  return services;
}

const GLOBAL: ReadonlySet<AwsService> = new Set<AwsService>(['Route 53', 'STS']);

/** Check AWS before the first step; the identity, or undefined when the runbook uses no AWS service. Throws RefusedError (exit 3). */
export async function preflightAws({ runbook, aws, lock, say }: PreflightInput): Promise<AwsIdentity | undefined> {
  const services = awsServicesOf(runbook, lock);
  if (services.size === 0) return undefined;
  const names = [...services].join(' and ');
  const profile = aws.profile;
  if (profile !== undefined && profile !== 'default' && !(await profileExists(profile))) {
    refuse(
      `the AWS profile "${profile}" is not in the shared config or credentials file (${configFiles()}): check the name (aws configure list-profiles) or create it (aws configure --profile ${profile})`,
    );
  }

  const regional = [...services].some((s) => !GLOBAL.has(s));
  let region: string | undefined;
  if (regional) {
    try {
      region = await aws.resolvedRegion();
    } catch (err) {
      refuse(
        `no AWS region is configured for the ${names} steps (${errorText(err)}): pass --region <region>, set AWS_REGION, or set one in the profile (aws configure set region <region>${profile ? ` --profile ${profile}` : ''})`,
      );
    }
  }

  let answer: { Account?: string | undefined; Arn?: string | undefined; UserId?: string | undefined };
  try {
    const [{ GetCallerIdentityCommand }, sts] = await Promise.all([import('@aws-sdk/client-sts'), aws.sts({ global: !regional })]);
    answer = await sts.send(new GetCallerIdentityCommand({}));
  } catch (err) {
    refuse(explainCredentialError(err, { profile, endpoint: aws.endpoint('STS'), services: names }));
  }
  const identity: AwsIdentity = { account: answer.Account ?? 'unknown', arn: answer.Arn ?? 'unknown', userId: answer.UserId ?? 'unknown', region, profile };
  aws.identity = identity;
  say?.(`AWS: account ${identity.account} as ${identity.arn}${profile ? `, profile ${profile}` : ''}${region ? `, region ${region}` : ''}${aws.endpoint('STS') ? `, endpoint ${aws.endpoint('STS')}` : ''}`);
  return identity;
}

function refuse(what: string): never {
  throw new RefusedError({ what: `AWS preflight: ${what}; nothing was changed` });
}

async function profileExists(name: string): Promise<boolean> {
  const { loadSharedConfigFiles } = await import('@smithy/core/config');
  try {
    const files = await loadSharedConfigFiles({ ignoreCache: true });
    return name in files.configFile || name in files.credentialsFile;
  } catch {
    return false;
  }
}

function configFiles(): string {
  const config = process.env.AWS_CONFIG_FILE ?? '~/.aws/config';
  const credentials = process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials';
  return `${config}, ${credentials}`;
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  cause?: unknown;
}

/** One line: what is wrong with the credentials (or the way to STS), and the fix. */
export function explainCredentialError(err: unknown, where: { profile?: string | undefined; endpoint?: string | undefined; services: string }): string {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkErrorShape;
  const name = e.name ?? '';
  const message = (e.message ?? '').split('\n')[0] ?? '';
  const code = e.code ?? (typeof e.cause === 'object' && e.cause !== null ? (e.cause as SdkErrorShape).code : undefined) ?? '';
  const profileFlag = where.profile ? ` --profile ${where.profile}` : '';
  const sts = where.endpoint ? `STS at ${where.endpoint}` : 'AWS STS';

  if (/sso/i.test(message) || /sso/i.test(name)) {
    return `the AWS SSO session${where.profile ? ` of profile ${where.profile}` : ''} has expired or is not logged in (${message}): run aws sso login${profileFlag}, then try again`;
  }
  if (/^Expired/i.test(name) || /expired/i.test(message)) {
    return `the AWS credentials have expired (${name || message}): refresh them (aws sso login${profileFlag}, or new session credentials), then try again`;
  }
  if (name === 'CredentialsProviderError' || /could not load credentials|resolve credentials/i.test(message)) {
    return `no AWS credentials found for the ${where.services} steps (${message}): set AWS_PROFILE or pass --profile, run aws configure${profileFlag}, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
  }
  if (['InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException', 'InvalidAccessKeyId', 'AccessDenied', 'AccessDeniedException'].includes(name)) {
    return `${sts} rejected the credentials (${name}: ${message}): check which credentials are in use (aws sts get-caller-identity${profileFlag}) and fix or replace them`;
  }
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)$/.test(code) || name === 'TimeoutError') {
    return `cannot reach ${sts} (${code || name}): check the network, a proxy, or the configured endpoint (AWS_ENDPOINT_URL, the profile's endpoint_url)`;
  }
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) {
    const attempts = e.$metadata?.attempts;
    return `${sts} answered HTTP ${status}${attempts ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : ''}: AWS (or the configured endpoint) is unavailable; try again later, or raise AWS_MAX_ATTEMPTS`;
  }
  if (/region/i.test(message)) {
    return `no AWS region is configured (${message}): pass --region <region>, set AWS_REGION, or set one in the profile (aws configure set region <region>${profileFlag})`;
  }
  return `sts:GetCallerIdentity failed (${name ? `${name}: ` : ''}${message}): check the credentials (aws sts get-caller-identity${profileFlag})`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
