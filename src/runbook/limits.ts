/**
 * What the loader accepts at most (README "Limits"), checked before the expensive work so a
 * runaway file (a generated 50 MB runbook) is refused in milliseconds instead of minutes:
 * the size before the text is read whole, the number of steps before the schema and the
 * checks run over them. Pure: counted on the parsed YAML document.
 */
import { isAlias, isMap, isScalar, isSeq, type Document } from 'yaml';
import { formatBytes } from '../util/format.js';

/** 1 MiB: the largest runbook shipped is a few KiB; 1 MiB is hundreds of pages of YAML. */
export const MAX_RUNBOOK_BYTES = 1024 * 1024;

/**
 * 1,000 steps (steps and require together): every step is planned, confirmed and journaled
 * one by one, and a real runbook has a few dozen; a thousand is already more than a person
 * can follow in an incident. Generated runbooks beyond it should be split.
 */
export const MAX_STEPS = 1000;

/** YAML aliases expanded at most (the yaml package's maxAliasCount): a "billion laughs" file stops here. */
export const MAX_ALIAS_COUNT = 100;

const n = (v: number): string => v.toLocaleString('en');

export function tooLargeMessage(bytes: number | undefined): string {
  const size = bytes === undefined ? `more than ${formatBytes(MAX_RUNBOOK_BYTES)}` : `${formatBytes(bytes)} (${n(bytes)} bytes)`;
  return `runbook is ${size}, over the limit of ${formatBytes(MAX_RUNBOOK_BYTES)} (${n(MAX_RUNBOOK_BYTES)} bytes): check that this is the runbook you meant, or split it into smaller runbooks`;
}

/** The source's size in bytes when it is over MAX_RUNBOOK_BYTES, else undefined. */
export function oversize(source: string): number | undefined {
  // A UTF-16 length over the limit is over it in UTF-8 too: no need to count then.
  if (source.length > MAX_RUNBOOK_BYTES) return Buffer.byteLength(source, 'utf8');
  if (source.length * 3 <= MAX_RUNBOOK_BYTES) return undefined;
  const bytes = Buffer.byteLength(source, 'utf8');
  return bytes > MAX_RUNBOOK_BYTES ? bytes : undefined;
}

/**
 * Too many steps: the count, and the offset of the key to point at (`steps`, else
 * `require`), counted from the document's sequences without building them.
 */
export function tooManySteps(doc: Document): { count: number; offset: number } | undefined {
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  let count = 0;
  let offset = 0;
  for (const pair of root.items) {
    if (!isScalar(pair.key) || (pair.key.value !== 'steps' && pair.key.value !== 'require')) continue;
    const value: unknown = isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
    if (!isSeq(value)) continue;
    count += value.items.length;
    if (pair.key.value === 'steps' || offset === 0) offset = pair.key.range?.[0] ?? 0;
  }
  return count > MAX_STEPS ? { count, offset } : undefined;
}

export function tooManyStepsMessage(count: number): string {
  return `runbook has ${n(count)} steps (steps and require), over the limit of ${n(MAX_STEPS)}: a person plans and confirms each one; split it into smaller runbooks`;
}

export { MAX_TIMER_MS } from './duration.js';
