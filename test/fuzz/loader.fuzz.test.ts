/**
 * Fuzzing the loader (fast-check): runbooks made by mutating valid ones — the examples in
 * runbooks/ and a few inline ones that use every step type and field — with wrong types,
 * deleted and duplicated keys, broken YAML (characters inserted and deleted, lines moved,
 * re-indented, cut short), huge and unicode values, anchors and aliases, and deep nesting.
 *
 * Every case either loads, or yields problems, each of them one line
 * `<file>:<line>:<col>: <message>` with line and col inside the file. No exception escapes,
 * no case takes longer than CASE_BUDGET_MS, and a watchdog process ends the run (naming
 * the case) if one never returns.
 *
 * FUZZ_RUNS sets the number of cases (default 300; `npm run fuzz` runs 10,000), FUZZ_SEED
 * replays a run. Failures print the seed and the shrunk counterexample.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, describe, expect, test } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { RUNBOOK_NAME, STEP_ID } from '../../src/runbook/schema.js';
import { ROOT, runCli } from '../helpers/cli.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() ^ (process.pid << 8) : Number(process.env.FUZZ_SEED);
/** A case slower than this is a failure: an operator waits on `validate`. */
const CASE_BUDGET_MS = 5000;
/** No case at all for this long: the loader hangs; the watchdog ends the run. */
const HANG_MS = 60_000;

// ------------------------------------------------------------------ the valid seeds

const examples = readdirSync(join(ROOT, 'runbooks'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(join(ROOT, 'runbooks', f), 'utf8'));

const inline = [
  `version: 1
name: everything
description: every step type and field, valid
rto: 15m
rpo: 1h
params:
  zone_id: { description: zone, required: true }
  record: { default: app.example.com }
  token: { secret: true, default: "s3cr3t-value" }
  env: { default: prod }
require:
  - id: backups-fresh
    type: s3.verify-backups
    with: { bucket: acme-backups, prefix: db/, maxAge: 1h, minCount: 1, checksums: required }
  - id: standby-up
    type: http.check
    with: { url: "https://standby.example.com/healthz", status: [200, 204], timeout: 30s, interval: 2s }
steps:
  - id: ask
    type: manual
    description: Confirm
    with: { instructions: "Check the dashboard." }
    rollback: { instructions: "Tell people." }
  - id: failover-dns
    type: route53.change-records
    confirm: typed
    timeout: 5m
    retries: 2
    limits: { maxChanges: 2, maxDeletes: 0 }
    with:
      zoneId: \${{ params.zone_id }}
      changes:
        - { name: "\${{ params.record }}", type: CNAME, ttl: 60, values: ["standby.example.com"] }
        - { action: UPSERT, name: w.example.com, type: A, ttl: 60, values: ["192.0.2.1"], setIdentifier: blue, weight: 10 }
      wait: insync
      waitTimeout: 10m
  - id: restore-db
    type: s3.restore
    when: params.env == "prod"
    limits: { maxObjects: 1000, maxBytes: 1000000000 }
    with:
      source: "s3://acme-backups/db/"
      target: "s3://acme-usw2-data/db/"
      asOf: 2026-11-23T04:00:00Z
      include: ["*.dump"]
      exclude: "tmp/*"
      concurrency: 8
      verify: checksum
      multipartThreshold: 1048576
  - id: pause
    type: wait
    with: { duration: 1s }
  - id: announce
    type: shell
    with:
      run: ["./announce.sh", "done \${{ steps.restore-db.outputs.objects || 'none' }}", "\${{ steps.failover-dns.outputs.changeId }}"]
      cwd: scripts
      env: { CHANNEL: ops, TOKEN: "\${{ params.token }}" }
      timeout: 30s
      exitCodes: [0, 3]
    rollback: { run: ["./announce.sh", "rolled back"], timeout: 30s }
  - id: irreversible
    type: shell
    confirm: typed
    with: { run: [echo, bye] }
    rollback: false
`,
  `# anchors, aliases, block scalars and comments
version: 1
name: anchors.and_aliases-2
steps:
  - id: one
    type: shell
    with: &w { run: [echo, "one"], timeout: 5s }
  - id: two
    type: shell
    description: >
      folded text
      over lines
    with: *w
  - id: three
    type: wait
    with:
      duration: "500ms"
`,
  `{version: 1, name: flow, steps: [{id: a, type: wait, with: {duration: 0s}}, {id: b, type: shell, with: {run: [ls, "-l"]}}]}
`,
];
const seeds = [...examples, ...inline];

// ------------------------------------------------------------------ mutations

const yamlChars = [':', '-', ' ', '  ', '\t', '\n', '\r\n', '\r', '#', '{', '}', '[', ']', ',', '"', "'", '&', '*', '!', '|', '>', '%', '@', '`', '?', '\\', '$', '${{', '}}', '\0', '\uFEFF', '\u2028', '\u00e9', '🚣', '\uD800'];

const scalars: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0', '-1', '1.5', '1e309', '0x1F', '.inf', '.nan', 'true', 'false', 'null', '~', '""', "''", '[]', '{}', '[a, b]', '{a: 1}', '[[[]]]',
    'yes', 'no', 'on', 'off', '2026-11-23T04:00:00Z', '2026-13-45T99:99:99Z', '30s', '0s', '-5m', '1h30m', '99999999999999999999d',
    '!!binary aGVsbG8=', '!!str 1', '!!int x', '!custom x', '!!map {}', '&anchor v', '*nope', '<<: *nope', '|', '>', '|-\n  x', '"unterminated', "'unterminated",
    '${{ params.nope }}', '${{ steps.nope.outputs.x }}', '${{ steps.ask.outputs.nothing }}', '${{', '}}', '${{ params. }}', '${{ }}', '$${{ params.x }}',
    's3://', 's3://UPPER/x', 's3://a/../b', 'http://x', '../../etc/passwd', '/etc/x', 'a/../../b', '../../evil', 'Fail Over', 'UPSERT', 'DELETE',
    'CNAME', 'A', 'shell', 's3.restor', 'route53.change-records', 'typed', 'none', 'latest', 'params.env == "prod"', 'params.env ==', '(((', 'steps.x.outputs.y > 3',
  ),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'grapheme-composite', maxLength: 20 }).map((s) => `"${s}"`),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map(String),
  fc.double().map(String),
  // Huge values: long plain, quoted and unicode strings.
  fc.tuple(fc.integer({ min: 1_000, max: 300_000 }), fc.constantFrom('x', 'é', '🚣', 'ab ', '\\n')).map(([n, c]) => `"${c.repeat(Math.ceil(n / c.length))}"`),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'y'.repeat(n)),
  // Deep nesting, flow style.
  fc.integer({ min: 1, max: 3_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
  fc.integer({ min: 1, max: 3_000 }).map((d) => `${'{a: '.repeat(d)}1${'}'.repeat(d)}`),
  fc.integer({ min: 1, max: 3_000 }).map((d) => '['.repeat(d)),
);

type Mutation =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'dupLine'; line: number }
  | { op: 'delLine'; line: number }
  | { op: 'swapLines'; a: number; b: number }
  | { op: 'indent'; line: number; by: number }
  | { op: 'value'; nth: number; value: string }
  | { op: 'key'; nth: number; key: string }
  | { op: 'truncate'; at: number }
  | { op: 'deepBlock'; line: number; depth: number; seq: boolean }
  | { op: 'structural'; path: number[]; action: 'delete' | 'replace' | 'nest' | 'huge' | 'duplicateStep'; value: unknown; depth: number };

const keyNames = ['version', 'name', 'steps', 'id', 'type', 'with', 'run', 'rollback', 'params', 'require', 'confirm', 'timeout', 'retries', 'when', 'limits', 'changes', 'values', 'zoneId', 'source', 'target', 'asOf', 'duration', 'instructions', 'url', 'status', 'default', 'secret', 'required', '<<', '? complex', 'toString', '__proto__', 'constructor', 'ttl', 'nme', 'stpes'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...yamlChars), fc.string({ unit: 'binary', maxLength: 3 })) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('dupLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('delLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('indent' as const), line: fc.nat(), by: fc.integer({ min: -6, max: 6 }) }),
  fc.record({ op: fc.constant('value' as const), nth: fc.nat(), value: scalars }),
  fc.record({ op: fc.constant('key' as const), nth: fc.nat(), key: fc.oneof(fc.constantFrom(...keyNames), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 })) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('deepBlock' as const), line: fc.nat(), depth: fc.integer({ min: 1, max: 1_500 }), seq: fc.boolean() }),
  fc.record({
    op: fc.constant('structural' as const),
    path: fc.array(fc.nat(), { maxLength: 6 }),
    action: fc.constantFrom('delete' as const, 'replace' as const, 'nest' as const, 'huge' as const, 'duplicateStep' as const),
    value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, true, 0, -1, [], {}, '', '${{ params.x }}', 1e21, 'é🚣')),
    depth: fc.integer({ min: 1, max: 400 }),
  }),
);

const clampIndex = (n: number, length: number): number => (length <= 0 ? 0 : n % length);

/** Offsets of the values of `key: value` lines (after the first ": "). */
function valueSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const re = /^([ \t-]*[^\s:#][^:\n]*): ?([^\n]*)$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index + (m[1] as string).length + 1;
    spans.push([start, m.index + m[0].length]);
  }
  return spans;
}

function keySpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const re = /^([ \t]*(?:- )?)([A-Za-z_][\w.-]*):/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) spans.push([m.index + (m[1] as string).length, m.index + (m[1] as string).length + (m[2] as string).length]);
  return spans;
}

function structural(text: string, m: Extract<Mutation, { op: 'structural' }>): string {
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 100 });
  } catch {
    return text;
  }
  if (data === null || typeof data !== 'object') return text;
  // Walk the path down through whatever containers there are: obj[key] is the node to mutate.
  const keysOf = (v: object): Array<string | number> => (Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v));
  let obj = data as Record<string | number, unknown>;
  const top = keysOf(obj);
  if (top.length === 0) return text;
  let key = top[(m.path[0] ?? 0) % top.length] as string | number;
  for (const p of m.path.slice(1)) {
    const child = obj[key];
    if (child === null || typeof child !== 'object') break;
    const keys = keysOf(child);
    if (keys.length === 0) break;
    obj = child as Record<string | number, unknown>;
    key = keys[p % keys.length] as string | number;
  }
  switch (m.action) {
    case 'delete':
      if (Array.isArray(obj)) obj.splice(key as number, 1);
      else delete obj[key];
      break;
    case 'replace':
      obj[key] = m.value;
      break;
    case 'nest': {
      let v: unknown = obj[key];
      for (let i = 0; i < m.depth; i++) v = i % 2 ? [v] : { [key]: v };
      obj[key] = v;
      break;
    }
    case 'huge':
      obj[key] = typeof obj[key] === 'number' ? 10 ** 300 : 'Ω'.repeat(100_000);
      break;
    case 'duplicateStep': {
      const steps = (data as { steps?: unknown }).steps;
      if (Array.isArray(steps) && steps.length > 0) steps.push(structuredClone(steps[clampIndex(m.depth, steps.length)]));
      break;
    }
  }
  try {
    return stringifyYaml(data, { aliasDuplicateObjects: false, lineWidth: 0 });
  } catch {
    return text;
  }
}

function mutate(source: string, mutations: readonly Mutation[]): string {
  let text = source;
  for (const m of mutations) {
    const lines = text.split('\n');
    switch (m.op) {
      case 'insert': {
        const at = clampIndex(m.at, text.length + 1);
        text = text.slice(0, at) + m.text + text.slice(at);
        break;
      }
      case 'delete': {
        const at = clampIndex(m.at, text.length);
        text = text.slice(0, at) + text.slice(at + m.len);
        break;
      }
      case 'dupLine': {
        const i = clampIndex(m.line, lines.length);
        lines.splice(i, 0, lines[i] as string);
        text = lines.join('\n');
        break;
      }
      case 'delLine':
        lines.splice(clampIndex(m.line, lines.length), 1);
        text = lines.join('\n');
        break;
      case 'swapLines': {
        const a = clampIndex(m.a, lines.length);
        const b = clampIndex(m.b, lines.length);
        [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
        text = lines.join('\n');
        break;
      }
      case 'indent': {
        const i = clampIndex(m.line, lines.length);
        const l = lines[i] as string;
        lines[i] = m.by >= 0 ? ' '.repeat(m.by) + l : l.replace(new RegExp(`^ {0,${-m.by}}`), '');
        text = lines.join('\n');
        break;
      }
      case 'value': {
        const spans = valueSpans(text);
        if (spans.length === 0) break;
        const [s, e] = spans[clampIndex(m.nth, spans.length)] as [number, number];
        text = `${text.slice(0, s)} ${m.value}${text.slice(e)}`;
        break;
      }
      case 'key': {
        const spans = keySpans(text);
        if (spans.length === 0) break;
        const [s, e] = spans[clampIndex(m.nth, spans.length)] as [number, number];
        text = text.slice(0, s) + m.key + text.slice(e);
        break;
      }
      case 'truncate':
        text = text.slice(0, clampIndex(m.at, text.length + 1));
        break;
      case 'deepBlock': {
        const i = clampIndex(m.line, lines.length + 1);
        const base = ((lines[i - 1] ?? '').match(/^ */)?.[0].length ?? 0) + 2;
        const nested = Array.from({ length: m.depth }, (_, d) => `${' '.repeat(base + d)}${m.seq ? '-' : `k${d}:`}`);
        lines.splice(i, 0, ...nested, `${' '.repeat(base + m.depth)}leaf`);
        text = lines.join('\n');
        break;
      }
      case 'structural':
        text = structural(text, m);
        break;
    }
  }
  return text;
}

const FILES = ['rb.yaml', 'runbooks/region failover.yaml', 'dir.with:colon/é🚣.yml', '/abs/path/x.yaml'];

const fuzzCase = fc.record({
  seed: fc.constantFrom(...seeds),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }),
  file: fc.constantFrom(...FILES),
});

// ------------------------------------------------------------------ the invariants

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Tally {
  cases: number;
  loaded: number;
  invalid: number;
  problems: number;
  slowestMs: number;
  slowest?: string;
}
const tally: Tally = { cases: 0, loaded: 0, invalid: 0, problems: 0, slowestMs: 0 };

/** Throws (with a message saying which invariant broke) unless the loader kept its promise on `source`. */
function checkLoader(source: string, file: string): void {
  const started = performance.now();
  let result: ReturnType<typeof parseRunbook>;
  try {
    result = parseRunbook(source, file);
  } catch (err) {
    throw new Error(`parseRunbook threw instead of reporting problems: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  const ms = performance.now() - started;
  tally.cases += 1;
  if (ms > tally.slowestMs) {
    tally.slowestMs = ms;
    tally.slowest = `${source.length} characters, ${source.split('\n').length} lines`;
    if (process.env.FUZZ_SLOWEST) writeFileSync(process.env.FUZZ_SLOWEST, source);
  }
  if (ms > CASE_BUDGET_MS) throw new Error(`parseRunbook took ${Math.round(ms)} ms (budget ${CASE_BUDGET_MS} ms) on ${source.length} characters`);

  const { runbook, problems } = result;
  if (runbook !== undefined) {
    if (problems.length > 0) throw new Error(`a runbook came back together with ${problems.length} problems`);
    tally.loaded += 1;
    // What loaded is well-formed: the later stages rely on it.
    if (!RUNBOOK_NAME.test(runbook.name)) throw new Error(`loaded with a bad name ${JSON.stringify(runbook.name)}`);
    if (runbook.steps.length === 0) throw new Error('loaded with no steps');
    const ids = [...runbook.require, ...runbook.steps].map((s) => s.id);
    if (new Set(ids).size !== ids.length) throw new Error(`loaded with duplicate step ids: ${ids.join(', ')}`);
    for (const id of ids) if (!STEP_ID.test(id)) throw new Error(`loaded with a bad step id ${JSON.stringify(id)}`);
    return;
  }
  if (problems.length === 0) throw new Error('neither a runbook nor a problem came back');
  tally.invalid += 1;
  tally.problems += problems.length;
  const lines = source.split('\n');
  const shape = new RegExp(`^${escapeRe(file)}:(\\d+):(\\d+): [^\\n\\r]*\\S[^\\n\\r]*$`);
  for (const p of problems) {
    const text = formatProblem(p);
    const m = shape.exec(text);
    if (!m) throw new Error(`problem not one line "<file>:<line>:<col>: <message>": ${JSON.stringify(text.slice(0, 300))}`);
    const line = Number(m[1]);
    const col = Number(m[2]);
    if (line < 1 || line > lines.length + 1) throw new Error(`line ${line} outside the file (${lines.length} lines): ${text.slice(0, 200)}`);
    const width = (lines[line - 1] ?? '').length;
    if (col < 1 || col > width + 1) throw new Error(`col ${col} outside line ${line} (${width} characters): ${text.slice(0, 200)}`);
  }
}

// ------------------------------------------------------------------ the watchdog

/**
 * parseRunbook is synchronous: a case that never returns would block this process and every
 * timer in it. A separate process watches a heartbeat file written before each case and
 * kills this one when it stops moving, saying which case hung.
 */
function startWatchdog(): { beat(n: number): void; stop(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-fuzz-'));
  const file = join(dir, 'heartbeat');
  writeFileSync(file, '0');
  const script = `
    const fs = require('fs');
    const [file, pid, ms, seed] = process.argv.slice(1);
    let last = '', since = Date.now();
    setInterval(() => {
      let now = '';
      try { now = fs.readFileSync(file, 'utf8'); } catch { process.exit(0); }
      if (now !== last) { last = now; since = Date.now(); return; }
      if (Date.now() - since > Number(ms)) {
        process.stderr.write('fuzz: case ' + now + ' has not returned for ' + ms + ' ms: the loader hangs (FUZZ_SEED=' + seed + ' replays it)\\n');
        try { process.kill(Number(pid), 'SIGKILL'); } catch {}
        process.exit(1);
      }
    }, 500);`;
  const child = spawn(process.execPath, ['-e', script, file, String(process.pid), String(HANG_MS), String(SEED)], { stdio: ['ignore', 'ignore', 'inherit'] });
  child.unref();
  return {
    beat: (n) => writeFileSync(file, String(n)),
    stop: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ the tests

afterAll(() => {
  console.log(
    `fuzz: ${tally.cases} cases (seed ${SEED}): ${tally.loaded} loaded, ${tally.invalid} rejected with ${tally.problems} located problems; slowest ${Math.round(tally.slowestMs)} ms (${tally.slowest ?? '-'})`,
  );
});

describe('the loader under fuzzing', () => {
  test('every valid seed loads (so mutations start from valid runbooks)', () => {
    for (const s of seeds) expect(parseRunbook(s, 'seed.yaml').problems.map(formatProblem)).toEqual([]);
  });

  test(`${RUNS} mutated runbooks: each loads or yields located one-line problems; nothing throws or hangs`, { timeout: Math.max(120_000, RUNS * 100) }, async () => {
    const watchdog = startWatchdog();
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fuzzCase, async ({ seed, mutations, file }) => {
          // Let the test runner's own messages through now and then (the loader is synchronous).
          if (++n % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
          watchdog.beat(n);
          checkLoader(mutate(seed, mutations), file);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } finally {
      watchdog.stop();
    }
  });

  test('a sample of them through `lifeboat validate`: exit 2 and one located line a problem, or ok', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-fuzz-cli-'));
    try {
      const cases = fc.sample(fc.record({ seed: fc.constantFrom(...seeds), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) }), { numRuns: 25, seed: SEED });
      const files = cases.map((c, i) => {
        const f = join(dir, `case-${i}.yaml`);
        writeFileSync(f, mutate(c.seed, c.mutations));
        return f;
      });
      const expectedInvalid = files.filter((f) => parseRunbook(readFileSync(f, 'utf8'), f).problems.length > 0);
      const res = await runCli(['validate', ...files]);
      expect(res.code).toBe(expectedInvalid.length > 0 ? 2 : 0);
      const lines = res.stderr.split('\n').filter((l) => l !== '');
      const located = new RegExp(`^${escapeRe(dir)}/case-\\d+\\.yaml:\\d+:\\d+: \\S`);
      for (const l of lines) {
        if (/^\d+ of \d+ runbooks? invalid$/.test(l)) continue;
        expect(l).toMatch(located);
      }
      const named = new Set(lines.map((l) => l.split(':')[0]));
      for (const f of expectedInvalid) expect(named.has(f), `${f} is invalid but validate said nothing about it`).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
