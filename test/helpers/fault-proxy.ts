/**
 * A loopback HTTP proxy between the SDK (lifeboat) and moto that injects the faults AWS
 * really produces, at a chosen rate, from a seeded PRNG, and counts what it injected:
 *
 * - `s3-slowdown`: S3's `503 SlowDown` with the body S3 sends (no body for HEAD, as S3).
 * - `route53-throttling`: Route 53's `400 Throttling` ("Rate exceeded").
 * - `route53-prior-request`: Route 53's `400 PriorRequestNotComplete`, only on a change
 *   request (POST …/rrset), the one call Route 53 answers it to.
 * - `reset`: the connection is destroyed before the request reaches moto (the client sees
 *   ECONNRESET / socket hang up). Nothing was done at the server.
 * - `latency`: the request is held back for a while, then forwarded normally.
 * - `reset-after` (opt-in, not in the default set): the request reaches moto and is carried
 *   out, then the connection is destroyed before the response gets back: the client cannot
 *   know whether it happened (its retry repeats a request that already took effect).
 *
 * Requests are told apart by path: Route 53's REST API lives under /2013-04-01/, anything
 * else is S3. Faults can be switched off (`setRate(0)`) while a test seeds or inspects.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAULTS = ['s3-slowdown', 'route53-throttling', 'route53-prior-request', 'reset', 'latency', 'reset-after'] as const;
export type Fault = (typeof FAULTS)[number];

export type Service = 's3' | 'route53';

export interface FaultProxyOptions {
  /** Probability (0…1) that a request gets a fault. */
  rate: number;
  /** Seed of the PRNG that decides which requests get which fault. */
  seed: number;
  /** The kinds to inject (default: all but reset-after). A request gets one of those that apply to it. */
  faults?: readonly Fault[];
  /** Extra delay of a `latency` fault, uniformly in [min, max] ms (default 50–400). */
  latencyMs?: readonly [number, number];
  /** Limit a kind to some services, e.g. { 'reset-after': ['s3'] }. */
  services?: Partial<Record<Fault, readonly Service[]>>;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  service: Service;
  fault?: Fault;
}

export interface FaultProxy {
  endpoint: string;
  /** Faults injected so far, by kind. */
  readonly injected: Record<Fault, number>;
  /** Every request received, in arrival order, with the fault it got. */
  readonly log: ProxiedRequest[];
  totalInjected(): number;
  /** Errors and resets only (latency is not an error). */
  errorsInjected(): number;
  setRate(rate: number): void;
  close(): Promise<void>;
}

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROUTE53_NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

export function serviceOf(path: string): Service {
  return path.startsWith('/2013-04-01/') ? 'route53' : 's3';
}

/** S3's SlowDown, as S3 sends it (status 503). */
export function s3SlowDownBody(requestId: string, hostId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`
  );
}

/** A Route 53 error document, as Route 53 sends it (status 400). */
export function route53ErrorBody(code: 'Throttling' | 'PriorRequestNotComplete', requestId: string): string {
  const message = code === 'Throttling' ? 'Rate exceeded' : 'The request was rejected because Route 53 was still processing a prior request.';
  return (
    '<?xml version="1.0"?>\n' +
    `<ErrorResponse xmlns="${ROUTE53_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

function applicable(req: { method: string; path: string; service: Service }, kinds: readonly Fault[], services: FaultProxyOptions['services'] = {}): Fault[] {
  return kinds.filter((k) => {
    const only = services[k];
    if (only && !only.includes(req.service)) return false;
    switch (k) {
      case 's3-slowdown':
        return req.service === 's3';
      case 'route53-throttling':
        return req.service === 'route53';
      case 'route53-prior-request':
        return req.service === 'route53' && req.method === 'POST' && /\/rrset\/?(\?|$)/.test(req.path);
      default:
        return true;
    }
  });
}

export async function startFaultProxy(target: string, options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(target);
  const random = prng(options.seed);
  const kinds = options.faults ?? FAULTS.filter((f) => f !== 'reset-after');
  const [latMin, latMax] = options.latencyMs ?? [50, 400];
  let rate = options.rate;
  const injected = Object.fromEntries(FAULTS.map((f) => [f, 0])) as Record<Fault, number>;
  const log: ProxiedRequest[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  const forward = (req: IncomingMessage, res: ServerResponse, dropResponse = false): void => {
    const fwd = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        if (dropResponse) {
          up.resume();
          up.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(fwd);
  };

  /** Answer with an error once the request body has been read, as a server would. */
  const answer = (req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: string): void => {
    req.resume();
    req.on('end', () => {
      const withBody = req.method !== 'HEAD';
      res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
      res.end(withBody ? body : undefined);
    });
  };

  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const service = serviceOf(path);
    const entry: ProxiedRequest = { method, path, service };
    log.push(entry);
    let fault: Fault | undefined;
    if (rate > 0 && random() < rate) {
      const choices = applicable(entry, kinds, options.services);
      fault = choices.length > 0 ? choices[Math.floor(random() * choices.length)] : undefined;
    }
    if (fault === undefined) {
      forward(req, res);
      return;
    }
    entry.fault = fault;
    injected[fault] += 1;
    switch (fault) {
      case 's3-slowdown': {
        const id = randomBytes(8).toString('hex').toUpperCase();
        const hostId = randomBytes(48).toString('base64');
        answer(req, res, 503, { 'content-type': 'application/xml', 'x-amz-request-id': id, 'x-amz-id-2': hostId, server: 'AmazonS3' }, s3SlowDownBody(id, hostId));
        return;
      }
      case 'route53-throttling':
      case 'route53-prior-request': {
        const id = randomUUID();
        const code = fault === 'route53-throttling' ? 'Throttling' : 'PriorRequestNotComplete';
        answer(req, res, 400, { 'content-type': 'text/xml', 'x-amzn-requestid': id }, route53ErrorBody(code, id));
        return;
      }
      case 'reset':
        req.socket.destroy();
        return;
      case 'reset-after':
        forward(req, res, true);
        return;
      case 'latency': {
        const delay = latMin + Math.floor(random() * (latMax - latMin + 1));
        req.pause(); // the body waits in the socket; forward() pipes it on
        setTimeout(() => forward(req, res), delay);
        return;
      }
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    log,
    totalInjected: () => Object.values(injected).reduce((a, b) => a + b, 0),
    errorsInjected: () => Object.entries(injected).reduce((n, [k, v]) => (k === 'latency' ? n : n + v), 0),
    setRate: (r) => {
      rate = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
