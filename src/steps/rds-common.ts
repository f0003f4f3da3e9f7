/** Reads of RDS clusters and instances shared by the rds.* steps, with errors an operator can act on. */
import type { DBCluster, DBInstance, RDSClient } from '@aws-sdk/client-rds';
import type { AwsClients } from '../aws/clients.js';
import { isAbortError } from '../util/sleep.js';
import { awsStepError } from './aws-step.js';
import { StepError, type StepContext } from './types.js';

export function rdsFailure(err: unknown, doing: string, what: string, clients: AwsClients): Error {
  return awsStepError(err, {
    service: 'RDS',
    doing,
    what,
    where: clients.region() ?? 'the default region',
    denied: `the credentials${clients.roleArn ? ` of role ${clients.roleArn}` : ''} need the rds: permission for ${doing}`,
    hint: "run with LIFEBOAT_DEBUG=1 for the full error; check the RDS console for the resource's events",
  });
}

async function guarded<T>(ctx: StepContext, clients: AwsClients, doing: string, what: string, fn: (c: RDSClient) => Promise<T>): Promise<T> {
  try {
    return await fn(await clients.rds());
  } catch (err) {
    if (isAbortError(err, ctx.signal)) throw err;
    throw rdsFailure(err, doing, what, clients);
  }
}

export async function describeCluster(ctx: StepContext, clients: AwsClients, clusterId: string): Promise<DBCluster> {
  const { DescribeDBClustersCommand } = await import('@aws-sdk/client-rds');
  try {
    const res = await (await clients.rds()).send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }), { abortSignal: ctx.signal });
    const c = res.DBClusters?.[0];
    if (c) return c;
  } catch (err) {
    if (isAbortError(err, ctx.signal)) throw err;
    if (!(err instanceof Error && err.name === 'DBClusterNotFoundFault')) throw rdsFailure(err, 'reading', `DB cluster ${clusterId}`, clients);
  }
  throw new StepError(`DB cluster ${clusterId} not found in region ${clients.region() ?? '(default)'}${clients.roleArn ? ` as role ${clients.roleArn}` : ''}`, {
    hint: "check the cluster id and the step's aws: { region, roleArn } (clusters are regional): aws rds describe-db-clusters",
  });
}

export async function describeInstance(ctx: StepContext, clients: AwsClients, instanceId: string): Promise<DBInstance> {
  const { DescribeDBInstancesCommand } = await import('@aws-sdk/client-rds');
  try {
    const res = await (await clients.rds()).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }), { abortSignal: ctx.signal });
    const i = res.DBInstances?.[0];
    if (i) return i;
  } catch (err) {
    if (isAbortError(err, ctx.signal)) throw err;
    if (!(err instanceof Error && err.name === 'DBInstanceNotFoundFault')) throw rdsFailure(err, 'reading', `DB instance ${instanceId}`, clients);
  }
  throw new StepError(`DB instance ${instanceId} not found in region ${clients.region() ?? '(default)'}${clients.roleArn ? ` as role ${clients.roleArn}` : ''}`, {
    hint: "check the instance id and the step's aws: { region, roleArn } (instances are regional): aws rds describe-db-instances",
  });
}

/** The cluster's writer instance id, if it has one now. */
export function writerOf(c: DBCluster): string | undefined {
  return c.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
}

export function readersOf(c: DBCluster): string[] {
  return (c.DBClusterMembers ?? []).filter((m) => !m.IsClusterWriter && m.DBInstanceIdentifier).map((m) => m.DBInstanceIdentifier as string);
}

export { guarded as rdsCall };
