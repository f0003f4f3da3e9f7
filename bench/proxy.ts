/**
 * A loopback proxy in front of moto for the benchmarks: it counts requests by S3 / Route 53
 * operation (told from the HTTP request itself, so it counts lifeboat, rclone and the aws
 * cli alike), records the size of every list page, and can make Route 53 report a change
 * as PENDING for a while before INSYNC, as AWS does (moto reports INSYNC at once).
 */
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  endpoint: string;
  /** Requests by operation, e.g. { CopyObject: 2000, ListObjectsV2: 4 }. */
  counts: Record<string, number>;
  /** Objects per ListObjectsV2 / ListObjectVersions page, in order. */
  listPages: number[];
  /** MaxKeys asked for per list request ('' when not given: S3's default, 1,000). */
  maxKeys: string[];
  reset(): void;
  /**
   * From now on, a Route 53 change reads PENDING until `delayMs` after it was submitted;
   * `insyncAt` gives, per change id, the time (Date.now()) from which the server reports INSYNC.
   */
  delayInsync(delayMs: number): void;
  insyncAt: Map<string, number>;
  close(): Promise<void>;
}

/** The S3 or Route 53 operation a request is. */
export function operationOf(req: IncomingMessage): string {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://x');
  const q = url.searchParams;
  const path = url.pathname;
  if (path.startsWith('/2013-04-01/')) {
    if (path.includes('/rrset')) return method === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets';
    if (path.startsWith('/2013-04-01/change/')) return 'GetChange';
    return `Route53 ${method} ${path.split('/')[2] ?? ''}`;
  }
  const segments = path.split('/').filter(Boolean);
  const hasKey = segments.length > 1;
  switch (method) {
    case 'PUT':
      if (req.headers['x-amz-copy-source']) return q.has('partNumber') ? 'UploadPartCopy' : 'CopyObject';
      if (q.has('partNumber')) return 'UploadPart';
      if (!hasKey) return q.has('versioning') ? 'PutBucketVersioning' : 'CreateBucket';
      return 'PutObject';
    case 'HEAD':
      return hasKey ? 'HeadObject' : 'HeadBucket';
    case 'GET':
      if (hasKey) return q.has('attributes') ? 'GetObjectAttributes' : 'GetObject';
      if (q.has('versioning')) return 'GetBucketVersioning';
      if (q.has('versions')) return 'ListObjectVersions';
      if (q.has('location')) return 'GetBucketLocation';
      if (q.get('list-type') === '2') return 'ListObjectsV2';
      return segments.length === 0 ? 'ListBuckets' : 'ListObjects';
    case 'DELETE':
      return hasKey ? 'DeleteObject' : 'DeleteBucket';
    case 'POST':
      if (q.has('delete')) return 'DeleteObjects';
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      return 'POST';
    default:
      return method;
  }
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const counts: Record<string, number> = {};
  const listPages: number[] = [];
  const maxKeys: string[] = [];
  const insyncAt = new Map<string, number>();
  let delayMs = 0;

  const server: Server = createServer((req, res) => {
    const op = operationOf(req);
    counts[op] = (counts[op] ?? 0) + 1;
    const isList = op === 'ListObjectsV2' || op === 'ListObjectVersions' || op === 'ListObjects';
    if (isList) maxKeys.push(new URL(req.url ?? '/', 'http://x').searchParams.get('max-keys') ?? '');
    const rewrite = delayMs > 0 && (op === 'ChangeResourceRecordSets' || op === 'GetChange');
    const fwd = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
      if (!isList && !rewrite) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        let body = Buffer.concat(chunks).toString('utf8');
        if (isList) listPages.push((body.match(/<(Contents|Version|DeleteMarker)>/g) ?? []).length);
        if (rewrite) {
          const id = /<Id>(?:\/change\/)?([^<]+)<\/Id>/.exec(body)?.[1];
          if (id) {
            if (!insyncAt.has(id)) insyncAt.set(id, Date.now() + delayMs);
            if (Date.now() < (insyncAt.get(id) as number)) body = body.replace('<Status>INSYNC</Status>', '<Status>PENDING</Status>');
          }
        }
        const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(body)) };
        delete headers['transfer-encoding'];
        res.writeHead(up.statusCode ?? 502, headers);
        res.end(body);
      });
    });
    fwd.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    listPages,
    maxKeys,
    insyncAt,
    reset: () => {
      for (const k of Object.keys(counts)) delete counts[k];
      listPages.length = 0;
      maxKeys.length = 0;
      insyncAt.clear(); // moto gives every change the same id
    },
    delayInsync: (d) => {
      delayMs = d;
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
