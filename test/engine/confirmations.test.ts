/** Typed and manual confirmations without a terminal, checked before the first change (contract §4): exit 3 with the flag to pass. Pure. */
import { describe, expect, test } from 'vitest';
import { preflightConfirmations } from '../../src/engine/confirmations.js';
import { RefusedError } from '../../src/errors.js';
import { parseRunbook } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/model.js';

function runbook(yaml: string): Runbook {
  const r = parseRunbook(`version: 1\nname: t\nsteps:\n  - id: first\n    type: shell\n    with: { run: [echo, hello] }\n${yaml}`, '/nowhere/t.yaml');
  if (!r.runbook) throw new Error(JSON.stringify(r.problems));
  return r.runbook;
}

function refusal(rb: Runbook, given: Record<string, string>): string | undefined {
  try {
    preflightConfirmations(rb, {}, new Map(Object.entries(given)));
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(RefusedError);
    return (err as Error).message;
  }
}

const shell = runbook(`
  - id: sh
    type: shell
    confirm: typed
    with: { run: [touch, "x-\${{ steps.first.outputs.stdout }}"] }
`);
const dep = runbook(`
  - id: dns
    type: route53.change-records
    confirm: typed
    with:
      zoneId: Z1
      changes: [{ name: "\${{ steps.first.outputs.stdout }}", type: CNAME, ttl: 60, values: [b.example.com] }]
`);
const manualTyped = runbook(`
  - id: mt
    type: manual
    confirm: typed
    with: { instructions: do it }
`);
const manual = runbook(`
  - id: m
    type: manual
    with: { instructions: do it }
`);

describe('preflightConfirmations', () => {
  test('a known text is checked now, although the step uses an earlier output elsewhere', () => {
    expect(refusal(shell, {})).toContain('step sh needs a typed confirmation\n  → --yes alone never confirms it: pass --confirm sh=sh; nothing was changed');
    expect(refusal(shell, { sh: 'nope' })).toContain('"nope" does not match');
    expect(refusal(shell, { sh: 'sh' })).toBeUndefined();
  });

  test('a text known only once an earlier step ran needs a --confirm now, compared later', () => {
    expect(refusal(dep, {})).toContain('no --confirm dns=… was given');
    expect(refusal(dep, {})).toContain('this step uses the outputs of first');
    expect(refusal(dep, { dns: 'anything.example.com' })).toBeUndefined();
  });

  test('a manual step takes done; one that needs a typed confirmation takes the typed text, which also confirms it done', () => {
    expect(refusal(manual, {})).toContain('pass --confirm m=done');
    expect(refusal(manual, { m: 'DONE' })).toBeUndefined();
    expect(refusal(manualTyped, { mt: 'done' })).toContain('"done" does not match');
    expect(refusal(manualTyped, { mt: 'done' })).toContain('pass --confirm mt=mt (a manual step that needs a typed confirmation takes that text as its one answer');
    expect(refusal(manualTyped, { mt: 'mt' })).toBeUndefined();
  });
});
