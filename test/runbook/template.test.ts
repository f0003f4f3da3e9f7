import { describe, expect, it } from 'vitest';
import { findReferences, hasTemplate, substitute, substituteString, TemplateError, type Scope } from '../../src/runbook/template.js';

const scope: Scope = {
  params: { record: 'app.example.com', evil: '$(rm -rf /); echo `id`', nested: '${{ params.record }}', empty: '' },
  outputs: {
    restore: { objects: 412, bytes: 1024, ok: true },
    announce: { stdout: 'line one\nline two' },
  },
};

describe('findReferences', () => {
  it('finds params and step outputs with their offsets', () => {
    expect(findReferences('a ${{ params.record }} b ${{steps.restore.outputs.objects}}')).toEqual([
      { kind: 'param', name: 'record', raw: '${{ params.record }}', offset: 2 },
      { kind: 'output', step: 'restore', name: 'objects', raw: '${{steps.restore.outputs.objects}}', offset: 25 },
    ]);
  });

  it('marks anything else as invalid, including an unclosed ${{', () => {
    expect(findReferences('${{ nonsense }}')).toEqual([{ kind: 'invalid', raw: '${{ nonsense }}', offset: 0 }]);
    expect(findReferences('${{ params }}')[0]?.kind).toBe('invalid');
    expect(findReferences('${{ steps.a.output.x }}')[0]?.kind).toBe('invalid');
    expect(findReferences('${{ env.HOME }}')[0]?.kind).toBe('invalid');
    expect(findReferences('x ${{ params.record')).toEqual([{ kind: 'invalid', raw: '${{ params.record', offset: 2 }]);
  });

  it('finds nothing in plain text, and hasTemplate agrees', () => {
    expect(findReferences('just $HOME and ${PATH} and {{ x }}')).toEqual([]);
    expect(hasTemplate('just $HOME and ${PATH}')).toBe(false);
    expect(hasTemplate('a ${{ params.x }}')).toBe(true);
  });
});

describe('substituteString', () => {
  it('replaces each placeholder with its value', () => {
    expect(substituteString('https://${{ params.record }}/healthz', scope)).toBe('https://app.example.com/healthz');
    expect(substituteString('${{ steps.restore.outputs.objects }} objects, ${{ steps.restore.outputs.bytes }} bytes', scope)).toBe(
      '412 objects, 1024 bytes',
    );
    expect(substituteString('${{ steps.restore.outputs.ok }}', scope)).toBe('true');
    expect(substituteString('[${{ params.empty }}]', scope)).toBe('[]');
  });

  it('inserts a value as literal text: shell syntax stays text', () => {
    expect(substituteString('echo ${{ params.evil }}', scope)).toBe('echo $(rm -rf /); echo `id`');
  });

  it('does not expand a ${{ }} that arrives inside a value', () => {
    expect(substituteString('<${{ params.nested }}>', scope)).toBe('<${{ params.record }}>');
  });

  it('keeps newlines in an output', () => {
    expect(substituteString('${{ steps.announce.outputs.stdout }}', scope)).toBe('line one\nline two');
  });

  it('returns text without placeholders unchanged', () => {
    expect(substituteString('plain $HOME', scope)).toBe('plain $HOME');
  });

  it('fails on a missing param, a step that has not run, a missing output, or a bad reference', () => {
    expect(() => substituteString('${{ params.zone_id }}', scope)).toThrow(TemplateError);
    expect(() => substituteString('${{ params.zone_id }}', scope)).toThrow('param "zone_id" has no value');
    expect(() => substituteString('${{ steps.dns.outputs.changeId }}', scope)).toThrow('step "dns" has not run');
    expect(() => substituteString('${{ steps.restore.outputs.seconds }}', scope)).toThrow('step "restore" has no output "seconds"');
    expect(() => substituteString('${{ nonsense }}', scope)).toThrow(TemplateError);
    expect(() => substituteString('${{ params.record', scope)).toThrow(TemplateError);
  });

  it('never reaches Object.prototype through a name', () => {
    expect(() => substituteString('${{ params.constructor }}', scope)).toThrow('param "constructor" has no value');
    expect(() => substituteString('${{ params.__proto__ }}', scope)).toThrow(TemplateError);
    expect(() => substituteString('${{ steps.constructor.outputs.name }}', scope)).toThrow('has not run');
    expect(() => substituteString('${{ steps.restore.outputs.toString }}', scope)).toThrow('has no output "toString"');
  });
});

describe('substitute', () => {
  it('substitutes inside arrays and nested objects, element by element, as data', () => {
    const input = {
      run: ['./announce.sh', '--record', '${{ params.record }}', 'moved: ${{ params.evil }}'],
      env: { RECORD: '${{ params.record }}' },
      changes: [{ name: '${{ params.record }}', ttl: 60, values: ['${{ params.nested }}'] }],
      wait: true,
      none: null,
    };
    const out = substitute(input, scope);
    expect(out).toEqual({
      run: ['./announce.sh', '--record', 'app.example.com', 'moved: $(rm -rf /); echo `id`'],
      env: { RECORD: 'app.example.com' },
      changes: [{ name: 'app.example.com', ttl: 60, values: ['${{ params.record }}'] }],
      wait: true,
      none: null,
    });
    // One argv element stays one element, spaces and all: nothing is split or re-parsed.
    expect(out.run).toHaveLength(4);
  });

  it('returns a new value and leaves the input alone', () => {
    const input = { run: ['${{ params.record }}'] };
    const out = substitute(input, scope);
    expect(out).not.toBe(input);
    expect(input.run[0]).toBe('${{ params.record }}');
  });

  it('throws when a nested value has a missing reference', () => {
    expect(() => substitute({ a: [{ b: '${{ params.missing }}' }] }, scope)).toThrow('param "missing" has no value');
  });
});
