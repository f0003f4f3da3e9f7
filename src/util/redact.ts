/**
 * Keeping secrets off the screen, out of the journal and out of reports. A secret is known
 * by the name it travels under (an environment variable such as GITHUB_TOKEN or
 * AWS_SECRET_ACCESS_KEY) or because the runbook declared it (`secret: true` params); every
 * occurrence of its value in output is replaced by `***`.
 */

export const REDACTED = '***';

/** Values shorter than this are not redacted: replacing "1" or "yes" everywhere would wreck the output. */
export const MIN_SECRET_LENGTH = 4;

const SECRET_WORDS = /token|secret|passwd|password|passphrase|credential/;
/** "key" counts as a word of the name (API_KEY, apiKey, private-key), not inside one (KEYBOARD, MONKEY). */
const KEY_WORDS = new Set(['key', 'keys', 'apikey', 'accesskey', 'secretkey', 'privatekey', 'signingkey', 'masterkey', 'authkey', 'sshkey']);

/** Whether an environment variable (or param) name says its value is a secret. */
export function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  if (SECRET_WORDS.test(lower)) return true;
  // Split camelCase and separators into words: apiKey → api key, AWS_ACCESS_KEY_ID → aws access key id.
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((w) => KEY_WORDS.has(w));
}

/** The secrets worth redacting: non-empty, long enough, de-duplicated, longest first. */
export function secretList(secrets: Iterable<string | undefined>): string[] {
  const set = new Set<string>();
  for (const s of secrets) if (typeof s === 'string' && s.length >= MIN_SECRET_LENGTH) set.add(s);
  return [...set].sort((a, b) => b.length - a.length);
}

/** Replace every occurrence of each secret value (length ≥ 4) in `text` with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secretList(secrets)) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** The values of the secret-named variables of an environment block (e.g. a shell step's `with.env`). */
export function secretEnvValues(env: Readonly<Record<string, string | undefined>> | undefined): string[] {
  if (!env) return [];
  return secretList(Object.entries(env).filter(([name]) => isSecretName(name)).map(([, value]) => value));
}

/**
 * Redacts a stream of text chunks, including a secret split across two chunks: whatever
 * tail of the text seen so far could be the start of a secret is held back until the next
 * chunk (or `end()`) shows whether it is one. With no secrets, chunks pass straight through.
 */
export class StreamRedactor {
  private readonly secrets: string[];
  private pending = '';

  constructor(
    secrets: readonly string[],
    private readonly emit: (text: string) => void,
  ) {
    this.secrets = secretList(secrets);
  }

  push(chunk: string): void {
    if (chunk === '') return;
    if (this.secrets.length === 0) {
      this.emit(chunk);
      return;
    }
    const text = redact(this.pending + chunk, this.secrets);
    const keep = this.heldTail(text);
    this.pending = text.slice(text.length - keep);
    const ready = text.slice(0, text.length - keep);
    if (ready !== '') this.emit(ready);
  }

  /** Flush what was held back: the stream ended, so it cannot become a secret. */
  end(): void {
    if (this.pending !== '') this.emit(this.pending);
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
