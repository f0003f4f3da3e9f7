/**
 * Hostile object keys in a backup bucket: `../x`, `/etc/x` and `a/../../b` under the source
 * prefix would land outside the restore target. Through the real CLI, the restore refuses
 * before writing anything, naming each key, for a local directory and for an S3 prefix;
 * nothing appears outside the target (or inside it), and /etc is untouched.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { createBucket, dirSnapshot, listKeys, putAll, snapshot } from '../helpers/s3-seed.js';

const HOSTILE = ['../x', '/etc/x', 'a/../../b'];

function runbook(dir: string, source: string, target: string): string {
  const file = join(dir, 'restore.yaml');
  writeFileSync(
    file,
    ['version: 1', 'name: hostile-restore', 'steps:', '  - id: restore', '    type: s3.restore', `    with: { source: ${JSON.stringify(source)}, target: ${JSON.stringify(target)} }`, ''].join('\n'),
  );
  return file;
}

async function seededSource(keys: readonly string[]): Promise<string> {
  const src = await createBucket('hostile-src');
  await putAll(src, Object.fromEntries([['in/fine.txt', 'a fine object'], ...keys.map((k) => [`in/${k}`, `escaped via ${k}`])]));
  // The test means something only if S3 (moto) kept the keys as written.
  expect(await listKeys(src, 'in/')).toEqual(expect.arrayContaining(keys.map((k) => `in/${k}`)));
  return src;
}

describe('restore refuses keys that would land outside the target', () => {
  const etcBefore = existsSync('/etc/x');

  test.each(HOSTILE.map((k) => ({ k })))('local directory: the key in/$k is refused, named, and nothing is written', async ({ k }) => {
    const src = await seededSource([k]);
    const root = tempDir('lifeboat-hostile-restore-');
    // target: root/deep/target; in/../x would be root/deep/x, in/a/../../b root/deep/b.
    mkdirSync(join(root, 'deep', 'target'), { recursive: true });
    writeFileSync(join(root, 'deep', 'target', 'existing.txt'), 'was here');
    const file = runbook(join(root, 'deep'), `s3://${src}/in/`, './target');
    const before = await dirSnapshot(root);

    const res = await runCli(['run', file, '--yes', '--state-dir', tempDir('lifeboat-hostile-state-')], { cwd: join(root, 'deep') });

    expect(res.code, res.stdout + res.stderr).toBe(1);
    const said = res.stdout + res.stderr;
    expect(said).toContain('refusing to restore');
    expect(said).toContain(`in/${k}`);
    expect(await dirSnapshot(root)).toEqual(before);
    expect(existsSync('/etc/x')).toBe(etcBefore);
  });

  test('local directory: all three at once are named in one refusal, the fine key is not written either', async () => {
    const src = await seededSource(HOSTILE);
    const root = tempDir('lifeboat-hostile-restore-');
    mkdirSync(join(root, 'deep'), { recursive: true });
    const file = runbook(join(root, 'deep'), `s3://${src}/in/`, './target');
    const before = await dirSnapshot(root);

    const res = await runCli(['run', file, '--yes', '--state-dir', tempDir('lifeboat-hostile-state-')], { cwd: join(root, 'deep') });

    expect(res.code).toBe(1);
    for (const k of HOSTILE) expect(res.stdout + res.stderr).toContain(`in/${k}`);
    expect(res.stdout + res.stderr).toMatch(/3 source keys/);
    expect(await dirSnapshot(root)).toEqual(before);
  });

  test('S3 prefix target: refused the same way, and the target bucket is unchanged', async () => {
    const src = await seededSource(HOSTILE);
    const dst = await createBucket('hostile-dst');
    await putAll(dst, { 'out/existing': 'was here', x: 'outside the prefix', b: 'outside too' });
    const dir = tempDir('lifeboat-hostile-restore-');
    const file = runbook(dir, `s3://${src}/in/`, `s3://${dst}/out/`);
    const before = await snapshot(dst);

    const res = await runCli(['run', file, '--yes', '--state-dir', join(dir, 'state')]);

    expect(res.code).toBe(1);
    for (const k of HOSTILE) expect(res.stdout + res.stderr).toContain(`in/${k}`);
    expect(await snapshot(dst)).toEqual(before);
  });
});
