/**
 * Guardrails from the outage (issue 6), through the built CLI against the suite's moto:
 * plan with real before → after, saved plans refused when the world moved, the plan at
 * each prompt, typed confirmations in a real terminal, blast-radius limits, preconditions.
 * "Nothing was written" is proven at the server: a recording proxy sits between lifeboat
 * and moto and sees every request.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Ajv } from 'ajv';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { seedDemo } from '../../src/demo/seed.js';
import type { PlanDocument } from '../../src/plan/saved.js';
import { cliEnv, motoEndpoint, testRoute53, uniqueName } from '../helpers/aws.js';
import { BIN, ROOT, runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { freePort } from '../helpers/moto.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/proxy.js';
import { createBucket, putAll, s3, snapshot } from '../helpers/s3-seed.js';
import { Terminal } from '../helpers/tmux.js';

const FIX = 'test/fixtures/guardrails';

let proxy: RecordingProxy;
beforeAll(async () => {
  proxy = await startRecordingProxy(motoEndpoint());
});
afterAll(async () => proxy.close());

let term: Terminal | undefined;
afterEach(() => {
  term?.close();
  term = undefined;
});

/** The CLI, talking to moto through the recording proxy (whose log is cleared first). */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  proxy.requests.length = 0;
  return runCli(args, { env: { AWS_ENDPOINT_URL: proxy.endpoint, ...env } });
}

async function zoneSets(zoneId: string): Promise<ResourceRecordSet[]> {
  return (await testRoute53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
}

async function recordValue(zoneId: string, name: string, type = 'CNAME'): Promise<string | undefined> {
  const set = (await zoneSets(zoneId)).find((s) => s.Name === `${name}.` && s.Type === type);
  return set?.ResourceRecords?.map((r) => r.Value).join(',');
}

/** Another client (not lifeboat) changing the app record. */
async function otherClientSets(zoneId: string, zone: string, value: string): Promise<void> {
  await testRoute53().send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `app.${zone}.`, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: value }] } }] },
    }),
  );
}

async function newZone(prefix: string): Promise<{ zone: string; zoneId: string }> {
  const zone = `${uniqueName(prefix)}.example.com`;
  const { zoneId } = await seedDemo(motoEndpoint(), zone);
  return { zone, zoneId };
}

async function listing(bucket: string): Promise<Map<string, { size: number; etag: string }>> {
  const r = await s3().send(new ListObjectsV2Command({ Bucket: bucket }));
  return new Map((r.Contents ?? []).map((o) => [o.Key as string, { size: o.Size ?? 0, etag: (o.ETag ?? '').replace(/"/g, '') }]));
}

function interactive(name: string, args: string[]): Terminal {
  return Terminal.start(name, [process.execPath, BIN, ...args, '--state-dir', tempDir()], { ...cliEnv(), TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' }, ROOT);
}

// ------------------------------------------------------------------------------------ plan

describe('lifeboat plan', () => {
  test('prints the real before → after and the restore counts; --json matches what moto holds; zero mutating calls', async () => {
    const { zone, zoneId } = await newZone('plan');
    const backups = await createBucket('plan-backups');
    const target = await createBucket('plan-target');
    await putAll(backups, { 'db/a.sql': 'a'.repeat(1000), 'db/b.sql': 'b'.repeat(2000), 'db/c.sql': 'c'.repeat(3000) });
    await putAll(target, { 'db/a.sql': 'a'.repeat(1000), 'db/b.sql': 'an older b' });
    const zoneBefore = await zoneSets(zoneId);
    const targetBefore = await snapshot(target);
    const params = ['--param', `zone_id=${zoneId}`, '--param', `zone=${zone}`, '--param', `backups=${backups}`, '--param', `target=${target}`];

    const res = await cli(['plan', `${FIX}/world.yaml`, ...params]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain('\u001b['); // not a TTY: plain
    expect(res.stdout).toContain(`    - app.${zone}. CNAME ttl 300: primary.${zone}\n    + app.${zone}. CNAME ttl 60: standby.${zone}\n    + api.${zone}. A ttl 60: 198.51.100.7`);
    expect(res.stdout).toContain(`confirm: type app.${zone}`);
    const targetNow = await listing(target);
    expect(res.stdout).toContain(`1 new, 1 overwritten, 1 unchanged`);
    expect(res.stdout).toContain(`s3://${target}/db/b.sql (2.0 KiB) replaces ETag ${targetNow.get('db/b.sql')?.etag}`);
    expect(res.stdout).toContain(`+ s3://${target}/db/c.sql (2.9 KiB)`);
    expect(res.stdout).toContain('~ run "echo" "restored from 3 backups; dns change ${{ steps.failover-dns.outputs.changeId }}"');
    expect(res.stdout).toContain('~ Post in the incident channel that the failover is done.');
    expect(res.stdout).toContain('check GET http://127.0.0.1:9/healthz until status 200');
    expect(res.stdout).toContain('▷ [4/7] prod-only (shell) — skipped: when: params.env == "prod" is false');
    expect(res.stdout).toContain('Summary: 2 records to change, 2 objects (4.9 KiB) to restore (1 overwriting existing ones), 1 command, 3 checks, 1 manual step, 1 step skipped');
    // Real reads went through the proxy; nothing else did.
    expect(proxy.requests.some((r) => r.method === 'GET' && r.path.includes('/rrset'))).toBe(true);
    expect(proxy.requests.some((r) => r.method === 'GET' && r.path.startsWith(`/${target}`))).toBe(true);
    expect(proxy.mutating()).toEqual([]);

    const json = await cli(['plan', `${FIX}/world.yaml`, ...params, '--json']);
    expect(json.code).toBe(0);
    expect(proxy.mutating()).toEqual([]);
    const doc = JSON.parse(json.stdout) as PlanDocument;
    const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true, validateFormats: false });
    const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema/plan.schema.json'), 'utf8')) as object);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc).toMatchObject({ version: 1, kind: 'lifeboat-plan', complete: true, runbook: { name: 'guardrails-world' }, params: { zone_id: zoneId, zone, env: 'staging' } });

    // DNS: the fingerprint is exactly what moto holds for each record set the step touches.
    const dns = doc.steps.find((s) => s.id === 'failover-dns');
    const app = zoneBefore.find((s) => s.Name === `app.${zone}.` && s.Type === 'CNAME');
    expect(zoneBefore.find((s) => s.Name === `api.${zone}.`)).toBeUndefined();
    expect(dns?.fingerprint).toEqual({
      zoneId,
      records: [
        { key: `app.${zone}. CNAME`, set: { Name: `app.${zone}.`, Type: 'CNAME', TTL: app?.TTL, ResourceRecords: app?.ResourceRecords?.map((r) => r.Value) } },
        { key: `api.${zone}. A`, set: null },
      ],
    });
    expect(dns?.counts).toEqual({ records: 2, deletes: 0 });

    // Restore: the counts moto's listings imply.
    const sources = await listing(backups);
    let objects = 0;
    let overwrites = 0;
    let bytes = 0;
    for (const [key, o] of sources) {
      const existing = targetNow.get(key);
      if (existing && existing.etag === o.etag && existing.size === o.size) continue;
      objects += 1;
      bytes += o.size;
      if (existing) overwrites += 1;
    }
    expect({ objects, overwrites, bytes }).toEqual({ objects: 2, overwrites: 1, bytes: 5000 });
    expect(doc.steps.find((s) => s.id === 'restore-db')?.counts).toEqual({ objects, overwrites, bytes });
    expect(doc.steps.find((s) => s.id === 'check-backups')?.outputs).toMatchObject({ count: sources.size, bytes: 6000 });
    expect(doc.summary).toMatchObject({ records: 2, objects, overwrites, bytes, commands: 1, checks: 3, manual: 1, skipped: 1, failed: 0 });

    // And nothing moved.
    expect(await zoneSets(zoneId)).toEqual(zoneBefore);
    expect(await snapshot(target)).toEqual(targetBefore);
  });

  test('a step whose plan fails (no such hosted zone): its error is printed, the others are planned, exit 1', async () => {
    const res = await cli(['plan', `${FIX}/manual-then-dns.yaml`, '--param', 'zone_id=ZNOSUCHZONE42', '--param', 'zone=nowhere.example.com']);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('▶ [1/2] confirm-outage (manual)');
    expect(res.stdout).toContain('~ Check the dashboards.');
    expect(res.stdout).toMatch(/✘ cannot plan this step: .*ZNOSUCHZONE42/);
    expect(res.stdout).toContain('1 step could not be planned');
    expect(proxy.mutating()).toEqual([]);
  });

  test('invalid params or runbook: exit 2', async () => {
    const missing = await cli(['plan', `${FIX}/dns.yaml`, '--param', 'zone=x.example.com']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing required param');
    const unknown = await cli(['plan', `${FIX}/dns.yaml`, '--param', 'zone_id=Z1', '--param', 'zone=x.example.com', '--param', 'zonee=1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown param "zonee"');
    const bad = join(tempDir(), 'bad.yaml');
    writeFileSync(bad, 'version: 1\nname: bad\nsteps:\n  - id: x\n    type: nope.nothing\n    with: {}\n');
    const invalid = await cli(['plan', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain(`${bad}:5:11:`);
    expect(proxy.requests).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------ saved plans

describe('saved plans', () => {
  test('another client changes the record after the plan: run --plan exits 3 naming what moved, and nothing is written', async () => {
    const { zone, zoneId } = await newZone('saved');
    const planFile = join(tempDir(), 'plan.json');
    const made = await cli(['plan', `${FIX}/dns.yaml`, '--param', `zone_id=${zoneId}`, '--param', `zone=${zone}`, '--out', planFile]);
    expect(made.code).toBe(0);
    expect(made.stdout).toContain(`plan saved to ${planFile}`);
    const saved = JSON.parse(readFileSync(planFile, 'utf8')) as PlanDocument;
    expect(saved.steps[0]?.fingerprint).toMatchObject({ zoneId, records: [{ key: `app.${zone}. CNAME` }] });

    await otherClientSets(zoneId, zone, `other.${zone}`);
    const res = await cli(['run', `${FIX}/dns.yaml`, '--plan', planFile, '--yes', '--state-dir', tempDir()]);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`failover-dns: app.${zone}. CNAME changed since the plan (plan saw primary.${zone}, now other.${zone})`);
    expect(res.stderr).toContain('nothing was changed');
    expect(proxy.mutating()).toEqual([]);
    expect(await recordValue(zoneId, `app.${zone}`)).toBe(`other.${zone}`);
  });

  test('the world as planned: run --plan runs it with the plan params; a different --param is refused with exit 2', async () => {
    const { zone, zoneId } = await newZone('same');
    const planFile = join(tempDir(), 'plan.json');
    expect((await cli(['plan', `${FIX}/dns.yaml`, '--param', `zone_id=${zoneId}`, '--param', `zone=${zone}`, '--out', planFile])).code).toBe(0);

    const other = await cli(['run', `${FIX}/dns.yaml`, '--plan', planFile, '--param', `zone=elsewhere.example.com`, '--yes', '--state-dir', tempDir()]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`--param zone=elsewhere.example.com differs from the plan, which was made with zone=${zone}`);
    expect(proxy.requests).toEqual([]);

    const res = await cli(['run', `${FIX}/dns.yaml`, '--plan', planFile, '--param', `zone=${zone}`, '--yes', '--state-dir', tempDir()]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`the world still matches the saved plan ${planFile}`);
    expect(await recordValue(zoneId, `app.${zone}`)).toBe(`standby.${zone}`);
  });
});

// ------------------------------------------------------------------------------------ at the prompt

describe('at the prompt (a real terminal)', () => {
  test('the plan shown at each prompt is computed just before the question', async () => {
    const { zone, zoneId } = await newZone('fresh');
    term = interactive('fresh', ['run', `${FIX}/manual-then-dns.yaml`, '--param', `zone_id=${zoneId}`, '--param', `zone=${zone}`]);
    await term.waitFor('[1/2] Confirm the primary is down: what now?');
    // While the operator is at the first prompt, someone else moves the record.
    await otherClientSets(zoneId, zone, `other.${zone}`);
    term.keys('Enter');
    await term.waitFor('is "confirm-outage" done?');
    term.keys('Enter');
    const screen = await term.waitFor('[2/2] Point the app record at the standby: what now?');
    expect(screen).toContain(`- app.${zone}. CNAME ttl 300: other.${zone}`);
    expect(screen).toContain(`+ app.${zone}. CNAME ttl 60: standby.${zone}`);
    term.keys('Enter');
    expect(await term.exitCode()).toBe(0);
    expect(await recordValue(zoneId, `app.${zone}`)).toBe(`standby.${zone}`);
  });

  test('another client changes the record between the prompt and the write: the step fails naming the record, which keeps their value', async () => {
    const { zone, zoneId } = await newZone('race');
    term = interactive('race', ['run', `${FIX}/dns.yaml`, '--param', `zone_id=${zoneId}`, '--param', `zone=${zone}`]);
    const prompt = await term.waitFor('[1/1] Point the app record at the standby: what now?');
    expect(prompt).toContain(`- app.${zone}. CNAME ttl 300: primary.${zone}`);
    // The operator has read the plan (primary → standby); before they answer, the record moves.
    await otherClientSets(zoneId, zone, `other.${zone}`);
    term.keys('Enter'); // proceed, approving what was shown
    const failed = await term.waitFor('step failover-dns failed: what now?');
    expect(failed).toContain(`app.${zone}. CNAME changed since the plan (plan saw primary.${zone}, now other.${zone})`);
    expect(failed).toContain('nothing was changed');
    expect(await recordValue(zoneId, `app.${zone}`)).toBe(`other.${zone}`);
    term.keys('Down', 'Enter'); // retry → abort
    expect(await term.exitCode()).toBe(1);
    expect(await recordValue(zoneId, `app.${zone}`)).toBe(`other.${zone}`);
  });

  test('typed confirmation: a wrong text asks again, the right one (any case, final dot optional) proceeds', async () => {
    const { zone, zoneId } = await newZone('typed');
    term = interactive('typed', ['run', `${FIX}/typed.yaml`, '--param', `zone_id=${zoneId}`, '--param', `zone=${zone}`]);
    await term.waitFor('[1/1] Point the app record at the standby: what now?');
    term.keys('Enter');
    await term.waitFor(`type app.${zone} to confirm:`);
    term.type(`app.wrong.example.com`);
    term.keys('Enter');
    await term.waitFor(`that is not "app.${zone}"`);
    await term.waitFor('(attempt 2 of 3)');
    expect(await recordValue(zoneId, `app.${zone}`)).toBe(`primary.${zone}`);
    term.type(`APP.${zone.toUpperCase()}.`);
    term.keys('Enter');
    expect(await term.exitCode()).toBe(0);
    expect(term.screen()).toContain('completed');
    expect(await recordValue(zoneId, `app.${zone}`)).toBe(`standby.${zone}`);
  });

  test('typed confirmation: three wrong texts abort, nothing changed', async () => {
    const { zone, zoneId } = await newZone('thrice');
    term = interactive('thrice', ['run', `${FIX}/typed.yaml`, '--param', `zone_id=${zoneId}`, '--param', `zone=${zone}`]);
    await term.waitFor('what now?');
    term.keys('Enter');
    for (let i = 1; i <= 3; i++) {
      await term.waitFor(`type app.${zone} to confirm`, 20_000, i);
      term.type('no');
      term.keys('Enter');
      await term.waitFor(`that is not "app.${zone}"`, 20_000, i);
    }
    await term.waitFor('three wrong confirmations: stopping');
    expect(await term.exitCode()).toBe(1);
    expect(term.screen()).toContain('aborted');
    expect(await recordValue(zoneId, `app.${zone}`)).toBe(`primary.${zone}`);
  });
});

// ------------------------------------------------------------------------------------ without a terminal

describe('typed confirmations without a terminal', () => {
  test('--yes alone exits 3 with zero mutating calls; a wrong --confirm too; the matching --confirm proceeds', async () => {
    const { zone, zoneId } = await newZone('yes');
    const base = ['run', `${FIX}/typed.yaml`, '--param', `zone_id=${zoneId}`, '--param', `zone=${zone}`, '--yes'];

    const alone = await cli([...base, '--state-dir', tempDir()]);
    expect(alone.code).toBe(3);
    expect(alone.stderr).toContain(`--yes alone never confirms it: pass --confirm failover-dns=app.${zone}`);
    expect(proxy.mutating()).toEqual([]);

    const wrong = await cli([...base, '--confirm', 'failover-dns=app.other.example.com', '--state-dir', tempDir()]);
    expect(wrong.code).toBe(3);
    expect(proxy.mutating()).toEqual([]);
    expect(await recordValue(zoneId, `app.${zone}`)).toBe(`primary.${zone}`);

    const right = await cli([...base, '--confirm', `failover-dns=app.${zone}`, '--state-dir', tempDir()]);
    expect(right.code).toBe(0);
    expect(proxy.mutating().length).toBeGreaterThan(0);
    expect(await recordValue(zoneId, `app.${zone}`)).toBe(`standby.${zone}`);
  });

  test('rollback: false is shown as IRREVERSIBLE and needs a typed confirmation (the step id)', async () => {
    const marker = join(tempDir(), 'purged');
    const plan = await cli(['plan', `${FIX}/irreversible.yaml`, '--param', `marker=${marker}`]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('IRREVERSIBLE: this step cannot be undone (rollback: false)');
    expect(plan.stdout).toContain('confirm: type purge-cache');

    const refused = await cli(['run', `${FIX}/irreversible.yaml`, '--param', `marker=${marker}`, '--yes', '--state-dir', tempDir()]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('step purge-cache needs a typed confirmation (it cannot be undone)');
    expect(existsSync(marker)).toBe(false);

    const ran = await cli(['run', `${FIX}/irreversible.yaml`, '--param', `marker=${marker}`, '--yes', '--confirm', 'purge-cache=purge-cache', '--state-dir', tempDir()]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('IRREVERSIBLE: this step cannot be undone (rollback: false)');
    expect(readFileSync(marker, 'utf8')).toBe('purged');
  });
});

// ------------------------------------------------------------------------------------ limits

describe('blast-radius limits', () => {
  test('a route53 step over maxChanges is refused before its first write, showing planned vs limit', async () => {
    const { zone, zoneId } = await newZone('maxch');
    const before = await zoneSets(zoneId);
    const params = ['--param', `zone_id=${zoneId}`, '--param', `zone=${zone}`];

    const plan = await cli(['plan', `${FIX}/limits-dns.yaml`, ...params]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('over its blast-radius limits: maxChanges: planned 3, limit 2');

    const run = await cli(['run', `${FIX}/limits-dns.yaml`, ...params, '--yes', '--state-dir', tempDir()]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('step failover-dns exceeds its blast-radius limits (maxChanges: planned 3, limit 2); nothing was changed');
    expect(proxy.mutating()).toEqual([]);
    expect(await zoneSets(zoneId)).toEqual(before);
  });

  test('a restore that would write more objects than maxObjects is refused before its first write', async () => {
    const backups = await createBucket('lim-backups');
    const target = await createBucket('lim-target');
    await putAll(backups, { 'db/1.sql': 'one', 'db/2.sql': 'two', 'db/3.sql': 'three' });
    await putAll(target, { 'db/1.sql': 'old one', 'db/2.sql': 'old two', 'db/3.sql': 'old three' });
    const before = await snapshot(target);
    const params = ['--param', `backups=${backups}`, '--param', `target=${target}`];

    const run = await cli(['run', `${FIX}/limits-restore.yaml`, ...params, '--yes', '--state-dir', tempDir()]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('3 overwritten');
    expect(run.stdout).toContain('maxObjects: planned 3, limit 2');
    expect(proxy.mutating()).toEqual([]);
    expect(await snapshot(target)).toEqual(before);
  });
});

// ------------------------------------------------------------------------------------ preconditions

describe('preconditions', () => {
  test('when: a false condition skips the step and says why', async () => {
    const res = await cli(['run', `${FIX}/when.yaml`, '--yes', '--state-dir', tempDir()]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('always runs');
    expect(res.stdout).toContain('⤼ prod-only skipped: when: params.env == "prod" is false');
    expect(res.stdout).not.toContain('PROD ONLY RAN');
    expect(res.stdout).toContain('after always ran');

    const prod = await cli(['run', `${FIX}/when.yaml`, '--param', 'env=prod', '--yes', '--state-dir', tempDir()]);
    expect(prod.code).toBe(0);
    expect(prod.stdout).toContain('PROD ONLY RAN');
    expect(prod.stdout).not.toContain('skipped');
  });

  test('require: an http.check against a closed port fails: exit 3, the zone untouched', async () => {
    const { zone, zoneId } = await newZone('reqhttp');
    const before = await zoneSets(zoneId);
    const port = await freePort(); // nothing listens there
    const res = await cli(['run', `${FIX}/require-http.yaml`, '--param', `zone_id=${zoneId}`, '--param', `zone=${zone}`, '--param', `port=${port}`, '--yes', '--state-dir', tempDir()]);
    expect(res.code).toBe(3);
    expect(res.stdout).toContain('standby-up');
    expect(res.stdout).toMatch(/refused before any change: precondition standby-up failed/);
    expect(proxy.mutating()).toEqual([]);
    expect(await zoneSets(zoneId)).toEqual(before);
  });

  test('require: s3.verify-backups on an empty bucket fails: exit 3, the zone and the buckets untouched', async () => {
    const { zone, zoneId } = await newZone('reqbak');
    const backups = await createBucket('req-backups');
    const target = await createBucket('req-target');
    await putAll(target, { 'db/live.sql': 'live data' });
    const zoneBefore = await zoneSets(zoneId);
    const targetBefore = await snapshot(target);
    const res = await cli([
      'run',
      `${FIX}/require-backups.yaml`,
      '--param',
      `zone_id=${zoneId}`,
      '--param',
      `zone=${zone}`,
      '--param',
      `backups=${backups}`,
      '--param',
      `target=${target}`,
      '--yes',
      '--state-dir',
      tempDir(),
    ]);
    expect(res.code).toBe(3);
    expect(res.stdout).toMatch(/precondition backups-exist failed: .*fewer than minCount 1/);
    expect(proxy.mutating()).toEqual([]);
    expect(await zoneSets(zoneId)).toEqual(zoneBefore);
    expect(await snapshot(target)).toEqual(targetBefore);
    expect(await snapshot(backups)).toEqual({});
  });
});
