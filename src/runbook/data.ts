/** Small helpers over the runbook as plain data (what YAML gave, before the schema). */
import { hasTemplate } from './template.js';

/** A path into the runbook's data: keys and list indexes. */
export type Path = ReadonlyArray<string | number>;

/** "a shell step", "an s3.restore step": the article as the name is read aloud. */
export function aStep(type: string): string {
  return `${/^(s3|http)/.test(type) ? 'an' : 'a'} ${type} step`;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function toKey(p: PropertyKey): string | number {
  return typeof p === 'number' ? p : String(p);
}

export function getIn(data: unknown, path: Path): unknown {
  let cur = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

export function isTemplated(data: unknown, path: Path): boolean {
  const v = getIn(data, path);
  return typeof v === 'string' && hasTemplate(v);
}

/** Whether a value, or anything inside it, is a string with a `${{ }}`. */
export function holdsTemplate(value: unknown): boolean {
  let found = false;
  walkValues(value, [], (v) => {
    if (typeof v === 'string' && hasTemplate(v)) found = true;
  });
  return found;
}

export function walkStrings(value: unknown, path: Path, onString: (text: string, path: Path) => void): void {
  walkValues(value, path, (v, p) => {
    if (typeof v === 'string') onString(v, p);
  });
}

/** Every leaf (not a list or mapping) of a JSON-like value, with its path. */
export function walkValues(value: unknown, path: Path, onLeaf: (value: unknown, path: Path) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => walkValues(v, [...path, i], onLeaf));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) walkValues(v, [...path, k], onLeaf);
  else onLeaf(value, path);
}
