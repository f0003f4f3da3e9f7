/**
 * A strict reader of the Prometheus text exposition format (0.0.4), line by line, with
 * the rules node_exporter's textfile collector enforces: `# HELP name text` and
 * `# TYPE name type` at most once per metric and before its samples; samples
 * `name{label="value",…} value [timestamp]`; a metric's samples together; no duplicate
 * series; escapes only `\\`, `\"` and `\n` in label values (`\\`, `\n` in HELP); values
 * as Go's ParseFloat reads them; the file ends with a line feed. Throws on any violation.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface Family {
  name: string;
  help?: string;
  type?: string;
  samples: Sample[];
}

export class PromError extends Error {}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf|NaN|nan)$/;

function unescape(s: string, allowQuote: boolean, where: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === '"' && allowQuote) return '"';
    throw new PromError(`${where}: bad escape \\${c}`);
  });
}

function parseValue(s: string, where: string): number {
  if (!FLOAT.test(s)) throw new PromError(`${where}: "${s}" is not a float`);
  if (/^[+-]?inf$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  return Number(s);
}

export function parsePrometheus(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new PromError('the last line has no line feed');
  const families = new Map<string, Family>();
  const seenSeries = new Set<string>();
  let current: string | undefined;
  const closed = new Set<string>();

  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { name, samples: [] };
      families.set(name, f);
    }
    return f;
  };

  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // a plain comment
      const [, kw, name, rest = ''] = m as unknown as [string, string, string, string | undefined];
      if (!METRIC.test(name)) throw new PromError(`${where}: bad metric name ${name}`);
      const f = family(name);
      if (kw === 'HELP') {
        if (f.help !== undefined) throw new PromError(`${where}: second HELP for ${name}`);
        f.help = unescape(rest, false, where);
      } else {
        if (f.type !== undefined) throw new PromError(`${where}: second TYPE for ${name}`);
        if (f.samples.length > 0) throw new PromError(`${where}: TYPE for ${name} after its samples`);
        if (!TYPES.has(rest.trim())) throw new PromError(`${where}: unknown type "${rest}"`);
        f.type = rest.trim();
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?[ \t]+(\S+)(?:[ \t]+(-?\d+))?[ \t]*$/.exec(line);
    if (!m) throw new PromError(`${where}: not a sample: ${line}`);
    const [, name, , labelText, valueText, ts] = m as unknown as [string, string, string | undefined, string | undefined, string, string | undefined];
    const labels: Record<string, string> = {};
    if (labelText !== undefined && labelText.trim() !== '') {
      const re = /\s*([^=\s]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
      let pos = 0;
      while (pos < labelText.length) {
        re.lastIndex = pos;
        const lm = re.exec(labelText);
        if (!lm) throw new PromError(`${where}: bad labels {${labelText}}`);
        const [, lname, lvalue, sep] = lm as unknown as [string, string, string, string];
        if (!LABEL.test(lname) || lname.startsWith('__')) throw new PromError(`${where}: bad label name ${lname}`);
        if (lname in labels) throw new PromError(`${where}: duplicate label ${lname}`);
        if (lvalue.includes('\n')) throw new PromError(`${where}: raw line feed in a label value`);
        labels[lname] = unescape(lvalue, true, where);
        pos = re.lastIndex;
        if (sep === '' && pos < labelText.length) throw new PromError(`${where}: bad labels {${labelText}}`);
      }
    }
    if (current !== name) {
      if (closed.has(name)) throw new PromError(`${where}: samples of ${name} are not together`);
      if (current !== undefined) closed.add(current);
      current = name;
    }
    const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seenSeries.has(series)) throw new PromError(`${where}: duplicate series ${series}`);
    seenSeries.add(series);
    const sample: Sample = { name, labels, value: parseValue(valueText, where) };
    if (ts !== undefined) sample.timestamp = Number(ts);
    family(name).samples.push(sample);
  });
  return families;
}
