/** The saved plan file: written, loaded and checked; params reconciled; drift compared. */
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ExitCode, LifeboatError } from '../../src/errors.js';
import { totalsOf } from '../../src/plan/format.js';
import {
  checkComplete,
  compareWithSaved,
  expectedFingerprints,
  loadSavedPlan,
  paramsHash,
  PLAN_KIND,
  replanCommand,
  reconcileParams,
  writeSavedPlan,
  type PlanDocument,
  type PlannedStep,
} from '../../src/plan/saved.js';
import { parseRunbook } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/model.js';

const SOURCE = `version: 1
name: saved-test
params:
  zone_id: { required: true }
  record: { default: app.example.com }
  token: { secret: true, required: true }
  note: { description: "optional, no default" }
steps:
  - id: failover-dns
    type: route53.change-records
    with:
      zoneId: \${{ params.zone_id }}
      changes: [{ name: "\${{ params.record }}", type: CNAME, values: [standby.example.com] }]
`;

function runbook(source = SOURCE): Runbook {
  const r = parseRunbook(source, 'saved-test.yaml');
  if (!r.runbook) throw new Error(JSON.stringify(r.problems));
  return r.runbook;
}

const fp = (value: string) => ({ zoneId: 'Z1', records: [{ key: 'app.example.com. CNAME', set: value ? { Name: 'app.example.com.', ResourceRecords: [value], TTL: 300, Type: 'CNAME' } : null }] });

function step(over: Partial<PlannedStep> = {}): PlannedStep {
  return {
    id: 'failover-dns',
    type: 'route53.change-records',
    status: 'planned',
    summary: 's',
    lines: [],
    counts: { records: 1 },
    mutating: true,
    fingerprint: fp('primary.example.com'),
    confirm: 'yes',
    irreversible: false,
    limitBreaches: [],
    dependsOn: [],
    notes: [],
    ...over,
  };
}

function planFor(rb: Runbook, values: Record<string, string>, steps: PlannedStep[] = [step()]): PlanDocument {
  return {
    version: 1,
    kind: PLAN_KIND,
    runbook: { file: rb.file, name: rb.name, hash: rb.hash },
    params: { ...values, token: '***' },
    secretParams: ['token'],
    paramsHash: paramsHash(values),
    createdAt: '2026-11-23T04:00:00.000Z',
    createdBy: 'me@host',
    complete: true,
    require: [],
    steps,
    summary: totalsOf([], steps),
  };
}

function thrown(fn: () => unknown): LifeboatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LifeboatError);
    return err as LifeboatError;
  }
  throw new Error('expected an error');
}

const VALUES = { zone_id: 'Z1', record: 'app.example.com', token: 's3cr3t-token' };

describe('saved plan file', () => {
  test('written and loaded back unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-plan-'));
    const rb = runbook();
    const doc = planFor(rb, VALUES);
    await writeSavedPlan(join(dir, 'p.json'), doc);
    expect(await loadSavedPlan(join(dir, 'p.json'))).toEqual(doc);
  });

  test('plan --out writes through a symlink (the link stays) and into a FIFO (never replaced)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-plan-'));
    const doc = planFor(runbook(), VALUES);
    symlinkSync('kept.json', join(dir, 'link.json'));
    await writeSavedPlan(join(dir, 'link.json'), doc);
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(await loadSavedPlan(join(dir, 'kept.json'))).toEqual(doc);

    const fifo = join(dir, 'plan.fifo');
    execFileSync('mkfifo', [fifo]);
    const cat = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    setTimeout(() => cat.kill(), 20_000).unref();
    let text = '';
    cat.stdout.on('data', (d: Buffer) => (text += d.toString()));
    const closed = new Promise((done) => cat.on('close', done));
    await writeSavedPlan(fifo, doc);
    await closed;
    expect(JSON.parse(text)).toEqual(doc);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  test('a plan file that cannot be written: exit 2 naming the path and why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-plan-'));
    mkdirSync(join(dir, 'p.json'));
    const err = await writeSavedPlan(join(dir, 'p.json'), planFor(runbook(), VALUES)).then(
      () => undefined,
      (e: unknown) => e as LifeboatError,
    );
    expect(err?.exitCode).toBe(ExitCode.usage);
    expect(err?.message).toBe(`${join(dir, 'p.json')}: cannot write the plan file: it is a directory (EISDIR): name a file`);
  });

  test.each([
    ['missing file', null, /no such plan file/],
    ['not JSON', '{', /invalid JSON/],
    ['another kind of file', '{"version":1}', /"kind" is not "lifeboat-plan"/],
    ['a newer version', JSON.stringify({ kind: PLAN_KIND, version: 2 }), /plan version 2 is not supported/],
    ['a step without a fingerprint', 'STEP', /steps\[0\] has no fingerprint/],
  ])('%s: exit 2 with what is wrong', async (_name, content, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-plan-'));
    const file = join(dir, 'p.json');
    if (content === 'STEP') {
      const doc = planFor(runbook(), VALUES) as unknown as { steps: Array<Record<string, unknown>> };
      delete doc.steps[0]?.fingerprint;
      writeFileSync(file, JSON.stringify(doc));
    } else if (content !== null) writeFileSync(file, content);
    const err = await loadSavedPlan(file).then(
      () => undefined,
      (e: unknown) => e as LifeboatError,
    );
    expect(err?.exitCode).toBe(ExitCode.usage);
    expect(err?.message).toMatch(message);
  });

  test('secret params are redacted in the file, and only their hash is kept', () => {
    const doc = planFor(runbook(), VALUES);
    expect(JSON.stringify(doc)).not.toContain('s3cr3t-token');
  });
});

describe('params of run --plan', () => {
  const rb = runbook();
  const saved = planFor(rb, VALUES);

  test('the plan params are used; repeating them with the same values is fine; secrets come again from --param', () => {
    const r = reconcileParams(saved, 'p.json', rb, { zone_id: 'Z1', token: 's3cr3t-token' }, {});
    expect(r.values).toEqual(VALUES);
  });

  test('a secret may come from the environment', () => {
    expect(reconcileParams(saved, 'p.json', rb, {}, { LIFEBOAT_PARAM_TOKEN: 's3cr3t-token' }).values).toEqual(VALUES);
  });

  test('a different value: exit 2 naming the param and both values', () => {
    const err = thrown(() => reconcileParams(saved, 'p.json', rb, { record: 'www.example.com', token: 's3cr3t-token' }, {}));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toContain('--param record=www.example.com differs from the plan, which was made with record=app.example.com');
  });

  test('a param the plan was made without: exit 2 naming it', () => {
    const err = thrown(() => reconcileParams(saved, 'p.json', rb, { note: 'hello', token: 's3cr3t-token' }, {}));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toContain('the plan was made without note');
  });

  test('another secret value: exit 2 naming the secret param, not its value', () => {
    const err = thrown(() => reconcileParams(saved, 'p.json', rb, { token: 'another-token' }, {}));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toContain('token (secret: values not shown)');
    expect(err.message).not.toContain('another-token');
  });

  test('the runbook changed since the plan: refused, exit 3', () => {
    const changed = runbook(SOURCE.replace('standby.example.com', 'elsewhere.example.com'));
    const err = thrown(() => reconcileParams(saved, 'p.json', changed, { token: 's3cr3t-token' }, {}));
    expect(err.exitCode).toBe(ExitCode.refused);
    expect(err.message).toContain('changed since the plan was made');
  });
});

describe('drift against the saved plan', () => {
  const rb = runbook();
  test('same world: no drift, and the fingerprints go to the engine', () => {
    const saved = planFor(rb, VALUES);
    expect(compareWithSaved(saved, planFor(rb, VALUES))).toEqual([]);
    expect(expectedFingerprints(saved)).toEqual({ 'failover-dns': fp('primary.example.com') });
  });

  test('a moved record is named with both values', () => {
    const saved = planFor(rb, VALUES);
    const now = planFor(rb, VALUES, [step({ fingerprint: fp('other.example.com') })]);
    expect(compareWithSaved(saved, now)).toEqual([
      { stepId: 'failover-dns', moved: ['app.example.com. CNAME changed since the plan (plan saw primary.example.com, now other.example.com)'] },
    ]);
  });

  test('a step that can no longer be planned, or is now skipped, is drift too', () => {
    const saved = planFor(rb, VALUES);
    expect(compareWithSaved(saved, planFor(rb, VALUES, [step({ status: 'failed', fingerprint: null, error: { message: 'zone gone' } })]))[0]?.moved).toEqual([
      'cannot be planned any more: zone gone',
    ]);
    expect(compareWithSaved(saved, planFor(rb, VALUES, [step({ status: 'skipped', fingerprint: null, skipReason: 'when: x is false' })]))[0]?.moved).toEqual([
      'would be skipped now (when: x is false), the plan ran it',
    ]);
  });

  test('an incomplete plan cannot be run: exit 3', () => {
    const saved = { ...planFor(rb, VALUES, [step({ status: 'failed', error: { message: 'hosted zone Z9 does not exist' } })]), complete: false };
    const err = thrown(() => checkComplete(saved, 'p.json'));
    expect(err.exitCode).toBe(ExitCode.refused);
    expect(err.message).toContain('failover-dns: hosted zone Z9 does not exist');
  });
});

describe('replanCommand: what a refused run --plan says to type', () => {
  test('the same params (secret ones to give again), quoted where a shell needs it', () => {
    const cmd = replanCommand({ params: { zone_id: 'Z1', note: "it's down", token: '***' }, secretParams: ['token'] }, 'runbooks/my failover.yaml', 'p.json');
    expect(cmd).toBe("lifeboat plan 'runbooks/my failover.yaml' --param zone_id=Z1 --param note='it'\\''s down' --param token=… --out p.json");
  });
});
