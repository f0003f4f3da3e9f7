/**
 * schema/runbook.schema.json: generated from the loader's zod schema, committed for
 * editors (`# yaml-language-server: $schema=../schema/runbook.schema.json`), never stale.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runbookJsonSchema } from '../../src/runbook/schema.js';
import { stepTypeNames, stepType } from '../../src/steps/catalogue.js';
import { renderRunbookSchema } from '../../src/runbook/write-schema.js';

const root = new URL('../../', import.meta.url);
const schemaFile = fileURLToPath(new URL('schema/runbook.schema.json', root));
const STALE = 'schema/runbook.schema.json is stale: run `npm run build && npm run schema` and commit the result';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => v as Json;

const y = (...lines: string[]): string => `${lines.join('\n')}\n`;

/** The contract's example (§2). */
const regionFailover = y(
  '# yaml-language-server: $schema=../schema/runbook.schema.json',
  'version: 1',
  'name: region-failover',
  'description: Move app traffic to us-west-2 and restore the latest export there.',
  'rto: 15m',
  'rpo: 1h',
  'params:',
  '  zone_id: { description: Route 53 hosted zone id, required: true }',
  '  record:  { default: app.example.com }',
  '  standby: { default: app-usw2.example.com }',
  'steps:',
  '  - id: verify-backups',
  '    type: s3.verify-backups',
  '    with: { bucket: acme-backups, prefix: db/, maxAge: 1h, minCount: 1, checksums: required }',
  '  - id: standby-healthy',
  '    type: http.check',
  '    with: { url: "https://${{ params.standby }}/healthz", status: 200, timeout: 30s }',
  '  - id: failover-dns',
  '    type: route53.change-records',
  '    confirm: typed',
  '    with:',
  '      zoneId: ${{ params.zone_id }}',
  '      changes:',
  '        - { name: "${{ params.record }}", type: CNAME, ttl: 60, values: ["${{ params.standby }}"] }',
  '      wait: insync',
  '  - id: restore-db',
  '    type: s3.restore',
  '    with: { source: "s3://acme-backups/db/", target: "s3://acme-usw2-data/db/", asOf: latest, verify: checksum }',
  '  - id: announce',
  '    type: shell',
  '    with: { run: ["./scripts/announce.sh", "failover done"], timeout: 30s }',
  '    rollback: { run: ["./scripts/announce.sh", "failover rolled back"] }',
);

/** A small valid runbook to break one way at a time. */
function base(): Json {
  return {
    version: 1,
    name: 'x',
    steps: [{ id: 'probe', type: 'http.check', with: { url: 'https://example.com/' } }],
  };
}

describe('schema/runbook.schema.json', () => {
  it('is up to date with the zod schema', () => {
    let committed: unknown;
    try {
      committed = JSON.parse(readFileSync(schemaFile, 'utf8'));
    } catch (err) {
      expect.fail(`${STALE} (cannot read it: ${(err as Error).message})`);
    }
    expect(committed, STALE).toEqual(runbookJsonSchema());
  });

  it('is written as write-schema writes it: pretty-printed, with a trailing newline', () => {
    const text = readFileSync(schemaFile, 'utf8');
    expect(text, STALE).toBe(renderRunbookSchema());
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "properties": {\n');
  });
});

describe('runbookJsonSchema()', () => {
  const schema = runbookJsonSchema();
  const props = obj(schema.properties);
  const branches = (list: 'steps' | 'require'): Json[] => obj(obj(props[list]).items).oneOf as Json[];
  const branch = (type: string): Json => {
    const b = branches('steps').find((s) => obj(obj(s.properties).type).const === type);
    if (!b) throw new Error(`no branch for ${type}`);
    return b;
  };

  it('is draft-07 with a title and a description', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('lifeboat runbook');
    expect(typeof schema.description).toBe('string');
    expect(schema.required).toEqual(['version', 'name', 'steps']);
    expect(schema.additionalProperties).toBe(false);
  });

  it('has one step branch per type, discriminated by a const type, each with its own with fields', () => {
    expect(branches('steps').map((b) => obj(obj(b.properties).type).const)).toEqual(stepTypeNames);
    for (const name of stepTypeNames) {
      const b = branch(name);
      const typeProp = obj(obj(b.properties).type);
      expect(typeof typeProp.description, `${name}: type description`).toBe('string');
      const withProp = obj(obj(b.properties).with);
      const shape = (stepType(name).with as unknown as { shape: Json }).shape;
      expect(Object.keys(obj(withProp.properties)), `${name}: with completion`).toEqual(Object.keys(shape));
      expect(withProp.additionalProperties).toBe(false);
      expect(b.required).toEqual(['id', 'type', 'with']);
      expect(b.additionalProperties).toBe(false);
    }
  });

  it('only lets a rollback be written where the loader takes one', () => {
    for (const name of stepTypeNames) {
      const has = 'rollback' in obj(branch(name).properties);
      expect(has, name).toBe(stepType(name).undo !== 'none');
    }
  });

  it('lists only checks under require', () => {
    expect(branches('require').map((b) => obj(obj(b.properties).type).const)).toEqual(
      stepTypeNames.filter((n) => stepType(n).check),
    );
  });

  it('gives durations, step ids and S3 URLs a pattern and a description', () => {
    const rto = obj(props.rto);
    expect(rto.pattern).toBe('^(?:\\d+(?:ms|s|m|h|d))+$');
    expect(typeof rto.description).toBe('string');
    const id = obj(obj(branch('shell').properties).id);
    expect(id.pattern).toBe('^[a-z0-9-]+$');
    const source = obj(obj(obj(branch('s3.restore').properties).with).properties).source as Json;
    expect(JSON.stringify(source)).toContain('"pattern":"^s3:');
  });
});

describe('the JSON Schema with ajv', () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
    validate = ajv.compile(runbookJsonSchema());
  });
  const check = (doc: unknown): boolean => validate(doc);

  it('compiles in strict mode', () => {
    expect(typeof validate).toBe('function');
  });

  it("accepts the contract's region-failover example", () => {
    const ok = check(parse(regionFailover));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('accepts every runbooks/*.yaml', () => {
    const dir = new URL('runbooks/', root);
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const ok = check(parse(readFileSync(new URL(f, dir), 'utf8')));
      expect(validate.errors ?? [], f).toEqual([]);
      expect(ok, f).toBe(true);
    }
  });

  it('accepts the small base runbook, so the rejections below are about one change each', () => {
    expect(check(base())).toBe(true);
  });

  it('rejects an unknown step type', () => {
    const doc = base();
    (doc.steps as Json[])[0] = { id: 'a', type: 'shel', with: { run: ['ls'] } };
    expect(check(doc)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('/steps/0');
  });

  it('rejects a field another type has (per-type with)', () => {
    const doc = base();
    obj((doc.steps as Json[])[0]).with = { url: 'https://example.com/', run: ['ls'] };
    expect(check(doc)).toBe(false);
  });

  it('rejects a rollback on a read-only type, a shell step in require, a bad duration, a bad id', () => {
    const rollback = base();
    obj((rollback.steps as Json[])[0]).rollback = false;
    expect(check(rollback)).toBe(false);

    const req = base();
    req.require = [{ id: 'r', type: 'shell', with: { run: ['ls'] } }];
    expect(check(req)).toBe(false);

    const dur = base();
    dur.rto = '15 minutes';
    expect(check(dur)).toBe(false);

    const id = base();
    obj((id.steps as Json[])[0]).id = 'Probe';
    expect(check(id)).toBe(false);
  });

  it('accepts a ${{ }} reference where with expects a number or an enum, but not anywhere', () => {
    const withBlock: Json = {
      zoneId: 'Z1',
      changes: [{ name: 'a.example.com', type: 'A', ttl: '${{ params.ttl }}' }],
      wait: '${{ params.wait }}',
    };
    const doc = base();
    doc.steps = [{ id: 'dns', type: 'route53.change-records', with: withBlock }];
    expect(check(doc)).toBe(true);
    withBlock.wait = 'sometimes';
    expect(check(doc)).toBe(false);
    withBlock.wait = 'insync';
    withBlock.changes = [{ name: 'a.example.com', type: 'A', ttl: 'sixty' }];
    expect(check(doc)).toBe(false);
  });
});
