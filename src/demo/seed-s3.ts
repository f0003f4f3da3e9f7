/**
 * The demo's backups: a versioned bucket with "nightly" dumps, the same keys written
 * several times a few seconds apart, so `asOf` visibly picks an older version; a versioned
 * data bucket in the standby region, and an empty scratch bucket for restore drills.
 */
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

export const DEMO_BUCKETS = { backups: 'acme-backups', data: 'acme-usw2-data', scratch: 'acme-restore-scratch' } as const;

export interface DemoBackups {
  buckets: { backups: string; data: string; scratch: string };
  /** A time between the second and the third nightly: `asOf` this restores night 2. */
  betweenNights: string;
}

function client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' } });
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    return true;
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seed once per server (existing buckets are left as they are). */
export async function seedDemoBackups(endpoint: string, buckets: DemoBackups['buckets'] = DEMO_BUCKETS): Promise<DemoBackups> {
  const s3 = client(endpoint);
  try {
    const fresh = await ensureBucket(s3, buckets.backups);
    await ensureBucket(s3, buckets.data);
    await ensureBucket(s3, buckets.scratch);
    let betweenNights = new Date().toISOString();
    if (fresh) {
      const put = (key: string, body: string) =>
        s3.send(new PutObjectCommand({ Bucket: buckets.backups, Key: key, Body: body, ChecksumAlgorithm: 'SHA256' }));
      // S3 (and moto) keep LastModified to the second: nights are written > 1 s apart.
      for (const night of [1, 2, 3]) {
        await Promise.all([
          put('db/orders.dump', `orders dump, night ${night}\n${'o'.repeat(2048 * night)}\n`),
          put('db/users.dump', `users dump, night ${night}\n${'u'.repeat(1024 * night)}\n`),
          put('db/manifest.txt', `night ${night}: orders.dump users.dump\n`),
        ]);
        if (night === 2) {
          await pause(1100);
          betweenNights = new Date().toISOString();
        }
        await pause(1100);
      }
      // The standby already holds an older copy of one key: a restore overwrites it, rollback puts it back.
      await s3.send(new PutObjectCommand({ Bucket: buckets.data, Key: 'db/users.dump', Body: 'stale standby copy\n' }));
    }
    return { buckets, betweenNights };
  } finally {
    s3.destroy();
  }
}
