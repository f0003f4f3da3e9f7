/**
 * Issue 13, "verdicts that cannot lie", end to end: the built CLI against the suite's moto.
 * A green verify must mean "we can recover within our targets": a missed rto or rpo fails
 * it, an empty restore fails, a bad param is refused before anything moves.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { ValidateFunction } from 'ajv';
import type { Report } from '../../src/report/model.js';
import { listAllSets } from '../../src/aws/route53.js';
import { seedDemo } from '../../src/demo/seed.js';
import { motoEndpoint, testRoute53, uniqueName } from '../helpers/aws.js';
import { BIN, ROOT, runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { cliEnv } from '../helpers/aws.js';
import { parseJournal, type JournalEntry } from '../../src/journal/format.js';
import { startRecordingProxy } from '../helpers/proxy.js';
import { createBucket, listKeys, put } from '../helpers/s3-seed.js';
import { parsePrometheus } from '../report/prom.js';
import { reportValidator } from '../report/validate.js';
import { findAll, parseXml, type XmlElement } from '../report/xml.js';

let validate: ValidateFunction;
beforeAll(() => {
  validate = reportValidator();
});

function explain(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;
}

const testcases = (xml: string): XmlElement[] => findAll(parseXml(xml), 'testcase');

/** A backup bucket with two checksummed objects under db/, and an empty scratch bucket. */
async function seedBackups(): Promise<{ backups: string; scratch: string; params: string[] }> {
  const backups = await createBucket('lb-verdict-backups', { versioned: true });
  const scratch = await createBucket('lb-verdict-scratch');
  await put(backups, 'db/part-0.sql', 'part 0\n'.repeat(50), 'sha256');
  await put(backups, 'db/part-1.sql', 'part 1\n'.repeat(50), 'sha256');
  return { backups, scratch, params: ['--param', `backups=${backups}`, '--param', `scratch=${scratch}`] };
}

/** A restore drill with the given targets; `hold` makes the recovery take at least that long. */
async function drill(dir: string, o: { rto?: string; rpo?: string; hold?: string; maxAge?: string }): Promise<string> {
  const file = join(dir, 'drill.yaml');
  const lines = [
    'version: 1',
    'name: verdict-drill',
    ...(o.rto ? [`rto: ${o.rto}`] : []),
    ...(o.rpo ? [`rpo: ${o.rpo}`] : []),
    'params:',
    '  backups: { required: true }',
    '  scratch: { required: true }',
    'steps:',
    '  - id: verify-backups',
    '    type: s3.verify-backups',
    `    with: { bucket: "\${{ params.backups }}", prefix: db/, checksums: required${o.maxAge ? `, maxAge: ${o.maxAge}` : ''} }`,
    '  - id: restore',
    '    type: s3.restore',
    '    with: { source: "s3://${{ params.backups }}/db/", target: "s3://${{ params.scratch }}/drill/", asOf: latest }',
    ...(o.hold ? ['  - id: hold', '    type: wait', `    with: { duration: ${o.hold} }`] : []),
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

interface Outputs {
  code: number | null;
  report: Report;
  junit: XmlElement[];
  markdown: string;
  metric: (name: string) => number | undefined;
}

async function verify(file: string, params: string[], dir: string): Promise<Outputs & { r: CliResult }> {
  const r = await runCli([
    'verify', file, ...params, '--state-dir', join(dir, 'state'),
    '--report', 'json', '--report-file', join(dir, 'r.json'),
    '--report', 'junit', '--report-file', join(dir, 'j.xml'),
    '--report', 'markdown', '--report-file', join(dir, 'r.md'),
    '--metrics-file', join(dir, 'm.prom'),
  ]);
  const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  const prom = parsePrometheus(await readFile(join(dir, 'm.prom'), 'utf8'));
  return {
    r,
    code: r.code,
    report,
    junit: testcases(await readFile(join(dir, 'j.xml'), 'utf8')),
    markdown: await readFile(join(dir, 'r.md'), 'utf8'),
    metric: (name) => prom.get(name)?.samples.find((s) => s.labels.runbook === 'verdict-drill')?.value,
  };
}

describe('targets are verdicts', () => {
  test('a verify over its rto: exit 1, success 0, the breach in JSON, JUnit and Markdown, both targets exported', async () => {
    const w = await seedBackups();
    const dir = tempDir();
    const out = await verify(await drill(dir, { rto: '1s', rpo: '1h', hold: '1500ms' }), w.params, dir);
    expect(out.code, explain(out.r)).toBe(1);
    expect(out.report).toMatchObject({ verdict: 'failed', exitCode: 1, totals: { rtoVerdict: 'over', rpoVerdict: 'within' } });
    expect(out.report.breaches).toHaveLength(1);
    expect(out.report.breaches[0]).toMatchObject({ target: 'rto', limitMs: 1000 });
    expect(out.report.breaches[0]?.message).toMatch(/^recovery took .*, over the RTO of 1s$/);
    // One testcase per step: the miss is a failure on the last step that ran.
    expect(out.junit.map((t) => t.attrs.name)).toEqual(out.report.steps.map((st) => st.id));
    const failed = out.junit.filter((t) => t.children.some((c) => c.name === 'failure'));
    expect(failed.map((t) => t.attrs.name)).toEqual([out.report.steps[out.report.steps.length - 1]?.id]);
    expect(failed[0]?.children.find((c) => c.name === 'failure')?.attrs.message).toMatch(/^RTO missed: .*over the RTO of 1s/);
    expect(out.markdown).toMatch(/RTO missed:\*\* recovery took .*, over the RTO of 1s/);
    expect(out.metric('lifeboat_verify_success')).toBe(0);
    expect(out.metric('lifeboat_rto_target_seconds')).toBe(1);
    expect(out.metric('lifeboat_rpo_target_seconds')).toBe(3600);
    expect(out.r.stdout).toMatch(/RTO missed: recovery took/);
    // and it still cleaned up
    expect(await listKeys(w.scratch)).toEqual([]);
  });

  test('a verify whose newest backup is older than the rpo (the step maxAge is looser): exit 1, the breach named everywhere', async () => {
    const w = await seedBackups();
    await new Promise((r) => setTimeout(r, 2500)); // rpo is 1s
    const dir = tempDir();
    const out = await verify(await drill(dir, { rto: '10m', rpo: '1s', maxAge: '1h' }), w.params, dir);
    expect(out.code, explain(out.r)).toBe(1);
    // the step itself passed: only the runbook's rpo is missed
    expect(out.report.steps.find((s) => s.id === 'verify-backups')?.status).toBe('passed');
    expect(out.report).toMatchObject({ verdict: 'failed', exitCode: 1, totals: { rpoMs: 1000, rpoVerdict: 'over', rtoVerdict: 'within' } });
    expect(out.report.breaches.map((b) => [b.target, b.stepId])).toEqual([['rpo', 'verify-backups']]);
    expect(out.report.breaches[0]?.message).toMatch(/^newest backup db\/part-\d\.sql is .* old, older than the RPO of 1s$/);
    // One testcase per step: the miss is a failure on the backup check that measured it.
    expect(out.junit.map((t) => t.attrs.name)).toEqual(out.report.steps.map((st) => st.id));
    const rpo = out.junit.find((t) => t.attrs.name === 'verify-backups');
    expect(rpo?.children[0]?.name).toBe('failure');
    expect(rpo?.children[0]?.attrs.message).toMatch(/^RPO missed: .*older than the RPO of 1s/);
    expect(out.markdown).toMatch(/RPO missed:\*\* newest backup db\/part-\d\.sql is .* old, older than the RPO of 1s/);
    expect(out.metric('lifeboat_verify_success')).toBe(0);
    expect(out.metric('lifeboat_rpo_target_seconds')).toBe(1);
    expect(out.metric('lifeboat_rto_target_seconds')).toBe(600);
  });

  test('a verify within both targets: exit 0, no breach, success 1', async () => {
    const w = await seedBackups();
    const dir = tempDir();
    const out = await verify(await drill(dir, { rto: '10m', rpo: '1h' }), w.params, dir);
    expect(out.code, explain(out.r)).toBe(0);
    expect(out.report).toMatchObject({ verdict: 'passed', breaches: [] });
    expect(out.junit.map((t) => t.attrs.name)).toEqual(['verify-backups', 'restore']);
    expect(out.metric('lifeboat_verify_success')).toBe(1);
  });
});

describe('nothing to restore is a failure', () => {
  /** A run of one s3.restore step; `allowEmpty` as given. */
  async function restoreRun(w: { backups: string; scratch: string }, o: { prefix: string; asOf: string; allowEmpty?: boolean }, dir = tempDir()): Promise<CliResult> {
    const file = join(dir, 'restore.yaml');
    const allow = o.allowEmpty ? ', allowEmpty: true' : '';
    await writeFile(
      file,
      ['version: 1', 'name: empty-restore', 'steps:', '  - id: restore', '    type: s3.restore', `    with: { source: "s3://${w.backups}/${o.prefix}", target: "s3://${w.scratch}/r/", asOf: "${o.asOf}"${allow} }`, ''].join('\n'),
    );
    return runCli(['run', file, '--yes', '--state-dir', join(dir, 'state'), '--report', 'junit', '--report-file', join(dir, 'j.xml')]);
  }

  test('a mistyped prefix and an asOf before the first backup: exit 1 naming the source, a JUnit <failure> that says so; with allowEmpty: true, exit 0', async () => {
    const w = await seedBackups();
    const typoDir = tempDir();
    const typo = await restoreRun(w, { prefix: 'dbb/', asOf: 'latest' }, typoDir);
    expect(typo.code, explain(typo)).toBe(1);
    expect(typo.stdout + typo.stderr).toContain(`s3://${w.backups}/dbb/`);
    // The step failed while being planned: a failure in the report built from the journal, not "not reached".
    const restore = findAll(parseXml(await readFile(join(typoDir, 'j.xml'), 'utf8')), 'testcase').find((t) => t.attrs.name === 'restore');
    expect(restore?.children.map((c) => c.name)).toEqual(['failure']);
    expect(restore?.children[0]?.attrs.message).toContain(`s3://${w.backups}/dbb/`);
    const early = await restoreRun(w, { prefix: 'db/', asOf: '2020-01-01T00:00:00Z' });
    expect(early.code, explain(early)).toBe(1);
    expect(early.stdout + early.stderr).toContain('2020-01-01T00:00:00Z');
    const allowed = await restoreRun(w, { prefix: 'dbb/', asOf: 'latest', allowEmpty: true });
    expect(allowed.code, explain(allowed)).toBe(0);
    const allowedEarly = await restoreRun(w, { prefix: 'db/', asOf: '2020-01-01T00:00:00Z', allowEmpty: true });
    expect(allowedEarly.code, explain(allowedEarly)).toBe(0);
  });
});

describe('a refused verify is never green', () => {
  test('refused before it starts: the JUnit file has an <error>, errors=1, not an all-skipped pass', async () => {
    const dir = tempDir();
    const r = await runCli([
      'verify', 'runbooks/dns-failover.yaml', '--param', 'zone_id=Z0NOTUSED', '--state-dir', join(dir, 'state'),
      '--report', 'junit', '--report-file', join(dir, 'j.xml'),
    ]);
    expect(r.code, explain(r)).toBe(3);
    const xml = parseXml(await readFile(join(dir, 'j.xml'), 'utf8'));
    const suite = findAll(xml, 'testsuite')[0];
    expect(suite?.attrs.errors).toBe('1');
    // No testcase besides the steps: the refusal is an <error> on the first one.
    const cases = findAll(xml, 'testcase');
    expect(cases.map((t) => t.attrs.name)).toEqual(['confirm-outage', 'failover-dns', 'announce']);
    expect(cases[0]?.children.map((c) => c.name)).toEqual(['error']);
    expect(cases[0]?.children[0]?.attrs.message).toContain('confirm-outage');
  });
});

describe('params are checked before anything moves', () => {
  async function world(): Promise<{ zoneId: string; zone: string; params: string[] }> {
    const zone = `${uniqueName('pf')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    const w = await seedBackups();
    return {
      zoneId,
      zone,
      params: ['--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`, '--param', `backups=${w.backups}`, '--param', `data=${w.scratch}`],
    };
  }

  test('--param asof=2026-13-45T99:99:99Z on a DNS-then-restore runbook: exit 2 at the field, zero Route 53 change requests', async () => {
    const w = await world();
    const before = JSON.stringify(await listAllSets(testRoute53(), w.zoneId));
    const proxy = await startRecordingProxy(motoEndpoint());
    try {
      const dir = tempDir();
      const r = await runCli(['run', 'test/fixtures/verdicts/dns-then-restore.yaml', ...w.params, '--param', 'asof=2026-13-45T99:99:99Z', '--yes', '--state-dir', dir], {
        env: { AWS_ENDPOINT_URL: proxy.endpoint },
      });
      expect(r.code, explain(r)).toBe(2);
      expect(r.stderr).toContain('test/fixtures/verdicts/dns-then-restore.yaml:26:13: step "restore-db" with.asOf: bad time "2026-13-45T99:99:99Z"');
      expect(r.stderr).toContain('params.asof');
      // nothing reached the server at all, let alone a ChangeResourceRecordSets
      expect(proxy.requests.filter((q) => q.path.includes('/rrset'))).toEqual([]);
      expect(proxy.mutating()).toEqual([]);
    } finally {
      await proxy.close();
    }
    expect(JSON.stringify(await listAllSets(testRoute53(), w.zoneId))).toBe(before);
  });

  test('a type: number param given abc: exit 2 naming it, for run and for plan', async () => {
    const w = await world();
    for (const command of ['run', 'plan']) {
      const r = await runCli([command, 'test/fixtures/verdicts/dns-then-restore.yaml', ...w.params, '--param', 'workers=abc', '--yes', '--state-dir', tempDir()].filter((a) => command === 'run' || a !== '--yes'));
      expect(r.code, explain(r)).toBe(2);
      expect(r.stderr).toContain('param "workers": "abc" is not a number (from --param workers)');
    }
  });
});

describe('skippable references', () => {
  test('validate: a reference to a step its when: may skip is exit 2 at its line; with the fallback exit 0 and the run uses it', async () => {
    const bad = await runCli(['validate', 'test/fixtures/verdicts/skippable.yaml']);
    expect(bad.code, explain(bad)).toBe(2);
    expect(bad.stderr).toMatch(/^test\/fixtures\/verdicts\/skippable\.yaml:13:\d+: \$\{\{ steps\.probe\.outputs\.stdout \}\}: step "probe" may be skipped \(when: params\.env == "prod"\)/m);

    const good = await runCli(['validate', 'test/fixtures/verdicts/skippable-fallback.yaml']);
    expect(good.code, explain(good)).toBe(0);
    const run = await runCli(['run', 'test/fixtures/verdicts/skippable-fallback.yaml', '--yes', '--json', '--state-dir', tempDir()]);
    expect(run.code, explain(run)).toBe(0);
    // --json prints the run report (schema/report.schema.json).
    const out = JSON.parse(run.stdout) as { steps: Array<{ id: string; status: string; outputs: Record<string, unknown> }> };
    expect(out.steps.find((s) => s.id === 'probe')?.status).toBe('skipped');
    expect(JSON.parse(String(out.steps.find((s) => s.id === 'report')?.outputs.stdout ?? 'null'))).toEqual(['probe said nothing (skipped)']);
  });
});

describe('modes: verify never moves live traffic', () => {
  async function verifyDns(file: string): Promise<{ r: CliResult; report: Report; rrsetChanges: number; zoneBefore: string; zoneAfter: string; scratch: string }> {
    const zone = `${uniqueName('md')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    const w = await seedBackups();
    const zoneBefore = JSON.stringify(await listAllSets(testRoute53(), zoneId));
    const proxy = await startRecordingProxy(motoEndpoint());
    const dir = tempDir();
    try {
      const r = await runCli(
        ['verify', file, '--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`, ...w.params, '--state-dir', join(dir, 'state'), '--report', 'json', '--report-file', join(dir, 'r.json')],
        { env: { AWS_ENDPOINT_URL: proxy.endpoint } },
      );
      const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
      const rrsetChanges = proxy.requests.filter((q) => q.method === 'POST' && q.path.includes('/rrset')).length;
      return { r, report, rrsetChanges, zoneBefore, zoneAfter: JSON.stringify(await listAllSets(testRoute53(), zoneId)), scratch: w.scratch };
    } finally {
      await proxy.close();
    }
  }

  test('verify of backups check + restore + DNS change: 0 Route 53 changes, DNS step skipped with the reason, restore cleaned up, exit 0', async () => {
    const out = await verifyDns('test/fixtures/verdicts/verify-dns.yaml');
    expect(out.r.code, explain(out.r)).toBe(0);
    expect(out.rrsetChanges).toBe(0);
    expect(out.zoneAfter).toBe(out.zoneBefore);
    const dns = out.report.steps.find((s) => s.id === 'failover-dns');
    expect(dns).toMatchObject({ status: 'skipped' });
    expect(dns?.skipReason).toMatch(/^not in verify mode: route53\.change-records moves live traffic, capacity or databases \(add modes: \[plan, dry-run, run, rehearse, verify\] to run it there\)$/);
    expect(out.report.steps.find((s) => s.id === 'restore')).toMatchObject({ status: 'rolled-back', undo: 'done' });
    expect(out.report.totals.restoreObjects).toBe(2);
    expect(await listKeys(out.scratch)).toEqual([]);
  });

  test('with modes: [run, verify] on the DNS step it runs in verify and is rolled back', async () => {
    const dir = tempDir();
    const file = join(dir, 'verify-dns-modes.yaml');
    const text = readFileSync('test/fixtures/verdicts/verify-dns.yaml', 'utf8').replace('    type: route53.change-records\n', '    type: route53.change-records\n    modes: [run, verify]\n');
    expect(text).toContain('modes: [run, verify]');
    await writeFile(file, text);
    const out = await verifyDns(file);
    expect(out.r.code, explain(out.r)).toBe(0);
    expect(out.rrsetChanges).toBeGreaterThanOrEqual(2); // the change, and its undo
    expect(out.zoneAfter).toBe(out.zoneBefore);
    expect(out.report.steps.find((s) => s.id === 'failover-dns')).toMatchObject({ status: 'rolled-back', undo: 'done' });
    expect(await listKeys(out.scratch)).toEqual([]);
  });
});

describe('reports are built from the journal', () => {
  function journalOf(state: string): { id: string; entries: JournalEntry[] } | undefined {
    const runs = join(state, 'runs');
    if (!existsSync(runs)) return undefined;
    const [id] = readdirSync(runs);
    if (id === undefined || !existsSync(join(runs, id, 'journal.jsonl'))) return undefined;
    return { id, entries: parseJournal(readFileSync(join(runs, id, 'journal.jsonl'), 'utf8')).entries };
  }

  /** Start a rehearsal of `fixture`, kill -9 it a second into its 3 s hold step; the crashed journal. */
  async function rehearseAndKill(state: string, fixture: string): Promise<{ id: string; entries: JournalEntry[] }> {
    const child = spawn(process.execPath, [BIN, 'rehearse', fixture, '--yes', '--state-dir', state], { cwd: ROOT, env: cliEnv(), stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error('the hold step never started');
      if (journalOf(state)?.entries.some((e) => e.type === 'step-start' && e.stepId === 'hold')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1000)); // a second into the 3 s hold
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    return journalOf(state) as { id: string; entries: JournalEntry[] };
  }

  test('kill -9 mid-run, then resume --report json: the true start, every step timed, durations across both processes; show --report junit agrees', async () => {
    const dir = tempDir();
    const state = join(dir, 'state');
    const crashed = await rehearseAndKill(state, 'test/fixtures/verdicts/resumable.yaml');
    const runStart = crashed.entries.find((e) => e.type === 'run-start') as JournalEntry;
    const holdStart = crashed.entries.find((e) => e.type === 'step-start' && e.stepId === 'hold') as JournalEntry;
    const firstPart = Date.parse((crashed.entries.at(-1) as JournalEntry).at) - Date.parse(holdStart.at);

    const resumed = await runCli([
      'resume', crashed.id, '--yes', '--state-dir', state,
      '--report', 'json', '--report-file', join(dir, 'r.json'),
      '--report', 'junit', '--report-file', join(dir, 'r.xml'),
    ]);
    expect(resumed.code, explain(resumed)).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    // the run's start, not the resume's
    expect(report.startedAt).toBe(runStart.at);
    expect(report.mode).toBe('rehearse');
    // every completed step has its duration; the hold spans both processes (its first second, then 3 s again)
    for (const s of report.steps) expect(s.durationMs, s.id).not.toBeNull();
    const hold = report.steps.find((s) => s.id === 'hold');
    expect(hold?.durationMs).toBeGreaterThanOrEqual(3000 + firstPart);
    // the recovery time is the whole forward run, from the first process's start
    const all = (journalOf(state) as { entries: JournalEntry[] }).entries;
    const resumedAt = Date.parse((all.find((e) => e.type === 'resumed') as JournalEntry).at);
    expect(report.totals.recoveryMs).toBeGreaterThan(resumedAt - Date.parse(runStart.at) + 3000 - 1);
    expect(report.durationMs).toBe(Date.parse((all.at(-1) as JournalEntry).at) - Date.parse(runStart.at));

    // show --report junit of the same run: the same testcases, with the same times
    const shown = await runCli(['show', crashed.id, '--state-dir', state, '--report', 'junit']);
    expect(shown.code, explain(shown)).toBe(0);
    const cases = (xml: string) => testcases(xml).map((t) => [t.attrs.name, t.attrs.time, t.children.map((c) => c.name).filter((n) => n !== 'system-out')]);
    expect(cases(shown.stdout)).toEqual(cases(await readFile(join(dir, 'r.xml'), 'utf8')));
    expect(cases(shown.stdout).map((c) => c[0])).toEqual(['first', 'hold', 'last']);
  });

  test('a resumed rehearsal that missed its RTO has failed: resume exits 1 naming the breach, its report says failed, show says exit 1', async () => {
    const dir = tempDir();
    const state = join(dir, 'state');
    const crashed = await rehearseAndKill(state, 'test/fixtures/verdicts/resumable-rto.yaml');
    const resumed = await runCli(['resume', crashed.id, '--yes', '--state-dir', state, '--report', 'json', '--report-file', join(dir, 'r.json')]);
    expect(resumed.code, explain(resumed)).toBe(1);
    expect(resumed.stdout + resumed.stderr).toMatch(/RTO missed: recovery took .*, over the RTO of 2s/);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(report).toMatchObject({ mode: 'rehearse', verdict: 'failed', exitCode: 1 });
    expect(report.breaches.map((b) => b.target)).toEqual(['rto']);
    // every step was done (none of them has anything to undo: shell steps with no rollback:, a wait): only the target was missed
    expect(report.steps.map((st) => [st.status, st.undo])).toEqual([
      ['passed', 'none'],
      ['passed', 'none'],
      ['passed', 'none'],
    ]);

    const shown = await runCli(['show', crashed.id, '--state-dir', state]);
    expect(shown.code, explain(shown)).toBe(0);
    expect(shown.stdout).toMatch(/^run \S+: resumable-rto \(rehearse\) — \S+, exit 1$/m);
    expect(shown.stdout).toMatch(/RTO missed: recovery took .*, over the RTO of 2s/);
    const json = await runCli(['show', crashed.id, '--state-dir', state, '--json']);
    expect((JSON.parse(json.stdout) as { exitCode: number }).exitCode).toBe(1);
  });
});
