/**
 * An undo acts where its change was made (contract: "The journal records, for each step, the
 * account, region and role it acted with, and its undo uses the same"), whatever the shell
 * that rolls back says: another AWS_REGION still undoes in the change's region; credentials
 * for another account are refused before anything changes. Through the CLI, against moto.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand } from '@aws-sdk/client-auto-scaling';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, test } from 'vitest';
import { motoEndpoint, uniqueName } from '../helpers/aws.js';
import { sizesNow } from '../helpers/aws-regional.js';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

function explain(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** The same group name in two regions, at 1/1/2 in both. */
async function groupInTwoRegions(): Promise<{ group: string; east: AutoScalingClient; west: AutoScalingClient }> {
  const group = uniqueName('where');
  const clients = ['us-east-1', 'us-west-2'].map((region) => new AutoScalingClient({ endpoint: motoEndpoint(), region, credentials }));
  for (const [i, asg] of clients.entries()) {
    await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: `${group}-lc`, ImageId: 'ami-12345678', InstanceType: 't3.micro' }));
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: group,
        LaunchConfigurationName: `${group}-lc`,
        MinSize: 1,
        DesiredCapacity: 1,
        MaxSize: 2,
        AvailabilityZones: [`${i === 0 ? 'us-east-1' : 'us-west-2'}a`],
      }),
    );
  }
  return { group, east: clients[0] as AutoScalingClient, west: clients[1] as AutoScalingClient };
}

/** A change, then a failure the run stops at (--on-failure abort): the change stays for `rollback <id>`. */
function runbook(dir: string, name: string, change: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, ['version: 1', `name: ${name}`, 'params:', '  target: { required: true }', 'steps:', ...change, '  - id: fail', '    type: shell', '    with: { run: [node, -e, "process.exit(1)"] }', ''].join('\n'));
  return file;
}

describe('an undo acts where the change was made', () => {
  test('rolled back from a shell with another AWS_REGION: the group of the change\'s region is restored, the other left alone', async () => {
    const { group, east, west } = await groupInTwoRegions();
    const dir = tempDir();
    const sd = join(dir, 'state');
    const file = runbook(dir, 'where-region', ['  - id: scale', '    type: autoscaling.set-capacity', '    with: { group: "${{ params.target }}", min: 0, desired: 0, max: 0 }']);
    const run = await runCli(['run', file, '--yes', '--on-failure', 'abort', '--param', `target=${group}`, '--state-dir', sd], { env: { AWS_REGION: 'us-east-1' } });
    expect(run.code, explain(run)).toBe(5);
    expect(await sizesNow(group, east)).toEqual({ min: 0, desired: 0, max: 0 });
    const id = /run (\d{8}T\d{6}Z-where-region-[0-9a-f]{4})/.exec(run.stdout)?.[1] ?? '';

    const back = await runCli(['rollback', id, '--yes', '--state-dir', sd], { env: { AWS_REGION: 'us-west-2' } });
    expect(back.code, explain(back)).toBe(0);
    expect(await sizesNow(group, east)).toEqual({ min: 1, desired: 1, max: 2 });
    expect(await sizesNow(group, west)).toEqual({ min: 1, desired: 1, max: 2 });
    expect(back.stdout).not.toMatch(/DRIFT/);
  });

  test('rolled back with credentials for another account: exit 3 naming both accounts, nothing changed; with the run\'s credentials it is undone', async () => {
    // The run acts as a role in account 222222222222 (its credentials in the environment, no aws: block).
    const sts = new STSClient({ endpoint: motoEndpoint(), region: 'us-east-1', credentials });
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/lifeboat-dr', RoleSessionName: 'lifeboat-test' }))).Credentials;
    sts.destroy();
    const asRole = { AWS_ACCESS_KEY_ID: c?.AccessKeyId ?? '', AWS_SECRET_ACCESS_KEY: c?.SecretAccessKey ?? '', AWS_SESSION_TOKEN: c?.SessionToken ?? '' };
    const r53 = new Route53Client({ endpoint: motoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: asRole.AWS_ACCESS_KEY_ID, secretAccessKey: asRole.AWS_SECRET_ACCESS_KEY, sessionToken: asRole.AWS_SESSION_TOKEN } });
    const zone = `${uniqueName('acct')}.example.com`;
    const zoneId = ((await r53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: uniqueName('ref') }))).HostedZone?.Id ?? '').replace('/hostedzone/', '');
    const record = `app.${zone}.`;
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: record, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] } }] } }));
    const value = async () => (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets?.find((r) => r.Name === record)?.ResourceRecords?.[0]?.Value;

    const dir = tempDir();
    const sd = join(dir, 'state');
    const file = runbook(dir, 'where-account', [
      '  - id: dns',
      '    type: route53.change-records',
      '    confirm: none',
      `    with: { zoneId: ${zoneId}, changes: [{ name: "\${{ params.target }}", type: CNAME, ttl: 60, values: [standby.example.com] }] }`,
    ]);
    const run = await runCli(['run', file, '--yes', '--on-failure', 'abort', '--param', `target=${record}`, '--state-dir', sd], { env: asRole });
    expect(run.code, explain(run)).toBe(5);
    expect(await value()).toBe('standby.example.com');
    const id = /run (\d{8}T\d{6}Z-where-account-[0-9a-f]{4})/.exec(run.stdout)?.[1] ?? '';

    // The suite's base credentials are account 123456789012.
    const wrong = await runCli(['rollback', id, '--yes', '--state-dir', sd]);
    expect(wrong.code, explain(wrong)).toBe(3);
    expect(wrong.stderr + wrong.stdout).toMatch(/must act in account 222222222222.*credentials now are for account 123456789012/);
    expect(await value()).toBe('standby.example.com');

    const right = await runCli(['rollback', id, '--yes', '--state-dir', sd], { env: asRole });
    expect(right.code, explain(right)).toBe(0);
    expect(await value()).toBe('primary.example.com');
    r53.destroy();
  });
});
