/**
 * Writes schema/report.schema.json (the published schema of `--report json` and of the
 * --notify POST) from the zod schema in ./model.ts, so the two never disagree. Run after a
 * build:
 *   npm run build && node dist/src/report/write-schema.js
 * A test (test/report/schema.test.ts) fails when the committed file is stale.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../runbook/write-schema.js';
import { reportJsonSchema } from './model.js';

export const REPORT_SCHEMA_PATH = join('schema', 'report.schema.json');

/** The file's exact text: pretty-printed, with a trailing newline. */
export function renderReportSchema(): string {
  return `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
}

export async function writeReportSchema(file = join(packageRoot(), REPORT_SCHEMA_PATH)): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, renderReportSchema());
  return file;
}

const invokedAs = process.argv[1];
if (invokedAs !== undefined && import.meta.url === pathToFileURL(resolve(invokedAs)).href) {
  const target = process.argv[2];
  writeReportSchema(target === undefined ? undefined : resolve(target)).then(
    (file) => console.log(`wrote ${file}`),
    (err: unknown) => {
      console.error(`lifeboat: cannot write the report schema: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
