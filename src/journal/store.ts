/**
 * Journal files on disk: <state-dir>/runs/<run-id>/journal.jsonl. Each entry is appended
 * and fsynced before the call returns, so an intent is durable before the side effect it
 * describes. Secret values are redacted from every entry before it is written.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { makeRunId, parseJournal, redactEntry, replay, serializeEntry, type EntryBody, type JournalEntry, type ParsedJournal, type ReplayedRun } from './format.js';

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
    private readonly secrets: readonly string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.seq = startSeq;
    this.crashAfter = crashPoint(env);
  }

  /** Open (creating if needed) a run's journal for appending. */
  static async open(stateDir: string, runId: string, options: { secrets: readonly string[]; env?: NodeJS.ProcessEnv; lastSeq?: number }): Promise<JournalWriter> {
    await mkdir(runDir(stateDir, runId), { recursive: true });
    const path = journalPath(stateDir, runId);
    const fd = await open(path, 'a+');
    try {
      await endTornLine(fd);
    } catch (err) {
      await fd.close();
      throw err;
    }
    return new JournalWriter(fd, path, runId, options.lastSeq ?? 0, options.secrets, options.env ?? process.env);
  }

  /** Append and fsync; resolves once the entry is durable. Appends are serialised. */
  append(body: EntryBody): Promise<JournalEntry> {
    const next = this.chain.then(async () => {
      this.seq += 1;
      const entry = redactEntry({ v: 1, seq: this.seq, at: new Date().toISOString(), ...body } as JournalEntry, this.secrets);
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
 * A run's journal, read and replayed. A missing run is a mistake in the invocation (exit 2),
 * told with the nearest run id; an id may be given by a unique prefix or suffix.
 */
export async function loadRun(stateDir: string, runId: string): Promise<LoadedRun> {
  const ids = await listRunIds(stateDir);
  let id = runId;
  if (!ids.includes(runId)) {
    const matches = ids.filter((r) => r.startsWith(runId) || r.endsWith(runId));
    if (matches.length === 1) id = matches[0] as string;
    else {
      const near = closest(runId, ids);
      throw new UsageError({
        what: matches.length > 1 ? `"${runId}" matches ${matches.length} runs: ${matches.slice(-3).join(', ')}` : `no run ${runId} under ${join(stateDir, 'runs')}`,
        hint: near ? `did you mean ${near}?` : ids.length ? `lifeboat runs --state-dir ${stateDir} lists the ${ids.length} run(s) kept there` : 'check --state-dir (or LIFEBOAT_STATE_DIR): no runs are kept there',
      });
    }
  }
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
