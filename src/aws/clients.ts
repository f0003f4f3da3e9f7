/**
 * AWS clients, created on first use (so `lifeboat --help` and `validate` never load an
 * SDK). Credentials come from the standard SDK chain; AWS_ENDPOINT_URL and the
 * per-service AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_ROUTE_53 are read from the given
 * environment (passed explicitly, so a test's env is honoured), and S3 switches to
 * path-style addressing whenever an endpoint is set.
 * Every client counts its requests by command name, so steps can report `requests` and
 * tests/benchmarks can assert on them.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FinalizeRequestMiddleware, FinalizeRequestHandlerOptions } from '@smithy/types';

export interface AwsOptions {
  region?: string | undefined;
  profile?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Total attempts per call, including the first (throttling and 5xx are retried). */
  maxAttempts?: number;
}

export interface RequestCounter {
  /** Commands sent (each retry counts), by command name, e.g. { CopyObjectCommand: 2000 }. */
  readonly byCommand: Record<string, number>;
  total(): number;
}

export class AwsClients {
  private s3Client: Promise<S3Client> | undefined;
  private route53Client: Promise<Route53Client> | undefined;
  readonly requests: RequestCounter;
  private readonly counts: Record<string, number> = {};

  constructor(private readonly options: AwsOptions = {}) {
    const counts = this.counts;
    this.requests = {
      byCommand: counts,
      total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    };
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  /** The region: --region, then AWS_REGION / AWS_DEFAULT_REGION; us-east-1 when an endpoint is set. */
  region(): string | undefined {
    const env = this.env;
    return this.options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (this.hasEndpoint() ? 'us-east-1' : undefined);
  }

  hasEndpoint(service?: 'S3' | 'ROUTE_53'): boolean {
    const env = this.env;
    return Boolean(env.AWS_ENDPOINT_URL || (service ? env[`AWS_ENDPOINT_URL_${service}`] : env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL_ROUTE_53));
  }

  private common(): Record<string, unknown> {
    const region = this.region();
    return {
      ...(region ? { region } : {}),
      ...(this.options.profile ? { profile: this.options.profile } : {}),
      maxAttempts: this.options.maxAttempts ?? 8,
      // Adaptive retry adds client-side rate limiting on top of backoff for SlowDown,
      // Throttling and PriorRequestNotComplete.
      retryMode: 'adaptive',
    };
  }

  s3(): Promise<S3Client> {
    this.s3Client ??= import('@aws-sdk/client-s3').then(({ S3Client }) => {
      const endpoint = this.env.AWS_ENDPOINT_URL_S3 ?? this.env.AWS_ENDPOINT_URL;
      const client = new S3Client({ ...this.common(), ...(endpoint ? { endpoint } : {}), forcePathStyle: this.hasEndpoint('S3') });
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
  }
}

/** Commands that change nothing, by name: used to assert dry-runs make no mutating call. */
export function isReadOnlyCommand(name: string): boolean {
  return /^(Get|List|Head|Describe|Test)/.test(name.replace(/Command$/, ''));
}
