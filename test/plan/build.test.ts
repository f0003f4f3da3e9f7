/** buildPlan in-process against moto: every step evaluated read-only, nothing sent that could change anything. */
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { describe, expect, test } from 'vitest';
import { isReadOnlyCommand } from '../../src/aws/clients.js';
import { seedDemo } from '../../src/demo/seed.js';
import { buildPlan, ReadOnlyAwsClients } from '../../src/plan/build.js';
import { parseRunbook } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/model.js';
import { motoEndpoint, testRoute53, uniqueName } from '../helpers/aws.js';
import { ROOT } from '../helpers/cli.js';
import { createBucket, putAll } from '../helpers/s3-seed.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { resolveParams } from '../../src/runbook/params.js';

function inline(source: string): Runbook {
  const r = parseRunbook(source, `${ROOT}test/fixtures/guardrails/inline.yaml`);
  if (!r.runbook) throw new Error(JSON.stringify(r.problems));
  return r.runbook;
}

async function plan(runbook: Runbook, given: Record<string, string>) {
  const { values, secretNames } = resolveParams(runbook, given, {});
  const aws = new ReadOnlyAwsClients({ env: process.env });
  try {
    const doc = await buildPlan({ runbook, params: values, secretNames, aws, env: process.env });
    return { doc, aws };
  } finally {
    aws.destroy();
  }
}

async function zoneSets(zoneId: string) {
  return (await testRoute53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets;
}

describe('buildPlan', () => {
  test('the world runbook: real before → after, restore counts, when: honoured, read-only outputs used, only read-only commands', async () => {
    const zone = `${uniqueName('bld')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    const backups = await createBucket('bld-backups');
    const target = await createBucket('bld-target');
    await putAll(backups, { 'db/a.sql': 'a'.repeat(100), 'db/b.sql': 'b'.repeat(200), 'db/c.sql': 'c'.repeat(300) });
    await putAll(target, { 'db/a.sql': 'a'.repeat(100), 'db/b.sql': 'old' });
    const before = await zoneSets(zoneId);

    const runbook = await loadRunbook(`${ROOT}test/fixtures/guardrails/world.yaml`);
    const { doc, aws } = await plan(runbook, { zone_id: zoneId, zone, backups, target });

    const byId = Object.fromEntries(doc.steps.map((s) => [s.id, s]));
    expect(doc.complete).toBe(true);
    expect(byId['failover-dns']).toMatchObject({
      status: 'planned',
      mutating: true,
      counts: { records: 2, deletes: 0 },
      typedConfirmation: `app.${zone}`,
      lines: [
        { kind: 'remove', text: `app.${zone}. CNAME ttl 300: primary.${zone}` },
        { kind: 'add', text: `app.${zone}. CNAME ttl 60: standby.${zone}` },
        { kind: 'add', text: `api.${zone}. A ttl 60: 198.51.100.7` },
      ],
    });
    expect(byId['restore-db']).toMatchObject({ status: 'planned', counts: { objects: 2, overwrites: 1, bytes: 500 } });
    expect(byId['prod-only']).toMatchObject({ status: 'skipped', skipReason: 'when: params.env == "prod" is false', mutating: false });
    // check-backups ran for real because announce uses its outputs; failover-dns did not.
    expect(byId['check-backups']?.outputs).toMatchObject({ count: 3, bytes: 600 });
    expect(byId.announce).toMatchObject({ status: 'planned', dependsOn: ['failover-dns'], fingerprint: null, when: { value: true } });
    expect(byId.announce?.lines[0]?.text).toContain('restored from 3 backups; dns change ${{ steps.failover-dns.outputs.changeId }}');
    expect(doc.summary.text).toBe('2 records to change, 2 objects (500 B) to restore (1 overwriting existing ones), 1 command, 3 checks, 1 manual step, 1 step skipped');

    const commands = Object.keys(aws.requests.byCommand);
    expect(commands).toContain('ListResourceRecordSetsCommand');
    expect(commands.filter((c) => !isReadOnlyCommand(c))).toEqual([]);
    expect(aws.refused).toEqual([]);
    expect(await zoneSets(zoneId)).toEqual(before);
  });

  test('a step whose plan fails is recorded with its error; the others are still planned', async () => {
    const runbook = await loadRunbook(`${ROOT}test/fixtures/guardrails/manual-then-dns.yaml`);
    const { doc } = await plan(runbook, { zone_id: 'ZDOESNOTEXIST1', zone: 'nowhere.example.com' });
    expect(doc.complete).toBe(false);
    expect(doc.steps.map((s) => s.status)).toEqual(['planned', 'failed']);
    expect(doc.steps[1]?.error?.message).toContain('ZDOESNOTEXIST1');
    expect(doc.summary.failed).toBe(1);
  });

  test('outputs of a step that changes things are placeholders: a step needing them is known only at run time; a when: on them is decided then', async () => {
    const runbook = inline(`version: 1
name: inline
steps:
  - id: find-zone
    type: shell
    with: { run: [echo, Z123] }
  - id: use-zone
    type: route53.change-records
    with:
      zoneId: \${{ steps.find-zone.outputs.stdout }}
      changes: [{ name: app.example.com, type: CNAME, values: [x.example.com] }]
  - id: maybe
    type: shell
    when: steps.find-zone.outputs.exitCode == 0
    with: { run: [echo, maybe] }
`);
    const { doc } = await plan(runbook, {});
    const [, use, maybe] = doc.steps;
    expect(use).toMatchObject({ status: 'deferred', dependsOn: ['find-zone'], fingerprint: null });
    expect(maybe).toMatchObject({ status: 'planned', when: { expression: 'steps.find-zone.outputs.exitCode == 0', value: null } });
    expect(doc.complete).toBe(true);
  });

  test('safe default limits: 21 record sets exceed the default maxChanges of 20', async () => {
    const zone = `${uniqueName('lim')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    const changes = Array.from({ length: 21 }, (_, i) => `      - { name: "h${i}.${zone}", type: A, values: ["192.0.2.${i + 1}"] }`).join('\n');
    const runbook = inline(`version: 1
name: inline
steps:
  - id: many
    type: route53.change-records
    with:
      zoneId: ${zoneId}
      changes:
${changes}
`);
    const { doc } = await plan(runbook, {});
    expect(doc.steps[0]?.limitBreaches).toEqual([{ limit: 'maxChanges', planned: 21, allowed: 20 }]);
    expect(doc.complete).toBe(false);
    expect(doc.summary.text).toContain('1 step over its limits');
  });

  test('the read-only clients refuse a mutating command before it is sent', async () => {
    const zone = `${uniqueName('ro')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    const before = await zoneSets(zoneId);
    const aws = new ReadOnlyAwsClients({ env: process.env });
    try {
      const r53 = await aws.route53();
      const change = new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `app.${zone}.`, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x.example.com' }] } }] },
      });
      await expect(r53.send(change)).rejects.toThrow(/read-only: refused to send ChangeResourceRecordSetsCommand/);
      expect(aws.refused).toEqual(['ChangeResourceRecordSetsCommand']);
      expect(aws.requests.byCommand.ChangeResourceRecordSetsCommand).toBeUndefined();
    } finally {
      aws.destroy();
    }
    expect(await zoneSets(zoneId)).toEqual(before);
  });

  test('secret params never appear in the plan', async () => {
    const runbook = inline(`version: 1
name: inline
params:
  token: { secret: true, required: true }
steps:
  - id: notify
    type: shell
    with: { run: [echo, "token=\${{ params.token }}"] }
`);
    const { values, secretNames } = resolveParams(runbook, { token: 'hunter2-very-secret' }, {});
    const doc = await buildPlan({ runbook, params: values, secretNames, aws: new ReadOnlyAwsClients({ env: process.env }), env: process.env });
    const text = JSON.stringify(doc);
    expect(text).not.toContain('hunter2-very-secret');
    expect(doc.params.token).toBe('***');
    expect(doc.steps[0]?.lines[0]?.text).toContain('token=***');
  });
});
