import { describe, expect, it } from 'vitest';
import { formatDuration, isDuration, parseDuration } from '../../src/runbook/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    ['1s500ms', 1500],
    ['0s', 0],
    ['90m', 5_400_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(isDuration(text)).toBe(true);
  });

  it.each(['', '30', '5x', '1.5h', '-5m', '5 m', ' 5m', '5m ', '5M', '1h 30m', 'm', 'soon', '15 minutes', '5min', '1w'])(
    '%j is not a duration',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
      expect(isDuration(text)).toBe(false);
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [999.6, '1s'],
    [1000, '1s'],
    [59_000, '59s'],
    [60_000, '1m'],
    [3_725_000, '1h2m5s'],
    [5_400_000, '1h30m'],
    [90_061_000, '1d1h1m1s'],
    [1499, '1s'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration for whole seconds', () => {
    for (const ms of [1000, 61_000, 3_600_000, 86_400_000 + 1000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
