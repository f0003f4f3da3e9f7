/**
 * `lifeboat init <name>`: write <name>.yaml, a commented starter runbook that validates and
 * is safe to try (a manual confirmation, a health check, an announcement), pointing editors
 * at the installed JSON Schema. It never overwrites a file (exit 2) unless --force.
 */
import { access, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExitCode, UsageError } from '../../src/errors.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { schemaFile } from './schema.js';

const NAME = /^[a-z0-9][a-z0-9-]*$/;

export function starterRunbook(name: string, schemaUrl: string): string {
  return `# yaml-language-server: $schema=${schemaUrl}
# ${name}: a lifeboat runbook. Each step is planned, shown, confirmed and journaled; every
# step that changes something records how to undo it first.
#   lifeboat validate ${name}.yaml          check it (no AWS call)
#   lifeboat plan ${name}.yaml              what it would change, read-only
#   lifeboat rehearse ${name}.yaml          run it for real, then roll everything back
#   lifeboat run ${name}.yaml               the real thing, asking at every step
# Editors: the first line points at the schema installed with lifeboat (\`lifeboat schema\`
# prints it; \`lifeboat schema --path\` says where it is).
version: 1
name: ${name}
description: What this runbook recovers, and when to use it.
rto: 15m                  # target recovery time: rehearse and verify measure against it
# rpo: 1h                 # oldest acceptable backup (the default maxAge of s3.verify-backups)

params:
  standby_url: { description: Health endpoint of the standby, default: "https://standby.example.com/healthz" }
  # zone_id: { description: Route 53 hosted zone id, required: true }

steps:
  - id: confirm-outage
    type: manual            # the operator confirms by hand (--confirm confirm-outage=done without a TTY)
    with:
      instructions: Confirm the primary is down (dashboards, the on-call channel) before failing over.

  - id: standby-healthy
    type: http.check        # read-only: polls until the status matches or the timeout
    with: { url: "\${{ params.standby_url }}", status: 200, timeout: 30s }

  # - id: failover-dns
  #   type: route53.change-records
  #   confirm: typed        # the operator types the record name before the change
  #   with:
  #     zoneId: \${{ params.zone_id }}
  #     changes:
  #       - { name: app.example.com, type: CNAME, ttl: 60, values: [standby.example.com] }
  #     wait: insync

  - id: announce
    type: shell             # an argv array, never run through a shell
    with: { run: ["echo", "${name}: failover done"], timeout: 30s }
    rollback: { run: ["echo", "${name}: failover rolled back"] }
`;
}

export default async function init([name]: string[], opts: { force?: boolean }): Promise<number> {
  if (name === undefined || !NAME.test(name)) {
    throw new UsageError({ what: `"${name ?? ''}" cannot name a runbook`, hint: 'use lowercase letters, digits and dashes, e.g. lifeboat init region-failover' });
  }
  const file = resolve(`${name}.yaml`);
  if (!opts.force) {
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (exists) throw new UsageError({ what: `${name}.yaml already exists`, hint: 'choose another name, or add --force to overwrite it' });
  }
  const text = starterRunbook(name, pathToFileURL(schemaFile('runbook')).href);
  // What init writes must validate: a failure here is a bug in lifeboat, not the user's.
  const { problems } = parseRunbook(text, file);
  if (problems.length > 0) throw new Error(`the starter runbook does not validate: ${problems[0]?.message ?? ''}`);
  await writeFile(file, text, { flag: opts.force ? 'w' : 'wx' });
  process.stdout.write(`wrote ${name}.yaml — next: lifeboat validate ${name}.yaml, then lifeboat plan ${name}.yaml\n`);
  return ExitCode.ok;
}
