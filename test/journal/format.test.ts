import { describe, expect, test } from 'vitest';
import { makeRunId, MASKED_FIELDS, parseJournal, protectEntry, replay, serializeEntry, type EntryBody, type JournalEntry } from '../../src/journal/format.js';
import { collectSecrets, unsealSecrets } from '../../src/util/redact.js';

const START: EntryBody = {
  type: 'run-start',
  runId: '20261123T041200Z-region-failover-7f3a',
  runbook: { file: '/rb/failover.yaml', name: 'region-failover', hash: 'abc' },
  lifeboat: '0.1.0',
  mode: 'run',
  params: { zone: 'Z1' },
  secretParams: ['token'],
  user: 'ana@laptop',
  host: 'laptop',
  pid: 100,
};

function journal(...bodies: EntryBody[]): JournalEntry[] {
  return [START, ...bodies].map((b, i) => ({ v: 1, seq: i + 1, at: new Date(Date.UTC(2026, 10, 23, 4, 12, i)).toISOString(), ...b }));
}

function text(entries: JournalEntry[]): string {
  return entries.map(serializeEntry).join('');
}

describe('parseJournal', () => {
  test('reads every complete line', () => {
    const entries = journal({ type: 'transition', state: 'checks' });
    expect(parseJournal(text(entries))).toEqual({ entries, warnings: [] });
  });

  test('a torn last line (no newline, cut JSON) is dropped with a warning', () => {
    const entries = journal({ type: 'transition', state: 'checks' }, { type: 'step-start', stepId: 'a', attempt: 1 });
    const full = text(entries);
    const torn = full.slice(0, full.length - 10);
    const parsed = parseJournal(torn, 'j.jsonl');
    expect(parsed.entries).toEqual(entries.slice(0, 2));
    expect(parsed.warnings).toEqual(['j.jsonl:3: last line is incomplete (a crash while writing it); ignoring that entry']);
  });

  test('a complete JSON object without its newline is still torn: the fsync did not finish', () => {
    const entries = journal({ type: 'transition', state: 'checks' });
    const parsed = parseJournal(text(entries).slice(0, -1));
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.warnings).toHaveLength(1);
  });

  test('an unreadable middle line (a torn entry continued by resume) is skipped with a warning', () => {
    const entries = journal({ type: 'transition', state: 'checks' });
    const parsed = parseJournal(`${serializeEntry(entries[0] as JournalEntry)}{"v":1,"seq":2,"ty\n${serializeEntry(entries[1] as JournalEntry)}`);
    expect(parsed.entries).toHaveLength(2);
    expect(parsed.warnings[0]).toMatch(/:2: unreadable line ignored/);
  });

  test('lines of another version are not entries', () => {
    const parsed = parseJournal('{"v":2,"seq":1,"type":"run-start"}\n');
    expect(parsed.entries).toEqual([]);
    expect(parsed.warnings).toHaveLength(1);
  });
});

describe('replay', () => {
  test('a run without a start cannot be replayed', () => {
    expect(() => replay([])).toThrow(/no run-start/);
  });

  test('done, in flight and not started: outputs, applied and undo records', () => {
    const run = replay(
      journal(
        { type: 'step-start', stepId: 'dns', attempt: 1 },
        { type: 'intent', stepId: 'dns', undo: { before: 'primary' } },
        { type: 'result', stepId: 'dns', outputs: { changeId: 'C1' }, durationMs: 10, requests: 3 },
        { type: 'step-start', stepId: 'restore', attempt: 1 },
        { type: 'intent', stepId: 'restore', undo: { created: ['a'] } },
        // The step extended its record before writing more (it merges the first one).
        { type: 'intent', stepId: 'restore', undo: { created: ['a', 'b'] } },
      ),
    );
    expect(run.steps).toEqual({ dns: 'done', restore: 'intent' });
    expect(run.outputs).toEqual({ dns: { changeId: 'C1' } });
    expect(run.applied).toEqual(['dns', 'restore']);
    expect(run.undos).toEqual({ dns: { before: 'primary' }, restore: { created: ['a', 'b'] } });
    expect(run.inFlight).toBe('restore');
    expect(run.phase).toBe('forward');
    expect(run.end).toBeUndefined();
    expect(run.lastSeq).toBe(7);
    expect(run.process).toMatchObject({ pid: 100, host: 'laptop', command: 'run' });
  });

  test('a failed step leaves its change on the undo list and is no longer in flight', () => {
    const run = replay(journal({ type: 'step-start', stepId: 'dns', attempt: 1 }, { type: 'intent', stepId: 'dns', undo: 1 }, { type: 'step-failed', stepId: 'dns', error: 'x', changed: true, durationMs: 5 }));
    expect(run.steps.dns).toBe('failed');
    expect(run.applied).toEqual(['dns']);
    expect(run.inFlight).toBeUndefined();
  });

  test('an undo-amend adds what the step learned to its undo record; without a record it is ignored', () => {
    const run = replay(
      journal(
        { type: 'intent', stepId: 'restore', undo: { kind: 's3', expected: { 'p/a': { size: 5 }, 'p/b': { size: 6, etag: 'b1' } } } },
        { type: 'undo-amend', stepId: 'restore', patch: { expected: { 'p/a': { etag: 'a-2' } } } },
        { type: 'undo-amend', stepId: 'restore', patch: { expected: { 'p/b': { etag: 'b2' } } } },
        { type: 'undo-amend', stepId: 'other', patch: { x: 1 } },
      ),
    );
    expect(run.undos.restore).toEqual({ kind: 's3', expected: { 'p/a': { size: 5, etag: 'a-2' }, 'p/b': { size: 6, etag: 'b2' } } });
    expect(run.undos.other).toBeUndefined();
  });


  test('skips: by decision and by entry', () => {
    const run = replay(journal({ type: 'decision', stepId: 'a', phase: 'before', choice: 'skip', who: 'ana' }, { type: 'skipped', stepId: 'b', reason: 'when: false' }));
    expect(run.steps).toEqual({ a: 'skipped', b: 'skipped' });
  });

  test('undo-done takes a step off the undo list, so a second rollback undoes only what is left', () => {
    const run = replay(
      journal(
        { type: 'intent', stepId: 'a', undo: 1 },
        { type: 'result', stepId: 'a', outputs: {}, durationMs: 1, requests: 0 },
        { type: 'intent', stepId: 'b', undo: 2 },
        { type: 'result', stepId: 'b', outputs: {}, durationMs: 1, requests: 0 },
        { type: 'transition', state: 'rollingBack.undoing' },
        { type: 'undo-start', stepId: 'b' },
        { type: 'undo-done', stepId: 'b', durationMs: 3 },
        { type: 'undo-start', stepId: 'a' },
        { type: 'undo-failed', stepId: 'a', error: 'AccessDenied' },
        { type: 'run-end', outcome: 'rollbackFailed', exitCode: 4, durationMs: 9 },
      ),
    );
    expect(run.applied).toEqual(['a']);
    expect(run.steps).toEqual({ a: 'undo-failed', b: 'rolled-back' });
    expect(run.phase).toBe('rollback');
    expect(run.undoFailure).toEqual({ stepId: 'a', error: 'AccessDenied' });
    expect(run.end?.outcome).toBe('rollbackFailed');
  });

  test('a resume clears the earlier end and becomes the driving process', () => {
    const run = replay(
      journal(
        { type: 'run-end', outcome: 'suspended', exitCode: 130, durationMs: 5 },
        { type: 'resumed', by: 'bo@desk', pid: 200, host: 'desk', force: false, command: 'resume' },
      ),
    );
    expect(run.end).toBeUndefined();
    expect(run.process).toMatchObject({ pid: 200, host: 'desk', user: 'bo@desk', command: 'resume' });
    expect(run.phase).toBe('forward');
    const rb = replay(journal({ type: 'resumed', by: 'bo', pid: 3, force: false, command: 'rollback' }));
    expect(rb.phase).toBe('rollback');
  });

  test('a resume or rollback that changed nothing and did not finish (refused on drift, declined) leaves the run where it stood', () => {
    const done = [{ type: 'intent', stepId: 'a', undo: 1 }, { type: 'result', stepId: 'a', outputs: {}, durationMs: 1, requests: 0 }] as const;
    const refused = replay(
      journal(
        ...done,
        { type: 'run-end', outcome: 'completed', exitCode: 0, durationMs: 5 },
        { type: 'resumed', by: 'bo', pid: 3, force: false, command: 'rollback' },
        { type: 'transition', state: 'rollingBack.preview' },
        { type: 'drift', stepId: 'a', items: [], action: 'refused' },
        { type: 'run-end', outcome: 'refused', exitCode: 3, durationMs: 1 },
      ),
    );
    expect(refused.end?.outcome).toBe('completed');
    expect(refused.phase).toBe('forward');
    expect(refused.applied).toEqual(['a']);

    const declined = replay(
      journal(
        ...done,
        { type: 'run-end', outcome: 'aborted', exitCode: 5, durationMs: 5 },
        { type: 'resumed', by: 'bo', pid: 3, force: false, command: 'rollback' },
        { type: 'transition', state: 'rollingBack.preview' },
        { type: 'decision', phase: 'rollback', choice: 'not now', who: 'bo', by: 'operator' },
        { type: 'run-end', outcome: 'aborted', exitCode: 5, durationMs: 1 },
      ),
    );
    expect(declined.phase).toBe('forward');
    expect(declined.end).toMatchObject({ outcome: 'aborted', durationMs: 5 });

    // One undo started: the rollback changed the world, and the run is in its rollback phase.
    const started = replay(
      journal(
        ...done,
        { type: 'run-end', outcome: 'aborted', exitCode: 5, durationMs: 5 },
        { type: 'resumed', by: 'bo', pid: 3, force: false, command: 'rollback' },
        { type: 'undo-start', stepId: 'a' },
        { type: 'run-end', outcome: 'suspended', exitCode: 130, durationMs: 1 },
      ),
    );
    expect(started.phase).toBe('rollback');
    expect(started.end).toMatchObject({ outcome: 'suspended', exitCode: 130 });
  });
});

describe('protectEntry: masks what people read, keeps what the journal acts on', () => {
  const at = (body: EntryBody): JournalEntry => ({ v: 1, seq: 1, at: '2026-11-23T04:12:00.000Z', ...body });
  // DEPLOY_KEY=primarydb: a secret-named environment value that also occurs in the data.
  const secrets = collectSecrets({ env: { DEPLOY_KEY: 'primarydb', HOME: '/home/ana' }, params: { token: 'tok-hunter2', zone: 'Z1' }, secretNames: ['token'] });

  test('an undo record is journaled verbatim: the Route 53 value and the S3 key that contain the secret stay whole', () => {
    const undo = {
      zoneId: 'Z1',
      before: [{ Name: 'app.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primarydb.example.com' }] }],
      overwritten: [{ key: 'secr/primarydb-0001.bin', etag: '"e1"' }],
      created: ['secr/primarydb-0002.bin'],
    };
    const e = protectEntry(at({ type: 'intent', stepId: 'failover-dns', undo }), secrets);
    expect(e).toEqual(at({ type: 'intent', stepId: 'failover-dns', undo }));
  });

  test('what people read is masked: summary, outputs, errors, warnings, skip reasons, plan summaries', () => {
    const result = protectEntry(at({ type: 'result', stepId: 's', outputs: { stdout: 'primarydb is up\nHOME stays' }, durationMs: 1, requests: 0, summary: 'moved to primarydb' }), secrets);
    expect(result).toMatchObject({ outputs: { stdout: '*** is up\nHOME stays' }, summary: 'moved to ***', durationMs: 1 });
    expect(protectEntry(at({ type: 'step-failed', stepId: 's', error: 'tok-hunter2 refused', changed: false, durationMs: 0, outputs: { stdout: 'tok-hunter2' } }), secrets)).toMatchObject({ error: '*** refused', outputs: { stdout: '***' } });
    expect(protectEntry(at({ type: 'undo-failed', stepId: 's', error: 'no primarydb' }), secrets)).toMatchObject({ error: 'no ***' });
    expect(protectEntry(at({ type: 'warning', message: 'primarydb' }), secrets)).toMatchObject({ message: '***' });
    expect(protectEntry(at({ type: 'skipped', stepId: 's', reason: 'primarydb down' }), secrets)).toMatchObject({ reason: '*** down' });
    expect(protectEntry(at({ type: 'plan', stepId: 's', summary: 'UPSERT primarydb', mutating: true }), secrets)).toMatchObject({ summary: 'UPSERT ***' });
  });

  test('a field no list names is verbatim (the journal may act on it), e.g. what a step left behind', () => {
    const body = { type: 'result', stepId: 's', outputs: {}, durationMs: 1, requests: 0, left: { value: 'primarydb.example.com' } } as unknown as EntryBody;
    expect(protectEntry(at(body), secrets)).toMatchObject({ left: { value: 'primarydb.example.com' } });
  });

  test('the run-start keeps the runbook source and non-secret params verbatim, and leaves secret params out', () => {
    const source = 'params:\n  token: { secret: true }\nsteps: [{ id: s, with: { to: primarydb.example.com } }]\n';
    const start = START;
    const e = protectEntry(at({ ...start, runbook: { ...start.runbook, source }, params: { zone: 'primarydb', token: 'tok-hunter2' } }), secrets);
    expect(e).toMatchObject({ params: { zone: 'primarydb' }, secretParams: ['token'], runbook: { source } });
    expect(JSON.stringify(e)).not.toContain('tok-hunter2');
  });

  test('a secret param in an undo record (or what a step left) is sealed as its template, and unsealed exactly', () => {
    const undo = { kind: 'command', run: ['curl', '-H', 'Authorization: Bearer tok-hunter2', 'https://x/tok-hunter2'], env: { TOKEN: 'tok-hunter2' }, keys: { 'a/tok-hunter2': 1 } };
    const e = protectEntry(at({ type: 'intent', stepId: 's', undo }), secrets) as Extract<JournalEntry, { type: 'intent' }>;
    const text = JSON.stringify(e);
    expect(text).not.toContain('tok-hunter2');
    expect(e.undo).toEqual({ kind: 'command', run: ['curl', '-H', 'Authorization: Bearer ${{ params.token }}', 'https://x/${{ params.token }}'], env: { TOKEN: '${{ params.token }}' }, keys: { 'a/${{ params.token }}': 1 } });
    expect(unsealSecrets(e.undo, { token: 'tok-hunter2' }, ['token'])).toEqual({ value: undo, missing: [] });
    expect(unsealSecrets(e.undo, {}, ['token']).missing).toEqual(['token']);
    const left = protectEntry(at({ type: 'result', stepId: 's', outputs: {}, durationMs: 1, requests: 0, left: { header: 'tok-hunter2' } } as unknown as EntryBody), secrets);
    expect(left).toMatchObject({ left: { header: '${{ params.token }}' } });
  });

  test('an undo-amend patch is sealed like the record it adds to: a secret param becomes its reference', () => {
    const e = protectEntry(at({ type: 'undo-amend', stepId: 's', patch: { expected: { k: { header: 'tok-hunter2' } } } }), secrets);
    expect(e).toMatchObject({ patch: { expected: { k: { header: '${{ params.token }}' } } } });
    expect(unsealSecrets((e as Extract<JournalEntry, { type: 'undo-amend' }>).patch, { token: 'tok-hunter2' }, ['token']).value).toEqual({ expected: { k: { header: 'tok-hunter2' } } });
  });

  test('every entry type is listed: masking is decided per field, never for a whole entry', () => {
    const types = ['run-start', 'transition', 'plan', 'decision', 'step-start', 'intent', 'undo-amend', 'result', 'step-failed', 'skipped', 'undo-start', 'undo-done', 'undo-failed', 'drift', 'interrupt', 'resumed', 'warning', 'run-end'];
    expect(Object.keys(MASKED_FIELDS).sort()).toEqual([...types].sort());
    expect(MASKED_FIELDS.intent).toEqual([]);
    expect(MASKED_FIELDS['undo-amend']).toEqual([]);
    expect(MASKED_FIELDS['run-start']).toEqual([]);
  });
});

describe('makeRunId', () => {
  test('sorts by time and names the runbook', () => {
    const a = makeRunId('region-failover', new Date('2026-11-23T04:12:00.123Z'), '7f3a');
    const b = makeRunId('a-runbook', new Date('2026-11-23T04:12:01Z'), '0000');
    expect(a).toBe('20261123T041200Z-region-failover-7f3a');
    expect([b, a].sort()).toEqual([a, b]);
  });
});
