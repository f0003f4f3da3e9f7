/**
 * What the benchmark sections share: running a process and measuring its wall time and
 * peak RSS, statistics, the result rows, and the machine description.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The shipped executable (package.json "bin": the esbuild bundle), as users run it. */
export const BIN = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { lifeboat: string } }).bin.lifeboat);

/** One row of the table. `met` is null when the figure was skipped or has no target. */
export interface Figure {
  id: string;
  figure: string;
  measured: string;
  target: string;
  met: boolean | null;
  /** The number compared with the target (ratio, ms, MiB, …). */
  value?: number;
  note?: string;
  raw?: Record<string, unknown>;
}

export function skipped(id: string, figure: string, target: string, reason: string): Figure {
  return { id, figure, measured: `skipped: ${reason}`, target, met: null };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

export const ms = (n: number): string => `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n)} ms`;
export const secs = (n: number): string => `${(n / 1000).toFixed(1)} s`;
export const ratio = (n: number): string => `${n.toFixed(2)}×`;
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export interface Measured {
  code: number | null;
  wallMs: number;
  /** Peak resident set size in bytes, when asked for and measurable. */
  peakRss?: number | undefined;
  stdout: string;
  stderr: string;
}

const HAS_GNU_TIME = existsSync('/usr/bin/time');

/**
 * Run a program to its end; wall time from spawn to exit. With `rss`, peak RSS comes from
 * GNU time -v (its "Maximum resident set size") or, without it, from polling VmHWM.
 */
export function measure(
  cmd: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; rss?: boolean; stdout?: 'pipe' | 'ignore'; timeoutMs?: number } = {},
): Promise<Measured> {
  const useTime = options.rss === true && HAS_GNU_TIME;
  const [file, argv] = useTime ? ['/usr/bin/time', ['-v', cmd, ...args]] : [cmd, [...args]];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Its own process group, so a timeout kills the program and not only GNU time around it.
    const child = spawn(file, argv, { env: options.env ?? process.env, cwd: options.cwd ?? ROOT, stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let hwm = 0;
    const poll =
      options.rss && !useTime
        ? setInterval(() => {
            try {
              const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
              if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
            } catch {
              // exited
            }
          }, 20)
        : undefined;
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let peakRss: number | undefined = hwm || undefined;
      if (useTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        if (m) peakRss = Number(m[1]) * 1024;
        const status = /Exit status: (\d+)/.exec(stderr);
        stderr = stderr.replace(/\n?\tCommand being timed:[\s\S]*$/, '');
        resolve({ code: status ? Number(status[1]) : code, wallMs, peakRss, stdout, stderr });
        return;
      }
      resolve({ code, wallMs, peakRss, stdout, stderr });
    });
  });
}

/** A wall time of a short command, synchronously (start-up figures: no event-loop noise). */
export function timeSync(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, cwd: ROOT, stdio: 'ignore' });
  const took = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${String(r.status)}`);
  return took;
}

/** The environment for the lifeboat CLI against an endpoint: no real AWS, no colour, no SDK nag. */
export function cliEnv(endpoint: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    USER: process.env.USER,
    LANG: process.env.LANG,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    NO_COLOR: '1',
    ...extra,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

export function lastJson<T>(stdout: string): T | undefined {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    return undefined;
  }
}

function firstLine(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, AWS_CA_BUNDLE: '' } });
  if (r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  moto?: string | undefined;
  rclone?: string | undefined;
  awsCli?: string | undefined;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${type()} ${readOsRelease() ?? ''}`.trim(),
    node: process.version,
    moto: firstLine('python3', ['-c', 'import moto; print(moto.__version__)']),
    rclone: firstLine('rclone', ['version'])?.replace(/^rclone /, ''),
    awsCli: firstLine('aws', ['--version'])?.split(' ')[0],
  };
}

function readOsRelease(): string | undefined {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}
