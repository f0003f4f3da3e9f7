/**
 * The package installs anywhere (issue 15, item 5): from a fresh clone of the committed
 * tree, `npm ci && npm pack` (no build before: prepack builds) → a global install of the
 * tarball into a temporary prefix → `lifeboat --version`, `lifeboat validate` of a shipped
 * example and `lifeboat schema` from an empty directory, with no source tree around. The
 * package ships the esbuild bundle (dist/bundle/), which imports nothing but Node's
 * built-ins; its dependencies stay declared (and installed) so that what it is built from
 * is on record — that the bundle runs without them is test/package/bundle.test.ts's.
 * Slow (an npm ci and an install from the registry or npm's cache): one test.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const run = promisify(execFile);

/** Asynchronously: a synchronous child would block the test worker's event loop for minutes (vitest's RPC times out). */
async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await run(cmd, args, { cwd, env, encoding: 'utf8', timeout: 480_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

test('fresh clone → npm ci → npm pack → npm install -g → lifeboat works from an empty directory', { timeout: 900_000 }, async () => {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const work = tempDir('lifeboat-pack-');
  const clone = join(work, 'clone');
  await sh('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone], work);
  expect(existsSync(join(clone, 'dist')), 'a fresh clone has no build').toBe(false);

  await sh(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], clone);
  const packed = JSON.parse(await sh(npm, ['pack', '--json', '--loglevel=error', '--pack-destination', work], clone)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = packed[0]?.files.map((f) => f.path) ?? [];
  const pkg = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { bin: { lifeboat: string }; dependencies?: Record<string, string> };
  expect(pkg.bin.lifeboat).toBe('dist/bundle/lifeboat.js');
  expect(Object.keys(pkg.dependencies ?? {})).toEqual(expect.arrayContaining(['@aws-sdk/client-s3', '@aws-sdk/client-route-53', 'xstate', '@inquirer/prompts', 'execa']));
  expect(files).toContain('dist/bundle/lifeboat.js');
  expect(files).toContain('dist/bundle/THIRD-PARTY-NOTICES.txt');
  expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/bundle/')), 'only the bundle from dist/').toEqual([]);
  expect(files).toContain('LICENSE');
  expect(files).toContain('schema/runbook.schema.json');
  expect(files).toContain('docs/json.md');
  expect(files.filter((f) => /\.map$|^dist\/bench\/|demo|^test\//.test(f)), 'no bench, demo, tests or source maps').toEqual([]);

  const prefix = join(work, 'prefix');
  const tarball = join(work, packed[0]?.filename ?? '');
  await sh(npm, ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', tarball], work);
  const bin = join(prefix, 'bin', 'lifeboat');
  expect(existsSync(bin)).toBe(true);
  const installed = join(prefix, 'lib', 'node_modules', 'lifeboat');

  const empty = tempDir('lifeboat-empty-');
  const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
  expect((await sh('lifeboat', ['--version'], empty, env)).trim()).toBe(version);
  const example = join(installed, 'runbooks', 'dns-failover.yaml');
  expect(await sh('lifeboat', ['validate', example], empty, env)).toContain(': ok');
  const schema = JSON.parse(await sh('lifeboat', ['schema'], empty, env)) as { $id?: string };
  expect(schema.$id).toContain('runbook.schema.json');
  expect((await sh('lifeboat', ['schema', '--path'], empty, env)).trim()).toBe(join(installed, 'schema', 'runbook.schema.json'));
  // init writes a starter that validates, in the empty directory.
  await sh('lifeboat', ['init', 'starter'], empty, env);
  expect(await sh('lifeboat', ['validate', 'starter.yaml'], empty, env)).toContain('starter.yaml: ok');
  expect(readdirSync(empty)).toEqual(['starter.yaml']);
});
