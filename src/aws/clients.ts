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
 * tests/benchmarks can assert on them.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { STSClient } from '@aws-sdk/client-sts';
import type { FinalizeRequestMiddleware, FinalizeRequestHandlerOptions, Provider } from '@smithy/types';
import { lifeboatVersion } from '../version.js';

export interface AwsOptions {
  /** `--region`: wins over every other source. */
  region?: string | undefined;
  /** `--profile` (the CLI also sets AWS_PROFILE, see above). */
  profile?: string | undefined;
  /** The environment lifeboat runs in; the SDK itself reads process.env. */
  env?: NodeJS.ProcessEnv;
  /** Total attempts per call, including the first: wins over any configured value (tests). */
  maxAttempts?: number;
}

export interface RequestCounter {
  /** Commands sent (each retry counts), by command name, e.g. { CopyObjectCommand: 2000 }. */
  readonly byCommand: Record<string, number>;
  total(): number;
}

/** The services lifeboat talks to. */
export type AwsService = 'S3' | 'Route 53' | 'STS';

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
};

export class AwsClients {
  private s3Client: Promise<S3Client> | undefined;
  private route53Client: Promise<Route53Client> | undefined;
  private stsClient: Promise<STSClient> | undefined;
  private config: Promise<(global: boolean) => Config> | undefined;
  /** The endpoint in use per service, once its client exists: undefined means AWS's own. */
  private readonly endpoints = new Map<AwsService, string | undefined>();
  readonly requests: RequestCounter;
  private readonly counts: Record<string, number> = {};
  /** Set by the preflight (./preflight.ts): who the run acts as. */
  identity: AwsIdentity | undefined;

  constructor(private readonly options: AwsOptions = {}) {
    const counts = this.counts;
    this.requests = {
      byCommand: counts,
      total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    };
  }

  get profile(): string | undefined {
    return this.options.profile ?? (process.env.AWS_PROFILE || undefined);
  }

  /** The region for regional services, as the SDK resolves it; throws "Region is missing" when none is configured. */
  async region(): Promise<string> {
    const cfg = (await this.sdkConfig())(false);
    return typeof cfg.region === 'string' ? cfg.region : cfg.region();
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
      const client = new S3Client({ ...config(false), forcePathStyle: this.hasEndpoint('S3') });
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

  private count(client: { middlewareStack: { add(m: FinalizeRequestMiddleware<object, object>, o: FinalizeRequestHandlerOptions): void } }): void {
    const counts = this.counts;
    // 'finalizeRequest' runs once per attempt, so retries are counted too.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName ?? 'unknown');
        counts[name] = (counts[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'finalizeRequest', name: 'lifeboatRequestCounter' },
    );
  }

  destroy(): void {
    void this.s3Client?.then((c) => c.destroy());
    void this.route53Client?.then((c) => c.destroy());
    void this.stsClient?.then((c) => c.destroy());
  }
}

/** Commands that change nothing, by name: used to assert dry-runs make no mutating call. */
export function isReadOnlyCommand(name: string): boolean {
  return /^(Get|List|Head|Describe|Test)/.test(name.replace(/Command$/, ''));
}
