/** --notify: a JSON POST with a timeout and a few retries; it never throws. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { freePort } from '../helpers/moto.js';
import { checkNotifyUrl, notify, safeUrl } from '../../src/report/notify.js';

interface Hit {
  method: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A local server answering with the given statuses in turn (the last one repeats). */
async function serve(statuses: number[], handler?: (res: ServerResponse, n: number) => boolean): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      hits.push({ method: req.method, headers: req.headers, body });
      if (handler?.(res, hits.length)) return;
      res.writeHead(statuses[Math.min(hits.length, statuses.length) - 1] ?? 200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/lifeboat?token=s3cr3t`, hits };
}

const fast = { backoffMs: 10, sleep: async () => undefined };

describe('notify', () => {
  test('POSTs the body as JSON', async () => {
    const { url, hits } = await serve([204]);
    const r = await notify(url, { runId: 'r1', verdict: 'passed' }, { userAgent: 'lifeboat/9.9.9' });
    expect(r).toEqual({ ok: true, attempts: 1, status: 204 });
    expect(hits).toHaveLength(1);
    expect(hits[0]?.method).toBe('POST');
    expect(hits[0]?.headers['content-type']).toBe('application/json');
    expect(hits[0]?.headers['user-agent']).toBe('lifeboat/9.9.9');
    expect(JSON.parse(hits[0]?.body ?? '')).toEqual({ runId: 'r1', verdict: 'passed' });
  });

  test('retries a 503 and a 429, then succeeds', async () => {
    const { url, hits } = await serve([503, 429, 200]);
    const r = await notify(url, {}, fast);
    expect(r).toMatchObject({ ok: true, attempts: 3 });
    expect(hits).toHaveLength(3);
  });

  test('a 400 is final: no retry; the message names the origin, never the token', async () => {
    const { url, hits } = await serve([400]);
    const r = await notify(url, {}, fast);
    expect(r.ok).toBe(false);
    expect(hits).toHaveLength(1);
    expect(r.error).toMatch(/^http:\/\/127\.0\.0\.1:\d+ answered HTTP 400/);
    expect(r.error).not.toContain('s3cr3t');
  });

  test('gives up after the attempts, with what went wrong', async () => {
    const { url, hits } = await serve([500]);
    const r = await notify(url, {}, { ...fast, attempts: 3 });
    expect(r).toMatchObject({ ok: false, attempts: 3, status: 500 });
    expect(hits).toHaveLength(3);
    expect(r.error).toContain('(after 3 attempts)');
  });

  test('a refused connection is retried, then reported, never thrown', async () => {
    const port = await freePort();
    const pauses: number[] = [];
    const r = await notify(`http://127.0.0.1:${port}/x`, {}, { backoffMs: 100, sleep: async (ms) => void pauses.push(ms) });
    expect(r.ok).toBe(false);
    expect(r.attempts).toBe(3);
    expect(r.error).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(pauses).toEqual([100, 200]);
  });

  test('an answer that never comes times out', async () => {
    const { url } = await serve([200], () => true); // never answers
    const started = Date.now();
    const r = await notify(url, {}, { ...fast, attempts: 2, timeoutMs: 200 });
    expect(r.ok).toBe(false);
    expect(r.error).toContain('no answer in time');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('URLs are checked before a run; only the origin is ever printed', () => {
    expect(checkNotifyUrl('https://hooks.example.com/x')).toBeUndefined();
    expect(checkNotifyUrl('ftp://x')).toMatch(/http:\/\/ or https:\/\//);
    expect(checkNotifyUrl('not a url')).toMatch(/http:\/\/ or https:\/\//);
    expect(safeUrl('https://hooks.slack.com/services/T0/B0/XYZ')).toBe('https://hooks.slack.com');
  });
});
