/**
 * Values that cannot work are refused before the first step (contract §2): a static one by
 * `validate`, located at the value; one that depends only on params by the check before the
 * run (exit 2, nothing changed), or by `validate` when the params' defaults tell. And every
 * problem of a file in one pass.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode, formatProblem, RunbookInvalidError } from '../../src/errors.js';
import { parseRunbook } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/model.js';
import { resolveParams } from '../../src/runbook/params.js';

const y = (...lines: string[]): string => `${lines.join('\n')}\n`;
const problems = (source: string): string[] => parseRunbook(source, 'rb.yaml').problems.map(formatProblem);

function load(source: string): Runbook {
  const { runbook, problems: found } = parseRunbook(source, 'rb.yaml');
  if (!runbook) throw new Error(found.map(formatProblem).join('\n'));
  return runbook;
}

describe('validate: static values that cannot work, each at its value', () => {
  it('http.check, autoscaling.set-capacity, route53.change-records, route53.shift-weights, aws.region', () => {
    expect(
      problems(
        y(
          'version: 1',
          'name: x',
          'aws: { region: "not a region!" }',
          'steps:',
          '  - { id: probe, type: http.check, with: { url: "ftp://x/", status: 99999 } }',
          '  - { id: cap, type: autoscaling.set-capacity, with: { group: web, min: 3, desired: 2, max: 1 } }',
          '  - id: dns',
          '    type: route53.change-records',
          '    with:',
          '      zoneId: Z1',
          '      changes:',
          '        - { name: a.example.com, type: A, weight: 10, values: [192.0.2.1] }',
          '        - { name: b.example.com, type: A, values: [] }',
          '  - { id: shift, type: route53.shift-weights, with: { zoneId: Z1, name: a.example.com, type: A, from: blue, to: blue, stages: [50, 10] } }',
        ),
      ),
    ).toEqual([
      'rb.yaml:3:16: bad region "not a region!": a region name is letters, digits and dashes, e.g. us-east-1',
      'rb.yaml:5:49: bad URL "ftp://x/": only http:// and https:// can be checked, not ftp://; e.g. https://app.example.com/healthz',
      'rb.yaml:5:69: bad HTTP status 99999: a status code is 100–599, e.g. 200',
      'rb.yaml:6:85: min 3 is above desired 2: give min ≤ desired ≤ max',
      'rb.yaml:12:51: weight routing needs a setIdentifier: give each set of a routing policy its own, e.g. setIdentifier: usw2',
      'rb.yaml:13:51: UPSERT needs values: list them, e.g. values: ["standby.example.com"], or give an alias: { zoneId, dnsName }; to remove the record use action: DELETE',
      'rb.yaml:14:113: from and to are both "blue": name two different weighted sets (set identifiers)',
      'rb.yaml:14:132: stages must rise: stage 2 (10%) is not above stage 1 (50%); list the percent sent to `to` after each stage in order, e.g. [10, 50, 100]',
    ]);
  });

  it('when: comparing mode with a mode that does not exist', () => {
    expect(problems(y('version: 1', 'name: x', 'steps:', '  - { id: a, type: wait, when: mode == "dryrun", with: { duration: 1s } }'))).toEqual([
      'rb.yaml:4:32: bad when: mode is never "dryrun", so mode == "dryrun" is always false (did you mean "dry-run"?); the modes are plan, dry-run, run, rehearse, verify',
    ]);
  });

  it('a value with a step output is left for the step; one with a param without a default for the run', () => {
    expect(
      problems(
        y(
          'version: 1',
          'name: x',
          'params: { top: { required: true }, url: { required: true } }',
          'steps:',
          '  - { id: probe, type: shell, with: { run: [echo, "3"] } }',
          '  - { id: cap, type: autoscaling.set-capacity, with: { group: web, min: "${{ steps.probe.outputs.stdout }}", max: "${{ params.top }}" } }',
          '  - { id: check, type: http.check, with: { url: "${{ params.url }}" } }',
        ),
      ),
    ).toEqual([]);
  });
});

describe('validate: params', () => {
  it('a param name no ${{ params.… }} can refer to, and two params set by the same LIFEBOAT_PARAM_ variable', () => {
    expect(
      problems(
        y(
          'version: 1',
          'name: x',
          'params:',
          '  "bad name": { default: x }',
          '  Zone-ID: { default: Z1 }',
          '  zone_id: { default: Z2 }',
          '  zone-name: { default: example.com }',
          'steps:',
          '  - { id: a, type: wait, with: { duration: 1s } }',
        ),
      ),
    ).toEqual([
      'rb.yaml:4:3: bad param name "bad name": no ${{ params.… }} or when: can refer to it; a param name is letters, digits, _ and - (starting with a letter or _), e.g. "bad_name"',
      'rb.yaml:6:3: params "Zone-ID" and "zone_id" are both set by the variable LIFEBOAT_PARAM_ZONE_ID: rename one',
    ]);
  });

  it('a with field whose params have defaults: a cross-field rule is checked with the default, at the param field', () => {
    expect(
      problems(
        y(
          'version: 1',
          'name: x',
          'params: { low: { default: "2" }, rec: { default: bad..name } }',
          'steps:',
          '  - { id: cap, type: autoscaling.set-capacity, with: { group: web, min: 3, desired: "${{ params.low }}" } }',
          '  - { id: dns, type: route53.change-records, with: { zoneId: Z1, changes: [{ name: "${{ params.rec }}", type: A, values: [192.0.2.1] }] } }',
        ),
      ),
    ).toEqual([
      'rb.yaml:5:85: step "cap" with.desired: min 3 is above desired 2: give min ≤ desired ≤ max (the value comes from params.low; pass a valid --param low=…)',
      'rb.yaml:6:84: step "dns" with.changes[0].name: bad record name "bad..name": a record name has no empty labels (no leading dot, no ".."); e.g. app.example.com (the value comes from params.rec; pass a valid --param rec=…)',
    ]);
  });
});

describe('validate: every problem in one pass', () => {
  it('an unknown field does not hide a default that does not fit its field', () => {
    expect(
      problems(
        y(
          'version: 1',
          'name: x',
          'params: { d: { default: 30d } }',
          'steps:',
          '  - { id: a, type: wait, with: { duration: 1s, bogus: 1 } }',
          '  - { id: b, type: wait, with: { duration: "${{ params.d }}" } }',
        ),
      ),
    ).toEqual([
      'rb.yaml:5:48: unknown field "bogus"; a wait step\'s with takes: duration',
      'rb.yaml:6:44: step "b" with.duration "30d" is longer than lifeboat can wait or time out: at most 24d20h31m23s (2^31-1 ms, the longest a timer holds); use a shorter one (the value comes from params.d; pass a valid --param d=…)',
    ]);
  });

  it('a bad asOf default is reported with unrelated problems; a default reported as not fitting its type is not reported again at its fields', () => {
    expect(
      problems(
        y(
          'version: 1',
          'name: x',
          'params:',
          '  asof: { default: "2026-11-29" }',
          '  at: { type: timestamp, default: "2026-11-29" }',
          'steps:',
          '  - { id: Bad-Id, type: wait, with: { duration: 1s } }',
          '  - { id: r, type: s3.restore, with: { source: "s3://acme-b/db/", target: "s3://acme-t/db/", asOf: "${{ params.asof }}" } }',
          '  - { id: s, type: s3.restore, with: { source: "s3://acme-b/db/", target: "s3://acme-t/db/", asOf: "${{ params.at }}" } }',
        ),
      ),
    ).toEqual([
      'rb.yaml:5:35: param "at": default "2026-11-29" is not a timestamp (use ISO-8601 with a zone, e.g. 2026-11-23T04:00:00Z)',
      'rb.yaml:7:11: bad step id "Bad-Id": use lowercase letters, digits and dashes ([a-z0-9-]+), e.g. "bad-id"',
      'rb.yaml:8:100: step "r" with.asOf: bad time "2026-11-29": use latest or ISO-8601 with a zone, e.g. 2026-11-23T04:00:00Z (the value comes from params.asof; pass a valid --param asof=…)',
    ]);
  });
});

describe('validate: confirm: none that would be overridden', () => {
  it('on a step that cannot be undone (by its type, or rollback: false); fine when an undo command is given', () => {
    expect(
      problems(
        y(
          'version: 1',
          'name: x',
          'steps:',
          '  - { id: promote, type: rds.promote-replica, confirm: none, with: { instanceId: db-2 } }',
          '  - { id: purge, type: shell, confirm: none, rollback: false, with: { run: [echo] } }',
          '  - { id: promote-2, type: rds.promote-replica, confirm: none, rollback: { run: [echo, undo] }, with: { instanceId: db-3 } }',
          '  - { id: echo, type: shell, confirm: none, with: { run: [echo] } }',
        ),
      ),
    ).toEqual([
      'rb.yaml:4:56: step "promote": confirm: none does not apply, a rds.promote-replica step cannot be undone, so it always asks for a typed confirmation; write confirm: typed (or remove confirm)',
      'rb.yaml:5:40: step "purge": confirm: none does not apply, it has rollback: false, so it always asks for a typed confirmation; write confirm: typed (or remove confirm)',
    ]);
  });
});

describe('the check before a run: values from --param', () => {
  const runbook = load(
    y(
      'version: 1',
      'name: x',
      'params: { url: { required: true }, rec: { required: true }, top: { default: "4" }, from: { default: blue }, to: { default: green } }',
      'steps:',
      '  - { id: touch, type: shell, with: { run: [touch, /tmp/x] } }',
      '  - { id: probe, type: http.check, with: { url: "${{ params.url }}" } }',
      '  - { id: dns, type: route53.change-records, with: { zoneId: Z1, changes: [{ name: "${{ params.rec }}", type: A, values: [192.0.2.1] }] } }',
      '  - { id: cap, type: autoscaling.set-capacity, with: { group: web, min: 3, max: "${{ params.top }}" } }',
      '  - { id: shift, type: route53.shift-weights, with: { zoneId: Z1, name: a.example.com, type: A, from: "${{ params.from }}", to: "${{ params.to }}", stages: [100] } }',
    ),
  );

  it('refuses every bad one with exit 2, at its field, naming the param; nothing was changed', () => {
    let err: unknown;
    try {
      resolveParams(runbook, { url: 'notaurl', rec: 'bad..name', top: '1', to: 'blue' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunbookInvalidError);
    expect((err as RunbookInvalidError).exitCode).toBe(ExitCode.usage);
    expect((err as RunbookInvalidError).problems.map(formatProblem)).toEqual([
      'rb.yaml:6:49: step "probe" with.url: bad URL "notaurl": write the whole URL, with http:// or https://, e.g. https://app.example.com/healthz (the value comes from params.url; pass a valid --param url=…); nothing was changed',
      'rb.yaml:7:84: step "dns" with.changes[0].name: bad record name "bad..name": a record name has no empty labels (no leading dot, no ".."); e.g. app.example.com (the value comes from params.rec; pass a valid --param rec=…); nothing was changed',
      'rb.yaml:8:81: step "cap" with.max: min 3 is above max 1: give min ≤ desired ≤ max (the value comes from params.top; pass a valid --param top=…); nothing was changed',
      'rb.yaml:9:103: step "shift" with.from: from and to are both "blue": name two different weighted sets (set identifiers) (the value comes from params.from; pass a valid --param from=…); nothing was changed',
    ]);
  });

  it('good values pass', () => {
    expect(resolveParams(runbook, { url: 'https://app.example.com/healthz', rec: 'app.example.com', top: '8' }).values).toMatchObject({ top: '8', to: 'green' });
  });
});
