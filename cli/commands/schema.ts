/**
 * `lifeboat schema [name]`: print one of the JSON Schemas shipped in the package's schema/
 * directory (default: the runbook schema), so editors and CI outside this repository can
 * use it: `lifeboat schema > runbook.schema.json`. `--path` prints where the file is
 * instead (a stable path inside the installed package: <package>/schema/<name>.schema.json).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, UsageError } from '../../src/errors.js';
import { packageRoot } from '../../src/runbook/write-schema.js';

export const SCHEMA_NAMES = ['runbook', 'report', 'plan', 'validate', 'runs', 'show', 'graph'] as const;

export function schemaFile(name: string): string {
  return join(packageRoot(), 'schema', `${name}.schema.json`);
}

export default async function schema([name = 'runbook']: string[], opts: { path?: boolean }): Promise<number> {
  if (!(SCHEMA_NAMES as readonly string[]).includes(name)) {
    throw new UsageError({ what: `no schema named "${name}"`, hint: `use one of: ${SCHEMA_NAMES.join(', ')}` });
  }
  const file = schemaFile(name);
  process.stdout.write(opts.path ? `${file}\n` : await readFile(file, 'utf8'));
  return ExitCode.ok;
}
