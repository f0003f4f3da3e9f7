/** `run` writes the same reports as rehearse and verify (contract §1: --report is a common flag). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { seedDemo } from '../../src/demo/seed.js';
import { motoEndpoint, uniqueName } from '../helpers/aws.js';
import { runCli, tempDir } from '../helpers/cli.js';

describe('run --report', () => {
  test('JUnit and JSON reports of an interactive-less run: one testcase per step, runId and outcome', async () => {
    const zone = `${uniqueName('report')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    const dir = tempDir();
    const res = await runCli([
      'run', 'runbooks/dns-failover.yaml', '--yes', '--confirm', 'confirm-outage=done',
      '--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`,
      '--state-dir', join(dir, 'state'),
      '--report', 'junit', '--report-file', join(dir, 'run.xml'),
      '--report', 'json', '--report-file', join(dir, 'run.json'),
    ]);
    expect(res.code, res.stderr).toBe(0);
    const junit = await readFile(join(dir, 'run.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(3);
    expect(junit).not.toContain('<failure');
    const json = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { runId: string; mode: string; steps: Array<{ id: string; status: string }> };
    expect(json.mode).toBe('run');
    expect(json.runId).toMatch(/^\d{8}T\d{6}Z-dns-failover-[0-9a-f]{4}$/);
    expect(json.steps.map((s) => [s.id, s.status])).toEqual([
      ['confirm-outage', 'passed'],
      ['failover-dns', 'passed'],
      ['announce', 'passed'],
    ]);
  });

  test('a report on stdout and --json together: exit 2 before anything runs', async () => {
    const res = await runCli(['run', 'runbooks/dns-failover.yaml', '--yes', '--report', 'json', '--json']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--report-file');
  });
});
