/**
 * Recovery targets are verdicts (contract §4 "Verdicts"): a rehearse or verify whose
 * measured recovery time is over the runbook's `rto`, or whose newest backup is older than
 * its `rpo`, has failed — exit 1, verdict `failed`, `lifeboat_verify_success 0` — and every
 * report names the breach. Pure: a report in, the same report judged out.
 */
import { formatAge, formatDuration, formatMs } from '../util/format.js';

// Structural types, not imports from ./model.ts: the model calls applyTargets (no cycle).
export interface Breach {
  target: 'rto' | 'rpo';
  stepId: string | null;
  measuredMs: number;
  limitMs: number;
  message: string;
  /** True in rehearse and verify, where a missed target fails the run; elsewhere (run, resume of a run) it is for information. */
  judged: boolean;
}

interface TargetTotals {
  recoveryMs: number;
  rtoMs: number | null;
  rtoVerdict: string;
  backupKey: string | null;
  backupAgeSeconds: number | null;
  backupStepId: string | null;
  rpoMs: number | null;
  rpoVerdict: string;
}

interface Judged {
  mode: string;
  verdict: string;
  exitCode: number;
  totals: TargetTotals;
  breaches: Breach[];
}

/** The targets a report's totals miss, whatever the mode; `judged` says whether they fail it. */
export function targetBreaches(r: { mode: string; totals: TargetTotals }): Breach[] {
  const t = r.totals;
  const judged = judgedAgainstTargets(r.mode);
  const out: Breach[] = [];
  if (t.rtoVerdict === 'over' && t.rtoMs !== null) {
    out.push({
      target: 'rto',
      stepId: null,
      measuredMs: t.recoveryMs,
      limitMs: t.rtoMs,
      message: `recovery took ${formatMs(t.recoveryMs)}, over the RTO of ${formatDuration(t.rtoMs)}`,
      judged,
    });
  }
  if (t.rpoVerdict === 'over' && t.rpoMs !== null && t.backupAgeSeconds !== null) {
    out.push({
      target: 'rpo',
      stepId: t.backupStepId,
      measuredMs: t.backupAgeSeconds * 1000,
      limitMs: t.rpoMs,
      message: `newest backup${t.backupKey ? ` ${t.backupKey}` : ''} is ${formatAge(t.backupAgeSeconds)} old, older than the RPO of ${formatDuration(t.rpoMs)}`,
      judged,
    });
  }
  return out;
}

/** Modes whose verdict is about meeting the targets: a game day and a scheduled verification. */
export function judgedAgainstTargets(mode: string): boolean {
  return mode === 'rehearse' || mode === 'verify';
}

/**
 * The report with its breaches listed; in rehearse and verify a run that otherwise passed
 * becomes `failed` (exit 1). Elsewhere (a `run`) they are listed with `judged: false`, and
 * every report shows them as information, never as a failure: the verdict and exit code
 * stand. A run that already failed keeps its own exit code (a rollback
 * failure stays 4, an interrupt 130) and lists the breaches too.
 */
export function applyTargets<R extends Judged>(r: R): R {
  const breaches = targetBreaches(r);
  if (!judgedAgainstTargets(r.mode) || breaches.length === 0) return { ...r, breaches };
  if (r.verdict !== 'passed') return { ...r, breaches };
  return { ...r, breaches, verdict: 'failed', exitCode: 1 };
}
