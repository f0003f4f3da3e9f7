/** docs/step-types.md is generated from the step-type catalogue, like the JSON Schema: never stale. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { stepTypeNames } from '../../src/steps/catalogue.js';
import { stepTypesMarkdown, withStepTypesList } from '../../src/runbook/schema.js';
import { packageRoot, README_PATH, STEP_DOCS_PATH } from '../../src/runbook/write-schema.js';

test('docs/step-types.md is up to date (run `npm run build && npm run schema`) and lists every step type', () => {
  const committed = readFileSync(join(packageRoot(), STEP_DOCS_PATH), 'utf8');
  expect(committed, 'docs/step-types.md is stale: run `npm run build && npm run schema` and commit the result').toBe(stepTypesMarkdown());
  for (const name of stepTypeNames) expect(committed).toContain(`## \`${name}\``);
});

test("the README's list of step types is up to date (run `npm run build && npm run schema`) and names every step type", () => {
  const committed = readFileSync(join(packageRoot(), README_PATH), 'utf8');
  expect(committed, "the README's step types are stale: run `npm run build && npm run schema` and commit the result").toBe(withStepTypesList(committed));
  for (const name of stepTypeNames) expect(committed).toContain(`- \`${name}\`: `);
});
