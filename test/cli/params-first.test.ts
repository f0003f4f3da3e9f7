/**
 * Params first, through the built CLI (contract §2): a `with` value that depends only on
 * params and cannot work is refused with exit 2 before the first step runs, so nothing is
 * changed; with a good value the first step does run.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const dir = tempDir('lifeboat-params-first-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A first step that changes the world (a marker file), then a check whose URL comes from a param. */
function runbook(marker: string): string {
  const file = join(dir, 'params-first.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'name: params-first',
      'params:',
      '  url: { required: true }',
      'steps:',
      '  - id: mark',
      '    type: shell',
      `    with: { run: [${process.execPath}, -e, "require('fs').writeFileSync(process.argv[1], 'changed')", ${marker}] }`,
      '  - id: probe',
      '    type: http.check',
      '    with: { url: "${{ params.url }}", timeout: 1s }',
      '',
    ].join('\n'),
  );
  return file;
}

describe('a with value from a param that cannot work', () => {
  it('run --param url=notaurl: exit 2 at the field, naming the param, before the first step', async () => {
    const marker = join(dir, 'marker');
    const file = runbook(marker);
    const stateDir = join(dir, 'state');
    const r = await runCli(['run', file, '--yes', '--param', 'url=notaurl', '--state-dir', stateDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${file}:11:18: step "probe" with.url: bad URL "notaurl": write the whole URL, with http:// or https://, e.g. https://app.example.com/healthz (the value comes from params.url; pass a valid --param url=…); nothing was changed`,
    );
    expect(existsSync(marker)).toBe(false);
    // No run was started: no journal to resume or roll back.
    expect(existsSync(join(stateDir, 'runs')) ? readdirSync(join(stateDir, 'runs')) : []).toEqual([]);

    const ftp = await runCli(['run', file, '--yes', '--param', 'url=ftp://x/', '--state-dir', stateDir]);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toContain('bad URL "ftp://x/": only http:// and https:// can be checked');
    expect(existsSync(marker)).toBe(false);

    // A good URL that does not answer: the first step runs (the marker is written), the check fails at its step.
    const late = await runCli(['run', file, '--yes', '--param', 'url=http://127.0.0.1:1/healthz', '--state-dir', stateDir]);
    expect(late.code).toBe(1);
    expect(existsSync(marker)).toBe(true);
  });
});
