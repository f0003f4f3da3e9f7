/**
 * Journal files on disk: <state-dir>/runs/<run-id>/journal.jsonl. Each entry is appended
 * and fsynced before the call returns, so an intent is durable before the side effect it
 * describes. Before an entry is written, its human-readable fields are masked and its
 * records sealed (format.ts `protectEntry`): what the journal acts on is kept verbatim, and a
 * secret param's value is never written.
 */
import { randomBytes } from 'node:crypto';
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

export function newRunId(runbookName: string, now = new Date()): string {
  return makeRunId(runbookName, now, randomBytes(2).toString('hex'));
}

/** Test-only crash switch: LIFEBOAT_TEST_CRASH_AFTER=n kills the process right after the n-th fsynced entry. */
function crashPoint(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.LIFEBOAT_TEST_CRASH_AFTER);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export class JournalWriter {
  private seq: number;
  private writes = 0;
  private readonly crashAfter: number | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly fd: FileHandle,
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

  /** Append and fsync; resolves once the entry is durable. Appends are serialised. */
  append(body: EntryBody): Promise<JournalEntry> {
    const next = this.chain.then(async () => {
      this.seq += 1;
      // Masked and sealed for the file; the caller keeps its own (unmasked) body.
      const entry = protectEntry({ v: 1, seq: this.seq, at: new Date().toISOString(), ...body }, this.secrets);
      await this.fd.appendFile(serializeEntry(entry));
      await this.fd.datasync();
      this.writes += 1;
      if (this.crashAfter !== undefined && this.writes >= this.crashAfter) process.kill(process.pid, 'SIGKILL');
      return entry;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.fd.close();
  }
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
 */
export function resolveRunId(given: string, ids: readonly string[], stateDir: string): string {
  const text = given.trim();
  const listHint = ids.length ? `lifeboat runs --state-dir ${stateDir} lists the ${ids.length} run(s) kept there` : 'check --state-dir (or LIFEBOAT_STATE_DIR): no runs are kept there';
  if (text === '') {
    throw new UsageError({ what: 'the run id is empty: it must name exactly one run', hint: `give the run id (a unique prefix or suffix will do); ${listHint}` });
  }
  if (ids.includes(text)) return text;
  const matches = ids.filter((r) => r.startsWith(text) || r.endsWith(text));
  if (matches.length === 1) return matches[0] as string;
  if (matches.length > 1) {
    const shown = matches.slice(0, 20);
    const more = matches.length - shown.length;
    throw new UsageError({
      what: `"${text}" matches ${matches.length} runs, and a run id must name exactly one:\n${shown.map((m) => `      ${m}`).join('\n')}${more > 0 ? `\n      … and ${more} more` : ''}`,
      hint: 'give more of the id: the whole id, or a prefix or suffix only one run has',
    });
  }
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
