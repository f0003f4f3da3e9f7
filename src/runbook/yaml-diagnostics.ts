/**
 * YAML syntax errors as problems that say what to do: the node behind the error located
 * from what the parser could still build (an unclosed quote or bracket, a bad indent, an
 * unquoted `${{ }}` inside a flow collection, a duplicate key).
 */
import { isAlias, isMap, isScalar, isSeq, visit, type Document, type YAMLError } from 'yaml';

export interface YamlNodes {
  scalars: Array<{ start: number; end: number; type: string | undefined }>;
  flows: Array<{ start: number; end: number; kind: 'seq' | 'map' }>;
  maps: Array<{ keys: Array<{ start: number; text: string }> }>;
}

/** What the YAML parser could still build: enough to locate the node behind an error. */
export function collectNodes(doc: Document): YamlNodes {
  const nodes: YamlNodes = { scalars: [], flows: [], maps: [] };
  visit(doc, (_, node) => {
    if (isScalar(node) && node.range) nodes.scalars.push({ start: node.range[0], end: node.range[1], type: node.type });
    if ((isSeq(node) || isMap(node)) && node.flow && node.range) {
      nodes.flows.push({ start: node.range[0], end: node.range[1], kind: isSeq(node) ? 'seq' : 'map' });
    }
    if (isMap(node)) {
      const keys: Array<{ start: number; text: string }> = [];
      for (const pair of node.items) {
        if (isScalar(pair.key) && pair.key.range) keys.push({ start: pair.key.range[0], text: String(pair.key.value) });
      }
      nodes.maps.push({ keys });
    }
    return isAlias(node) ? visit.SKIP : undefined;
  });
  return nodes;
}

const INDENT_HINT = 'check the indentation: keys of one mapping start in the same column, list items with "- "';

/** A YAML error as a located message that says what to do. */
export function yamlProblem(err: YAMLError, all: readonly YAMLError[], nodes: YamlNodes, source: string): { offset: number; message: string } {
  const offset = err.pos[0];
  const contentStart = (at: number): number => {
    const end = source.indexOf('\n', at);
    let i = at;
    while (i < (end < 0 ? source.length : end) && source[i] === ' ') i++;
    return i < (end < 0 ? source.length : end) ? i : at;
  };
  const first = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
  const lastBefore = <T extends { start: number }>(items: T[]): T | undefined =>
    items.filter((n) => n.start <= offset).sort((a, b) => b.start - a.start)[0];

  if (err.code === 'DUPLICATE_KEY') {
    for (const map of nodes.maps) {
      const i = map.keys.findIndex((k) => k.start === offset);
      const key = map.keys[i];
      if (!key) continue;
      const prior = map.keys.slice(0, i).find((k) => k.text === key.text);
      const firstLine = prior ? lineOf(source, prior.start) : undefined;
      return {
        offset,
        message: `duplicate key "${key.text}"${firstLine ? ` (first at line ${firstLine})` : ''}: a key may appear once in a mapping; remove one`,
      };
    }
    return { offset, message: `duplicate key: ${first}; remove one` };
  }

  if (err.code === 'MISSING_CHAR' && /closing .?quote/i.test(first)) {
    const quote = first.includes("'") ? "'" : '"';
    const open = lastBefore(
      nodes.scalars.filter((n) => {
        if (n.type !== (quote === "'" ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE')) return false;
        const text = source.slice(n.start, n.end);
        return text.length < 2 || !text.endsWith(quote);
      }),
    );
    return { offset: open?.start ?? offset, message: `YAML syntax error: this string opened with ${quote} is never closed; add the closing ${quote}` };
  }

  // `${{ }}` unquoted inside { } or [ ]: YAML reads the braces as a mapping.
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  const lineEndAt = source.indexOf('\n', offset);
  const lineEnd = lineEndAt < 0 ? source.length : lineEndAt;
  const line = source.slice(lineStart, lineEnd);
  for (let i = line.indexOf('${{'); i >= 0; i = line.indexOf('${{', i + 1)) {
    const at = lineStart + i;
    const quoted = nodes.scalars.some((n) => (n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE') && n.start < at && at < n.end);
    if (!quoted) {
      return {
        offset: at,
        message: 'YAML syntax error: inside { } or [ ], a value with ${{ }} must be quoted, e.g. { url: "https://${{ params.host }}/" }',
      };
    }
  }

  // A line indented deeper than the key above it: YAML reads both lines as one key.
  const multiline = all.find((e) => e.code === 'MULTILINE_IMPLICIT_KEY' && e.pos[0] === offset);
  if (err.code === 'BLOCK_AS_IMPLICIT_KEY' && multiline) {
    const lineStartOf = source.lastIndexOf('\n', multiline.pos[1] - 1) + 1;
    return {
      offset: contentStart(lineStartOf),
      message: 'YAML syntax error: this line is indented deeper than the line above it; keys of one mapping start in the same column',
    };
  }
  if (err.code === 'TAB_AS_INDENT') return { offset, message: 'YAML syntax error: a tab is used as indentation; indent with spaces' };
  if (err.code === 'MULTIPLE_DOCS') return { offset, message: 'YAML syntax error: a runbook file holds one YAML document; remove this ---' };

  const flow = /^Flow (sequence|map)/.exec(first);
  if (err.code === 'BAD_INDENT' && flow) {
    const kind = flow[1] === 'sequence' ? 'seq' : 'map';
    const [opener, closer] = kind === 'seq' ? ['[', ']'] : ['{', '}'];
    const open = lastBefore(nodes.flows.filter((n) => n.kind === kind && !source.slice(n.start, n.end).trimEnd().endsWith(closer)));
    if (open) return { offset: open.start, message: `YAML syntax error: this ${opener} is never closed; add the closing ${closer}` };
    return { offset, message: `YAML syntax error: ${first}; ${INDENT_HINT}` };
  }

  // Point at the first character of the offending line's content, not at its indentation.
  const hint: Partial<Record<string, string>> = {
    BAD_INDENT: INDENT_HINT,
    MISSING_CHAR: /indicator/.test(first) ? INDENT_HINT : undefined,
    MULTILINE_IMPLICIT_KEY: INDENT_HINT,
    BLOCK_AS_IMPLICIT_KEY: 'quote a value that contains ": ", or check the indentation',
    BAD_DQ_ESCAPE: 'inside "…" a backslash starts an escape: write \\\\ or use single quotes',
  };
  const h = hint[err.code];
  return { offset: contentStart(offset), message: `YAML syntax error: ${first}${h ? `; ${h}` : ''}` };
}

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < source.length; i++) if (source[i] === '\n') line++;
  return line;
}

