/**
 * Journal files on disk: <state-dir>/runs/<run-id>/journal.jsonl. Each entry is written
 * when it is appended; fdatasyncs are grouped (`Durability`): an intent is durable before
 * the side effect it describes, a result before the next one, the rest rides along. Before an entry is written, its human-readable fields are masked and its
 * records sealed (format.ts `protectEntry`): what the journal acts on is kept verbatim, and a
 * secret param's value is never written.
 */
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { NO_SECRETS, type Secrets } from '../util/redact.js';
import { makeRunId, parseJournal, protectEntry, replay, serializeEntry, type EntryBody, type JournalEntry, type ParsedJournal, type ReplayedRun } from './format.js';

export function runDir(stateDir: string, runId: string): string {
  return join(stateDir, 'runs', runId);
}

export function journalPath(stateDir: string, runId: string): string {
  return join(runDir(stateDir, runId), 'journal.jsonl');
}

/**
 * A new run id: `<UTC second>-<runbook>-<4 hex>`. The suffix is the millisecond (3 hex
 * digits, 000–3e7) and one random digit, so ids of one runbook sort by time within a second
 * too (`ls runs | tail -1` is the latest run). Two runs of a runbook cannot start in the
 * same millisecond in one state directory: the lock lets one at a time start.
 */
export function newRunId(runbookName: string, now = new Date()): string {
  const suffix = now.getUTCMilliseconds().toString(16).padStart(3, '0') + (randomBytes(1)[0] ?? 0).toString(16).slice(-1);
  return makeRunId(runbookName, now, suffix);
}

/**
 * Test-only crash switch: LIFEBOAT_TEST_CRASH_AFTER=n kills the process right after the n-th
 * entry it writes (an entry that must be durable at once: right after its fdatasync). kill -9
 * keeps what was written (the kernel holds it), so crashing after every entry visits every
 * point at which an undo record or a result is on record, as before group commit.
 */
function crashPoint(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.LIFEBOAT_TEST_CRASH_AFTER);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * When an entry must be on disk (group commit):
 * - `now`: the call resolves once it is fdatasynced. An `intent` (the undo record, before its
 *   side effect), the way back's entries (`undo-start` before an undo's change, `undo-done`
 *   before the next), failures, interrupts, and a process's first and last entries.
 * - `soon`: a `result`, an `undo-amend` (what a step learned of a change already made: if it
 *   is lost, the way back leaves that change alone and names it); an fdatasync starts at
 *   once but the run does not wait for it. It must be on disk before the next side effect,
 *   and is: the next `intent` waits for every earlier entry (an fdatasync covers all earlier
 *   writes to the file).
 * - `ride`: transitions, plans, decisions, step starts and skips are written at once and made
 *   durable by the next fdatasync. A crash of the machine (not of the process: kill -9 keeps
 *   what was written) may lose them; no undo depends on them, and resume re-plans and asks.
 */
export type Durability = 'now' | 'soon' | 'ride';

export function durabilityOf(type: EntryBody['type']): Durability {
  switch (type) {
    case 'transition':
    case 'plan':
    case 'decision':
    case 'step-start':
    case 'skipped':
      return 'ride';
    case 'result':
    case 'undo-amend':
      return 'soon';
    default:
      return 'now';
  }
}

export class JournalWriter {
  private seq: number;
  /** Entries written to the file (the write returned), and of those, how many an fdatasync covers. */
  private written = 0;
  private synced = 0;
  private syncing: Promise<void> | undefined;
  /** The first write or fdatasync that failed: the journal is broken from then on. */
  private broken: Error | undefined;
  private closed = false;
  private readonly brokenListeners: Array<(err: Error) => void> = [];
  private readonly crashAfter: number | undefined;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly runId: string,
    startSeq: number,
    private readonly secrets: Secrets,
    env: NodeJS.ProcessEnv,
  ) {
    this.seq = startSeq;
    this.crashAfter = crashPoint(env);
  }

  /**
   * Open (creating if needed) a run's journal for appending. `secrets`: the run's
   * (`collectSecrets`); a bare list of values is masked only (no secret params to seal).
   */
  static async open(stateDir: string, runId: string, options: { secrets: Secrets | readonly string[]; env?: NodeJS.ProcessEnv; lastSeq?: number }): Promise<JournalWriter> {
    await mkdir(runDir(stateDir, runId), { recursive: true });
    const path = journalPath(stateDir, runId);
    const fd = await open(path, 'a+');
    try {
      await endTornLine(fd);
    } catch (err) {
      await fd.close();
      throw err;
    }
    const secrets: Secrets = Array.isArray(options.secrets) ? { ...NO_SECRETS, values: options.secrets } : (options.secrets as Secrets);
    return new JournalWriter(fd, path, runId, options.lastSeq ?? 0, secrets, options.env ?? process.env);
  }

  /**
   * Append an entry. It is written before this returns (entries keep the order of the calls);
   * the promise resolves when it is as durable as its type needs (`durabilityOf`, or
   * `durability` to ask for more). Rejects once the journal is broken.
   */
  append(body: EntryBody, durability: Durability = durabilityOf(body.type)): Promise<JournalEntry> {
    let entry: JournalEntry;
    let index: number;
    try {
      if (this.broken !== undefined) return Promise.reject(this.broken);
      if (this.closed) throw new Error('the journal is closed');
      // Masked and sealed for the file; the caller keeps its own (unmasked) body.
      entry = protectEntry({ v: 1, seq: this.seq + 1, at: new Date().toISOString(), ...body }, this.secrets);
      this.writeLine(serializeEntry(entry));
      this.seq += 1;
      index = ++this.written;
    } catch (err) {
      return Promise.reject(asError(err));
    }
    if (durability === 'ride') {
      this.crashCheck(index);
      return Promise.resolve(entry);
    }
    const durable = this.durable(index);
    if (durability === 'soon') {
      durable.catch(() => undefined); // kept in `broken`: the next append or close reports it
      this.crashCheck(index);
      return Promise.resolve(entry);
    }
    return durable.then(() => {
      this.crashCheck(index);
      return entry;
    });
  }

  /**
   * Told once, when the journal breaks (a write or an fdatasync failed), also when no caller
   * waits for it: a `result`'s fdatasync runs in the background.
   */
  onBroken(listener: (err: Error) => void): void {
    this.brokenListeners.push(listener);
  }

  /** Resolves once every entry written so far is on disk. */
  flush(): Promise<void> {
    return this.durable(this.written);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.syncing?.catch(() => undefined);
      await this.fh.close();
    }
  }

  /**
   * The whole line, with a synchronous write: it takes microseconds (the page cache), keeps
   * the entries in call order without a queue, and is in the file before the caller goes on.
   */
  private writeLine(line: string): void {
    const buf = Buffer.from(line, 'utf8');
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(this.fh.fd, buf, off, buf.length - off);
    } catch (err) {
      this.breaks(err);
      throw err;
    }
  }

  /** Entries up to `index` on disk: one fdatasync at a time, each covering every write before it started. */
  private durable(index: number): Promise<void> {
    if (this.synced >= index) return Promise.resolve();
    if (this.broken !== undefined) return Promise.reject(this.broken);
    this.syncing ??= this.sync();
    return this.syncing.then(() => this.durable(index));
  }

  private async sync(): Promise<void> {
    const upTo = this.written;
    try {
      await this.fh.datasync();
      this.synced = Math.max(this.synced, upTo);
    } catch (err) {
      // After a failed fdatasync what reached the disk is unknown: nothing more is written.
      this.breaks(err);
      throw err;
    } finally {
      this.syncing = undefined;
    }
  }

  private breaks(err: unknown): void {
    if (this.broken !== undefined) return;
    this.broken = asError(err);
    for (const listener of this.brokenListeners) listener(this.broken);
  }

  private crashCheck(index: number): void {
    if (this.crashAfter !== undefined && index >= this.crashAfter) process.kill(process.pid, 'SIGKILL');
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * A journal whose last line was torn by a crash does not end with a newline: end that line
 * first, so the next entry starts a line of its own (the torn one stays, read as unreadable
 * and ignored, as it was not written).
 */
async function endTornLine(fd: FileHandle): Promise<void> {
  const { size } = await fd.stat();
  if (size === 0) return;
  const last = Buffer.alloc(1);
  await fd.read(last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  await fd.appendFile('\n');
  await fd.datasync();
}

export async function readJournal(stateDir: string, runId: string): Promise<ParsedJournal> {
  const path = journalPath(stateDir, runId);
  return parseJournal(await readFile(path, 'utf8'), path);
}

export async function listRunIds(stateDir: string): Promise<string[]> {
  try {
    return (await readdir(join(stateDir, 'runs'))).sort();
  } catch {
    return [];
  }
}

export interface LoadedRun {
  run: ReplayedRun;
  /** Torn or unreadable lines, to show the operator. */
  warnings: string[];
  path: string;
}

/**
 * The one run a command-line run id names: the id itself, or the only run whose id starts
 * or ends with it. An empty id, one that names no run and one that names several are
 * mistakes in the invocation (exit 2): a resume or rollback must never pick a run by guess.
 * `unknownAsGiven`: an id no run here has is taken as typed (a run of another machine).
 */
/** The shortest suffix that names a run: its random part, as `runs` shows it. */
const MIN_SUFFIX = 4;

export function resolveRunId(given: string, ids: readonly string[], stateDir: string, options: { unknownAsGiven?: boolean } = {}): string {
  const text = given.trim();
  const listHint = ids.length ? `lifeboat runs --state-dir ${stateDir} lists the ${ids.length} run(s) kept there` : 'check --state-dir (or LIFEBOAT_STATE_DIR): no runs are kept there';
  if (text === '') {
    throw new UsageError({ what: 'the run id is empty: it must name exactly one run', hint: `give the run id (a unique prefix or suffix will do); ${listHint}` });
  }
  if (ids.includes(text)) return text;
  // A suffix counts from the whole 4-hex end of an id up: `rollback 1` must not pick the one
  // run whose id happens to end in 1.
  const matches = ids.filter((r) => r.startsWith(text) || (text.length >= MIN_SUFFIX && r.endsWith(text)));
  if (matches.length === 1) return matches[0] as string;
  if (matches.length > 1) {
    const shown = matches.slice(0, 20);
    const more = matches.length - shown.length;
    throw new UsageError({
      what: `"${text}" matches ${matches.length} runs, and a run id must name exactly one:\n${shown.map((m) => `      ${m}`).join('\n')}${more > 0 ? `\n      … and ${more} more` : ''}`,
      hint: 'give more of the id: the whole id, or a prefix or suffix only one run has',
    });
  }
  // `--force-unlock`: a lock shared through S3 may be held by a run of another machine.
  if (options.unknownAsGiven) return text;
  const near = closest(text, ids);
  throw new UsageError({ what: `no run ${text} under ${join(stateDir, 'runs')}`, hint: near ? `did you mean ${near}?` : listHint });
}

/**
 * A run's journal, read and replayed. The id must name exactly one run (see resolveRunId):
 * a missing, empty or ambiguous one is a mistake in the invocation (exit 2).
 */
export async function loadRun(stateDir: string, runId: string): Promise<LoadedRun> {
  const id = resolveRunId(runId, await listRunIds(stateDir), stateDir);
  const path = journalPath(stateDir, id);
  let parsed: ParsedJournal;
  try {
    parsed = await readJournal(stateDir, id);
  } catch (err) {
    throw new UsageError({ what: `cannot read the journal of run ${id}: ${(err as Error).message}`, where: path });
  }
  try {
    return { run: replay(parsed.entries), warnings: parsed.warnings, path };
  } catch (err) {
    throw new UsageError({ what: `the journal of run ${id} cannot be used: ${(err as Error).message}`, where: path, hint: 'the run never started properly: there is nothing to resume or roll back' });
  }
}
