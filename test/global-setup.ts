/**
 * One moto_server for the whole suite, on a free loopback port, stopped afterwards even
 * when tests fail. Tests isolate themselves by unique bucket names and hosted zones.
 */
import type { TestProject } from 'vitest/node';
import { awsEnvFor, startMoto, type Moto } from './helpers/moto.js';

let moto: Moto | undefined;

export async function setup(project: TestProject): Promise<void> {
  moto = await startMoto();
  Object.assign(process.env, awsEnvFor(moto.endpoint));
  project.provide('motoEndpoint', moto.endpoint);
}

export async function teardown(): Promise<void> {
  await moto?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}
