// The suite, the demo and the benchmarks start moto the same way.
export { awsEnvFor, freePort, MOTO_MISSING_HINT, startMoto, type Moto } from '../../src/demo/moto.js';
