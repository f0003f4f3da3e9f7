/**
 * A second moto server for the 100,000-object listing figure, seeded in-process.
 *
 * Seeding 100,000 objects through moto's HTTP API runs at ~200 PUT/s on these machines
 * (over 8 minutes): instead, a small Python program starts moto's own ThreadedMotoServer
 * and writes the objects straight into its S3 backend (seconds). The objects are then
 * listed over HTTP like any other.
 *
 * moto's ListObjectsV2 scans and sorts every key of the bucket on every page (about 1.2 s a
 * page at 100,000 keys, two minutes a listing, whoever lists): the program serves pages from
 * a sorted index of the bucket, kept while the bucket does not change (same pages, same
 * continuation tokens), so the figure measures the clients, not moto. Both clients
 * (lifeboat, aws cli) list through the same server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../src/demo/moto.js';

/** A Python that can import moto: python3, else the interpreter moto_server runs with (pipx). */
function motoPython(): string | undefined {
  const imports = (py: string): boolean => spawnSync(py, ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0;
  if (imports('python3')) return 'python3';
  const where = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).stdout.trim();
  if (!where) return undefined;
  try {
    const shebang = /^#!\s*(\S+)/.exec(readFileSync(where, 'utf8').split('\n')[0] ?? '')?.[1];
    if (shebang && imports(shebang)) return shebang;
  } catch {
    // not readable: give up below
  }
  return undefined;
}

const PROGRAM = String.raw`
import bisect, logging, sys, threading, time
from moto.server import ThreadedMotoServer
from moto.s3.models import s3_backends, S3Backend, FakeDeleteMarker
from moto.core import DEFAULT_ACCOUNT_ID

port, bucket, prefix, count, size = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])

# ListObjectsV2 without a delimiter, from a sorted index of the bucket kept while the bucket is
# unchanged: moto's own scans and sorts every key on every page. Same pages, same tokens.
_v2 = S3Backend.list_objects_v2
_index = {}
def list_objects_v2(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys):
    if delimiter:
        return _v2(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys)
    key = (bucket.name, prefix or "", len(bucket.keys))
    if key not in _index:
        _index.clear()
        objs = sorted((k for name, k in bucket.keys.items() if name.startswith(prefix or "") and not isinstance(k, FakeDeleteMarker)), key=lambda k: k.name)
        _index[key] = ([k.name for k in objs], objs)
    names, objs = _index[key]
    limit = self._pagination_tokens.get(continuation_token) if continuation_token else start_after
    start = bisect.bisect_right(names, limit) if limit else 0
    return self._truncate_result(objs[start:start + max_keys + 1], max_keys)
S3Backend.list_objects_v2 = list_objects_v2

# No request log: 100 pages a listing would only fill a pipe nobody needs to read.
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
started = time.time()
backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
backend.create_bucket(bucket, "us-east-1")
body = b"x" * size
for i in range(count):
    backend.put_object(bucket, "%s%02d/%07d.dump" % (prefix, i % 24, i), body)
print("seeded %d %.1f" % (count, time.time() - started), flush=True)
threading.Event().wait()
`;

export interface SeededMoto {
  endpoint: string;
  bucket: string;
  prefix: string;
  count: number;
  seedSeconds: number;
  stop(): Promise<void>;
}

export async function startSeededMoto(options: { bucket: string; prefix: string; count: number; size: number }): Promise<SeededMoto> {
  const python = motoPython();
  if (!python) throw new Error('no Python that can import moto (python3 -c "import moto.server" fails, and moto_server\'s interpreter too)');
  const port = await freePort();
  const child: ChildProcess = spawn(python, ['-c', PROGRAM, String(port), options.bucket, options.prefix, String(options.count), String(options.size)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const seedSeconds = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`seeding ${options.count} objects took over 5 minutes`)), 300_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /seeded \d+ ([\d.]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the seeded moto exited (${String(code)}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: options.bucket,
    prefix: options.prefix,
    count: options.count,
    seedSeconds,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
