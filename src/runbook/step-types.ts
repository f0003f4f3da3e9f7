/**
 * The catalogue of step types as pure data: each type's `with` schema, its outputs, and
 * what kind of undo it has. The implementations (with their AWS and process effects) are
 * in src/steps/, loaded only when a run needs them, so `validate` never loads an SDK.
 */
import { z } from 'zod';
import { count, duration, flag, instantOrLatest, longDuration, s3Url } from './fields.js';

const shellWith = z.strictObject({
  run: z.array(z.string()).min(1).describe('argv: program and arguments; never run through a shell'),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  timeout: duration.optional(),
  exitCodes: z.array(z.coerce.number().int()).min(1).optional().describe('Exit codes that count as success (default [0])'),
});

const httpCheckWith = z.strictObject({
  url: z.string().min(1),
  method: z.enum(['GET', 'HEAD']).optional(),
  status: z.union([z.coerce.number().int(), z.array(z.coerce.number().int()).min(1)]).optional(),
  body: z.string().optional().describe('Substring the response body must contain'),
  bodyMatches: z.string().optional().describe('Regular expression the response body must match'),
  headers: z.record(z.string(), z.string()).optional(),
  timeout: duration.optional().describe('Give up after this long (default 30s)'),
  interval: duration.optional().describe('Time between attempts (default 2s)'),
});

const manualWith = z.strictObject({
  instructions: z.string().min(1),
});

const waitWith = z.strictObject({
  duration,
});

export const RECORD_TYPES = ['A', 'AAAA', 'CAA', 'CNAME', 'DS', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'TXT'] as const;

const aliasTarget = z
  .strictObject({
    zoneId: z.string().min(1).describe("The hosted zone id of the target (e.g. a load balancer's canonical hosted zone)"),
    dnsName: z.string().min(1).describe('The DNS name of the target'),
    evaluateTargetHealth: z.boolean().optional().describe('Route 53 checks the target is healthy (default false)'),
  })
  .describe('An alias target instead of ttl and values');

const geoLocation = z
  .strictObject({
    continent: z.string().min(2).max(2).optional().describe('AF, AN, AS, EU, OC, NA or SA'),
    country: z.string().min(1).max(2).optional().describe('ISO 3166 alpha-2 code, or * for the default location'),
    subdivision: z.string().min(1).max(3).optional().describe('A US state (with country: US)'),
  })
  .describe('Geolocation routing: a continent, or a country (and subdivision)');

const recordChange = z.strictObject({
  action: z.enum(['UPSERT', 'CREATE', 'DELETE']).optional(),
  name: z.string().min(1),
  type: z.enum(RECORD_TYPES),
  ttl: z.coerce.number().int().nonnegative().optional(),
  values: z.array(z.string()).optional(),
  alias: aliasTarget.optional(),
  setIdentifier: z.string().optional(),
  weight: z.coerce.number().int().min(0).max(255).optional(),
  failover: z.enum(['PRIMARY', 'SECONDARY']).optional(),
  region: z.string().min(1).optional().describe('Latency routing: the AWS region of this set'),
  geo: geoLocation.optional(),
  multiValue: z.boolean().optional().describe('Multivalue answer routing'),
  healthCheckId: z.string().optional(),
});

const route53With = z.strictObject({
  zoneId: z.string().min(1),
  changes: z.array(recordChange).min(1),
  wait: z.enum(['insync', 'none']).optional().describe('insync: poll the change until Route 53 reports INSYNC'),
  waitTimeout: duration.optional(),
});

const shiftWeightsWith = z.strictObject({
  zoneId: z.string().min(1),
  name: z.string().min(1).describe('The record name both weighted sets share'),
  type: z.enum(RECORD_TYPES),
  from: z.string().min(1).describe('Set identifier of the weighted set traffic moves away from'),
  to: z.string().min(1).describe('Set identifier of the weighted set traffic moves to'),
  stages: z
    .array(z.coerce.number().min(0).max(100))
    .min(1)
    .describe('Percent of the total weight sent to `to` after each stage, e.g. [10, 50, 100]'),
  pause: duration.optional().describe('Hold after each stage before the check and the next stage (default 0s)'),
  check: z
    .strictObject({
      url: z.string().min(1),
      status: z.union([z.coerce.number().int(), z.array(z.coerce.number().int()).min(1)]).optional().describe('Expected status (default 200)'),
      timeout: duration.optional().describe('Give up after this long (default 30s)'),
      interval: duration.optional().describe('Time between attempts (default 2s)'),
    })
    .optional()
    .describe('Polled after each stage until it passes or times out; a failed check fails the step (its rollback restores the weights)'),
  wait: z.enum(['insync', 'none']).optional().describe('insync (default): wait for each stage to be INSYNC before pausing'),
  waitTimeout: duration.optional(),
});

const failoverClusterWith = z.strictObject({
  clusterId: z.string().min(1).describe('The DB cluster identifier'),
  targetInstanceId: z.string().min(1).optional().describe('The reader to promote to writer (default: any healthy reader, as RDS picks)'),
  wait: z.enum(['available', 'none']).optional().describe('available (default): wait until the cluster is available and the target is the writer'),
  waitTimeout: duration.optional().describe('Default 15m'),
});

const promoteReplicaWith = z.strictObject({
  instanceId: z.string().min(1).describe('The read replica DB instance identifier'),
  backupRetentionPeriod: z.coerce.number().int().min(0).max(35).optional().describe('Days of automated backups on the promoted instance'),
  wait: z.enum(['available', 'none']).optional().describe('available (default): wait until it is available and no longer a replica'),
  waitTimeout: duration.optional().describe('Default 30m'),
});

const setCapacityWith = z.strictObject({
  group: z.string().min(1).describe('The Auto Scaling group name'),
  min: z.coerce.number().int().nonnegative().optional(),
  desired: z.coerce.number().int().nonnegative().optional(),
  max: z.coerce.number().int().nonnegative().optional(),
  wait: z.enum(['none', 'in-service']).optional().describe('in-service: wait until `desired` instances are InService (default none)'),
  waitTimeout: duration.optional().describe('Default 10m'),
});

const verifyBackupsWith = z.strictObject({
  bucket: z.string().min(3),
  prefix: z.string().optional(),
  maxAge: longDuration.optional().describe("Newest object must be younger than this (default: the runbook's rpo)"),
  minCount: count.optional(),
  maxCount: count.optional(),
  minSize: count.optional().describe('Smallest acceptable object, bytes'),
  maxSize: count.optional(),
  minTotalBytes: count.optional(),
  maxTotalBytes: count.optional(),
  checksums: z.enum(['required', 'if-present', 'off']).optional(),
  manifest: s3Url.optional().describe('A JSON or CSV list of key, size, sha256 to compare against'),
  concurrency: z.coerce.number().int().min(1).max(256).optional(),
});

const restoreWith = z.strictObject({
  source: s3Url,
  target: z.string().min(1).describe('s3://bucket/prefix/ or a local directory'),
  asOf: instantOrLatest.optional(),
  include: z.union([z.string(), z.array(z.string())]).optional(),
  exclude: z.union([z.string(), z.array(z.string())]).optional(),
  concurrency: z.coerce.number().int().min(1).max(256).optional(),
  verify: z.enum(['checksum', 'size', 'none']).optional(),
  multipartThreshold: count.optional().describe('Copy in parts above this many bytes (default 5 GiB)'),
  partSize: count.optional(),
  allowEmpty: flag
    .optional()
    .describe('Succeed when nothing is selected (no object under source as of asOf); by default that fails the step: a mistyped prefix or an asOf before the first backup must not pass as a restore'),
});

export type UndoKind = 'none' | 'builtin' | 'command' | 'instructions';

export interface StepTypeInfo {
  with: z.ZodType;
  outputs: readonly string[];
  /** none: read-only, `rollback:` may not be given. */
  undo: UndoKind;
  /** Read-only types run for real in --dry-run. */
  readOnly: boolean;
  /** Allowed in a runbook's `require:` list. */
  check: boolean;
  /** Moves live traffic, capacity or databases: left out of `verify` unless its `modes:` say otherwise. */
  live: boolean;
  /** Cannot be undone: the step is `rollback: false` unless the runbook gives an undo command. */
  irreversible?: boolean;
}

export const stepTypes = {
  's3.verify-backups': { with: verifyBackupsWith, outputs: ['newestKey', 'newestAgeSeconds', 'count', 'bytes'], undo: 'none', readOnly: true, check: true, live: false },
  'route53.change-records': { with: route53With, outputs: ['changeId'], undo: 'builtin', readOnly: false, check: false, live: true },
  's3.restore': { with: restoreWith, outputs: ['objects', 'bytes', 'seconds', 'requests'], undo: 'builtin', readOnly: false, check: false, live: false },
  shell: { with: shellWith, outputs: ['stdout', 'exitCode'], undo: 'command', readOnly: false, check: false, live: false },
  'http.check': { with: httpCheckWith, outputs: ['status'], undo: 'none', readOnly: true, check: true, live: false },
  manual: { with: manualWith, outputs: [], undo: 'instructions', readOnly: false, check: false, live: false },
  wait: { with: waitWith, outputs: [], undo: 'none', readOnly: true, check: false, live: false },
  'route53.shift-weights': { with: shiftWeightsWith, outputs: ['stage'], undo: 'builtin', readOnly: false, check: false, live: true },
  'rds.failover-cluster': { with: failoverClusterWith, outputs: ['writer', 'previousWriter'], undo: 'builtin', readOnly: false, check: false, live: true },
  'rds.promote-replica': { with: promoteReplicaWith, outputs: ['instanceId'], undo: 'command', readOnly: false, check: false, live: true, irreversible: true },
  'autoscaling.set-capacity': {
    with: setCapacityWith,
    outputs: ['previousMin', 'previousDesired', 'previousMax'],
    undo: 'builtin',
    readOnly: false,
    check: false,
    live: true,
  },
} as const satisfies Record<string, StepTypeInfo>;

export type StepTypeName = keyof typeof stepTypes;
export const stepTypeNames = Object.keys(stepTypes) as StepTypeName[];

export type WithOf<T extends StepTypeName> = z.output<(typeof stepTypes)[T]['with']>;
export type ShellWith = z.output<typeof shellWith>;
export type HttpCheckWith = z.output<typeof httpCheckWith>;
export type ManualWith = z.output<typeof manualWith>;
export type WaitWith = z.output<typeof waitWith>;
export type Route53With = z.output<typeof route53With>;
export type RecordChange = z.output<typeof recordChange>;
export type VerifyBackupsWith = z.output<typeof verifyBackupsWith>;
export type ShiftWeightsWith = z.output<typeof shiftWeightsWith>;
export type FailoverClusterWith = z.output<typeof failoverClusterWith>;
export type PromoteReplicaWith = z.output<typeof promoteReplicaWith>;
export type SetCapacityWith = z.output<typeof setCapacityWith>;
export type RestoreWith = z.output<typeof restoreWith>;

export function isStepType(name: string): name is StepTypeName {
  return Object.hasOwn(stepTypes, name);
}
