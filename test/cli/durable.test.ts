/**
 * Durable runs (issue 5), through the built CLI against the suite's moto: a crash after
 * every journal entry then resume or rollback, kill -9 from outside, signals, locks under
 * contention (local and S3), secrets kept out of every file, a torn journal line, and the
 * --json shapes of runs/show.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Report } from '../../src/report/model.js';
import { describe, expect, test } from 'vitest';
import { parseJournal, replay, type JournalEntry } from '../../src/journal/format.js';
import { cliEnv, testRoute53, testS3, uniqueName } from '../helpers/aws.js';
import { BIN, ROOT, runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { Terminal } from '../helpers/tmux.js';

const RUNBOOKS = join(ROOT, 'test/fixtures/runbooks');
const withS3Restore = existsSync(join(ROOT, 'src/steps/s3-restore.ts'));

// ------------------------------------------------------------------ the world

interface World {
  zoneId: string;
  zone: string;
  record: string;
  marker: string;
  buckets: string[];
  params: string[];
}

/**
 * `secret`: a value that also names a secret-named environment variable in the tests that
 * use it (DEPLOY_KEY=primarydb): the record's old value is `primarydb.<zone>` already; with S3,
 * keys containing it are overwritten and created by the restore.
 */
async function newWorld(options: { s3?: boolean; secret?: string } = {}): Promise<World> {
  const zone = `${uniqueName('dur')}.example.com`;
  const r53 = testRoute53();
  const created = await r53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${zone}-${Date.now()}` }));
  const zoneId = (created.HostedZone?.Id ?? '').replace('/hostedzone/', '');
  const record = `app.${zone}`;
  // The record exists before the run, so the change replaces it (undo puts the old set back).
  await r53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: record, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: `primarydb.${zone}` }] } }] },
    }),
  );
  const marker = join(tempDir('lifeboat-marker-'), 'failed-over');
  const params = ['--param', `zone_id=${zoneId}`, '--param', `record=${record}`, '--param', `target=standby.${zone}`, '--param', `marker=${marker}`];
  const buckets: string[] = [];
  if (options.s3) {
    const s3 = testS3();
    const source = uniqueName('dur-src');
    const target = uniqueName('dur-dst');
    for (const b of [source, target]) await s3.send(new CreateBucketCommand({ Bucket: b }));
    const put = (Bucket: string, Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket, Key, Body }));
    await Promise.all([
      put(source, 'db/a.sql', 'backup a'),
      put(source, 'db/b.sql', 'backup b, longer'),
      put(source, 'db/sub/c.sql', 'backup c'),
      put(target, 'db/a.sql', 'old a, overwritten by the restore'),
      put(target, 'other/keep.txt', 'not touched'),
      ...(options.secret
        ? [
            put(source, `db/${options.secret}-0001.bin`, 'backup with the secret in its key'),
            put(target, `db/${options.secret}-0001.bin`, 'old bytes, overwritten by the restore'),
            put(source, `db/${options.secret}/${options.secret}-0002.bin`, 'created by the restore'),
          ]
        : []),
    ]);
    buckets.push(source, target);
    params.push('--param', `source=s3://${source}/db/`, '--param', `restore_to=s3://${target}/db/`);
  }
  return { zoneId, zone, record, marker, buckets, params };
}

/** Everything a run may change, as one comparable string. `ignoreUndoArea`: leave out `.lifeboat-undo/` copies. */
async function snapshot(w: World, options: { ignoreUndoArea?: boolean } = {}): Promise<string> {
  const sets = await testRoute53().send(new ListResourceRecordSetsCommand({ HostedZoneId: w.zoneId }));
  const objects: Record<string, Array<[string, number | undefined, string | undefined]>> = {};
  for (const b of w.buckets) {
    const res = await testS3().send(new ListObjectsV2Command({ Bucket: b }));
    objects[b] = (res.Contents ?? [])
      .filter((o) => !(options.ignoreUndoArea && (o.Key ?? '').startsWith('.lifeboat-undo/')))
      .map((o) => [o.Key ?? '', o.Size, o.ETag] as [string, number | undefined, string | undefined])
      .sort((a, b) => a[0].localeCompare(b[0]));
  }
  const marker = existsSync(w.marker) ? readFileSync(w.marker, 'utf8') : null;
  return JSON.stringify({ sets: sets.ResourceRecordSets, objects, marker }, null, 1);
}

// ------------------------------------------------------------------ the CLI

function runIds(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, 'runs')).sort();
  } catch {
    return [];
  }
}

function journal(stateDir: string, runId: string): { entries: JournalEntry[]; warnings: string[] } {
  return parseJournal(readFileSync(join(stateDir, 'runs', runId, 'journal.jsonl'), 'utf8'));
}

function explain(r: CliResult): string {
  return `exit ${r.code} (${r.signal ?? 'no signal'})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

async function expectCode(r: Promise<CliResult>, code: number, what: string): Promise<CliResult> {
  const res = await r;
  if (res.code !== code) throw new Error(`${what}: expected exit ${code}, got ${explain(res)}`);
  return res;
}

/** Run with the crash switch; return the id of the run it started. */
async function crashAt(runbook: string, w: World, stateDir: string, n: number, env: Record<string, string> = {}): Promise<string> {
  const before = runIds(stateDir);
  const r = await runCli(['run', join(RUNBOOKS, runbook), '--yes', ...w.params, '--state-dir', stateDir], { env: { ...env, LIFEBOAT_TEST_CRASH_AFTER: String(n) } });
  if (r.signal !== 'SIGKILL') throw new Error(`crash at ${n}: the run was not killed: ${explain(r)}`);
  const id = runIds(stateDir).find((x) => !before.includes(x));
  if (!id) throw new Error(`crash at ${n}: no run directory was created`);
  return id;
}

/** Start the CLI; resolve once its output matches `ready`. */
function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (!w.re.test(stdout)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    check();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    done,
    output: () => stdout,
    waitFor: (re: RegExp, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
        check();
      }),
  };
}

// ------------------------------------------------------------------ crash points

/** A snapshot with this world's names replaced, to compare the end states of two worlds. */
async function normalised(w: World, options: { ignoreUndoArea?: boolean } = {}): Promise<string> {
  let text = await snapshot(w, options);
  text = text.replaceAll(w.zone, 'ZONE').replaceAll(w.zoneId, 'ZONEID');
  w.buckets.forEach((b, i) => (text = text.replaceAll(b, `BUCKET${i}`)));
  return text;
}

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: size }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

/**
 * For every n, in a world of its own: crash after the n-th journal entry, roll back from a
 * new process (the world equals its snapshot, exactly); crash again at n, resume (the run
 * completes: the world equals the reference run's end state).
 */
async function everyCrashPoint(runbook: string, options: { s3?: boolean; secretEnv?: Record<string, string> }): Promise<number> {
  const env = options.secretEnv ?? {};
  const secret = Object.values(env)[0];
  const ref = await newWorld({ ...options, ...(secret ? { secret } : {}) });
  const before = await snapshot(ref);
  const beforeNormalised = await normalised(ref);
  const sd0 = tempDir();
  await expectCode(runCli(['run', join(RUNBOOKS, runbook), '--yes', ...ref.params, '--state-dir', sd0], { env }), 0, 'the reference run');
  const after = await normalised(ref, { ignoreUndoArea: true });
  expect(after).not.toBe(beforeNormalised);
  const [fullId] = runIds(sd0) as [string];
  const total = journal(sd0, fullId).entries.length;
  if (secret) {
    // The secret is in the data: the undo records hold it verbatim.
    const undos = journal(sd0, fullId).entries.filter((e) => e.type === 'intent').map((e) => JSON.stringify(e));
    expect(undos.join('\n')).toContain(`${secret}.`);
  }
  await expectCode(runCli(['rollback', fullId, '--yes', '--state-dir', sd0], { env }), 0, 'rollback of the reference run');
  expect(await snapshot(ref)).toBe(before);

  const points = Array.from({ length: total }, (_, i) => i + 1);
  await pool(points, 3, async (n) => {
    const w = await newWorld({ ...options, ...(secret ? { secret } : {}) });
    const start = await snapshot(w);
    const sd = tempDir();
    const first = await crashAt(runbook, w, sd, n, env);
    await expectCode(runCli(['rollback', first, '--yes', '--state-dir', sd], { env }), 0, `rollback after a crash at entry ${n}`);
    expect(await snapshot(w), `world after rollback of a crash at entry ${n}`).toBe(start);

    const second = await crashAt(runbook, w, sd, n, env);
    const resumed = await expectCode(runCli(['resume', second, '--yes', '--state-dir', sd], { env }), 0, `resume after a crash at entry ${n}`);
    expect(await normalised(w, { ignoreUndoArea: true }), `world after resume of a crash at entry ${n}`).toBe(after);
    expect(replay(journal(sd, second).entries).end?.outcome, `journal end after resume at ${n}: ${resumed.stdout}`).toBe('completed');
  });
  return total;
}

describe('crash after every journal entry', () => {
  const matrix = [
    { what: 'route53 + shell: resume completes, rollback restores the snapshot exactly', runbook: 'durable-dns.yaml', s3: false, atLeast: 15, timeout: 600_000 },
    { what: 'route53 + s3.restore + shell: resume completes, rollback restores zone and buckets exactly', runbook: 'durable-full.yaml', s3: true, atLeast: 20, timeout: 900_000 },
    // A secret-named environment value that occurs in the record values and the S3 keys:
    // masking it must never reach the undo records resume and rollback act on.
    {
      what: 'the same with DEPLOY_KEY=primarydb, a secret that occurs in the record values and the S3 keys',
      runbook: 'durable-full.yaml',
      s3: true,
      secretEnv: { DEPLOY_KEY: 'primarydb' },
      atLeast: 20,
      timeout: 900_000,
    },
  ].filter((m) => !m.s3 || withS3Restore);
  for (const m of matrix) {
    test(m.what, async () => {
      const total = await everyCrashPoint(m.runbook, { s3: m.s3, ...(m.secretEnv ? { secretEnv: m.secretEnv } : {}) });
      expect(total).toBeGreaterThan(m.atLeast);
    }, m.timeout);
  }
});

// ------------------------------------------------------------------ kill -9 and signals

describe('kill -9 and signals', () => {
  test('kill -9 from outside during a wait step, then rollback from a new process: the world equals the snapshot', async () => {
    const w = await newWorld();
    const before = await snapshot(w);
    const sd = tempDir();
    const p = startCli(['run', join(RUNBOOKS, 'durable-wait.yaml'), '--yes', ...w.params, '--state-dir', sd]);
    await p.waitFor(/waiting 1m/);
    expect(await snapshot(w)).not.toBe(before); // the DNS change is made
    p.child.kill('SIGKILL');
    const killed = await p.done;
    expect(killed.signal).toBe('SIGKILL');
    const [id] = runIds(sd) as [string];

    const listed = JSON.parse((await expectCode(runCli(['runs', '--json', '--state-dir', sd]), 0, 'runs')).stdout) as { runs: Array<{ runId: string; status: string; changed: string[] }> };
    expect(listed.runs[0]).toMatchObject({ runId: id, status: 'unfinished', changed: ['failover-dns'] });

    // A new run is refused while the dead run's lock is there: stale, with the three ways out.
    const refused = await expectCode(runCli(['run', join(RUNBOOKS, 'durable-wait.yaml'), '--yes', ...w.params, '--state-dir', sd]), 3, 'a run over a stale lock');
    expect(refused.stderr).toContain(id);
    expect(refused.stderr).toMatch(/stale/);
    for (const way of [`lifeboat resume ${id}`, `lifeboat rollback ${id}`, `--force-unlock ${id}`]) expect(refused.stderr).toContain(way);

    const rb = await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd]), 0, 'rollback after kill -9');
    expect(rb.stdout).toContain('failover-dns');
    expect(await snapshot(w)).toBe(before);
    // Rolled back and the lock released: a second rollback has nothing left to undo.
    const again = await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd]), 0, 'second rollback');
    expect(again.stdout).toMatch(/nothing left to undo/);
    expect(existsSync(join(sd, 'locks', 'durable-wait.lock'))).toBe(false);
  });

  test('SIGTERM to the lifeboat process alone during a step, --on-failure rollback: undone, exit 130, journal says so', async () => {
    const w = await newWorld();
    const before = await snapshot(w);
    const sd = tempDir();
    const p = startCli(['run', join(RUNBOOKS, 'durable-wait.yaml'), '--yes', ...w.params, '--state-dir', sd]);
    await p.waitFor(/waiting 1m/);
    process.kill(p.child.pid as number, 'SIGTERM');
    const r = await p.done;
    expect(r.code, explain(r)).toBe(130);
    expect(await snapshot(w)).toBe(before);
    const [id] = runIds(sd) as [string];
    const entries = journal(sd, id).entries;
    expect(entries).toContainEqual(expect.objectContaining({ type: 'interrupt', signal: 'SIGTERM', action: 'rollback' }));
    expect(entries).toContainEqual(expect.objectContaining({ type: 'undo-done', stepId: 'failover-dns' }));
    expect(entries.at(-1)).toMatchObject({ type: 'run-end', outcome: 'rolledBack', exitCode: 130 });
  });

  test('SIGTERM while a step is changing something: it stops at a safe point and is undone with the rest', async () => {
    const w = await newWorld();
    const sd = tempDir();
    const zoneBefore = await snapshot({ ...w, marker: join(tempDir(), 'none') });
    const p = startCli(['run', join(RUNBOOKS, 'durable-inflight.yaml'), '--yes', ...w.params, '--state-dir', sd]);
    await p.waitFor(/│ started/);
    process.kill(p.child.pid as number, 'SIGTERM');
    const r = await p.done;
    expect(r.code, explain(r)).toBe(130);
    expect(readFileSync(w.marker, 'utf8')).toBe('long-job undone'); // the in-flight step's undo ran
    expect(await snapshot({ ...w, marker: join(tempDir(), 'none') })).toBe(zoneBefore);
    const [id] = runIds(sd) as [string];
    const entries = journal(sd, id).entries;
    expect(entries).toContainEqual(expect.objectContaining({ type: 'step-failed', stepId: 'long-job', error: 'stopped: SIGTERM received', changed: true }));
    expect(entries.filter((e) => e.type === 'undo-done').map((e) => (e as { stepId: string }).stepId)).toEqual(['long-job', 'failover-dns']);
  });

  test('SIGINT with --on-failure abort: state saved (exit 130), then resume completes the run', async () => {
    const w = await newWorld();
    const sd = tempDir();
    const params = [...w.params, '--param', 'wait=2s'];
    const p = startCli(['run', join(RUNBOOKS, 'durable-wait.yaml'), '--yes', '--on-failure', 'abort', ...params, '--state-dir', sd]);
    await p.waitFor(/waiting 2s/);
    process.kill(p.child.pid as number, 'SIGINT');
    const r = await p.done;
    expect(r.code, explain(r)).toBe(130);
    expect(r.stdout).toMatch(/lifeboat resume/);
    expect(r.stdout).toContain('the lock stays with this run');
    const [id] = runIds(sd) as [string];
    const entries = journal(sd, id).entries;
    expect(entries).toContainEqual(expect.objectContaining({ type: 'interrupt', signal: 'SIGINT', action: 'leave' }));
    expect(entries.at(-1)).toMatchObject({ type: 'run-end', outcome: 'suspended', exitCode: 130 });
    expect(existsSync(w.marker)).toBe(false);

    // A suspended run with changes applied keeps its lock: a new run is refused, naming it as stale.
    const second = await expectCode(runCli(['run', join(RUNBOOKS, 'durable-wait.yaml'), '--yes', ...params, '--state-dir', sd]), 3, 'a new run over a suspended one');
    expect(second.stderr).toContain(id);
    expect(second.stderr).toMatch(/stale/);

    const resumed = await expectCode(runCli(['resume', id, '--yes', '--json', '--state-dir', sd]), 0, 'resume');
    const report = JSON.parse(resumed.stdout) as Report;
    expect(report).toMatchObject({ reportVersion: 1, runId: id, mode: 'resume', final: 'completed', exitCode: 0 });
    // From the journal: the true start, and a recovery time that spans the stop and the resume.
    const all = journal(sd, id).entries;
    const resumedAt = all.find((e) => e.type === 'resumed');
    expect(report.startedAt).toBe(all[0]?.at);
    expect(report.totals.recoveryMs).toBeGreaterThanOrEqual(Date.parse(resumedAt?.at ?? '') - Date.parse(all[0]?.at ?? ''));
    expect(report.steps.every((st) => st.status !== 'passed' || st.durationMs !== null)).toBe(true);
    expect(readFileSync(w.marker, 'utf8')).toBe('failed over');
    // Resuming a completed run says so and exits 0.
    const again = await expectCode(runCli(['resume', id, '--yes', '--state-dir', sd]), 0, 'resume of a completed run');
    expect(again.stdout).toMatch(/already completed/);
  });

  test('one SIGTERM during an automatic rollback with no one to ask: --on-failure rollback lets it finish, nothing is left half undone', async () => {
    const dir = tempDir();
    const marker = join(dir, 'marker');
    const fx = (f: string) => join(ROOT, 'test/fixtures', f);
    const file = join(dir, 'term-in-rollback.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: term-in-rollback',
        'steps:',
        '  - id: mark',
        `    with: { run: [node, ${fx('write-marker.mjs')}, ${marker}, made] }`,
        '    type: shell',
        `    rollback: { run: [node, ${fx('remove-file.mjs')}, ${marker}] }`,
        '  - id: slow',
        '    type: shell',
        '    with: { run: [node, -e, "0"] }',
        `    rollback: { run: [node, ${fx('sleep.mjs')}, "3000"] }`,
        '  - id: boom',
        '    type: shell',
        '    with: { run: [node, -e, "process.exit(1)"] }',
        '',
      ].join('\n'),
    );
    const sd = join(dir, 'state');
    const p = startCli(['run', file, '--yes', '--state-dir', sd]);
    await p.waitFor(/rolling back slow/);
    process.kill(p.child.pid as number, 'SIGTERM');
    const r = await p.done;
    expect(r.stdout + r.stderr).toContain('SIGTERM: the rollback goes on (--on-failure rollback');
    // The signal changed nothing: a step failed and every completed step was rolled back.
    expect(r.code, explain(r)).toBe(1);
    expect(existsSync(marker)).toBe(false);
    const [id] = runIds(sd) as [string];
    expect(journal(sd, id).entries.at(-1)).toMatchObject({ type: 'run-end', outcome: 'rolledBack' });
    expect(readdirSync(join(sd, 'locks'))).toEqual([]);
  }, 60_000);

  test('a second signal while rolling back journals and exits 130 at once; rollback <id> finishes the job', async () => {
    const w = await newWorld();
    const before = await snapshot(w);
    const sd = tempDir();
    const p = startCli(['run', join(RUNBOOKS, 'durable-slow-undo.yaml'), '--yes', ...w.params, '--state-dir', sd]);
    await p.waitFor(/waiting 1m/);
    process.kill(p.child.pid as number, 'SIGTERM');
    await p.waitFor(/rolling back slow-undo[\s\S]*│ started/);
    const t0 = Date.now();
    process.kill(p.child.pid as number, 'SIGTERM');
    const r = await p.done;
    expect(r.code, explain(r)).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5000);
    const [id] = runIds(sd) as [string];
    const entries = journal(sd, id).entries;
    expect(entries).toContainEqual(expect.objectContaining({ type: 'interrupt', signal: 'SIGTERM', action: 'rollback' }));
    expect(entries).toContainEqual(expect.objectContaining({ type: 'interrupt', signal: 'SIGTERM', action: 'exit' }));
    expect(entries.at(-1)).toMatchObject({ type: 'run-end', outcome: 'suspended', exitCode: 130 });
    expect(await snapshot(w)).not.toBe(before); // the DNS change is not undone yet

    const rb = await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd]), 0, 'rollback after the second signal');
    expect(rb.stdout).toMatch(/to undo, newest first \(slow-undo, failover-dns\)/);
    expect(await snapshot(w)).toBe(before);
  }, 90_000);
});

describe('a failing rollback', () => {
  test('exit 4 naming what is still changed and what to do; rollback again undoes only what is left', async () => {
    const w = await newWorld();
    const zoneOnly = { ...w, marker: join(tempDir(), 'not-written') }; // this undo leaves the marker file
    const before = await snapshot(zoneOnly);
    const sd = tempDir();
    await expectCode(runCli(['run', join(RUNBOOKS, 'durable-undo-fails.yaml'), '--yes', ...w.params, '--state-dir', sd]), 0, 'run');
    const [id] = runIds(sd) as [string];
    const failed = await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd]), 4, 'rollback whose undo fails');
    const out = failed.stdout + failed.stderr;
    expect(out).toMatch(/ROLLBACK FAILED/);
    expect(out).toMatch(/still changed \(newest first\): mark, failover-dns/);
    // The undo record's text, journaled with it by the step type (route53.change-records' describeUndo).
    expect(out).toContain(`failover-dns: restore 1 record set in hosted zone ${w.zoneId}: ${w.record}. CNAME back to primarydb.${w.zone}`);
    expect(out).toContain(`lifeboat rollback ${id}`);
    expect(replay(journal(sd, id).entries)).toMatchObject({ applied: ['failover-dns', 'mark'], undoFailure: { stepId: 'mark' } });

    const again = await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd]), 0, 'rollback again');
    expect(again.stdout).toMatch(/to undo, newest first \(mark, failover-dns\)/);
    expect(await snapshot(zoneOnly)).toBe(before);
    expect(journal(sd, id).entries.at(-1)).toMatchObject({ type: 'run-end', outcome: 'rolledBack', exitCode: 0 });
    const third = await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd]), 0, 'a third rollback');
    expect(third.stdout).toMatch(/nothing left to undo/);
  });
});

function sttyProbe(cmd: string): string[] {
  return ['bash', '--norc', '-c', `${cmd}; code=$?; echo "TTY: $(stty -a | tr -s ' ;' '\\n\\n' | grep -E '^-?(icanon|echo|isig)$' | sort | tr '\\n' ' ')"; exit $code`];
}

const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

describe('signals at a terminal', () => {
  test('SIGTERM while a prompt is open: the prompt is taken down, roll back or leave is asked, the terminal is left sane', async () => {
    const w = await newWorld();
    const sd = tempDir();
    const args = [process.execPath, BIN, 'run', join(ROOT, 'runbooks/dns-failover.yaml'), '--param', `zone_id=${w.zoneId}`, '--param', `record=${w.record}`, '--param', `standby=standby.${w.zone}`, '--state-dir', sd];
    const term = Terminal.start(`term-prompt-${process.pid}`, sttyProbe(args.map(quote).join(' ')), { ...cliEnv(), TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' }, ROOT);
    try {
      await term.waitFor('[1/3] Confirm the primary is really down: what now?');
      term.keys('Enter');
      await term.waitFor('is "confirm-outage" done?');
      term.keys('Enter');
      await term.waitFor('[2/3] Point the app record at the standby: what now?');
      term.keys('Enter');
      await term.waitFor('[3/3] Tell people: what now?');
      const pid = Number(execFileSync('pgrep', ['-f', `^${process.execPath} .*--state-dir ${sd}`], { encoding: 'utf8' }).trim().split('\n')[0]);
      process.kill(pid, 'SIGTERM');
      await term.waitFor('roll back what was done, or leave it');
      term.keys('Down', 'Enter'); // leave it
      // A person chose to leave the changes in place: exit 5 (130 is for a signal nobody answered).
      expect(await term.exitCode()).toBe(5);
      expect(term.screen()).toMatch(/TTY: echo icanon isig/);
      const [id] = runIds(sd) as [string];
      const entries = journal(sd, id).entries;
      expect(entries).toContainEqual(expect.objectContaining({ type: 'interrupt', signal: 'SIGTERM', action: 'leave' }));
      expect(replay(entries).applied).toEqual(['confirm-outage', 'failover-dns']);
    } finally {
      term.close();
    }
  });

  test('Ctrl-C during a step asks roll back or leave; leave saves the state (exit 5) and the terminal is left sane', async () => {
    const w = await newWorld();
    const sd = tempDir();
    const cmd = [process.execPath, BIN, 'run', join(RUNBOOKS, 'durable-wait.yaml'), ...w.params, '--state-dir', sd].map(quote).join(' ');
    const term = Terminal.start(`ctrlc-step-${process.pid}`, sttyProbe(cmd), { ...cliEnv(), TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' }, ROOT);
    try {
      await term.waitFor('waiting 1m');
      term.keys('C-c');
      await term.waitFor('roll back what was done, or leave it');
      term.keys('Down', 'Enter'); // leave it
      // A person chose to leave the changes in place: exit 5 (130 is for a signal nobody answered).
      expect(await term.exitCode()).toBe(5);
      const screen = term.screen();
      expect(screen).toMatch(/interrupted — state saved/);
      expect(screen).toMatch(/TTY: echo icanon isig/);
      const [id] = runIds(sd) as [string];
      const entries = journal(sd, id).entries;
      expect(entries).toContainEqual(expect.objectContaining({ type: 'interrupt', signal: 'SIGINT', action: 'leave' }));
      expect(entries).toContainEqual(expect.objectContaining({ type: 'decision', phase: 'interrupt', choice: 'leave' }));
    } finally {
      term.close();
    }
  });
});

// ------------------------------------------------------------------ locks

async function eightAtOnce(w: World, extra: (i: number) => string[]): Promise<{ winner: string; refused: CliResult[] }> {
  const params = [...w.params, '--param', 'wait=1m'];
  const procs = Array.from({ length: 8 }, (_, i) => startCli(['run', join(RUNBOOKS, 'durable-wait.yaml'), '--yes', ...params, ...extra(i)]));
  // Seven are refused; the eighth runs until it is stopped below.
  const results = await new Promise<Array<{ i: number; r: CliResult }>>((resolve) => {
    const ended: Array<{ i: number; r: CliResult }> = [];
    procs.forEach((p, i) =>
      void p.done.then((r) => {
        ended.push({ i, r });
        if (ended.length === 7) resolve(ended);
      }),
    );
  });
  const refused = results.map((x) => x.r);
  for (const r of refused) expect(r.code, explain(r)).toBe(3);
  const winnerIndex = [...procs.keys()].find((i) => !results.some((x) => x.i === i)) as number;
  const winnerProc = procs[winnerIndex] as ReturnType<typeof startCli>;
  await winnerProc.waitFor(/waiting 1m/);
  const winner = /run (\d{8}T\d{6}Z-durable-wait-[0-9a-f]{4})/.exec(winnerProc.output())?.[1] as string;
  expect(winner).toBeTruthy();
  process.kill(winnerProc.child.pid as number, 'SIGTERM');
  expect((await winnerProc.done).code).toBe(130);
  for (const r of refused) {
    expect(r.stderr).toContain(winner);
    expect(r.stderr).toMatch(/pid \d+ on \S+, user \S+, started \d{4}-/);
  }
  return { winner, refused };
}

describe('locks', () => {
  test('eight concurrent runs of one runbook: one proceeds, seven exit 3 naming the holder', async () => {
    const w = await newWorld();
    const sd = tempDir();
    const { winner } = await eightAtOnce(w, () => ['--state-dir', sd]);
    expect(runIds(sd)).toEqual([winner]); // the refused runs left no journal
    expect(existsSync(join(sd, 'locks', 'durable-wait.lock'))).toBe(false); // released when the run ended
  }, 120_000);

  test('the same with --lock s3://… against moto, each process with its own state dir (as on eight machines)', async () => {
    const w = await newWorld();
    const bucket = uniqueName('dur-locks');
    await testS3().send(new CreateBucketCommand({ Bucket: bucket }));
    const dirs = Array.from({ length: 8 }, () => tempDir());
    const { winner } = await eightAtOnce(w, (i) => ['--state-dir', dirs[i] as string, '--lock', `s3://${bucket}/locks/`]);
    expect(dirs.flatMap(runIds)).toEqual([winner]);
    const left = await testS3().send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(left.Contents ?? []).toEqual([]); // released: the lock object is gone
  }, 120_000);

  test('--force-unlock removes a stale lock of that run only; resume takes over its own lock', async () => {
    const w = await newWorld();
    const sd = tempDir();
    const id = await crashAt('durable-dns.yaml', w, sd, 3);
    const wrong = await expectCode(runCli(['run', join(RUNBOOKS, 'durable-dns.yaml'), '--yes', ...w.params, '--state-dir', sd, '--force-unlock', 'not-that-run']), 3, 'force-unlock of another run');
    expect(wrong.stderr).toContain(id);
    const forced = await expectCode(runCli(['run', join(RUNBOOKS, 'durable-dns.yaml'), '--yes', ...w.params, '--state-dir', sd, '--force-unlock', id]), 0, 'force-unlock');
    expect(forced.stdout + forced.stderr).toMatch(/removed the lock of run/);
    expect(existsSync(join(sd, 'locks', 'durable-dns.lock'))).toBe(false);
  });
});

// ------------------------------------------------------------------ secrets

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('secrets', () => {
  test('a secret param and the AWS secret key are in no file under the state dir, no report and no output', async () => {
    const sd = tempDir();
    const marker = join(tempDir(), 'marker');
    const token = `tok-${uniqueName('s3cr3t')}`;
    const awsSecret = `AwsSecret-${uniqueName('k')}`;
    const apiToken = `api-${uniqueName('t')}`;
    const env = { LIFEBOAT_PARAM_TOKEN: token, AWS_SECRET_ACCESS_KEY: awsSecret, API_TOKEN: apiToken };
    const run = await expectCode(runCli(['run', join(RUNBOOKS, 'durable-secret.yaml'), '--yes', '--param', `marker=${marker}`, '--state-dir', sd], { env }), 0, 'run with secrets');
    // The secret did reach the command that needed it…
    expect(readFileSync(marker, 'utf8')).toBe(token);
    expect(run.stdout).toContain('token=***');
    const [id] = runIds(sd) as [string];
    const shown = await expectCode(runCli(['show', id, '--state-dir', sd]), 0, 'show');
    const shownJson = await expectCode(runCli(['show', id, '--json', '--state-dir', sd]), 0, 'show --json');
    const rolled = await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd, '--report', 'json', '--report-file', join(sd, 'rollback-report.json')], { env }), 0, 'rollback');
    const rehearsed = await expectCode(
      runCli(['rehearse', join(RUNBOOKS, 'durable-secret.yaml'), '--yes', '--param', `marker=${marker}.rehearsal`, '--state-dir', sd, '--report', 'junit', '--report-file', join(sd, 'rehearsal.xml')], { env }),
      0,
      'rehearse with secrets',
    );
    expect(existsSync(join(sd, 'rollback-report.json')) && existsSync(join(sd, 'rehearsal.xml'))).toBe(true);
    // The undo command got the secret back (journaled sealed, given again through the environment).
    expect(readFileSync(`${marker}.undone`, 'utf8')).toBe(token);
    // …and is nowhere else.
    const files = filesUnder(sd);
    expect(files.some((f) => f.endsWith('journal.jsonl'))).toBe(true);
    for (const secret of [token, awsSecret, apiToken]) {
      for (const f of files) expect(readFileSync(f, 'utf8').includes(secret), `${secret} in ${f}`).toBe(false);
      for (const r of [run, shown, shownJson, rolled, rehearsed]) expect(r.stdout + r.stderr).not.toContain(secret);
    }
    const start = journal(sd, id).entries[0];
    expect(start).toMatchObject({ type: 'run-start', secretParams: ['token'] });
    expect((start as { params: Record<string, string> }).params).not.toHaveProperty('token');
  });

  test('a secret param in a shell rollback.run is sealed in the undo record; a new process unseals it, and refuses the undo without it', async () => {
    const sd = tempDir();
    const marker = join(tempDir(), 'marker');
    const token = `tok-${uniqueName('sealed')}`;
    await expectCode(runCli(['run', join(RUNBOOKS, 'durable-secret.yaml'), '--yes', '--param', `marker=${marker}`, '--state-dir', sd], { env: { LIFEBOAT_PARAM_TOKEN: token } }), 0, 'run');
    const [id] = runIds(sd) as [string];
    const intent = journal(sd, id).entries.find((e) => e.type === 'intent' && e.stepId === 'mark') as Extract<JournalEntry, { type: 'intent' }>;
    expect(intent.undo).toMatchObject({ run: ['node', '../write-marker.mjs', `${marker}.undone`, '${{ params.token }}'] });

    // Without the secret: the rollback refuses before any change (exit 3), naming the variable.
    const refused = await runCli(['rollback', id, '--yes', '--state-dir', sd]);
    expect(refused.code, explain(refused)).toBe(3);
    expect(refused.stdout + refused.stderr).toContain('LIFEBOAT_PARAM_TOKEN');
    expect(existsSync(`${marker}.undone`)).toBe(false);

    // With another value: refused before any change (exit 3); the undo would have put back something else.
    const wrong = await runCli(['rollback', id, '--yes', '--state-dir', sd], { env: { LIFEBOAT_PARAM_TOKEN: `${token}-not` } });
    expect(wrong.code, explain(wrong)).toBe(3);
    expect(wrong.stdout + wrong.stderr).toContain(`LIFEBOAT_PARAM_TOKEN is not the value run ${id} was started with`);
    expect(existsSync(`${marker}.undone`)).toBe(false);
    const start = journal(sd, id).entries[0] as Extract<JournalEntry, { type: 'run-start' }>;
    expect(Object.keys(start.secretCheck ?? {})).toEqual(['token']);

    // With it, from another process: the undo runs with the secret put back, exactly.
    await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd], { env: { LIFEBOAT_PARAM_TOKEN: token } }), 0, 'rollback with the secret');
    expect(readFileSync(`${marker}.undone`, 'utf8')).toBe(token);
    for (const f of filesUnder(sd)) expect(readFileSync(f, 'utf8'), f).not.toContain(token);
  });

  test('DEPLOY_KEY=primarydb masks "primarydb" on screen, but the undo record keeps primarydb.<zone> and rollback puts it back exactly', async () => {
    const w = await newWorld();
    const before = await snapshot(w);
    const sd = tempDir();
    const env = { DEPLOY_KEY: 'primarydb' };
    const run = await expectCode(runCli(['run', join(RUNBOOKS, 'durable-dns.yaml'), '--yes', ...w.params, '--state-dir', sd], { env }), 0, 'run');
    expect(run.stdout + run.stderr).not.toContain('primarydb');
    expect(run.stdout).toContain(`***.${w.zone}`);
    const [id] = runIds(sd) as [string];
    const intent = journal(sd, id).entries.find((e) => e.type === 'intent' && e.stepId === 'failover-dns');
    expect(JSON.stringify(intent)).toContain(`primarydb.${w.zone}`);
    const shown = await expectCode(runCli(['show', id, '--state-dir', sd], { env }), 0, 'show');
    expect(shown.stdout).not.toContain('primarydb');

    const rolled = await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd], { env }), 0, 'rollback');
    expect(rolled.stdout + rolled.stderr).not.toContain('primarydb');
    expect(await snapshot(w)).toBe(before);
    const sets = await testRoute53().send(new ListResourceRecordSetsCommand({ HostedZoneId: w.zoneId }));
    expect(sets.ResourceRecordSets?.find((r) => r.Name === `${w.record}.`)?.ResourceRecords).toEqual([{ Value: `primarydb.${w.zone}` }]);
  });

  test.runIf(withS3Restore)('an S3 restore of keys that contain a secret-named value: the undo record keeps the keys, rollback is exact', async () => {
    const w = await newWorld({ s3: true, secret: 'primarydb' });
    const before = await snapshot(w);
    const sd = tempDir();
    const env = { DEPLOY_KEY: 'primarydb' };
    await expectCode(runCli(['run', join(RUNBOOKS, 'durable-full.yaml'), '--yes', ...w.params, '--state-dir', sd], { env }), 0, 'run');
    const [id] = runIds(sd) as [string];
    const undo = JSON.stringify(journal(sd, id).entries.find((e) => e.type === 'intent' && e.stepId === 'restore-data'));
    expect(undo).toContain('db/primarydb-0001.bin');
    expect(undo).toContain('db/primarydb/primarydb-0002.bin');
    expect(await snapshot(w)).not.toBe(before);
    await expectCode(runCli(['rollback', id, '--yes', '--state-dir', sd], { env }), 0, 'rollback');
    expect(await snapshot(w)).toBe(before);
  });

  test('overlapping secrets and secret names (passphrase, camelCase): no secret, nor any part of one, on screen or in the journal', async () => {
    const sd = tempDir();
    const env = { DB_PASSWORD: 'Hunter2-tok', API_TOKEN: 'Hunter2-token-xyz', GPG_PASSPHRASE: 'correct-horse-battery', slackApiKey: 'xoxb-1234-slack' };
    const r = await expectCode(runCli(['run', join(RUNBOOKS, 'durable-secret-output.yaml'), '--yes', '--state-dir', sd], { env }), 0, 'run');
    const [id] = runIds(sd) as [string];
    const text = readFileSync(join(sd, 'runs', id, 'journal.jsonl'), 'utf8');
    const journaled = (journal(sd, id).entries.find((e) => e.type === 'result') as Extract<JournalEntry, { type: 'result' }>).outputs.stdout as string;
    expect(journaled).toContain('"DB_PASSWORD":"***","API_TOKEN":"***"');
    for (const where of [r.stdout + r.stderr, text]) {
      for (const part of ['Hunt', 'er2', 'token-xyz', 'correct-horse', 'battery', 'xoxb', 'slack"', 'slack\\"']) expect(where, part).not.toContain(part);
    }
    expect(r.stdout).toContain('"API_TOKEN":"***"');
    expect(r.stdout).toContain('"GPG_PASSPHRASE":"***"');
    expect(r.stdout).toContain('"slackApiKey":"***"');
  });

  test('resume needs a secret param again and says how to give it (exit 2)', async () => {
    const sd = tempDir();
    const marker = join(tempDir(), 'marker');
    const token = `tok-${uniqueName('again')}`;
    const id = await (async () => {
      const r = await runCli(['run', join(RUNBOOKS, 'durable-secret.yaml'), '--yes', '--param', `marker=${marker}`, '--state-dir', sd], { env: { LIFEBOAT_PARAM_TOKEN: token, LIFEBOAT_TEST_CRASH_AFTER: '6' } });
      expect(r.signal).toBe('SIGKILL');
      return runIds(sd)[0] as string;
    })();
    const missing = await expectCode(runCli(['resume', id, '--yes', '--state-dir', sd]), 2, 'resume without the secret');
    expect(missing.stderr).toContain('LIFEBOAT_PARAM_TOKEN');
    await expectCode(runCli(['resume', id, '--yes', '--state-dir', sd], { env: { LIFEBOAT_PARAM_TOKEN: token } }), 0, 'resume with the secret');
    expect(readFileSync(marker, 'utf8')).toBe(token);
    for (const f of filesUnder(sd)) expect(readFileSync(f, 'utf8')).not.toContain(token);
  });
});

// ------------------------------------------------------------------ torn writes, runbook changes

describe('the journal on disk', () => {
  test('a torn last line: show and resume warn and work; the torn entry counts as not written', async () => {
    const w = await newWorld();
    const sd = tempDir();
    const id = await crashAt('durable-dns.yaml', w, sd, 12);
    const path = join(sd, 'runs', id, 'journal.jsonl');
    const text = readFileSync(path, 'utf8');
    const lastLine = text.trimEnd().split('\n').at(-1) as string;
    writeFileSync(path, text.slice(0, text.length - 1 - Math.floor(lastLine.length / 2))); // cut the last entry in half
    expect(parseJournal(readFileSync(path, 'utf8')).warnings).toHaveLength(1);

    const shown = await expectCode(runCli(['show', id, '--state-dir', sd]), 0, 'show of a torn journal');
    expect(shown.stderr).toMatch(/incomplete/);
    const resumed = await expectCode(runCli(['resume', id, '--yes', '--state-dir', sd]), 0, 'resume of a torn journal');
    expect(resumed.stdout + resumed.stderr).toMatch(/incomplete/);
    expect(readFileSync(w.marker, 'utf8')).toBe('failed over');
    // The continued journal reads: the torn fragment is its own unreadable line, the rest is whole.
    const after = journal(sd, id);
    expect(replay(after.entries).end?.outcome).toBe('completed');
    const seqs = after.entries.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  test('resume refuses a runbook changed since the run began (exit 2, naming the changed steps) unless --force', async () => {
    const w = await newWorld();
    const sd = tempDir();
    const copy = join(tempDir(), 'changed.yaml');
    const original = readFileSync(join(RUNBOOKS, 'durable-dns.yaml'), 'utf8').replaceAll('../', `${RUNBOOKS}/../`);
    writeFileSync(copy, original);
    const r = await runCli(['run', copy, '--yes', ...w.params, '--state-dir', sd], { env: { LIFEBOAT_TEST_CRASH_AFTER: '5' } });
    expect(r.signal).toBe('SIGKILL');
    const [id] = runIds(sd) as [string];
    writeFileSync(copy, original.replace('ttl: 60', 'ttl: 120'));
    const refused = await expectCode(runCli(['resume', id, '--yes', '--state-dir', sd]), 2, 'resume of a changed runbook');
    expect(refused.stderr).toMatch(/changed since run/);
    expect(refused.stderr).toMatch(/changed: failover-dns/);
    expect(refused.stderr).toContain('--force');
    await expectCode(runCli(['resume', id, '--yes', '--force', '--state-dir', sd]), 0, 'resume --force');
    const resumedEntry = journal(sd, id).entries.find((e) => e.type === 'resumed');
    expect(resumedEntry).toMatchObject({ force: true });
  });

  test('runs --json and show --json: stable shapes with runId', async () => {
    const w = await newWorld();
    const sd = tempDir();
    await expectCode(runCli(['run', join(RUNBOOKS, 'durable-dns.yaml'), '--yes', ...w.params, '--state-dir', sd]), 0, 'run');
    const [done] = runIds(sd) as [string];
    // Crash right after the intent of the first step: it is in flight.
    const intentAt = journal(sd, done).entries.findIndex((e) => e.type === 'intent') + 1;
    const crashed = await crashAt('durable-dns.yaml', w, sd, intentAt);

    const runs = JSON.parse((await expectCode(runCli(['runs', '--json', '--state-dir', sd]), 0, 'runs --json')).stdout) as { runs: Array<Record<string, unknown>> };
    // Newest first: the crashed run started after the completed one (maybe in the same second).
    expect(runs.runs.map((r) => r.runId)).toEqual([crashed, done]);
    const byId = Object.fromEntries(runs.runs.map((r) => [r.runId, r]));
    expect(byId[done]).toMatchObject({ runbook: 'durable-dns', mode: 'run', status: 'completed', exitCode: 0, changed: ['failover-dns', 'mark'] });
    expect(byId[crashed]).toMatchObject({ status: 'unfinished', exitCode: null, inFlight: 'failover-dns', changed: ['failover-dns'] });
    for (const r of runs.runs) {
      expect(typeof r.startedAt).toBe('string');
      expect(typeof r.durationMs).toBe('number');
      expect(r.who).toMatch(/@/);
    }

    const text = await expectCode(runCli(['runs', '--state-dir', sd]), 0, 'runs');
    expect(text.stdout.split('\n')[0]).toMatch(/RUN ID\s+RUNBOOK\s+MODE\s+STATUS\s+STARTED\s+DURATION\s+WHO/);
    expect(text.stdout.indexOf(crashed)).toBeLessThan(text.stdout.indexOf(done)); // newest first

    const show = JSON.parse((await expectCode(runCli(['show', done, '--json', '--state-dir', sd]), 0, 'show --json')).stdout) as {
      runId: string;
      status: string;
      steps: Array<{ stepId: string; status: string; durationMs: number; decisions: Array<{ phase: string; choice: string; who: string }>; undo: string }>;
      timeline: Array<{ event: string; stepId: string | null; who: string | null }>;
    };
    expect(show).toMatchObject({ runId: done, status: 'completed' });
    expect(show.steps.map((s) => [s.stepId, s.status, s.undo])).toEqual([
      ['failover-dns', 'done', 'recorded'],
      ['mark', 'done', 'recorded'],
    ]);
    expect(show.steps[0]?.decisions[0]).toMatchObject({ phase: 'before', choice: 'proceed' });
    expect(show.timeline.map((e) => e.event)).toEqual(['run-start', 'decision', 'step-start', 'intent', 'result', 'decision', 'step-start', 'intent', 'result', 'run-end']);

    await expectCode(runCli(['rollback', crashed, '--yes', '--state-dir', sd]), 0, 'rollback');
    const rolled = JSON.parse((await expectCode(runCli(['show', crashed, '--json', '--state-dir', sd]), 0, 'show --json after rollback')).stdout) as { status: string; steps: Array<{ stepId: string; undo: string }> };
    expect(rolled.status).toBe('rolledBack');
    expect(rolled.steps.find((s) => s.stepId === 'failover-dns')?.undo).toBe('undone');
  });

  test('show and resume of an unknown run: exit 2 with the nearest id', async () => {
    const sd = tempDir();
    const r = await expectCode(runCli(['show', '20991231T000000Z-nope-0000', '--state-dir', sd]), 2, 'show unknown');
    expect(r.stderr).toMatch(/no run 20991231T000000Z-nope-0000/);
  });
});
