/**
 * Writes schema/{validate,runs,show,graph}.schema.json from ./schemas.ts. Run after a build:
 *   npm run build && npm run schema
 * A test (test/cli/json-contract.test.ts) fails when a committed file is stale.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../runbook/write-schema.js';
import { JSON_OUTPUTS, renderJsonOutputSchema, type JsonOutputName } from './schemas.js';

export async function writeJsonOutputSchemas(dir = join(packageRoot(), 'schema')): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const name of Object.keys(JSON_OUTPUTS) as JsonOutputName[]) {
    const file = join(dir, `${name}.schema.json`);
    await writeFile(file, renderJsonOutputSchema(name));
    written.push(file);
  }
  return written;
}

const invokedAs = process.argv[1];
if (invokedAs !== undefined && import.meta.url === pathToFileURL(resolve(invokedAs)).href) {
  writeJsonOutputSchemas(process.argv[2] === undefined ? undefined : resolve(process.argv[2])).then(
    (files) => console.log(`wrote ${files.join(', ')}`),
    (err: unknown) => {
      console.error(`lifeboat: cannot write the JSON output schemas: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
