/**
 * A small, strict XML 1.0 parser for the tests (Node has none built in): enough to prove
 * that a JUnit report is well-formed and to walk it. It rejects what real parsers reject
 * in reports: a raw `<` or `&` in text or attributes, unknown entities, mismatched or
 * unclosed tags, duplicate attributes, characters XML cannot carry, more than one root,
 * text outside the root. No DTDs, no namespaces processing, no CDATA (the writer never
 * emits them). To switch to a library (e.g. fast-xml-parser's XMLValidator + XMLParser),
 * replace parseXml and keep the XmlElement shape.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element, entities decoded. */
  text: string;
}

export class XmlError extends Error {}

const NAME = /[A-Za-z_:][A-Za-z0-9_.:-]*/y;
const INVALID_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function decode(raw: string, at: number): string {
  if (raw.includes('<')) throw new XmlError(`raw "<" at offset ${at}`);
  return raw.replace(/&([^;&\s]*);?/g, (m, ent: string) => {
    if (!m.endsWith(';')) throw new XmlError(`bare "&" at offset ${at}`);
    switch (ent) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const num = /^#x([0-9a-fA-F]+)$/.exec(ent) ?? /^#([0-9]+)$/.exec(ent);
        if (!num) throw new XmlError(`unknown entity &${ent}; at offset ${at}`);
        const cp = parseInt(num[1] as string, ent.startsWith('#x') ? 16 : 10);
        const ch = String.fromCodePoint(cp);
        if (INVALID_CHAR.test(ch)) throw new XmlError(`character reference &${ent}; is not allowed in XML`);
        return ch;
      }
    }
  });
}

export function parseXml(text: string): XmlElement {
  if (INVALID_CHAR.test(text)) throw new XmlError('the document contains a character XML 1.0 does not allow');
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /[ \t\r\n]/.test(text[i] as string)) i++;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (!m) throw new XmlError(`expected a name at offset ${i}`);
    i += m[0].length;
    return m[0];
  };
  const expect = (s: string): void => {
    if (!text.startsWith(s, i)) throw new XmlError(`expected "${s}" at offset ${i}, found "${text.slice(i, i + 20)}"`);
    i += s.length;
  };
  const skipMisc = (): void => {
    for (;;) {
      ws();
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) throw new XmlError('unclosed comment');
        if (text.slice(i + 4, end).includes('--')) throw new XmlError('"--" inside a comment');
        i = end + 3;
      } else if (text.startsWith('<?', i) && !text.startsWith('<?xml ', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) throw new XmlError('unclosed processing instruction');
        i = end + 2;
      } else return;
    }
  };

  const element = (): XmlElement => {
    expect('<');
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      ws();
      if (text.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (i === before) throw new XmlError(`expected whitespace before an attribute at offset ${i}`);
      const attr = name();
      ws();
      expect('=');
      ws();
      const q = text[i];
      if (q !== '"' && q !== "'") throw new XmlError(`attribute ${attr} is not quoted at offset ${i}`);
      const end = text.indexOf(q, i + 1);
      if (end < 0) throw new XmlError(`unterminated attribute ${attr}`);
      if (attr in el.attrs) throw new XmlError(`duplicate attribute ${attr} on <${el.name}>`);
      el.attrs[attr] = decode(text.slice(i + 1, end), i);
      i = end + 1;
    }
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt < 0) throw new XmlError(`<${el.name}> is never closed`);
      const raw = text.slice(i, lt);
      if (raw.includes(']]>')) throw new XmlError('"]]>" in text');
      el.text += decode(raw, i);
      i = lt;
      if (text.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== el.name) throw new XmlError(`</${closing}> closes <${el.name}>`);
        ws();
        expect('>');
        return el;
      }
      if (text.startsWith('<!--', i)) {
        skipMisc();
        continue;
      }
      if (text.startsWith('<![CDATA[', i) || text.startsWith('<!', i)) throw new XmlError('CDATA and declarations are not expected in reports');
      el.children.push(element());
    }
  };

  if (text.startsWith('\uFEFF')) i = 1;
  if (text.startsWith('<?xml', i)) {
    const end = text.indexOf('?>', i);
    if (end < 0) throw new XmlError('unclosed XML declaration');
    const decl = text.slice(i, end + 2);
    if (!/^<\?xml\s+version="1\.[0-9]"(\s+encoding="[A-Za-z][A-Za-z0-9._-]*")?(\s+standalone="(yes|no)")?\s*\?>$/.test(decl)) throw new XmlError(`bad XML declaration ${decl}`);
    i = end + 2;
  }
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== text.length) throw new XmlError(`content after the root element at offset ${i}`);
  return root;
}

/** Every descendant element with this name, depth first. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.name === name) out.push(c);
    out.push(...findAll(c, name));
  }
  return out;
}
