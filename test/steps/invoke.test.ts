/** The typed confirmation's text worked out before its step is reached (knownConfirmation), and a manual step's one --confirm answer. Pure. */
import { describe, expect, test } from 'vitest';
import { parseRunbook } from '../../src/runbook/load.js';
import type { Step } from '../../src/runbook/model.js';
import { knownConfirmation, manualAnswer } from '../../src/steps/invoke.js';

function steps(yaml: string): Record<string, Step> {
  const r = parseRunbook(`version: 1\nname: t\nparams:\n  zone: { default: Z1 }\n  rec: { default: app.example.com }\nsteps:\n${yaml}`, '/nowhere/t.yaml');
  if (!r.runbook) throw new Error(JSON.stringify(r.problems));
  return Object.fromEntries(r.runbook.steps.map((s) => [s.id, s]));
}

const s = steps(`
  - id: first
    type: shell
    with: { run: [echo, hello] }
  - id: sh
    type: shell
    confirm: typed
    with: { run: [touch, "x-\${{ steps.first.outputs.stdout }}"] }
  - id: lit
    type: route53.change-records
    confirm: typed
    with:
      zoneId: "\${{ steps.first.outputs.stdout }}"
      changes: [{ name: "\${{ params.rec }}.", type: CNAME, ttl: 60, values: [b.example.com] }]
  - id: dep
    type: route53.change-records
    confirm: typed
    with:
      zoneId: "\${{ params.zone }}"
      changes: [{ name: "www.\${{ steps.first.outputs.stdout || 'x' }}", type: CNAME, ttl: 60, values: [b.example.com] }]
  - id: ttl
    type: route53.change-records
    confirm: typed
    with:
      zoneId: Z1
      changes: [{ name: www.example.com, type: CNAME, ttl: "\${{ steps.first.outputs.stdout }}", values: [b.example.com] }]
  - id: mt
    type: manual
    confirm: typed
    with: { instructions: do it }
  - id: mi
    type: manual
    rollback: false
    with: { instructions: do it }
  - id: m
    type: manual
    with: { instructions: do it }
`);
const params = { zone: 'Z1', rec: 'app.example.com' };

describe('knownConfirmation', () => {
  test('a text that does not come from an output is known before the earlier steps run', () => {
    expect(knownConfirmation(s.sh as Step, { params, outputs: {} })).toBe('sh');
    expect(knownConfirmation(s.lit as Step, { params, outputs: {} })).toBe('app.example.com');
    // An output in a field that is not the text, and that does not fit its type yet (ttl).
    expect(knownConfirmation(s.ttl as Step, { params, outputs: {} })).toBe('www.example.com');
  });

  test('a text that comes from an output is unknown until that output is, fallback or not', () => {
    expect(knownConfirmation(s.dep as Step, { params, outputs: {} })).toBeUndefined();
    expect(knownConfirmation(s.dep as Step, { params, outputs: { first: { stdout: 'example.org' } } })).toBe('www.example.org');
  });

  test('plan: outputs of steps it did not run are stand-ins, unknown too', () => {
    const placeholders = { first: { stdout: '${{ steps.first.outputs.stdout }}' } };
    expect(knownConfirmation(s.dep as Step, { params, outputs: placeholders }, new Set(['first']))).toBeUndefined();
    expect(knownConfirmation(s.lit as Step, { params, outputs: placeholders }, new Set(['first']))).toBe('app.example.com');
  });

  test('a param without a value: not known', () => {
    expect(knownConfirmation(s.lit as Step, { params: {}, outputs: {} })).toBeUndefined();
  });
});

describe('manualAnswer', () => {
  test('a manual step answers done, or the typed text when it needs a typed confirmation; other steps have none', () => {
    expect(manualAnswer(s.m as Step)).toBe('done');
    expect(manualAnswer(s.mt as Step)).toBe('typed');
    expect(manualAnswer(s.mi as Step)).toBe('typed');
    expect(manualAnswer(s.sh as Step)).toBeUndefined();
  });
});
