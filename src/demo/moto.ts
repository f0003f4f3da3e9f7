/**
 * Starts moto_server (a local AWS wire-protocol server) on a free loopback port and stops
 * it afterwards. Used by the test suite's globalSetup, the demo and the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const MOTO_MISSING_HINT =
  "moto_server was not found. lifeboat's tests and demo run against a local moto server; install it with:\n" +
  "    pipx install 'moto[server]'      (or: pip install 'moto[server]')";

export interface Moto {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The environment that points the SDK (and lifeboat) at a local endpoint, never at AWS. */
export function awsEnvFor(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

export async function startMoto(options: { timeoutMs?: number } = {}): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const commands: Array<[string, string[]]> = [
    ['moto_server', ['-H', '127.0.0.1', '-p', String(port)]],
    ['python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)]],
  ];
  let lastError = '';
  for (const [cmd, args] of commands) {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
      child.on('error', () => resolve(-1));
    });
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let dead = false;
    void exited.then(() => {
      dead = true;
    });
    while (!dead && Date.now() < deadline) {
      if (await answers(endpoint)) return { endpoint, port, stop: () => stop(child, exited) };
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!dead) await stop(child, exited);
    lastError = stderr.trim().split('\n').slice(-3).join('\n');
  }
  throw new Error(`${MOTO_MISSING_HINT}${lastError ? `\n(last error: ${lastError})` : ''}`);
}

async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
