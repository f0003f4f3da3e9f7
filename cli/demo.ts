/**
 * `npm run demo`: a DNS failover walked interactively against a local moto server seeded
 * with a hosted zone (and versioned backup buckets), so no AWS account is needed.
 * `npm run demo -- region-failover`, `-- region-failover-full` (database, capacity and staged
 * traffic in us-west-2 too) or `-- restore-drill` walks the other examples; any
 * further arguments go to `lifeboat run` (e.g. `-- --dry-run`). Uses
 * LIFEBOAT_DEMO_ENDPOINT when set.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline/promises';
import { awsEnvFor, startMoto, type Moto } from '../src/demo/moto.js';
import { seedDemo } from '../src/demo/seed.js';
import { seedDemoBackups } from '../src/demo/seed-s3.js';
import { loadRun } from '../src/journal/store.js';
import { seedDemoRegion } from '../src/demo/seed-regional.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = fileURLToPath(new URL('./bin.js', import.meta.url));

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let moto: Moto | undefined;
  let endpoint = process.env.LIFEBOAT_DEMO_ENDPOINT;
  if (!endpoint) {
    process.stdout.write('starting a local moto server (a stand-in for AWS)…\n');
    try {
      moto = await startMoto();
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 2;
    }
    endpoint = moto.endpoint;
  }
  try {
    const argv = process.argv.slice(2);
    const which = ['dns-failover', 'region-failover', 'region-failover-full', 'restore-drill'].includes(argv[0] ?? '') ? (argv.shift() as string) : 'dns-failover';
    const { zoneId } = await seedDemo(endpoint);
    const { betweenNights } = await seedDemoBackups(endpoint);
    const region = await seedDemoRegion(endpoint, zoneId, 'example.com');
    const env = { ...process.env, ...awsEnvFor(endpoint), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    process.stdout.write(
      `moto at ${endpoint}; hosted zone example.com is ${zoneId}; app.example.com → primary.example.com\n` +
        'buckets: acme-backups (three nightly dumps), acme-usw2-data, acme-restore-scratch\n' +
        `${region.region}: Aurora cluster ${region.cluster} (writer ${region.writer}), Auto Scaling group ${region.group} (0 instances); ` +
        `${region.weighted} weighted use1 100 / usw2 0\n` +
        `(to restore the second night: --param as_of=${betweenNights})\n` +
        `walking runbooks/${which}.yaml: choose at each step (arrows + Enter)\n\n`,
    );
    const params: string[] = [];
    if (which !== 'restore-drill') params.push('--param', `zone_id=${zoneId}`);
    if (which === 'region-failover' || which === 'region-failover-full') params.push('--param', `health_url=${await healthServer()}`);
    const args = [bin, 'run', `runbooks/${which}.yaml`, ...params, ...argv];
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 130 : 1)));
    });
    const dirFlag = argv.indexOf('--state-dir');
    const stateDir = (dirFlag >= 0 ? argv[dirFlag + 1] : undefined) || process.env.LIFEBOAT_STATE_DIR || join(root, '.lifeboat');
    const runId = newestRun(stateDir);
    process.stdout.write(`\n${await closingLines({ code, runId, stateDir, endpoint, zoneId })}`);
    if (moto && process.stdin.isTTY) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      await rl.question('Press Enter to stop the demo server. ');
      rl.close();
    }
    return code;
  } finally {
    await moto?.stop();
  }
}

/**
 * The demo's last words, from the run's journal: what actually happened, and only the
 * hints that apply, each runnable as printed (region and endpoint included: the aws cli
 * needs a region even for Route 53 against a local endpoint).
 */
async function closingLines(o: { code: number; runId: string | undefined; stateDir: string; endpoint: string; zoneId: string }): Promise<string> {
  const aws = `AWS_ENDPOINT_URL=${o.endpoint} AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x`;
  const lines: string[] = [];
  const look = [
    'Look at the zone (in another terminal, while this demo waits):',
    `  AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --endpoint-url ${o.endpoint} route53 list-resource-record-sets --hosted-zone-id ${o.zoneId}`,
  ];
  let end: string | undefined;
  let changed: string[] = [];
  if (o.runId) {
    try {
      const { run } = await loadRun(o.stateDir, o.runId);
      end = run.end?.outcome;
      changed = [...run.applied];
    } catch {
      end = undefined;
    }
  }
  const state = o.stateDir === join(root, '.lifeboat') ? '' : ` --state-dir ${o.stateDir}`;
  switch (end) {
    case 'completed':
      lines.push(`The run completed (run ${o.runId}): the failover is in place.`, ...look);
      if (changed.length > 0) lines.push('Roll the failover back:', `  ${aws} npx lifeboat rollback ${o.runId}${state}`);
      break;
    case 'rolledBack':
      lines.push(`Everything the run changed was rolled back (run ${o.runId}): the zone is as it was before.`, ...look);
      break;
    case 'refused':
      lines.push(`The run was refused before it changed anything (exit ${o.code}); the message above says why.`);
      break;
    case undefined:
      lines.push(o.runId ? `The run stopped without recording an end (exit ${o.code}).` : `lifeboat exited with ${o.code} before a run began; the message above says why.`);
      break;
    default:
      lines.push(`The run ended ${end} (exit ${o.code}, run ${o.runId}).`, ...look);
      if (changed.length > 0) {
        lines.push(`Still changed: ${changed.join(', ')}. Continue or undo it:`);
        lines.push(`  ${aws} npx lifeboat resume ${o.runId}${state}`, `  ${aws} npx lifeboat rollback ${o.runId}${state}`);
      }
  }
  lines.push(`Past runs: npx lifeboat runs${state}`);
  return `${lines.join('\n')}\n`;
}

/** Run ids sort by time: the newest is the walk that just ended. */
function newestRun(stateDir: string): string | undefined {
  try {
    return readdirSync(join(stateDir, 'runs')).sort().at(-1);
  } catch {
    return undefined;
  }
}

/** The standby's health endpoint for region-failover: a local server answering 200. */
async function healthServer(): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
  });
  server.unref();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
