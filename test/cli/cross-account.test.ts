/**
 * A step acting in another account (aws.roleArn), through the CLI against moto, where
 * AssumeRole credentials see only that account's resources: a zone only the role sees is
 * changed and restored; the journal records account and role; without the role the step
 * finds nothing and nothing changes; a role the base credentials may not assume (moto with
 * IAM enforced) is refused by the preflight, before any step.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { expect, test } from 'vitest';
import { parseJournal } from '../../src/journal/format.js';
import { uniqueName } from '../helpers/aws.js';
import { route53AsRole } from '../helpers/aws-regional.js';
import { startAuthMoto } from '../helpers/moto-auth.js';
import { awsEnvFor } from '../helpers/moto.js';
import { runCli, tempDir } from '../helpers/cli.js';

const ROLE = 'arn:aws:iam::222222222222:role/lifeboat-dr';

function runbook(dir: string, withRole: boolean, role = ROLE): string {
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
      ...(withRole ? [`    aws: { roleArn: "${role}", externalId: dr-2026 }`] : []),
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

test('a role the base credentials may not assume is refused by the preflight: exit 3 naming the role, no step started', async () => {
  const allowed = ROLE;
  const other = 'arn:aws:iam::222222222222:role/not-granted';
  const moto = await startAuthMoto({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: allowed },
      { Effect: 'Allow', Action: ['sts:GetCallerIdentity', 'route53:*'], Resource: '*' },
    ],
  });
  try {
    await moto.enforce(true);
    const dir = tempDir();
    const sd = tempDir();
    const env = { ...awsEnvFor(moto.endpoint), AWS_ACCESS_KEY_ID: moto.user.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.user.secretAccessKey };
    const res = await runCli(['run', runbook(dir, true, other), '--yes', '--param', 'zone_id=Z0000000000', '--param', 'record=app.example.com.', '--state-dir', sd], {
      env,
      unset: ['AWS_SESSION_TOKEN'],
    });
    expect(res.code, res.stdout + res.stderr).toBe(3);
    expect(res.stderr).toContain(`cannot act as role ${other}, needed by step failover-dns`);
    expect(res.stderr).toMatch(/AccessDenied|not authorized/);
    expect(res.stderr).toContain('nothing was changed');
    // Refused before the run began: no step was started, so no journal holds an intent.
    expect(res.stdout).not.toContain('▶');
    const runs = join(sd, 'runs');
    const journals = existsSync(runs) ? readdirSync(runs).map((id) => readFileSync(join(runs, id, 'journal.jsonl'), 'utf8')) : [];
    expect(journals.join('')).not.toContain('"intent"');
  } finally {
    await moto.stop();
  }
}, 120_000);
