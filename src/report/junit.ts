/**
 * JUnit XML, the format every CI system renders (GitHub via test-reporter actions,
 * GitLab, Jenkins, Buildkite): one <testsuite> for the run, one <testcase> per runbook
 * step, and no other. A failed step has <failure message="…"> naming what broke (the step's
 * own error, e.g. the backup's age and the limit); skipped and not-reached steps have
 * <skipped/>; a failed rollback is an <error> on the step whose undo failed, so CI shows
 * red when a person must act; a missed RTO or RPO is a <failure> on the step that measured
 * it (or the last one that ran), and a refused run an <error> on its first step. Written with a tiny serializer that escapes everything it emits.
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

/** A testcase as it will be written: at most one <failure>, any <error>s, <skipped> only when neither. */
interface Case {
  name: string;
  classname: string;
  time: string;
  failure?: { message: string; type: string; text: string };
  errors: Array<{ message: string; type: string; text?: string | undefined }>;
  skipped?: string;
  out: string[];
}

function stepCase(report: Report, s: StepReport): Case {
  const c: Case = { name: s.id, classname: `${report.runbook.name}.${s.type}`, time: seconds(s.durationMs), errors: [], out: [] };
  switch (s.status) {
    case 'failed': {
      const message = s.error ?? 'failed';
      c.failure = { message: firstLine(message), type: s.type, text: message };
      break;
    }
    case 'interrupted':
      c.errors.push({ message: s.error ?? 'interrupted', type: 'interrupted' });
      break;
    case 'skipped':
    case 'not-run':
      c.skipped = s.skipReason ?? (s.status === 'skipped' ? 'skipped' : 'not reached');
      break;
    default:
      break;
  }
  if (s.undo === 'failed') {
    const message = `rollback failed: ${s.undoError ?? 'unknown error'}`;
    c.errors.push({ message: firstLine(message), type: 'rollback', text: `${message}\n${report.next ?? ''}`.trim() });
  } else if (s.undo === 'still-changed' && report.verdict !== 'passed' && report.leftChanged.some((l) => l.stepId === s.id)) {
    c.errors.push({ message: 'still changed: its rollback did not run', type: 'rollback', text: report.next ?? 'its change is still in place' });
  }
  // A step that ran and was not undone by the rollback passes, and says so where CI shows it.
  if (s.undo === 'not-undone') c.out.push('not undone: this step cannot be undone (rollback: false); its change is still in place');
  if (s.undo === 'by-hand') c.out.push('undone by hand: a person marked its undo done (journaled with who)');
  const outputs = outputsText(s);
  if (outputs !== undefined) c.out.push(outputs);
  return c;
}

/**
 * A missed recovery target fails the run as a whole, and CI shows it on the testcase of the
 * step that measured it (rpo: the backup check) or, for the recovery time, of the last step
 * that ran (the recovery ended with it): red, with the measured value and the limit. In a
 * mode not judged against its targets (a `run`) it is said in that testcase's output only.
 * No testcase of its own: the suite has one testcase per step.
 */
function addBreach(report: Report, c: Case, b: Report['breaches'][number]): void {
  const label = `${b.target.toUpperCase()} missed: ${b.message}`;
  if (!b.judged) {
    c.out.push(`${b.target.toUpperCase()} over, not judged in ${report.mode} (rehearse and verify are): ${b.message}`);
    return;
  }
  const text = `${label}${b.stepId ? ` (measured by step ${b.stepId})` : ' (the recovery ended with this step)'}`;
  if (c.failure) c.failure.text = `${c.failure.text}\n${text}`;
  else c.failure = { message: label, type: `target.${b.target}`, text };
  delete c.skipped;
}

/** The testcase a breach is shown on: its step's, else the last step that ran. */
function breachCase(report: Report, cases: Case[], b: Report['breaches'][number]): Case | undefined {
  const byStep = b.stepId === null ? undefined : cases.find((c) => c.name === b.stepId);
  if (byStep) return byStep;
  const ran = report.steps.filter((s) => s.status !== 'skipped' && s.status !== 'not-run').map((s) => s.id);
  const last = ran[ran.length - 1];
  return cases.find((c) => c.name === last);
}

function renderCase(c: Case): string {
  const i = '    ';
  const inner = `${i}  `;
  const children: string[] = [];
  if (c.failure) children.push(el('failure', { message: c.failure.message, type: c.failure.type }, c.failure.text, inner));
  for (const e of c.errors) children.push(el('error', { message: e.message, type: e.type }, e.text, inner));
  if (c.skipped !== undefined && !c.failure && c.errors.length === 0) children.push(el('skipped', { message: c.skipped }, undefined, inner));
  if (c.out.length > 0) children.push(el('system-out', {}, c.out.join('\n'), inner));
  return el('testcase', { name: c.name, classname: c.classname, time: c.time }, children, i);
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

export function renderJunit(report: Report): string {
  const cases = report.steps.map((s) => stepCase(report, s));
  if (report.verdict === 'refused') {
    // Refused before it started: an <error> where the run stopped (its first step), so CI
    // never shows a refused verify as green (all steps skipped, failures=0 errors=0); a
    // runbook that could not be read has no steps, and gets a testcase `start` for it.
    const message = report.error?.message ?? 'refused before any change';
    const first = cases[0] ?? { name: 'start', classname: `${report.runbook.name}.run`, time: '0.000', errors: [], out: [] };
    if (cases.length === 0) cases.push(first);
    delete first.skipped;
    first.errors.push({ message: firstLine(message), type: 'refused', text: message });
  }
  for (const b of report.breaches) {
    const c = breachCase(report, cases, b);
    if (c) addBreach(report, c, b);
  }
  const counts = {
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    errors: cases.filter((c) => c.errors.length > 0).length,
    skipped: cases.filter((c) => c.skipped !== undefined && !c.failure && c.errors.length === 0).length,
    time: seconds(report.durationMs),
    timestamp: report.startedAt,
  };
  const suite = el(
    'testsuite',
    { name: report.runbook.name, ...counts, hostname: report.host ?? undefined },
    [properties(report), ...cases.map(renderCase), el('system-out', {}, report.summary, '    ')],
    '  ',
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el('testsuites', { name: `lifeboat ${report.mode} ${report.runbook.name}`, ...counts }, [suite])}\n`;
}
