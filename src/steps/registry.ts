/**
 * The step types lifeboat knows: one line each. A new type is one module under src/steps/
 * exporting a descriptor (see ./descriptor.ts) plus one line here; nothing else names it.
 * The loader, the JSON Schema, the docs' step list, plan, the engine and reports read the
 * types through ./catalogue.ts. Keep this file to export lines: every export is a step type.
 */
export { autoscalingSetCapacityType } from './autoscaling-set-capacity.js';
export { httpCheckType } from './http-check.js';
export { manualType } from './manual.js';
export { rdsFailoverClusterType } from './rds-failover-cluster.js';
export { rdsPromoteReplicaType } from './rds-promote-replica.js';
export { route53ChangeRecordsType } from './route53-change-records.js';
export { route53ShiftWeightsType } from './route53-shift-weights.js';
export { s3RestoreType } from './s3-restore-type.js';
export { s3VerifyBackupsType } from './s3-verify-backups-type.js';
export { shellType } from './shell.js';
export { waitType } from './wait.js';
