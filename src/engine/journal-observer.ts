/**
 * The run's journal as the engine uses it. Every entry is written in order at once, and is
 * as durable as its type needs when `write` resolves (group commit, see `Durability` in
 * journal/store.ts: an intent is fdatasynced before its side effect; transitions, plans and
 * decisions ride the next fdatasync). The first write or fdatasync that fails (disk full,
 * permissions, a vanished directory) is kept and reported once, and from then on every
 * effect refuses to start: no change is made that the journal could not record. Entries the machine's transitions produce (transitions,
 * skips) are queued with `note` and never left as unhandled promises.
 */
import { ExitCode, LifeboatError } from '../errors.js';
import type { EntryBody } from '../journal/format.js';
import type { JournalWriter } from '../journal/store.js';

/** The journal could not be written: the world may be changed and a person must look (exit 4). */
export class JournalWriteError extends LifeboatError {
  readonly code: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as { code?: unknown } | null)?.code;
    const reason = cause instanceof Error ? cause.message : String(cause);
    super({
      what: `the journal could not be written (${reason}): no further change was made`,
      where: path,
      hint: hintFor(typeof code === 'string' ? code : undefined, path),
      exitCode: ExitCode.rollbackFailed,
      cause,
    });
    this.name = 'JournalWriteError';
    this.code = typeof code === 'string' ? code : undefined;
  }
}

function hintFor(code: string | undefined, path: string): string {
  const dir = path.replace(/\/[^/]*$/, '');
  if (code === 'ENOSPC' || code === 'EDQUOT') return `free space on the file system that holds ${dir} (df -h ${dir})`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `make ${dir} writable for this user`;
  return `make ${dir} writable again`;
}

export class RunJournal {
  failure: JournalWriteError | undefined;

  constructor(
    private readonly writer: JournalWriter,
    private readonly onFailure: (err: JournalWriteError) => void = () => undefined,
    /** Told of each entry once it is written (--notify); it must not throw or wait. */
    private readonly observer?: (entry: EntryBody) => void,
  ) {
    // A result's fdatasync runs in the background: its failure stops the run as a write's would.
    writer.onBroken((err) => this.fail(err));
  }

  get path(): string {
    return this.writer.path;
  }

  /** Append (durable as its type needs); rejects with the JournalWriteError once the journal is broken. */
  async write(body: EntryBody): Promise<void> {
    if (this.failure) throw this.failure;
    try {
      await this.writer.append(body);
    } catch (err) {
      throw this.fail(err);
    }
    try {
      this.observer?.(body);
    } catch {
      // a notification never fails the run
    }
  }

  /** Queue an entry without waiting for it (it stays in order with every other one); a failure is kept, not thrown. */
  note(body: EntryBody): void {
    this.write(body).catch(() => undefined);
  }

  /** Throw the journal's failure, if any: called before every effect. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    try {
      await this.writer.close();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): JournalWriteError {
    if (err instanceof JournalWriteError) return err;
    if (!this.failure) {
      this.failure = new JournalWriteError(this.writer.path, err);
      this.onFailure(this.failure);
    }
    return this.failure;
  }
}
