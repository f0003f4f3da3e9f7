/**
 * AWS settings honoured as the aws cli honours them (issue 15, item 1): retries from
 * AWS_MAX_ATTEMPTS / AWS_RETRY_MODE / a profile's max_attempts, endpoints from a profile's
 * endpoint_url under --profile, the lifeboat/<version> user agent on every request, and the
 * preflight that refuses (exit 3, one line, nothing changed) a missing region, an unknown
 * profile or missing credentials before the first step.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { motoEndpoint } from '../helpers/aws.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { createBucket, put } from '../helpers/s3-seed.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const FIX = 'test/fixtures/aws-settings';

interface Seen {
  method: string;
  url: string;
  userAgent: string;
  invocation: string;
  action: string | undefined;
}

const STS_IDENTITY =
  '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
  '<Arn>arn:aws:iam::123456789012:user/sre</Arn><UserId>AIDATEST</UserId><Account>123456789012</Account>' +
  '</GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>';

/** A loopback server answering 503 to everything (optionally letting sts:GetCallerIdentity through). */
async function unavailable(options: { stsOk?: boolean } = {}): Promise<{ endpoint: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        userAgent: String(req.headers['user-agent'] ?? ''),
        invocation: String(req.headers['amz-sdk-invocation-id'] ?? ''),
        action,
      });
      if (options.stsOk && action === 'GetCallerIdentity') {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(STS_IDENTITY);
        return;
      }
      res.writeHead(503, { 'content-type': 'text/xml' });
      res.end('<Error><Code>ServiceUnavailable</Code><Message>try later</Message></Error>');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const AWS_VARS = ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_MAX_ATTEMPTS', 'AWS_RETRY_MODE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

/** A machine with no AWS settings but what the test gives: the CLI options to run with. */
function bare(extra: Record<string, string>): { env: Record<string, string>; unset: string[] } {
  return {
    env: { AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', ...extra },
    unset: AWS_VARS.filter((k) => !(k in extra)),
  };
}

/** Attempts per SDK call: retries share the call's amz-sdk-invocation-id. */
function attemptsPerCall(seen: Seen[]): number[] {
  const by = new Map<string, number>();
  for (const s of seen) by.set(s.invocation, (by.get(s.invocation) ?? 0) + 1);
  return [...by.values()];
}

const provided = async (v: string | (() => Promise<string>)): Promise<string> => (typeof v === 'string' ? v : v());

function oneLine(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '');
}

describe('retries and user agent', () => {
  test('AWS_MAX_ATTEMPTS=2 against a server answering 503: no request sent more than twice; every request names lifeboat/<version>', async () => {
    const { endpoint, seen } = await unavailable({ stsOk: true });
    const r = await runCli(['run', `${FIX}/backups.yaml`, '--yes', '--param', 'bucket=lb-unavailable', '--state-dir', join(tempDir(), 'state')], {
      ...bare({ AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'eu-west-1', AWS_MAX_ATTEMPTS: '2', AWS_RETRY_MODE: 'standard', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }),
    });
    expect(r.code, r.stdout + r.stderr).toBe(1); // the step failed: S3 unavailable
    const s3Calls = seen.filter((s) => s.action === undefined);
    expect(s3Calls.length).toBeGreaterThan(0);
    expect(Math.max(...attemptsPerCall(s3Calls))).toBe(2);
    expect(seen.every((s) => s.invocation !== '')).toBe(true);
    for (const s of seen) expect(s.userAgent).toContain(`lifeboat/${VERSION}`);
    // The preflight's identity is shown at the start.
    expect(r.stdout).toContain('AWS: account 123456789012 as arn:aws:iam::123456789012:user/sre');
  });

  test("a profile's max_attempts and endpoint_url, chosen with --profile, are honoured (AWS_ENDPOINT_URL unset)", async () => {
    const { endpoint, seen } = await unavailable();
    const dir = tempDir();
    const config = join(dir, 'config');
    writeFileSync(config, `[profile flaky]\nregion = eu-west-1\nendpoint_url = ${endpoint}\nmax_attempts = 3\nretry_mode = standard\n`);
    const credentials = join(dir, 'credentials');
    writeFileSync(credentials, '[flaky]\naws_access_key_id = testing\naws_secret_access_key = testing\n');
    const r = await runCli(['plan', `${FIX}/backups.yaml`, '--param', 'bucket=lb-unavailable', '--profile', 'flaky'], {
      ...bare({ AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials }),
    });
    // The preflight's GetCallerIdentity is refused by the server: exit 3, one line, after 3 attempts.
    expect(r.code, r.stderr).toBe(3);
    expect(seen.length).toBe(3);
    expect(attemptsPerCall(seen)).toEqual([3]);
    expect(seen[0]?.action).toBe('GetCallerIdentity');
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/HTTP 503 after 3 attempts/);
  });

  test('nothing configured: lifeboat defaults to 8 attempts (adaptive)', async () => {
    const { AwsClients } = await import('../../src/aws/clients.js');
    const saved = { ...process.env };
    try {
      delete process.env.AWS_MAX_ATTEMPTS;
      delete process.env.AWS_RETRY_MODE;
      const aws = new AwsClients({});
      const s3 = await aws.s3();
      expect(await s3.config.maxAttempts()).toBe(8);
      expect(await provided(s3.config.retryMode)).toBe('adaptive');
      process.env.AWS_MAX_ATTEMPTS = '2';
      process.env.AWS_RETRY_MODE = 'standard';
      const configured = await new AwsClients({}).route53();
      expect(await configured.config.maxAttempts()).toBe(2);
      expect(await provided(configured.config.retryMode)).toBe('standard');
      aws.destroy();
    } finally {
      process.env = saved;
    }
  });
});

describe('profiles and the preflight', () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = await createBucket('lb-settings');
    await put(bucket, 'db/dump.sql', 'backup');
  });

  test('[profile dr] with region and endpoint_url (moto), --profile dr: plan works with AWS_ENDPOINT_URL unset', async () => {
    const dir = tempDir();
    const config = join(dir, 'config');
    writeFileSync(config, `[profile dr]\nregion = us-east-1\nendpoint_url = ${motoEndpoint()}\n`);
    const credentials = join(dir, 'credentials');
    writeFileSync(credentials, '[dr]\naws_access_key_id = testing\naws_secret_access_key = testing\n');
    const r = await runCli(['plan', `${FIX}/backups.yaml`, '--param', `bucket=${bucket}`, '--profile', 'dr'], {
      ...bare({ AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('verify-backups');
    expect(r.stdout).toMatch(/AWS: account \d{12} as arn:aws:\S+, profile dr, region us-east-1/);
  });

  test('no region anywhere: exit 3 naming --region, one line, no request sent', async () => {
    const { endpoint, seen } = await unavailable();
    const r = await runCli(['plan', `${FIX}/backups.yaml`, '--param', `bucket=${bucket}`], bare({ AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }));
    expect(r.code, r.stderr).toBe(3);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('--region');
    expect(r.stderr).toContain('AWS_REGION');
    expect(seen).toEqual([]);
  });

  test('run: no region: refused before the first step acted (a shell step before the S3 one did not run)', async () => {
    const dir = tempDir();
    const marker = join(dir, 'marker');
    const r = await runCli(['run', `${FIX}/marker-then-s3.yaml`, '--yes', '--param', `bucket=${bucket}`, '--param', `marker=${marker}`, '--state-dir', join(dir, 'state')], {
      ...bare({ AWS_ENDPOINT_URL: motoEndpoint(), AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }),
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/lifeboat: AWS preflight: no AWS region .*--region/);
    expect(existsSync(marker)).toBe(false);
    // Refused before the run began: no journal either.
    expect(existsSync(join(dir, 'state', 'runs'))).toBe(false);
  });

  test('--profile nosuch: exit 3 naming the profile', async () => {
    const r = await runCli(['plan', `${FIX}/backups.yaml`, '--param', `bucket=${bucket}`, '--profile', 'nosuch'], bare({ AWS_ENDPOINT_URL: motoEndpoint(), AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }));
    expect(r.code, r.stderr).toBe(3);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('the AWS profile "nosuch"');
    expect(r.stderr).toContain('aws configure --profile nosuch');
  });

  test('no credentials: exit 3 saying how to provide them', async () => {
    const r = await runCli(['plan', `${FIX}/backups.yaml`, '--param', `bucket=${bucket}`], {
      ...bare({ AWS_ENDPOINT_URL: motoEndpoint(), AWS_REGION: 'us-east-1' }),
    });
    expect(r.code, r.stderr).toBe(3);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('no AWS credentials');
  });

  test('a runbook without AWS steps makes no AWS call and needs no region', async () => {
    const { endpoint, seen } = await unavailable();
    const dir = tempDir();
    const marker = join(dir, 'marker');
    const runbook = join(dir, 'local.yaml');
    writeFileSync(runbook, `version: 1\nname: local-only\nsteps:\n  - id: mark\n    type: shell\n    with: { run: [node, ${join(ROOT, 'test/fixtures/write-marker.mjs')}, ${marker}] }\n`);
    const r = await runCli(['run', runbook, '--yes', '--state-dir', join(dir, 'state')], bare({ AWS_ENDPOINT_URL: endpoint }));
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(seen).toEqual([]);
  });
});
