/**
 * Modes (contract §2): which commands a step runs in. `when:` may read `mode`; a step may
 * list its modes (`modes: [run, rehearse]`); steps that move live traffic, capacity or
 * databases leave `verify` out unless they say otherwise, so a scheduled verification
 * never flips production DNS. Pure: which steps a mode skips, and why.
 */
import type { Runbook, Step } from './model.js';
import { stepType } from '../steps/catalogue.js';
import { findReferences } from './template.js';

import { STEP_MODES, type StepMode } from './mode-names.js';

export { STEP_MODES, type StepMode };

export function isStepMode(mode: string): mode is StepMode {
  return (STEP_MODES as readonly string[]).includes(mode);
}

/** The modes a step runs in: its own `modes:`, else every mode (less verify for a live step). */
export function modesOf(step: Pick<Step, 'type' | 'modes'>): readonly StepMode[] {
  if (step.modes !== undefined) return step.modes;
  const type = stepType(step.type);
  if (type.modes !== undefined) return type.modes;
  return type.live ? STEP_MODES.filter((m) => m !== 'verify') : STEP_MODES;
}

/**
 * The steps a mode skips, by id, with the reason shown and journaled. A step that uses
 * (without a fallback) the outputs of a skipped step is skipped too: it cannot run without
 * them. `resume` and `rollback` are not step modes: nothing is skipped by them (the run's own
 * mode decides, see the engine's `stepMode`).
 */
export function modeSkips(runbook: Pick<Runbook, 'steps'>, mode: string): Map<string, string> {
  const skips = new Map<string, string>();
  if (!isStepMode(mode)) return skips;
  for (const step of runbook.steps) {
    if (!modesOf(step).includes(mode)) {
      const why =
        step.modes !== undefined
          ? `not in ${mode} mode (its modes: ${step.modes.join(', ')})`
          : `not in ${mode} mode: ${step.type} moves live traffic, capacity or databases (add modes: [${[...modesOf(step), mode].join(', ')}] to run it there)`;
      skips.set(step.id, why);
      continue;
    }
    const needs = outputsUsedWithoutFallback(step).filter((id) => skips.has(id));
    if (needs.length > 0) skips.set(step.id, `not in ${mode} mode: it uses the outputs of ${needs.join(', ')}, which ${needs.length === 1 ? 'does' : 'do'} not run in ${mode}`);
  }
  return skips;
}

/** Step ids whose outputs a step's `with` or `rollback` needs (references without a fallback). */
function outputsUsedWithoutFallback(step: Step): string[] {
  const ids = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const r of findReferences(v)) if (r.kind === 'output' && r.fallback === undefined) ids.add(r.step);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(step.with);
  visit(step.rollback);
  return [...ids];
}

/** The runbook less the steps a mode skips: what is asked for before a non-interactive run. */
export function withoutModeSkips<R extends Pick<Runbook, 'steps'>>(runbook: R, mode: string): R {
  const skips = modeSkips(runbook, mode);
  return skips.size === 0 ? runbook : { ...runbook, steps: runbook.steps.filter((s) => !skips.has(s.id)) };
}
