/**
 * `${{ params.x }}` and `${{ steps.<id>.outputs.<name> }}` references. Substitution is
 * data only: the value replaces the placeholder inside the string (or array element);
 * nothing is ever evaluated or passed through a shell.
 */

export type Reference =
  | { kind: 'param'; name: string; raw: string; offset: number; fallback?: string | undefined }
  | { kind: 'output'; step: string; name: string; raw: string; offset: number; fallback?: string | undefined }
  | { kind: 'invalid'; raw: string; offset: number };

const PLACEHOLDER = /\$\{\{([^}]*)\}\}/g;
/** What a param may be named: what `${{ params.<name> }}` and a when: condition can refer to. */
export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const PARAM = new RegExp(`^params\\.(${PARAM_NAME.source.slice(1, -1)})$`);
const OUTPUT = /^steps\.([a-z0-9-]+)\.outputs\.([A-Za-z_][A-Za-z0-9_]*)$/;
/**
 * A fallback, used when the value does not exist (a step skipped by its `when:`, a param
 * without a value): `${{ steps.probe.outputs.status || 'none' }}`. The fallback is a quoted
 * string ('…' or "…") or a number; it is data, like every substituted value.
 */
const FALLBACK = /^(.*?)\s*\|\|\s*(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?))$/;

export function hasTemplate(text: string): boolean {
  return text.includes('${{');
}

export function findReferences(text: string): Reference[] {
  const refs: Reference[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    const raw = m[0];
    let expr = (m[1] ?? '').trim();
    const offset = m.index ?? 0;
    let fallback: string | undefined;
    const f = FALLBACK.exec(expr);
    if (f) {
      expr = (f[1] ?? '').trim();
      fallback = f[2] ?? f[3] ?? f[4];
    }
    const withFallback = fallback === undefined ? {} : { fallback };
    const p = PARAM.exec(expr);
    const o = OUTPUT.exec(expr);
    if (p) refs.push({ kind: 'param', name: p[1] as string, raw, offset, ...withFallback });
    else if (o) refs.push({ kind: 'output', step: o[1] as string, name: o[2] as string, raw, offset, ...withFallback });
    else refs.push({ kind: 'invalid', raw, offset });
  }
  // An opening `${{` without its closing `}}` is a mistake too.
  const opened = text.split('${{').length - 1;
  if (opened > refs.length) {
    const at = text.lastIndexOf('${{');
    refs.push({ kind: 'invalid', raw: text.slice(at), offset: at });
  }
  return refs;
}

export interface Scope {
  params: Readonly<Record<string, string>>;
  outputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export class TemplateError extends Error {}

function lookup(ref: Reference, scope: Scope): string {
  // Own properties only: `params.constructor` must not reach Object.prototype.
  if (ref.kind === 'param') {
    const v = Object.hasOwn(scope.params, ref.name) ? scope.params[ref.name] : undefined;
    if (v === undefined && ref.fallback !== undefined) return ref.fallback;
    if (v === undefined) throw new TemplateError(`${ref.raw}: param "${ref.name}" has no value (give it with --param ${ref.name}=…)`);
    return String(v);
  }
  if (ref.kind === 'output') {
    const outs = Object.hasOwn(scope.outputs, ref.step) ? scope.outputs[ref.step] : undefined;
    const found = outs && Object.hasOwn(outs, ref.name) ? outs[ref.name] : undefined;
    if (found === undefined && ref.fallback !== undefined) return ref.fallback;
    if (!outs) throw new TemplateError(`${ref.raw}: step "${ref.step}" has not run (skipped or not reached)`);
    const v = Object.hasOwn(outs, ref.name) ? outs[ref.name] : undefined;
    if (v === undefined) throw new TemplateError(`${ref.raw}: step "${ref.step}" has no output "${ref.name}"`);
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  throw new TemplateError(`${ref.raw}: not a reference (use \${{ params.x }} or \${{ steps.<id>.outputs.<name> }}, optionally with a fallback: \${{ steps.<id>.outputs.<name> || 'none' }})`);
}

export function substituteString(text: string, scope: Scope): string {
  if (!hasTemplate(text)) return text;
  const refs = findReferences(text);
  let out = '';
  let last = 0;
  for (const ref of refs) {
    out += text.slice(last, ref.offset) + lookup(ref, scope);
    last = ref.offset + ref.raw.length;
  }
  return out + text.slice(last);
}

/** Substitute in every string of a JSON-like value; returns a new value. */
export function substitute<T>(value: T, scope: Scope): T {
  if (typeof value === 'string') return substituteString(value, scope) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => substitute(v, scope)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, scope);
    return out as T;
  }
  return value;
}
