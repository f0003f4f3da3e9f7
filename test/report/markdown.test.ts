/** Markdown for an incident channel or $GITHUB_STEP_SUMMARY. */
import { describe, expect, test } from 'vitest';
import { cell, code, renderMarkdown } from '../../src/report/markdown.js';
import { buildReport, rehearsalExitCode } from '../../src/report/model.js';
import type { RunOutcome } from '../../src/engine/run.js';
import { cleanupFailed, FINISHED, fixtureRunbook, passedVerify, staleVerify } from './outcomes.js';

const drill = fixtureRunbook('restore-drill.yaml');

function md(outcome: RunOutcome): string {
  return renderMarkdown(buildReport({ outcome, runbook: drill, mode: 'verify', exitCode: rehearsalExitCode(outcome), finishedAt: FINISHED, lifeboatVersion: '0.1.0' }));
}

/** The rows of the first table, split into cells (escaped pipes kept inside cells). */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

describe('markdown', () => {
  test('a passing verify: verdict, a row per step with its time, RTO, RPO, restore and rollback lines', () => {
    const text = md(passedVerify());
    expect(text.split('\n')[0]).toBe('### lifeboat verify `restore-drill`: ✅ passed');
    expect(tableRows(text)).toEqual([
      ['✅', '`verify-backups`', 's3.verify-backups', 'passed', '400 ms', '—'],
      ['↩️', '`restore`', 's3.restore', 'passed, rolled back', '1.6 s', '4.0 s'],
      ['✅', '`check-restored`', 's3.verify-backups', 'passed', '300 ms', '—'],
      ['↩️', '`list-restored`', 'shell', 'passed, rolled back', '100 ms', '5 ms'],
    ]);
    expect(text).toContain('- **Recovery time:** 25.0 s, within the RTO of 15m');
    expect(text).toContain('- **Newest backup:** 20 min old (`db/2026-11-23.dump`), within the RPO of 1h');
    expect(text).toContain('- **Restore:** 3 objects, 2.9 MiB in 1.5 s (1.9 MiB/s)');
    expect(text).toContain('- **Rollback:** 5.0 s, everything this run changed was undone');
    expect(text).toContain('run `20261123T041200Z-restore-drill-7f3a`');
  });

  test('a failure shows what broke in a block no content can escape', () => {
    const text = md(staleVerify('bad ``` fence\n| not a table |'));
    expect(text).toContain('### lifeboat verify `restore-drill`: ❌ failed');
    expect(text).toContain('**What broke** (`verify-backups`):\n\n````text\nbad ``` fence\n| not a table |\n````');
    expect(text).toContain('- **Recovery time:** not measured: the runbook did not complete');
  });

  test('a failed clean-up says so, with what is still changed and what to type', () => {
    const text = md(cleanupFailed());
    expect(text).toContain('🚨 ROLLBACK FAILED');
    expect(text).toContain('**Still changed** (newest first, the order to undo them):\n\n- `restore` (s3.restore): s3://drill-scratch/drill/: delete 1 object(s) it created (drill/a.dump)\n');
    expect(text).toContain('**Next:** `fix the cause, then: lifeboat rollback 20261123T041200Z-restore-drill-7f3a`');
  });

  test('cells and code spans survive pipes, markup and backticks', () => {
    expect(cell('a|b<script>&\nc')).toBe('a\\|b&lt;script&gt;&amp;<br>c');
    expect(code('a`b')).toBe('``a`b``');
    expect(code('`x')).toBe('`` `x ``');
  });
});
