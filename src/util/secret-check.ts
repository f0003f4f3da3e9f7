/**
 * Telling, on resume or rollback, whether a secret param given again is the value the run
 * was started with, without keeping the value: the run-start entry holds a salted scrypt
 * hash of each (`secretCheck`). A different value would unseal the undo records into
 * something other than what was read from AWS (a TXT record put back with the wrong token),
 * so it is refused before anything changes.
 *
 * scrypt (N=2^14, r=8, p=1: ~50 ms and 16 MiB a check) with a random 16-byte salt per run
 * and param: a journal copied off the machine gives a low-entropy secret up only to an
 * expensive search, one param and run at a time.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const PREFIX = 'scrypt1';
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

/** `scrypt1:<salt, base64>:<hash, base64>` for one secret value. */
export function secretCheckOf(value: string, salt: Buffer = randomBytes(16)): string {
  const hash = scryptSync(value, salt, KEY_LENGTH, PARAMS);
  return `${PREFIX}:${salt.toString('base64')}:${hash.toString('base64')}`;
}

/** Whether `value` is the one `check` was made from; undefined when the check cannot be read (a journal from a later lifeboat). */
export function matchesSecretCheck(value: string, check: string): boolean | undefined {
  const [prefix, salt, hash] = check.split(':');
  if (prefix !== PREFIX || salt === undefined || hash === undefined) return undefined;
  const want = Buffer.from(hash, 'base64');
  if (want.length !== KEY_LENGTH) return undefined;
  return timingSafeEqual(scryptSync(value, Buffer.from(salt, 'base64'), KEY_LENGTH, PARAMS), want);
}

/** The checks of the secret params given a value, by name. */
export function secretChecks(values: Readonly<Record<string, string>>, secretNames: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of secretNames) {
    const v = values[n];
    if (v !== undefined && v !== '') out[n] = secretCheckOf(v);
  }
  return out;
}
