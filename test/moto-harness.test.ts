import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { expect, test } from 'vitest';
import { motoEndpoint, testS3 } from './helpers/aws.js';

test('the suite talks to a moto server on a loopback address, never to AWS', async () => {
  expect(motoEndpoint()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(process.env.AWS_ENDPOINT_URL).toBe(motoEndpoint());
  const res = await testS3().send(new ListBucketsCommand({}));
  expect(Array.isArray(res.Buckets ?? [])).toBe(true);
});
