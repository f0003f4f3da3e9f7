/**
 * schema/report.schema.json: generated from the zod schema in src/report/model.ts, never
 * stale, and the reports lifeboat writes validate against it (ajv, strict).
 */
import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, test } from 'vitest';
import { buildRefusedReport, buildReport, rehearsalExitCode } from '../../src/report/model.js';
import { renderReportSchema } from '../../src/report/write-schema.js';
import type { RunOutcome } from '../../src/engine/run.js';
import { REPORT_SCHEMA_FILE, reportValidator } from './validate.js';
import { cleanupFailed, FINISHED, fixtureRunbook, interruptedVerify, passedVerify, staleVerify } from './outcomes.js';

const schemaFile = REPORT_SCHEMA_FILE;
const STALE = 'schema/report.schema.json is stale: run `npm run build && node dist/src/report/write-schema.js` and commit the result';

const drill = fixtureRunbook('restore-drill.yaml');
const build = (o: RunOutcome) => buildReport({ outcome: o, runbook: drill, mode: 'verify', exitCode: rehearsalExitCode(o), finishedAt: FINISHED, lifeboatVersion: '0.1.0' });

describe('report schema', () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    validate = reportValidator();
  });

  test('the committed file is what the zod schema generates', () => {
    expect(readFileSync(schemaFile, 'utf8'), STALE).toBe(renderReportSchema());
  });

  test.each([
    ['passed', passedVerify],
    ['failed', staleVerify],
    ['clean-up failed', cleanupFailed],
    ['interrupted', interruptedVerify],
  ])('a %s report validates', (_, make) => {
    const ok = validate(JSON.parse(JSON.stringify(build(make()))));
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
  });

  test('a refused report validates', () => {
    const r = buildRefusedReport({ runbook: drill, mode: 'rehearse', exitCode: 3, message: 'lock held', finishedAt: FINISHED, lifeboatVersion: '0.1.0' });
    expect(validate(r)).toBe(true);
  });

  test.each([
    ['an unknown verdict', (r: Record<string, unknown>) => ({ ...r, verdict: 'fine' })],
    ['a missing runId', ({ runId: _, ...r }: Record<string, unknown>) => r],
    ['an extra field', (r: Record<string, unknown>) => ({ ...r, surprise: 1 })],
    ['a step without status', (r: Record<string, unknown>) => ({ ...r, steps: [{ id: 'x', type: 'shell', durationMs: 1, undoMs: null, undo: 'none', outputs: {} }] })],
    ['a bad timestamp', (r: Record<string, unknown>) => ({ ...r, startedAt: 'yesterday' })],
  ])('%s is rejected', (_, spoil) => {
    const r = JSON.parse(JSON.stringify(build(passedVerify()))) as Record<string, unknown>;
    expect(validate(spoil(r))).toBe(false);
  });
});
