/**
 * A bad param default is a problem of the file (validate reports it at the field), but it
 * can be overridden: plan, run, rehearse and verify load the runbook and use the value given
 * with --param or LIFEBOAT_PARAM_<NAME>; the default is refused only when it is the value used.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem, RunbookInvalidError } from '../../src/errors.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { resolveParams } from '../../src/runbook/params.js';

const SOURCE = ['version: 1', 'name: p2', 'params:', '  dur: { default: 30d }', 'steps:', '  - id: e', '    type: wait', '    with: { duration: "${{ params.dur }}" }', ''].join('\n');
const TOO_LONG = /^rb\.yaml:8:23: step "e" with\.duration "30d" is longer than lifeboat can wait or time out: .* \(the value comes from params\.dur; pass a valid --param dur=…\)/;

describe('a bad param default', () => {
  const result = parseRunbook(SOURCE, 'rb.yaml');

  it('is reported (validate) at the field, yet the runbook loads', () => {
    expect(result.problems.map(formatProblem)).toEqual([expect.stringMatching(TOO_LONG)]);
    expect(result.runbook?.name).toBe('p2');
  });

  it('is overridden by --param or LIFEBOAT_PARAM_<NAME>', () => {
    const runbook = result.runbook;
    if (!runbook) throw new Error('the runbook did not load');
    expect(resolveParams(runbook, { dur: '1s' }).values).toEqual({ dur: '1s' });
    expect(resolveParams(runbook, {}, { LIFEBOAT_PARAM_DUR: '2s' }).values).toEqual({ dur: '2s' });
  });

  it('is refused (exit 2, nothing changed) when it is the value used', () => {
    const runbook = result.runbook;
    if (!runbook) throw new Error('the runbook did not load');
    let caught: unknown;
    try {
      resolveParams(runbook, {});
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RunbookInvalidError);
    expect((caught as RunbookInvalidError).problems.map(formatProblem)).toEqual([expect.stringMatching(/; nothing was changed$/)]);
    expect(formatProblem((caught as RunbookInvalidError).problems[0] as never)).toMatch(TOO_LONG);
  });

  it('a bad given value is still refused, though the default is fine', () => {
    const fine = parseRunbook(SOURCE.replace('default: 30d', 'default: 1s'), 'rb.yaml');
    expect(fine.problems).toEqual([]);
    expect(() => resolveParams(fine.runbook as NonNullable<typeof fine.runbook>, { dur: '30d' })).toThrow(RunbookInvalidError);
  });
});
