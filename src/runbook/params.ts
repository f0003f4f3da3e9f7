/** Params: --param k=v over defaults, required ones checked, secret ones remembered. Pure. */
import { UsageError } from '../errors.js';
import { paramEnvName } from '../util/redact.js';
import { closest } from '../util/suggest.js';
import type { Runbook } from './model.js';

export interface ResolvedParams {
  values: Record<string, string>;
  /** Names of params declared `secret: true`: never journaled, reported or shown. */
  secretNames: string[];
}

/** `k=v` pairs from the command line; the value may itself contain `=`. */
export function parseParamFlags(flags: readonly string[], flag = '--param'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError({ what: `${flag} ${f}: expected key=value`, hint: `e.g. ${flag} zone_id=Z123` });
    out[f.slice(0, eq)] = f.slice(eq + 1);
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
  return { values, secretNames: Object.entries(runbook.params).filter(([, s]) => s.secret).map(([n]) => n) };
}
