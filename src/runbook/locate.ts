/**
 * Locating nodes of a runbook's YAML: 1-based line:col of a value, a key, or the nearest
 * ancestor that exists, so every problem points at the offending node itself.
 */
import { isMap, isScalar, type Document, type Node as YamlNode } from 'yaml';
import type { Path } from './data.js';
import type { Location } from './model.js';

/**
 * Offset → line:col, from the text itself: yaml's LineCounter can miss a line break while it
 * recovers from a syntax error, and every later problem would then point a line too high.
 */
export function lineLocator(source: string): (offset: number) => Location {
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return (offset: number): Location => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (lineStarts[lo] as number) + 1 };
  };
}

export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly at: (offset: number) => Location,
  ) {}

  private node(path: Path): YamlNode | undefined {
    if (path.length === 0) return (this.doc.contents ?? undefined);
    const n = this.doc.getIn(path, true);
    return n && typeof n === 'object' && 'range' in n ? (n as YamlNode) : undefined;
  }

  /** The value node at path, or the nearest ancestor that exists. */
  value(path: Path): Location {
    for (let n = path.length; n >= 0; n--) {
      const node = this.node(path.slice(0, n));
      if (node?.range) return this.at(node.range[0]);
    }
    return { line: 1, col: 1 };
  }

  /** Where to point at the node at path as a whole: its key in the parent mapping, else the node. */
  owner(path: Path): Location {
    const last = path[path.length - 1];
    return typeof last === 'string' ? this.key(path.slice(0, -1), last) : this.value(path);
  }

  /** The key node `key` inside the map at path. */
  key(path: Path, key: string): Location {
    const map = this.node(path);
    if (map && isMap(map)) {
      const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (pair && isScalar(pair.key) && pair.key.range) return this.at(pair.key.range[0]);
    }
    return this.value(path);
  }
}
