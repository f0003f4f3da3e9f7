import { readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { durabilityOf, JournalWriter, journalPath, listRunIds, loadRun, newRunId, readJournal, resolveRunId } from '../../src/journal/store.js';
import { tempDir } from '../helpers/cli.js';
import { collectSecrets } from '../../src/util/redact.js';

import type { EntryBody } from '../../src/journal/format.js';

const start = (runId: string): EntryBody =>
  ({
    type: 'run-start',
    runId,
    runbook: { file: '/rb.yaml', name: 'rb', hash: 'h' },
    lifeboat: '0.1.0',
    mode: 'run',
    params: {},
    secretParams: [],
    user: 'u',
    host: 'h',
    pid: 1,
  });

describe('run ids', () => {
  test('sort by time, also within one second: the suffix starts with the millisecond', () => {
    const second = Date.parse('2026-11-23T04:12:00Z');
    const times = [0, 1, 9, 10, 255, 256, 999, 1000, 1001].map((ms) => new Date(second + ms));
    const ids = times.map((t) => newRunId('region-failover', t));
    for (const id of ids) expect(id).toMatch(/^\d{8}T\d{6}Z-region-failover-[0-9a-f]{4}$/);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('JournalWriter', () => {
  test('appends numbered entries, one a line, with secrets redacted', async () => {
    const dir = tempDir();
    const id = newRunId('rb');
    const w = await JournalWriter.open(dir, id, { secrets: ['s3cr3t-value'], env: {} });
    await w.append(start(id));
    await Promise.all([w.append({ type: 'warning', message: 'the key is s3cr3t-value' }), w.append({ type: 'transition', state: 'checks' })]);
    await w.close();
    const text = readFileSync(journalPath(dir, id), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('s3cr3t-value');
    const { entries, warnings } = await readJournal(dir, id);
    expect(warnings).toEqual([]);
    expect(entries.map((e) => [e.seq, e.type])).toEqual([
      [1, 'run-start'],
      [2, 'warning'],
      [3, 'transition'],
    ]);
    expect(entries[1]).toMatchObject({ message: 'the key is ***' });
  });

  test('the undo record an intent carries is written verbatim, a secret param sealed in it; the run-start leaves the secret param out', async () => {
    const dir = tempDir();
    const id = newRunId('rb');
    const secrets = collectSecrets({ env: { DEPLOY_KEY: 'primarydb' }, params: { token: 's3cr3t-value', zone: 'Z1' }, secretNames: ['token'] });
    const w = await JournalWriter.open(dir, id, { secrets, env: {} });
    await w.append({ ...start(id), params: { zone: 'Z1', token: 's3cr3t-value' }, secretParams: ['token'] } as EntryBody);
    const undo = { before: [{ Name: 'app.example.com.', ResourceRecords: [{ Value: 'primarydb.example.com' }] }], run: ['undo', 's3cr3t-value'] };
    const appended = await w.append({ type: 'intent', stepId: 'dns', undo });
    await w.append({ type: 'result', stepId: 'dns', outputs: { stdout: 'primarydb s3cr3t-value' }, durationMs: 1, requests: 1 });
    await w.close();
    const text = readFileSync(journalPath(dir, id), 'utf8');
    expect(text).not.toContain('s3cr3t-value');
    const { entries } = await readJournal(dir, id);
    expect(entries[0]).toMatchObject({ params: { zone: 'Z1' }, secretParams: ['token'] });
    expect((entries[0] as { params: Record<string, string> }).params).not.toHaveProperty('token');
    expect(entries[1]).toMatchObject({ type: 'intent', undo: { before: [{ ResourceRecords: [{ Value: 'primarydb.example.com' }] }], run: ['undo', '${{ params.token }}'] } });
    expect(appended).toMatchObject({ undo: { run: ['undo', '${{ params.token }}'] } });
    expect(entries[2]).toMatchObject({ outputs: { stdout: '*** ***' } });
  });

  test('reopened with lastSeq it continues the numbering; a torn last line is ended first', async () => {
    const dir = tempDir();
    const id = newRunId('rb');
    const w = await JournalWriter.open(dir, id, { secrets: [], env: {} });
    await w.append(start(id));
    await w.append({ type: 'transition', state: 'checks' });
    await w.close();
    const path = journalPath(dir, id);
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, -15)); // a crash mid-write of entry 2

    const torn = await loadRun(dir, id);
    expect(torn.warnings[0]).toMatch(/incomplete/);
    expect(torn.run.lastSeq).toBe(1);

    const again = await JournalWriter.open(dir, id, { secrets: [], env: {}, lastSeq: torn.run.lastSeq });
    await again.append({ type: 'resumed', by: 'u', pid: 2, force: false, command: 'resume' });
    await again.close();
    const after = await readJournal(dir, id);
    expect(after.entries.map((e) => [e.seq, e.type])).toEqual([
      [1, 'run-start'],
      [2, 'resumed'],
    ]);
    expect(after.warnings).toHaveLength(1);
    expect(after.warnings[0]).toMatch(/unreadable line ignored/);
  });
});

/** FileHandle.prototype.datasync, to count and fail fdatasyncs (the class is not exported). */
async function datasyncSpy() {
  const probe = await open(join(tempDir(), 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
  await probe.close();
  return vi.spyOn(proto, 'datasync');
}

const lines = (dir: string, id: string) => readFileSync(journalPath(dir, id), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { type: string }).type);

describe('group commit', () => {
  afterEach(() => vi.restoreAllMocks());

  test('only what an undo depends on waits for its fdatasync: intents and the way back now, a result soon, the rest rides', () => {
    expect(['intent', 'undo-start', 'undo-done', 'undo-failed', 'step-failed', 'interrupt', 'run-start', 'resumed', 'run-end', 'drift', 'warning'].map((t) => durabilityOf(t as EntryBody['type']))).toEqual(Array(11).fill('now'));
    expect(durabilityOf('result')).toBe('soon');
    expect(['transition', 'plan', 'decision', 'step-start', 'skipped'].map((t) => durabilityOf(t as EntryBody['type']))).toEqual(Array(5).fill('ride'));
  });

  test('entries are in the file, in call order, when append returns; one fdatasync makes all of them durable before the intent resolves', async () => {
    const dir = tempDir();
    const id = newRunId('rb');
    const w = await JournalWriter.open(dir, id, { secrets: [], env: {} });
    await w.append(start(id));
    const sync = await datasyncSpy();
    // Not awaited: each is written synchronously, so the file holds it at once.
    void w.append({ type: 'transition', state: 's:a.planning' });
    void w.append({ type: 'plan', stepId: 'a', summary: 'x', mutating: true });
    void w.append({ type: 'decision', stepId: 'a', phase: 'before', choice: 'proceed', who: 'u', by: '--yes' });
    void w.append({ type: 'step-start', stepId: 'a', attempt: 1 });
    expect(lines(dir, id)).toEqual(['run-start', 'transition', 'plan', 'decision', 'step-start']);
    expect(sync).not.toHaveBeenCalled();
    const intent = w.append({ type: 'intent', stepId: 'a', undo: { before: 1 } });
    expect(lines(dir, id)).toHaveLength(6);
    await intent;
    expect(sync).toHaveBeenCalledTimes(1);
    // A result starts its fdatasync without being waited for; close waits for it.
    await w.append({ type: 'result', stepId: 'a', outputs: {}, durationMs: 1, requests: 1 });
    await w.close();
    expect(sync).toHaveBeenCalledTimes(2);
    const { entries } = await readJournal(dir, id);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  test('an intent written while an fdatasync is under way waits for one that started after it', async () => {
    const dir = tempDir();
    const id = newRunId('rb');
    const w = await JournalWriter.open(dir, id, { secrets: [], env: {} });
    const sync = await datasyncSpy();
    const first = w.append(start(id));
    const intent = w.append({ type: 'intent', stepId: 'a', undo: {} });
    await Promise.all([first, intent]);
    // The first fdatasync started before the intent was written: a second one covers it.
    expect(sync).toHaveBeenCalledTimes(2);
    await w.close();
  });

  test("a failed fdatasync (even a result's, in the background) breaks the journal: listeners are told, later appends are refused", async () => {
    const dir = tempDir();
    const id = newRunId('rb');
    const w = await JournalWriter.open(dir, id, { secrets: [], env: {} });
    await w.append(start(id));
    const broken: unknown[] = [];
    w.onBroken((err) => broken.push(err));
    const sync = await datasyncSpy();
    sync.mockRejectedValue(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    await w.append({ type: 'result', stepId: 'a', outputs: {}, durationMs: 1, requests: 1 }); // resolves: written, its sync in the background
    await vi.waitFor(() => expect(broken).toHaveLength(1));
    await expect(w.append({ type: 'transition', state: 'completed' })).rejects.toThrow(/no space/);
    await expect(w.append({ type: 'intent', stepId: 'b', undo: {} })).rejects.toThrow(/no space/);
    await expect(w.close()).rejects.toThrow(/no space/);
    expect(broken).toHaveLength(1);
    expect(lines(dir, id)).toEqual(['run-start', 'result']);
  });
});

describe('loadRun', () => {
  test('finds a run by a unique prefix or suffix; an unknown id is a usage error naming the nearest', async () => {
    const dir = tempDir();
    const ids = ['20261123T041200Z-rb-aaaa', '20261123T051200Z-rb-bbbb'];
    for (const id of ids) {
      const w = await JournalWriter.open(dir, id, { secrets: [], env: {} });
      await w.append(start(id));
      await w.close();
    }
    expect(await listRunIds(dir)).toEqual(ids);
    expect((await loadRun(dir, 'bbbb')).run.runId).toBe(ids[1]);
    expect((await loadRun(dir, 'rb-bbbb')).run.runId).toBe(ids[1]);
    // Shorter than the id's 4-hex end: not a suffix (`rollback b` must not pick a run).
    await expect(loadRun(dir, 'bbb')).rejects.toThrow(/no run bbb/);
    await expect(loadRun(dir, 'b')).rejects.toThrow(/no run b /);
    expect((await loadRun(dir, '20261123T0412')).run.runId).toBe(ids[0]);
    await expect(loadRun(dir, '20261123T041200Z-rb-aaab')).rejects.toThrow(/did you mean 20261123T041200Z-rb-aaaa/);
    await expect(loadRun(dir, '20261123')).rejects.toThrow(/matches 2 runs/);
    await expect(loadRun(tempDir(), 'x')).rejects.toBeInstanceOf(UsageError);
  });

  test('an id names exactly one run: empty, blank or ambiguous is a usage error listing the candidates', () => {
    const ids = ['20261123T041200Z-rb-aaaa', '20261123T051200Z-rb-bbbb', '20261123T061200Z-rb-cccc', '20261123T071200Z-rb-dddd', '20261124T000000Z-x-bbbb'];
    expect(() => resolveRunId('', ids.slice(0, 1), '/sd')).toThrow(/run id is empty/);
    expect(() => resolveRunId(' \t', ids.slice(0, 1), '/sd')).toThrow(UsageError);
    const err = (() => {
      try {
        resolveRunId('20261123', ids, '/sd');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect(err?.message).toMatch(/matches 4 runs/);
    for (const id of ids.slice(0, 4)) expect(err?.message).toContain(id);
    expect(() => resolveRunId('bbbb', ids, '/sd')).toThrow(/matches 2 runs/);
    expect(resolveRunId('rb-bbbb', ids, '/sd')).toBe(ids[1]);
    expect(resolveRunId('20261124', ids, '/sd')).toBe(ids[4]);
    expect(resolveRunId(ids[0] as string, ids, '/sd')).toBe(ids[0]);
  });
});
