/**
 * Step implementations, imported only when a run reaches a step of that type: the AWS SDK
 * and execa are loaded by the commands that need them, never by --help or validate.
 */
import type { StepTypeName } from '../runbook/step-types.js';
import type { StepImpl } from './types.js';

// The engine hands each step its own type's parsed `with`; the registry erases that type.
type AnyStep = StepImpl<never>;

export async function loadStep(type: StepTypeName): Promise<AnyStep> {
  switch (type) {
    case 'shell':
      return (await import('./shell.js')).shellStep;
    case 'http.check':
      return (await import('./http-check.js')).httpCheckStep;
    case 'manual':
      return (await import('./manual.js')).manualStep;
    case 'wait':
      return (await import('./wait.js')).waitStep;
    case 'route53.change-records':
      return (await import('./route53-change-records.js')).route53Step;
    case 's3.verify-backups':
      return (await import('./s3-verify-backups.js')).s3VerifyBackupsStep;
    case 's3.restore':
      return (await import('./s3-restore.js')).s3RestoreStep;
    case 'route53.shift-weights':
      return (await import('./route53-shift-weights.js')).shiftWeightsStep;
    case 'rds.failover-cluster':
      return (await import('./rds-failover-cluster.js')).failoverClusterStep;
    case 'rds.promote-replica':
      return (await import('./rds-promote-replica.js')).promoteReplicaStep;
    case 'autoscaling.set-capacity':
      return (await import('./autoscaling-set-capacity.js')).setCapacityStep;
  }
}
