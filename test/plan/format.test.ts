/** The plan as text: byte sizes, the summary line, plain vs coloured output. */
import { describe, expect, test } from 'vitest';
import { formatPlan, summaryText, totalsOf } from '../../src/plan/format.js';
import { formatBytes } from '../../src/util/format.js';
import { PLAN_KIND, type PlanDocument, type PlannedStep } from '../../src/plan/saved.js';

function step(over: Partial<PlannedStep>): PlannedStep {
  return {
    id: 'x',
    type: 'shell',
    status: 'planned',
    summary: '',
    lines: [],
    counts: {},
    mutating: false,
    fingerprint: null,
    confirm: 'yes',
    irreversible: false,
    limitBreaches: [],
    dependsOn: [],
    notes: [],
    ...over,
  };
}

function doc(steps: PlannedStep[], require: PlannedStep[] = []): PlanDocument {
  return {
    version: 1,
    kind: PLAN_KIND,
    runbook: { file: 'r.yaml', name: 'r', hash: 'h' },
    params: { zone: 'example.com', token: '***' },
    secretParams: ['token'],
    paramsHash: '0'.repeat(64),
    createdAt: '2026-11-23T04:00:00.000Z',
    createdBy: 'me@host',
    complete: true,
    require,
    steps,
    summary: totalsOf(require, steps),
  };
}

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [1024 * 1024 - 1, '1.0 MiB'],
    [Math.round(38.2 * 1024 ** 3), '38.2 GiB'],
    [150 * 1024 ** 4, '150 TiB'],
    [-5, '0 B'],
    [Number.NaN, '0 B'],
  ])('%d bytes → %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

describe('summary line', () => {
  test('the issue example', () => {
    const steps = [
      step({ id: 'dns', type: 'route53.change-records', counts: { records: 2, deletes: 0 }, mutating: true }),
      step({ id: 'restore', type: 's3.restore', counts: { objects: 412, overwrites: 0, bytes: Math.round(38.2 * 1024 ** 3) }, mutating: true }),
      step({ id: 'cmd', type: 'shell', counts: { commands: 1 }, mutating: true }),
      step({ id: 'c1', type: 'http.check', counts: { checks: 1 } }),
      step({ id: 'c2', type: 's3.verify-backups', counts: { checks: 1 } }),
    ];
    const t = totalsOf([step({ id: 'pre', type: 'http.check', counts: { checks: 1 } })], steps);
    expect(t.text).toBe('2 records to change, 412 objects (38.2 GiB) to restore, 1 command, 3 checks');
  });

  test('deletes, overwrites, manual, skipped, deferred, failed and over-limit steps are counted; skipped steps add nothing', () => {
    const t = totalsOf([], [
      step({ id: 'a', type: 'route53.change-records', counts: { records: 1, deletes: 1 } }),
      step({ id: 'b', type: 's3.restore', counts: { objects: 3, overwrites: 2, bytes: 3072 } }),
      step({ id: 'c', type: 'manual' }),
      step({ id: 'd', type: 'shell', status: 'skipped', counts: { commands: 1 } }),
      step({ id: 'e', type: 'shell', status: 'deferred' }),
      step({ id: 'f', type: 'route53.change-records', status: 'failed' }),
      step({ id: 'g', type: 'route53.change-records', counts: { records: 30 }, limitBreaches: [{ limit: 'maxChanges', planned: 30, allowed: 20 }] }),
    ]);
    expect(t).toMatchObject({ records: 31, deletes: 1, objects: 3, overwrites: 2, bytes: 3072, commands: 0, manual: 1, skipped: 1, deferred: 1, failed: 1, overLimit: 1 });
    expect(t.text).toBe(
      '31 records to change (1 deleted), 3 objects (3.0 KiB) to restore (2 overwriting existing ones), 1 manual step, 1 step skipped, 1 step known only at run time, 1 step over its limits, 1 step could not be planned',
    );
  });

  test('nothing at all', () => {
    expect(summaryText(totalsOf([], []))).toBe('nothing to change');
  });

  test('a DB failover and a capacity change are changes, never "nothing to change"; one already as wanted is not', () => {
    const t = totalsOf([], [
      step({ id: 'db', type: 'rds.failover-cluster', counts: {}, mutating: true }),
      step({ id: 'asg', type: 'autoscaling.set-capacity', counts: {}, mutating: true }),
      step({ id: 'same', type: 'autoscaling.set-capacity', counts: {}, mutating: false }),
    ]);
    expect(t.otherChanges).toBe(2);
    expect(t.text).toBe('2 other changes');
  });
});

describe('formatPlan', () => {
  const d = doc([
    step({
      id: 'failover-dns',
      type: 'route53.change-records',
      summary: 'app: a → b',
      mutating: true,
      lines: [
        { kind: 'remove', text: 'app.example.com. CNAME ttl 300: primary.example.com' },
        { kind: 'add', text: 'app.example.com. CNAME ttl 60: standby.example.com' },
      ],
      counts: { records: 1 },
      confirm: 'typed',
      typedConfirmation: 'app.example.com',
    }),
    step({ id: 'prod-only', status: 'skipped', skipReason: 'when: params.env == "prod" is false' }),
    step({ id: 'purge', irreversible: true, typedConfirmation: 'purge', summary: 'run purge', mutating: true, counts: { commands: 1 } }),
    step({ id: 'broken', type: 'route53.change-records', status: 'failed', error: { message: 'hosted zone Z1 does not exist', hint: 'check zone_id' } }),
    step({ id: 'big', type: 'route53.change-records', summary: 's', counts: { records: 25 }, limitBreaches: [{ limit: 'maxChanges', planned: 25, allowed: 20 }] }),
  ]);

  test('plain: before → after lines, confirmation, IRREVERSIBLE, skip reason, errors, limits and the summary, no escape codes', () => {
    const text = formatPlan(d, { color: false });
    expect(text).not.toContain('\u001b[');
    expect(text).toContain('    - app.example.com. CNAME ttl 300: primary.example.com\n    + app.example.com. CNAME ttl 60: standby.example.com');
    expect(text).toContain('confirm: type app.example.com (or --confirm failover-dns=app.example.com)');
    expect(text).toContain('▷ [2/5] prod-only (shell) — skipped: when: params.env == "prod" is false');
    expect(text).toContain('IRREVERSIBLE: this step cannot be undone (rollback: false)');
    expect(text).toContain('✘ cannot plan this step: hosted zone Z1 does not exist');
    expect(text).toContain('→ check zone_id');
    expect(text).toContain('maxChanges: planned 25, limit 20');
    expect(text).toContain('params: zone=example.com, token=***');
    expect(text.trimEnd().split('\n').at(-1)).toBe(`Summary: ${d.summary.text}`);
  });

  test('coloured: removals red, additions green', () => {
    const text = formatPlan(d, { color: true });
    expect(text).toContain('\u001b[31m    - app.example.com. CNAME ttl 300: primary.example.com');
    expect(text).toContain('\u001b[32m    + app.example.com. CNAME ttl 60: standby.example.com');
  });
});
