/**
 * Start-up: `lifeboat --help`, `lifeboat validate runbooks/*.yaml` and `lifeboat plan` of a
 * runbook without AWS steps (the `lifeboat init` starter: manual, http.check, shell; plan
 * makes no network call for them, so no moto is needed) against `node -e 0`, the floor any
 * Node CLI pays. Runs are interleaved (node, help, validate, plan, node, …) so a slow moment
 * of the machine hits all alike; the figure is the ratio of medians, and beside it what
 * lifeboat adds in milliseconds. The CLI run is the shipped bin (package.json "bin": the
 * esbuild bundle, build/bundle.mjs).
 *
 * Every process here starts without the NODE_* variables of the bench's own environment.
 * NODE_EXTRA_CA_CERTS alone (set on this machine, as on many corporate ones) makes Node 20
 * read and parse the whole CA bundle at every start, ~85 ms here: it made `node -e 0` three
 * times as slow and the ratios look better than they are. NODE_OPTIONS could add anything.
 *
 * BENCH_NODES=/path/to/node22,/path/to/node24 times the same commands under other Node
 * binaries too (users run 22 and 24; this machine has 20), each against its own
 * `node -e 0`: one more row per command and binary.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, median, ms, ratio, timeSync, type Figure } from './lib.js';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 11);
const TARGET = 2;

type Command = 'node' | 'help' | 'validate' | 'plan';

/** The bench's environment without NODE_*: what a bare `node` start means. */
export function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('NODE_')) delete env[k];
  return env;
}

/** Other Node binaries to time, from BENCH_NODES, each with the version it reports. */
function otherNodes(env: NodeJS.ProcessEnv): Array<{ path: string; version: string }> {
  const paths = (process.env.BENCH_NODES ?? '').split(',').filter((p) => p !== '');
  return paths.map((path) => {
    const r = spawnSync(path, ['--version'], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`BENCH_NODES: ${path} --version exited with ${String(r.status)}`);
    return { path, version: r.stdout.trim() };
  });
}

export function startup(tmp: string): Figure[] {
  const runbooks = readdirSync(join(ROOT, 'runbooks'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `runbooks/${f}`);
  const env = bareEnv();
  const init = spawnSync(process.execPath, [BIN, 'init', 'bench-plan'], { cwd: tmp, env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`lifeboat init exited ${String(init.status)}: ${init.stderr.trim()}`);
  const commands: Record<Command, string[]> = {
    node: ['-e', '0'],
    help: [BIN, '--help'],
    validate: [BIN, 'validate', ...runbooks],
    plan: [BIN, 'plan', join(tmp, 'bench-plan.yaml')],
  };
  const noTimes = (): Record<Command, number[]> => ({ node: [], help: [], validate: [], plan: [] });
  const nodes = [{ path: process.execPath, version: process.version }, ...otherNodes(env)].map((n) => ({ ...n, times: noTimes() }));
  // Warm the page cache (and Node 22+'s compile cache) first: the figure is a warm start.
  for (const n of nodes) for (const args of Object.values(commands)) timeSync(n.path, args, env);
  for (let i = 0; i < RUNS; i++) {
    for (const n of nodes) {
      for (const [name, args] of Object.entries(commands) as Array<[Command, string[]]>) n.times[name].push(timeSync(n.path, args, env));
    }
  }
  const note = `median of ${RUNS} interleaved runs each of node -e 0, --help, validate and plan, warm page cache, no NODE_* variables (NODE_EXTRA_CA_CERTS costs Node 20 ~85 ms a start here); plan reads no AWS (manual, http.check, shell steps)`;
  return nodes.flatMap((n, j) => {
    const t = n.times;
    const node = median(t.node);
    // The machine's own Node keeps the ids the README and earlier results use.
    const suffix = j === 0 ? '' : `-node${n.version.replace(/^v(\d+).*/, '$1')}`;
    const on = j === 0 ? '' : `, Node ${n.version}`;
    const row = (id: string, figure: string, samples: number[]): Figure => {
      const r = median(samples) / node;
      return {
        id: `${id}${suffix}`,
        figure: `${figure}${on}`,
        measured: `${ratio(r)} (${ms(median(samples))} vs ${ms(node)}: +${ms(median(samples) - node)})`,
        target: `≤ ${ratio(TARGET)} node -e 0`,
        met: r <= TARGET,
        value: r,
        raw: { node: n.version, medianMs: median(samples), nodeMedianMs: node, addedMs: median(samples) - node, runs: samples.length, samplesMs: samples.map((x) => Math.round(x * 10) / 10) },
      };
    };
    return [
      row('startup-help', 'start-up: lifeboat --help', t.help),
      row('startup-validate', `start-up: lifeboat validate runbooks/*.yaml (${runbooks.length} files)`, t.validate),
      { ...row('startup-plan', 'start-up: lifeboat plan, 3 steps without AWS (lifeboat init starter)', t.plan), ...(j === 0 ? { note } : {}) },
    ];
  });
}
