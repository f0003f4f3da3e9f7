/**
 * One ListObjectsV2 response body (`<ListBucketResult>`) read into the fields lifeboat uses,
 * from its bytes, without building a document tree.
 *
 * Why not the SDK's own deserializer: measured on a 100,000-object `s3.verify-backups`
 * (bench/verify.ts), the SDK allocated ~8.8 MB per 1,000-key page (its XML parser builds
 * every tag name and text one character at a time, then a schema walk turns the tree into
 * objects): 880 MB of short-lived objects for the listing. At that rate V8 grew its young
 * generation to the maximum (16 MiB semi-spaces) and carried the response buffers into the
 * old generation, freed only by a full GC: the process peaked at ~135 MiB. Read here, a page
 * costs what it holds (per key: an object, its strings and a Date), ~0.3 MB, and no string
 * of the whole body is made (one would be a large object that each young GC promotes).
 *
 * For the fields below the result is what the SDK gives for the same XML: the same entity
 * decoding, the same reading of whitespace-only text, the same timestamp rounding
 * (test/aws/list-page.test.ts compares both). A body this reader does not vouch for (another
 * root, CDATA, carriage returns, attributes, a comment, an unknown field in an object, spaces
 * between elements without a line break (the SDK then drops the element's fields), a size
 * or timestamp in another form) gives undefined, and the caller lets the SDK read it.
 */
import type { _Object } from '@aws-sdk/client-s3';

/** The fields of a listed object lifeboat reads; Owner and RestoreStatus are not read. */
export type ListedObject = Pick<_Object, 'Key' | 'LastModified' | 'ETag' | 'ChecksumAlgorithm' | 'ChecksumType' | 'Size' | 'StorageClass'>;

export interface ListedPage {
  objects: ListedObject[];
  isTruncated: boolean;
  nextContinuationToken: string | undefined;
}

const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f;
const DIGIT_0 = 0x30;

const ENTITY = /&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|([a-zA-Z][a-zA-Z0-9]{0,30}));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML character references and the five named entities, as the SDK decodes them (an unknown name becomes ''). */
function decode(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (_m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    if (dec) return String.fromCharCode(parseInt(dec, 10));
    return NAMED[name ?? ''] ?? '';
  });
}

/** The number written in `b` from `from` to `to` (decimal digits only), or NaN. */
function digits(b: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = (b[i] as number) - DIGIT_0;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return to > from ? n : NaN;
}

/**
 * The time of an RFC 3339 UTC timestamp written in `b` from `from` to `to` (S3 writes
 * `2024-05-01T10:00:00.000Z`), rounded to the millisecond as the SDK rounds it; undefined
 * for any other form (an offset, a field out of range). Read in place: no string, no match.
 */
export function utcTimestampAt(b: Uint8Array, from: number, to: number): Date | undefined {
  const n = to - from;
  if (n < 20 || b[from + 4] !== 0x2d || b[from + 7] !== 0x2d || ((b[from + 10] as number) | 0x20) !== 0x74 /* T, t */) return undefined;
  if (b[from + 13] !== 0x3a || b[from + 16] !== 0x3a || ((b[to - 1] as number) | 0x20) !== 0x7a /* Z, z */) return undefined;
  const year = digits(b, from, from + 4);
  const month = digits(b, from + 5, from + 7);
  const day = digits(b, from + 8, from + 10);
  const hours = digits(b, from + 11, from + 13);
  const minutes = digits(b, from + 14, from + 16);
  const seconds = digits(b, from + 17, from + 19);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hours <= 23 && minutes <= 59 && seconds <= 60)) return undefined;
  let ms = 0;
  if (n > 20) {
    const fracFrom = from + 20;
    const fracTo = to - 1;
    const frac = digits(b, fracFrom, fracTo);
    if (b[from + 19] !== 0x2e /* . */ || Number.isNaN(frac)) return undefined;
    // Up to three digits are exact; more are rounded as the SDK rounds them (0.fraction × 1000).
    const places = fracTo - fracFrom;
    ms = places <= 3 ? frac * 10 ** (3 - places) : Math.round(parseFloat(`0.${String.fromCharCode(...b.subarray(fracFrom, fracTo))}`) * 1000);
  }
  const date = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds, ms));
  date.setUTCFullYear(year); // Date.UTC reads years 0–99 as 1900–1999
  return date;
}

/** Elements read (or knowingly skipped), as bytes to compare with. */
const NAMES = [
  'Contents',
  'IsTruncated',
  'NextContinuationToken',
  'Key',
  'LastModified',
  'ETag',
  'Size',
  'StorageClass',
  'ChecksumAlgorithm',
  'ChecksumType',
  'Owner',
  'RestoreStatus',
  'CommonPrefixes',
] as const;
type Name = (typeof NAMES)[number];
const NAME_BYTES = NAMES.map((n) => Buffer.from(n, 'latin1'));
/** Elements that hold other elements: they end at their closing tag (none nests one of its own name). */
const HOLDERS = new Map<Name, Buffer>((['Contents', 'Owner', 'RestoreStatus', 'CommonPrefixes'] as const).map((n) => [n, Buffer.from(`</${n}>`, 'latin1')]));

function bytesAt(b: Uint8Array, p: number, bytes: Uint8Array): boolean {
  if (p + bytes.length > b.length) return false;
  for (let i = 0; i < bytes.length; i++) if (b[p + i] !== bytes[i]) return false;
  return true;
}

/** The index in NAMES of the element name in `b` from `p` to `gt`, or -1. */
function knownName(b: Uint8Array, p: number, gt: number): number {
  for (let i = 0; i < NAME_BYTES.length; i++) {
    const bytes = NAME_BYTES[i] as Buffer;
    if (bytes.length === gt - p && bytesAt(b, p, bytes)) return i;
  }
  return -1;
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** One child element: its name (undefined for one not in NAMES), where its content is, where it ends. */
interface Child {
  name: Name | undefined;
  from: number;
  to: number;
  after: number;
}

/**
 * The child element of one element that starts at or after `p` (skipping whitespace), up to
 * `end` (where the element's closing tag starts), written into `out`: true, or false at the
 * end (`out.after` is then `end`) or at markup this reader does not expect (`out.after` is
 * -1): attributes, self-closing tags, comments, text between elements (whitespace only with a
 * line break, as the SDK leaves out), an element not in
 * NAMES when `unknown` is false, another element holding others.
 *
 * `<` never occurs in XML text (it is written `&lt;`), so a text element ends at the next `<`,
 * which must be its own closing tag; an element that holds others (HOLDERS) ends at its
 * closing tag.
 */
function nextChild(b: Buffer, p: number, end: number, unknown: boolean, out: Child): boolean {
  out.after = -1;
  const from = p;
  let lineBreak = false;
  for (; p < end && (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x09); p++) lineBreak ||= b[p] === 0x0a;
  // Whitespace without a line break between elements is text to the SDK, which then reads the element as text and drops its fields.
  if (p > from && !lineBreak) return false;
  if (p >= end) {
    out.after = end;
    return false;
  }
  if (b[p] !== LT) return false;
  let gt = p + 1;
  while (gt < end && isLetter(b[gt] as number)) gt++;
  if (gt === p + 1 || gt >= end || b[gt] !== GT) return false;
  const index = knownName(b, p + 1, gt);
  const name = index < 0 ? undefined : NAMES[index];
  if (name === undefined && !unknown) return false;
  let close = gt + 1;
  while (close < end && b[close] !== LT) close++;
  if (close >= end) return false;
  if (b[close + 1] === SLASH) {
    // The text ends at this element's own closing tag, or the body is not one read here.
    const len = gt - p - 1;
    for (let i = 0; i < len; i++) if (b[close + 2 + i] !== b[p + 1 + i]) return false;
    if (b[close + 2 + len] !== GT) return false;
    out.after = close + 3 + len;
  } else {
    const closeTag = name && HOLDERS.get(name);
    if (!closeTag) return false;
    close = b.indexOf(closeTag, gt);
    if (close < 0 || close >= end) return false;
    out.after = close + closeTag.length;
  }
  out.name = name;
  out.from = gt + 1;
  out.to = close;
  return true;
}

/** An element's text as the SDK reads it (whitespace with a line break reads as empty). */
function textOf(b: Buffer, c: Child): string {
  const raw = b.toString('utf8', c.from, c.to);
  return raw.trim() === '' && raw.includes('\n') ? '' : decode(raw);
}

const ROOT = /^\s*(?:<\?xml[^>]*\?>\s*)?<ListBucketResult(?:\s+xmlns="[^"]*")?\s*>/;
const ROOT_END = '</ListBucketResult>';

/** The page, or undefined when the body is not a plain ListBucketResult this reader can vouch for. */
export function parseListObjectsV2(body: Uint8Array): ListedPage | undefined {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Carriage returns are normalised by XML before anything is read, CDATA is text: both are left to the SDK.
  if (b.includes(0x0d) || b.includes('<![CDATA[')) return undefined;
  // The prologue (XML declaration) and root tag: the first few hundred bytes.
  const root = ROOT.exec(b.toString('latin1', 0, Math.min(b.length, 512)));
  const end = b.lastIndexOf(ROOT_END);
  if (!root || end < root[0].length || b.toString('latin1', end + ROOT_END.length).trim() !== '') return undefined;

  const page: ListedPage = { objects: [], isTruncated: false, nextContinuationToken: undefined };
  const c: Child = { name: undefined, from: 0, to: 0, after: root[0].length };
  const inner: Child = { name: undefined, from: 0, to: 0, after: 0 };
  while (nextChild(b, c.after, end, true, c)) {
    switch (c.name) {
      case 'Contents': {
        const o = readContents(b, c, inner);
        if (!o) return undefined;
        page.objects.push(o);
        break;
      }
      case 'IsTruncated': {
        const v = textOf(b, c);
        if (v !== 'true' && v !== 'false') return undefined;
        page.isTruncated = v === 'true';
        break;
      }
      case 'NextContinuationToken':
        page.nextContinuationToken = textOf(b, c);
        break;
      case undefined: // Name, Prefix, KeyCount, MaxKeys, ContinuationToken…: not read
      case 'CommonPrefixes':
        break;
      default:
        return undefined; // an object's field outside an object
    }
  }
  return c.after === end ? page : undefined;
}

/** One <Contents> element; `c` is reused for its children. */
function readContents(b: Buffer, parent: Child, c: Child): ListedObject | undefined {
  // The fields S3 always sends, in one shape; the checksum fields only when listed.
  const o: ListedObject = { Key: undefined, LastModified: undefined, ETag: undefined, Size: undefined, StorageClass: undefined };
  c.after = parent.from;
  while (nextChild(b, c.after, parent.to, false, c)) {
    switch (c.name) {
      case 'Key':
        o.Key = textOf(b, c);
        break;
      case 'LastModified':
        o.LastModified = utcTimestampAt(b, c.from, c.to);
        if (!o.LastModified) return undefined;
        break;
      case 'ETag':
        o.ETag = textOf(b, c);
        break;
      case 'Size':
        o.Size = c.to - c.from <= 15 ? digits(b, c.from, c.to) : NaN;
        if (Number.isNaN(o.Size)) return undefined;
        break;
      case 'StorageClass':
        o.StorageClass = textOf(b, c) as ListedObject['StorageClass'];
        break;
      case 'ChecksumType':
        o.ChecksumType = textOf(b, c) as ListedObject['ChecksumType'];
        break;
      case 'ChecksumAlgorithm': // a flattened list: one element per algorithm
        (o.ChecksumAlgorithm ??= []).push(textOf(b, c) as NonNullable<ListedObject['ChecksumAlgorithm']>[number]);
        break;
      case 'Owner':
      case 'RestoreStatus':
        break; // not read
      default:
        return undefined; // a field this reader does not know, or one out of place: the SDK reads the page
    }
  }
  return c.after === parent.to && o.Key !== undefined ? o : undefined;
}
