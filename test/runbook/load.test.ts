/**
 * The loader, proven by a table of bad runbooks: each must produce exactly the listed
 * `file:line:col: message` problems, in file order, located at the offending node itself
 * (1-based), with a message that says what is wrong and what to do.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode, formatProblem, RunbookInvalidError, UsageError } from '../../src/errors.js';
import { loadRunbook, parseRunbook } from '../../src/runbook/load.js';

/** A runbook source, one argument a line, so line and column numbers are plain to see. */
const y = (...lines: string[]): string => `${lines.join('\n')}\n`;

interface BadCase {
  name: string;
  source: string;
  problems: string[];
}

const bad: BadCase[] = [
  {
    name: 'YAML: a key indented less than its siblings',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '   with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:6:4: YAML syntax error: Sequence item without - indicator; check the indentation: keys of one mapping start in the same column, list items with "- "',
    ],
  },
  {
    name: 'YAML: a key indented more than its siblings',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '      type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:5:7: YAML syntax error: this line is indented deeper than the line above it; keys of one mapping start in the same column',
    ],
  },
  {
    name: 'YAML: unclosed double quote',
    source: y(
      'version: 1',
      'name: "region-failover',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:2:7: YAML syntax error: this string opened with " is never closed; add the closing "',
    ],
  },
  {
    name: 'YAML: unclosed flow sequence',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls, -l }',
    ),
    problems: [
      'rb.yaml:6:18: YAML syntax error: this [ is never closed; add the closing ]',
    ],
  },
  {
    name: 'YAML: unclosed flow mapping',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls]',
      '  - id: b',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:6:11: YAML syntax error: this { is never closed; add the closing }',
    ],
  },
  {
    name: 'YAML: a tab as indentation',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '\t- id: a',
    ),
    problems: [
      'rb.yaml:4:1: YAML syntax error: a tab is used as indentation; indent with spaces',
    ],
  },
  {
    name: 'YAML: an unquoted ${{ }} inside a flow mapping',
    source: y(
      'version: 1',
      'name: x',
      'params:',
      '  host: { default: app.example.com }',
      'steps:',
      '  - id: probe',
      '    type: http.check',
      '    with: { url: https://${{ params.host }}/healthz, status: 200 }',
    ),
    problems: [
      'rb.yaml:8:26: YAML syntax error: inside { } or [ ], a value with ${{ }} must be quoted, e.g. { url: "https://${{ params.host }}/" }',
    ],
  },
  {
    name: 'YAML: duplicate top-level key',
    source: y(
      'version: 1',
      'name: x',
      'name: y',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:3:1: duplicate key "name" (first at line 2): a key may appear once in a mapping; remove one',
    ],
  },
  {
    name: 'YAML: duplicate key inside a step',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
      '    type: wait',
    ),
    problems: [
      'rb.yaml:7:5: duplicate key "type" (first at line 5): a key may appear once in a mapping; remove one',
    ],
  },
  {
    name: 'YAML: an alias to an undefined anchor',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: *shell-defaults',
    ),
    problems: [
      'rb.yaml:6:11: unknown alias *shell-defaults: define the anchor &shell-defaults before this point',
    ],
  },
  {
    name: 'YAML: two documents in one file',
    source: y(
      'version: 1',
      'name: x',
      '---',
      'steps: []',
    ),
    problems: [
      'rb.yaml:3:1: YAML syntax error: a runbook file holds one YAML document; remove this ---',
    ],
  },
  {
    name: 'an empty file',
    source: y(
      '# nothing here yet',
    ),
    problems: [
      'rb.yaml:1:1: empty runbook: expected version, name and steps',
    ],
  },
  {
    name: 'a runbook that is a list',
    source: y(
      '- id: a',
      '  type: shell',
    ),
    problems: [
      'rb.yaml:1:1: the runbook must be a mapping (got a list)',
    ],
  },
  {
    name: 'wrong version',
    source: y(
      'version: 2',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:1:10: version must be 1 (got number 2)',
    ],
  },
  {
    name: 'an empty steps list',
    source: y(
      'version: 1',
      'name: x',
      'steps: []',
    ),
    problems: [
      'rb.yaml:3:8: steps must list at least 1 item',
    ],
  },
  {
    name: 'no steps at all',
    source: y(
      'version: 1',
      'name: x',
      'description: forgot the steps',
    ),
    problems: [
      'rb.yaml:1:1: missing required field "steps" in the runbook',
    ],
  },
  {
    name: 'unknown top-level field',
    source: y(
      'version: 1',
      'name: x',
      'stpes: []',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:3:1: unknown field "stpes" (did you mean steps?); a runbook takes: version, name, description, rto, rpo, params, aws, require, steps',
    ],
  },
  {
    name: 'bad runbook name',
    source: y(
      'version: 1',
      'name: region failover',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:2:7: bad runbook name "region failover": use letters, digits, dot, dash, underscore (start with a letter or digit)',
    ],
  },
  {
    name: 'unknown field in a param',
    source: y(
      'version: 1',
      'name: x',
      'params:',
      '  zone_id: { descripton: hosted zone, required: true }',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:4:14: unknown field "descripton" (did you mean description?); a param takes: description, required, default, secret, type, enum',
    ],
  },
  {
    name: 'unknown step type, close to a known one',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shel',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:5:11: unknown step type "shel" (did you mean shell?); known types: autoscaling.set-capacity, http.check, manual, rds.failover-cluster, rds.promote-replica, route53.change-records, route53.shift-weights, s3.restore, s3.verify-backups, shell, wait',
    ],
  },
  {
    name: 'unknown step type, a prefix of a known one',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: dns',
      '    type: route53',
      '    with: { zoneId: Z1 }',
    ),
    problems: [
      'rb.yaml:5:11: unknown step type "route53"; known types: autoscaling.set-capacity, http.check, manual, rds.failover-cluster, rds.promote-replica, route53.change-records, route53.shift-weights, s3.restore, s3.verify-backups, shell, wait',
    ],
  },
  {
    name: 'unknown step type, nothing close',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: kubernetes.apply',
    ),
    problems: [
      'rb.yaml:5:11: unknown step type "kubernetes.apply"; known types: autoscaling.set-capacity, http.check, manual, rds.failover-cluster, rds.promote-replica, route53.change-records, route53.shift-weights, s3.restore, s3.verify-backups, shell, wait',
    ],
  },
  {
    name: 'a step without id or type',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - description: restart the app',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:4:5: missing required field "id" in steps[0]',
      'rb.yaml:4:5: missing required field "type" in steps[0]; known types: autoscaling.set-capacity, http.check, manual, rds.failover-cluster, rds.promote-replica, route53.change-records, route53.shift-weights, s3.restore, s3.verify-backups, shell, wait',
    ],
  },
  {
    name: 'a step that is a string',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - shell ls',
    ),
    problems: [
      'rb.yaml:4:5: steps[0] must be a mapping (got "shell ls")',
    ],
  },
  {
    name: 'unknown step field',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    timout: 5m',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:6:5: unknown field "timout" (did you mean timeout?); a step takes: id, type, description, with, confirm, timeout, retries, when, modes, limits, aws, rollback',
    ],
  },
  {
    name: 'duplicate step id',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: announce',
      '    type: shell',
      '    with: { run: [ls] }',
      '  - id: announce',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:7:9: duplicate step id "announce" (first used at line 4): step ids must be unique; rename one',
    ],
  },
  {
    name: 'step id with uppercase',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: failoverDNS',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:4:9: bad step id "failoverDNS": use lowercase letters, digits and dashes ([a-z0-9-]+), e.g. "failoverdns"',
    ],
  },
  {
    name: 'step id with spaces',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: fail over',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:4:9: bad step id "fail over": use lowercase letters, digits and dashes ([a-z0-9-]+), e.g. "fail-over"',
    ],
  },
  {
    name: 'confirm: maybe',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    confirm: maybe',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:6:14: confirm must be one of "none", "yes", "typed" (got "maybe")',
    ],
  },
  {
    name: 'retries out of range and an unknown limit',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    retries: 50',
      '    limits: { maxChange: 2 }',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:6:14: retries must be at most 10 (got number 50)',
      'rb.yaml:7:15: unknown field "maxChange" (did you mean maxChanges?); limits takes: maxChanges, maxDeletes, maxObjects, maxBytes',
    ],
  },
  {
    name: 'unknown field in with: shell',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls], cmd: ls }',
    ),
    problems: [
      'rb.yaml:6:24: unknown field "cmd" (did you mean cwd?); a shell step\'s with takes: run, cwd, env, timeout, exitCodes',
    ],
  },
  {
    name: 'unknown field in with: http.check',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: probe',
      '    type: http.check',
      '    with:',
      '      url: https://app.example.com/healthz',
      '      expect: 200',
    ),
    problems: [
      'rb.yaml:8:7: unknown field "expect"; an http.check step\'s with takes: url, method, status, body, bodyMatches, headers, timeout, interval',
    ],
  },
  {
    name: 'unknown field in with: s3.verify-backups',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: backups',
      '    type: s3.verify-backups',
      '    with: { bucket: acme-backups, max_age: 1h }',
    ),
    problems: [
      'rb.yaml:6:35: unknown field "max_age" (did you mean maxAge?); an s3.verify-backups step\'s with takes: bucket, prefix, maxAge, minCount, maxCount, minSize, maxSize, minTotalBytes, maxTotalBytes, checksums, manifest, concurrency',
    ],
  },
  {
    name: 'unknown field in a route53 change',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: dns',
      '    type: route53.change-records',
      '    with:',
      '      zoneId: Z1',
      '      changes:',
      '        - { name: app.example.com, type: CNAME, TTL: 60, values: [b.example.com] }',
    ),
    problems: [
      'rb.yaml:9:49: unknown field "TTL" (did you mean ttl?); with.changes[0] takes: action, name, type, ttl, values, alias, setIdentifier, weight, failover, region, geo, multiValue, healthCheckId',
    ],
  },
  {
    name: 'route53 without zoneId',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: dns',
      '    type: route53.change-records',
      '    with:',
      '      changes:',
      '        - { name: app.example.com, type: CNAME, values: [b.example.com] }',
    ),
    problems: [
      'rb.yaml:6:5: missing required field "zoneId" in with; a route53.change-records step\'s with needs: zoneId, changes',
    ],
  },
  {
    name: 'shell without run',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with:',
      '      cwd: /srv',
    ),
    problems: [
      'rb.yaml:6:5: missing required field "run" in with; a shell step\'s with needs: run',
    ],
  },
  {
    name: 'shell without with',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
    ),
    problems: [
      'rb.yaml:4:5: step "a" has no "with": a shell step needs with.run',
    ],
  },
  {
    name: 'with that is not a mapping',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: ls -l',
    ),
    problems: [
      'rb.yaml:6:11: with must be a mapping (got "ls -l")',
    ],
  },
  {
    name: 'ttl: "abc"',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: dns',
      '    type: route53.change-records',
      '    with:',
      '      zoneId: Z1',
      '      changes:',
      '        - name: app.example.com',
      '          type: CNAME',
      '          ttl: abc',
      '          values: [b.example.com]',
    ),
    problems: [
      'rb.yaml:11:16: with.changes[0].ttl must be a number (got "abc")',
    ],
  },
  {
    name: 'ttl with no value',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: dns',
      '    type: route53.change-records',
      '    with:',
      '      zoneId: Z1',
      '      changes:',
      '        - name: app.example.com',
      '          type: CNAME',
      '          ttl:',
      '          values: [b.example.com]',
    ),
    problems: [
      'rb.yaml:11:11: with.changes[0].ttl has no value: expected a number; give one or remove the key',
    ],
  },
  {
    name: 'record type not a Route 53 type',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: dns',
      '    type: route53.change-records',
      '    with:',
      '      zoneId: Z1',
      '      changes:',
      '        - { name: app.example.com, type: cname, values: [b.example.com] }',
    ),
    problems: [
      'rb.yaml:9:42: with.changes[0].type must be one of "A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "TXT" (got "cname"); did you mean "CNAME"?',
    ],
  },
  {
    name: 'bad s3:// URL',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: restore',
      '    type: s3.restore',
      '    with:',
      '      source: https://acme-backups.s3.amazonaws.com/db/',
      '      target: s3://acme-usw2-data/db/',
    ),
    problems: [
      'rb.yaml:7:15: bad S3 URL "https://acme-backups.s3.amazonaws.com/db/": expected s3://bucket/prefix/',
    ],
  },
  {
    name: 'bad asOf time (no zone)',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: restore',
      '    type: s3.restore',
      '    with:',
      '      source: s3://acme-backups/db/',
      '      target: s3://acme-usw2-data/db/',
      '      asOf: 2026-11-23T04:00:00',
    ),
    problems: [
      'rb.yaml:9:13: bad time "2026-11-23T04:00:00": use latest or ISO-8601 with a zone, e.g. 2026-11-23T04:00:00Z',
    ],
  },
  {
    name: 'bad durations: rto, step timeout, with.timeout',
    source: y(
      'version: 1',
      'name: x',
      'rto: 15 minutes',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    timeout: 5x',
      '    with: { run: [ls], timeout: "30" }',
    ),
    problems: [
      'rb.yaml:3:6: bad duration "15 minutes": a duration is a number and a unit: 500ms, 30s, 5m, 1h, 1d (or combined, 1h30m)',
      'rb.yaml:7:14: bad duration "5x": a duration is a number and a unit: 500ms, 30s, 5m, 1h, 1d (or combined, 1h30m)',
      'rb.yaml:8:33: bad duration "30": a duration is a number and a unit: 500ms, 30s, 5m, 1h, 1d (or combined, 1h30m)',
    ],
  },
  {
    name: 'a duration given as a bare number',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: pause',
      '    type: wait',
      '    with: { duration: 30 }',
    ),
    problems: [
      'rb.yaml:6:23: bad duration 30 for with.duration: a duration is a number and a unit: 500ms, 30s, 5m, 1h, 1d (or combined, 1h30m)',
    ],
  },
  {
    name: 'unknown param in ${{ params.x }}',
    source: y(
      'version: 1',
      'name: x',
      'params:',
      '  record: { default: app.example.com }',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [echo, "moving ${{ params.recrod }}"] }',
    ),
    problems: [
      'rb.yaml:8:25: unknown param "recrod" in ${{ params.recrod }} (did you mean record?); declared: record',
    ],
  },
  {
    name: '${{ params.x }} with no params declared',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with:',
      '      run: [echo, "${{ params.record }}"]',
    ),
    problems: [
      'rb.yaml:7:19: unknown param "record" in ${{ params.record }}; no params are declared',
    ],
  },
  {
    name: 'output of a later step',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: announce',
      '    type: shell',
      '    with: { run: [echo, "${{ steps.restore.outputs.objects }} objects"] }',
      '  - id: restore',
      '    type: s3.restore',
      '    with: { source: "s3://acme-backups/db/", target: "s3://acme-usw2-data/db/" }',
    ),
    problems: [
      'rb.yaml:6:25: ${{ steps.restore.outputs.objects }}: step "restore" runs after this one, so its outputs are not known yet',
    ],
  },
  {
    name: 'output of an unknown step',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: restore',
      '    type: s3.restore',
      '    with: { source: "s3://acme-backups/db/", target: "s3://acme-usw2-data/db/" }',
      '  - id: announce',
      '    type: shell',
      '    with: { run: [echo, "${{ steps.restor.outputs.objects }}"] }',
    ),
    problems: [
      'rb.yaml:9:25: ${{ steps.restor.outputs.objects }} refers to unknown step "restor" (did you mean restore?); steps before this one: restore',
    ],
  },
  {
    name: 'output of the step itself',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: announce',
      '    type: shell',
      '    with: { run: [echo, "${{ steps.announce.outputs.stdout }}"] }',
    ),
    problems: [
      'rb.yaml:6:25: ${{ steps.announce.outputs.stdout }}: a step cannot use its own outputs',
    ],
  },
  {
    name: 'an output the referenced type does not have',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: probe',
      '    type: http.check',
      '    with: { url: "https://app.example.com/" }',
      '  - id: announce',
      '    type: shell',
      '    with: { run: [echo, "${{ steps.probe.outputs.body }}"] }',
    ),
    problems: [
      'rb.yaml:9:25: ${{ steps.probe.outputs.body }}: an http.check step has no output "body" (outputs: status)',
    ],
  },
  {
    name: 'a malformed ${{ nonsense }}',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [echo, "${{ nonsense }}"] }',
    ),
    problems: [
      'rb.yaml:6:25: bad reference ${{ nonsense }}: use ${{ params.<name> }} or ${{ steps.<id>.outputs.<name> }}',
    ],
  },
  {
    name: 'an unclosed ${{',
    source: y(
      'version: 1',
      'name: x',
      'params:',
      '  record: {}',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [echo, "${{ params.record"] }',
    ),
    problems: [
      'rb.yaml:8:25: unclosed reference "${{ params.record": close it with }}',
    ],
  },
  {
    name: 'rollback on http.check',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: probe',
      '    type: http.check',
      '    with: { url: "https://app.example.com/" }',
      '    rollback: { run: [echo, undo] }',
    ),
    problems: [
      'rb.yaml:7:5: step "probe": an http.check step changes nothing, so it takes no rollback; remove the rollback',
    ],
  },
  {
    name: 'rollback: false on wait',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: pause',
      '    type: wait',
      '    with: { duration: 30s }',
      '    rollback: false',
    ),
    problems: [
      'rb.yaml:7:5: step "pause": a wait step changes nothing, so it takes no rollback; remove the rollback',
    ],
  },
  {
    name: 'rollback on s3.verify-backups',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: backups',
      '    type: s3.verify-backups',
      '    with: { bucket: acme-backups }',
      '    rollback:',
      '      instructions: nothing to do',
    ),
    problems: [
      'rb.yaml:7:5: step "backups": an s3.verify-backups step changes nothing, so it takes no rollback; remove the rollback',
    ],
  },
  {
    name: 'rollback.instructions on a shell step',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: announce',
      '    type: shell',
      '    with: { run: [./announce.sh] }',
      '    rollback:',
      '      instructions: tell everyone it was a drill',
    ),
    problems: [
      'rb.yaml:8:7: step "announce": rollback.instructions is for manual steps; a shell step takes rollback: { run: [argv…] } or rollback: false',
    ],
  },
  {
    name: 'rollback: true',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: announce',
      '    type: shell',
      '    with: { run: [./announce.sh] }',
      '    rollback: true',
    ),
    problems: [
      'rb.yaml:7:15: rollback must be false, { run: [argv…] } or { instructions: "…" } (got boolean true)',
    ],
  },
  {
    name: 'when: syntax error',
    source: y(
      'version: 1',
      'name: x',
      'params:',
      '  env: { default: prod }',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
      '    when: params.env == "prod" &&',
    ),
    problems: [
      'rb.yaml:9:11: bad when: unexpected end of condition (a condition looks like: params.env == "prod" && steps.probe.outputs.status == 200)',
    ],
  },
  {
    name: 'when: single =',
    source: y(
      'version: 1',
      'name: x',
      'params:',
      '  env: { default: prod }',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
      '    when: params.env = "prod"',
    ),
    problems: [
      'rb.yaml:9:11: bad when: unexpected "=" at column 12: compare with == (a condition looks like: params.env == "prod" && steps.probe.outputs.status == 200)',
    ],
  },
  {
    name: 'when: unknown param',
    source: y(
      'version: 1',
      'name: x',
      'params:',
      '  env: { default: prod }',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
      '    when: params.environment == "prod"',
    ),
    problems: [
      'rb.yaml:9:11: bad when: unknown param "environment"; declared: env',
    ],
  },
  {
    name: 'when: later step, own step, missing output',
    source: y(
      'version: 1',
      'name: x',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
      '    when: steps.b.outputs.exitCode == 0',
      '  - id: b',
      '    type: shell',
      '    with: { run: [ls] }',
      '    when: steps.b.outputs.exitCode == 0',
      '  - id: c',
      '    type: shell',
      '    with: { run: [ls] }',
      '    when: steps.a.outputs.status == 200',
    ),
    problems: [
      'rb.yaml:7:11: bad when: step "b" runs after this one, so its outputs are not known yet',
      'rb.yaml:11:11: bad when: steps.b: a step\'s when cannot use its own outputs',
      'rb.yaml:15:11: bad when: step "a" has no output "status" (outputs: stdout, exitCode)',
    ],
  },
  {
    name: 'a non-check type in require',
    source: y(
      'version: 1',
      'name: x',
      'require:',
      '  - id: restore-first',
      '    type: s3.restore',
      '    with: { source: "s3://acme-backups/db/", target: "s3://acme-usw2-data/db/" }',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [ls] }',
    ),
    problems: [
      'rb.yaml:5:11: require: lists checks only (http.check, s3.verify-backups); an s3.restore step changes things, so move it to steps',
    ],
  },
  {
    name: 'a require check that uses step outputs',
    source: y(
      'version: 1',
      'name: x',
      'require:',
      '  - id: probe',
      '    type: http.check',
      '    with: { url: "https://${{ steps.a.outputs.stdout }}/" }',
      '    when: steps.a.outputs.exitCode == 0',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [hostname] }',
    ),
    problems: [
      'rb.yaml:6:18: ${{ steps.a.outputs.stdout }}: require checks run before every step, so they cannot use step outputs',
      'rb.yaml:7:11: bad when: step "a" runs after this one, so its outputs are not known yet',
    ],
  },
  {
    name: 'a step that uses the outputs of a require check',
    source: y(
      'version: 1',
      'name: x',
      'require:',
      '  - id: probe',
      '    type: http.check',
      '    with: { url: "https://example.com/" }',
      'steps:',
      '  - id: a',
      '    type: shell',
      '    with: { run: [echo, "${{ steps.probe.outputs.status }}"] }',
    ),
    problems: [
      'rb.yaml:10:25: ${{ steps.probe.outputs.status }}: "probe" is a require check; checks pass or refuse the run, their outputs are not kept for steps',
    ],
  },
  {
    name: 'several problems, all reported at once, in file order',
    source: y(
      'version: 1',
      'name: region-failover',
      'rto: 15',
      'params:',
      '  zone_id: { required: true }',
      'steps:',
      '  - id: verify-backups',
      '    type: s3.verify-backup',
      '    with: { bucket: acme-backups }',
      '  - id: failover-dns',
      '    type: route53.change-records',
      '    confirm: typed',
      '    with:',
      '      zoneId: ${{ params.zone }}',
      '      changes:',
      '        - { name: app.example.com, type: CNAME, ttl: sixty, values: [b.example.com] }',
      '  - id: failover-dns',
      '    type: http.check',
      '    with: { url: "https://${{ steps.restore.outputs.objects }}/", timeout: 30 }',
      '    rollback: false',
      '    notes: check it',
    ),
    problems: [
      'rb.yaml:3:6: bad duration 15 for rto: a duration is a number and a unit: 500ms, 30s, 5m, 1h, 1d (or combined, 1h30m)',
      'rb.yaml:8:11: unknown step type "s3.verify-backup" (did you mean s3.verify-backups?); known types: autoscaling.set-capacity, http.check, manual, rds.failover-cluster, rds.promote-replica, route53.change-records, route53.shift-weights, s3.restore, s3.verify-backups, shell, wait',
      'rb.yaml:14:15: unknown param "zone" in ${{ params.zone }}; declared: zone_id',
      'rb.yaml:16:54: with.changes[0].ttl must be a number (got "sixty")',
      'rb.yaml:17:9: duplicate step id "failover-dns" (first used at line 10): step ids must be unique; rename one',
      'rb.yaml:19:18: ${{ steps.restore.outputs.objects }} refers to unknown step "restore"; steps before this one: verify-backups, failover-dns',
      'rb.yaml:19:76: bad duration 30 for with.timeout: a duration is a number and a unit: 500ms, 30s, 5m, 1h, 1d (or combined, 1h30m)',
      'rb.yaml:20:5: step "failover-dns": an http.check step changes nothing, so it takes no rollback; remove the rollback',
      'rb.yaml:21:5: unknown field "notes" (did you mean modes?); a step takes: id, type, description, with, confirm, timeout, retries, when, modes, limits, aws, rollback',
    ],
  },
];

describe('parseRunbook: bad runbooks', () => {
  it('has a big table', () => {
    expect(bad.length).toBeGreaterThanOrEqual(25);
    expect(new Set(bad.map((c) => c.name)).size).toBe(bad.length);
  });

  it.each(bad)('$name', ({ source, problems }) => {
    const result = parseRunbook(source, 'rb.yaml');
    expect(result.problems.map(formatProblem)).toEqual(problems);
    expect(result.runbook).toBeUndefined();
  });
});

/** The contract's example (§2), verbatim. */
const regionFailover = y(
  '# yaml-language-server: $schema=../schema/runbook.schema.json',
  'version: 1',
  'name: region-failover',
  'description: Move app traffic to us-west-2 and restore the latest export there.',
  'rto: 15m                 # target recovery time; rehearse/verify report against it',
  'rpo: 1h                  # oldest acceptable backup; default maxAge for s3.verify-backups',
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
  '    confirm: typed            # operator types the record name before the change',
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

describe('parseRunbook: valid runbooks', () => {
  it("merges a step's aws: over the runbook's; a step with a role of its own does not take the runbook role's external id", () => {
    const { runbook, problems } = parseRunbook(
      y(
        'version: 1',
        'name: roles',
        'aws: { region: us-west-2, roleArn: "arn:aws:iam::222222222222:role/dr", externalId: dr-2026 }',
        'steps:',
        '  - { id: same, type: wait, with: { duration: 0s } }',
        '  - { id: region, type: wait, with: { duration: 0s }, aws: { region: eu-west-1 } }',
        '  - { id: local, type: wait, with: { duration: 0s }, aws: { roleArn: "arn:aws:iam::333333333333:role/local" } }',
        '  - { id: own, type: wait, with: { duration: 0s }, aws: { roleArn: "arn:aws:iam::333333333333:role/local", externalId: mine-1 } }',
      ),
      'roles.yaml',
    );
    expect(problems).toEqual([]);
    expect(runbook?.steps.map((s) => [s.id, s.aws])).toEqual([
      ['same', { region: 'us-west-2', roleArn: 'arn:aws:iam::222222222222:role/dr', externalId: 'dr-2026' }],
      ['region', { region: 'eu-west-1', roleArn: 'arn:aws:iam::222222222222:role/dr', externalId: 'dr-2026' }],
      ['local', { region: 'us-west-2', roleArn: 'arn:aws:iam::333333333333:role/local' }],
      ['own', { region: 'us-west-2', roleArn: 'arn:aws:iam::333333333333:role/local', externalId: 'mine-1' }],
    ]);
  });

  it('loads the contract example with no problems', () => {
    const { runbook, problems } = parseRunbook(regionFailover, 'runbooks/region-failover.yaml');
    expect(problems).toEqual([]);
    expect(runbook).toBeDefined();
    if (!runbook) return;
    expect(runbook.name).toBe('region-failover');
    expect(runbook.file).toBe('runbooks/region-failover.yaml');
    expect(runbook.dir).toBe('runbooks');
    expect(runbook.rtoMs).toBe(15 * 60_000);
    expect(runbook.rpoMs).toBe(3_600_000);
    expect(Object.keys(runbook.params)).toEqual(['zone_id', 'record', 'standby']);
    expect(runbook.params.zone_id).toEqual({ description: 'Route 53 hosted zone id', required: true });
    expect(runbook.require).toEqual([]);
    expect(runbook.steps.map((s) => [s.id, s.type, s.loc])).toEqual([
      ['verify-backups', 's3.verify-backups', { line: 12, col: 5 }],
      ['standby-healthy', 'http.check', { line: 15, col: 5 }],
      ['failover-dns', 'route53.change-records', { line: 18, col: 5 }],
      ['restore-db', 's3.restore', { line: 26, col: 5 }],
      ['announce', 'shell', { line: 29, col: 5 }],
    ]);
    const dns = runbook.steps[2];
    expect(dns?.confirm).toBe('typed');
    expect(dns?.retries).toBe(0);
    // `with` stays raw: placeholders are substituted just before the step runs.
    expect(dns?.with).toEqual({
      zoneId: '${{ params.zone_id }}',
      changes: [{ name: '${{ params.record }}', type: 'CNAME', ttl: 60, values: ['${{ params.standby }}'] }],
      wait: 'insync',
    });
    // Without confirm:, a step asks before it runs (the default is yes).
    expect(runbook.steps[0]?.confirm).toBe('yes');
    expect(runbook.steps[4]?.rollback).toEqual({ run: ['./scripts/announce.sh', 'failover rolled back'] });
    expect(runbook.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves a templated value unchecked until it is substituted, and keeps step options', () => {
    const { runbook, problems } = parseRunbook(
      y(
        'version: 1',
        'name: templated',
        'params:',
        '  ttl: { default: "60" }',
        '  mode: { default: insync }',
        'require:',
        '  - id: probe',
        '    type: http.check',
        '    with: { url: "https://example.com/", status: [200, 204] }',
        'steps:',
        '  - id: dns',
        '    type: route53.change-records',
        '    timeout: 2m',
        '    retries: 2',
        '    when: params.mode != "skip" && (params.ttl > 30 || !params.mode)',
        '    limits: { maxChanges: 1 }',
        '    with:',
        '      zoneId: Z1',
        '      changes:',
        '        - { name: app.example.com, type: CNAME, ttl: "${{ params.ttl }}", values: [b.example.com] }',
        '      wait: ${{ params.mode }}',
        '  - id: after',
        '    type: manual',
        '    when: steps.dns.outputs.changeId != ""',
        `    with: { instructions: "check \${{ steps.dns.outputs.changeId || 'no change' }}" }`,
        '    rollback: { instructions: undo by hand }',
      ),
      'rb.yaml',
    );
    expect(problems.map(formatProblem)).toEqual([]);
    expect(runbook?.require.map((s) => [s.id, s.type, s.loc])).toEqual([['probe', 'http.check', { line: 7, col: 5 }]]);
    const dns = runbook?.steps[0];
    expect(dns?.timeoutMs).toBe(120_000);
    expect(dns?.retries).toBe(2);
    expect(dns?.limits).toEqual({ maxChanges: 1 });
    expect(dns?.when).toBe('params.mode != "skip" && (params.ttl > 30 || !params.mode)');
  });
});

describe('parseRunbook: YAML anchors', () => {
  it('resolves an alias to an anchor defined earlier', () => {
    const { runbook, problems } = parseRunbook(
      y(
        'version: 1',
        'name: anchors',
        'steps:',
        '  - id: first',
        '    type: shell',
        '    with: &announce { run: [./announce.sh], timeout: 30s }',
        '  - id: second',
        '    type: shell',
        '    with: *announce',
      ),
      'rb.yaml',
    );
    expect(problems).toEqual([]);
    expect(runbook?.steps[1]?.with).toEqual({ run: ['./announce.sh'], timeout: '30s' });
  });
});

describe('loadRunbook', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-load-'));
    dirs.push(dir);
    return dir;
  };

  it('a missing file is a usage error (exit 2) naming the file', async () => {
    const file = join(await tempDir(), 'no-such-runbook.yaml');
    const err: unknown = await loadRunbook(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    expect((err as UsageError).where).toBe(file);
    expect((err as UsageError).message).toContain(file);
    expect((err as UsageError).message).toContain('no such runbook file');
  });

  it('an invalid file throws every problem, located in that file, with exit code 2', async () => {
    const file = join(await tempDir(), 'bad.yaml');
    await writeFile(file, y('version: 1', 'name: x', 'steps:', '  - id: a', '    type: shel', '  - id: a', '    type: wait', '    with: { duration: soon }'));
    const err: unknown = await loadRunbook(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunbookInvalidError);
    const invalid = err as RunbookInvalidError;
    expect(invalid.exitCode).toBe(ExitCode.usage);
    expect(invalid.problems.map(formatProblem)).toEqual([
      `${file}:5:11: unknown step type "shel" (did you mean shell?); known types: autoscaling.set-capacity, http.check, manual, rds.failover-cluster, rds.promote-replica, route53.change-records, route53.shift-weights, s3.restore, s3.verify-backups, shell, wait`,
      `${file}:6:9: duplicate step id "a" (first used at line 4): step ids must be unique; rename one`,
      `${file}:8:23: bad duration "soon": a duration is a number and a unit: 500ms, 30s, 5m, 1h, 1d (or combined, 1h30m)`,
    ]);
    expect(invalid.message.split('\n')).toEqual(invalid.problems.map(formatProblem));
  });

  it('a valid file loads, with its directory as the default working directory', async () => {
    const dir = await tempDir();
    const file = join(dir, 'ok.yaml');
    await writeFile(file, regionFailover);
    const runbook = await loadRunbook(file);
    expect(runbook.file).toBe(file);
    expect(runbook.dir).toBe(dir);
    expect(runbook.source).toBe(regionFailover);
    expect(runbook.steps).toHaveLength(5);
  });
});

describe('the runbooks shipped in runbooks/', () => {
  const dir = fileURLToPath(new URL('../../runbooks/', import.meta.url));

  it('every runbooks/*.yaml loads with no problems and points editors at the schema', async () => {
    const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
    expect(files.length, 'runbooks/ must hold at least one example runbook').toBeGreaterThan(0);
    for (const f of files) {
      const path = join(dir, f);
      const runbook = await loadRunbook(path).catch((err: unknown) => {
        throw new Error(`${f} does not load:\n${err instanceof Error ? err.message : String(err)}`);
      });
      expect(runbook.steps.length, f).toBeGreaterThan(0);
      expect(runbook.source.split('\n')[0], `${f}: first line`).toBe('# yaml-language-server: $schema=../schema/runbook.schema.json');
    }
  });
});
