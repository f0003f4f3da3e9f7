/**
 * Command-line parsing (commander, typed by @commander-js/extra-typings: each command's
 * options are checked against what its module takes, no cast). Each command's module is
 * imported only when that command runs, so `lifeboat --help` loads no AWS SDK, inquirer or
 * xstate. Every command lists only the flags that apply to it, with examples, exit codes
 * and environment variables in its help.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { ExitCode } from '../src/errors.js';
import { lifeboatVersion } from '../src/version.js';
import { reportError } from './report-error.js';
import { dropOutputErrors } from '../src/ui/streams.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const REPORT_FORMATS = ['json', 'junit', 'markdown'] as const;
type ReportFormat = (typeof REPORT_FORMATS)[number];
function collectReportFormat(value: string, previous: ReportFormat[] | undefined): ReportFormat[] {
  if (!(REPORT_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`Allowed choices are ${REPORT_FORMATS.join(', ')}.`);
  return [...(previous ?? []), value as ReportFormat];
}

const EXIT_CODES = `
Exit codes:
  0    completed
  1    a step failed (or the operator aborted) and every completed step was rolled back
  2    bad invocation or invalid runbook, found before any change
  3    refused before any change (lock held, precondition, AWS preflight, missing consent
       or confirmation, drift)
  4    the world is changed and a person must look now (a rollback failed)
  5    stopped by the operator with changes in place: resume <id> or rollback <id>
  130  interrupted by a signal, state saved`;

const ENVIRONMENT = `
Environment:
  LIFEBOAT_STATE_DIR        where runs, journals and locks are kept (default .lifeboat/)
  LIFEBOAT_PARAM_<NAME>     a param's value (secret params: kept out of shell history)
  LIFEBOAT_OPERATOR         the name journaled for decisions (default: user@host)
  LIFEBOAT_DEBUG=1          stack traces with errors
  NO_COLOR                  plain output
  AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL[_<SERVICE>], AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, …
                            the AWS settings, read as the aws cli reads them (also from
                            the profile in ~/.aws/config)`;

/** The exit codes of the commands that change nothing (validate, plan): not the run's table. */
const READ_ONLY_EXIT_CODES = {
  validate: `
Exit codes:
  0    every runbook is valid
  2    a runbook is invalid (each problem as file:line:col: message) or a bad invocation`,
  plan: `
Exit codes:
  0    every step planned
  1    a step could not be planned (a failing AWS read, nothing to restore) or is over its limits
  2    bad invocation, invalid runbook or param
  3    refused (AWS preflight: profile, region, credentials)`,
};

function help(cmd: { addHelpText(position: 'after', text: string): unknown }, examples: string[], extra: { exitCodes?: boolean | string; env?: boolean } = {}): void {
  const parts = [`\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}`];
  if (typeof extra.exitCodes === 'string') parts.push(extra.exitCodes);
  else if (extra.exitCodes !== false) parts.push(EXIT_CODES);
  if (extra.env !== false) parts.push(ENVIRONMENT);
  cmd.addHelpText('after', parts.join('\n'));
}

export async function main(argv: string[]): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // A closed pipe or terminal drops output; it never stops a run half-way.
  dropOutputErrors(process.stdout);
  dropOutputErrors(process.stderr);
  let exitCode: number = ExitCode.ok;
  // -V, as older versions and many tools spell it.
  const args = argv.length === 1 && argv[0] === '-V' ? ['--version'] : argv;
  const program = new Command('lifeboat')
    .description('Disaster-recovery runbooks, executed step by step, safely: plan, confirm, undo.')
    .version(lifeboatVersion(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help (lifeboat <command> --help: that command)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeErr: (str) => process.stderr.write(oneLineError(str, args, commandOf(program, args))),
    });
  help(program, ['lifeboat init region-failover', 'lifeboat validate runbooks/*.yaml', 'lifeboat plan runbooks/region-failover.yaml --param zone_id=Z123', 'lifeboat run runbooks/region-failover.yaml --param zone_id=Z123', 'lifeboat runs']);

  // --profile is the aws cli's AWS_PROFILE: the SDK resolves a profile's endpoint_url only from AWS_PROFILE.
  program.hook('preAction', (_program, action) => {
    const profile = (action.opts() as { profile?: string }).profile;
    if (profile) process.env.AWS_PROFILE = profile;
  });

  // Each module's options type is checked against what commander parses for that command.
  const runModule = async <O>(loader: () => Promise<{ default: (args: string[], opts: O) => Promise<number> }>, args: string[], opts: O): Promise<void> => {
    exitCode = await (await loader()).default(args, opts);
  };

  // ------------------------------------------------------------------ flags by kind
  const paramOption = () => new Option('--param <key=value>', 'set a runbook param (repeatable)').argParser(collect);
  const stateDir = () => new Option('--state-dir <dir>', 'where runs, journals and locks are kept (default: $LIFEBOAT_STATE_DIR or .lifeboat/)');
  const json = (what: string) => new Option('--json', what);
  const region = () => new Option('--region <region>', 'AWS region (wins over AWS_REGION and the profile)');
  const profile = () => new Option('--profile <profile>', 'AWS profile from ~/.aws/config (as AWS_PROFILE)');
  const yes = () => new Option('--yes', 'consent without a terminal: proceed at every transition (without a TTY and without --yes nothing changes: exit 3)');
  const ignoreDrift = () => new Option('--ignore-drift', 'on the way back, undo a step even if what it left was changed since (journaled)');
  const skipUndo = () => new Option('--skip-undo <step-id>', 'a person already undid this step by hand: mark it so, do not touch it (repeatable)').argParser(collect);
  const confirm = () => new Option('--confirm <step-id=text>', 'answer a typed or manual confirmation without a TTY; <step-id>:undo=<text> for its undo (repeatable)').argParser(collect);
  const onFailure = () => new Option('--on-failure <choice>', 'without a TTY, what to do after a failure or interrupt (default: rollback)').choices(['rollback', 'abort'] as const);
  const report = () => new Option('--report <format>', 'write a report: json, junit or markdown (repeatable)').argParser(collectReportFormat);
  const reportFile = () => new Option('--report-file <path>', 'where the n-th --report goes (default: stdout)').argParser(collect);
  const lock = () => new Option('--lock <s3://bucket/key>', 'share one lock across machines (conditional PutObject)');
  const forceUnlock = () => new Option('--force-unlock <run-id>', 'remove a stale lock held by that run, then go on');
  const notify = (what: string) => new Option('--notify <url>', what);
  const metricsFile = () => new Option('--metrics-file <path>', 'write Prometheus textfile metrics');
  const runJson = () => json('print the run report (schema/report.schema.json) on stdout, and nothing else there');

  // ------------------------------------------------------------------ commands
  const validate = program
    .command('validate')
    .description('parse and check runbooks; every problem as file:line:col: message; no AWS call')
    .argument('<file...>', 'runbook files')
    .addOption(json('print { version, files: [{ file, valid, problems }] } (schema/validate.schema.json)'))
    .action((files, opts) => runModule(() => import('./commands/validate.js'), files, opts));
  help(validate, ['lifeboat validate runbooks/*.yaml', 'lifeboat validate --json runbook.yaml | jq .files[0].problems'], { env: false, exitCodes: READ_ONLY_EXIT_CODES.validate });

  const plan = program
    .command('plan')
    .description('read-only: evaluate every step against the real world and print what it would change')
    .argument('<file>', 'runbook file')
    .addOption(paramOption())
    .option('--out <plan.json>', 'save the plan with a fingerprint of the world it saw (for run --plan)')
    .addOption(json('print the plan (schema/plan.schema.json) on stdout'))
    // Accepted as everywhere (scripts pass it to every command); plan keeps nothing on disk.
    .addOption(stateDir().hideHelp())
    .addOption(region())
    .addOption(profile())
    .action((file, opts) => runModule(() => import('./commands/plan.js'), [file], opts));
  help(plan, ['lifeboat plan runbooks/region-failover.yaml --param zone_id=Z123', 'lifeboat plan failover.yaml --out plan.json && lifeboat run failover.yaml --plan plan.json'], { exitCodes: READ_ONLY_EXIT_CODES.plan });

  const run = program
    .command('run')
    .description('execute a runbook, asking the operator at each transition')
    .argument('<file>', 'runbook file')
    .addOption(paramOption())
    .option('--dry-run', 'the same walk and prompts, but no mutating call is made')
    .option('--plan <plan.json>', 'refuse (exit 3) if the world moved since this saved plan')
    .addOption(yes())
    .addOption(confirm())
    .addOption(onFailure())
    .addOption(notify('POST a JSON event to this URL at every step start, result, failure and undo, and at the end'))
    .addOption(report())
    .addOption(reportFile())
    .addOption(runJson())
    .addOption(lock())
    .addOption(forceUnlock())
    .addOption(ignoreDrift())
    .addOption(skipUndo())
    .addOption(stateDir())
    .addOption(region())
    .addOption(profile())
    .action((file, opts) => runModule(() => import('./commands/run.js'), [file], opts));
  help(run, [
    'lifeboat run runbooks/region-failover.yaml --param zone_id=Z123',
    'lifeboat run failover.yaml --dry-run',
    'lifeboat run failover.yaml --yes --confirm failover-dns=app.example.com --json > report.json',
    'lifeboat run failover.yaml --notify https://hooks.slack.com/services/T000/B000/XXXX',
  ]);

  const rehearse = program
    .command('rehearse')
    .description('game day: real execution, then every completed step rolled back; measured against the rto')
    .argument('<file>', 'runbook file')
    .addOption(paramOption())
    .addOption(yes())
    .addOption(confirm())
    .addOption(onFailure())
    .addOption(metricsFile())
    .addOption(notify('POST a JSON event at every step transition, and the report when done'))
    .addOption(report())
    .addOption(reportFile())
    .addOption(runJson())
    .addOption(lock())
    .addOption(forceUnlock())
    .addOption(ignoreDrift())
    .addOption(skipUndo())
    .addOption(stateDir())
    .addOption(region())
    .addOption(profile())
    .action((file, opts) => runModule(() => import('./commands/rehearse.js'), [file], opts));
  help(rehearse, ['lifeboat rehearse runbooks/region-failover.yaml --param zone_id=Z-REHEARSAL', 'lifeboat rehearse drill.yaml --yes --report markdown --report-file gameday.md']);

  const verify = program
    .command('verify')
    .description('scheduled backup-restore verification: non-interactive, always cleans up, reports and metrics')
    .argument('<file>', 'runbook file')
    .addOption(paramOption())
    .addOption(confirm())
    .addOption(yes().hideHelp())
    .addOption(onFailure().hideHelp())
    .addOption(metricsFile())
    .addOption(notify('POST a JSON event at every step transition, and the report when done'))
    .addOption(report())
    .addOption(reportFile())
    .addOption(runJson())
    .addOption(lock())
    .addOption(forceUnlock())
    .addOption(stateDir())
    .addOption(region())
    .addOption(profile())
    .action((file, opts) => runModule(() => import('./commands/verify.js'), [file], opts));
  help(verify, [
    'lifeboat verify runbooks/restore-drill.yaml --metrics-file /var/lib/node_exporter/textfile/lifeboat.prom',
    'lifeboat verify drill.yaml --report junit --report-file verify.xml --json > verify.json',
  ]);

  const resume = program
    .command('resume')
    .description('continue an interrupted run from its journal')
    .argument('<run-id>', 'the run to continue (a unique prefix is enough)')
    .option('--force', 'accept a runbook file changed since the run began')
    .addOption(yes())
    .addOption(confirm())
    .addOption(onFailure())
    .addOption(notify('POST a JSON event to this URL at every step start, result, failure and undo, and at the end'))
    .addOption(report())
    .addOption(reportFile())
    .addOption(runJson())
    .addOption(lock())
    .addOption(forceUnlock())
    .addOption(ignoreDrift())
    .addOption(skipUndo())
    .addOption(stateDir())
    .addOption(region())
    .addOption(profile())
    .action((id, opts) => runModule(() => import('./commands/resume.js'), [id], opts));
  help(resume, ['lifeboat runs', 'lifeboat resume 20261123T041200Z-region-failover-7f3a', 'lifeboat resume 20261123T0412 --yes']);

  const rollback = program
    .command('rollback')
    .description('roll back the completed steps of an earlier run, newest first')
    .argument('<run-id>', 'the run to undo (a unique prefix is enough)')
    .addOption(yes())
    .addOption(confirm())
    .addOption(onFailure())
    .addOption(notify('POST a JSON event to this URL at every undo, and at the end'))
    .addOption(report())
    .addOption(reportFile())
    .addOption(runJson())
    .addOption(lock())
    .addOption(forceUnlock())
    .addOption(ignoreDrift())
    .addOption(skipUndo())
    .addOption(stateDir())
    .addOption(region())
    .addOption(profile())
    .action((id, opts) => runModule(() => import('./commands/rollback.js'), [id], opts));
  help(rollback, ['lifeboat rollback 20261123T041200Z-region-failover-7f3a', 'lifeboat rollback 20261123T0412 --yes --json']);

  const runs = program
    .command('runs')
    .description('list past runs, newest first')
    .addOption(json('print { version, stateDir, runs, problems } (schema/runs.schema.json)'))
    .addOption(stateDir())
    .action((opts) => runModule(() => import('./commands/runs.js'), [], opts));
  help(runs, ['lifeboat runs', "lifeboat runs --json | jq -r '.runs[] | select(.status == \"unfinished\") | .runId'"], { exitCodes: false });

  const show = program
    .command('show')
    .description("show one run's timeline: who decided what, when, how long each step took")
    .argument('<run-id>', 'a run id (a unique prefix is enough)')
    .addOption(json('print the run (schema/show.schema.json)'))
    .addOption(report())
    .addOption(reportFile())
    .addOption(stateDir())
    .action((id, opts) => runModule(() => import('./commands/show.js'), [id], opts));
  help(show, ['lifeboat show 20261123T041200Z-region-failover-7f3a', 'lifeboat show 20261123T0412 --json | jq .steps'], { exitCodes: false });

  const graph = program
    .command('graph')
    .description('draw the compiled state machine')
    .argument('<file>', 'runbook file')
    .addOption(new Option('--format <format>', 'mermaid, dot, or json (states and transitions, schema/graph.schema.json)').choices(['mermaid', 'dot', 'json'] as const).default('mermaid' as const))
    .action((file, opts) => runModule(() => import('./commands/graph.js'), [file], opts));
  help(graph, ['lifeboat graph runbook.yaml > machine.mmd', 'lifeboat graph runbook.yaml --format dot | dot -Tsvg > machine.svg'], { env: false, exitCodes: false });

  const schema = program
    .command('schema')
    .description('print a JSON Schema shipped with lifeboat (default: the runbook schema, for editors)')
    .argument('[name]', 'runbook, report, plan, validate, runs, show or graph')
    .option('--path', 'print where the file is in the installed package instead')
    .action((name, opts) => runModule(() => import('./commands/schema.js'), name === undefined ? [] : [name], opts));
  help(schema, ['lifeboat schema > runbook.schema.json', 'lifeboat schema report --path'], { env: false, exitCodes: false });

  const init = program
    .command('init')
    .description('write <name>.yaml: a commented starter runbook that validates')
    .argument('<name>', 'runbook name: lowercase letters, digits and dashes')
    .option('--force', 'overwrite an existing file')
    .action((name, opts) => runModule(() => import('./commands/init.js'), [name], opts));
  help(init, ['lifeboat init region-failover && lifeboat validate region-failover.yaml'], { env: false, exitCodes: false });

  // Bare `lifeboat`: the help, on stdout, exit 0.
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.ok;
  }
  // `lifeboat help <command>` of a command there is not: a mistake, not the general help.
  if (args[0] === 'help' && args[1] !== undefined && !args[1].startsWith('-') && !program.commands.some((c) => c.name() === args[1])) {
    process.stderr.write(`lifeboat: unknown command '${args[1]}'; see lifeboat --help\n`);
    return ExitCode.usage;
  }

  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    return reportError(err);
  } finally {
    if (args.some((a) => a === '--notify' || a.startsWith('--notify='))) await settleNotifications();
  }
}

/** --notify: wait (bounded) for the run's last events before exiting; a failure is a warning, never the exit code. */
async function settleNotifications(): Promise<void> {
  const { settleNotifiers } = await import('../src/notify/notifier.js');
  for (const w of await settleNotifiers()) process.stderr.write(`lifeboat: warning: ${w}\n`);
}

/** The command the arguments name, and where: the first argument that is one. */
function commandOf(program: Command, args: readonly string[]): { name: string; at: number } | undefined {
  const names = new Set(program.commands.map((c) => c.name()));
  const at = args.findIndex((a) => names.has(a));
  return at < 0 ? undefined : { name: args[at] as string, at };
}

/** Commander's messages, made into one line with what to type instead: that command's help, or where its flags go. */
function oneLineError(str: string, args: readonly string[], command: { name: string; at: number } | undefined): string {
  const text = str.trim().replace(/^error: /, '');
  if (text.startsWith('Usage:') || text === '') return str;
  const first = text.split('\n').filter(Boolean).join(' ');
  const flag = /^unknown option '([^'=]+)/.exec(first)?.[1];
  // `lifeboat --yes run x`: the command's flags go after its name.
  if (command && flag !== undefined && args.findIndex((a) => a === flag || a.startsWith(`${flag}=`)) < command.at) {
    return `lifeboat: ${first}; flags go after the command: lifeboat ${command.name} ${flag} … (see lifeboat ${command.name} --help)\n`;
  }
  return `lifeboat: ${first}; see lifeboat ${command ? `${command.name} ` : ''}--help\n`;
}
