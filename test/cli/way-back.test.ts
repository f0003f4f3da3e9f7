/**
 * The way back (issue 12), through the built CLI against the suite's moto: rollback is
 * previewed and drift-checked, consent is needed, output and terminal failures never stop a
 * run half-way, a full disk stops it safely, exit codes tell the world's state, and a step
 * that cannot be undone is never reported as rolled back.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { parseJournal, replay, type JournalEntry } from '../../src/journal/format.js';
import { cliEnv, testRoute53, testS3, uniqueName } from '../helpers/aws.js';
import { BIN, ROOT, runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { Terminal } from '../helpers/tmux.js';

const RUNBOOKS = join(ROOT, 'test/fixtures/runbooks');
const WAY_BACK = join(RUNBOOKS, 'way-back.yaml');

interface Zone {
  zoneId: string;
  zone: string;
  record: string;
}

async function newZone(): Promise<Zone> {
  const zone = `${uniqueName('wb')}.example.com`;
  const r53 = testRoute53();
  const created = await r53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${zone}-${Date.now()}` }));
  const zoneId = (created.HostedZone?.Id ?? '').replace('/hostedzone/', '');
  const record = `app.${zone}`;
  await setRecord({ zoneId, zone, record }, `primary.${zone}`, 300);
  return { zoneId, zone, record };
}

async function setRecord(z: Zone, value: string, ttl = 30): Promise<void> {
  await testRoute53().send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: z.zoneId,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: z.record, Type: 'CNAME', TTL: ttl, ResourceRecords: [{ Value: value }] } }] },
    }),
  );
}

async function recordValue(z: Zone): Promise<string | undefined> {
  const r = await testRoute53().send(new ListResourceRecordSetsCommand({ HostedZoneId: z.zoneId }));
  const set = (r.ResourceRecordSets ?? []).find((s) => s.Name === `${z.record}.` && s.Type === 'CNAME');
  return set?.ResourceRecords?.[0]?.Value;
}

function runArgs(z: Zone, sd: string, then: string, arg = ''): string[] {
  return [
    'run',
    WAY_BACK,
    '--param',
    `zone_id=${z.zoneId}`,
    '--param',
    `record=${z.record}`,
    '--param',
    `target=standby.${z.zone}`,
    '--param',
    `then=${then}`,
    '--param',
    `arg=${arg}`,
    '--confirm',
    'send-email=send-email',
    '--state-dir',
    sd,
  ];
}

function runIds(sd: string): string[] {
  try {
    return readdirSync(join(sd, 'runs')).sort();
  } catch {
    return [];
  }
}

function entries(sd: string, id: string): JournalEntry[] {
  return parseJournal(readFileSync(join(sd, 'runs', id, 'journal.jsonl'), 'utf8')).entries;
}

function locks(sd: string): string[] {
  try {
    return readdirSync(join(sd, 'locks'));
  } catch {
    return [];
  }
}

function explain(r: CliResult): string {
  return `exit ${r.code} (${r.signal ?? 'no signal'})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

async function expectExit(p: Promise<CliResult>, code: number): Promise<CliResult> {
  const r = await p;
  expect(r.code, explain(r)).toBe(code);
  return r;
}

async function waitUntil(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('rollback <id> is planned, shown, confirmed and drift-checked', () => {
  test('a record changed since the run: exit 3 naming step, record, what it left and what is there; --ignore-drift undoes it, journaled', async () => {
    const z = await newZone();
    const sd = tempDir();
    await expectExit(runCli([...runArgs(z, sd, 'succeed'), '--yes']), 0);
    const [id] = runIds(sd) as [string];
    expect(await recordValue(z)).toBe(`standby.${z.zone}`);
    await setRecord(z, 'colleague.example.net');

    // No terminal and no --yes: nothing changes.
    const noConsent = await expectExit(runCli(['rollback', id, '--state-dir', sd]), 3);
    expect(noConsent.stderr).toMatch(/--yes/);
    expect(await recordValue(z)).toBe('colleague.example.net');

    const refused = await expectExit(runCli(['rollback', id, '--yes', '--state-dir', sd]), 3);
    const text = refused.stdout + refused.stderr;
    expect(text).toMatch(/failover-dns/);
    expect(text).toContain(`app.${z.zone}. CNAME`);
    expect(text).toContain(`standby.${z.zone}`); // what the step left
    expect(text).toContain('colleague.example.net'); // what is there now
    expect(text).toMatch(/--ignore-drift/);
    // The preview: now → after undo.
    expect(refused.stdout).toMatch(new RegExp(`colleague\\.example\\.net \\(ttl 30\\) → primary\\.${z.zone.replace(/\./g, '\\.')} \\(ttl 300\\)`));
    expect(await recordValue(z)).toBe('colleague.example.net');
    expect(entries(sd, id)).toContainEqual(expect.objectContaining({ type: 'drift', stepId: 'failover-dns', action: 'refused' }));
    // Refused before any change: the completed run stays completed, its lock as released as it was.
    expect(locks(sd)).toEqual([]);
    expect(replay(entries(sd, id)).end?.outcome).toBe('completed');
    expect(refused.stdout).not.toMatch(/lock stays/);

    const forced = await expectExit(runCli(['rollback', id, '--yes', '--ignore-drift', '--state-dir', sd]), 0);
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
    expect(entries(sd, id)).toContainEqual(expect.objectContaining({ type: 'decision', stepId: 'failover-dns', phase: 'drift', by: '--ignore-drift' }));
    expect(entries(sd, id)).toContainEqual(expect.objectContaining({ type: 'decision', phase: 'rollback', choice: 'go', by: '--yes' }));
    // rollback: false is never "rolled back".
    expect(forced.stdout).toMatch(/send-email not undone/);
    expect(forced.stdout).not.toMatch(/send-email rolled back/);
    expect(forced.stdout).not.toMatch(/every completed step was undone/);
  });

  test('an object written into the restored (unversioned) prefix, and one written over: exit 3 naming both, nothing changed', async () => {
    const z = await newZone();
    const s3 = testS3();
    const source = uniqueName('wb-src');
    const target = uniqueName('wb-dst');
    for (const b of [source, target]) await s3.send(new CreateBucketCommand({ Bucket: b }));
    const put = (Bucket: string, Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket, Key, Body }));
    await put(source, 'db/a.sql', 'backup a');
    await put(source, 'db/b.sql', 'backup b');
    await put(target, 'db/a.sql', 'old a, overwritten by the restore');
    const sd = tempDir();
    const marker = join(tempDir('wb-marker-'), 'm');
    const params = ['--param', `zone_id=${z.zoneId}`, '--param', `record=${z.record}`, '--param', `target=standby.${z.zone}`, '--param', `marker=${marker}`];
    params.push('--param', `source=s3://${source}/db/`, '--param', `restore_to=s3://${target}/db/`);
    await expectExit(runCli(['run', join(RUNBOOKS, 'durable-full.yaml'), '--yes', ...params, '--state-dir', sd]), 0);
    const [id] = runIds(sd) as [string];
    await put(target, 'db/new-by-app.sql', 'the application wrote this after the restore');
    await put(target, 'db/b.sql', 'the application changed this after the restore');
    const keys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: target }))).Contents ?? []).map((o) => `${o.Key}:${o.ETag}`).sort();
    const before = await keys();

    const refused = await expectExit(runCli(['rollback', id, '--yes', '--state-dir', sd]), 3);
    const text = refused.stdout + refused.stderr;
    expect(text).toMatch(/restore-data/);
    expect(text).toContain(`s3://${target}/db/new-by-app.sql`);
    expect(text).toContain(`s3://${target}/db/b.sql`);
    expect(await keys()).toEqual(before);
    expect(await recordValue(z)).toBe(`standby.${z.zone}`);
  });

  test('a restore into a directory: a file written over and one written into it since are drift: exit 3 naming both, nothing changed; --ignore-drift undoes the rest', async () => {
    const z = await newZone();
    const s3 = testS3();
    const source = uniqueName('wb-lsrc');
    await s3.send(new CreateBucketCommand({ Bucket: source }));
    const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: source, Key, Body }));
    await put('db/a.sql', 'backup a');
    await put('db/b.sql', 'backup b');
    const dir = join(tempDir('wb-local-'), 'restored');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.sql'), 'old a, overwritten by the restore');
    const sd = tempDir();
    const marker = join(tempDir('wb-marker-'), 'm');
    const params = ['--param', `zone_id=${z.zoneId}`, '--param', `record=${z.record}`, '--param', `target=standby.${z.zone}`, '--param', `marker=${marker}`];
    params.push('--param', `source=s3://${source}/db/`, '--param', `restore_to=${dir}`);
    await expectExit(runCli(['run', join(RUNBOOKS, 'durable-full.yaml'), '--yes', ...params, '--state-dir', sd]), 0);
    const [id] = runIds(sd) as [string];
    expect(readFileSync(join(dir, 'a.sql'), 'utf8')).toBe('backup a');
    writeFileSync(join(dir, 'b.sql'), 'the application changed this after the restore');
    writeFileSync(join(dir, 'new-by-app.sql'), 'the application wrote this after the restore');

    const refused = await expectExit(runCli(['rollback', id, '--yes', '--state-dir', sd]), 3);
    const text = refused.stdout + refused.stderr;
    expect(text).toMatch(/restore-data/);
    expect(text).toContain(join(dir, 'b.sql'));
    expect(text).toContain(join(dir, 'new-by-app.sql'));
    expect(readFileSync(join(dir, 'a.sql'), 'utf8')).toBe('backup a');
    expect(await recordValue(z)).toBe(`standby.${z.zone}`);

    await expectExit(runCli(['rollback', id, '--yes', '--ignore-drift', '--state-dir', sd]), 0);
    expect(readFileSync(join(dir, 'a.sql'), 'utf8')).toBe('old a, overwritten by the restore');
    // What someone else wrote is theirs: left alone even so.
    expect(readFileSync(join(dir, 'b.sql'), 'utf8')).toBe('the application changed this after the restore');
    expect(readFileSync(join(dir, 'new-by-app.sql'), 'utf8')).toBe('the application wrote this after the restore');
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
  });

  test('a restore whose copies S3 gives ETags the plan cannot foresee (multipart) puts them on record as it goes; rollback <id> undoes them', async () => {
    const s3 = testS3();
    const source = uniqueName('wb-mp-src');
    const target = uniqueName('wb-mp-dst');
    for (const b of [source, target]) await s3.send(new CreateBucketCommand({ Bucket: b }));
    const MiB = 1024 * 1024;
    await s3.send(new PutObjectCommand({ Bucket: source, Key: 'db/a.sql', Body: 'a'.repeat(6 * MiB) }));
    await s3.send(new PutObjectCommand({ Bucket: source, Key: 'db/b.sql', Body: 'b'.repeat(6 * MiB) }));
    await s3.send(new PutObjectCommand({ Bucket: target, Key: 'db/a.sql', Body: 'old a' }));
    const dir = tempDir('wb-mp-');
    const file = join(dir, 'restore.yaml');
    writeFileSync(
      file,
      `version: 1\nname: wb-multipart\nsteps:\n  - id: restore\n    type: s3.restore\n    confirm: none\n    with: { source: "s3://${source}/db/", target: "s3://${target}/db/", multipartThreshold: ${5 * MiB}, partSize: ${5 * MiB}, concurrency: 1 }\n`,
    );
    const sd = tempDir();
    await expectExit(runCli(['run', file, '--yes', '--state-dir', sd]), 0);
    const [id] = runIds(sd) as [string];
    const listed = (await s3.send(new ListObjectsV2Command({ Bucket: target, Prefix: 'db/' }))).Contents ?? [];
    const etags = Object.fromEntries(listed.map((o) => [o.Key, (o.ETag ?? '').replace(/"/g, '')]));
    expect(etags['db/a.sql']).toMatch(/-2$/); // a multipart copy
    const amends = entries(sd, id).filter((e) => e.type === 'undo-amend');
    expect(amends).toHaveLength(1);
    const undo = replay(entries(sd, id)).undos.restore as { expected: Record<string, { size: number; etag?: string }> };
    expect(undo.expected['db/a.sql']).toEqual({ size: 6 * MiB, etag: etags['db/a.sql'] });
    expect(undo.expected['db/b.sql']).toEqual({ size: 6 * MiB, etag: etags['db/b.sql'] });

    await expectExit(runCli(['rollback', id, '--yes', '--state-dir', sd]), 0);
    const after = (await s3.send(new ListObjectsV2Command({ Bucket: target, Prefix: 'db/' }))).Contents ?? [];
    expect(after.map((o) => o.Key)).toEqual(['db/a.sql']);
    expect(after[0]?.Size).toBe('old a'.length);
  });

  test('a by-hand undo without a terminal needs --confirm <id>:undo=done before the rollback changes anything', async () => {
    const dir = tempDir('wb-byhand-');
    const marker = join(dir, 'marker');
    const file = join(dir, 'by-hand.yaml');
    const write = join(ROOT, 'test/fixtures/write-marker.mjs');
    const remove = join(ROOT, 'test/fixtures/remove-file.mjs');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: wb-by-hand',
        'steps:',
        '  - id: tell-channel',
        '    type: manual',
        '    with: { instructions: "Tell the incident channel we fail over" }',
        '    rollback: { instructions: "Tell the incident channel we are back on the primary" }',
        '  - id: mark',
        '    type: shell',
        `    with: { run: [node, ${JSON.stringify(write)}, ${JSON.stringify(marker)}] }`,
        `    rollback: { run: [node, ${JSON.stringify(remove)}, ${JSON.stringify(marker)}] }`,
        '',
      ].join('\n'),
    );
    const sd = tempDir();
    const ran = await expectExit(runCli(['run', file, '--yes', '--confirm', 'tell-channel=done', '--state-dir', sd]), 0);
    // A run rolls back only on a failure: it says so at the start, and goes on.
    expect(ran.stdout).toContain('the undo of tell-channel is done by hand: if this run rolls back, it stops there unless --confirm tell-channel:undo=done is given');
    const [id] = runIds(sd) as [string];
    expect(existsSync(marker)).toBe(true);

    // A forward --confirm never answers the undo: refused before the newer step is undone.
    const refused = await expectExit(runCli(['rollback', id, '--yes', '--confirm', 'tell-channel=done', '--state-dir', sd]), 3);
    expect(refused.stderr + refused.stdout).toMatch(/the undo of tell-channel is done by hand \("Tell the incident channel we are back on the primary"\)/);
    expect(refused.stderr + refused.stdout).toContain('--confirm tell-channel:undo=done');
    expect(existsSync(marker)).toBe(true);
    expect(entries(sd, id).some((e) => e.type === 'undo-start')).toBe(false);

    await expectExit(runCli(['rollback', id, '--yes', '--confirm', 'tell-channel:undo=done', '--state-dir', sd]), 0);
    expect(existsSync(marker)).toBe(false);
    expect(entries(sd, id)).toContainEqual(expect.objectContaining({ type: 'decision', stepId: 'tell-channel', phase: 'undo', choice: 'done', by: '--confirm' }));

    // Rehearse rolls back what it did: the by-hand undo is asked for before anything runs.
    const rehearse = await expectExit(runCli(['rehearse', file, '--yes', '--confirm', 'tell-channel=done', '--state-dir', tempDir()]), 3);
    expect(rehearse.stderr + rehearse.stdout).toContain('--confirm tell-channel:undo=done');
    expect(existsSync(marker)).toBe(false);
    await expectExit(runCli(['rehearse', file, '--yes', '--confirm', 'tell-channel=done', '--confirm', 'tell-channel:undo=done', '--state-dir', tempDir()]), 0);
    expect(existsSync(marker)).toBe(false);
  });

  test('an automatic rollback stops at a drifted step: exit 4, the record left as the colleague set it, the lock kept', async () => {
    const z = await newZone();
    const sd = tempDir();
    const r = await expectExit(runCli([...runArgs(z, sd, 'meddle'), '--yes']), 4);
    expect(r.stdout).toMatch(/ROLLBACK STOPPED AT DRIFT/);
    expect(r.stdout).toMatch(/send-email not undone/);
    // The ways out without a terminal, for the step that stopped it.
    expect(r.stdout).toContain(`lifeboat rollback ${runIds(sd)[0] ?? '?'} --ignore-drift`);
    expect(r.stdout).toContain('--skip-undo failover-dns');
    expect(await recordValue(z)).toBe('someone-else.example.net');
    const [id] = runIds(sd) as [string];
    expect(entries(sd, id)).toContainEqual(expect.objectContaining({ type: 'drift', stepId: 'failover-dns', action: 'stopped' }));
    expect(locks(sd)).toHaveLength(1);
    // The next run of the same runbook is refused while the changes are in place.
    await expectExit(runCli([...runArgs(z, sd, 'succeed'), '--yes']), 3);
  });
});

describe('declining the rollback of a completed run', () => {
  test('"not now" at the prompt: exit 3, nothing changed, no lock taken, the run still completed, and no "resume" offered', async () => {
    const z = await newZone();
    const sd = tempDir();
    await expectExit(runCli([...runArgs(z, sd, 'succeed'), '--yes']), 0);
    const [id] = runIds(sd) as [string];
    expect(locks(sd)).toEqual([]);
    const term = Terminal.start(`wb-decline-${process.pid}`, [process.execPath, BIN, 'rollback', id, '--state-dir', sd], { ...cliEnv(), TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' }, ROOT);
    let screen: string;
    try {
      await term.waitFor('roll back these');
      term.keys('Enter'); // the default: "not now"
      expect(await term.exitCode()).toBe(3);
      screen = term.screen();
    } finally {
      term.close();
    }
    expect(screen).toContain('rollback declined at the prompt: nothing was changed');
    expect(screen).not.toContain(`lifeboat resume ${id}`);
    expect(await recordValue(z)).toBe(`standby.${z.zone}`);
    expect(locks(sd)).toEqual([]);
    const shown = JSON.parse((await expectExit(runCli(['show', id, '--json', '--state-dir', sd]), 0)).stdout) as { status: string };
    expect(shown.status).toBe('completed');
    expect(entries(sd, id)).toContainEqual(expect.objectContaining({ type: 'decision', phase: 'rollback', choice: 'not now', by: 'operator' }));
    // The next run of the runbook is not refused by a lock the declined rollback left behind.
    await expectExit(runCli([...runArgs(z, sd, 'succeed'), '--yes']), 0);
  });
});

describe('an automatic rollback at a terminal', () => {
  test('drift met by a rollback after a failure offers no "undo anyway": stopping there is exit 4, the record left as the colleague set it', async () => {
    const z = await newZone();
    const sd = tempDir();
    const term = Terminal.start(`wb-autodrift-${process.pid}`, [process.execPath, BIN, ...runArgs(z, sd, 'meddle')], { ...cliEnv(), TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' }, ROOT);
    let screen: string;
    try {
      await term.waitFor('send-email (shell): what now?');
      term.keys('Enter'); // proceed
      await term.waitFor('type send-email to confirm');
      term.type('send-email');
      term.keys('Enter');
      await term.waitFor('step meddle-fail failed: what now?');
      term.keys('Enter'); // the default: roll back
      await term.waitFor('the undo of failover-dns found drift: what now?');
      screen = term.screen();
      term.keys('Enter'); // the default: stop
      expect(await term.exitCode()).toBe(4);
    } finally {
      term.close();
    }
    const prompt = screen.slice(screen.lastIndexOf('found drift: what now?'));
    expect(prompt).toContain('done by hand');
    expect(prompt).not.toContain('undo anyway');
    expect(await recordValue(z)).toBe('someone-else.example.net');
    expect(locks(sd)).toHaveLength(1);
  }, 60_000);
});

describe('a failed undo', () => {
  const undoFails = (z: Zone, marker: string) => ['--param', `zone_id=${z.zoneId}`, '--param', `record=${z.record}`, '--param', `target=standby.${z.zone}`, '--param', `marker=${marker}`];

  test('at a terminal: the preview is confirmed, then the failed undo is marked done by hand with a reason (journaled with who) and the rest is undone', async () => {
    const z = await newZone();
    const sd = tempDir();
    const marker = join(tempDir(), 'marker');
    await expectExit(runCli(['run', join(RUNBOOKS, 'durable-undo-fails.yaml'), '--yes', ...undoFails(z, marker), '--state-dir', sd]), 0);
    const [id] = runIds(sd) as [string];
    const term = Terminal.start(`wb-byhand-${process.pid}`, [process.execPath, BIN, 'rollback', id, '--state-dir', sd], { ...cliEnv(), TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' }, ROOT);
    try {
      await term.waitFor(`standby.${z.zone} (ttl 60) → primary.${z.zone} (ttl 300)`);
      await term.waitFor('roll back these 2 steps');
      expect(await recordValue(z)).toBe(`standby.${z.zone}`); // nothing before the answer
      term.keys('Up', 'Enter'); // "not now" is the default: choose "roll back"
      await term.waitFor('the undo of mark failed: what now?');
      term.keys('Up', 'Enter'); // "stop" is the default: choose "done by hand"
      await term.waitFor('what did you do');
      term.type('removed the marker by hand');
      term.keys('Enter');
      expect(await term.exitCode()).toBe(0);
    } finally {
      term.close();
    }
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
    const e = entries(sd, id);
    expect(e).toContainEqual(expect.objectContaining({ type: 'decision', phase: 'rollback', choice: 'go', by: 'operator' }));
    expect(e).toContainEqual(expect.objectContaining({ type: 'decision', stepId: 'mark', phase: 'undo-failure', choice: 'by-hand', by: 'operator', reason: 'removed the marker by hand' }));
    expect(replay(e).steps.mark).toBe('undone-by-hand');
    const shown = await expectExit(runCli(['show', id, '--state-dir', sd]), 0);
    expect(shown.stdout).toMatch(/undone by hand/);
  });

  test('without a terminal: exit 4; --skip-undo <id> then marks it done by hand (journaled as the flag) and undoes the rest', async () => {
    const z = await newZone();
    const sd = tempDir();
    const marker = join(tempDir(), 'marker');
    await expectExit(runCli(['run', join(RUNBOOKS, 'durable-undo-fails.yaml'), '--yes', ...undoFails(z, marker), '--state-dir', sd]), 0);
    const [id] = runIds(sd) as [string];
    // fail-once fails the first time: make it fail again by leaving no flag behind.
    await expectExit(runCli(['rollback', id, '--yes', '--state-dir', sd]), 4);
    rmSync(`${marker}.flag`, { force: true });
    const r = await expectExit(runCli(['rollback', id, '--yes', '--skip-undo', 'mark', '--state-dir', sd]), 0);
    expect(r.stdout).toMatch(/mark: marked done by hand \(--skip-undo\)/);
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
    expect(entries(sd, id)).toContainEqual(expect.objectContaining({ type: 'decision', stepId: 'mark', choice: 'by-hand', by: '--skip-undo' }));
  });
});

describe('consent and exit codes', () => {
  test('run with no terminal and no --yes: exit 3 before any change, saying to add --yes', async () => {
    const z = await newZone();
    const sd = tempDir();
    const r = await expectExit(runCli(runArgs(z, sd, 'succeed')), 3);
    expect(r.stderr).toMatch(/add --yes/);
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
    expect(runIds(sd)).toEqual([]);
  });

  test('an abort with changes in place (--on-failure abort): exit 5, the lock kept, resume and rollback printed; rollback then reports send-email not undone', async () => {
    const z = await newZone();
    const sd = tempDir();
    const r = await expectExit(runCli([...runArgs(z, sd, 'fail'), '--yes', '--on-failure', 'abort']), 5);
    const [id] = runIds(sd) as [string];
    expect(r.stdout).toContain(`lifeboat resume ${id}`);
    expect(r.stdout).toContain(`lifeboat rollback ${id}`);
    expect(locks(sd)).toHaveLength(1);
    expect(await recordValue(z)).toBe(`standby.${z.zone}`);

    const reportFile = join(tempDir(), 'report.json');
    const back = await expectExit(runCli(['rollback', id, '--yes', '--state-dir', sd, '--report', 'json', '--report-file', reportFile]), 0);
    expect(back.stdout).toMatch(/send-email not undone/);
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
    expect(locks(sd)).toEqual([]);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { steps: Array<{ id: string; undo: string }> };
    expect(report.steps.find((s) => s.id === 'send-email')?.undo).toBe('not-undone');
    expect(report.steps.find((s) => s.id === 'failover-dns')?.undo).toBe('done');
    const shown = await expectExit(runCli(['show', id, '--state-dir', sd]), 0);
    expect(shown.stdout).toMatch(/not undone/);
    expect(replay(entries(sd, id)).steps['send-email']).toBe('not-undone');
    // Nothing left to undo, and the step that could not be undone is still named.
    const again = await expectExit(runCli(['rollback', id, '--yes', '--state-dir', sd]), 0);
    expect(again.stdout + again.stderr).toMatch(/already rolled back: failover-dns/);
    expect(again.stdout + again.stderr).toMatch(/not undone, still changed .*send-email/);
  });

  test('a rollback refused on drift leaves an aborted run as it was: the lock kept, and resume goes on with the run, not taking it for one refused at its start', async () => {
    const z = await newZone();
    const sd = tempDir();
    await expectExit(runCli([...runArgs(z, sd, 'fail'), '--yes', '--on-failure', 'abort']), 5);
    const [id] = runIds(sd) as [string];
    await setRecord(z, 'colleague.example.net');
    await expectExit(runCli(['rollback', id, '--yes', '--state-dir', sd]), 3);
    expect(locks(sd)).toHaveLength(1);
    const run = replay(entries(sd, id));
    expect(run.end?.outcome).toBe('aborted');
    expect(run.phase).toBe('forward');

    // The failed step fails again; with --on-failure abort the run stops as before, changes and lock in place.
    const resumed = await runCli(['resume', id, '--yes', '--on-failure', 'abort', '--state-dir', sd]);
    expect(resumed.code, explain(resumed)).toBe(5);
    expect(resumed.stdout + resumed.stderr).not.toMatch(/refused before it changed anything/);
    expect(locks(sd)).toHaveLength(1);
    expect(await recordValue(z)).toBe('colleague.example.net');
  });

  test('resume of a run that was rolling back is a way back like rollback <id>: re-read first, refused on drift (exit 3), nothing changed', async () => {
    const z = await newZone();
    const sd = tempDir();
    await expectExit(runCli([...runArgs(z, sd, 'succeed'), '--yes']), 0);
    const [id] = runIds(sd) as [string];
    // A rollback that undid send-email (not undoable) and was then stopped: the run is in its rollback phase.
    const file = join(sd, 'runs', id, 'journal.jsonl');
    const before = entries(sd, id);
    let seq = before[before.length - 1]?.seq ?? 0;
    const add = (body: Record<string, unknown>): string => `${JSON.stringify({ v: 1, seq: ++seq, at: new Date().toISOString(), ...body })}\n`;
    writeFileSync(
      file,
      readFileSync(file, 'utf8') +
        add({ type: 'resumed', by: 'ana', pid: 999_999, host: 'elsewhere', force: false, command: 'rollback' }) +
        add({ type: 'undo-start', stepId: 'send-email' }) +
        add({ type: 'undo-done', stepId: 'send-email', durationMs: 1, how: 'not-undone' }) +
        add({ type: 'run-end', outcome: 'suspended', exitCode: 130, durationMs: 5 }),
    );
    expect(replay(entries(sd, id)).phase).toBe('rollback');
    await setRecord(z, 'colleague.example.net');

    const r = await expectExit(runCli(['resume', id, '--yes', '--state-dir', sd]), 3);
    expect(r.stdout + r.stderr).toMatch(/DRIFT/);
    expect(r.stdout + r.stderr).toContain('colleague.example.net');
    expect(await recordValue(z)).toBe('colleague.example.net');
    expect(entries(sd, id)).toContainEqual(expect.objectContaining({ type: 'drift', stepId: 'failover-dns', action: 'refused' }));
  });

  test('--skip-undo and --force-unlock must name a step and a run: a typo is exit 2 before anything happens', async () => {
    const z = await newZone();
    const sd = tempDir();
    await expectExit(runCli([...runArgs(z, sd, 'fail'), '--yes', '--on-failure', 'abort']), 5);
    const [id] = runIds(sd) as [string];
    const typo = await expectExit(runCli(['rollback', id, '--yes', '--skip-undo', 'failover-dsn', '--state-dir', sd]), 2);
    expect(typo.stderr).toMatch(/--skip-undo failover-dsn/);
    expect(typo.stderr).toMatch(/failover-dns/);
    expect(await recordValue(z)).toBe(`standby.${z.zone}`);
    expect(entries(sd, id).some((e) => e.type === 'resumed')).toBe(false);

    // A second run, so that a short prefix names two: empty and ambiguous ids are refused as everywhere else.
    const other = tempDir();
    await expectExit(runCli([...runArgs(await newZone(), other, 'succeed'), '--yes']), 0);
    const [otherId] = runIds(other) as [string];
    mkdirSync(join(sd, 'runs', otherId), { recursive: true });
    writeFileSync(join(sd, 'runs', otherId, 'journal.jsonl'), readFileSync(join(other, 'runs', otherId, 'journal.jsonl')));
    for (const given of ['', ' ', id.slice(0, 4)]) {
      const r = await expectExit(runCli([...runArgs(z, sd, 'succeed'), '--yes', '--force-unlock', given]), 2);
      expect(r.stderr).toMatch(/run id|matches 2 runs/);
    }
    // A unique prefix names the run that holds the lock (still alive? no: its process is gone).
    const unlocked = await expectExit(runCli([...runArgs(z, sd, 'succeed'), '--yes', '--force-unlock', id.slice(0, -2)]), 0);
    expect(unlocked.stdout + unlocked.stderr).toContain(`removed the lock of run ${id}`);
  });

  test('a failed step rolled back: exit 1; a dry run never says "still changed" or "to undo it"', async () => {
    const z = await newZone();
    const sd = tempDir();
    const r = await expectExit(runCli([...runArgs(z, sd, 'fail'), '--yes']), 1);
    expect(r.stdout).toMatch(/send-email not undone/);
    // The preflight's identity is journaled with the run.
    const [failedId] = runIds(sd) as [string];
    expect(entries(sd, failedId)[0]).toMatchObject({ type: 'run-start', identity: { account: expect.stringMatching(/^\d{12}$/) as unknown } });
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
    expect(locks(sd)).toEqual([]);

    const dry = await runCli([...runArgs(z, sd, 'fail'), '--dry-run', '--on-failure', 'abort']);
    expect(dry.stdout).not.toMatch(/still changed|to undo it/);
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
  });
});

describe('a state directory that cannot be used', () => {
  test('a file where the directory should be (ENOTDIR): exit 3 with the path and the fix, no errno line, nothing changed', async () => {
    const z = await newZone();
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await expectExit(runCli([...runArgs(z, join(file, 'state'), 'succeed'), '--yes']), 3);
    expect(r.stderr).toContain(join(file, 'state'));
    expect(r.stderr).toMatch(/--state-dir/);
    expect(r.stderr).not.toMatch(/^Error: ENOTDIR/m);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
  });
});

describe('output and terminal failures never stop a run half-way', () => {
  test('prompts go to the terminal: with stdout redirected to a file, the prompt is on screen and the file has no escape byte and no prompt', async () => {
    const z = await newZone();
    const sd = tempDir();
    const out = join(tempDir(), 'out.txt');
    const cmd = [process.execPath, BIN, ...runArgs(z, sd, 'succeed')].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const term = Terminal.start(`wb-out-${process.pid}`, ['bash', '--norc', '-c', `${cmd} > '${out}'`], { ...cliEnv(), TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' }, ROOT);
    try {
      await term.waitFor('what now?');
      term.keys('Down', 'Down', 'Down', 'Enter'); // abort
      expect(await term.exitCode()).toBe(5);
    } finally {
      term.close();
    }
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/failover-dns/); // the run's log is there
    expect(text.includes(String.fromCharCode(0x1b))).toBe(false);
    expect(text).not.toMatch(/what now\?/);
  });

  test('| head -1 closes stdout: the run still completes and journals its end; the lock is released', async () => {
    const z = await newZone();
    const sd = tempDir();
    const cmd = [process.execPath, BIN, ...runArgs(z, sd, 'succeed'), '--yes'].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const out = execFileSync('bash', ['-c', `${cmd} | head -1; echo "lifeboat exit=\${PIPESTATUS[0]}"`], { env: cliEnv(), encoding: 'utf8' });
    expect(out).toMatch(/lifeboat exit=0/);
    const [id] = runIds(sd) as [string];
    expect(replay(entries(sd, id)).end?.outcome).toBe('completed');
    expect(await recordValue(z)).toBe(`standby.${z.zone}`);
    expect(locks(sd)).toEqual([]);
  });

  test('SIGHUP mid-command: the command is ended first, the run rolls back (--on-failure) and exits 130', async () => {
    const z = await newZone();
    const sd = tempDir();
    const pidFile = join(tempDir(), 'sleeper.pid');
    const child = spawn(process.execPath, [BIN, ...runArgs(z, sd, 'sleep', pidFile), '--yes'], { cwd: ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitUntil('the sleeper to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(sleeper)).toBe(true);
    child.kill('SIGHUP');
    expect(await done, out).toBe(130);
    expect(alive(sleeper)).toBe(false);
    const [id] = runIds(sd) as [string];
    expect(entries(sd, id)).toContainEqual(expect.objectContaining({ type: 'interrupt', signal: 'SIGHUP', action: 'rollback' }));
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
    expect(locks(sd)).toEqual([]);
  });

  test('a terminal that goes away while the run goes on: the run completes and lifeboat exits with its code (Node 20 aborted, exit 134)', async () => {
    const dir = tempDir();
    const file = join(dir, 'gone.yaml');
    writeFileSync(file, ['version: 1', 'name: gone', 'steps:', '  - id: pause', '    type: wait', '    with: { duration: 2s }', ''].join('\n'));
    const session = `wb-gone-${process.pid}`;
    execFileSync('tmux', ['new-session', '-d', '-s', session, 'sleep 600']);
    let child;
    const errFile = join(dir, 'stderr');
    try {
      const pty = execFileSync('tmux', ['display', '-p', '-t', session, '#{pane_tty}'], { encoding: 'utf8' }).trim();
      const term = openSync(pty, 'r+');
      const err = openSync(errFile, 'w');
      // Its own session (setsid), so closing the terminal sends it no SIGHUP: its stdin and stdout just go dead.
      child = spawn(process.execPath, [BIN, 'run', file, '--yes', '--state-dir', join(dir, 'state')], { cwd: ROOT, env: cliEnv(), stdio: [term, term, err], detached: true });
      closeSync(term);
      closeSync(err);
      await new Promise((r) => setTimeout(r, 700));
    } finally {
      execFileSync('tmux', ['kill-session', '-t', session]);
    }
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(readFileSync(errFile, 'utf8')).not.toMatch(/Assertion failed|ResetStdio/);
    expect(code).toBe(0);
    const [id] = runIds(join(dir, 'state')) as [string];
    expect(replay(entries(join(dir, 'state'), id)).end).toMatchObject({ outcome: 'completed', exitCode: 0 });
  });

  test('the terminal closed at a prompt (tmux kill-session): no crash, the run goes on per --on-failure and rolls back', async () => {
    const z = await newZone();
    const sd = tempDir();
    const args = [process.execPath, BIN, ...runArgs(z, sd, 'succeed')];
    const term = Terminal.start(`wb-hup-${process.pid}`, args, { ...cliEnv(), TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' }, ROOT);
    try {
      await term.waitFor('what now?');
      expect(await recordValue(z)).toBe(`standby.${z.zone}`);
    } finally {
      term.close();
    }
    await waitUntil('the run to end', () => {
      const [id] = runIds(sd);
      return id !== undefined && replay(entries(sd, id)).end !== undefined;
    }).catch((err: unknown) => {
      const [id] = runIds(sd);
      throw new Error(`${String(err)}; journal:\n${id ? readFileSync(join(sd, 'runs', id, 'journal.jsonl'), 'utf8') : '(none)'}`);
    });
    const [id] = runIds(sd) as [string];
    const e = entries(sd, id);
    expect(e).toContainEqual(expect.objectContaining({ type: 'interrupt', signal: 'SIGHUP', action: 'rollback' }));
    expect(e).toContainEqual(expect.objectContaining({ type: 'decision', phase: 'interrupt', by: '--on-failure' }));
    expect(replay(e).end?.outcome).toBe('rolledBack');
    expect(await recordValue(z)).toBe(`primary.${z.zone}`);
  });
});

describe('a journal that cannot be written', () => {
  const isRoot = process.getuid?.() === 0;
  test.skipIf(!isRoot)('the disk fills after a change: exit 4, no further change, DNS still failed over, the lock kept; rollback <id> works once space is freed', async () => {
    const z = await newZone();
    const mnt = tempDir('wb-tmpfs-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    try {
      const sd = join(mnt, 'state');
      mkdirSync(sd);
      const filler = join(mnt, 'filler');
      const r = await expectExit(runCli([...runArgs(z, sd, 'fill', filler), '--yes']), 4);
      const [id] = runIds(sd) as [string];
      const text = r.stdout + r.stderr;
      expect(text).toMatch(/journal could not be written/);
      expect(text).toMatch(/free space/);
      expect(text).toContain(`lifeboat rollback ${id}`);
      // The step the journal broke in had its intent on record: it may have changed the world, and is listed.
      expect(text).toMatch(/still changed: failover-dns, send-email, fill; the lock stays/);
      expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // no stack trace
      expect(await recordValue(z)).toBe(`standby.${z.zone}`);
      expect(locks(sd)).toHaveLength(1);

      rmSync(filler);
      await expectExit(runCli(['rollback', id, '--yes', '--state-dir', sd]), 0);
      expect(await recordValue(z)).toBe(`primary.${z.zone}`);
      expect(locks(sd)).toEqual([]);
    } finally {
      execFileSync('umount', ['-l', mnt]);
    }
  });
});
