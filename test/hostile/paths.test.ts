/**
 * A runbook from an untrusted place cannot make lifeboat write outside its state dir (and
 * the restore target it names): a name that is a path is rejected by validation before
 * anything is written; a valid runbook at an odd path writes its journal and lock only
 * under --state-dir, nothing in the working directory or beside the runbook; run ids never
 * hold a `/`; and commands that take a run id do not follow `../` out of the state dir, even
 * to a planted journal.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { dirSnapshot } from '../helpers/s3-seed.js';

const RUN_ID = /^\d{8}T\d{6}Z-[A-Za-z0-9._-]+-[0-9a-f]{4}$/;

function write(file: string, text: string): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const waitRunbook = (name: string): string => ['version: 1', `name: ${JSON.stringify(name)}`, 'steps:', '  - id: pause', '    type: wait', '    with: { duration: 0s }', ''].join('\n');

const BAD_NAMES = ['../../evil', '../evil', '/etc/evil', 'a/b', '..', '.', '.hidden', 'evil\\..\\..\\x', 'name with spaces', '', '-rf', 'x\nname: y'];
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('runbook names that are paths are rejected before anything is written', () => {
  test('validate: each bad name is a located problem, exit 2', async () => {
    const root = tempDir('lifeboat-hostile-paths-');
    const files = BAD_NAMES.map((name, i) => write(join(root, 'rb', `evil-${i}.yaml`), waitRunbook(name)));
    const res = await runCli(['validate', ...files], { cwd: root });
    expect(res.code).toBe(2);
    for (const f of files) expect(res.stderr).toMatch(new RegExp(`^${escapeRe(f)}:2:7: bad runbook name`, 'm'));
  });

  test.each(['../../evil', '/etc/evil', '..'])('run with the name %j: exit 2, nothing written anywhere', async (name) => {
    const root = tempDir('lifeboat-hostile-paths-');
    const file = write(join(root, 'rb', 'evil.yaml'), waitRunbook(name));
    const before = await dirSnapshot(root);
    const run = await runCli(['run', file, '--yes', '--state-dir', join(root, 'state')], { cwd: root });
    expect(run.code).toBe(2);
    expect(await dirSnapshot(root)).toEqual(before);
  });
});

describe('a valid runbook at an odd path writes only under --state-dir', () => {
  test('journal and lock under the state dir; nothing in the cwd, beside the runbook, or above', async () => {
    const root = tempDir('lifeboat-hostile-paths-');
    const cwd = join(root, 'cwd');
    mkdirSync(cwd, { recursive: true });
    // A path with spaces, a `..` and unicode in it; the name is odd but valid.
    const file = write(join(root, 'untrusted dir', 'sub', '..', 'é 🚣', 'rb.yaml'), waitRunbook('a..b_C-1.x'));
    const state = join(root, 'state');
    const before = await dirSnapshot(root);

    const res = await runCli(['run', file, '--yes', '--json', '--state-dir', state], { cwd });
    expect(res.code, res.stderr).toBe(0);
    const { runId } = JSON.parse(res.stdout.trim().split('\n').pop() as string) as { runId: string };
    expect(runId).toMatch(RUN_ID);
    expect(runId).not.toContain('/');

    const after = await dirSnapshot(root);
    const added = Object.keys(after).filter((p) => !(p in before));
    expect(added.length).toBeGreaterThan(0);
    for (const p of added) expect(p.startsWith(`${relative(root, state)}/`), `${p} was written outside the state dir`).toBe(true);
    expect(added).toContain(`state/runs/${runId}/journal.jsonl`);
    // Everything that was there is as it was.
    for (const [p, v] of Object.entries(before)) expect(after[p], p).toEqual(v);
  });

  test('the default state dir is .lifeboat/ in the working directory, not beside the runbook', async () => {
    const root = tempDir('lifeboat-hostile-paths-');
    const cwd = join(root, 'cwd');
    mkdirSync(cwd);
    const file = write(join(root, 'elsewhere', 'rb.yaml'), waitRunbook('default-state'));
    const res = await runCli(['run', file, '--yes', '--json'], { cwd });
    expect(res.code, res.stderr).toBe(0);
    const { runId } = JSON.parse(res.stdout.trim().split('\n').pop() as string) as { runId: string };
    expect(statSync(join(cwd, '.lifeboat', 'runs', runId, 'journal.jsonl')).isFile()).toBe(true);
    expect(Object.keys(await dirSnapshot(join(root, 'elsewhere')))).toEqual(['rb.yaml']);
  });
});

describe('run ids given on the command line do not lead out of the state dir', () => {
  test.each([
    ['show', '../../planted'],
    ['show', '../planted'],
    ['resume', '../../planted'],
    ['rollback', '../../planted'],
    ['rollback', '/abs/planted'],
    ['rollback', '..'],
  ])('%s %s: refused (exit 2), the planted journal is neither used nor touched', async (command, id) => {
    const root = tempDir('lifeboat-hostile-paths-');
    const state = join(root, 'a', 'state');
    mkdirSync(join(state, 'runs'), { recursive: true });
    // A journal planted where ../../planted would lead from <state>/runs/.
    const planted = write(
      join(root, 'a', 'planted', 'journal.jsonl'),
      `${JSON.stringify({ v: 1, seq: 1, at: new Date().toISOString(), type: 'run-start', runId: 'planted', runbook: { file: '/nowhere.yaml', name: 'planted', hash: 'x' }, lifeboat: '0', mode: 'run', params: {}, secretParams: [], user: 'x', host: 'x', pid: 1 })}\n`,
    );
    const before = await dirSnapshot(root);
    const mtime = statSync(planted).mtimeMs;

    const res = await runCli([command, id, '--state-dir', state, ...(command === 'show' ? [] : ['--yes'])], { cwd: root });

    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(res.stdout).not.toContain('/nowhere.yaml');
    expect(readFileSync(planted, 'utf8')).toBe(before[relative(root, planted)]);
    expect(statSync(planted).mtimeMs).toBe(mtime);
    expect(await dirSnapshot(root)).toEqual(before);
  });
});
