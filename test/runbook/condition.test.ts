import { describe, expect, it } from 'vitest';
import { checkCondition, ConditionError, evaluateCondition, type ConditionScope } from '../../src/runbook/condition.js';

const scope: ConditionScope = {
  params: { env: 'prod', region: 'us-west-2', count: '10', zero: '0', no: 'false', empty: '' },
  outputs: { probe: { status: 200, body: 'ok' }, verify: { count: 9, newestKey: 'db/2026.dump' } },
};
const ev = (src: string): boolean => evaluateCondition(src, scope);

describe('evaluateCondition', () => {
  it('compares strings and params', () => {
    expect(ev('params.env == "prod"')).toBe(true);
    expect(ev("params.env == 'prod'")).toBe(true);
    expect(ev('params.env != "prod"')).toBe(false);
    expect(ev('params.region == "us-east-1"')).toBe(false);
  });

  it('compares numerically when both sides are numbers, else as strings', () => {
    // numeric: 10 > 9, while as strings "10" < "9"
    expect(ev('params.count > 9')).toBe(true);
    expect(ev('params.count > steps.verify.outputs.count')).toBe(true);
    expect(ev('params.count == 10.0')).toBe(true);
    expect(ev('steps.probe.outputs.status >= 200 && steps.probe.outputs.status < 300')).toBe(true);
    expect(ev('steps.probe.outputs.status == "200"')).toBe(true);
    // strings: "b" > "a", and "10" < "9" when one side is not a number
    expect(ev('"b" > "a"')).toBe(true);
    expect(ev('params.count < "9x"')).toBe(true);
    expect(ev('params.env < "q"')).toBe(true);
  });

  it('gives && precedence over ||, and parentheses override it', () => {
    // true || (false && false) = true; (true || false) && false = false
    expect(ev('params.env == "prod" || params.env == "dev" && params.region == "eu"')).toBe(true);
    expect(ev('(params.env == "prod" || params.env == "dev") && params.region == "eu"')).toBe(false);
    expect(ev('false && false || true')).toBe(true);
    expect(ev('false && (false || true)')).toBe(false);
  });

  it('applies ! to what follows, including a comparison', () => {
    expect(ev('!false')).toBe(true);
    expect(ev('!!true')).toBe(true);
    expect(ev('!params.env == "dev"')).toBe(true);
    expect(ev('!(params.env == "prod")')).toBe(false);
  });

  it('treats "", "0", "false" and a missing value as false, anything else as true', () => {
    expect(ev('params.env')).toBe(true);
    expect(ev('params.zero')).toBe(false);
    expect(ev('params.no')).toBe(false);
    expect(ev('params.empty')).toBe(false);
    expect(ev('params.missing')).toBe(false);
    expect(ev('steps.skipped.outputs.x')).toBe(false);
    expect(ev('steps.probe.outputs.body')).toBe(true);
    expect(ev('0')).toBe(false);
    expect(ev('1')).toBe(true);
  });

  it('never reaches Object.prototype through a name', () => {
    expect(ev('params.constructor')).toBe(false);
    expect(ev('params.toString == ""')).toBe(true);
    expect(ev('steps.constructor.outputs.name')).toBe(false);
    expect(ev('steps.probe.outputs.constructor')).toBe(false);
  });

  it('throws a ConditionError on bad syntax', () => {
    for (const bad of ['', 'params.env ==', 'params.env = "prod"', '(params.env', 'params.env == "prod" and true', '"open', 'params.env === "x"', 'a & b']) {
      expect(() => ev(bad), bad).toThrow(ConditionError);
    }
  });

  it('is not JavaScript: no eval, no calls, no globals', () => {
    for (const js of [
      'constructor.constructor("return process")()',
      'params.env.constructor.constructor("return 1")()',
      'process.exit(1)',
      'this',
      'globalThis.process',
      '[].constructor',
      'params["env"]',
      'params.env + "x"',
      '`x`',
      'params.env ? true : false',
    ]) {
      expect(() => ev(js), js).toThrow(ConditionError);
    }
  });
});

describe('checkCondition', () => {
  const known = {
    params: new Set(['env', 'region']),
    stepsBefore: new Set(['probe']),
    allSteps: new Set(['probe', 'me', 'later']),
    self: 'me',
    outputs: new Map([
      ['probe', ['status']],
      ['me', ['stdout']],
      ['later', ['stdout']],
    ]),
  };

  it('accepts a condition over known names', () => {
    expect(checkCondition('params.env == "prod" && steps.probe.outputs.status == 200', known)).toBeUndefined();
  });

  it('reports an unknown param and lists the declared ones', () => {
    expect(checkCondition('params.enviroment == "prod"', known)).toBe('unknown param "enviroment"; declared: env, region');
    expect(checkCondition('params.x', { params: new Set(), stepsBefore: new Set() })).toBe('unknown param "x"; no params are declared');
  });

  it('reports a step that runs later, the step itself, an unknown step, an unknown output', () => {
    expect(checkCondition('steps.later.outputs.stdout', known)).toBe('step "later" runs after this one, so its outputs are not known yet');
    expect(checkCondition('steps.me.outputs.stdout', known)).toBe("steps.me: a step's when cannot use its own outputs");
    expect(checkCondition('steps.nope.outputs.x', known)).toBe('unknown step "nope"; steps before this one: probe');
    expect(checkCondition('steps.probe.outputs.body', known)).toBe('step "probe" has no output "body" (outputs: status)');
  });

  it('works with only the required names given', () => {
    expect(checkCondition('steps.probe.outputs.anything', { params: new Set(), stepsBefore: new Set(['probe']) })).toBeUndefined();
    expect(checkCondition('steps.x.outputs.y', { params: new Set(), stepsBefore: new Set() })).toBe(
      'unknown step "x"; no step runs before this one',
    );
  });

  it('reports a comparison of mode with a value no mode has (never true, or with != always)', () => {
    expect(checkCondition('mode == "dryrun"', known)).toBe(
      'mode is never "dryrun", so mode == "dryrun" is always false (did you mean "dry-run"?); the modes are plan, dry-run, run, rehearse, verify',
    );
    expect(checkCondition('params.env == "prod" && !("production" != mode)', known)).toBe(
      'mode is never "production", so mode != "production" is always true; the modes are plan, dry-run, run, rehearse, verify',
    );
    for (const mode of ['plan', 'dry-run', 'run', 'rehearse', 'verify']) expect(checkCondition(`mode == "${mode}" || mode != '${mode}'`, known)).toBeUndefined();
    // a param compared with an odd value is the runbook's business
    expect(checkCondition('params.env == "dryrun"', known)).toBeUndefined();
  });

  it('reports syntax errors with their column and an example', () => {
    expect(checkCondition('params.env = "prod"', known)).toBe(
      'unexpected "=" at column 12: compare with == (a condition looks like: params.env == "prod" && steps.probe.outputs.status == 200)',
    );
    expect(checkCondition('params.env == "prod" and params.region == "x"', known)).toBe(
      'unexpected "and" at column 22 (use &&) (a condition looks like: params.env == "prod" && steps.probe.outputs.status == 200)',
    );
    expect(checkCondition('(params.env == "prod"', known)).toMatch(/^missing "\)"/);
    expect(checkCondition('env == "prod"', known)).toMatch(/^"env" at column 1 is not params\.<name>, steps\.<id>\.outputs\.<name> or mode/);
    expect(checkCondition('params.env == "prod', known)).toMatch(/^unterminated string at column 15/);
  });
});
