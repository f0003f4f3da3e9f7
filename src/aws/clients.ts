/**
 * AWS clients, created on first use (so `lifeboat --help` and `validate` never load an
 * SDK). Settings are resolved by the SDK itself, as the aws cli resolves them:
 *
 * - credentials: the standard provider chain (env, profile, SSO, process, web identity, IMDS);
 * - endpoints: `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, a profile's `endpoint_url`
 *   or `services` section, all off with `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`; S3 switches
 *   to path-style addressing whenever such an endpoint is in use;
 * - region: `--region`, then `AWS_REGION` / `AWS_DEFAULT_REGION`, then the profile's
 *   `region` (then EC2 instance metadata); Route 53 and STS are global and fall back to
 *   us-east-1, as the aws cli does for them;
 * - retries: `AWS_MAX_ATTEMPTS` / `AWS_RETRY_MODE` or the profile's `max_attempts` /
 *   `retry_mode`; lifeboat's own defaults (8 attempts, adaptive: client-side rate limiting
 *   on top of backoff for SlowDown, Throttling and PriorRequestNotComplete) only for a
 *   setting that is configured nowhere;
 * - user agent: every request names `lifeboat/<version>` (and `app/…`, the SDK's app id,
 *   unless `AWS_SDK_UA_APP_ID` / `sdk_ua_app_id` sets another), so CloudTrail can tell
 *   lifeboat's changes apart.
 *
 * `--profile` is applied by the CLI as `AWS_PROFILE` (cli/main.ts): the SDK resolves a
 * configured endpoint from AWS_PROFILE only, not from a client's `profile` option.
 *
 * Every client counts its requests by command name, so steps can report `requests` and
 * tests/benchmarks can assert on them. `readOnly` clients (plan, --dry-run) refuse every
 * mutating operation of every service before it is sent. `forScope` gives the clients of a
 * step's `aws:` (region, profile, role), made once per scope and sharing the counters.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { STSClient } from '@aws-sdk/client-sts';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  FinalizeRequestMiddleware,
  FinalizeRequestHandlerOptions,
  InitializeHandlerOptions,
  InitializeMiddleware,
  Provider,
} from '@smithy/types';
import { lifeboatVersion } from '../version.js';
import { AwsError, assumeRoleProvider, scopeKey, type AwsScope, type ActedAs } from './scope.js';

export interface AwsOptions {
  /** `--region`: wins over every other source. */
  region?: string | undefined;
  /** `--profile` (the CLI also sets AWS_PROFILE, see above). */
  profile?: string | undefined;
  /** The environment lifeboat runs in; the SDK itself reads process.env. */
  env?: NodeJS.ProcessEnv;
  /** Total attempts per call, including the first: wins over any configured value (tests). */
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

/** The services lifeboat talks to. */
export type AwsService = 'S3' | 'Route 53' | 'STS' | 'RDS' | 'Auto Scaling';

/** Who lifeboat acts as: the answer of sts:GetCallerIdentity (see ./preflight.ts). */
export interface AwsIdentity {
  account: string;
  arn: string;
  userId: string;
  /** The region the regional services use; undefined when only global ones are used. */
  region: string | undefined;
  profile: string | undefined;
}

/** lifeboat's defaults where nothing is configured. */
export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_RETRY_MODE = 'adaptive';
/** Route 53 and STS are global services: without any configured region, the aws cli uses us-east-1 for them. */
const GLOBAL_REGION = 'us-east-1';

type Config = {
  region: string | Provider<string>;
  profile?: string;
  maxAttempts: number | Provider<number>;
  retryMode: string | Provider<string>;
  userAgentAppId: Provider<string | undefined>;
  customUserAgent: string;
  credentials?: AwsCredentialIdentityProvider;
};

export class AwsClients {
  private s3Client: Promise<S3Client> | undefined;
  private route53Client: Promise<Route53Client> | undefined;
  private stsClient: Promise<STSClient> | undefined;
  private rdsClient: Promise<RDSClient> | undefined;
  private autoScalingClient: Promise<AutoScalingClient> | undefined;
  private config: Promise<(global: boolean) => Config> | undefined;
  /** The endpoint in use per service, once its client exists: undefined means AWS's own. */
  private readonly endpoints = new Map<AwsService, string | undefined>();
  readonly requests: RequestCounter;
  private readonly shared: Shared;
  /** Operations refused by the read-only guard (plan, --dry-run): a bug in a step if ever non-empty. */
  readonly refused: string[];
  /** Set by the preflight (./preflight.ts): who the run acts as. */
  identity: AwsIdentity | undefined;

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

  get profile(): string | undefined {
    return this.options.profile ?? (process.env.AWS_PROFILE || undefined);
  }

  /** The role assumed, if any. */
  get roleArn(): string | undefined {
    return this.options.roleArn;
  }

  /** The region as far as it is known without asking the SDK (--region, a scope's, AWS_REGION): for messages and the journal. */
  region(): string | undefined {
    const env = this.options.env ?? process.env;
    return this.options.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  }

  /** The region for regional services, as the SDK resolves it; throws "Region is missing" when none is configured. */
  async resolvedRegion(): Promise<string> {
    const cfg = (await this.sdkConfig())(false);
    return typeof cfg.region === 'string' ? cfg.region : cfg.region();
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

  /**
   * Whether the service's requests go to a configured endpoint (moto, an S3-compatible
   * store) rather than AWS. Known once that service's client was created (`await s3()`):
   * false before.
   */
  hasEndpoint(service: AwsService = 'S3'): boolean {
    return this.endpoints.get(service) !== undefined;
  }

  /** The configured endpoint of a service whose client exists, for messages. */
  endpoint(service: AwsService): string | undefined {
    return this.endpoints.get(service);
  }

  private sdkConfig(): Promise<(global: boolean) => Config> {
    this.config ??= Promise.all([import('@smithy/core/config'), import('@smithy/core/retry'), import('@aws-sdk/core/client')]).then(([config, retry, client]) => {
      const profile = this.options.profile;
      const local = { ...config.NODE_REGION_CONFIG_FILE_OPTIONS, ...(profile ? { profile } : {}) };
      const env = process.env;
      // The aws cli also reads AWS_DEFAULT_REGION (after AWS_REGION, before the profile); the SDK does not.
      const envRegion = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
      // The SDK's last resort (EC2 instance metadata), which throws "Region is missing" when there is none.
      const regionFromInstance = async (): Promise<string> => {
        const d = config.NODE_REGION_CONFIG_OPTIONS.default;
        return typeof d === 'function' ? d() : d;
      };
      const regional = this.options.region ?? envRegion ?? config.loadConfig(config.NODE_REGION_CONFIG_OPTIONS, local);
      const global =
        this.options.region ??
        envRegion ??
        config.loadConfig({ ...config.NODE_REGION_CONFIG_OPTIONS, default: () => regionFromInstance().catch(() => GLOBAL_REGION) }, local);
      const maxAttempts = this.options.maxAttempts ?? config.loadConfig({ ...retry.NODE_MAX_ATTEMPT_CONFIG_OPTIONS, default: DEFAULT_MAX_ATTEMPTS }, { profile });
      const retryMode = config.loadConfig({ ...retry.NODE_RETRY_MODE_CONFIG_OPTIONS, default: DEFAULT_RETRY_MODE }, { profile });
      const version = lifeboatVersion();
      const userAgentAppId = config.loadConfig({ ...client.NODE_APP_ID_CONFIG_OPTIONS, default: `lifeboat/${version}` }, { profile });
      return (isGlobal: boolean): Config => ({
        region: isGlobal ? global : regional,
        ...(profile ? { profile } : {}),
        maxAttempts,
        retryMode,
        userAgentAppId,
        // The app id is escaped by the SDK (`app/lifeboat_0.1.0`): name lifeboat/<version> as is too.
        customUserAgent: `lifeboat/${version}`,
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      });
    });
    return this.config;
  }

  s3(): Promise<S3Client> {
    this.s3Client ??= Promise.all([import('@aws-sdk/client-s3'), this.sdkConfig()]).then(async ([{ S3Client }, config]) => {
      // Which endpoint the SDK would use decides the addressing style, fixed when the client is made.
      const probe = new S3Client(config(false));
      await this.learnEndpoint('S3', probe);
      probe.destroy();
      // followRegionRedirects: a bucket in another region than the step's still answers.
      const client = new S3Client({ ...config(false), forcePathStyle: this.hasEndpoint('S3'), followRegionRedirects: true });
      this.count(client);
      return client;
    });
    return this.s3Client;
  }

  route53(): Promise<Route53Client> {
    this.route53Client ??= Promise.all([import('@aws-sdk/client-route-53'), this.sdkConfig()]).then(async ([{ Route53Client }, config]) => {
      const client = new Route53Client(config(true));
      await this.learnEndpoint('Route 53', client);
      this.count(client);
      return client;
    });
    return this.route53Client;
  }

  /** STS, for the preflight's GetCallerIdentity (and role assumption). */
  sts(options: { global?: boolean } = {}): Promise<STSClient> {
    this.stsClient ??= Promise.all([import('@aws-sdk/client-sts'), this.sdkConfig()]).then(async ([{ STSClient }, config]) => {
      const client = new STSClient(config(options.global ?? false));
      await this.learnEndpoint('STS', client);
      this.count(client);
      return client;
    });
    return this.stsClient;
  }

  rds(): Promise<RDSClient> {
    this.rdsClient ??= Promise.all([import('@aws-sdk/client-rds'), this.sdkConfig()]).then(async ([{ RDSClient }, config]) => {
      const client = new RDSClient(config(false));
      await this.learnEndpoint('RDS', client);
      this.count(client);
      return client;
    });
    return this.rdsClient;
  }

  autoScaling(): Promise<AutoScalingClient> {
    this.autoScalingClient ??= Promise.all([import('@aws-sdk/client-auto-scaling'), this.sdkConfig()]).then(async ([{ AutoScalingClient }, config]) => {
      const client = new AutoScalingClient(config(false));
      await this.learnEndpoint('Auto Scaling', client);
      this.count(client);
      return client;
    });
    return this.autoScalingClient;
  }

  /** The endpoint the SDK will use for this client: the one configured for its service (env or profile), or AWS's. */
  private async learnEndpoint(service: AwsService, client: { config: object }): Promise<void> {
    const c = client.config as { serviceConfiguredEndpoint?: () => Promise<string | undefined> };
    let endpoint: string | undefined;
    try {
      endpoint = (await c.serviceConfiguredEndpoint?.()) ?? undefined;
    } catch {
      // A profile naming a missing `services` section: the SDK will report it on the first request.
      endpoint = undefined;
    }
    this.endpoints.set(service, endpoint);
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
    for (const c of [this.s3Client, this.route53Client, this.rdsClient, this.autoScalingClient, this.stsClient]) c?.then((x) => x.destroy()).catch(() => undefined);
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

