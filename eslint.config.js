// Lint: typescript-eslint's type-checked recommended rules (no-floating-promises among them), plus the layering rule that
// keeps pure logic (runbook, machine, journal) free of AWS, prompts, terminal and CLI.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const effects = ['@aws-sdk/*', '@inquirer/*', 'inquirer', 'execa', 'commander', 'picocolors', 'cli-progress'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'schema/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  { languageOptions: { globals: { ...globals.node }, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
  // Plain JavaScript (this file, test fixtures) is not in the TypeScript project: no type-aware rules there.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // Off on purpose: an \`async\` method that implements a Promise-returning interface (a
      // prompter, a step phase) without awaiting reads better than a hand-made Promise.resolve,
      // and still turns a throw into a rejection. Floating promises stay an error.
      '@typescript-eslint/require-await': 'off',
      // Off on purpose: journal entries, undo records and AWS answers are untyped JSON read
      // back from disk; String(value) is the intended way to print such a value.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: ['src/runbook/**/*.ts', 'src/machine/**/*.ts', 'src/journal/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: effects, message: 'runbook, machine and journal code stays pure: no AWS, prompts, processes or terminal.' },
            // The step types' descriptors (src/steps/) are read by the loader: their modules stay light
            // (.dependency-cruiser.cjs checks they load effects only lazily); the implementations that
            // load the SDK at their top are reached only through a descriptor's load().
            { group: ['**/aws/*', '**/prompt/*', '**/ui/*', '**/cli/*', '**/engine/*'], message: 'runbook, machine and journal code must not depend on effects or the CLI.' },
            { group: ['**/steps/restore/*', '**/steps/s3-restore.js', '**/steps/s3-verify-backups.js'], message: 'runbook, machine and journal code reads step types, never an implementation that loads the SDK.' },
          ],
        },
      ],
    },
  },
  {
    // Tests hand methods to expect() and spies (unbound by design), and match parsed JSON with
    // asymmetric matchers (typed any by vitest): the assertions themselves check the shapes.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
