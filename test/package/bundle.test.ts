/**
 * The shipped bundle (build/bundle.mjs) keeps the heavy code out of the quick commands: a
 * cold `lifeboat --help`, `validate` and `plan` of a runbook without AWS steps read no chunk
 * that holds AWS SDK, execa, inquirer or cli-progress code. Which files a process reads is
 * seen by a module loader hook (module.register, Node ≥ 20.6) that appends every loaded URL
 * to a file; which packages a chunk holds comes from esbuild's metafile (dist/bundle-meta.json).
 * And the bundle runs with no node_modules at all: everything it needs is inside.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { BIN, ROOT, tempDir } from '../helpers/cli.js';

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown>; imports: Array<{ path: string; kind: string; external?: boolean }> }>;
}

const HEAVY = /node_modules\/(@aws-sdk|@smithy|@inquirer|execa|cli-progress)\//;
const RUNBOOKS = ['dns-failover', 'region-failover-full', 'region-failover', 'restore-drill'].map((n) => join(ROOT, 'runbooks', `${n}.yaml`));

let meta: Metafile;
let dir: string;
let hook: string;

/** The packages (or source directories) held by each bundle file, by file name. */
function packagesByFile(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [file, o] of Object.entries(meta.outputs)) {
    const pkgs = new Set(Object.keys(o.inputs).map((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(i)?.[0] ?? i.split('/').slice(0, 2).join('/')));
    out.set(basename(file), pkgs);
  }
  return out;
}

/** Run the bundle with the recording hook; the bundle files it loaded, by name. */
function loadedFiles(args: string[], cwd = dir): { code: number | null; files: string[]; stderr: string } {
  const log = join(dir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', LIFEBOAT_LOAD_LOG: log, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    timeout: 60_000,
  });
  const bundleDir = pathToFileURL(join(BIN, '..')).href;
  const files = readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith(`${bundleDir}/`))
    .map((u) => u.slice(bundleDir.length + 1));
  return { code: r.status, files: [...new Set(files)], stderr: r.stderr };
}

function heavyIn(files: string[]): string[] {
  const byFile = packagesByFile();
  return files.flatMap((f) => [...(byFile.get(f) ?? [])].filter((p) => HEAVY.test(p)).map((p) => `${f}: ${p}`));
}

beforeAll(() => {
  meta = JSON.parse(readFileSync(join(ROOT, 'dist/bundle-meta.json'), 'utf8')) as Metafile;
  dir = tempDir('lifeboat-bundle-');
  // The hook module registers a loader (in its own thread) that logs each URL it loads.
  const loader = join(dir, 'loader.mjs');
  writeFileSync(loader, "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  appendFileSync(process.env.LIFEBOAT_LOAD_LOG, url + '\\n');\n  return next(url, context);\n}\n");
  hook = join(dir, 'hook.mjs');
  writeFileSync(hook, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(loader).href)});\n`);
});

describe('the bundle loads only what a command needs', () => {
  test('the metafile knows which chunks hold the heavy packages (the check below can fail)', () => {
    const all = [...packagesByFile().keys()];
    expect(heavyIn(all).some((h) => h.includes('@aws-sdk'))).toBe(true);
    expect(heavyIn(all).some((h) => h.includes('execa'))).toBe(true);
    expect(heavyIn(all).some((h) => h.includes('@inquirer'))).toBe(true);
  });

  test('--help: the entry and commander only', () => {
    const r = loadedFiles(['--help']);
    expect(r.code).toBe(0);
    expect(r.files).toContain(basename(BIN));
    expect(heavyIn(r.files)).toEqual([]);
  });

  test('validate of the shipped runbooks: yaml and zod, no AWS SDK, execa, inquirer or cli-progress', () => {
    const r = loadedFiles(['validate', ...RUNBOOKS]);
    expect(r.code, r.stderr).toBe(0);
    const pkgs = new Set(r.files.flatMap((f) => [...(packagesByFile().get(f) ?? [])]));
    // The hook saw the chunks validate needs: the check is looking at the right thing.
    expect([...pkgs].filter((p) => /node_modules\/(yaml|zod)\//.test(p)).sort()).toEqual(['node_modules/yaml/', 'node_modules/zod/']);
    expect(heavyIn(r.files)).toEqual([]);
  });

  test('plan of a runbook without AWS steps (lifeboat init): no AWS SDK, inquirer or cli-progress', () => {
    const work = tempDir('lifeboat-bundle-plan-');
    expect(loadedFiles(['init', 'starter'], work).code).toBe(0);
    const r = loadedFiles(['plan', 'starter.yaml'], work);
    expect(r.code, r.stderr).toBe(0);
    // execa is the shell step's, whose plan may describe the command: only the AWS SDK, prompts and progress bars are out.
    expect(heavyIn(r.files).filter((h) => !h.includes('execa'))).toEqual([]);
  });
});

test('the bundle imports nothing but Node itself', () => {
  const outside = Object.entries(meta.outputs).flatMap(([file, o]) =>
    o.imports.filter((i) => i.external === true && !builtinModules.includes(i.path.replace(/^node:/, ''))).map((i) => `${basename(file)}: ${i.kind} ${i.path}`),
  );
  expect(Object.keys(meta.outputs).length).toBeGreaterThan(10);
  expect(outside).toEqual([]);
});

test('the bundle runs with no node_modules: every dependency is inside it', () => {
  const pkg = tempDir('lifeboat-bundle-alone-');
  for (const p of ['package.json', 'schema', 'runbooks']) cpSync(join(ROOT, p), join(pkg, p), { recursive: true });
  mkdirSync(join(pkg, 'dist'));
  cpSync(join(BIN, '..'), join(pkg, 'dist', basename(join(BIN, '..'))), { recursive: true });
  expect(existsSync(join(pkg, 'node_modules'))).toBe(false);
  const bin = join(pkg, 'dist', basename(join(BIN, '..')), basename(BIN));
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: pkg, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: pkg, NO_COLOR: '1' } });
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  expect(run(['--version']).stdout.trim()).toBe(version);
  const v = run(['validate', ...RUNBOOKS.map((f) => join('runbooks', basename(f)))]);
  expect(v.status, v.stderr).toBe(0);
  expect(v.stdout.match(/: ok$/gm)).toHaveLength(RUNBOOKS.length);
  const s = run(['schema', '--path']);
  expect(s.stdout.trim()).toBe(join(pkg, 'schema', 'runbook.schema.json'));
  // Every chunk links and evaluates there too, the AWS SDK's and the prompts' included.
  const bundleDir = join(bin, '..');
  const chunks = readdirSync(bundleDir).filter((f) => f.endsWith('.js') && f !== basename(BIN));
  expect(chunks.length).toBeGreaterThan(10);
  const script = `for (const f of ${JSON.stringify(chunks.map((c) => pathToFileURL(join(bundleDir, c)).href))}) await import(f);\nprocess.stdout.write('loaded');`;
  const all = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: pkg, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: pkg } });
  expect(all.status, all.stderr).toBe(0);
  expect(all.stdout).toBe('loaded');
});
