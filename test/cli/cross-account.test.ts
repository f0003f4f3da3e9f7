/**
 * A step acting in another account (aws.roleArn), through the CLI against moto, where
 * AssumeRole credentials see only that account's resources: a zone only the role sees is
 * changed and restored; the journal records account and role; without the role the step
 * finds nothing and nothing changes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { expect, test } from 'vitest';
import { parseJournal } from '../../src/journal/format.js';
import { uniqueName } from '../helpers/aws.js';
import { route53AsRole } from '../helpers/aws-regional.js';
import { runCli, tempDir } from '../helpers/cli.js';

const ROLE = 'arn:aws:iam::222222222222:role/lifeboat-dr';

function runbook(dir: string, withRole: boolean): string {
  const file = join(dir, withRole ? 'cross.yaml' : 'no-role.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'name: cross-account',
      'params:',
      '  zone_id: { required: true }',
      '  record: { required: true }',
      'steps:',
      '  - id: failover-dns',
      '    type: route53.change-records',
      ...(withRole ? [`    aws: { roleArn: "${ROLE}", externalId: dr-2026 }`] : []),
      '    with:',
      '      zoneId: ${{ params.zone_id }}',
      '      changes: [{ name: "${{ params.record }}", type: CNAME, ttl: 60, values: [standby.example.com] }]',
      '',
    ].join('\n'),
  );
  return file;
}

test('a zone only the assumed role sees is changed and restored through the CLI; without the role nothing changes', async () => {
  const r53 = await route53AsRole(ROLE);
  const zone = `${uniqueName('xacct')}.example.com`;
  const zoneId = ((await r53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: uniqueName('ref') }))).HostedZone?.Id ?? '').replace('/hostedzone/', '');
  const record = `app.${zone}.`;
  await r53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: record, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] } }] },
    }),
  );
  const snapshot = async () => JSON.stringify((await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets);
  const before = await snapshot();
  const dir = tempDir();
  const params = ['--param', `zone_id=${zoneId}`, '--param', `record=${record}`];

  const without = await runCli(['run', runbook(dir, false), '--yes', ...params, '--state-dir', tempDir()]);
  expect(without.code, without.stdout + without.stderr).toBe(1);
  expect(without.stdout + without.stderr).toMatch(/hosted zone|NoSuchHostedZone/i);
  expect(await snapshot()).toBe(before);

  const sd = tempDir();
  const run = await runCli(['run', runbook(dir, true), '--yes', ...params, '--state-dir', sd, '--json']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const { runId } = JSON.parse(run.stdout) as { runId: string };
  expect(await snapshot()).toContain('standby.example.com');
  const entries = parseJournal(readFileSync(join(sd, 'runs', runId, 'journal.jsonl'), 'utf8')).entries;
  const intent = entries.find((e) => e.type === 'intent') as { undo: { acted?: unknown } } | undefined;
  expect(intent?.undo.acted).toMatchObject({ account: '222222222222', roleArn: ROLE });

  const rollback = await runCli(['rollback', runId, '--yes', '--state-dir', sd]);
  expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
  expect(await snapshot()).toBe(before);
  r53.destroy();
}, 120_000);
