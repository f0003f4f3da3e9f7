/**
 * `when:` conditions: a small expression language over params and step outputs, parsed
 * and evaluated here, never by eval. Grammar:
 *   expr := or;  or := and ('||' and)*;  and := unary ('&&' unary)*
 *   unary := '!' unary | cmp;  cmp := atom (('=='|'!='|'<'|'<='|'>'|'>=') atom)?
 *   atom := '(' expr ')' | 'string' | "string" | number | true | false
 *         | params.<name> | steps.<id>.outputs.<name> | mode
 * `mode` is the command's: plan, dry-run, run, rehearse or verify.
 */
import { closest } from '../util/suggest.js';
import { STEP_MODES } from './mode-names.js';

type Token =
  | { t: 'op'; v: string; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'num'; v: number; at: number }
  | { t: 'ref'; v: string[]; at: number }
  | { t: 'bool'; v: boolean; at: number };

type Ast =
  | { k: 'lit'; v: string | number | boolean }
  | { k: 'ref'; path: string[]; at: number }
  | { k: 'not'; e: Ast }
  | { k: 'bin'; op: string; l: Ast; r: Ast };

export class ConditionError extends Error {}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) { i++; continue; }
    const two = src.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) { out.push({ t: 'op', v: two, at: i }); i += 2; continue; }
    if ('()<>!'.includes(c)) { out.push({ t: 'op', v: c, at: i }); i++; continue; }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new ConditionError(`unterminated string at column ${i + 1}`);
      out.push({ t: 'str', v: src.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?/.exec(src.slice(i));
    if (num) { out.push({ t: 'num', v: Number(num[0]), at: i }); i += num[0].length; continue; }
    const word = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*/.exec(src.slice(i));
    if (word) {
      const w = word[0];
      if (w === 'true' || w === 'false') out.push({ t: 'bool', v: w === 'true', at: i });
      else out.push({ t: 'ref', v: w.split('.'), at: i });
      i += w.length;
      continue;
    }
    if (c === '=') throw new ConditionError(`unexpected "=" at column ${i + 1}: compare with ==`);
    if (c === '&' || c === '|') throw new ConditionError(`unexpected "${c}" at column ${i + 1}: use ${c}${c}`);
    throw new ConditionError(`unexpected "${c}" at column ${i + 1}`);
  }
  return out;
}

function parse(src: string): Ast {
  const toks = tokenize(src);
  let pos = 0;
  const peek = (): Token | undefined => toks[pos];
  const isOp = (v: string): boolean => { const t = peek(); return t?.t === 'op' && t.v === v; };
  const binary = (next: () => Ast, ops: string[]): Ast => {
    let left = next();
    while (ops.some(isOp)) {
      const op = (toks[pos++] as Token & { t: 'op' }).v;
      left = { k: 'bin', op, l: left, r: next() };
    }
    return left;
  };
  const expr = (): Ast => binary(and, ['||']);
  const and = (): Ast => binary(unary, ['&&']);
  const unary = (): Ast => {
    if (isOp('!')) { pos++; return { k: 'not', e: unary() }; }
    const left = atom();
    const op = ['==', '!=', '<=', '>=', '<', '>'].find(isOp);
    if (!op) return left;
    pos++;
    return { k: 'bin', op, l: left, r: atom() };
  };
  const atom = (): Ast => {
    const t = toks[pos++];
    if (!t) throw new ConditionError('unexpected end of condition');
    if (t.t === 'op' && t.v === '(') {
      const e = expr();
      if (!isOp(')')) throw new ConditionError('missing ")"');
      pos++;
      return e;
    }
    if (t.t === 'str' || t.t === 'num' || t.t === 'bool') return { k: 'lit', v: t.v };
    if (t.t === 'ref') {
      const p = t.v;
      const okParam = p.length === 2 && p[0] === 'params';
      const okOutput = p.length === 4 && p[0] === 'steps' && p[2] === 'outputs';
      const okMode = p.length === 1 && p[0] === 'mode';
      if (!okParam && !okOutput && !okMode)
        throw new ConditionError(`"${p.join('.')}" at column ${t.at + 1} is not params.<name>, steps.<id>.outputs.<name> or mode${wordHint(t)}`);
      return { k: 'ref', path: p, at: t.at };
    }
    throw new ConditionError(`unexpected ${describeToken(t)} at column ${t.at + 1}`);
  };
  const ast = expr();
  const extra = toks[pos];
  if (extra) throw new ConditionError(`unexpected ${describeToken(extra)} at column ${extra.at + 1}${wordHint(extra)}`);
  return ast;
}

function describeToken(t: Token): string {
  if (t.t === 'ref') return `"${t.v.join('.')}"`;
  if (t.t === 'str') return `string "${t.v}"`;
  return `"${String(t.v)}"`;
}

const WORD_OPS: Record<string, string> = { and: '&&', or: '||', not: '!' };

function wordHint(t: Token): string {
  if (t.t !== 'ref' || t.v.length !== 1) return '';
  const op = WORD_OPS[(t.v[0] as string).toLowerCase()];
  return op ? ` (use ${op})` : '';
}

function refs(ast: Ast): string[][] {
  if (ast.k === 'ref') return [ast.path];
  if (ast.k === 'not') return refs(ast.e);
  if (ast.k === 'bin') return [...refs(ast.l), ...refs(ast.r)];
  return [];
}

export interface ConditionNames {
  params: ReadonlySet<string>;
  /** Steps that have run (or been skipped) before this condition is evaluated. */
  stepsBefore: ReadonlySet<string>;
  /** Optional, for better messages: every step id of the runbook. */
  allSteps?: ReadonlySet<string> | undefined;
  /** Optional: the id of the step that owns the condition. */
  self?: string | undefined;
  /** Optional: the outputs each step type has, by step id; unknown names are reported. */
  outputs?: ReadonlyMap<string, readonly string[]> | undefined;
}

export const CONDITION_EXAMPLE = 'params.env == "prod" && steps.probe.outputs.status == 200';

/** Static check at load time: syntax, and that every name exists and is known by then. */
export function checkCondition(src: string, known: ConditionNames): string | undefined {
  let ast: Ast;
  try {
    ast = parse(src);
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
    return `${err.message} (a condition looks like: ${CONDITION_EXAMPLE})`;
  }
  const mode = modeProblem(ast);
  if (mode) return mode;
  for (const p of refs(ast)) {
    const name = p[1] as string;
    if (p[0] === 'params' && !known.params.has(name)) {
      const declared = known.params.size > 0 ? `declared: ${[...known.params].join(', ')}` : 'no params are declared';
      return `unknown param "${name}"; ${declared}`;
    }
    if (p[0] !== 'steps') continue;
    if (name === known.self) return `steps.${name}: a step's when cannot use its own outputs`;
    if (!known.stepsBefore.has(name)) {
      if (known.allSteps?.has(name)) return `step "${name}" runs after this one, so its outputs are not known yet`;
      const before = known.stepsBefore.size > 0 ? `steps before this one: ${[...known.stepsBefore].join(', ')}` : 'no step runs before this one';
      return `unknown step "${name}"; ${before}`;
    }
    const outputs = known.outputs?.get(name);
    const output = p[3] as string;
    if (outputs && !outputs.includes(output)) {
      return `step "${name}" has no output "${output}"${outputs.length > 0 ? ` (outputs: ${outputs.join(', ')})` : ' (it has no outputs)'}`;
    }
  }
  return undefined;
}

/**
 * A comparison of `mode` with a value no mode has (`mode == "dryrun"`): never true (or, with
 * !=, always), which is not what was meant.
 */
function modeProblem(ast: Ast): string | undefined {
  if (ast.k === 'not') return modeProblem(ast.e);
  if (ast.k !== 'bin') return undefined;
  if (ast.op === '==' || ast.op === '!=') {
    const isMode = (a: Ast): boolean => a.k === 'ref' && a.path.length === 1 && a.path[0] === 'mode';
    const other = isMode(ast.l) ? ast.r : isMode(ast.r) ? ast.l : undefined;
    if (other?.k === 'lit' && !(STEP_MODES as readonly unknown[]).includes(other.v)) {
      const near = typeof other.v === 'string' ? closest(other.v, STEP_MODES) : undefined;
      return `mode is never ${JSON.stringify(other.v)}, so mode ${ast.op} ${JSON.stringify(other.v)} is always ${ast.op === '==' ? 'false' : 'true'}${near ? ` (did you mean "${near}"?)` : ''}; the modes are ${STEP_MODES.join(', ')}`;
    }
    return undefined;
  }
  return modeProblem(ast.l) ?? modeProblem(ast.r);
}

export interface ConditionScope {
  params: Readonly<Record<string, string>>;
  outputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The command's mode: plan, dry-run, run, rehearse or verify. */
  mode?: string | undefined;
}

type Value = string | number | boolean | undefined;

export function evaluateCondition(src: string, scope: ConditionScope): boolean {
  return truthy(evaluate(parse(src), scope));
}

function evaluate(ast: Ast, scope: ConditionScope): Value {
  switch (ast.k) {
    case 'lit': return ast.v;
    case 'ref': {
      const p = ast.path;
      const v = p[0] === 'mode' ? scope.mode : p[0] === 'params' ? own(scope.params, p[1] as string) : own(own(scope.outputs, p[1] as string), p[3] as string);
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
    }
    case 'not': return !truthy(evaluate(ast.e, scope));
    case 'bin': {
      if (ast.op === '&&') return truthy(evaluate(ast.l, scope)) && truthy(evaluate(ast.r, scope));
      if (ast.op === '||') return truthy(evaluate(ast.l, scope)) || truthy(evaluate(ast.r, scope));
      return compare(ast.op, evaluate(ast.l, scope), evaluate(ast.r, scope));
    }
  }
}

/** Own properties only: `params.constructor` must not reach Object.prototype. */
function own<T>(obj: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function compare(op: string, a: Value, b: Value): boolean {
  const na = toNumber(a);
  const nb = toNumber(b);
  const numeric = na !== undefined && nb !== undefined;
  const x: string | number = numeric ? na : String(a ?? '');
  const y: string | number = numeric ? nb : String(b ?? '');
  switch (op) {
    case '==': return x === y;
    case '!=': return x !== y;
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    default: return x >= y;
  }
}

function toNumber(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

function truthy(v: Value): boolean {
  if (typeof v === 'string') return v !== '' && v !== 'false' && v !== '0';
  return Boolean(v);
}
