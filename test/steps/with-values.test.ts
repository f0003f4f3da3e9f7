/**
 * The values each step type's `with` schema refuses, so that the loader (static values) and
 * the param check before a run (values from params) refuse them before the first step,
 * instead of the step failing after earlier steps changed the world. Each case: the issue's
 * path and message, and that a good value passes.
 */
import { describe, expect, it } from 'vitest';
import { PARSE_ONCE } from '../../src/runbook/fields.js';
import { stepType } from '../../src/steps/catalogue.js';

interface Found {
  path: string;
  message: string;
  fields?: unknown;
}

/** The issues of `w` against the type's `with` schema: path, message and the fields a cross-field refinement depends on. */
function issues(type: string, w: Record<string, unknown>): Found[] {
  const r = stepType(type).with.safeParse(w, PARSE_ONCE);
  if (r.success) return [];
  return r.error.issues.map((i) => ({
    path: i.path.join('.'),
    message: i.message,
    ...(i.code === 'custom' && i.params?.fields !== undefined ? { fields: i.params.fields as unknown } : {}),
  }));
}

describe('http.check', () => {
  it('refuses a URL that does not parse, and one that is not http(s)', () => {
    expect(issues('http.check', { url: 'notaurl' })).toEqual([
      { path: 'url', message: 'bad URL "notaurl": write the whole URL, with http:// or https://, e.g. https://app.example.com/healthz' },
    ]);
    expect(issues('http.check', { url: 'ftp://x/' })).toEqual([
      { path: 'url', message: 'bad URL "ftp://x/": only http:// and https:// can be checked, not ftp://; e.g. https://app.example.com/healthz' },
    ]);
    expect(issues('http.check', { url: 'https://app.example.com/healthz' })).toEqual([]);
    expect(issues('http.check', { url: 'http://127.0.0.1:8080/' })).toEqual([]);
  });

  it('refuses a status that is not an HTTP status code, alone or in a list; a string from a param is read as a number', () => {
    expect(issues('http.check', { url: 'https://a.example/', status: 99999 })).toEqual([{ path: 'status', message: 'bad HTTP status 99999: a status code is 100–599, e.g. 200' }]);
    expect(issues('http.check', { url: 'https://a.example/', status: [200, '42'] })).toEqual([{ path: 'status.1', message: 'bad HTTP status 42: a status code is 100–599, e.g. 200' }]);
    expect(issues('http.check', { url: 'https://a.example/', status: '204' })).toEqual([]);
    expect(issues('http.check', { url: 'https://a.example/', status: [200, 599, 100] })).toEqual([]);
  });

  it('refuses a bodyMatches that does not compile, and a body to check on a HEAD request', () => {
    const [bad] = issues('http.check', { url: 'https://a.example/', bodyMatches: '([' });
    expect(bad?.path).toBe('bodyMatches');
    expect(bad?.message).toMatch(/^bad regular expression "\(\[": Invalid regular expression: .+; write a JavaScript regular expression without slashes/);
    expect(issues('http.check', { url: 'https://a.example/', bodyMatches: '"status":\\s*"ok"' })).toEqual([]);
    expect(issues('http.check', { url: 'https://a.example/', method: 'HEAD', body: 'ok' })).toEqual([
      { path: 'body', message: 'a HEAD request has no body to check with body: use method: GET, or drop body', fields: ['method', 'body'] },
    ]);
  });
});

describe('autoscaling.set-capacity', () => {
  it('refuses sizes out of order, naming the pair, at the larger one; one left out is the group’s, checked at run time', () => {
    expect(issues('autoscaling.set-capacity', { group: 'web', min: 3, desired: 2, max: 1 })).toEqual([
      { path: 'desired', message: 'min 3 is above desired 2: give min ≤ desired ≤ max', fields: ['min', 'desired', 'max'] },
    ]);
    expect(issues('autoscaling.set-capacity', { group: 'web', min: '5', max: '4' })).toEqual([
      { path: 'max', message: 'min 5 is above max 4: give min ≤ desired ≤ max', fields: ['min', 'desired', 'max'] },
    ]);
    expect(issues('autoscaling.set-capacity', { group: 'web', desired: 9, max: 8 })).toEqual([
      { path: 'max', message: 'desired 9 is above max 8: give min ≤ desired ≤ max', fields: ['min', 'desired', 'max'] },
    ]);
    expect(issues('autoscaling.set-capacity', { group: 'web', min: 2, desired: 2, max: 8 })).toEqual([]);
    expect(issues('autoscaling.set-capacity', { group: 'web', desired: 40 })).toEqual([]);
  });

  it('refuses a step that sets none of min, desired, max', () => {
    expect(issues('autoscaling.set-capacity', { group: 'web', wait: 'none' })).toEqual([
      { path: '', message: 'give at least one of min, desired, max, e.g. with: { group: web, min: 2, desired: 4, max: 8 }' },
    ]);
  });
});

describe('route53.change-records', () => {
  const change = (c: Record<string, unknown>): Found[] => issues('route53.change-records', { zoneId: 'Z1', changes: [{ name: 'app.example.com', type: 'A', values: ['192.0.2.1'], ...c }] });

  it('refuses a record name Route 53 cannot hold; the final dot and a wildcard are fine', () => {
    expect(change({ name: 'bad..name' })).toEqual([
      { path: 'changes.0.name', message: 'bad record name "bad..name": a record name has no empty labels (no leading dot, no ".."); e.g. app.example.com' },
    ]);
    expect(change({ name: '.app.example.com' })[0]?.message).toContain('no empty labels');
    expect(change({ name: 'app example.com' })[0]?.message).toContain('no spaces or control characters');
    expect(change({ name: `${'a'.repeat(64)}.example.com` })[0]?.message).toContain('a label is at most 63 characters');
    expect(change({ name: `${'a.'.repeat(127)}com` })[0]?.message).toContain('at most 255 characters with its final dot (this one has 258)');
    expect(change({ name: 'app.example.com.' })).toEqual([]);
    expect(change({ name: '*.example.com' })).toEqual([]);
  });

  it('refuses a routing policy without a setIdentifier, and two policies on one set', () => {
    expect(change({ weight: 10 })).toEqual([
      { path: 'changes.0.weight', message: 'weight routing needs a setIdentifier: give each set of a routing policy its own, e.g. setIdentifier: usw2', fields: ['weight', 'setIdentifier'] },
    ]);
    expect(change({ weight: 10, failover: 'PRIMARY', setIdentifier: 'a' })).toEqual([
      {
        path: 'changes.0.failover',
        message: 'a record set has one routing policy, not weight and failover: keep one of weight, failover, region (latency), geo or multiValue',
        fields: ['weight', 'failover'],
      },
    ]);
    expect(change({ weight: 10, setIdentifier: 'blue' })).toEqual([]);
  });

  it('refuses UPSERT or CREATE without values (or alias), and an alias with values; DELETE needs none', () => {
    expect(change({ values: [] })).toEqual([
      {
        path: 'changes.0.values',
        message: 'UPSERT needs values: list them, e.g. values: ["standby.example.com"], or give an alias: { zoneId, dnsName }; to remove the record use action: DELETE',
        fields: ['action', 'values', 'alias'],
      },
    ]);
    expect(change({ action: 'CREATE', values: undefined })[0]?.message).toMatch(/^CREATE needs values/);
    expect(change({ action: 'DELETE', values: undefined })).toEqual([]);
    expect(change({ alias: { zoneId: 'Z2', dnsName: 'lb.example.com' } })[0]).toMatchObject({ path: 'changes.0.values', message: expect.stringMatching(/^an alias record takes alias/) as unknown });
    expect(change({ values: undefined, alias: { zoneId: 'Z2', dnsName: 'lb.example.com' } })).toEqual([]);
  });

  it('refuses a latency region that is not a region name', () => {
    expect(change({ region: 'us east', setIdentifier: 'a' })).toEqual([{ path: 'changes.0.region', message: 'bad region "us east": a region name is letters, digits and dashes, e.g. us-east-1' }]);
  });
});

describe('route53.shift-weights', () => {
  const shift = (w: Record<string, unknown>): Found[] => issues('route53.shift-weights', { zoneId: 'Z1', name: 'app.example.com', type: 'A', from: 'blue', to: 'green', stages: [10, 50, 100], ...w });

  it('refuses from equal to to', () => {
    expect(shift({ to: 'blue' })).toEqual([
      { path: 'to', message: 'from and to are both "blue": name two different weighted sets (set identifiers)', fields: ['from', 'to'] },
    ]);
  });

  it('refuses stages that do not rise, at the stage that does not', () => {
    expect(shift({ stages: [50, 10] })).toEqual([
      {
        path: 'stages.1',
        message: 'stages must rise: stage 2 (10%) is not above stage 1 (50%); list the percent sent to `to` after each stage in order, e.g. [10, 50, 100]',
        fields: [0, 1],
      },
    ]);
    expect(shift({ stages: [10, 10] })[0]?.path).toBe('stages.1');
    expect(shift({ stages: ['10', '50', '100'] })).toEqual([]);
  });

  it('refuses a bad record name, and a check URL or status that cannot work', () => {
    expect(shift({ name: 'app..example.com' })[0]?.path).toBe('name');
    expect(shift({ check: { url: 'notaurl', status: 1000 } })).toEqual([
      { path: 'check.url', message: 'bad URL "notaurl": write the whole URL, with http:// or https://, e.g. https://app.example.com/healthz' },
      { path: 'check.status', message: 'bad HTTP status 1000: a status code is 100–599, e.g. 200' },
    ]);
  });
});
