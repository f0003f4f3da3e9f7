/**
 * Start-up: `lifeboat --help`, `lifeboat validate runbooks/*.yaml` and `lifeboat plan` of a
 * runbook without AWS steps (the `lifeboat init` starter: manual, http.check, shell; plan
 * makes no network call for them, so no moto is needed) against `node -e 0`, the floor any
 * Node CLI pays. Runs are interleaved (node, help, validate, plan, node, …) so a slow moment
 * of the machine hits all alike; the figure is the ratio of medians. The CLI run is the
 * shipped bin (package.json "bin": the esbuild bundle, build/bundle.mjs).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, median, ms, ratio, timeSync, type Figure } from './lib.js';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 11);
const TARGET = 2;

export function startup(tmp: string): Figure[] {
  const runbooks = readdirSync(join(ROOT, 'runbooks'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `runbooks/${f}`);
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' };
  const init = spawnSync(process.execPath, [BIN, 'init', 'bench-plan'], { cwd: tmp, env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`lifeboat init exited ${String(init.status)}: ${init.stderr.trim()}`);
  const commands: Record<'node' | 'help' | 'validate' | 'plan', string[]> = {
    node: ['-e', '0'],
    help: [BIN, '--help'],
    validate: [BIN, 'validate', ...runbooks],
    plan: [BIN, 'plan', join(tmp, 'bench-plan.yaml')],
  };
  const times: Record<keyof typeof commands, number[]> = { node: [], help: [], validate: [], plan: [] };
  // Warm the page cache first: the figure is a warm start (a cold disk is slower for all).
  for (const args of Object.values(commands)) timeSync(process.execPath, args, env);
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(commands) as Array<[keyof typeof commands, string[]]>) times[name].push(timeSync(process.execPath, args, env));
  }
  const node = median(times.node);
  const row = (id: string, figure: string, t: number[]): Figure => {
    const r = median(t) / node;
    return {
      id,
      figure,
      measured: `${ratio(r)} (${ms(median(t))} vs ${ms(node)})`,
      target: `≤ ${ratio(TARGET)} node -e 0`,
      met: r <= TARGET,
      value: r,
      raw: { medianMs: median(t), nodeMedianMs: node, runs: t.length, samplesMs: t.map((x) => Math.round(x * 10) / 10) },
    };
  };
  return [
    row('startup-help', 'start-up: lifeboat --help', times.help),
    row('startup-validate', `start-up: lifeboat validate runbooks/*.yaml (${runbooks.length} files)`, times.validate),
    {
      ...row('startup-plan', 'start-up: lifeboat plan, 3 steps without AWS (lifeboat init starter)', times.plan),
      note: `median of ${RUNS} interleaved runs each of node -e 0, --help, validate and plan, warm page cache; plan reads no AWS (manual, http.check, shell steps)`,
    },
  ];
}
