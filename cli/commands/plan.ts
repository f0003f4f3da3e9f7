/**
 * `lifeboat plan <file> [--param k=v]... [--out plan.json] [--json]`: read-only. Every step
 * is evaluated against the real world and shown as before → after; no mutating call (the
 * AWS clients refuse them), no prompt. Exit 0 when every step could be planned, 1 when one
 * could not (its error is shown, the others are still planned) or exceeds its limits,
 * 2 for an invalid runbook or params.
 */
import { resolve } from 'node:path';
import { ExitCode } from '../../src/errors.js';
import { operatorName } from '../../src/engine/run.js';
import { buildPlan, ReadOnlyAwsClients } from '../../src/plan/build.js';
import { formatPlan } from '../../src/plan/format.js';
import { writeSavedPlan } from '../../src/plan/saved.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { parseParamFlags, resolveParams } from '../../src/runbook/params.js';
import { collectSecrets, redact } from '../../src/util/redact.js';
import type { CommonOptions } from '../options.js';

export default async function plan([file]: string[], opts: CommonOptions): Promise<number> {
  const runbook = await loadRunbook(file as string);
  const env = process.env;
  const { values, secretNames } = resolveParams(runbook, parseParamFlags(opts.param ?? []), env);
  const secrets = collectSecrets({ env, params: values, secretNames });
  const aws = new ReadOnlyAwsClients({ region: opts.region, profile: opts.profile, env });
  try {
    const doc = await buildPlan({ runbook, params: values, secretNames, aws, env, secrets: [...secrets.values], who: operatorName(env) });
    if (opts.out) {
      await writeSavedPlan(opts.out, doc);
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      const color = Boolean(process.stdout.isTTY) && !env.NO_COLOR;
      process.stdout.write(redact(formatPlan(doc, { color }), secrets));
    }
    const info = opts.json ? process.stderr : process.stdout;
    if (opts.out) {
      const how = `lifeboat run ${file as string}${secretNames.length > 0 ? ` (secret params again: ${secretNames.map((n) => `--param ${n}=…`).join(' ')})` : ''} --plan ${opts.out}`;
      if (doc.complete) info.write(`plan saved to ${resolve(opts.out)}; to run exactly this plan: ${how}\n`);
      else info.write(`plan saved to ${resolve(opts.out)}, but it is incomplete: \`run --plan\` will refuse it until every step can be planned\n`);
    }
    if (aws.refused.length > 0) {
      // A step's plan tried a mutating call: it was stopped before being sent. A bug worth reporting.
      process.stderr.write(`lifeboat: refused ${aws.refused.length} mutating call(s) while planning (${[...new Set(aws.refused)].join(', ')}); nothing was sent\n`);
      return ExitCode.failed;
    }
    return doc.complete ? ExitCode.ok : ExitCode.failed;
  } finally {
    aws.destroy();
  }
}
