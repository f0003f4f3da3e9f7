/**
 * Journal files on disk: <state-dir>/runs/<run-id>/journal.jsonl. Each entry is appended
 * and fsynced before the call returns, so an intent is durable before the side effect it
 * describes. Secret values are redacted from every entry before it is written.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { makeRunId, parseJournal, redactEntry, serializeEntry, type EntryBody, type JournalEntry, type ParsedJournal } from './format.js';

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
    const fd = await open(path, 'a');
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
