/**
 * Backup manifests for s3.verify-backups: what a backup job says it wrote. JSON (an array
 * of `{key, size, sha256}`, or `{objects: [...]}`) or CSV (`key,size,sha256`, header
 * optional). sha256 may be hex or base64; size and sha256 may each be left out.
 * Keys may be full keys or relative to the checked prefix.
 */
import { sha256Hex } from '../../aws/s3.js';
import { StepError } from '../types.js';

export interface ManifestEntry {
  key: string;
  size?: number | undefined;
  /** Lowercase hex. */
  sha256?: string | undefined;
}

export function parseManifest(text: string, source: string, prefix = ''): Map<string, ManifestEntry> {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  const raw = trimmed.startsWith('[') || trimmed.startsWith('{') ? fromJson(trimmed, source) : fromCsv(trimmed, source);
  const entries = new Map<string, ManifestEntry>();
  for (const [where, r] of raw) {
    const bad = (what: string): never => {
      throw new StepError(`manifest ${source}: ${where}: ${what}`, { hint: 'each entry needs key, and may give size (bytes) and sha256 (hex or base64)' });
    };
    if (typeof r.key !== 'string' || r.key === '') bad('missing key');
    let size: number | undefined;
    if (r.size !== undefined && r.size !== null && r.size !== '') {
      size = Number(r.size);
      if (!Number.isSafeInteger(size) || size < 0) bad(`bad size "${String(r.size)}"`);
    }
    let sha256: string | undefined;
    if (r.sha256 !== undefined && r.sha256 !== null && r.sha256 !== '') {
      sha256 = sha256Hex(String(r.sha256));
      if (!sha256) bad(`bad sha256 "${String(r.sha256)}": expected 64 hex digits or 44 base64 characters`);
    }
    const rel = String(r.key);
    const key = prefix && !rel.startsWith(prefix) ? prefix + rel.replace(/^\/+/, '') : rel;
    entries.set(key, { key, size, sha256 });
  }
  return entries;
}

type RawEntry = { key?: unknown; size?: unknown; sha256?: unknown };

function fromJson(text: string, source: string): Array<[string, RawEntry]> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new StepError(`manifest ${source} is not valid JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(data) ? data : (data as { objects?: unknown }).objects;
  if (!Array.isArray(list)) throw new StepError(`manifest ${source}: expected a JSON array of {key, size, sha256}`);
  return list.map((item, i) => {
    const o = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    return [`entry ${i + 1}`, { key: o.key ?? o.Key, size: o.size ?? o.Size, sha256: o.sha256 ?? o.SHA256 ?? o.checksumSHA256 }];
  });
}

function fromCsv(text: string, source: string): Array<[string, RawEntry]> {
  const lines = text.split(/\r?\n/);
  const out: Array<[string, RawEntry]> = [];
  let columns = ['key', 'size', 'sha256'];
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const fields = splitCsvLine(line, `${source}: line ${i + 1}`);
    if (i === 0 && fields[0]?.trim().toLowerCase() === 'key') {
      columns = fields.map((f) => f.trim().toLowerCase());
      return;
    }
    const rec: Record<string, string> = {};
    columns.forEach((c, n) => {
      rec[c] = (fields[n] ?? '').trim();
    });
    out.push([`line ${i + 1}`, { key: rec.key, size: rec.size, sha256: rec.sha256 }]);
  });
  return out;
}

/** One CSV line: fields separated by commas, optionally double-quoted with "" escapes. */
export function splitCsvLine(line: string, where: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) throw new StepError(`manifest ${where}: unterminated quoted field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i];
        i++;
      }
      fields.push(value);
      if (i < line.length && line[i] !== ',') throw new StepError(`manifest ${where}: text after a quoted field`);
    } else {
      const end = line.indexOf(',', i);
      fields.push(end === -1 ? line.slice(i) : line.slice(i, end));
      i = end === -1 ? line.length : end;
    }
    if (i >= line.length) return fields;
    i++; // the comma
  }
}
