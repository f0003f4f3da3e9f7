/**
 * Skippable references (issue 13, item 6): a step that uses the outputs of a step its
 * `when:` may skip is refused by the loader at the reference, unless the reference has a
 * fallback: `${{ steps.x.outputs.y || 'none' }}`.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { findReferences, substituteString, TemplateError } from '../../src/runbook/template.js';

const y = (...lines: string[]): string => `${lines.join('\n')}\n`;

const runbook = (ref: string): string =>
  y(
    'version: 1',
    'name: x',
    'params:',
    '  env: { default: staging }',
    'steps:',
    '  - id: probe',
    '    type: http.check',
    '    when: params.env == "prod"',
    '    with: { url: "https://example.com/" }',
    '  - id: report',
    '    type: shell',
    `    with: { run: [echo, "${ref}"] }`,
  );

describe('skippable references', () => {
  it('a reference to the output of a step its when: may skip is refused at the reference', () => {
    const { problems } = parseRunbook(runbook('status ${{ steps.probe.outputs.status }}'), 'rb.yaml');
    expect(problems.map(formatProblem)).toEqual([
      `rb.yaml:12:25: \${{ steps.probe.outputs.status }}: step "probe" may be skipped (when: params.env == "prod"), and then has no outputs; give a fallback, e.g. \${{ steps.probe.outputs.status || 'none' }}`,
    ]);
  });

  it.each([`'none'`, `"not probed"`, '0', `''`])('with a fallback (%s) it loads', (fallback) => {
    const { problems, runbook: rb } = parseRunbook(runbook(`status \${{ steps.probe.outputs.status || ${fallback.replace(/"/g, '\\"')} }}`), 'rb.yaml');
    expect(problems).toEqual([]);
    expect(rb?.steps[1]?.id).toBe('report');
  });

  it('a step without when: needs no fallback', () => {
    const { problems } = parseRunbook(runbook('status ${{ steps.probe.outputs.status }}').replace('    when: params.env == "prod"\n', ''), 'rb.yaml');
    expect(problems).toEqual([]);
  });
});

describe('fallback syntax', () => {
  it('parses the fallback and uses it only when the value does not exist', () => {
    const [ref] = findReferences(`\${{ steps.probe.outputs.status || 'none' }}`);
    expect(ref).toMatchObject({ kind: 'output', step: 'probe', name: 'status', fallback: 'none' });
    const text = `status \${{ steps.probe.outputs.status || 'none' }}, env \${{ params.env || "dev" }}`;
    expect(substituteString(text, { params: {}, outputs: {} })).toBe('status none, env dev');
    expect(substituteString(text, { params: { env: 'prod' }, outputs: { probe: { status: 200 } } })).toBe('status 200, env prod');
    expect(() => substituteString('${{ steps.probe.outputs.status }}', { params: {}, outputs: {} })).toThrow(TemplateError);
  });

  it('a malformed fallback is a bad reference', () => {
    expect(findReferences('${{ steps.probe.outputs.status || none }}')[0]?.kind).toBe('invalid');
    expect(findReferences(`\${{ steps.probe.outputs.status || 'a' || 'b' }}`)[0]?.kind).toBe('invalid');
  });
});
