import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  collectSecrets,
  isSecretName,
  redact,
  redactDeep,
  sealedUndoRefusal,
  sealSecrets,
  secretEnvValues,
  secretList,
  StreamRedactor,
  undosMissingSecrets,
  unsealSecrets,
} from '../../src/util/redact.js';

describe('isSecretName', () => {
  it.each([
    'AWS_SECRET_ACCESS_KEY',
    'GITHUB_TOKEN',
    'DB_PASSWORD',
    'API_KEY',
    'db_passwd',
    'apiKey',
    'privateKey',
    'GOOGLE_APPLICATION_CREDENTIALS',
    'AWS_SESSION_TOKEN',
    'SSH_KEY',
    'GPG_PASSPHRASE',
    'client-secret',
    'KEY',
    'passphrase',
    'PASSPHRASE',
    'sshPassphrase',
    'slackApiKey',
    'stripeSecretKey',
    'DEPLOY_KEY',
    'deployKey',
    'PGPASSWORD',
    'MYSQL_PWD',
    'githubToken',
    'NPM_TOKENS',
  ])(
    '%s is secret',
    (name) => expect(isSecretName(name)).toBe(true),
  );
  it.each(['PATH', 'HOME', 'REGION', 'AWS_REGION', 'KEYBOARD_LAYOUT', 'MONKEY', 'PWD', 'OLDPWD', 'USER', 'LANG', 'AWS_ACCESS_KEY_ID', 'awsAccessKeyId', 'KMS_KEY_ARN', 'SECRET_NAME', 'TOKENIZERS_PARALLELISM', ''])('%s is not secret', (name) =>
    expect(isSecretName(name)).toBe(false),
  );
});

describe('redact', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redact('a hunter2x b hunter2x c abcd', ['hunter2x', 'abcd'])).toBe('a *** b *** c ***');
  });
  it('masks what it is given; empty values are ignored', () => {
    expect(redact('yes 1 abc', ['', 'abc'])).toBe('yes 1 ***');
  });
  it('overlapping secrets: no part of either is shown', () => {
    for (const order of [['Hunt', 'Hunter2-token-xyz'], ['Hunter2-token-xyz', 'Hunt']]) {
      expect(redact('pw=Hunter2-token-xyz and Hunt.', order)).toBe('pw=*** and ***.');
    }
    // Neither contains the other: the union of both is masked, not the longer one alone.
    expect(redact('x abcdefgh y', ['abcdef', 'defgh'])).toBe('x *** y');
    expect(redact('x abcdefgh y', ['defgh', 'abcdef'])).toBe('x *** y');
    expect(redact('aaaa', ['aaa'])).toBe('***');
  });
  it('no character of any secret survives, whatever the secrets and the text (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('a', 'b', 'c', '*') }), { minLength: 1, maxLength: 4 }), fc.string({ maxLength: 40, unit: fc.constantFrom('a', 'b', 'c', 'x') }), (secrets, text) => {
        const out = redact(text, secrets);
        for (const s of secrets) if (!s.includes('*')) expect(out.includes(s)).toBe(false);
        // Every character of text that is inside some occurrence is gone: what is left between masks occurs in no secret's occurrence.
        const covered = new Array<boolean>(text.length).fill(false);
        for (const s of secrets) for (let i = text.indexOf(s); i !== -1; i = text.indexOf(s, i + 1)) covered.fill(true, i, i + s.length);
        let expected = '';
        for (let i = 0; i < text.length; i++) {
          if (!covered[i]) expected += text[i];
          else if (i === 0 || !covered[i - 1]) expected += '***';
        }
        expect(out).toBe(expected);
      }),
    );
  });
  it('replaces the longer of two overlapping secrets whole', () => {
    expect(redact('key=abcd-efgh', ['abcd', 'abcd-efgh'])).toBe('key=***');
  });
  it('treats secrets as text, not patterns', () => {
    expect(redact('p4ss.w*rd and p4ssXwwrd', ['p4ss.w*rd'])).toBe('*** and p4ssXwwrd');
  });
});

describe('which values are secrets', () => {
  it('environment values: too short ones are not taken (SOME_KEY=1 would wreck the output, AWS_SECRET_ACCESS_KEY=test every "latest")', () => {
    expect(secretList(['', '1', 'yes', 'test', 'testing', 'abcdefgh'])).toEqual(['abcdefgh']);
  });
  it('a run: secret params (any length), secret-named environment values, longest first; secret params by name for sealing', () => {
    const s = collectSecrets({ env: { DEPLOY_KEY: 'primarydb', SHORT_KEY: '1', HOME: '/home/ana', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }, params: { pin: '42', zone: 'Z1', empty: '' }, secretNames: ['pin', 'empty'] });
    expect(s.values).toEqual(['primarydb', '42']);
    expect(s.params).toEqual({ pin: '42' });
  });
  it('redactDeep masks string values, never keys or numbers', () => {
    expect(redactDeep({ 'primary-key': 'primary', n: 1234, list: ['a primary', null] }, ['primary', '1234'])).toEqual({ 'primary-key': '***', n: 1234, list: ['a ***', null] });
  });
});

describe('sealing secret params in records', () => {
  it('replaces each occurrence by its template and puts it back exactly', () => {
    const record = { run: ['echo', 'tok=abc123', 'abc123abc123'], nested: { 'k/abc123': ['xabc123y'] }, n: 3 };
    const sealed = sealSecrets(record, { token: 'abc123' });
    expect(sealed).toEqual({ run: ['echo', 'tok=${{ params.token }}', '${{ params.token }}${{ params.token }}'], nested: { 'k/${{ params.token }}': ['x${{ params.token }}y'] }, n: 3 });
    expect(unsealSecrets(sealed, { token: 'abc123' }, ['token'])).toEqual({ value: record, missing: [] });
  });
  it('text that already looks like a seal (a TXT value holding ${{ params.token }}) comes back as it was, never as the secret', () => {
    const record = { before: ['tmpl=${{ params.token }}', "${{ '$' }}", 'abc123 and ${{ params.other }}'] };
    const sealed = sealSecrets(record, { token: 'abc123' });
    expect(JSON.stringify(sealed)).not.toContain('abc123');
    expect(unsealSecrets(sealed, { token: 'abc123' }, ['token'])).toEqual({ value: record, missing: [] });
    // Nothing of it is taken for a seal of its own: given no value, only the real seal is missing.
    expect(unsealSecrets(sealed, {}, ['token']).missing).toEqual(['token']);
    expect(unsealSecrets({ before: ['tmpl=x'] }, {}, ['token']).missing).toEqual([]);
  });
  it('round-trips exactly for any values, overlapping secret params and seal-like text included (property)', () => {
    const unit = fc.constantFrom('a', 'b', '$', '{', '}', ' ', 'p', '${{ params.one }}', '${{ params.two }}', "${{ '$' }}", '{{ params.one }}', "{{ '$' }}", "'");
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 4, unit }), fc.string({ minLength: 1, maxLength: 4, unit }), fc.array(fc.string({ maxLength: 20, unit }), { maxLength: 4 }), (one, two, strings) => {
        const params = { one, two };
        const record = { strings, joined: strings.join(one + two) };
        const sealed = sealSecrets(record, params);
        expect(unsealSecrets(sealed, params, ['one', 'two']).value).toEqual(record);
      }),
    );
  });
  it('only the names given are read as seals; a missing one stays sealed and is reported', () => {
    const sealed = { run: ['x', '${{ params.token }}', '${{ params.other }}'] };
    expect(unsealSecrets(sealed, {}, ['token'])).toEqual({ value: sealed, missing: ['token'] });
    expect(undosMissingSecrets({ a: sealed, b: { run: ['y'] } }, ['token'])).toEqual([{ stepId: 'a', params: ['token'], envVars: ['LIFEBOAT_PARAM_TOKEN'] }]);
    expect(sealedUndoRefusal('a', sealed, ['token'])).toMatch(/undo of a needs the secret param token.*LIFEBOAT_PARAM_TOKEN=/);
    expect(sealedUndoRefusal('b', { run: ['y'] }, ['token'])).toBeUndefined();
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
  it('overlapping secrets split over chunks: no part of either is shown', () => {
    for (const chunks of [[...'pw=Hunter2-token-xyz and Hunt.'], ['pw=Hun', 'ter2-tok', 'en-xyz and Hu', 'nt.'], ['pw=Hunt', 'er2-token-xyz and Hunt', '.']]) {
      const { out, text } = run(['Hunt', 'Hunter2-token-xyz'], chunks);
      expect(text).toBe('pw=*** and ***.');
      expect(out.join('|')).not.toMatch(/er2|token|xyz|Hun/);
    }
    const { text } = run(['abcdef', 'defgh'], ['x abcd', 'ef', 'gh y']);
    expect(text.replaceAll('******', '***')).toBe('x *** y');
    expect(text).not.toMatch(/[a-h]{2}/);
  });
  it('passes chunks straight through with no secrets', () => {
    expect(run([], ['a', 'b']).out).toEqual(['a', 'b']);
  });
});
