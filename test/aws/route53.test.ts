/** Pure Route 53 helpers: names, comparisons, batching, error advice, and the SDK's retry classification. */
import type { Change, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
// @smithy/core comes with the AWS SDK; its retry classification decides what the SDK retries.
import { isThrottlingError } from '@smithy/core/retry';
import { describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import {
  chunkByLimits,
  describeRoute53Error,
  keyLabel,
  normaliseChangeId,
  normaliseName,
  normaliseZoneId,
  sameSet,
  sameSetExactly,
  sameValues,
  waitForInsync,
} from '../../src/aws/route53.js';

const set = (values: string[], extra: Partial<ResourceRecordSet> = {}): ResourceRecordSet => ({
  Name: 'app.example.com.',
  Type: 'A',
  TTL: 60,
  ResourceRecords: values.map((Value) => ({ Value })),
  ...extra,
});

describe('names and ids', () => {
  test('names compare lowercase, with the final dot, octal escapes decoded', () => {
    expect(normaliseName('App.Example.COM')).toBe('app.example.com.');
    expect(normaliseName('app.example.com.')).toBe('app.example.com.');
    expect(normaliseName('\\052.example.com.')).toBe('*.example.com.');
  });

  test('zone and change ids lose their path prefix', () => {
    expect(normaliseZoneId('/hostedzone/Z123')).toBe('Z123');
    expect(normaliseZoneId('Z123')).toBe('Z123');
    expect(normaliseChangeId('/change/C9')).toBe('C9');
    expect(normaliseChangeId(undefined)).toBe('');
  });

  test('labels name the set identifier when there is one', () => {
    expect(keyLabel({ name: 'W.example.com', type: 'A', setIdentifier: 'blue' })).toBe('w.example.com. A [blue]');
    expect(keyLabel({ name: 'app.example.com', type: 'CNAME' })).toBe('app.example.com. CNAME');
  });
});

describe('comparing record sets', () => {
  test('value order does not matter; for CNAME neither case nor final dot', () => {
    expect(sameSet(set(['192.0.2.1', '192.0.2.2']), set(['192.0.2.2', '192.0.2.1']))).toBe(true);
    const cname = (v: string): ResourceRecordSet => set([v], { Type: 'CNAME' });
    expect(sameSet(cname('Standby.example.com.'), cname('standby.example.com'))).toBe(true);
    expect(sameSet(set(['"Hello"'], { Type: 'TXT' }), set(['"hello"'], { Type: 'TXT' }))).toBe(false);
  });

  test('TTL, routing fields and absence all count', () => {
    expect(sameSet(set(['192.0.2.1']), set(['192.0.2.1'], { TTL: 61 }))).toBe(false);
    expect(sameSet(set(['192.0.2.1'], { SetIdentifier: 'a', Weight: 1 }), set(['192.0.2.1'], { SetIdentifier: 'a', Weight: 2 }))).toBe(false);
    expect(sameSet(set(['192.0.2.1'], { HealthCheckId: 'h' }), set(['192.0.2.1']))).toBe(false);
    expect(sameSet(null, null)).toBe(true);
    expect(sameSet(set(['192.0.2.1']), null)).toBe(false);
    expect(sameSet(set(['192.0.2.1'], { Name: 'APP.example.com' }), set(['192.0.2.1']))).toBe(true);
  });

  test('exact comparison keeps value order; sameValues ignores TTL', () => {
    expect(sameSetExactly(set(['192.0.2.1', '192.0.2.2']), set(['192.0.2.2', '192.0.2.1']))).toBe(false);
    expect(sameSetExactly(set(['192.0.2.1']), set(['192.0.2.1'], { Name: 'App.example.com' }))).toBe(true);
    expect(sameValues(set(['192.0.2.1']), set(['192.0.2.1'], { TTL: 5 }))).toBe(true);
  });
});

describe('batching', () => {
  const change = (action: Change['Action'], n: number, len = 1): Change => ({
    Action: action,
    ResourceRecordSet: set(Array.from({ length: n }, () => 'x'.repeat(len))),
  });

  test('keeps each group whole and every batch within the limits', () => {
    const groups = [[change('DELETE', 3), change('CREATE', 3)], [change('CREATE', 4)], [change('DELETE', 2), change('CREATE', 2)]];
    const batches = chunkByLimits(groups, (g) => g, { records: 10, chars: 1000 });
    expect(batches.map((b) => b.length)).toEqual([2, 1]);
    expect(batches[0]?.[0]).toBe(groups[0]);
  });

  test('counts UPSERT twice and Value characters', () => {
    expect(chunkByLimits([[change('UPSERT', 3)], [change('UPSERT', 3)]], (g) => g, { records: 10, chars: 1000 })).toHaveLength(2);
    expect(chunkByLimits([[change('CREATE', 1, 600)], [change('CREATE', 1, 600)]], (g) => g, { records: 10, chars: 1000 })).toHaveLength(2);
    expect(chunkByLimits([[change('CREATE', 20)]], (g) => g, { records: 10, chars: 1000 })).toHaveLength(1);
  });
});

describe('error advice', () => {
  const where = { zoneId: 'Z1', doing: 'changing', records: 'app.example.com. CNAME', env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } };
  const sdkError = (name: string, message: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(message), { name, ...extra });

  test('missing zone', () => {
    expect(describeRoute53Error(sdkError('NoSuchHostedZone', 'No hosted zone found with ID: Z1'), where)?.message).toBe(
      'hosted zone Z1 does not exist (check the zoneId the step was given; list zones with aws route53 list-hosted-zones)',
    );
  });

  test('access denied and missing credentials point at sts get-caller-identity', () => {
    const denied = describeRoute53Error(sdkError('AccessDenied', 'User: x is not authorized', { $metadata: { httpStatusCode: 403 } }), where);
    expect(denied?.message).toContain('Route 53 refused access while changing app.example.com. CNAME in hosted zone Z1');
    expect(denied?.hint).toContain('aws sts get-caller-identity');
    const noCreds = describeRoute53Error(sdkError('CredentialsProviderError', 'Could not load credentials from any providers'), where);
    expect(noCreds?.message).toContain('no AWS credentials found');
    expect(noCreds?.hint).toContain('aws sts get-caller-identity');
  });

  test('an endpoint that refuses connections, also when the code is nested', () => {
    const direct = describeRoute53Error(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), where);
    expect(direct?.message).toBe('the Route 53 endpoint http://127.0.0.1:9 is not answering (ECONNREFUSED) while changing app.example.com. CNAME');
    expect(direct?.hint).toContain('AWS_ENDPOINT_URL is set to http://127.0.0.1:9');
    const nested = new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], 'failed');
    expect(describeRoute53Error(nested, { ...where, env: {} })?.message).toContain('https://route53.amazonaws.com is not answering (ECONNREFUSED)');
  });

  test("a rejected batch quotes Route 53's messages and names the record", () => {
    const advice = describeRoute53Error(sdkError('InvalidChangeBatch', 'fallback', { messages: ['RRSet of type CNAME conflicts', 'second'] }), where);
    expect(advice?.message).toBe('Route 53 rejected the change to app.example.com. CNAME in hosted zone Z1: RRSet of type CNAME conflicts; second');
  });

  test('unknown errors are left to the caller', () => {
    expect(describeRoute53Error(sdkError('SomethingElse', 'x'), where)).toBeUndefined();
    expect(describeRoute53Error('text', where)).toBeUndefined();
  });
});

describe('retries are the SDK’s job', () => {
  test('Throttling and PriorRequestNotComplete are throttling errors to the SDK retry middleware', () => {
    for (const name of ['Throttling', 'ThrottlingException', 'PriorRequestNotComplete']) expect(isThrottlingError({ name, message: '', $metadata: {} })).toBe(true);
  });

  test('the Route 53 client uses adaptive retry with 8 attempts', async () => {
    const aws = new AwsClients({ region: 'us-east-1' });
    const client = await aws.route53();
    expect(await client.config.maxAttempts()).toBe(8);
    // `mode` is on both strategy shapes at run time, not in the union type.
    expect((await client.config.retryStrategy()) as unknown).toMatchObject({ mode: 'adaptive' });
    aws.destroy();
  });
});

describe('waiting for INSYNC', () => {
  /** A client whose GetChange answers PENDING `pending` times, then INSYNC. */
  function fakeClient(pending: number): { client: Route53Client; calls: () => number } {
    let calls = 0;
    const client = {
      send: async () => {
        calls += 1;
        return { ChangeInfo: { Id: '/change/C1', Status: calls > pending ? 'INSYNC' : 'PENDING' } };
      },
    } as unknown as Route53Client;
    return { client, calls: () => calls };
  }

  test('polls at the interval until INSYNC', async () => {
    const fake = fakeClient(2);
    expect(await waitForInsync(fake.client, 'C1', { timeoutMs: 5000, intervalMs: 10 })).toBe(true);
    expect(fake.calls()).toBe(3);
  });

  test('gives up (false) when the timeout passes first', async () => {
    const fake = fakeClient(Infinity);
    const started = Date.now();
    expect(await waitForInsync(fake.client, 'C1', { timeoutMs: 100, intervalMs: 20 })).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.calls()).toBeGreaterThanOrEqual(3);
  });

  test('an abort ends the wait with the signal’s reason', async () => {
    const fake = fakeClient(Infinity);
    const controller = new AbortController();
    const reason = new Error('operator pressed Ctrl-C');
    setTimeout(() => controller.abort(reason), 50);
    await expect(waitForInsync(fake.client, 'C1', { timeoutMs: 60_000, intervalMs: 20, signal: controller.signal })).rejects.toBe(reason);
  });
});
