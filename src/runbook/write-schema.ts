/**
 * Writes schema/runbook.schema.json (editor completion for runbooks) from the zod schema
 * the loader uses, so the two never disagree. Run after a build:
 *   npm run build && npm run schema
 * A test fails when the committed file is stale.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runbookJsonSchema, stepTypesMarkdown, withStepTypesList } from './schema.js';

export const SCHEMA_PATH = join('schema', 'runbook.schema.json');
/** The docs' list of step types, generated from the same catalogue. */
export const STEP_DOCS_PATH = join('docs', 'step-types.md');
/** The README's short list of step types, between its step-types markers. */
export const README_PATH = 'README.md';

/** The file's exact text: pretty-printed, with a trailing newline. */
export function renderRunbookSchema(): string {
  return `${JSON.stringify(runbookJsonSchema(), null, 2)}\n`;
}

/** The package root: the nearest directory above this file with lifeboat's package.json. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lifeboat') return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find lifeboat's package.json above ${from}`);
  }
}

export async function writeRunbookSchema(file = join(packageRoot(), SCHEMA_PATH)): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, renderRunbookSchema());
  return file;
}

const invokedAs = process.argv[1];
if (invokedAs !== undefined && import.meta.url === pathToFileURL(resolve(invokedAs)).href) {
  const target = process.argv[2];
  const writeDocs = async (): Promise<void> => {
    await writeFile(join(packageRoot(), STEP_DOCS_PATH), stepTypesMarkdown());
    console.log(`wrote ${join(packageRoot(), STEP_DOCS_PATH)}`);
    const readme = join(packageRoot(), README_PATH);
    await writeFile(readme, withStepTypesList(await readFile(readme, 'utf8')));
    console.log(`wrote the step types in ${readme}`);
  };
  const docs = target === undefined ? writeDocs() : Promise.resolve();
  Promise.all([writeRunbookSchema(target === undefined ? undefined : resolve(target)), docs]).then(
    ([file]) => console.log(`wrote ${file}`),
    (err: unknown) => {
      console.error(`lifeboat: cannot write the runbook schema: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
