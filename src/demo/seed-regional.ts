/**
 * The demo's standby region (us-west-2): an Aurora cluster whose writer is `<cluster>-a`, an
 * Auto Scaling group scaled to zero, and, in the demo zone, two weighted sets of
 * `www.<zone>` (`use1` 100, `usw2` 0). Idempotent: seeding again puts everything back as
 * seeded (weights, sizes, writer), so the demo can be walked repeatedly.
 */
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateDBClusterCommand, CreateDBInstanceCommand, DescribeDBClustersCommand, FailoverDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';

export const DEMO_REGION = 'us-west-2';

export interface DemoRegionNames {
  cluster: string;
  group: string;
}

export const DEMO_REGION_NAMES: DemoRegionNames = { cluster: 'app-usw2', group: 'web-usw2' };

export interface DemoRegion extends DemoRegionNames {
  region: string;
  writer: string;
  reader: string;
  /** The weighted record, with its final dot. */
  weighted: string;
}

const credentials = { accessKeyId: 'demo', secretAccessKey: 'demo' };

export async function seedDemoRegion(endpoint: string, zoneId: string, zone: string, names: DemoRegionNames = DEMO_REGION_NAMES): Promise<DemoRegion> {
  const rds = new RDSClient({ endpoint, region: DEMO_REGION, credentials });
  const asg = new AutoScalingClient({ endpoint, region: DEMO_REGION, credentials });
  const r53 = new Route53Client({ endpoint, region: 'us-east-1', credentials });
  const writer = `${names.cluster}-a`;
  const reader = `${names.cluster}-b`;
  const weighted = `www.${zone.replace(/\.$/, '')}.`;
  try {
    // The database: create once; put the writer back on -a if an earlier walk moved it.
    const existing = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: names.cluster })).then(
      (r) => r.DBClusters?.[0],
      () => undefined,
    );
    if (!existing) {
      await rds.send(new CreateDBClusterCommand({ DBClusterIdentifier: names.cluster, Engine: 'aurora-postgresql', MasterUsername: 'demo', MasterUserPassword: 'demo-password-1' }));
      for (const id of [writer, reader])
        await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, DBClusterIdentifier: names.cluster, Engine: 'aurora-postgresql', DBInstanceClass: 'db.r6g.large' }));
    } else if (existing.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier !== writer) {
      await rds.send(new FailoverDBClusterCommand({ DBClusterIdentifier: names.cluster, TargetDBInstanceIdentifier: writer }));
    }

    // The standby fleet: scaled to zero until a failover.
    const group = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [names.group] }))).AutoScalingGroups?.[0];
    if (!group) {
      await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: `${names.group}-lc`, ImageId: 'ami-12345678', InstanceType: 't3.micro' }));
      await asg.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: names.group,
          LaunchConfigurationName: `${names.group}-lc`,
          MinSize: 0,
          DesiredCapacity: 0,
          MaxSize: 2,
          AvailabilityZones: [`${DEMO_REGION}a`],
        }),
      );
    } else {
      await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: names.group, MinSize: 0, DesiredCapacity: 0, MaxSize: 2 }));
    }

    // Traffic: all of it on the primary region's set.
    const set = (id: string, weight: number, value: string) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: { Name: weighted, Type: 'A' as const, TTL: 60, SetIdentifier: id, Weight: weight, ResourceRecords: [{ Value: value }] },
    });
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Comment: 'lifeboat demo seed (weighted)', Changes: [set('use1', 100, '192.0.2.10'), set('usw2', 0, '198.51.100.20')] },
      }),
    );
    return { ...names, region: DEMO_REGION, writer, reader, weighted };
  } finally {
    rds.destroy();
    asg.destroy();
    r53.destroy();
  }
}
