/**
 * The architecture, checked in CI: pure logic (runbook, machine, journal) depends on no
 * effect module (AWS, prompts, steps, terminal, engine, CLI); src/ never reaches into cli/;
 * nothing in src/ or cli/ imports tests.
 */
const pure = '^src/(runbook|machine|journal)/';
module.exports = {
  forbidden: [
    {
      name: 'pure-core-has-no-effects',
      severity: 'error',
      comment: 'runbook, machine and journal are pure: no AWS SDK, inquirer, execa, terminal or CLI',
      from: { path: pure },
      to: { path: ['^src/(aws|prompt|steps|ui|engine|demo)/', '^cli/', '@aws-sdk', '@inquirer', 'execa', 'commander', 'picocolors', 'cli-progress'] },
    },
    {
      name: 'src-does-not-import-cli',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^cli/' },
    },
    {
      name: 'steps-do-not-prompt',
      severity: 'error',
      comment: 'steps ask the operator only through StepContext',
      from: { path: '^src/steps/' },
      to: { path: ['^src/prompt/', '@inquirer', '^src/engine/', '^src/journal/'] },
    },
    {
      name: 'no-test-code-in-product',
      severity: 'error',
      from: { path: '^(src|cli)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
