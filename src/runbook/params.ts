/** Params: --param k=v over defaults, required ones checked, secret ones remembered. Pure. */
import { RunbookInvalidError, UsageError, formatProblem } from '../errors.js';
import { paramEnvName } from '../util/redact.js';
import { closest } from '../util/suggest.js';
import type { Runbook } from './model.js';
import { paramValueProblem } from './param-types.js';
import { checkParamFields, runbookLocator } from './preflight.js';

export interface ResolvedParams {
  values: Record<string, string>;
  /** Names of params declared `secret: true`: never journaled, reported or shown. */
  secretNames: string[];
}

/** `k=v` pairs from the command line; the value may itself contain `=`. */
export function parseParamFlags(flags: readonly string[], flag = '--param'): Record<string, string> {
  const out: Record<string, string> = {};
  const example = flag === '--confirm' ? '--confirm failover-dns=app.example.com (the step id, then what to type)' : `${flag} zone_id=Z123`;
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError({ what: `${flag} ${f}: expected key=value`, hint: `e.g. ${example}` });
    const key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    // Two different values for one key: which was meant cannot be guessed. A param's values
    // are not repeated (one may be a secret); a --confirm's are texts to type, and shown.
    if (key in out && out[key] !== value) {
      throw new UsageError(
        flag === '--confirm'
          ? {
              what: `--confirm ${key} is given twice, as "${out[key]}" and as "${value}"`,
              hint: 'a step takes one answer: its typed text, or done for a manual step (a manual step that needs a typed confirmation takes the typed text, which also confirms it done); lifeboat plan shows which',
            }
          : { what: `${flag} ${key} is given twice, with different values`, hint: `give ${key} once` },
      );
    }
    out[key] = value;
  }
  return out;
}

export function resolveParams(runbook: Runbook, given: Record<string, string>, env: NodeJS.ProcessEnv = {}): ResolvedParams {
  const declared = Object.keys(runbook.params);
  for (const name of Object.keys(given)) {
    if (!(name in runbook.params)) {
      const near = closest(name, declared);
      throw new UsageError({
        what: `unknown param "${name}"${near ? ` (did you mean ${near}?)` : ''}`,
        where: runbook.file,
        hint: declared.length ? `this runbook declares: ${declared.join(', ')}` : 'this runbook declares no params',
      });
    }
  }
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(runbook.params)) {
    // A secret may come from the environment (LIFEBOAT_PARAM_<NAME>) so it stays out of shell history.
    const fromEnv = env[paramEnvName(name)];
    const value = given[name] ?? fromEnv ?? (spec.default === undefined ? undefined : String(spec.default));
    if (value === undefined) {
      if (spec.required) missing.push(name);
      continue;
    }
    values[name] = value;
  }
  if (missing.length > 0) {
    const lines = missing.map((m) => `${m}${runbook.params[m]?.description ? ` (${runbook.params[m]?.description})` : ''}`);
    throw new UsageError({
      what: `missing required param${missing.length > 1 ? 's' : ''}: ${lines.join(', ')}`,
      where: runbook.file,
      hint: `pass ${missing.map((m) => `--param ${m}=<value>`).join(' ')}`,
    });
  }
  const secretNames = Object.entries(runbook.params).filter(([, s]) => s.secret).map(([n]) => n);
  checkParamValues(runbook, values, given, env);
  // Params first: every with field that depends only on params, checked before anything runs.
  const problems = checkParamFields(runbook, values, { secretNames, suffix: '; nothing was changed' });
  if (problems.length > 0) throw new RunbookInvalidError(problems);
  return { values, secretNames };
}

/** Each value against its param's `type` and `enum`: exit 2, naming the param and where it is declared. */
function checkParamValues(runbook: Runbook, values: Record<string, string>, given: Record<string, string>, env: NodeJS.ProcessEnv): void {
  for (const [name, spec] of Object.entries(runbook.params)) {
    const value = values[name];
    if (value === undefined) continue;
    const problem = paramValueProblem(spec, value);
    if (problem === undefined) continue;
    const source = name in given ? `--param ${name}` : env[envName(name)] !== undefined ? envName(name) : 'its default';
    const loc = runbookLocator(runbook).value(['params', name]);
    throw new UsageError({
      what: `param "${name}": ${problem} (from ${source}); nothing was changed`,
      where: formatProblem({ file: runbook.file, line: loc.line, col: loc.col, message: '' }).replace(/: $/, ''),
      hint: `pass --param ${name}=<${spec.enum ? spec.enum.map(String).join('|') : (spec.type ?? 'value')}>`,
    });
  }
}

function envName(name: string): string {
  return `LIFEBOAT_PARAM_${name.toUpperCase().replace(/-/g, '_')}`;
}
