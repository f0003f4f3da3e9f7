/**
 * Modes (issue 13, item 5): `when:` reads `mode`; `modes:` lists where a step runs; live
 * steps leave verify out by default; steps that need a skipped step's outputs follow it.
 */
import { describe, expect, it } from 'vitest';
import { checkCondition, evaluateCondition } from '../../src/runbook/condition.js';
import { formatProblem } from '../../src/errors.js';
import { parseRunbook } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/model.js';
import { modeSkips, modesOf } from '../../src/runbook/modes.js';

const y = (...lines: string[]): string => `${lines.join('\n')}\n`;

function load(source: string): Runbook {
  const { runbook, problems } = parseRunbook(source, 'rb.yaml');
  if (!runbook) throw new Error(problems.map(formatProblem).join('\n'));
  return runbook;
}

const rb = load(
  y(
    'version: 1',
    'name: modes',
    'steps:',
    '  - id: dns',
    '    type: route53.change-records',
    '    with: { zoneId: Z1, changes: [{ name: a.example.com, type: CNAME, ttl: 60, values: [b.example.com] }] }',
    '  - id: announce',
    '    type: shell',
    '    with: { run: [echo, "change ${{ steps.dns.outputs.changeId }}"] }',
    '  - id: announce-anyway',
    '    type: shell',
    `    with: { run: [echo, "change \${{ steps.dns.outputs.changeId || 'none' }}"] }`,
    '  - id: drill-only',
    '    type: shell',
    '    modes: [rehearse, verify]',
    '    with: { run: [echo, drill] }',
  ),
);

describe('modes', () => {
  it('a live step leaves verify out by default; an explicit list is taken as written', () => {
    expect(modesOf(rb.steps[0] as Runbook['steps'][number])).toEqual(['plan', 'dry-run', 'run', 'rehearse']);
    expect(modesOf(rb.steps[1] as Runbook['steps'][number])).toEqual(['plan', 'dry-run', 'run', 'rehearse', 'verify']);
    expect(modesOf(rb.steps[3] as Runbook['steps'][number])).toEqual(['rehearse', 'verify']);
  });

  it('verify skips the live step and what needs its outputs (not a reference with a fallback)', () => {
    const skips = modeSkips(rb, 'verify');
    expect([...skips.keys()]).toEqual(['dns', 'announce']);
    expect(skips.get('dns')).toMatch(/^not in verify mode: route53\.change-records moves live traffic/);
    expect(skips.get('announce')).toBe('not in verify mode: it uses the outputs of dns, which does not run in verify');
    expect([...modeSkips(rb, 'run').entries()]).toEqual([['drill-only', 'not in run mode (its modes: rehearse, verify)']]);
    // resume and rollback gate by the run's own mode, never by themselves
    expect(modeSkips(rb, 'resume').size).toBe(0);
  });

  it('when: reads mode', () => {
    expect(checkCondition('mode != "verify"', { params: new Set(), stepsBefore: new Set() })).toBeUndefined();
    expect(evaluateCondition('mode != "verify"', { params: {}, outputs: {}, mode: 'verify' })).toBe(false);
    expect(evaluateCondition('mode == "run" || mode == "rehearse"', { params: {}, outputs: {}, mode: 'rehearse' })).toBe(true);
    expect(checkCondition('modes == "run"', { params: new Set(), stepsBefore: new Set() })).toMatch(/is not params\.<name>, steps\.<id>\.outputs\.<name> or mode/);
  });

  it('the loader takes modes: and refuses an unknown mode at its value', () => {
    const { problems } = parseRunbook(y('version: 1', 'name: x', 'steps:', '  - { id: a, type: wait, modes: [run, verfy], with: { duration: 1s } }'), 'rb.yaml');
    expect(problems.map(formatProblem)).toEqual([
      'rb.yaml:4:39: modes[1] must be one of "plan", "dry-run", "run", "rehearse", "verify" (got "verfy"); did you mean "verify"?',
    ]);
  });
});
