/**
 * The architecture, checked in CI: pure logic (runbook, machine, journal) depends on no
 * effect module (AWS, prompts, terminal, engine, CLI); src/ never reaches into cli/;
 * nothing in src/ or cli/ imports tests.
 *
 * Step types are the one extension point: each is a descriptor module under src/steps/,
 * listed in src/steps/registry.ts, and the pure loader reads their `with` schemas from there.
 * So pure code may import src/steps/ — but only the light part of it: a step module loads an
 * effect library (AWS SDK, execa, progress bars) only by dynamic import inside the functions
 * that use it, or as types, never at its top (rule step-types-load-effects-lazily). The
 * implementations that do load one at their top (S3 restore and verify, src/steps/restore/)
 * are reached only through a descriptor's `load()` (a dynamic import), never from pure code.
 */
const pure = '^src/(runbook|machine|journal)/';
const effects = ['@aws-sdk', '@smithy', '@inquirer', 'execa', 'commander', 'picocolors', 'cli-progress', 'p-limit', 'p-retry'];
/** Step implementations that load an effect library at their top: loaded by their type's descriptor on demand. */
const heavySteps = ['^src/steps/restore/', '^src/steps/s3-restore\\.ts$', '^src/steps/s3-verify-backups\\.ts$'];
/** src/aws modules that load the SDK (or other effects) at their top. */
const heavyAws = ['^src/aws/s3\\.ts$', '^src/aws/s3-lock\\.ts$'];
module.exports = {
  forbidden: [
    {
      name: 'pure-core-has-no-effects',
      severity: 'error',
      comment:
        'runbook, machine and journal are pure: no AWS SDK, inquirer, execa, terminal or CLI. They may read the step types (descriptors, registry), whose modules stay light (next rule)',
      from: { path: pure },
      to: { path: ['^src/(aws|prompt|ui|engine|demo)/', '^cli/', ...heavySteps, ...effects] },
    },
    {
      name: 'step-types-load-effects-lazily',
      severity: 'error',
      comment:
        'a step type module is loaded by `validate` and `--help` (its descriptor): it may use an effect library only through a dynamic import inside a function, or for types; heavy implementations are loaded by the descriptor, dynamically',
      from: { path: '^src/steps/', pathNot: heavySteps },
      to: { path: [...effects, ...heavySteps, ...heavyAws], dependencyTypesNot: ['type-only', 'dynamic-import'] },
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
      to: { path: ['^src/prompt/', '@inquirer', '^src/engine/', '^src/journal/', '^src/plan/'] },
    },
    {
      name: 'plan-does-not-use-the-engine',
      severity: 'error',
      comment: 'plan and the engine both invoke steps through src/steps/invoke.ts; neither copies the other',
      from: { path: '^src/plan/' },
      to: { path: '^src/engine/' },
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
      comment:
        'no cycle a program would run through; a cycle made only by type imports (a step type names the runbook Step it runs, the runbook model names the step types) costs nothing at run time',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
