/**
 * The demo runbook walked by a person: through a real pseudo-terminal (tmux), typing keys
 * and reading the screen; the record is checked in moto afterwards.
 */
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, test } from 'vitest';
import { seedDemo } from '../../src/demo/seed.js';
import { cliEnv, motoEndpoint, testRoute53, uniqueName } from '../helpers/aws.js';
import { BIN, ROOT, tempDir } from '../helpers/cli.js';
import { Terminal } from '../helpers/tmux.js';

async function appTarget(zoneId: string, zone: string): Promise<string | undefined> {
  const res = await testRoute53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  const set = res.ResourceRecordSets?.find((s) => s.Name === `app.${zone}.` && s.Type === 'CNAME');
  return set?.ResourceRecords?.[0]?.Value;
}

let term: Terminal | undefined;
afterEach(() => term?.close());

function walk(name: string, zone: string, zoneId: string): Terminal {
  const args = [process.execPath, BIN, 'run', 'runbooks/dns-failover.yaml', '--param', `zone_id=${zoneId}`, '--param', `record=app.${zone}`, '--param', `standby=standby.${zone}`, '--state-dir', tempDir()];
  return Terminal.start(name, args, { ...cliEnv(), TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' }, ROOT);
}

describe('interactive run through a real terminal', () => {
  test('proceeding at every prompt fails over the record; rolling back at the last prompt puts it back', async () => {
    const zone = `${uniqueName('pty')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    expect(await appTarget(zoneId, zone)).toBe(`primary.${zone}`);

    // First walk: proceed everywhere.
    term = walk('walk1', zone, zoneId);
    await term.waitFor('[1/3] Confirm the primary is really down: what now?');
    term.keys('Enter'); // proceed
    await term.waitFor('is "confirm-outage" done?');
    term.keys('Enter'); // done
    const planScreen = await term.waitFor('[2/3] Point the app record at the standby: what now?');
    expect(planScreen).toContain(`primary.${zone}`);
    expect(planScreen).toContain(`standby.${zone}`);
    term.keys('Enter');
    await term.waitFor('[3/3] Tell people: what now?');
    term.keys('Enter');
    await term.waitFor('completed');
    expect(await term.exitCode()).toBe(0);
    expect(await appTarget(zoneId, zone)).toBe(`standby.${zone}`);
    term.close();

    // Second walk from the primary again: roll back at the last prompt.
    await seedDemo(motoEndpoint(), zone);
    term = walk('walk2', zone, zoneId);
    await term.waitFor('[1/3] Confirm the primary is really down: what now?');
    term.keys('Enter');
    await term.waitFor('is "confirm-outage" done?');
    term.keys('Enter');
    await term.waitFor('[2/3] Point the app record at the standby: what now?');
    term.keys('Enter');
    await term.waitFor('[3/3] Tell people: what now?');
    expect(await appTarget(zoneId, zone)).toBe(`standby.${zone}`);
    term.keys('Down', 'Down'); // proceed, skip, → roll back
    await term.waitFor(/❯ roll back/);
    term.keys('Enter');
    // Undoing the manual step shows its undo instructions and asks again.
    await term.waitFor('is the undo of "confirm-outage" done?');
    term.keys('Enter');
    await term.waitFor('rolled back: every completed step was undone');
    expect(await term.exitCode()).toBe(1);
    expect(await appTarget(zoneId, zone)).toBe(`primary.${zone}`);
  });

  test('Ctrl-C at a prompt is an operator decision: no stack trace, exit 130', async () => {
    const zone = `${uniqueName('ctrlc')}.example.com`;
    const { zoneId } = await seedDemo(motoEndpoint(), zone);
    term = walk('ctrlc', zone, zoneId);
    await term.waitFor('what now?');
    term.keys('C-c');
    expect(await term.exitCode()).toBe(130);
    const screen = term.screen();
    expect(screen).toContain('interrupted');
    expect(screen).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    expect(await appTarget(zoneId, zone)).toBe(`primary.${zone}`);
  });
});
