/**
 * `lifeboat rehearse` and `lifeboat verify` end to end: the built CLI as a child process
 * against the suite's moto, as cron and CI run it. Every test makes its own buckets and
 * hosted zone, and reads the world back afterwards.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { listAllSets } from '../../src/aws/route53.js';
import { seedDemo } from '../../src/demo/seed.js';
import { seedDemoBackups } from '../../src/demo/seed-s3.js';
import { parseJournal, type JournalEntry } from '../../src/journal/format.js';
import type { Report } from '../../src/report/model.js';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { cliEnv, motoEndpoint, testRoute53, uniqueName } from '../helpers/aws.js';
import { BIN, ROOT, runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { freePort } from '../helpers/moto.js';
import { createBucket, listKeys, put, sha256, snapshot } from '../helpers/s3-seed.js';
import { parsePrometheus } from '../report/prom.js';
import { reportValidator } from '../report/validate.js';
import { findAll, parseXml, type XmlElement } from '../report/xml.js';
import type { ValidateFunction } from 'ajv';

const FIX = 'test/fixtures/verify';
const r53 = testRoute53();

let validate: ValidateFunction;
beforeAll(() => {
  validate = reportValidator();
});

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

// ------------------------------------------------------------------ the world

interface Drill {
  backups: string;
  scratch: string;
  /** relative key → content */
  objects: Record<string, string>;
  bytes: number;
  params: string[];
}

/** A backup bucket as a backup job leaves it: db/<files> with SHA-256 checksums, and a manifest. */
async function seedDrill(count = 3, options: { size?: number } = {}): Promise<Drill> {
  const backups = await createBucket('lb-backups');
  const scratch = await createBucket('lb-scratch');
  const objects: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const line = `-- dump part ${i} of ${backups}\n`;
    objects[`part-${String(i).padStart(4, '0')}.sql`] = line.repeat(Math.max(1, Math.ceil((options.size ?? 2000) / line.length)));
  }
  await Promise.all(Object.entries(objects).map(([k, v]) => put(backups, `db/${k}`, v, 'sha256')));
  const manifest = Object.entries(objects).map(([key, body]) => ({ key, size: Buffer.byteLength(body), sha256: sha256(body) }));
  await put(backups, 'manifests/db.json', JSON.stringify(manifest));
  const bytes = manifest.reduce((a, m) => a + m.size, 0);
  return { backups, scratch, objects, bytes, params: ['--param', `backups=${backups}`, '--param', `scratch=${scratch}`] };
}

async function zoneSnapshot(zoneId: string): Promise<string> {
  const sets = await listAllSets(r53, zoneId);
  return JSON.stringify(sets.map((s) => JSON.stringify(s)).sort());
}

async function newZone(): Promise<{ zoneId: string; zone: string }> {
  const zone = `${uniqueName('rh')}.example.com`;
  const { zoneId } = await seedDemo(motoEndpoint(), zone);
  return { zoneId, zone };
}

/** A local HTTP server on 127.0.0.1, port 0, recording what it receives. */
async function httpServer(answer: (req: IncomingMessage, body: string) => number = () => 200): Promise<{ url: string; hits: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> }> {
  const hits: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      hits.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(answer(req, body), { 'content-type': 'text/plain' });
      res.end('ok\n');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

// ------------------------------------------------------------------ reading results

/** The journal of the only run in a state directory. */
function journalOf(stateDir: string): JournalEntry[] {
  const runs = join(stateDir, 'runs');
  const [runId] = readdirSync(runs).sort();
  return parseJournal(readFileSync(join(runs, runId as string, 'journal.jsonl'), 'utf8')).entries;
}

const testcases = (xml: string): XmlElement[] => findAll(parseXml(xml), 'testcase');
const childKinds = (tc: XmlElement): string[] => tc.children.map((c) => c.name).filter((n) => n !== 'system-out');

function explain(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;
}

// ------------------------------------------------------------------ verify

describe('verify', () => {
  test('a restore drill: exit 0, scratch target empty, JSON/JUnit/metrics all valid', async () => {
    const d = await seedDrill(3);
    const dir = tempDir();
    const r = await runCli([
      'verify', `${FIX}/restore-drill.yaml`, ...d.params,
      '--state-dir', join(dir, 'state'),
      '--json',
      '--report', 'junit', '--report-file', join(dir, 'junit.xml'),
      '--metrics-file', join(dir, 'textfile', 'lifeboat.prom'),
    ]);
    expect(r.code, explain(r)).toBe(0);

    // the scratch bucket is exactly as before: empty (no restored object, no undo copies)
    expect(await listKeys(d.scratch)).toEqual([]);
    // the backups were only read
    expect((await listKeys(d.backups)).length).toBe(4);

    // --json: the JSON report is stdout, and validates against the published schema
    const report = JSON.parse(r.stdout) as Report;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({ mode: 'verify', verdict: 'passed', exitCode: 0, runbook: { name: 'restore-drill' }, forward: 'completed' });
    // a shell step with no rollback: had nothing to undo: it passed and was not rolled back
    expect(report.steps.map((s) => [s.status, s.undo])).toEqual([
      ['passed', 'none'],
      ['rolled-back', 'done'],
      ['passed', 'none'],
      ['passed', 'none'],
    ]);
    expect(report.totals).toMatchObject({ rtoVerdict: 'within', rpoVerdict: 'within', restoreObjects: 3, restoreBytes: d.bytes, rollback: 'done' });
    expect(report.totals.backupAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(report.totals.restoreSeconds).toBeGreaterThan(0);
    // the human output went to stderr
    expect(r.stderr).toContain('verification passed');

    // JUnit: one passing testcase per step
    const tcs = testcases(await readFile(join(dir, 'junit.xml'), 'utf8'));
    expect(tcs.map((t) => t.attrs.name)).toEqual(['verify-backups', 'restore', 'check-restored', 'list-restored']);
    for (const tc of tcs) expect(childKinds(tc)).toEqual([]);

    // Prometheus textfile: parses by the format's rules
    const prom = parsePrometheus(await readFile(join(dir, 'textfile', 'lifeboat.prom'), 'utf8'));
    const v = (name: string) => prom.get(name)?.samples.find((s) => s.labels.runbook === 'restore-drill')?.value;
    expect(v('lifeboat_verify_success')).toBe(1);
    expect(v('lifeboat_restore_bytes')).toBe(d.bytes);
    expect(v('lifeboat_backup_age_seconds')).toBe(report.totals.backupAgeSeconds);
    expect(v('lifeboat_verify_duration_seconds')).toBeGreaterThan(0);
    expect(Math.abs((v('lifeboat_last_run_timestamp_seconds') ?? 0) - Date.now() / 1000)).toBeLessThan(60);
    for (const f of prom.values()) expect(f.type).toBe('gauge');
  });

  test("the demo's restore drill (runbooks/restore-drill.yaml, versioned nightly backups): exit 0, scratch empty, reports valid", async () => {
    const buckets = { backups: uniqueName('acme-backups'), data: uniqueName('acme-data'), scratch: uniqueName('acme-scratch') };
    await seedDemoBackups(motoEndpoint(), buckets);
    const dir = tempDir();
    const r = await runCli([
      'verify', 'runbooks/restore-drill.yaml', '--param', `backups=${buckets.backups}`, '--param', `scratch=s3://${buckets.scratch}/drill/`,
      '--state-dir', join(dir, 'state'), '--json',
      '--report', 'junit', '--report-file', join(dir, 'junit.xml'), '--metrics-file', join(dir, 'lifeboat.prom'),
    ]);
    expect(r.code, explain(r)).toBe(0);
    expect(await listKeys(buckets.scratch)).toEqual([]);
    // (versioned scratch bucket: the restored copies remain as noncurrent versions behind delete markers)
    const report = JSON.parse(r.stdout) as Report;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.totals).toMatchObject({ rpoMs: 26 * 3600_000, rpoVerdict: 'within', rtoVerdict: 'within', restoreObjects: 3, rollback: 'done' });
    const tcs = testcases(await readFile(join(dir, 'junit.xml'), 'utf8'));
    expect(tcs.map((t) => t.attrs.name)).toEqual(['verify-backups', 'restore', 'report']);
    for (const tc of tcs) expect(childKinds(tc)).toEqual([]);
    const prom = parsePrometheus(await readFile(join(dir, 'lifeboat.prom'), 'utf8'));
    expect(prom.get('lifeboat_verify_success')?.samples[0]).toMatchObject({ labels: { runbook: 'restore-drill' }, value: 1 });
    expect(prom.get('lifeboat_restore_bytes')?.samples[0]?.value).toBe(report.totals.restoreBytes);
  });

  test('newest backup older than the RPO: exit 1, the JUnit failure names the age and the limit, success 0', async () => {
    const d = await seedDrill(2);
    await new Promise((r) => setTimeout(r, 3500)); // rpo is 2s
    const dir = tempDir();
    const r = await runCli([
      'verify', `${FIX}/stale-drill.yaml`, ...d.params,
      '--state-dir', join(dir, 'state'),
      '--report', 'junit', '--report-file', join(dir, 'junit.xml'),
      '--metrics-file', join(dir, 'lifeboat.prom'),
    ]);
    expect(r.code, explain(r)).toBe(1);
    const [backups, restore] = testcases(await readFile(join(dir, 'junit.xml'), 'utf8'));
    expect(childKinds(backups as XmlElement)).toEqual(['failure']);
    expect(backups?.children[0]?.attrs.message).toMatch(/newest backup db\/part-\d+\.sql is \d+s old, older than rpo 2s/);
    expect(childKinds(restore as XmlElement)).toEqual(['skipped']);
    const prom = parsePrometheus(await readFile(join(dir, 'lifeboat.prom'), 'utf8'));
    expect(prom.get('lifeboat_verify_success')?.samples).toEqual([{ name: 'lifeboat_verify_success', labels: { runbook: 'stale-drill' }, value: 0 }]);
    // The age is measured even though the step failed: monitoring needs it most then.
    const age = prom.get('lifeboat_backup_age_seconds')?.samples[0]?.value;
    expect(age).toBeGreaterThan(2);
    expect(await listKeys(d.scratch)).toEqual([]);
  });

  test('a tampered backup object: the restored copy fails the manifest check, the key is named, cleanup still done', async () => {
    const d = await seedDrill(3);
    const victim = Object.keys(d.objects)[1] as string;
    const original = d.objects[victim] as string;
    // bit rot after the backup job wrote its manifest: same size, other bytes
    await put(d.backups, `db/${victim}`, `X${original.slice(1)}`, 'sha256');
    const dir = tempDir();
    const r = await runCli(['verify', `${FIX}/restore-drill.yaml`, ...d.params, '--state-dir', join(dir, 'state'), '--report', 'json', '--report-file', join(dir, 'r.json')]);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stdout + r.stderr).toContain(`drill/${victim}`);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.verdict).toBe('failed');
    expect(report.error?.stepId).toBe('check-restored');
    expect(report.error?.message).toContain(`drill/${victim}`);
    expect(report.steps.find((s) => s.id === 'restore')?.undo).toBe('done');
    expect(await listKeys(d.scratch)).toEqual([]);
  });

  test('SIGTERM in the middle of the restore: the scratch target is cleaned up, exit 130, the journal says so', async () => {
    const d = await seedDrill(150, { size: 200 });
    const dir = tempDir();
    const state = join(dir, 'state');
    const child = spawn(
      process.execPath,
      [BIN, 'verify', `${FIX}/restore-drill.yaml`, ...d.params, '--param', 'concurrency=1', '--state-dir', state, '--report', 'json', '--report-file', join(dir, 'r.json'), '--metrics-file', join(dir, 'm.prom')],
      { cwd: ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    // wait until the restore has journaled its intent and written a few objects
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`the restore never started:\n${output}`);
      const runs = join(state, 'runs');
      // The run's directory is made a moment before its journal file: wait for both.
      const first = existsSync(runs) ? readdirSync(runs).sort()[0] : undefined;
      if (first !== undefined && existsSync(join(runs, first, 'journal.jsonl')) && journalOf(state).some((e) => e.type === 'intent' && e.stepId === 'restore') && (await listKeys(d.scratch)).length >= 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const partial = (await listKeys(d.scratch)).length;
    expect(partial).toBeLessThan(150);
    child.kill('SIGTERM');
    const code = await exited;

    expect(code, output).toBe(130);
    expect(await listKeys(d.scratch)).toEqual([]);
    const journal = journalOf(state);
    expect(journal.find((e) => e.type === 'interrupt')).toMatchObject({ signal: 'SIGTERM', action: 'rollback' });
    expect(journal.some((e) => e.type === 'undo-done' && e.stepId === 'restore')).toBe(true);
    expect(journal.at(-1)).toMatchObject({ type: 'run-end', exitCode: 130 });
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(report.verdict).toBe('interrupted');
    expect(report.totals.rollback).toBe('done');
    expect(report.steps.find((s) => s.id === 'restore')).toMatchObject({ status: 'interrupted', undo: 'done' });
    expect(parsePrometheus(await readFile(join(dir, 'm.prom'), 'utf8')).get('lifeboat_verify_success')?.samples[0]?.value).toBe(0);
  });

  test('--report without --report-file: the report is stdout, everything else stderr', async () => {
    const d = await seedDrill(1);
    const r = await runCli(['verify', `${FIX}/restore-drill.yaml`, ...d.params, '--state-dir', tempDir(), '--report', 'junit']);
    expect(r.code, explain(r)).toBe(0);
    expect(testcases(r.stdout)).toHaveLength(4);
    expect(r.stderr).toContain('verification passed');
  });

  test('refused before it starts (a manual step, no --confirm): exit 3, and monitoring still hears of it', async () => {
    const dir = tempDir();
    const r = await runCli([
      'verify', 'runbooks/dns-failover.yaml', '--param', 'zone_id=Z0NOTUSED', '--state-dir', join(dir, 'state'),
      '--metrics-file', join(dir, 'm.prom'), '--report', 'json', '--report-file', join(dir, 'r.json'),
    ]);
    expect(r.code, explain(r)).toBe(3);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({ verdict: 'refused', exitCode: 3, runId: null });
    expect(report.error?.message).toContain('confirm-outage');
    const prom = parsePrometheus(await readFile(join(dir, 'm.prom'), 'utf8'));
    expect(prom.get('lifeboat_verify_success')?.samples[0]).toMatchObject({ labels: { runbook: 'dns-failover' }, value: 0 });
  });

  test('repeated --report/--report-file: JUnit, Markdown and JSON from one run', async () => {
    const d = await seedDrill(1);
    const dir = tempDir();
    const r = await runCli([
      'verify', `${FIX}/restore-drill.yaml`, ...d.params, '--state-dir', join(dir, 'state'),
      '--report', 'junit', '--report-file', join(dir, 'j.xml'),
      '--report', 'markdown', '--report-file', join(dir, 's.md'),
      '--report', 'json',
    ]);
    expect(r.code, explain(r)).toBe(0);
    expect(testcases(await readFile(join(dir, 'j.xml'), 'utf8'))).toHaveLength(4);
    expect(await readFile(join(dir, 's.md'), 'utf8')).toContain('### lifeboat verify `restore-drill`: ✅ passed');
    expect(validate(JSON.parse(r.stdout))).toBe(true);
  });

  test('conflicting report flags: exit 2 before anything runs', async () => {
    const state = tempDir();
    const r = await runCli(['verify', `${FIX}/restore-drill.yaml`, '--param', 'backups=x-x-x', '--param', 'scratch=y-y-y', '--state-dir', state, '--json', '--report', 'junit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--json and --report junit would both go to stdout');
    expect(existsSync(join(state, 'runs'))).toBe(false);
  });
});

// ------------------------------------------------------------------ --notify

describe('--notify', () => {
  test('the POST arrives with the JSON report', async () => {
    const d = await seedDrill(2);
    const hook = await httpServer();
    const r = await runCli(['verify', `${FIX}/restore-drill.yaml`, ...d.params, '--state-dir', tempDir(), '--notify', `${hook.url}/hooks/lifeboat`]);
    expect(r.code, explain(r)).toBe(0);
    // Contract §1: step events while it runs (docs/notify.md), and the final report, once.
    const reports = hook.hits.filter((h) => 'reportVersion' in (JSON.parse(h.body) as object));
    expect(reports).toHaveLength(1);
    expect(hook.hits.some((h) => (JSON.parse(h.body) as { event?: string }).event === 'step-start')).toBe(true);
    const [hit] = reports;
    expect(hit).toMatchObject({ method: 'POST', url: '/hooks/lifeboat' });
    expect(hit?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(hit?.body ?? '') as Report;
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    expect(body).toMatchObject({ mode: 'verify', verdict: 'passed', runbook: { name: 'restore-drill' } });
    expect(r.stdout + r.stderr).toContain(body.runId as string);
  });

  test('a notify URL that refuses connections leaves a passing verify at exit 0, with a warning', async () => {
    const d = await seedDrill(1);
    const port = await freePort();
    const r = await runCli(['verify', `${FIX}/restore-drill.yaml`, ...d.params, '--state-dir', tempDir(), '--notify', `http://127.0.0.1:${port}/hook`]);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/notification failed \(the result above stands\): cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(await listKeys(d.scratch)).toEqual([]);
  });
});

// ------------------------------------------------------------------ rehearse

describe('rehearse', () => {
  test('rehearse --yes of a DNS failover: the zone equals its snapshot afterwards; total time and RTO verdict reported', async () => {
    const { zoneId, zone } = await newZone();
    const before = await zoneSnapshot(zoneId);
    const dir = tempDir();
    const r = await runCli([
      'rehearse', `${FIX}/dns-rehearsal.yaml`, '--yes',
      '--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`,
      '--state-dir', join(dir, 'state'),
      '--report', 'json', '--report-file', join(dir, 'r.json'),
    ]);
    expect(r.code, explain(r)).toBe(0);
    expect(await zoneSnapshot(zoneId)).toBe(before);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({ mode: 'rehearse', verdict: 'passed', exitCode: 0, forward: 'completed', final: 'rolledBack' });
    expect(report.totals.recoveryMs).toBeGreaterThan(0);
    expect(report.totals.rtoMs).toBe(600_000);
    expect(report.totals.rtoVerdict).toBe('within');
    expect(report.totals.rollback).toBe('done');
    expect(report.steps.map((s) => [s.id, s.status, s.undo])).toEqual([
      ['failover-dns', 'rolled-back', 'done'],
      ['announce', 'rolled-back', 'done'],
    ]);
    expect(report.steps.every((s) => (s.durationMs ?? -1) >= 0 && (s.undoMs ?? -1) >= 0)).toBe(true);
    expect(r.stdout).toMatch(/recovery time: .*, within the RTO of 10m/);
  });

  test('a step fails: everything rolled back, exit 1, the zone is as before', async () => {
    const { zoneId, zone } = await newZone();
    const before = await zoneSnapshot(zoneId);
    const dir = tempDir();
    const r = await runCli([
      'rehearse', `${FIX}/dns-rehearsal.yaml`, '--yes',
      '--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`, '--param', 'announce_exit=3',
      '--state-dir', join(dir, 'state'), '--report', 'junit', '--report-file', join(dir, 'j.xml'),
    ]);
    expect(r.code, explain(r)).toBe(1);
    expect(await zoneSnapshot(zoneId)).toBe(before);
    const [dns, announce] = testcases(await readFile(join(dir, 'j.xml'), 'utf8'));
    expect(childKinds(dns as XmlElement)).toEqual([]);
    expect(childKinds(announce as XmlElement)).toEqual(['failure']);
    expect(announce?.children[0]?.attrs.message).toMatch(/^node exited with code 3 \(expected 0\)/);
  });

  test('the rollback fails: exit 4, the report says what is left', async () => {
    const { zoneId, zone } = await newZone();
    const dir = tempDir();
    const r = await runCli([
      'rehearse', `${FIX}/dns-rehearsal.yaml`, '--yes',
      '--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`, '--param', 'undo_exit=5',
      '--state-dir', join(dir, 'state'), '--report', 'json', '--report-file', join(dir, 'r.json'), '--metrics-file', join(dir, 'm.prom'),
    ]);
    expect(r.code, explain(r)).toBe(4);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.verdict).toBe('rollback-failed');
    expect(report.rollbackError?.stepId).toBe('announce');
    expect(report.leftChanged.map((l) => [l.stepId, l.type])).toEqual([
      ['announce', 'shell'],
      ['failover-dns', 'route53.change-records'],
    ]);
    expect(report.leftChanged[1]?.undo).toContain(`app.${zone}. CNAME back to primary.${zone}`);
    expect(report.next).toBe(`fix the cause, then: lifeboat rollback ${report.runId}`);
    expect(r.stdout).toContain('STILL CHANGED (newest first): announce (shell), failover-dns (route53.change-records)');
    // the record really is still failed over: the report is telling the truth
    const sets = await listAllSets(r53, zoneId);
    expect(sets.find((s) => s.Name === `app.${zone}.`)?.ResourceRecords?.[0]?.Value).toBe(`standby.${zone}`);
  });

  test('rehearse --yes of runbooks/region-failover.yaml: the zone and the buckets equal their snapshots afterwards', async () => {
    const { zoneId, zone } = await newZone();
    const buckets = { backups: uniqueName('acme-backups'), data: uniqueName('acme-data'), scratch: uniqueName('acme-scratch') };
    await seedDemoBackups(motoEndpoint(), buckets);
    const health = await httpServer((req) => (req.url === '/healthz' ? 200 : 404));
    const before = { zone: await zoneSnapshot(zoneId), data: await snapshot(buckets.data), backups: await snapshot(buckets.backups) };
    const dir = tempDir();
    const r = await runCli([
      'rehearse', 'runbooks/region-failover.yaml', '--yes',
      '--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`,
      '--param', `health_url=${health.url}/healthz`, '--param', `backups=${buckets.backups}`, '--param', `target=s3://${buckets.data}/db/`,
      '--confirm', `failover-dns=app.${zone}`,
      '--state-dir', join(dir, 'state'), '--report', 'json', '--report-file', join(dir, 'r.json'),
    ]);
    expect(r.code, explain(r)).toBe(0);
    expect(await zoneSnapshot(zoneId)).toBe(before.zone);
    expect(await snapshot(buckets.data)).toEqual(before.data);
    expect(await snapshot(buckets.backups)).toEqual(before.backups);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({ mode: 'rehearse', verdict: 'passed', exitCode: 0 });
    expect(report.totals.recoveryMs).toBeGreaterThan(0);
    expect(report.totals).toMatchObject({ rtoMs: 900_000, rtoVerdict: 'within', rollback: 'done' });
    expect(report.steps.filter((s) => s.status === 'rolled-back').map((s) => s.id)).toEqual(['failover-dns', 'restore-db', 'announce']);
    expect(r.stdout).toMatch(/recovery time: .*, within the RTO of 15m/);
  });

  test('rehearse --yes of the region failover into an unversioned bucket: zone and buckets equal their snapshots afterwards', async () => {
    const { zoneId, zone } = await newZone();
    const d = await seedDrill(3);
    const data = await createBucket('lb-data');
    // the standby region already holds an older export: one object the restore overwrites, one it leaves
    await put(data, `db/${Object.keys(d.objects)[0]}`, 'an older export');
    await put(data, 'db/unrelated.txt', 'keep me');
    const health = await httpServer((req) => (req.url === '/healthz' ? 200 : 404));
    const before = { zone: await zoneSnapshot(zoneId), data: await snapshot(data), backups: await snapshot(d.backups) };
    const dir = tempDir();
    const r = await runCli([
      'rehearse', `${FIX}/region-failover.yaml`, '--yes',
      '--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`,
      '--param', `health_url=${health.url}/healthz`, '--param', `backups=${d.backups}`, '--param', `data=${data}`,
      '--confirm', `failover-dns=app.${zone}`,
      '--state-dir', join(dir, 'state'), '--report', 'json', '--report-file', join(dir, 'r.json'),
    ]);
    expect(r.code, explain(r)).toBe(0);
    expect(await zoneSnapshot(zoneId)).toBe(before.zone);
    expect(await snapshot(data)).toEqual(before.data);
    expect(await snapshot(d.backups)).toEqual(before.backups);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.totals).toMatchObject({ rtoMs: 900_000, rtoVerdict: 'within', rpoVerdict: 'within', restoreObjects: 3 });
    expect(report.totals.recoveryMs).toBeGreaterThan(0);
    // it really did fail over and restore before putting everything back
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['verify-backups', 'passed'],
      ['standby-healthy', 'passed'],
      ['failover-dns', 'rolled-back'],
      ['restore-db', 'rolled-back'],
      ['announce', 'rolled-back'],
    ]);
    expect(health.hits.length).toBeGreaterThan(0);
  });
});
