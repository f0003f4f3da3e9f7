/**
 * JUnit XML, the format every CI system renders (GitHub via test-reporter actions,
 * GitLab, Jenkins, Buildkite): one <testsuite> for the run, one <testcase> per runbook
 * step. A failed step has <failure message="…"> naming what broke (the step's own error,
 * e.g. the backup's age and the limit); skipped and not-reached steps have <skipped/>; a
 * failed rollback is an <error> on the step whose undo failed, so CI shows red when a
 * person must act. Written with a tiny serializer that escapes everything it emits.
 */
import { formatMs } from '../util/format.js';
import type { Report, StepReport } from './model.js';

/** Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/FFFF). */
const INVALID_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escape character data (element content). */
export function escapeText(value: string): string {
  return value.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escape an attribute value (double-quoted); whitespace kept through attribute-value normalisation. */
export function escapeAttr(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

type Attrs = Record<string, string | number | undefined>;

function attrs(a: Attrs): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
    .join('');
}

function el(name: string, a: Attrs, children?: string[] | string, indent = ''): string {
  if (children === undefined || (Array.isArray(children) && children.length === 0)) return `${indent}<${name}${attrs(a)}/>`;
  if (typeof children === 'string') return `${indent}<${name}${attrs(a)}>${escapeText(children)}</${name}>`;
  return `${indent}<${name}${attrs(a)}>\n${children.join('\n')}\n${indent}</${name}>`;
}

const seconds = (ms: number | null): string => ((ms ?? 0) / 1000).toFixed(3);

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

function outputsText(s: StepReport): string | undefined {
  const lines = Object.entries(s.outputs).map(([k, v]) => `${k}: ${String(v)}`);
  if (s.undoMs !== null) lines.push(`rollback: ${formatMs(s.undoMs)}`);
  return lines.length > 0 ? lines.join('\n') : undefined;
}

function testcase(report: Report, s: StepReport): string {
  const i = '    ';
  const children: string[] = [];
  const inner = `${i}  `;
  switch (s.status) {
    case 'failed': {
      const message = s.error ?? 'failed';
      children.push(el('failure', { message: firstLine(message), type: s.type }, message, inner));
      break;
    }
    case 'interrupted':
      children.push(el('error', { message: s.error ?? 'interrupted', type: 'interrupted' }, undefined, inner));
      break;
    case 'skipped':
    case 'not-run':
      children.push(el('skipped', { message: s.skipReason ?? (s.status === 'skipped' ? 'skipped' : 'not reached') }, undefined, inner));
      break;
    default:
      break;
  }
  if (s.undo === 'failed') {
    const message = `rollback failed: ${s.undoError ?? 'unknown error'}`;
    children.push(el('error', { message: firstLine(message), type: 'rollback' }, `${message}\n${report.next ?? ''}`.trim(), inner));
  } else if (s.undo === 'still-changed' && report.verdict !== 'passed' && report.leftChanged.some((l) => l.stepId === s.id)) {
    children.push(el('error', { message: 'still changed: its rollback did not run', type: 'rollback' }, report.next ?? 'its change is still in place', inner));
  }
  // A step that ran and was not undone by the rollback passes, and says so where CI shows it.
  const undoNote =
    s.undo === 'not-undone'
      ? 'not undone: this step cannot be undone (rollback: false); its change is still in place'
      : s.undo === 'by-hand'
        ? 'undone by hand: a person marked its undo done (journaled with who)'
        : undefined;
  const out = [undoNote, outputsText(s)].filter((t) => t !== undefined).join('\n');
  if (out !== '') children.push(el('system-out', {}, out, inner));
  return el('testcase', { name: s.id, classname: `${report.runbook.name}.${s.type}`, time: seconds(s.durationMs) }, children, i);
}

function properties(report: Report): string {
  const t = report.totals;
  const props: Array<[string, string | number | null]> = [
    ['runId', report.runId],
    ['mode', report.mode],
    ['verdict', report.verdict],
    ['exitCode', report.exitCode],
    ['runbookFile', report.runbook.file],
    ['recoveryMs', t.recoveryMs],
    ['rtoMs', t.rtoMs],
    ['rtoVerdict', t.rtoVerdict],
    ['rollbackMs', t.rollbackMs],
    ['rollback', t.rollback],
    ['backupKey', t.backupKey],
    ['backupAgeSeconds', t.backupAgeSeconds],
    ['rpoMs', t.rpoMs],
    ['rpoVerdict', t.rpoVerdict],
    ['restoreBytes', t.restoreBytes],
    ['restoreSeconds', t.restoreSeconds],
    ['restoreBytesPerSecond', t.restoreBytesPerSecond],
  ];
  const children = props.filter(([, v]) => v !== null).map(([name, value]) => el('property', { name, value: String(value) }, undefined, '      '));
  return el('properties', {}, children, '    ');
}

/**
 * A missed recovery target is a failure of the run as a whole: one testcase per breach
 * (`rto`, `rpo`), present only when missed, so CI shows red with the measured value and
 * the limit in the message. In a mode not judged against its targets (a `run`) the
 * testcase is skipped, saying the measure and the target: the suite agrees with the verdict.
 */
function breachCase(report: Report, b: Report['breaches'][number]): string {
  const i = '    ';
  const text = `${b.message}${b.stepId ? ` (measured by step ${b.stepId})` : ''}`;
  const child = b.judged
    ? el('failure', { message: b.message, type: `target.${b.target}` }, text, `${i}  `)
    : el('skipped', { message: `not judged in ${report.mode} (rehearse and verify are): ${b.message}` }, undefined, `${i}  `);
  return el('testcase', { name: b.target, classname: `${report.runbook.name}.targets`, time: seconds(b.target === 'rto' ? b.measuredMs : 0) }, [child], i);
}

/**
 * A run refused before it started: one <error> for the run, so CI never shows a refused
 * verify as green (all steps skipped, failures=0 errors=0).
 */
function refusedCase(report: Report): string {
  const i = '    ';
  const message = report.error?.message ?? 'refused before any change';
  return el('testcase', { name: 'start', classname: `${report.runbook.name}.run`, time: '0.000' }, [el('error', { message: firstLine(message), type: 'refused' }, message, `${i}  `)], i);
}

export function renderJunit(report: Report): string {
  const refused = report.verdict === 'refused';
  const tests = report.steps.length + report.breaches.length + (refused ? 1 : 0);
  const failures = report.steps.filter((s) => s.status === 'failed').length + report.breaches.filter((b) => b.judged).length;
  const errors = report.steps.filter(
    (s) => s.status === 'interrupted' || s.undo === 'failed' || (s.undo === 'still-changed' && report.verdict !== 'passed' && report.leftChanged.some((l) => l.stepId === s.id)),
  ).length + (refused ? 1 : 0);
  const skipped = report.steps.filter((s) => s.status === 'skipped' || s.status === 'not-run').length + report.breaches.filter((b) => !b.judged).length;
  const counts = { tests, failures, errors, skipped, time: seconds(report.durationMs), timestamp: report.startedAt };
  const suite = el(
    'testsuite',
    { name: report.runbook.name, ...counts, hostname: report.host ?? undefined },
    [
      properties(report),
      ...(refused ? [refusedCase(report)] : []),
      ...report.steps.map((s) => testcase(report, s)),
      ...report.breaches.map((b) => breachCase(report, b)),
      el('system-out', {}, report.summary, '    '),
    ],
    '  ',
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el('testsuites', { name: `lifeboat ${report.mode} ${report.runbook.name}`, ...counts }, [suite])}\n`;
}
