/**
 * A plan as text for people: per step what it will do, the before → after lines (`-` what
 * is there now, `+` what will be), the confirmation it will ask for, and one summary line
 * such as `2 records to change, 412 objects (38.2 GiB) to restore, 1 command, 3 checks`.
 * Coloured when asked (a TTY without NO_COLOR), plain otherwise. Pure: text in, text out.
 */
import pc from 'picocolors';
import type { PlanLine } from '../steps/types.js';
import { isStepType, stepType } from '../steps/catalogue.js';
import { describeBreaches } from '../steps/limits.js';
import type { PlanDocument, PlannedStep, PlanTotals } from './saved.js';
import { formatBytes } from '../util/format.js';


function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

type Counted = Omit<PlanTotals, 'text'>;

/** The summary line of a plan, from its totals. */
export function summaryText(t: Counted): string {
  const parts: string[] = [];
  if (t.records > 0) parts.push(`${plural(t.records, 'record')} to change${t.deletes > 0 ? ` (${t.deletes} deleted)` : ''}`);
  if (t.objects > 0)
    parts.push(`${plural(t.objects, 'object')} (${formatBytes(t.bytes)}) to restore${t.overwrites > 0 ? ` (${t.overwrites} overwriting existing ones)` : ''}`);
  if (t.commands > 0) parts.push(plural(t.commands, 'command'));
  if ((t.otherChanges ?? 0) > 0) parts.push(plural(t.otherChanges ?? 0, 'other change'));
  if (t.checks > 0) parts.push(plural(t.checks, 'check'));
  if (t.manual > 0) parts.push(plural(t.manual, 'manual step'));
  if (t.skipped > 0) parts.push(`${plural(t.skipped, 'step')} skipped`);
  if (t.deferred > 0) parts.push(`${plural(t.deferred, 'step')} known only at run time`);
  if (t.overLimit > 0) parts.push(`${plural(t.overLimit, 'step')} over its limits`);
  if (t.failed > 0) parts.push(`${plural(t.failed, 'step')} could not be planned`);
  return parts.length > 0 ? parts.join(', ') : 'nothing to change';
}

/** Add up the counts of every step (and check) that will run. */
export function totalsOf(require: readonly PlannedStep[], steps: readonly PlannedStep[]): PlanTotals {
  const t: Counted & { otherChanges: number } = { records: 0, deletes: 0, objects: 0, overwrites: 0, bytes: 0, commands: 0, checks: 0, manual: 0, steps: steps.length, skipped: 0, deferred: 0, failed: 0, overLimit: 0, otherChanges: 0 };
  for (const s of [...require, ...steps]) {
    if (s.status === 'skipped') {
      t.skipped++;
      continue;
    }
    if (s.status === 'failed') t.failed++;
    if (s.status === 'deferred') t.deferred++;
    if (s.limitBreaches.length > 0) t.overLimit++;
    const c = s.counts;
    t.records += c.records ?? 0;
    t.deletes += c.deletes ?? 0;
    t.objects += c.objects ?? 0;
    t.overwrites += c.overwrites ?? 0;
    t.bytes += c.bytes ?? 0;
    t.commands += c.commands ?? 0;
    t.checks += c.checks ?? 0;
    // A change no count above describes (a DB failover, a capacity change, a promotion): never "nothing to change".
    const manual = isStepType(s.type) && stepType(s.type).confirmedAsDone;
    if (manual) t.manual++;
    else if (s.mutating && s.status === 'planned' && !c.records && !c.objects && !c.commands && !c.deletes) t.otherChanges++;
  }
  return { text: summaryText(t), ...t };
}

export interface FormatOptions {
  color: boolean;
}

/** The whole plan as text (ends with a newline). */
export function formatPlan(doc: PlanDocument, options: FormatOptions): string {
  const c = pc.createColors(options.color);
  const out: string[] = [];
  out.push(c.bold(`Plan for ${doc.runbook.name} (${doc.runbook.file}) — read-only: nothing was changed`));
  const params = Object.entries(doc.params);
  if (params.length > 0) out.push(c.dim(`params: ${params.map(([k, v]) => `${k}=${v}`).join(', ')}`));

  if (doc.require.length > 0) {
    out.push('', c.bold(`Preconditions (require: ${doc.require.length}), checked before anything changes`));
    for (const s of doc.require) out.push(...stepBlock(c, s, `[require] `));
  }
  doc.steps.forEach((s, i) => {
    out.push('', ...stepBlock(c, s, `[${i + 1}/${doc.steps.length}] `));
  });
  out.push('', `${c.bold('Summary:')} ${doc.summary.failed > 0 || doc.summary.overLimit > 0 ? c.red(doc.summary.text) : doc.summary.text}`);
  return `${out.join('\n')}\n`;
}

type Colors = ReturnType<typeof pc.createColors>;

/** One plan line as the operator sees it: `+` added (green), `-` removed (red), `~` changed. */
export function renderPlanLine(c: Colors, l: PlanLine): string {
  switch (l.kind) {
    case 'add':
      return c.green(`    + ${l.text}`);
    case 'remove':
      return c.red(`    - ${l.text}`);
    case 'change':
      return c.yellow(`    ~ ${l.text}`);
    default:
      return c.dim(`      ${l.text}`);
  }
}

function stepBlock(c: Colors, s: PlannedStep, prefix: string): string[] {
  const head = `${prefix}${s.id}`;
  const out: string[] = [];
  const title = (mark: string, color: (t: string) => string): string => color(c.bold(`${mark} ${head}`)) + c.dim(` (${s.type})`) + (s.description ? ` ${s.description}` : '');
  if (s.status === 'skipped') {
    out.push(title('▷', c.dim) + c.dim(` — skipped: ${s.skipReason ?? 'when: false'}`));
    return out;
  }
  out.push(title('▶', c.cyan));
  if (s.status === 'failed') {
    out.push(`  ${c.red('✘ cannot plan this step:')} ${s.error?.message ?? 'failed'}`);
    if (s.error?.hint) out.push(`    → ${s.error.hint}`);
    return out;
  }
  if (s.status === 'deferred') {
    out.push(`  ${c.yellow('…')} known only at run time: it uses the outputs of ${s.dependsOn.join(', ')}`);
    if (s.error) out.push(c.dim(`    (${s.error.message})`));
    out.push(...confirmLines(c, s));
    return out;
  }
  out.push(`  ${s.mutating ? c.yellow('plan:') : c.dim('check:')} ${s.summary}`);
  for (const l of s.lines) out.push(renderPlanLine(c, l));
  for (const n of s.notes) out.push(c.dim(`      ${n}`));
  if (s.when && s.when.value === null) out.push(`  ${c.yellow('?')} runs only if ${s.when.expression} (decided at run time)`);
  if (s.dependsOn.length > 0) out.push(c.dim(`  uses the outputs of ${s.dependsOn.join(', ')}: shown as \${{ … }} until they run`));
  if (s.outputs) out.push(c.dim(`  checked now (a later step uses it): ${Object.entries(s.outputs).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`));
  if (s.irreversible) out.push(`  ${c.red(c.bold('IRREVERSIBLE'))}: this step cannot be undone (rollback: false)`);
  out.push(...confirmLines(c, s));
  if (s.limitBreaches.length > 0)
    out.push(`  ${c.red('✘ over its blast-radius limits:')} ${describeBreaches(s.limitBreaches)} — the run would refuse this step before its first write`);
  return out;
}

/**
 * The confirmation the step will ask for, and the --confirm that answers it without a terminal
 * (one answer a step: a manual step that also needs a typed confirmation takes the text to type).
 */
function confirmLines(c: Colors, s: PlannedStep): string[] {
  const manual = isStepType(s.type) && stepType(s.type).confirmedAsDone === true;
  if (s.typedConfirmation !== undefined) {
    const also = manual ? ', which also confirms it done' : '';
    return [`  confirm: type ${c.bold(s.typedConfirmation)} (or --confirm ${s.id}=${s.typedConfirmation}${also})`];
  }
  if (s.confirm === 'typed' || s.irreversible)
    return [`  confirm: typed (the text is known once the earlier steps have run; without a terminal pass --confirm ${s.id}=<text>, compared then)`];
  if (manual) return [`  confirm: done by hand (or --confirm ${s.id}=done)`];
  return [];
}
