/**
 * Typed and manual confirmations without a terminal, through the built CLI (contract §4
 * "Typed confirmation", §2 `manual`): a text that does not depend on an earlier step's output is
 * checked before the first change even when other `with` fields do; a text that does needs a
 * --confirm before the first change and, compared once known, a mismatch fails the step (handled
 * per --on-failure), never an operator's abort; a manual step that needs a typed confirmation
 * takes the typed text as its one answer. Shell and manual steps, and Route 53 on the suite's moto.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { describe, expect, test } from 'vitest';
import { parseJournal, type JournalEntry } from '../../src/journal/format.js';
import type { PlanDocument } from '../../src/plan/saved.js';
import { testRoute53, uniqueName } from '../helpers/aws.js';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';

function expectExit(r: CliResult, code: number): CliResult {
  if (r.code !== code) throw new Error(`exit ${String(r.code)}, expected ${code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

function write(dir: string, name: string, lines: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [...lines, ''].join('\n'));
  return file;
}

/** The journal of the one run in a state dir. */
function onlyJournal(sd: string): JournalEntry[] {
  const runs = existsSync(join(sd, 'runs')) ? readdirSync(join(sd, 'runs')) : [];
  expect(runs).toHaveLength(1);
  return parseJournal(readFileSync(join(sd, 'runs', runs[0] as string, 'journal.jsonl'), 'utf8')).entries;
}

function noRunStarted(sd: string): void {
  expect(existsSync(join(sd, 'runs')) ? readdirSync(join(sd, 'runs')) : []).toEqual([]);
}

/** A first step that marks that it ran (undone by its rollback) and prints `hello`. */
function firstStep(marker: string): string[] {
  return [
    '  - id: first',
    '    type: shell',
    `    with: { run: [sh, -c, 'touch "$1" && echo hello', sh, ${JSON.stringify(marker)}] }`,
    `    rollback: { run: [rm, -f, ${JSON.stringify(marker)}] }`,
  ];
}

describe('a typed confirmation whose text is known although the step uses earlier outputs', () => {
  function shellRunbook(): { file: string; sd: string; marker: string; target: string } {
    const dir = tempDir('lifeboat-typed-');
    const marker = join(dir, 'first-ran');
    const file = write(dir, 'shtyped2', [
      'version: 1',
      'name: shtyped2',
      'steps:',
      ...firstStep(marker),
      '  - id: sh',
      '    type: shell',
      '    confirm: typed',
      `    with: { run: [touch, "${dir}/x-\${{ steps.first.outputs.stdout }}"] }`,
    ]);
    return { file, sd: join(dir, 'state'), marker, target: join(dir, 'x-hello') };
  }

  test('shell: --yes without --confirm, or with a wrong text, is refused before the first change (exit 3)', async () => {
    const { file, sd, marker } = shellRunbook();
    const none = expectExit(await runCli(['run', file, '--yes', '--state-dir', sd]), 3);
    expect(none.stderr).toContain('step sh needs a typed confirmation');
    expect(none.stderr).toContain('pass --confirm sh=sh; nothing was changed');
    const wrong = expectExit(await runCli(['run', file, '--yes', '--confirm', 'sh=nope', '--state-dir', sd]), 3);
    expect(wrong.stderr).toContain('"nope" does not match');
    expect(existsSync(marker)).toBe(false);
    noRunStarted(sd);
  });

  test('shell: the right text runs it; plan shows the text to type', async () => {
    const { file, sd, target } = shellRunbook();
    const plan = expectExit(await runCli(['plan', file]), 0).stdout;
    expect(plan).toContain('confirm: type sh (or --confirm sh=sh)');
    const doc = JSON.parse(expectExit(await runCli(['plan', file, '--json']), 0).stdout) as PlanDocument;
    expect(doc.steps.find((s) => s.id === 'sh')?.typedConfirmation).toBe('sh');
    expectExit(await runCli(['run', file, '--yes', '--confirm', 'sh=sh', '--state-dir', sd]), 0);
    expect(existsSync(target)).toBe(true);
    const typed = onlyJournal(sd).filter((e) => e.type === 'decision' && e.phase === 'typed');
    expect(typed.map((e) => e.type === 'decision' && [e.choice, e.by])).toEqual([['matched', '--confirm']]);
  });
});

describe('route53.change-records typed, its zone an earlier step’s output', () => {
  async function zone(): Promise<{ zoneId: string; name: string; value: () => Promise<string | undefined> }> {
    const r53 = testRoute53();
    const name = `${uniqueName('typed')}.example.com`;
    const zoneId = ((await r53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: uniqueName('ref') }))).HostedZone?.Id ?? '').replace('/hostedzone/', '');
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `app.${name}.`, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] } }] },
      }),
    );
    const value = async () => {
      const sets = (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
      return sets.find((s) => s.Name === `app.${name}.` && s.Type === 'CNAME')?.ResourceRecords?.[0]?.Value;
    };
    return { zoneId, name, value };
  }

  /** getzone prints the zone id (and marks that it ran); the record name is `literal`, or getname's output. */
  function dnsRunbook(zoneId: string, zoneName: string, recordName: 'literal' | 'output'): { file: string; sd: string; marker: string } {
    const dir = tempDir('lifeboat-typed-dns-');
    const marker = join(dir, 'getzone-ran');
    const name = recordName === 'literal' ? `app.${zoneName}` : '${{ steps.getname.outputs.stdout }}';
    const file = write(dir, 'dnstyped', [
      'version: 1',
      'name: dnstyped',
      'steps:',
      '  - id: getzone',
      '    type: shell',
      `    with: { run: [sh, -c, 'touch "$1" && echo "$2"', sh, ${JSON.stringify(marker)}, ${zoneId}] }`,
      `    rollback: { run: [rm, -f, ${JSON.stringify(marker)}] }`,
      '  - id: getname',
      '    type: shell',
      `    with: { run: [echo, app.${zoneName}] }`,
      '  - id: dns',
      '    type: route53.change-records',
      '    confirm: typed',
      '    with:',
      '      zoneId: "${{ steps.getzone.outputs.stdout }}"',
      `      changes: [{ name: "${name}", type: CNAME, ttl: 60, values: [standby.example.com] }]`,
    ]);
    return { file, sd: join(dir, 'state'), marker };
  }

  test('a literal record name is checked before the first change and shown by plan', async () => {
    const z = await zone();
    const { file, sd, marker } = dnsRunbook(z.zoneId, z.name, 'literal');
    const none = expectExit(await runCli(['run', file, '--yes', '--state-dir', sd]), 3);
    expect(none.stderr).toContain(`pass --confirm dns=app.${z.name}; nothing was changed`);
    expectExit(await runCli(['run', file, '--yes', '--confirm', 'dns=other.example.com', '--state-dir', sd]), 3);
    expect(existsSync(marker)).toBe(false);
    noRunStarted(sd);
    expect(await z.value()).toBe('primary.example.com');

    const doc = JSON.parse(expectExit(await runCli(['plan', file, '--json']), 0).stdout) as PlanDocument;
    expect(doc.steps.find((s) => s.id === 'dns')?.typedConfirmation).toBe(`app.${z.name}`);

    // Case and the final dot do not matter, as at the prompt.
    expectExit(await runCli(['run', file, '--yes', '--confirm', `dns=APP.${z.name}.`, '--state-dir', sd]), 0);
    expect(await z.value()).toBe('standby.example.com');
  }, 60_000);

  test('a record name from an earlier output: no --confirm is refused before the first change', async () => {
    const z = await zone();
    const { file, sd, marker } = dnsRunbook(z.zoneId, z.name, 'output');
    const none = expectExit(await runCli(['run', file, '--yes', '--state-dir', sd]), 3);
    expect(none.stderr).toContain('step dns needs a typed confirmation, and no --confirm dns=… was given');
    expect(none.stderr).toContain('nothing was changed');
    expect(existsSync(marker)).toBe(false);
    noRunStarted(sd);
    expect(expectExit(await runCli(['plan', file]), 0).stdout).toContain('confirm: typed (the text is known once the earlier steps have run');
  }, 60_000);

  test('a record name from an earlier output, a wrong --confirm: the step fails, --on-failure rolls back (exit 1), nothing left', async () => {
    const z = await zone();
    const { file, sd, marker } = dnsRunbook(z.zoneId, z.name, 'output');
    const r = expectExit(await runCli(['run', file, '--yes', '--confirm', 'dns=wrong.example.com', '--state-dir', sd]), 1);
    const screen = r.stdout + r.stderr;
    expect(screen).toContain(`--confirm dns=wrong.example.com does not match the text to type, "app.${z.name}"`);
    expect(screen).not.toContain('stopped with changes in place');
    expect(existsSync(marker)).toBe(false); // getzone was rolled back
    expect(await z.value()).toBe('primary.example.com');

    const entries = onlyJournal(sd);
    const decisions = entries.flatMap((e) => (e.type === 'decision' && e.stepId === 'dns' ? [[e.phase, e.choice, e.by]] : []));
    expect(decisions).toEqual([
      ['before', 'proceed', '--yes'],
      ['typed', 'mismatch', '--confirm'],
      ['failure', 'rollback', '--on-failure'],
    ]);
    expect(entries.some((e) => e.type === 'step-failed' && e.stepId === 'dns' && !e.changed)).toBe(true);
    expect(entries.some((e) => e.type === 'intent' && e.stepId === 'dns')).toBe(false);

    // Everything was rolled back, so the lock is free: the right text now completes.
    expectExit(await runCli(['run', file, '--yes', '--confirm', `dns=app.${z.name}`, '--state-dir', join(sd, '..', 'state2')]), 0);
    expect(await z.value()).toBe('standby.example.com');
  }, 90_000);
});

describe('a manual step that needs a typed confirmation', () => {
  function manualRunbook(how: 'typed' | 'irreversible'): { file: string; sd: string } {
    const dir = tempDir('lifeboat-manual-typed-');
    const file = write(dir, 'mt', [
      'version: 1',
      'name: mt',
      'steps:',
      '  - id: mt',
      '    type: manual',
      how === 'typed' ? '    confirm: typed' : '    rollback: false',
      '    with: { instructions: "do it" }',
    ]);
    return { file, sd: join(dir, 'state') };
  }

  for (const how of ['typed', 'irreversible'] as const) {
    test(`${how}: the typed text is the one answer; it confirms the step done`, async () => {
      const { file, sd } = manualRunbook(how);
      expect(expectExit(await runCli(['validate', file]), 0).stdout).toContain('ok');
      expect(expectExit(await runCli(['plan', file]), 0).stdout).toContain('confirm: type mt (or --confirm mt=mt, which also confirms it done)');

      const done = expectExit(await runCli(['run', file, '--yes', '--confirm', 'mt=done', '--state-dir', sd]), 3);
      expect(done.stderr).toContain('"done" does not match');
      expect(done.stderr).toContain('pass --confirm mt=mt (a manual step that needs a typed confirmation takes that text as its one answer');
      const both = expectExit(await runCli(['run', file, '--yes', '--confirm', 'mt=mt', '--confirm', 'mt=done', '--state-dir', sd]), 2);
      expect(both.stderr).toContain('--confirm mt is given twice, as "mt" and as "done"');
      noRunStarted(sd);

      const r = expectExit(await runCli(['run', file, '--yes', '--confirm', 'mt=mt', '--state-dir', sd]), 0);
      expect(r.stdout).toContain('done by hand, confirmed by --confirm mt=mt');
      const decisions = onlyJournal(sd).flatMap((e) => (e.type === 'decision' ? [[e.phase, e.choice, e.by]] : []));
      expect(decisions).toEqual([
        ['before', 'proceed', '--yes'],
        ['typed', 'matched', '--confirm'],
        ['manual', 'done', '--confirm'],
      ]);
    });
  }

  test('a plain manual step still takes done, and plan says so', async () => {
    const dir = tempDir('lifeboat-manual-');
    const file = write(dir, 'm', ['version: 1', 'name: m', 'steps:', '  - id: m', '    type: manual', '    with: { instructions: "do it" }']);
    expect(expectExit(await runCli(['plan', file]), 0).stdout).toContain('confirm: done by hand (or --confirm m=done)');
    expectExit(await runCli(['run', file, '--yes', '--confirm', 'm=done', '--state-dir', join(dir, 'state')]), 0);
  });
});
