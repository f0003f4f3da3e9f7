// The shipped executable: cli/bin.ts and everything it reaches, bundled by esbuild into
// dist/bundle/ (run after `tsc`, which still typechecks and emits dist/ for the tests that
// import modules). Why a bundle: `lifeboat validate` spent most of its start-up resolving
// and compiling hundreds of files; one ESM entry plus a few chunks is less of both.
//
// - Code splitting: every `await import()` (each command in cli/main.ts, each step type in
//   src/steps/registry.ts's `load()`, each AWS client in src/aws/clients.ts) stays a chunk of its own, so
//   `--help` and `validate` load no AWS SDK, inquirer, execa or cli-progress code. A test
//   (test/package/bundle.test.ts) checks which files a cold `validate` reads.
// - Dependencies are bundled too: measured, validate started 4.2× `node -e 0` with them
//   left in node_modules and ~3× bundled (README "Performance"). The bundle imports only
//   Node's built-ins; package.json still declares them as dependencies (what lifeboat is
//   built from, on record); their licences go to dist/bundle/THIRD-PARTY-NOTICES.txt.
// - zod's 40 translations of its error messages (~360 KiB, a third of what validate would
//   compile) are left out: lifeboat writes its own messages (src/runbook/zod-issues.ts)
//   and zod's English ones are kept.
// - Chunks sit next to the entry, two directories below the package root as dist/src/*.js
//   did, so src/version.ts finds package.json at ../../package.json.
//
// Usage: node build/bundle.mjs   (npm run build runs it after tsc)
import { build } from 'esbuild';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;

/** zod/v4/locales/index.js → only English, which zod itself installs as the default. */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    let hit = false;
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      // zod/v4/core and zod/v4/classic both re-export the locales as a namespace.
      if (!/[\\/]node_modules[\\/]zod[\\/]v4[\\/](core|classic)[\\/]/.test(args.importer)) return undefined;
      hit = true;
      return { path: join(args.resolveDir, '..', 'locales', 'index.js'), namespace: 'zod-english-only' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from './en.js';\n`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
    b.onEnd((result) => {
      // zod moved its locales: say so rather than ship all of them without noticing.
      if (result.errors.length === 0 && !hit) throw new Error('build/bundle.mjs: zod/v4/classic no longer imports ../locales/index.js; update the zod-english-only plugin');
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { lifeboat: 'cli/bin.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  tsconfig: 'tsconfig.build.json',
  // The ESM build of a package without an "exports" map (the AWS SDK's dist-es): its
  // imports link statically. Through their CommonJS builds the SDK's clients reach each
  // other in a require cycle, and `await import()` of one got it half-initialised
  // ("STSClient is not a constructor"). Packages with "exports" pick by conditions anyway.
  mainFields: ['module', 'main'],
  // CommonJS dependencies (commander, yaml, the AWS SDK's) call require() for Node's own
  // modules; an ESM bundle has no require of its own.
  banner: { js: "import { createRequire as __lifeboatCreateRequire } from 'node:module';\nconst require = __lifeboatCreateRequire(import.meta.url);" },
  plugins: [zodEnglishOnly],
  metafile: true,
  logLevel: 'warning',
});

// Which source files each output file holds: test/package/bundle.test.ts maps the files a
// cold `validate` reads back to the packages in them. Kept beside the bundle, not shipped.
writeFileSync(`${root}dist/bundle-meta.json`, JSON.stringify(result.metafile));
writeFileSync(`${outdir}/THIRD-PARTY-NOTICES.txt`, notices(result.metafile));

/** The licence of every package the bundle holds a copy of (their terms ask for it to travel with the copy). */
function notices(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    // A plugin's input is named namespace:path (the zod-english-only one above).
    const m = /^(?:[\w-]+:)?(.*node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(input);
    if (m) dirs.add(resolve(root, m[1]));
  }
  const parts = [...dirs].sort().map((dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `License: ${pkg.license ?? 'see the package'}`;
    return `${pkg.name}@${pkg.version}\n${'-'.repeat(60)}\n${text}\n`;
  });
  return `lifeboat's bundle (dist/bundle/) holds copies of these ${parts.length} packages, under their licences:\n\n${parts.join('\n')}`;
}

const files = readdirSync(outdir);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
// On stderr: `npm pack --json` runs the build (prepack) and its stdout must stay JSON.
process.stderr.write(`bundle: dist/bundle/lifeboat.js and ${files.length - 1} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB\n`);
