/**
 * Who decided, through the built CLI: decisions made by --yes, --confirm or verify's own rules
 * are journaled, shown on screen and by `show` (text and --json) as such, never as a person's
 * (contract §1 "Consent", `show`: who decided what). A shell step and a manual step, no AWS.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseJournal, type JournalEntry } from '../../src/journal/format.js';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';

type Decision = Extract<JournalEntry, { type: 'decision' }>;

interface ShowJson {
  steps: Array<{ stepId: string; decisions: Array<{ phase: string; choice: string; who: string; by: string | null }> }>;
  timeline: Array<{ event: string; stepId: string | null; who: string | null; by: string | null; detail: string }>;
}

/** A runbook whose first step asks for consent (confirm: yes) and whose second is done by hand. */
function runbook(): { file: string; sd: string } {
  const dir = tempDir('lifeboat-decided-by-');
  const marker = join(dir, 'marker');
  const file = join(dir, 'decided-by.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'name: decided-by',
      'steps:',
      '  - id: touch',
      '    type: shell',
      '    confirm: yes',
      `    with: { run: ["touch", ${JSON.stringify(marker)}] }`,
      `    rollback: { run: ["rm", "-f", ${JSON.stringify(marker)}] }`,
      '  - id: hand',
      '    type: manual',
      '    with: { instructions: "flip the switch" }',
      '    rollback: { instructions: "flip it back" }',
      '',
    ].join('\n'),
  );
  return { file, sd: join(dir, 'state') };
}

function onlyRun(sd: string): { id: string; decisions: Decision[] } {
  const [id, ...more] = readdirSync(join(sd, 'runs'));
  expect(more).toEqual([]);
  const { entries } = parseJournal(readFileSync(join(sd, 'runs', id as string, 'journal.jsonl'), 'utf8'));
  return { id: id as string, decisions: entries.filter((e): e is Decision => e.type === 'decision') };
}

function expectExit(r: CliResult, code: number): CliResult {
  if (r.code !== code) throw new Error(`exit ${String(r.code)}, expected ${code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

/** The WHO column of each decision line of `show`'s timeline. */
function decisionLines(shown: string): string[] {
  return shown.split('\n').filter((l) => /^\S+\s+\S+\s+decision\s/.test(l));
}

describe('who decided', () => {
  test('run --yes --confirm: the screen, show and show --json name the flag, as the journal does', async () => {
    const { file, sd } = runbook();
    const r = expectExit(await runCli(['run', file, '--yes', '--confirm', 'hand=done', '--state-dir', sd]), 0);
    const screen = r.stdout + r.stderr;
    expect(screen).toContain('done by hand, confirmed by --confirm hand=done');
    expect(screen).not.toContain('confirmed by the operator');

    const { id, decisions } = onlyRun(sd);
    expect(decisions.map((d) => [d.stepId, d.phase, d.by])).toEqual([
      ['touch', 'before', '--yes'],
      ['hand', 'before', '--yes'],
      ['hand', 'manual', '--confirm'],
    ]);
    const who = decisions[0]?.who as string;

    const shown = expectExit(await runCli(['show', id, '--state-dir', sd]), 0).stdout;
    const lines = decisionLines(shown);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(`${who} via --yes`);
    expect(lines[1]).toContain(`${who} via --yes`);
    expect(lines[2]).toContain(`${who} via --confirm`);
    // The per-step table says the same.
    expect(shown).toMatch(new RegExp(`before:proceed \\(${who.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} via --yes `));
    expect(shown).toMatch(/manual:done \(\S+ via --confirm /);
    expect(shown).toContain('done by hand, confirmed by --confirm hand=done');

    const json = JSON.parse(expectExit(await runCli(['show', id, '--json', '--state-dir', sd]), 0).stdout) as ShowJson;
    expect(json.timeline.filter((e) => e.event === 'decision').map((e) => [e.stepId, e.who, e.by])).toEqual([
      ['touch', who, '--yes'],
      ['hand', who, '--yes'],
      ['hand', who, '--confirm'],
    ]);
    expect(json.timeline.filter((e) => e.event !== 'decision').every((e) => e.by === null)).toBe(true);
    expect(json.steps.find((s) => s.stepId === 'hand')?.decisions.map((d) => [d.phase, d.by])).toEqual([
      ['before', '--yes'],
      ['manual', '--confirm'],
    ]);
  });

  test('verify without --yes: decisions journaled and shown as verify’s, never as a --yes nobody gave', async () => {
    const { file, sd } = runbook();
    expectExit(await runCli(['verify', file, '--confirm', 'hand=done', '--confirm', 'hand:undo=done', '--state-dir', sd]), 0);
    const { id, decisions } = onlyRun(sd);
    expect(decisions.map((d) => [d.stepId, d.phase, d.by])).toEqual([
      ['touch', 'before', 'verify'],
      ['hand', 'before', 'verify'],
      ['hand', 'manual', '--confirm'],
      ['hand', 'undo', '--confirm'],
    ]);
    const shown = expectExit(await runCli(['show', id, '--state-dir', sd]), 0).stdout;
    expect(shown).not.toContain('--yes');
    expect(decisionLines(shown).map((l) => /via (\S+)/.exec(l)?.[1])).toEqual(['verify', 'verify', '--confirm', '--confirm']);
  });
});
