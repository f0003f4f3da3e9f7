/** src/aws/s3.ts: error translation (pure). The paginated listings are tested on moto in test/steps/s3-restore.test.ts. */
import { expect, test } from 'vitest';
import { describeS3Error, s3ErrorCode, s3Failure } from '../../src/aws/s3.js';

test('errors become one line with the AWS code and a hint', async () => {
  const head404 = Object.assign(new Error('UnknownError'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  expect(s3ErrorCode(head404)).toBe('NotFound');
  const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  const d = describeS3Error(denied, { op: 'GetObject', bucket: 'b', key: 'k' });
  expect(d.message).toBe('GetObject s3://b/k failed: AccessDenied (Access Denied)');
  expect(d.hint).toContain('s3:GetObject on arn:aws:s3:::b/k');
  const slow = Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503, attempts: 8 } });
  expect(s3Failure(slow, { op: 'CopyObject', bucket: 'dst', key: 'db/a', from: 's3://src/db/a' }).message).toBe(
    'CopyObject s3://src/db/a → s3://dst/db/a failed: SlowDown after 8 attempts (Please reduce your request rate.)',
  );
  const head403 = Object.assign(new Error('UnknownError'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } });
  expect(s3ErrorCode(head403)).toBe('AccessDenied');
});
