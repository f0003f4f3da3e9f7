/**
 * AWS clients, created on first use (so `lifeboat --help` and `validate` never load an
 * SDK). Credentials come from the standard SDK chain; AWS_ENDPOINT_URL and the
 * per-service AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_ROUTE_53 are read from the given
 * environment (passed explicitly, so a test's env is honoured), and S3 switches to
 * path-style addressing whenever an endpoint is set.
 * Every client counts its requests by command name, so steps can report `requests` and
 * tests/benchmarks can assert on them.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, FinalizeRequestMiddleware, FinalizeRequestHandlerOptions, InitializeHandlerOptions, InitializeMiddleware } from '@smithy/types';
import { AwsError, assumeRoleProvider, scopeKey, type AwsScope, type ActedAs } from './scope.js';

export interface AwsOptions {
  region?: string | undefined;
  profile?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Total attempts per call, including the first (throttling and 5xx are retried). */
  maxAttempts?: number;
  /**
   * plan and --dry-run: every client refuses, before sending, every operation that is not
   * read-only by its name (see isReadOnlyCommand), whatever the service: read-only by
   * construction, so a new client or a new step cannot escape it.
   */
  readOnly?: boolean;
  /** Credentials instead of the SDK chain: an assumed role's (see forScope). */
  credentials?: AwsCredentialIdentityProvider;
  /** The role these clients act as, when assumed (journaled with what a step did). */
  roleArn?: string | undefined;
  /** The run, for the STS session name (`lifeboat-<run id>`). */
  sessionName?: string | undefined;
}

/** What clients made for another scope share with the clients they were made from. */
interface Shared {
  counts: Record<string, number>;
  refused: string[];
  scoped: Map<string, AwsClients>;
  identities: Map<string, Promise<ActedAs>>;
}

export interface RequestCounter {
  /** Commands sent (each retry counts), by command name, e.g. { CopyObjectCommand: 2000 }. */
  readonly byCommand: Record<string, number>;
  total(): number;
}

export class AwsClients {
  private s3Client: Promise<S3Client> | undefined;
  private route53Client: Promise<Route53Client> | undefined;
  private rdsClient: Promise<RDSClient> | undefined;
  private autoScalingClient: Promise<AutoScalingClient> | undefined;
  private stsClient: Promise<STSClient> | undefined;
  readonly requests: RequestCounter;
  private readonly shared: Shared;
  /** Operations refused by the read-only guard (plan, --dry-run): a bug in a step if ever non-empty. */
  readonly refused: string[];

  constructor(
    private readonly options: AwsOptions = {},
    shared?: Shared,
  ) {
    this.shared = shared ?? { counts: {}, refused: [], scoped: new Map(), identities: new Map() };
    const counts = this.shared.counts;
    this.refused = this.shared.refused;
    this.requests = {
      byCommand: counts,
      total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    };
  }

  private get counts(): Record<string, number> {
    return this.shared.counts;
  }

  get readOnly(): boolean {
    return this.options.readOnly === true;
  }

  /** The profile these clients use (a scope's, else --profile), if any. */
  get profile(): string | undefined {
    return this.options.profile;
  }

  /** The role assumed, if any. */
  get roleArn(): string | undefined {
    return this.options.roleArn;
  }

  /**
   * Clients for a step's `aws:` (region, profile, role), made once per (region, profile,
   * role, external id) and shared by every step that names the same: requests are counted
   * together and the read-only guard applies to them too. With `roleArn`, the role is
   * assumed (STS AssumeRole) with the base credentials of the profile, when first used.
   * No scope (or an empty one): these clients.
   */
  forScope(scope: AwsScope | undefined): AwsClients {
    if (!scope || (scope.region === undefined && scope.profile === undefined && scope.roleArn === undefined)) return this;
    const region = scope.region ?? this.options.region;
    const profile = scope.profile ?? this.options.profile;
    const key = scopeKey({ region, profile, roleArn: scope.roleArn, externalId: scope.externalId });
    let clients = this.shared.scoped.get(key);
    if (!clients) {
      // The base credentials a role is assumed with: the scope's profile (else the SDK chain), in the scope's region.
      const base = scope.roleArn === undefined ? undefined : this.baseFor(region, profile);
      const options: AwsOptions = { ...this.options, region, profile };
      if (base && scope.roleArn !== undefined) {
        options.roleArn = scope.roleArn;
        options.credentials = assumeRoleProvider(() => base.sts(), {
          roleArn: scope.roleArn,
          externalId: scope.externalId,
          sessionName: this.options.sessionName ?? 'lifeboat',
        });
      }
      clients = new AwsClients(options, this.shared);
      this.shared.scoped.set(key, clients);
    }
    return clients;
  }

  /** Clients with the base credentials of (region, profile), shared like any scope's. */
  private baseFor(region: string | undefined, profile: string | undefined): AwsClients {
    const key = scopeKey({ region, profile });
    let base = this.shared.scoped.get(key);
    if (!base || base.roleArn !== undefined) {
      base = new AwsClients({ ...this.options, region, profile, credentials: undefined, roleArn: undefined }, this.shared);
      this.shared.scoped.set(key, base);
    }
    return base;
  }

  /**
   * Who these clients act as: account (sts:GetCallerIdentity, once per scope), region and
   * role. Journaled with a step's undo record so the undo acts the same way.
   */
  actedAs(): Promise<ActedAs> {
    const key = scopeKey({ region: this.region(), profile: this.options.profile, roleArn: this.options.roleArn });
    let p = this.shared.identities.get(key);
    if (!p) {
      p = (async () => {
        const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
        const sts = await this.sts();
        const id = await sts.send(new GetCallerIdentityCommand({}));
        return {
          account: id.Account ?? 'unknown',
          region: this.region(),
          ...(this.options.roleArn === undefined ? {} : { roleArn: this.options.roleArn }),
          ...(this.options.profile === undefined ? {} : { profile: this.options.profile }),
        };
      })();
      // A failure is not cached: the next step asks again.
      p.catch(() => this.shared.identities.delete(key));
      this.shared.identities.set(key, p);
    }
    return p;
  }

  /** The credentials of an assumed role, resolved now: the preflight uses it to prove the role can be assumed. */
  async resolveCredentials(): Promise<AwsCredentialIdentity | undefined> {
    return this.options.credentials?.();
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  /** The region: --region, then AWS_REGION / AWS_DEFAULT_REGION; us-east-1 when an endpoint is set. */
  region(): string | undefined {
    const env = this.env;
    return this.options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (this.hasEndpoint() ? 'us-east-1' : undefined);
  }

  hasEndpoint(service?: 'S3' | 'ROUTE_53' | 'RDS' | 'AUTO_SCALING' | 'STS'): boolean {
    const env = this.env;
    return Boolean(env.AWS_ENDPOINT_URL || (service ? env[`AWS_ENDPOINT_URL_${service}`] : env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL_ROUTE_53));
  }

  private common(): Record<string, unknown> {
    const region = this.region();
    return {
      ...(region ? { region } : {}),
      ...(this.options.profile ? { profile: this.options.profile } : {}),
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      maxAttempts: this.options.maxAttempts ?? 8,
      // Adaptive retry adds client-side rate limiting on top of backoff for SlowDown,
      // Throttling and PriorRequestNotComplete.
      retryMode: 'adaptive',
    };
  }

  s3(): Promise<S3Client> {
    this.s3Client ??= import('@aws-sdk/client-s3').then(({ S3Client }) => {
      const endpoint = this.env.AWS_ENDPOINT_URL_S3 ?? this.env.AWS_ENDPOINT_URL;
      // followRegionRedirects: a bucket in another region than the step's still answers.
      const client = new S3Client({ ...this.common(), ...(endpoint ? { endpoint } : {}), forcePathStyle: this.hasEndpoint('S3'), followRegionRedirects: true });
      this.count(client);
      return client;
    });
    return this.s3Client;
  }

  route53(): Promise<Route53Client> {
    this.route53Client ??= import('@aws-sdk/client-route-53').then(({ Route53Client }) => {
      const endpoint = this.env.AWS_ENDPOINT_URL_ROUTE_53 ?? this.env.AWS_ENDPOINT_URL;
      const client = new Route53Client({ ...this.common(), ...(endpoint ? { endpoint } : {}) });
      this.count(client);
      return client;
    });
    return this.route53Client;
  }

  rds(): Promise<RDSClient> {
    this.rdsClient ??= import('@aws-sdk/client-rds').then(({ RDSClient }) => {
      const endpoint = this.env.AWS_ENDPOINT_URL_RDS ?? this.env.AWS_ENDPOINT_URL;
      const client = new RDSClient({ ...this.common(), ...(endpoint ? { endpoint } : {}) });
      this.count(client);
      return client;
    });
    return this.rdsClient;
  }

  autoScaling(): Promise<AutoScalingClient> {
    this.autoScalingClient ??= import('@aws-sdk/client-auto-scaling').then(({ AutoScalingClient }) => {
      const endpoint = this.env.AWS_ENDPOINT_URL_AUTO_SCALING ?? this.env.AWS_ENDPOINT_URL;
      const client = new AutoScalingClient({ ...this.common(), ...(endpoint ? { endpoint } : {}) });
      this.count(client);
      return client;
    });
    return this.autoScalingClient;
  }

  /** STS, with these clients' credentials: GetCallerIdentity, and AssumeRole for a scope's role. */
  sts(): Promise<STSClient> {
    this.stsClient ??= import('@aws-sdk/client-sts').then(({ STSClient }) => {
      const endpoint = this.env.AWS_ENDPOINT_URL_STS ?? this.env.AWS_ENDPOINT_URL;
      const client = new STSClient({ ...this.common(), ...(endpoint ? { endpoint } : {}) });
      this.count(client);
      return client;
    });
    return this.stsClient;
  }

  /** Every client is made through here: counted, and guarded when read-only. */
  private count(client: ClientWithStack): void {
    if (this.readOnly) guardReadOnly(client, this.refused);
    const counts = this.counts;
    // 'finalizeRequest' runs once per attempt, so retries are counted too.
    stackOf(client).add(
      (next, context) => async (args) => {
        const name = String(context.commandName ?? 'unknown');
        counts[name] = (counts[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'finalizeRequest', name: 'lifeboatRequestCounter' },
    );
  }

  destroy(): void {
    for (const c of [this.s3Client, this.route53Client, this.rdsClient, this.autoScalingClient, this.stsClient]) void c?.then((x) => x.destroy());
    if (this.shared.scoped.size > 0) {
      const scoped = [...this.shared.scoped.values()];
      this.shared.scoped.clear();
      for (const s of scoped) if (s !== this) s.destroy();
    }
  }
}

/** The part of an SDK client's middleware stack used here (its own overloads are per service). */
interface Stack {
  add(m: FinalizeRequestMiddleware<object, object>, o: FinalizeRequestHandlerOptions): void;
  add(m: InitializeMiddleware<object, object>, o: InitializeHandlerOptions): void;
}
interface ClientWithStack {
  middlewareStack: object;
}
function stackOf(client: ClientWithStack): Stack {
  return client.middlewareStack as Stack;
}

/**
 * Operations that change nothing although their name does not say so: STS AssumeRole mints
 * credentials (a plan of a cross-account step needs them) and changes no resource.
 */
const READ_ONLY_OPERATIONS = new Set(['AssumeRole', 'AssumeRoleWithWebIdentity', 'DecodeAuthorizationMessage']);

/**
 * Operations that change nothing, decided from the operation's name alone, for every
 * service: Get*, List*, Describe*, Head*, Test* (Route 53's TestDNSAnswer) and the few named
 * above. Anything else (Put, Create, Update, Delete, Failover, Promote, Change, Copy…) is
 * treated as mutating.
 */
export function isReadOnlyCommand(name: string): boolean {
  const op = name.replace(/Command$/, '');
  return /^(Get|List|Head|Describe|Test)[A-Z]/.test(op) || READ_ONLY_OPERATIONS.has(op);
}

/** Refuse, before it is sent, every operation that is not read-only; record what was refused. */
function guardReadOnly(client: ClientWithStack, refused: string[]): void {
  const middleware: InitializeMiddleware<object, object> = (next, context) => async (args) => {
    const name = String(context.commandName ?? 'unknown');
    if (!isReadOnlyCommand(name)) {
      refused.push(name);
      throw new AwsError(`lifeboat plan and --dry-run are read-only: refused to send ${name}`, {
        hint: 'this is a bug in the step that sent it: please report it; nothing was changed',
      });
    }
    return next(args);
  };
  stackOf(client).add(middleware, { step: 'initialize', name: 'lifeboatReadOnlyGuard' });
}
