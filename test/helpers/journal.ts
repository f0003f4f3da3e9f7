/** Journals built by hand for the pure tests: a run-start, then entries a fixed time apart. */
import { replay, type EntryBody, type ReplayedRun } from '../../src/journal/format.js';

/** A run-start of `name` (the runbook's text as `source` when given), by ana@laptop. */
export function runStart(name: string, over: { runId?: string; source?: string; file?: string } = {}): EntryBody {
  return {
    type: 'run-start',
    runId: over.runId ?? `20261123T041200Z-${name}-0001`,
    runbook: { file: over.file ?? `${name}.yaml`, name, hash: 'abc', ...(over.source === undefined ? {} : { source: over.source }) },
    lifeboat: '0.1.0',
    mode: 'run',
    params: {},
    secretParams: [],
    user: 'ana@laptop',
    host: 'laptop',
    pid: 100,
  };
}

/** The entries replayed, entry i at 2026-11-23T04:12:00Z + i × `secondsApart` seconds. */
export function replayedAt(entries: readonly EntryBody[], secondsApart = 1): ReplayedRun {
  return replay(entries.map((b, i) => ({ v: 1, seq: i + 1, at: new Date(Date.UTC(2026, 10, 23, 4, 12, i * secondsApart)).toISOString(), ...b })));
}
