/**
 * Markdown for people: an incident channel, a ticket, or $GITHUB_STEP_SUMMARY. The verdict
 * first, then a table of steps with their times, then the lines that matter after a game
 * day or a nightly restore: recovery time against the RTO, backup age against the RPO,
 * restore throughput, the rollback, and what is still changed if it failed. Every piece of
 * text from the outside world (error messages, keys) is escaped or fenced.
 */
import { formatAge, formatBytes, formatDuration, formatMs } from '../util/format.js';
import { rollbackExceptions, type Report, type StepReport } from './model.js';

const ICON: Record<StepReport['status'], string> = {
  passed: '✅',
  'rolled-back': '↩️',
  failed: '❌',
  skipped: '⏭️',
  'not-run': '⚪',
  interrupted: '⏹️',
};

const VERDICT: Record<Report['verdict'], string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  refused: '⛔ refused before any change',
  'rollback-failed': '🚨 ROLLBACK FAILED: a person must look now',
  interrupted: '⏹️ interrupted',
};

/** Text safe inside a table cell: no pipe, no line break, no HTML. */
export function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');
}

/** Inline code that survives backticks in the content. */
export function code(text: string): string {
  const clean = text.replace(/\r?\n/g, ' ');
  const runs = clean.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/** A fenced block that no content can close early. */
function fenced(text: string): string {
  const runs = text.match(/`{3,}/g) ?? [];
  const fence = '`'.repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
  return `${fence}text\n${text}\n${fence}`;
}

function statusText(s: StepReport): string {
  switch (s.status) {
    case 'rolled-back':
      return 'passed, rolled back';
    case 'not-run':
      return 'not run';
    default:
      return s.status;
  }
}

function undoText(s: StepReport): string {
  switch (s.undo) {
    case 'done':
      return formatMs(s.undoMs);
    case 'failed':
      return '**FAILED**';
    case 'still-changed':
      return 'still changed';
    case 'not-undone':
      return '**not undone** (cannot be undone: rollback: false)';
    case 'by-hand':
      return 'undone by hand';
    default:
      return '—';
  }
}

export function renderMarkdown(report: Report): string {
  const t = report.totals;
  const out: string[] = [];
  out.push(`### lifeboat ${report.mode} ${code(report.runbook.name)}: ${VERDICT[report.verdict]}`, '');
  if (report.breaches.length > 0) {
    out.push(
      ...report.breaches.map((b) =>
        b.judged
          ? `- ❌ **${b.target.toUpperCase()} missed:** ${cell(b.message)}${b.stepId ? ` (${code(b.stepId)})` : ''}`
          : `- ⚠️ **${b.target.toUpperCase()} over, for information** (a ${report.mode} is not judged against it; rehearse and verify are): ${cell(b.message)}${b.stepId ? ` (${code(b.stepId)})` : ''}`,
      ),
      '',
    );
  }
  out.push(
    '| | Step | Type | Result | Time | Rollback |',
    '|:-:|---|---|---|--:|--:|',
    ...report.steps.map((s) => `| ${ICON[s.status]} | ${code(s.id)} | ${cell(s.type)} | ${cell(statusText(s))} | ${formatMs(s.durationMs)} | ${undoText(s)} |`),
    '',
  );

  const lines: string[] = [];
  if (t.rtoVerdict === 'incomplete') lines.push(`**Recovery time:** not measured: the runbook did not complete (${formatMs(t.recoveryMs)} until it stopped)`);
  else if (t.rtoMs === null) lines.push(`**Recovery time:** ${formatMs(t.recoveryMs)} (the runbook sets no \`rto\`)`);
  else lines.push(`**Recovery time:** ${formatMs(t.recoveryMs)}, ${t.rtoVerdict === 'within' ? 'within' : '**over**'} the RTO of ${formatDuration(t.rtoMs)}`);
  if (t.backupAgeSeconds !== null) {
    const key = t.backupKey ? ` (${code(t.backupKey)})` : '';
    const rpo = t.rpoMs === null ? '' : `, ${t.rpoVerdict === 'over' ? '**older than**' : 'within'} the RPO of ${formatDuration(t.rpoMs)}`;
    lines.push(`**Newest backup:** ${formatAge(t.backupAgeSeconds)} old${key}${rpo}`);
  }
  if (t.restoreBytes !== null) {
    const rate = t.restoreBytesPerSecond !== null ? ` (${formatBytes(t.restoreBytesPerSecond)}/s)` : '';
    const time = t.restoreSeconds !== null ? ` in ${formatMs(t.restoreSeconds * 1000)}` : '';
    lines.push(`**Restore:** ${t.restoreObjects ?? 0} object${t.restoreObjects === 1 ? '' : 's'}, ${formatBytes(t.restoreBytes)}${time}${rate}`);
  }
  if (t.rollback === 'done') lines.push(`**Rollback:** ${formatMs(t.rollbackMs)}, everything this run changed was undone`);
  else if (t.rollback === 'partial') lines.push(`**Rollback:** ${formatMs(t.rollbackMs)}, **undone except:** ${cell(rollbackExceptions(report).join(', '))}`);
  else if (t.rollback === 'failed') lines.push(`**Rollback:** **failed** after ${formatMs(t.rollbackMs)}`);
  out.push(...lines.map((l) => `- ${l}`), '');

  if (report.error && report.verdict !== 'passed') {
    out.push(`**What broke** (${code(report.error.stepId)}):`, '', fenced(report.error.message), '');
  }
  if (report.rollbackError) {
    out.push(`**Rollback failed** at ${code(report.rollbackError.stepId)}:`, '', fenced(report.rollbackError.message), '');
  }
  if (report.leftChanged.length > 0) {
    out.push('**Still changed** (newest first, the order to undo them):', '');
    for (const l of report.leftChanged) out.push(`- ${code(l.stepId)} (${cell(l.type)}): ${cell(l.undo)}`);
    out.push('');
  }
  if (report.next) out.push(`**Next:** ${code(report.next)}`, '');

  const meta = [
    report.runId ? `run ${code(report.runId)}` : undefined,
    `started ${report.startedAt}`,
    `took ${formatMs(report.durationMs)}`,
    `exit ${report.exitCode}`,
    report.host ? `on ${cell(report.host)}` : undefined,
  ].filter(Boolean);
  out.push(`<sub>${meta.join(' · ')}</sub>`, '');
  return out.join('\n');
}
