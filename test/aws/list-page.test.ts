/**
 * src/aws/list-page.ts: ListObjectsV2 pages read from their bytes. The same bytes are read by
 * it and by the SDK (on moto, and offline on generated bodies) and must give the same objects
 * wherever it vouches for a body; listObjectPages must use it (and fall back to the SDK for a
 * body it does not vouch for).
 */
import { ListObjectsV2Command, S3Client, type _Object } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseListObjectsV2, utcTimestampAt, type ListedObject } from '../../src/aws/list-page.js';
import { listObjectPages } from '../../src/aws/s3.js';
import { createBucket, put, rawS3, s3 } from '../helpers/s3-seed.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

const FIELDS = ['Key', 'LastModified', 'ETag', 'Size', 'StorageClass', 'ChecksumAlgorithm', 'ChecksumType'] as const;
/** The fields lifeboat reads, as plain values (absent and undefined alike). */
function fields(o: _Object | ListedObject): Record<string, unknown> {
  return Object.fromEntries(FIELDS.map((f) => [f, o[f] instanceof Date ? o[f].toISOString() : o[f]]));
}

const PAGE = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>p/a &amp; b &lt;c&gt; &quot;d&quot; &#x41;&#66; é</Key><LastModified>2024-05-01T10:00:00.1235Z</LastModified><ETag>&quot;0123&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumAlgorithm>SHA256</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>9007199254740</Size><Owner><ID>x</ID><DisplayName>y</DisplayName></Owner><StorageClass>GLACIER</StorageClass><RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress></RestoreStatus></Contents>
  <Contents><Key>p/ z </Key><LastModified>0099-12-31T23:59:59Z</LastModified><Size>0</Size></Contents><NextContinuationToken>tok/en==</NextContinuationToken></ListBucketResult>`;

describe('parseListObjectsV2', () => {
  test('reads keys (entities decoded, spaces kept), times, sizes, checksums; skips what it does not read', () => {
    const page = parseListObjectsV2(bytes(PAGE));
    expect(page?.isTruncated).toBe(true);
    expect(page?.nextContinuationToken).toBe('tok/en==');
    expect(page?.objects.map(fields)).toEqual([
      {
        Key: 'p/a & b <c> "d" AB é',
        LastModified: '2024-05-01T10:00:00.124Z', // 0.1235 s rounded to the millisecond, as the SDK does
        ETag: '"0123"',
        Size: 9007199254740,
        StorageClass: 'GLACIER',
        ChecksumAlgorithm: ['CRC32', 'SHA256'],
        ChecksumType: 'FULL_OBJECT',
      },
      { Key: 'p/ z ', LastModified: '0099-12-31T23:59:59.000Z', ETag: undefined, Size: 0, StorageClass: undefined, ChecksumAlgorithm: undefined, ChecksumType: undefined },
    ]);
  });

  test('an empty last page', () => {
    const page = parseListObjectsV2(bytes('<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>\n'));
    expect(page).toEqual({ objects: [], isTruncated: false, nextContinuationToken: undefined });
  });

  test.each([
    ['another root', '<Error><Code>NoSuchBucket</Code></Error>'],
    ['CDATA', PAGE.replace('<Key>p/ z </Key>', '<Key><![CDATA[p/z]]></Key>')],
    ['a carriage return', PAGE.replace('\n', '\r\n')],
    ['an attribute', PAGE.replace('<Size>0</Size>', '<Size a="1">0</Size>')],
    ['a self-closing field', PAGE.replace('<Size>0</Size>', '<Size/>')],
    ['a comment', PAGE.replace('<Size>0</Size>', '<Size>0</Size><!-- x -->')],
    ['a field it does not know', PAGE.replace('<Size>0</Size>', '<Size>0</Size><Tags>x</Tags>')],
    ['a timestamp with an offset', PAGE.replace('0099-12-31T23:59:59Z', '2024-05-01T10:00:00+02:00')],
    ['a month out of range', PAGE.replace('0099-12-31T23:59:59Z', '2024-13-01T10:00:00Z')],
    ['a size that is not a whole number', PAGE.replace('<Size>0</Size>', '<Size>1.5</Size>')],
    ['mismatched tags', PAGE.replace('<Size>0</Size>', '<Size>0</Sizes>')],
    ['an object without a key', PAGE.replace('<Key>p/ z </Key>', '')],
    ['IsTruncated not a boolean', PAGE.replace('<IsTruncated>true', '<IsTruncated>yes')],
    ['a truncated body', PAGE.slice(0, PAGE.length - 30)],
    ['a stray close tag', PAGE.replace('<Key>p/ z </Key>', '<Key>p/ z </Kex></Key>')],
    ['a doctype', PAGE.replace('<ListBucketResult', '<!DOCTYPE x><ListBucketResult')],
    ['a byte order mark', `\uFEFF${PAGE}`],
    ['an element inside a field', PAGE.replace('<Key>p/ z </Key>', '<Key>p/<b>z</b></Key>')],
    ['text between fields', PAGE.replace('<Size>0</Size>', '<Size>0</Size>x')],
    ['a space between fields (the SDK then reads the object as text and drops its fields)', PAGE.replace('<Size>0</Size>', ' <Size>0</Size>')],
  ])('leaves a body with %s to the SDK', (_why, xml) => {
    expect(parseListObjectsV2(bytes(xml))).toBeUndefined();
  });

  test('timestamps', () => {
    const at = (s: string): string | undefined => utcTimestampAt(bytes(s), 0, s.length)?.toISOString();
    expect(at('2024-02-29T23:59:59.5Z')).toBe('2024-02-29T23:59:59.500Z');
    expect(at('2024-02-29t23:59:59.000z')).toBe('2024-02-29T23:59:59.000Z');
    expect(at('2024-02-29T23:59:59.9996Z')).toBe('2024-03-01T00:00:00.000Z');
    expect(at('2024-02-29T23:59:59.Z')).toBeUndefined();
    expect(at('2024-02-29 23:59:59Z')).toBeUndefined();
  });
});

/** What the SDK's own deserializer makes of a ListObjectsV2 response with this body (no network: the request handler answers). */
let answer: Uint8Array = new Uint8Array();
const offline = new S3Client({
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
  requestHandler: { handle: () => Promise.resolve({ response: { statusCode: 200, headers: {}, body: answer } }) },
});
async function sdkReads(xml: string): Promise<{ objects: Record<string, unknown>[]; isTruncated: boolean | undefined; token: string | undefined } | undefined> {
  answer = bytes(xml);
  try {
    const out = await offline.send(new ListObjectsV2Command({ Bucket: 'b' }));
    return { objects: (out.Contents ?? []).map(fields), isTruncated: out.IsTruncated, token: out.NextContinuationToken };
  } catch {
    return undefined; // the SDK refuses the body
  }
}

describe('against the SDK, offline', () => {
  // Text pieces where the two XML readers could part: entities, whitespace, markup inside text.
  const piece = fc.constantFrom('a', 'é', 'ключ', ' ', '\n', '\t', '\r\n', '&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&#65;', '&#x41;', '&#xe9;', '&#x1F600;', '&#128;', '&#0;', '&#65', '&nbsp;', '&', '>', '/>', ']]>', '<!--c-->', '<![CDATA[x<y]]>', '</Kex>', '<?pi x?>');
  const text = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''));
  const contents = fc.record({ key: text, size: fc.constantFrom('0', '16', ' 16', '1.5', ''), time: fc.constantFrom('2024-05-01T10:00:00.000Z', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00.1235Z', '2024-05-01T10:00:00+02:00'), etag: text });
  const body = fc.record({
    decl: fc.constantFrom('', '<?xml version="1.0" encoding="UTF-8"?>\n', ' \n'),
    objects: fc.array(contents, { maxLength: 3 }),
    gap: fc.constantFrom('', '\n  ', ' ', 'x'),
    truncated: fc.constantFrom('true', 'false', ''),
    token: text,
  });
  const xml = (b: { decl: string; objects: { key: string; size: string; time: string; etag: string }[]; gap: string; truncated: string; token: string }): string =>
    `${b.decl}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>${b.truncated}</IsTruncated>` +
    b.objects.map((o) => `<Contents><Key>${o.key}</Key><LastModified>${o.time}</LastModified>${b.gap}<ETag>${o.etag}</ETag><Size>${o.size}</Size></Contents>`).join(b.gap) +
    `<NextContinuationToken>${b.token}</NextContinuationToken></ListBucketResult>`;

  test('every body read here gives what the SDK gives', async () => {
    let vouched = 0;
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const x = xml(b);
        const page = parseListObjectsV2(bytes(x));
        if (!page) return;
        vouched++;
        const sdk = await sdkReads(x);
        expect(sdk, x).toBeDefined();
        expect({ objects: page.objects.map(fields), isTruncated: page.isTruncated, token: page.nextContinuationToken }, x).toEqual(sdk);
      }),
      { numRuns: 400 },
    );
    expect(vouched).toBeGreaterThan(10); // the property was tested on bodies read here, not only on refused ones
  });

  test('the SDK reads the PAGE above as it is read here', async () => {
    const page = parseListObjectsV2(bytes(PAGE));
    expect(await sdkReads(PAGE)).toEqual({ objects: page?.objects.map(fields), isTruncated: page?.isTruncated, token: page?.nextContinuationToken });
  });
});

describe('on moto', () => {
  test('the same response bytes read by the SDK and here give the same objects', async () => {
    const bucket = await createBucket('lp');
    const keys = ['b/plain.dump', 'b/sp ace & <amp>.dump', 'b/"quoted\'.dump', 'b/ünï©ødé/ключ.dump', 'b/tab\there', 'b/trailing '];
    for (const [i, key] of keys.entries()) await put(bucket, key, 'x'.repeat(i * 7), i % 2 ? 'sha256' : 'none');
    // One client, two readers: the raw bytes are kept below the SDK's deserializer.
    const raw: Uint8Array[] = [];
    const client = rawS3();
    const command = new ListObjectsV2Command({ Bucket: bucket, Prefix: 'b/' });
    command.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const response = result.response as { body: AsyncIterable<Uint8Array> | Uint8Array };
        const chunks: Uint8Array[] = [];
        for await (const c of response.body as AsyncIterable<Uint8Array>) chunks.push(c);
        response.body = Buffer.concat(chunks);
        raw.push(response.body);
        return result;
      },
      { step: 'deserialize', priority: 'low', name: 'testKeepBody' },
    );
    const sdk = await client.send(command);
    const page = parseListObjectsV2(raw[0] as Uint8Array);
    expect(page).toBeDefined();
    expect(sdk.Contents?.length).toBe(keys.length);
    expect(page?.objects.map(fields)).toEqual(sdk.Contents?.map(fields));
    expect(page?.isTruncated).toBe(sdk.IsTruncated);
    expect(page?.objects.some((o) => o.ChecksumAlgorithm?.includes('SHA256'))).toBe(true);
  });

  test('listObjectPages: pages in key order, the continuation token followed, one ListObjectsV2 a page, read here and not by the SDK', async () => {
    const bucket = await createBucket('lp-pages');
    const keys = Array.from({ length: 7 }, (_, i) => `p/${String(i).padStart(2, '0')}&.dump`);
    for (const key of keys) await put(bucket, key, key);
    await put(bucket, 'q/outside', 'x');
    const client = s3();
    const sent: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: `testCount${Math.random()}` },
    );
    // What the SDK's own deserializer read: nothing, when the page was read here.
    const sdkRead: number[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        sdkRead.push((result.output as { Contents?: unknown[] }).Contents?.length ?? 0);
        return result;
      },
      { step: 'deserialize', priority: 'high', name: `testSdkRead${Math.random()}` },
    );
    const pages: string[][] = [];
    for await (const page of listObjectPages(client, bucket, 'p/', { pageSize: 3 })) pages.push(page.map((o) => `${o.Key as string}:${o.Size}`));
    expect(pages).toEqual([keys.slice(0, 3), keys.slice(3, 6), keys.slice(6)].map((ks) => ks.map((k) => `${k}:${k.length}`)));
    expect(sent.filter((n) => n === 'ListObjectsV2Command')).toHaveLength(3);
    expect(sdkRead).toEqual([0, 0, 0]);
  });
});
