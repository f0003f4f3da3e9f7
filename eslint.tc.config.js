// Lint: typescript-eslint's recommended type-aware rules, plus the layering rule that
// keeps pure logic (runbook, machine, journal) free of AWS, prompts, terminal and CLI.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const effects = ['@aws-sdk/*', '@inquirer/*', 'inquirer', 'execa', 'commander', 'picocolors', 'cli-progress'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'schema/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
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
            { group: ['**/aws/*', '**/prompt/*', '**/steps/*', '**/ui/*', '**/cli/*', '**/engine/*'], message: 'runbook, machine and journal code must not depend on effects or the CLI.' },
          ],
        },
      ],
    },
  },
);
