/**
 * A run id on the command line names exactly one run (contract §4 "Ids and files"): an
 * empty id or an ambiguous prefix/suffix is exit 2, never a guess; a unique prefix or
 * suffix still works.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { EntryBody } from '../../src/journal/format.js';
import { JournalWriter, journalPath } from '../../src/journal/store.js';
import { runCli, tempDir } from '../helpers/cli.js';

const start = (runId: string): EntryBody => ({
  type: 'run-start',
  runId,
  runbook: { file: '/nowhere/rb.yaml', name: 'rb', hash: 'h' },
  lifeboat: '0.1.0',
  mode: 'run',
  params: {},
  secretParams: [],
  user: 'u',
  host: 'elsewhere',
  pid: 1,
});

async function stateWith(ids: string[]): Promise<string> {
  const dir = tempDir();
  for (const id of ids) {
    const w = await JournalWriter.open(dir, id, { secrets: [], env: {} });
    await w.append(start(id));
    await w.close();
  }
  return dir;
}

describe('run ids on the command line', () => {
  test('an empty id is exit 2 even when only one run exists, and that run is left alone', async () => {
    const id = '20261123T041200Z-rb-aaaa';
    const sd = await stateWith([id]);
    const before = readFileSync(journalPath(sd, id), 'utf8');
    for (const args of [['rollback', '', '--yes'], ['resume', '', '--yes'], ['show', ''], ['rollback', '  ', '--yes']]) {
      const r = await runCli([...args, '--state-dir', sd]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/run id is empty: it must name exactly one run/);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
    expect(readFileSync(journalPath(sd, id), 'utf8')).toBe(before);
  });

  test('an ambiguous prefix or suffix is exit 2 listing every candidate; a unique one works', async () => {
    const ids = ['20261123T041200Z-rb-aaaa', '20261123T051200Z-rb-bbbb', '20261123T061200Z-rb-cccc', '20261123T071200Z-rb-dddd', '20261124T061200Z-other-bbbb'];
    const sd = await stateWith(ids);
    const before = ids.map((id) => readFileSync(journalPath(sd, id), 'utf8'));

    const prefix = await runCli(['rollback', '20261123T', '--yes', '--state-dir', sd]);
    expect(prefix.code, prefix.stderr).toBe(2);
    expect(prefix.stderr).toMatch(/"20261123T" matches 4 runs/);
    for (const id of ids.slice(0, 4)) expect(prefix.stderr).toContain(id);
    expect(prefix.stderr).not.toContain(ids[4]);

    const suffix = await runCli(['resume', 'bbbb', '--yes', '--state-dir', sd]);
    expect(suffix.code, suffix.stderr).toBe(2);
    expect(suffix.stderr).toMatch(/"bbbb" matches 2 runs/);
    for (const id of [ids[1], ids[4]]) expect(suffix.stderr).toContain(id);

    const shown = await runCli(['show', '20261124', '--json', '--state-dir', sd]);
    expect(shown.code, shown.stderr).toBe(0);
    expect((JSON.parse(shown.stdout) as { runId: string }).runId).toBe(ids[4]);
    const bySuffix = await runCli(['show', 'rb-aaaa', '--json', '--state-dir', sd]);
    expect(bySuffix.code, bySuffix.stderr).toBe(0);
    expect((JSON.parse(bySuffix.stdout) as { runId: string }).runId).toBe(ids[0]);

    expect(ids.map((id) => readFileSync(journalPath(sd, id), 'utf8'))).toEqual(before);
  });
});
