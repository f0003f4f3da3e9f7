/**
 * Hostile params through the real CLI: shell metacharacters, command substitution,
 * backticks, newlines, quotes, globs, option-looking values and template syntax reach a
 * `shell` step's program verbatim, each as exactly the argv element the runbook put it in,
 * and nothing is ever interpreted by a shell (canary files survive, markers never appear).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

const ECHO = join(ROOT, 'test/fixtures/echo-args.mjs');
const PRINT_ENV = join(ROOT, 'test/fixtures/print-env.mjs');

describe('hostile params reach a shell step as argv, verbatim', () => {
  const dir = tempDir('lifeboat-hostile-');
  const canaryDir = join(dir, 'canary');
  mkdirSync(canaryDir);
  writeFileSync(join(canaryDir, 'keep-me'), 'still here');
  const marker = (n: string): string => join(dir, `pwned-${n}`);

  const values: Record<string, string> = {
    semicolon: `x; rm -rf ${canaryDir}; echo`,
    subst: `$(touch ${marker('subst')})`,
    backticks: `\`touch ${marker('backticks')}\``,
    newline: `first line\nsecond line; touch ${marker('newline')}\n`,
    quotes: `it's "quoted" \\ back\\slash '\\''`,
    pipes: `a | touch ${marker('pipe')} && echo > ${marker('redirect')} || true &`,
    glob: '* ?? [a-z]* ~ ~root',
    vars: '$HOME ${PATH} $0 $@ %PATH% $((1+1))',
    option: '--help',
    dash: '-rf',
    empty: '',
    spaces: '   leading and trailing   ',
    template: '${{ params.semicolon }}',
    unicode: 'é 🚣 \u202e reversed \u0000 nul',
  };
  // A NUL cannot travel in argv (the OS ends the string there): leave it out of what is sent.
  values.unicode = (values.unicode as string).replace('\u0000', '');

  const names = Object.keys(values);
  const runbook = join(dir, 'hostile.yaml');
  writeFileSync(
    runbook,
    [
      'version: 1',
      'name: hostile-params',
      'params:',
      ...names.map((n) => `  ${n}: { required: true }`),
      'steps:',
      '  - id: echo',
      '    type: shell',
      '    with:',
      `      run: [node, ${JSON.stringify(ECHO)}, ${names.map((n) => `"\${{ params.${n} }}"`).join(', ')}, "embedded: <\${{ params.semicolon }}> and <\${{ params.newline }}>"]`,
      '  - id: env',
      '    type: shell',
      '    with:',
      `      run: [node, ${JSON.stringify(PRINT_ENV)}, HOSTILE_A, HOSTILE_B]`,
      '      env: { HOSTILE_A: "${{ params.subst }}", HOSTILE_B: "${{ params.newline }}" }',
      '',
    ].join('\n'),
  );

  test('every value arrives as one argv element, exactly as given; no shell ever runs', async () => {
    const args = ['run', runbook, '--yes', '--json', '--state-dir', join(dir, 'state')];
    for (const n of names) args.push('--param', `${n}=${values[n]}`);
    const res = await runCli(args, { cwd: dir });
    expect(res.code, res.stderr).toBe(0);

    // --json prints the run report: each step's outputs are in it.
    const report = JSON.parse(res.stdout) as { steps: Array<{ id: string; outputs: { stdout?: string } }> };
    const out = { outputs: Object.fromEntries(report.steps.map((s) => [s.id, s.outputs])) };
    const argv = JSON.parse(out.outputs.echo?.stdout ?? 'null') as string[];
    expect(argv).toEqual([
      ...names.map((n) => values[n]),
      `embedded: <${values.semicolon}> and <${values.newline}>`,
    ]);
    // A param holding ${{ }} is data: substituted once, never evaluated again.
    expect(argv[names.indexOf('template')]).toBe('${{ params.semicolon }}');

    const env = JSON.parse(out.outputs.env?.stdout ?? 'null') as { env: Record<string, string> };
    expect(env.env).toEqual({ HOSTILE_A: values.subst, HOSTILE_B: values.newline });

    expect(readdirSync(canaryDir)).toEqual(['keep-me']);
    for (const n of ['subst', 'backticks', 'newline', 'pipe', 'redirect']) expect(existsSync(marker(n)), `marker ${n} was created`).toBe(false);
  });
});
