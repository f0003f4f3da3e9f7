/** The model the compiler and the engine work from, built from a runbook that passed every check. */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { Path } from './data.js';
import { parseDuration } from './duration.js';
import type { Locator } from './locate.js';
import type { Runbook, Step } from './model.js';
import type { RunbookSpecRaw, StepSpecRaw } from './schema.js';
import { stepType } from '../steps/catalogue.js';

export function buildRunbook(spec: RunbookSpecRaw, source: string, file: string, locator: Locator): Runbook {
  const toStep = (s: StepSpecRaw, path: Path): Step => ({
    id: s.id,
    type: s.type,
    description: s.description,
    with: s.with ?? {},
    confirm: s.confirm ?? 'yes',
    timeoutMs: s.timeout === undefined ? undefined : parseDuration(s.timeout),
    retries: s.retries ?? 0,
    when: s.when,
    modes: s.modes,
    limits: s.limits,
    rollback: s.rollback ?? (stepType(s.type).irreversible === true ? false : undefined),
    ...awsOf(spec.aws, s.aws),
    loc: locator.value(path),
  });
  return {
    file,
    dir: dirname(file),
    source,
    hash: createHash('sha256').update(source).digest('hex'),
    name: spec.name,
    description: spec.description,
    rtoMs: spec.rto === undefined ? undefined : parseDuration(spec.rto),
    rpoMs: spec.rpo === undefined ? undefined : parseDuration(spec.rpo),
    params: spec.params ?? {},
    require: (spec.require ?? []).map((s, i) => toStep(s, ['require', i])),
    steps: spec.steps.map((s, i) => toStep(s, ['steps', i])),
  };
}

/**
 * A step's `aws:` merged over the runbook's, field by field; absent when neither says
 * anything. The external id belongs to its role: a step naming a role of its own does not
 * take the runbook's role's external id.
 */
function awsOf(runbook: RunbookSpecRaw['aws'], step: StepSpecRaw['aws']): Pick<Step, 'aws'> {
  const inherited = { ...runbook };
  if (step?.roleArn !== undefined && step.roleArn !== runbook?.roleArn) delete inherited.externalId;
  const merged = { ...inherited, ...step };
  return Object.keys(merged).length === 0 ? {} : { aws: merged };
}
