/**
 * `when:` conditions: a small expression language over params and step outputs, parsed
 * and evaluated here, never by eval. Grammar:
 *   expr := or;  or := and ('||' and)*;  and := unary ('&&' unary)*
 *   unary := '!' unary | cmp;  cmp := atom (('=='|'!='|'<'|'<='|'>'|'>=') atom)?
 *   atom := '(' expr ')' | 'string' | "string" | number | true | false
 *         | params.<name> | steps.<id>.outputs.<name>
 */

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
      if (!okParam && !okOutput) throw new ConditionError(`"${p.join('.')}" is not params.<name> or steps.<id>.outputs.<name>`);
      return { k: 'ref', path: p, at: t.at };
    }
    throw new ConditionError(`unexpected "${t.v}" at column ${t.at + 1}`);
  };
  const ast = expr();
  if (pos < toks.length) throw new ConditionError(`unexpected "${String(toks[pos]?.v)}" at column ${(toks[pos]?.at ?? 0) + 1}`);
  return ast;
}

function refs(ast: Ast): string[][] {
  if (ast.k === 'ref') return [ast.path];
  if (ast.k === 'not') return refs(ast.e);
  if (ast.k === 'bin') return [...refs(ast.l), ...refs(ast.r)];
  return [];
}

/** Static check at load time: syntax, and that every name exists and is known by then. */
export function checkCondition(src: string, known: { params: Set<string>; stepsBefore: Set<string> }): string | undefined {
  try {
    for (const p of refs(parse(src))) {
      if (p[0] === 'params' && !known.params.has(p[1] as string)) return `unknown param "${p[1]}"`;
      if (p[0] === 'steps' && !known.stepsBefore.has(p[1] as string)) return `step "${p[1]}" is unknown or runs later`;
    }
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export interface ConditionScope {
  params: Readonly<Record<string, string>>;
  outputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
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
      const v = p[0] === 'params' ? scope.params[p[1] as string] : scope.outputs[p[1] as string]?.[p[3] as string];
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
