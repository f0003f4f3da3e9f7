/**
 * A loopback HTTP proxy between lifeboat and moto that records every request (method and
 * path), so tests can prove what was and was not sent "at the server". Fault injection
 * hooks in here too.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  /** For query-protocol services (RDS, Auto Scaling, STS: every call is a POST), the Action named in the form body. */
  action?: string;
}

/** Calls that change nothing though sent as POST: the AWS preflight's sts:GetCallerIdentity. */
const READ_ONLY_ACTIONS = new Set(['GetCallerIdentity']);

export interface RecordingProxy {
  endpoint: string;
  requests: Recorded[];
  /** Requests that could change something: anything but GET and HEAD, except S3 list/read POSTs (none exist). */
  mutating(): Recorded[];
  /** Query-protocol calls whose Action is not read-only (Describe*, List*, Get*, AssumeRole…), plus non-query writes. */
  mutatingActions(): string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: Recorded[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const recorded: Recorded = { method: req.method ?? 'GET', path: req.url ?? '/' };
    requests.push(recorded);
    if (recorded.method === 'POST' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      let body = '';
      req.on('data', (d: Buffer) => {
        if (body.length < 256) body += d.toString();
        recorded.action ??= /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
      });
    }
    const fwd = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    mutating: () => requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !(r.action !== undefined && READ_ONLY_ACTIONS.has(r.action))),
    mutatingActions: () =>
      requests
        .filter((r) => r.method !== 'GET' && r.method !== 'HEAD')
        .map((r) => r.action ?? `${r.method} ${r.path}`)
        .filter((a) => !/^(Describe|List|Get|AssumeRole$)/.test(a)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
