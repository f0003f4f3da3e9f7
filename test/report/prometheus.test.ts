/** Prometheus textfile metrics, read back by a strict parser of the text format. */
import { describe, expect, test } from 'vitest';
import { buildReport, rehearsalExitCode, type Report } from '../../src/report/model.js';
import { escapeLabelValue, formatValue, renderPrometheus } from '../../src/report/prometheus.js';
import type { RunOutcome } from '../../src/engine/run.js';
import { FINISHED, fixtureRunbook, passedVerify, staleVerify } from './outcomes.js';
import { parsePrometheus, PromError } from './prom.js';

const drill = fixtureRunbook('restore-drill.yaml');

function report(outcome: RunOutcome): Report {
  return buildReport({ outcome, runbook: drill, mode: 'verify', exitCode: rehearsalExitCode(outcome), finishedAt: FINISHED, lifeboatVersion: '0.1.0' });
}

const value = (families: ReturnType<typeof parsePrometheus>, name: string) => families.get(name)?.samples[0]?.value;

describe('the test parser is strict', () => {
  test.each([
    ['m{a="x"} 1', 'no final line feed'],
    ['m{a="x\\t"} 1\n', 'bad escape'],
    ['m{a="x"} one\n', 'not a float'],
    ['m{a="x"} 1\nm{a="x"} 2\n', 'duplicate series'],
    ['m 1\nn 1\nm{a="y"} 1\n', 'samples apart'],
    ['m 1\n# TYPE m gauge\n', 'TYPE after samples'],
    ['# TYPE m gauge\n# TYPE m gauge\nm 1\n', 'two TYPEs'],
    ['# TYPE m gauges\nm 1\n', 'unknown type'],
    ['1m 1\n', 'bad name'],
    ['m{a="x",a="y"} 1\n', 'duplicate label'],
  ])('%j is rejected (%s)', (text) => {
    expect(() => parsePrometheus(text)).toThrow(PromError);
  });
});

describe('the metrics file', () => {
  test('a passing verify: every metric with HELP and TYPE gauge, labelled by runbook, no timestamps', () => {
    const text = renderPrometheus(report(passedVerify()));
    const families = parsePrometheus(text);
    expect([...families.keys()]).toEqual([
      'lifeboat_verify_success',
      'lifeboat_verify_duration_seconds',
      'lifeboat_backup_age_seconds',
      'lifeboat_restore_bytes',
      'lifeboat_rto_target_seconds',
      'lifeboat_rpo_target_seconds',
      'lifeboat_last_run_timestamp_seconds',
    ]);
    expect(value(families, 'lifeboat_rto_target_seconds')).toBe(900);
    expect(value(families, 'lifeboat_rpo_target_seconds')).toBe(3600);
    for (const f of families.values()) {
      expect(f.type).toBe('gauge');
      expect(f.help).toBeTruthy();
      expect(f.samples).toHaveLength(1);
      expect(f.samples[0]?.labels).toEqual({ runbook: 'restore-drill' });
      expect(f.samples[0]?.timestamp).toBeUndefined();
    }
    expect(value(families, 'lifeboat_verify_success')).toBe(1);
    expect(value(families, 'lifeboat_verify_duration_seconds')).toBe(30);
    expect(value(families, 'lifeboat_backup_age_seconds')).toBe(1234);
    expect(value(families, 'lifeboat_restore_bytes')).toBe(3_000_000);
    expect(value(families, 'lifeboat_last_run_timestamp_seconds')).toBe(Date.parse('2026-11-23T04:12:30Z') / 1000);
  });

  test('a failed verify: success 0; every listed metric is there, an unknown value is NaN, not a made-up 0', () => {
    const families = parsePrometheus(renderPrometheus(report(staleVerify())));
    expect(value(families, 'lifeboat_verify_success')).toBe(0);
    for (const name of ['lifeboat_verify_success', 'lifeboat_verify_duration_seconds', 'lifeboat_backup_age_seconds', 'lifeboat_restore_bytes', 'lifeboat_last_run_timestamp_seconds']) {
      expect(families.get(name)?.samples[0]?.labels.runbook, name).toBe('restore-drill');
    }
    // The restore never ran: not known, and not 0 bytes.
    expect(value(families, 'lifeboat_restore_bytes')).toBeNaN();
  });

  test('label values are escaped per the text format', () => {
    const r = report(passedVerify());
    const odd = { ...r, runbook: { ...r.runbook, name: 'we"ird\\name\nx' } };
    const families = parsePrometheus(renderPrometheus(odd));
    expect(families.get('lifeboat_verify_success')?.samples[0]?.labels.runbook).toBe('we"ird\\name\nx');
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  test('values as Go reads them', () => {
    expect([NaN, Infinity, -Infinity, 1.5, 1e21].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '1.5', '1e+21']);
    expect(parsePrometheus('m +Inf\nn NaN\no 1e+21\n').get('o')?.samples[0]?.value).toBe(1e21);
  });
});
