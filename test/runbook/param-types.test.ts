/**
 * Params first (issue 13, item 3): typed params, enums, and every `with` field that depends
 * only on params checked before the first step runs — located at the field, naming the param.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode, formatProblem, RunbookInvalidError, UsageError } from '../../src/errors.js';
import { isIsoInstant } from '../../src/runbook/fields.js';
import { parseRunbook } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/model.js';
import { paramValueProblem } from '../../src/runbook/param-types.js';
import { resolveParams } from '../../src/runbook/params.js';

const y = (...lines: string[]): string => `${lines.join('\n')}\n`;

function load(source: string): Runbook {
  const { runbook, problems } = parseRunbook(source, 'rb.yaml');
  if (!runbook) throw new Error(problems.map(formatProblem).join('\n'));
  return runbook;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected it to throw');
}

/** DNS first, then a restore whose asOf comes from a param. */
const dnsThenRestore = y(
  'version: 1',
  'name: dns-then-restore',
  'params:',
  '  zone_id: { required: true }',
  '  asof: { default: latest }',
  '  concurrency: { type: number, default: 8 }',
  '  env: { enum: [staging, prod], default: staging }',
  'steps:',
  '  - id: failover-dns',
  '    type: route53.change-records',
  '    with:',
  '      zoneId: ${{ params.zone_id }}',
  '      changes: [{ name: app.example.com, type: CNAME, ttl: 60, values: [standby.example.com] }]',
  '  - id: restore',
  '    type: s3.restore',
  '    with:',
  '      source: s3://acme-backups/db/',
  '      target: s3://acme-data/db/',
  '      asOf: "${{ params.asof }}"',
  '      concurrency: ${{ params.concurrency }}',
);

describe('ISO-8601 instants are checked for real', () => {
  it.each(['2026-11-23T04:00:00Z', '2026-11-23T04:00Z', '2026-11-23T04:00:00.123Z', '2024-02-29T23:59:59+01:00', '2026-11-23T04:00:00-0530'])('%s is an instant', (t) => {
    expect(isIsoInstant(t)).toBe(true);
  });
  it.each(['2026-13-45T99:99:99Z', '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-11-29', '2026-11-29T24:00:00Z', '2026-11-29T10:60:00Z', '2026-11-29T10:00:00', '2026-11-29T10:00:00+25:00'])('%s is not', (t) => {
    expect(isIsoInstant(t)).toBe(false);
  });
});

describe('param types and enums', () => {
  it.each([
    ['number', 'abc', 'is not a number'],
    ['number', '', 'is not a number'],
    ['number', '0x10', 'is not a number'],
    ['number', 'Infinity', 'is not a number'],
    ['number', '1_000', 'is not a number'],
    ['boolean', 'yes', 'is not true or false'],
    ['duration', '5 minutes', 'is not a duration'],
    ['timestamp', '2026-11-29', 'is not a timestamp'],
    ['s3-url', 'acme-backups/db/', 'is not an S3 URL'],
  ] as const)('type %s rejects %j', (type, value, message) => {
    expect(paramValueProblem({ type }, value)).toContain(message);
  });
  it('accepts what fits, and an enum takes only its values', () => {
    expect(paramValueProblem({ type: 'number' }, '12.5')).toBeUndefined();
    for (const n of ['-3', '+7', '0.5', '.5', '1e3', '100']) expect(paramValueProblem({ type: 'number' }, n)).toBeUndefined();
    expect(paramValueProblem({ type: 'timestamp' }, '2026-11-23T04:00:00Z')).toBeUndefined();
    expect(paramValueProblem({ enum: ['staging', 'prod'] }, 'prod')).toBeUndefined();
    expect(paramValueProblem({ enum: ['staging', 'prod'] }, 'production')).toBe('"production" is not one of "staging", "prod"');
    expect(paramValueProblem({ type: 'number', secret: true }, 'hunter2')).toBe('the value given (secret, not shown) is not a number');
  });

  it('validate: a default that does not fit its type or enum is located at the default', () => {
    const { problems } = parseRunbook(
      y(
        'version: 1',
        'name: x',
        'params:',
        '  n: { type: number, default: many }',
        '  env: { type: string, enum: [a, b], default: c }',
        '  flag: { type: boolean, enum: [true, maybe] }',
        'steps:',
        '  - { id: a, type: wait, with: { duration: 1s } }',
      ),
      'rb.yaml',
    );
    expect(problems.map(formatProblem)).toEqual([
      'rb.yaml:4:31: param "n": default "many" is not a number',
      'rb.yaml:5:47: param "env": default "c" is not one of "a", "b"',
      'rb.yaml:6:39: param "flag": enum value "maybe" is not true or false',
    ]);
  });

  it('validate: a with field whose params all have defaults is checked at the field', () => {
    const source = dnsThenRestore.replace('asof: { default: latest }', 'asof: { default: "2026-11-29" }');
    const { problems } = parseRunbook(source, 'rb.yaml');
    expect(problems.map(formatProblem)).toEqual([
      'rb.yaml:19:13: step "restore" with.asOf: bad time "2026-11-29": use latest or ISO-8601 with a zone, e.g. 2026-11-23T04:00:00Z (the value comes from params.asof; pass a valid --param asof=…)',
    ]);
    // a param without a default is not an error in validate: it is given at run time
    expect(parseRunbook(dnsThenRestore, 'rb.yaml').problems).toEqual([]);
  });
});

describe('resolveParams checks everything before the first step', () => {
  const runbook = load(dnsThenRestore);

  it('a bad timestamp for a with field: exit 2 at the field, naming the param; nothing runs', () => {
    const err = thrown(() => resolveParams(runbook, { zone_id: 'Z1', asof: '2026-13-45T99:99:99Z' }));
    expect(err).toBeInstanceOf(RunbookInvalidError);
    expect((err as RunbookInvalidError).exitCode).toBe(ExitCode.usage);
    expect((err as RunbookInvalidError).problems.map(formatProblem)).toEqual([
      'rb.yaml:19:13: step "restore" with.asOf: bad time "2026-13-45T99:99:99Z": use latest or ISO-8601 with a zone, e.g. 2026-11-23T04:00:00Z (the value comes from params.asof; pass a valid --param asof=…); nothing was changed',
    ]);
  });

  it('a type: number param given abc: exit 2 naming it and where it is declared', () => {
    const err = thrown(() => resolveParams(runbook, { zone_id: 'Z1', concurrency: 'abc' }));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    expect((err as UsageError).message).toBe('rb.yaml:6:16: param "concurrency": "abc" is not a number (from --param concurrency); nothing was changed\n  → pass --param concurrency=<number>');
  });

  it('an enum param given another value: exit 2 listing the values', () => {
    const err = thrown(() => resolveParams(runbook, { zone_id: 'Z1', env: 'production' }));
    expect((err as UsageError).message).toContain('param "env": "production" is not one of "staging", "prod"');
    expect((err as UsageError).message).toContain('--param env=<staging|prod>');
  });

  it('a field that depends on a step output is left for run time; good values pass', () => {
    expect(resolveParams(runbook, { zone_id: 'Z1', asof: '2026-11-23T04:00:00Z' }).values).toMatchObject({ asof: '2026-11-23T04:00:00Z', concurrency: '8' });
  });

  it('a secret value never appears in the message', () => {
    const secret = load(dnsThenRestore.replace('asof: { default: latest }', 'asof: { secret: true }'));
    const err = thrown(() => resolveParams(secret, { zone_id: 'Z1', asof: 'hunter2-not-a-time' }));
    expect((err as Error).message).not.toContain('hunter2');
    expect((err as Error).message).toContain('bad time "***"');
  });
});
