import { describe, expect, it } from 'vitest';
import { isSecretName, redact, secretEnvValues, StreamRedactor } from '../../src/util/redact.js';

describe('isSecretName', () => {
  it.each(['AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN', 'DB_PASSWORD', 'API_KEY', 'db_passwd', 'apiKey', 'privateKey', 'GOOGLE_APPLICATION_CREDENTIALS', 'AWS_SESSION_TOKEN', 'SSH_KEY', 'GPG_PASSPHRASE', 'client-secret', 'KEY'])(
    '%s is secret',
    (name) => expect(isSecretName(name)).toBe(true),
  );
  it.each(['PATH', 'HOME', 'REGION', 'AWS_REGION', 'KEYBOARD_LAYOUT', 'MONKEY', 'PWD', 'USER', 'LANG'])('%s is not secret', (name) =>
    expect(isSecretName(name)).toBe(false),
  );
});

describe('redact', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redact('a hunter2x b hunter2x c abcd', ['hunter2x', 'abcd'])).toBe('a *** b *** c ***');
  });
  it('ignores empty and short values (they would wreck the output)', () => {
    expect(redact('yes 1 abc', ['', '1', 'yes', 'abc'])).toBe('yes 1 abc');
  });
  it('replaces the longer of two overlapping secrets whole', () => {
    expect(redact('key=abcd-efgh', ['abcd', 'abcd-efgh'])).toBe('key=***');
  });
  it('treats secrets as text, not patterns', () => {
    expect(redact('p4ss.w*rd and p4ssXwwrd', ['p4ss.w*rd'])).toBe('*** and p4ssXwwrd');
  });
});

describe('secretEnvValues', () => {
  it('picks the values of secret-named variables only', () => {
    expect(secretEnvValues({ API_TOKEN: 'tok-123456', REGION: 'us-west-2', DB_PASSWORD: 'pw-98765' }).sort()).toEqual(['pw-98765', 'tok-123456']);
    expect(secretEnvValues(undefined)).toEqual([]);
  });
});

describe('StreamRedactor', () => {
  function run(secrets: string[], chunks: string[]): { out: string[]; text: string } {
    const out: string[] = [];
    const r = new StreamRedactor(secrets, (t) => out.push(t));
    for (const c of chunks) r.push(c);
    r.end();
    return { out, text: out.join('') };
  }
  it('redacts a secret split over several chunks, one character at a time', () => {
    const { out, text } = run(['s3cret-value'], [...'before s3cret-value after']);
    expect(text).toBe('before *** after');
    expect(out.join('|')).not.toContain('s3c');
  });
  it('passes text through at once when it cannot be the start of a secret', () => {
    const { out } = run(['s3cret-value'], ['hello ', 'world']);
    expect(out).toEqual(['hello ', 'world']);
  });
  it('releases a held-back prefix when the stream ends', () => {
    expect(run(['s3cret-value'], ['ends with s3cr']).text).toBe('ends with s3cr');
  });
  it('passes chunks straight through with no secrets', () => {
    expect(run([], ['a', 'b']).out).toEqual(['a', 'b']);
  });
});
