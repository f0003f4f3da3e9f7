import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpCheckWith } from '../../src/steps/http-check.js';
import { displayUrl, httpCheckStep } from '../../src/steps/http-check.js';
import { StepError } from '../../src/steps/types.js';
import { freePort } from '../helpers/moto.js';
import { testContext, testStep } from '../helpers/step-context.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A local server answering each request with `respond(n)` for the n-th request (from 1). */
async function serve(respond: (n: number, req: http.IncomingMessage) => { status: number; body?: string; delayMs?: number }): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const { status, body = '', delayMs = 0 } = respond(seen.length, req);
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen };
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function check(w: HttpCheckWith, overrides: Parameters<typeof testContext>[1] = {}) {
  return { ctx: testContext(testStep('http.check', w), overrides), w };
}

async function failure(p: Promise<unknown>): Promise<StepError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepError);
  return err as StepError;
}

describe('http.check', () => {
  it('polls until the status matches (503, 503, then 200)', async () => {
    const { url, seen } = await serve((n) => ({ status: n <= 2 ? 503 : 200, body: 'ok' }));
    const { ctx, w } = check({ url: `${url}/healthz`, interval: '50ms', timeout: '5s' });
    const result = await httpCheckStep.execute(ctx, w);
    expect(result.outputs).toEqual({ status: 200 });
    expect(seen).toHaveLength(3);
    expect(seen.every((s) => s.method === 'GET' && s.url === '/healthz')).toBe(true);
    // The operator hears about the 503 once, not on every attempt.
    expect(ctx.lines.filter((l) => l.includes('503'))).toHaveLength(1);
  });

  it('accepts any status of a list, and HEAD', async () => {
    const { url, seen } = await serve(() => ({ status: 204 }));
    const { ctx, w } = check({ url, method: 'HEAD', status: [200, 204], interval: '50ms', timeout: '2s' });
    const result = await httpCheckStep.execute(ctx, w);
    expect(result.outputs).toEqual({ status: 204 });
    expect(seen[0]?.method).toBe('HEAD');
  });

  it('checks the body for a substring and a regular expression', async () => {
    const { url, seen } = await serve((n) => ({ status: 200, body: n < 3 ? '{"status":"starting"}' : '{"status":"ok","version":"1.4.2"}' }));
    const { ctx, w } = check({ url, body: '"ok"', bodyMatches: 'version":"1\\.\\d+', interval: '50ms', timeout: '5s' });
    const result = await httpCheckStep.execute(ctx, w);
    expect(result.outputs).toEqual({ status: 200 });
    expect(seen).toHaveLength(3);
  });

  it('gives up after the timeout, naming the last status and what was expected', async () => {
    const { url, seen } = await serve(() => ({ status: 503, body: 'down' }));
    const { ctx, w } = check({ url: `${url}/healthz`, interval: '50ms', timeout: '300ms' });
    const started = Date.now();
    const err = await failure(httpCheckStep.execute(ctx, w));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.message).toContain(`GET ${url}/healthz never matched in 300ms`);
    expect(err.message).toContain('last status 503 (expected 200)');
    expect(seen.length).toBeGreaterThan(2);
    expect(err.hint).toBeTruthy();
  });

  it('says the body did not contain the text, quoting only the start of the body', async () => {
    const { url } = await serve(() => ({ status: 200, body: `maintenance ${'x'.repeat(5000)} SECRET-TAIL` }));
    const { ctx, w } = check({ url, body: 'ok', interval: '50ms', timeout: '300ms' });
    const err = await failure(httpCheckStep.execute(ctx, w));
    expect(err.message).toContain('body did not contain "ok"');
    expect(err.message).toContain('maintenance xxx');
    expect(err.message).not.toContain('SECRET-TAIL');
    expect(err.message.length).toBeLessThan(600);
  });

  it('says connection refused on a closed port', async () => {
    const port = await freePort();
    const { ctx, w } = check({ url: `http://127.0.0.1:${port}/healthz`, interval: '50ms', timeout: '300ms' });
    const err = await failure(httpCheckStep.execute(ctx, w));
    expect(err.message).toMatch(/never matched in 300ms .*connection refused/);
    expect(err.hint).toMatch(/nothing answered/);
  });

  it('gives each attempt no longer than the time left', async () => {
    const { url } = await serve(() => ({ status: 200, delayMs: 5_000 }));
    const { ctx, w } = check({ url, interval: '50ms', timeout: '400ms' });
    const started = Date.now();
    const err = await failure(httpCheckStep.execute(ctx, w));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err.message).toMatch(/no response within/);
  });

  it('stops when the run is interrupted', async () => {
    const { url } = await serve(() => ({ status: 503 }));
    const controller = new AbortController();
    const { ctx, w } = check({ url, interval: '1s', timeout: '30s' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const err = await httpCheckStep.execute(ctx, w).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('sends headers but never shows their values', async () => {
    const { url, seen } = await serve(() => ({ status: 500 }));
    const token = 'Bearer very-secret-token';
    const { ctx, w } = check({ url, headers: { Authorization: token }, interval: '50ms', timeout: '200ms' });
    const err = await failure(httpCheckStep.execute(ctx, w));
    expect(seen[0]?.headers.authorization).toBe(token);
    const plan = await httpCheckStep.plan(ctx, w);
    const everything = [err.message, err.hint, ...ctx.lines, plan.summary, ...plan.lines.map((l) => l.text)].join('\n');
    expect(everything).not.toContain('very-secret-token');
    expect(everything).toContain('Authorization');
  });

  it('plans a read-only check', async () => {
    const { ctx, w } = check({ url: 'https://app.example.com/healthz', status: 200, body: 'ok', timeout: '30s' });
    const plan = await httpCheckStep.plan(ctx, w);
    expect(plan.mutating).toBe(false);
    expect(plan.counts).toEqual({ checks: 1 });
    expect(plan.lines.map((l) => l.text).join('\n')).toContain('GET https://app.example.com/healthz until status 200, body contains "ok"');
    expect(httpCheckStep.rollback).toBeUndefined();
  });

  it('refuses a bad URL, a bad regex, and body checks on HEAD before sending anything', async () => {
    for (const [w, text] of [
      [{ url: 'not a url' }, 'not a valid URL'],
      [{ url: 'ftp://example.com/' }, 'http:// or https://'],
      [{ url: 'http://127.0.0.1:1/', bodyMatches: '(' }, 'bad regular expression'],
      [{ url: 'http://127.0.0.1:1/', method: 'HEAD', body: 'ok' }, 'HEAD request has no body'],
    ] as Array<[HttpCheckWith, string]>) {
      const { ctx } = check(w);
      const err = await failure(httpCheckStep.execute(ctx, w));
      expect(err.message).toContain(text);
    }
  });

  it('hides a password and secret-looking query values in the URL it shows', () => {
    expect(displayUrl(new URL('https://user:hunter22@example.com/h?token=abc123&x=1'))).toBe('https://user:***@example.com/h?token=***&x=1');
  });
});
