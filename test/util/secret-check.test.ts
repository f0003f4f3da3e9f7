/** The salted check of a secret param: the same value matches, another does not, the value is not in it. */
import { describe, expect, test } from 'vitest';
import { matchesSecretCheck, secretCheckOf, secretChecks } from '../../src/util/secret-check.js';

describe('secret checks', () => {
  test('the value the check was made from matches; any other does not; the check does not hold the value', () => {
    const check = secretCheckOf('tok-hunter2');
    expect(check).toMatch(/^scrypt1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(check).not.toContain('hunter2');
    expect(matchesSecretCheck('tok-hunter2', check)).toBe(true);
    expect(matchesSecretCheck('tok-hunter3', check)).toBe(false);
    expect(matchesSecretCheck('', check)).toBe(false);
  });

  test('salted: the same value gives a different check each time, and each still matches', () => {
    const a = secretCheckOf('same');
    const b = secretCheckOf('same');
    expect(a).not.toBe(b);
    expect([matchesSecretCheck('same', a), matchesSecretCheck('same', b)]).toEqual([true, true]);
  });

  test('a check it cannot read (another scheme, a damaged one) is undefined, not a mismatch', () => {
    expect(matchesSecretCheck('x', 'argon2:abc:def')).toBeUndefined();
    expect(matchesSecretCheck('x', 'scrypt1:abc')).toBeUndefined();
    expect(matchesSecretCheck('x', 'scrypt1:YWJj:YWJj')).toBeUndefined();
  });

  test('one check per secret param given a value', () => {
    expect(Object.keys(secretChecks({ token: 't', zone: 'Z1', empty: '' }, ['token', 'empty', 'absent']))).toEqual(['token']);
  });
});
