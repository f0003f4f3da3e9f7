/**
 * Command-line parsing (commander). Each command's module is imported only when that
 * command runs, so `lifeboat --help` loads no AWS SDK, inquirer or xstate.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { ExitCode } from '../src/errors.js';
import type { CommonOptions } from './options.js';
import { reportError } from './report-error.js';
import { dropOutputErrors } from '../src/ui/streams.js';


function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const REPORT_FORMATS = ['json', 'junit', 'markdown'];
function collectReportFormat(value: string, previous: string[] | undefined): string[] {
  if (!REPORT_FORMATS.includes(value)) throw new InvalidArgumentError(`Allowed choices are ${REPORT_FORMATS.join(', ')}.`);
  return [...(previous ?? []), value];
}

function common(cmd: Command, kinds: { params?: boolean; run?: boolean; aws?: boolean; report?: boolean } = {}): Command {
  if (kinds.params) cmd.option('--param <key=value>', 'set a runbook param (repeatable)', collect, []);
  if (kinds.run) {
    cmd
      .option('--yes', 'consent without a terminal: proceed at every transition (without a TTY and without --yes, nothing is changed: exit 3)')
      .option('--confirm <step-id=text>', 'answer a typed or manual confirmation without a TTY (repeatable)', collect, [])
      .addOption(new Option('--on-failure <choice>', 'without a TTY, what to do after a failure or interrupt').choices(['rollback', 'abort']).default('rollback'));
  }
  if (kinds.report) {
    cmd
      .addOption(new Option('--report <format>', 'write a report: json, junit or markdown (repeatable)').argParser(collectReportFormat))
      .option('--report-file <path>', 'where to write the report, one per --report (default: stdout)', collect, []);
  }
  if (kinds.aws) cmd.option('--region <region>', 'AWS region').option('--profile <profile>', 'AWS profile from the shared config');
  if (kinds.run) {
    cmd
      .option('--lock <s3://bucket/key>', 'share one lock across machines (conditional PutObject)')
      .option('--force-unlock <run-id>', 'remove a stale lock held by that run, then go on')
      .option('--ignore-drift', 'on the way back, undo a step even if what it left was changed since (journaled)')
      .option('--skip-undo <step-id>', 'a person already undid this step by hand: mark it so and do not touch it (repeatable)', collect, []);
  }
  return cmd
    .option('--state-dir <dir>', 'where runs, journals and locks are kept (default .lifeboat/ or $LIFEBOAT_STATE_DIR)')
    .option('--json', 'machine-readable output on stdout');
}

export async function main(argv: string[]): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // A closed pipe or terminal drops output; it never stops a run half-way.
  dropOutputErrors(process.stdout);
  dropOutputErrors(process.stderr);
  let exitCode: number = ExitCode.ok;
  const program = new Command('lifeboat')
    .description('Disaster-recovery runbooks, executed step by step, safely.')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeErr: (str) => process.stderr.write(oneLineError(str)),
    });

  const run = (loader: () => Promise<{ default: (args: string[], opts: CommonOptions) => Promise<number> }>) =>
    async function (this: Command, ...args: unknown[]): Promise<void> {
      const cmd = args[args.length - 1] as Command;
      const positional = args.slice(0, -2).flat() as string[];
      const mod = await loader();
      exitCode = await mod.default(positional, cmd.opts<CommonOptions>());
    };

  common(program.command('validate').argument('<file...>', 'runbook files').description('parse and check runbooks; no AWS call')).action(
    run(() => import('./commands/validate.js')),
  );
  common(
    program
      .command('run')
      .argument('<file>', 'runbook file')
      .description('execute a runbook, asking the operator at each transition')
      .option('--dry-run', 'the same walk and prompts, but no mutating call')
      .option('--plan <plan.json>', 'refuse (exit 3) if the world moved since this saved plan'),
    { params: true, run: true, aws: true, report: true },
  ).action(run(() => import('./commands/run.js')));
  common(
    program
      .command('graph')
      .argument('<file>', 'runbook file')
      .description('draw the compiled state machine')
      .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid')),
  ).action(run(() => import('./commands/graph.js')));

  common(
    program
      .command('plan')
      .argument('<file>', 'runbook file')
      .description('read-only: evaluate every step against the real world and print what would change')
      .option('--out <plan.json>', 'save the plan with a fingerprint of the world it saw'),
    { params: true, aws: true },
  ).action(run(() => import('./commands/plan.js')));
  common(
    program
      .command('rehearse')
      .argument('<file>', 'runbook file')
      .description('game day: real execution, then every completed step rolled back; measured against the rto')
      .option('--metrics-file <path>', 'write Prometheus textfile metrics')
      .option('--notify <url>', 'POST the report as JSON when done'),
    { params: true, run: true, aws: true, report: true },
  ).action(run(() => import('./commands/rehearse.js')));
  common(
    program
      .command('verify')
      .argument('<file>', 'runbook file')
      .description('scheduled backup-restore verification: non-interactive, always cleans up, reports')
      .option('--metrics-file <path>', 'write Prometheus textfile metrics')
      .option('--notify <url>', 'POST the report as JSON when done'),
    { params: true, run: true, aws: true, report: true },
  ).action(run(() => import('./commands/verify.js')));
  common(
    program
      .command('resume')
      .argument('<run-id>', 'the run to continue')
      .description('continue an interrupted run from its journal')
      .option('--force', 'accept a runbook file changed since the run began'),
    { run: true, aws: true, report: true },
  ).action(run(() => import('./commands/resume.js')));
  common(
    program.command('rollback').argument('<run-id>', 'the run to undo').description('roll back the completed steps of an earlier run, newest first'),
    { run: true, aws: true, report: true },
  ).action(run(() => import('./commands/rollback.js')));
  common(program.command('runs').description('list past runs')).action(run(() => import('./commands/runs.js')));
  common(program.command('show').argument('<run-id>', 'a run id').description("show one run's timeline")).action(
    run(() => import('./commands/show.js')),
  );

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    return reportError(err);
  }
}

/** Commander's messages, made into one line with what to type instead. */
function oneLineError(str: string): string {
  const text = str.trim().replace(/^error: /, '');
  if (text.startsWith('Usage:') || text === '') return str;
  const first = text.split('\n').filter(Boolean).join(' ');
  return `lifeboat: ${first}; see lifeboat --help\n`;
}
