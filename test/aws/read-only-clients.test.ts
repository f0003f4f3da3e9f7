/**
 * Read-only by construction: clients made with `readOnly` (plan, run --dry-run) refuse every
 * operation that is not read-only by its name, for every service and every scope (region,
 * role), before it is sent; read-only calls, and AssumeRole, go through.
 */
import { UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { FailoverDBClusterCommand, PromoteReadReplicaCommand, DescribeDBClustersCommand } from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { AwsClients, isReadOnlyCommand } from '../../src/aws/clients.js';

describe('isReadOnlyCommand', () => {
  test.each([
    ['DescribeDBClustersCommand', true],
    ['DescribeAutoScalingGroupsCommand', true],
    ['ListResourceRecordSetsCommand', true],
    ['GetObjectAttributesCommand', true],
    ['HeadObjectCommand', true],
    ['TestDNSAnswerCommand', true],
    ['GetCallerIdentityCommand', true],
    ['AssumeRoleCommand', true],
    ['ChangeResourceRecordSetsCommand', false],
    ['FailoverDBClusterCommand', false],
    ['PromoteReadReplicaCommand', false],
    ['UpdateAutoScalingGroupCommand', false],
    ['PutObjectCommand', false],
    ['CopyObjectCommand', false],
    ['DeleteObjectsCommand', false],
    ['CreateDBClusterCommand', false],
    // A name that merely starts with the letters of a read prefix is not read-only.
    ['Listener', false],
    ['Getaway', false],
  ])('%s → %s', (name, expected) => {
    expect(isReadOnlyCommand(name)).toBe(expected);
  });
});

describe('read-only clients', () => {
  const mutations: Array<[string, (aws: AwsClients) => Promise<unknown>]> = [
    ['PutObjectCommand', async (aws) => (await aws.s3()).send(new PutObjectCommand({ Bucket: 'read-only-guard', Key: 'k', Body: 'x' }))],
    ['CopyObjectCommand', async (aws) => (await aws.s3()).send(new CopyObjectCommand({ Bucket: 'read-only-guard', Key: 'k', CopySource: 'read-only-guard/j' }))],
    ['DeleteObjectCommand', async (aws) => (await aws.s3()).send(new DeleteObjectCommand({ Bucket: 'read-only-guard', Key: 'k' }))],
    ['ChangeResourceRecordSetsCommand', async (aws) => (await aws.route53()).send(new ChangeResourceRecordSetsCommand({ HostedZoneId: 'Z1', ChangeBatch: { Changes: [] } }))],
    ['FailoverDBClusterCommand', async (aws) => (await aws.rds()).send(new FailoverDBClusterCommand({ DBClusterIdentifier: 'c' }))],
    ['PromoteReadReplicaCommand', async (aws) => (await aws.rds()).send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'i' }))],
    ['UpdateAutoScalingGroupCommand', async (aws) => (await aws.autoScaling()).send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'g', MinSize: 1 }))],
  ];

  test.each(mutations)('%s is refused before it is sent, in every scope', async (name, send) => {
    const base = new AwsClients({ env: process.env, readOnly: true });
    for (const aws of [base, base.forScope({ region: 'us-west-2' }), base.forScope({ roleArn: 'arn:aws:iam::222222222222:role/dr' })]) {
      const err = await send(aws).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toContain(`refused to send ${name.replace(/Command$/, '')}`);
    }
    expect(base.refused).toEqual([name, name, name]);
    // Counted at the last middleware step: nothing reached the wire.
    expect(base.requests.byCommand[name]).toBeUndefined();
  });

  test('read-only calls go through, including AssumeRole for a scope with a role', async () => {
    const base = new AwsClients({ env: process.env, readOnly: true });
    const asRole = base.forScope({ region: 'us-west-2', roleArn: 'arn:aws:iam::222222222222:role/dr' });
    await (await asRole.route53()).send(new ListHostedZonesCommand({}));
    await (await asRole.rds()).send(new DescribeDBClustersCommand({}));
    expect((await asRole.actedAs()).account).toBe('222222222222');
    expect(base.refused).toEqual([]);
    expect(base.requests.byCommand.AssumeRoleCommand).toBe(1);
    // The same scope again: the same clients, no second AssumeRole.
    expect(base.forScope({ region: 'us-west-2', roleArn: 'arn:aws:iam::222222222222:role/dr' })).toBe(asRole);
  });
});
