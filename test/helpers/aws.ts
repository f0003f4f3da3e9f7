/** Real SDK clients pointed at the suite's moto server, for seeding and checking the world. */
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { awsEnvFor } from './moto.js';

export function motoEndpoint(): string {
  return inject('motoEndpoint');
}

/** Environment for a lifeboat child process: the machine's, pointed at moto. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...awsEnvFor(motoEndpoint()), NO_COLOR: '1', ...extra };
}

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export function testS3(): S3Client {
  return new S3Client({ endpoint: motoEndpoint(), region: 'us-east-1', forcePathStyle: true, credentials });
}

export function testRoute53(): Route53Client {
  return new Route53Client({ endpoint: motoEndpoint(), region: 'us-east-1', credentials });
}

let counter = 0;
/** A valid, unique S3 bucket name for one test. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`.toLowerCase();
}
