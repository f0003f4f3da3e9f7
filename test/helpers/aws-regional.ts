/** RDS, Auto Scaling and STS clients pointed at the suite's moto server, for seeding and checking. */
import { AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateDBClusterCommand, CreateDBInstanceCommand, DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { Route53Client } from '@aws-sdk/client-route-53';
import { motoEndpoint, uniqueName } from './aws.js';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** Where the regional test resources live; the suite's default region is us-east-1. */
export const SEED_REGION = 'us-west-2';

export function testRds(region = SEED_REGION): RDSClient {
  return new RDSClient({ endpoint: motoEndpoint(), region, credentials });
}

export function testAutoScaling(region = SEED_REGION): AutoScalingClient {
  return new AutoScalingClient({ endpoint: motoEndpoint(), region, credentials });
}

/** An Aurora cluster with a writer (`<id>-a`) and a reader (`<id>-b`), in SEED_REGION. */
export async function newCluster(rds = testRds()): Promise<{ clusterId: string; writer: string; reader: string }> {
  const clusterId = uniqueName('db');
  await rds.send(new CreateDBClusterCommand({ DBClusterIdentifier: clusterId, Engine: 'aurora-postgresql', MasterUsername: 'admin1', MasterUserPassword: 'password123' }));
  const [writer, reader] = [`${clusterId}-a`, `${clusterId}-b`];
  for (const id of [writer, reader])
    await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, DBClusterIdentifier: clusterId, Engine: 'aurora-postgresql', DBInstanceClass: 'db.r5.large' }));
  return { clusterId, writer, reader };
}

export async function writerNow(clusterId: string, rds = testRds()): Promise<string | undefined> {
  const res = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }));
  return res.DBClusters?.[0]?.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
}

/** An Auto Scaling group with a launch configuration, in SEED_REGION. */
export async function newGroup(sizes: { min: number; desired: number; max: number }, asg = testAutoScaling()): Promise<string> {
  const group = uniqueName('asg');
  await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: `${group}-lc`, ImageId: 'ami-12345678', InstanceType: 't3.micro' }));
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: group,
      LaunchConfigurationName: `${group}-lc`,
      MinSize: sizes.min,
      DesiredCapacity: sizes.desired,
      MaxSize: sizes.max,
      AvailabilityZones: [`${SEED_REGION}a`],
    }),
  );
  return group;
}

export async function sizesNow(group: string, asg = testAutoScaling()): Promise<{ min: number; desired: number; max: number }> {
  const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }))).AutoScalingGroups?.[0];
  return { min: g?.MinSize ?? -1, desired: g?.DesiredCapacity ?? -1, max: g?.MaxSize ?? -1 };
}

/** Route 53 as the given role sees it (moto: resources of the role's account only). */
export async function route53AsRole(roleArn: string): Promise<Route53Client> {
  const sts = new STSClient({ endpoint: motoEndpoint(), region: 'us-east-1', credentials });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'lifeboat-test' }))).Credentials;
  sts.destroy();
  return new Route53Client({
    endpoint: motoEndpoint(),
    region: 'us-east-1',
    credentials: { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '', sessionToken: c?.SessionToken ?? '' },
  });
}
