/**
 * Secrets: the one place that knows what a secret is and how it is kept out of sight. Pure.
 *
 * A secret is known by the name it travels under (an environment variable such as
 * GITHUB_TOKEN, DEPLOY_KEY or slackApiKey: `isSecretName`) or because the runbook declared it
 * (`secret: true` params). Two different things are done with them:
 *
 * - **Masking** (`redact`, `redactDeep`, `StreamRedactor`): in what people read (the screen,
 *   reports, plans, error messages, step output) every occurrence of a secret is replaced by
 *   `***`. Where secrets overlap, the union of their occurrences is masked, so no part of any
 *   of them is ever shown. Masking loses information: it is never applied to what the journal
 *   needs to act on (undo records, captured "before" states).
 * - **Sealing** (`sealSecrets`, `unsealSecrets`): a secret *param*'s value is never written to
 *   the journal, not even in an undo record. In records it is replaced by the template
 *   `${{ params.<name> }}` and put back, exactly, when the run is resumed or rolled back and
 *   the param is given again (`LIFEBOAT_PARAM_<NAME>`).
 */

export const REDACTED = '***';

/**
 * Environment values shorter than this are not taken as secrets: `SOME_KEY=1` would mask
 * every "1" on the screen, and the `test` or `testing` that local endpoints are given as
 * AWS_SECRET_ACCESS_KEY would turn `latest` into `la***` in plans and step outputs (which
 * later steps read). Real keys and tokens are far longer. Declared secret params are masked
 * whatever their length: a short secret is declared `secret: true`.
 */
export const MIN_SECRET_LENGTH = 8;

// ------------------------------------------------------------------ names

/** A word of the name that makes it a secret wherever it is: DB_PASSWORD, pgpassword, GPG_PASSPHRASE. */
const SECRET_WORD = /secret|passwd|password|passphrase|credential/;
/** "token" as a word or at the end of one (GITHUB_TOKEN, ghtoken), not in TOKENIZERS_PARALLELISM. */
const TOKEN_WORD = /token(s)?$/;
/** "key" counts as a word of the name (API_KEY, apiKey, private-key), not inside one (KEYBOARD, MONKEY). */
const KEY_WORDS = new Set(['key', 'keys', 'apikey', 'accesskey', 'secretkey', 'privatekey', 'signingkey', 'masterkey', 'authkey', 'sshkey', 'deploykey']);
/** A last word saying the value names a secret rather than being one: AWS_ACCESS_KEY_ID, KMS_KEY_ARN, SECRET_NAME. */
const IDENTIFIER_WORDS = new Set(['id', 'ids', 'arn', 'arns', 'name', 'names', 'region', 'endpoint']);

/** The words of a name: camelCase and separators split, lower case (slackApiKey → slack api key). */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/**
 * Whether an environment variable (or param, or query parameter) name says its value is a
 * secret. The one rule for every place that decides it.
 */
export function isSecretName(name: string): boolean {
  const words = nameWords(name);
  if (words.length === 0) return false;
  if (words.length > 1 && IDENTIFIER_WORDS.has(words[words.length - 1] as string)) return false;
  return words.some(
    (w, i) =>
      SECRET_WORD.test(w) ||
      TOKEN_WORD.test(w) ||
      KEY_WORDS.has(w) ||
      // MYSQL_PWD is a password; PWD alone is the working directory.
      (w === 'pwd' && (i > 0 || words.length > 1)),
  );
}

// ------------------------------------------------------------------ which values

/** De-duplicated, non-empty, longest first. */
function normalise(values: Iterable<string | undefined>): string[] {
  const set = new Set<string>();
  for (const s of values) if (typeof s === 'string' && s !== '') set.add(s);
  return [...set].sort((a, b) => b.length - a.length);
}

/** Values found by name (environment variables): long enough to be worth masking, de-duplicated, longest first. */
export function secretList(values: Iterable<string | undefined>): string[] {
  return normalise([...values].filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH));
}

/** The values of the secret-named variables of an environment block (the process's, or a shell step's `with.env`). */
export function secretEnvValues(env: Readonly<Record<string, string | undefined>> | undefined): string[] {
  if (!env) return [];
  return secretList(Object.entries(env).filter(([name]) => isSecretName(name)).map(([, value]) => value));
}

/** What a run keeps secret. */
export interface Secrets {
  /** Every value to mask in what people read, longest first. */
  readonly values: readonly string[];
  /** The declared secret params given to this run, by name: sealed in undo records, never journaled. */
  readonly params: Readonly<Record<string, string>>;
}

export const NO_SECRETS: Secrets = Object.freeze({ values: Object.freeze([]), params: Object.freeze({}) });

/**
 * A run's secrets: the values of its secret params (any length) and of the secret-named
 * variables of its environment (at least MIN_SECRET_LENGTH long).
 */
export function collectSecrets(o: {
  env?: Readonly<Record<string, string | undefined>> | undefined;
  params?: Readonly<Record<string, string>> | undefined;
  secretNames?: readonly string[] | undefined;
  /** More values to mask, already chosen (e.g. a caller's `secretEnvValues`). */
  extra?: readonly string[] | undefined;
}): Secrets {
  const params: Record<string, string> = {};
  for (const n of o.secretNames ?? []) {
    const v = o.params?.[n];
    if (typeof v === 'string' && v !== '') params[n] = v;
  }
  return { values: normalise([...Object.values(params), ...secretEnvValues(o.env), ...(o.extra ?? [])]), params };
}

function valuesOf(secrets: readonly string[] | Secrets): readonly string[] {
  return isSecrets(secrets) ? secrets.values : secrets;
}

function isSecrets(x: readonly string[] | Secrets): x is Secrets {
  return !Array.isArray(x);
}

// ------------------------------------------------------------------ masking

/** Every [start, end) covered by an occurrence of some secret, merged: overlapping or touching ones become one. */
function coveredRanges(text: string, secrets: readonly string[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const s of secrets) {
    if (s === '') continue;
    // Every occurrence, overlapping ones too ("aaa" in "aaaa" at 0 and 1).
    for (let i = text.indexOf(s); i !== -1; i = text.indexOf(s, i + 1)) ranges.push([i, i + s.length]);
  }
  if (ranges.length === 0) return ranges;
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: Array<[number, number]> = [[...ranges[0] as [number, number]]];
  for (const [start, end] of ranges.slice(1)) {
    const last = merged[merged.length - 1] as [number, number];
    if (start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/**
 * Replace every occurrence of each secret in `text` with `***`. Overlapping secrets
 * (`Hunt`, `Hunter2-token-xyz`) are masked as the union of their occurrences: no part of
 * either is left. Secrets are text, not patterns.
 */
export function redact(text: string, secrets: readonly string[] | Secrets): string {
  const list = valuesOf(secrets);
  if (list.length === 0 || text === '') return text;
  const ranges = coveredRanges(text, list);
  if (ranges.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [start, end] of ranges) {
    out += text.slice(at, start) + REDACTED;
    at = end;
  }
  return out + text.slice(at);
}

/** `redact` bound to a run's secrets, for the screen and reports. */
export function redactor(secrets: readonly string[] | Secrets): (text: string) => string {
  const list = normalise(valuesOf(secrets));
  return list.length === 0 ? (text) => text : (text) => redact(text, list);
}

/** Every string value (not the keys) of a plain JSON-like value masked; numbers, booleans and null as they are. */
export function redactDeep<T>(value: T, secrets: readonly string[] | Secrets | ((text: string) => string)): T {
  const fn = typeof secrets === 'function' ? secrets : redactor(secrets);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fn(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * Masks a stream of text chunks, including a secret split across chunks. The raw text that
 * could still turn out to be (part of) a secret is held back until the next chunk or `end()`
 * decides: a suffix that is a proper prefix of a secret, and any occurrence reaching into it
 * (so an overlapping secret is masked whole). With no secrets, chunks pass straight through.
 */
export class StreamRedactor {
  private readonly secrets: string[];
  private pending = '';

  constructor(
    secrets: readonly string[] | Secrets,
    private readonly emit: (text: string) => void,
  ) {
    this.secrets = normalise(valuesOf(secrets));
  }

  push(chunk: string): void {
    if (chunk === '') return;
    if (this.secrets.length === 0) {
      this.emit(chunk);
      return;
    }
    const text = this.pending + chunk;
    const ranges = coveredRanges(text, this.secrets);
    let cut = text.length - this.heldTail(text);
    // A masked stretch running into the held tail is held too: what follows may extend it.
    for (let moved = true; moved; ) {
      moved = false;
      for (const [start, end] of ranges) {
        if (start < cut && end > cut) {
          cut = start;
          moved = true;
        }
      }
    }
    this.pending = text.slice(cut);
    const ready = text.slice(0, cut);
    if (ready !== '') this.emit(redact(ready, this.secrets));
  }

  /** Flush what was held back: the stream ended, so it cannot grow into anything else. */
  end(): void {
    if (this.pending !== '') this.emit(redact(this.pending, this.secrets));
    this.pending = '';
  }

  /** Length of the longest suffix of `text` that is a proper prefix of some secret. */
  private heldTail(text: string): number {
    let keep = 0;
    for (const s of this.secrets) {
      for (let k = Math.min(s.length - 1, text.length); k > keep; k--) {
        if (text.endsWith(s.slice(0, k))) {
          keep = k;
          break;
        }
      }
    }
    return keep;
  }
}

// ------------------------------------------------------------------ sealing

/** Where a secret param comes from when it is given again: LIFEBOAT_PARAM_<NAME>. */
export function paramEnvName(name: string): string {
  return `LIFEBOAT_PARAM_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** The runbook template that stands for a param: `${{ params.<name> }}`. */
export function paramTemplate(name: string): string {
  return `\${{ params.${name} }}`;
}

/**
 * What a sealed record may hold besides plain text: a seal, `${{ params.<name> }}`, or an
 * escaped dollar, `${{ '$' }}`. Text that already looked like either before sealing (a
 * Route 53 TXT value holding `${{ params.token }}`) has its `$` escaped, so unsealing puts
 * it back as it was instead of putting the secret in its place.
 */
const SEALED_TOKEN = /\$\{\{ '\$' \}\}|\$\{\{ params\.([A-Za-z0-9_-]+) \}\}/g;
const ESCAPED_DOLLAR = "${{ '$' }}";
const LOOKS_SEALED = /^\$\{\{ (?:'\$'|params\.[A-Za-z0-9_-]+) \}\}/;

/** One left-to-right pass: at each position the longest secret value found there is sealed; text that looks sealed is escaped. */
function sealText(text: string, byValue: ReadonlyArray<[string, string]>): string {
  if (text === '' || byValue.length === 0) return text;
  let out = '';
  let plainFrom = 0;
  let i = 0;
  while (i < text.length) {
    const hit = byValue.find(([value]) => text.startsWith(value, i));
    if (hit) {
      out += text.slice(plainFrom, i) + paramTemplate(hit[1]);
      i += hit[0].length;
      plainFrom = i;
    } else if (text.startsWith('${{', i) && LOOKS_SEALED.test(text.slice(i))) {
      out += text.slice(plainFrom, i) + ESCAPED_DOLLAR;
      i += 1;
      plainFrom = i;
    } else i += 1;
  }
  return plainFrom === 0 ? text : out + text.slice(plainFrom);
}

function mapStringsAndKeys(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStringsAndKeys(v, fn));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [fn(k), mapStringsAndKeys(v, fn)]));
  return value;
}

/**
 * A record fit for the journal: every occurrence of a secret param's value (in string values
 * and object keys, deeply) replaced by `${{ params.<name> }}`. Nothing else changes, so
 * `unsealSecrets` with the same params gives the record back exactly.
 */
export function sealSecrets<T>(value: T, params: Readonly<Record<string, string>>): T {
  const byValue = Object.entries(params)
    .filter(([, v]) => v !== '')
    .map(([name, v]): [string, string] => [v, name])
    .sort((a, b) => b[0].length - a[0].length);
  if (byValue.length === 0) return value;
  return mapStringsAndKeys(value, (s) => sealText(s, byValue)) as T;
}

/**
 * A journaled record with the secret params it was sealed with put back. `sealedNames`
 * (the run's `secretParams`) limits which templates are read as seals. `missing`: the
 * sealed params that `params` does not give; their templates stay in `value`.
 */
export function unsealSecrets<T>(value: T, params: Readonly<Record<string, string>>, sealedNames: readonly string[]): { value: T; missing: string[] } {
  const sealed = new Set(sealedNames);
  const missing = new Set<string>();
  // A run with no secret params sealed nothing and escaped nothing: its records are as read.
  if (sealed.size === 0) return { value, missing: [] };
  const out = mapStringsAndKeys(value, (s) =>
    s.includes('${{')
      ? s.replace(SEALED_TOKEN, (whole, name: string | undefined) => {
          if (name === undefined) return '$';
          if (!sealed.has(name)) return whole;
          const v = params[name];
          if (v === undefined) {
            missing.add(name);
            return whole;
          }
          return v;
        })
      : s,
  ) as T;
  return { value: out, missing: [...missing].sort() };
}

/** The secret params (of `sealedNames`) a record still holds sealed, i.e. needs given to be used. */
export function sealedParams(value: unknown, sealedNames: readonly string[]): string[] {
  return unsealSecrets(value, {}, sealedNames).missing;
}

/** One step's undo record that cannot be used: the secret params it needs and where to give them. */
export interface MissingSecretUndo {
  stepId: string;
  params: string[];
  /** `LIFEBOAT_PARAM_<NAME>` for each of `params`. */
  envVars: string[];
}

/**
 * Which undo records (by step, in the order given) still hold sealed secret params, and so
 * cannot be carried out until those are given. `undos` as restored (after `unsealSecrets`
 * with what was given): anything still sealed is missing.
 */
export function undosMissingSecrets(undos: Readonly<Record<string, unknown>>, sealedNames: readonly string[], stepIds: readonly string[] = Object.keys(undos)): MissingSecretUndo[] {
  const out: MissingSecretUndo[] = [];
  for (const stepId of stepIds) {
    const params = sealedParams(undos[stepId], sealedNames);
    if (params.length > 0) out.push({ stepId, params, envVars: params.map(paramEnvName) });
  }
  return out;
}

/**
 * Why an undo record cannot be carried out now (it still holds sealed secret params), or
 * undefined when it can. The message names the environment variables to set.
 */
export function sealedUndoRefusal(stepId: string, undo: unknown, sealedNames: readonly string[]): string | undefined {
  const params = sealedParams(undo, sealedNames);
  if (params.length === 0) return undefined;
  const s = params.length > 1 ? 's' : '';
  return (
    `the undo of ${stepId} needs the secret param${s} ${params.join(', ')}, which ${params.length > 1 ? 'are' : 'is'} never journaled: ` +
    `set ${params.map((p) => `${paramEnvName(p)}=…`).join(' ')} in the environment and roll back again (nothing was done for this step)`
  );
}
