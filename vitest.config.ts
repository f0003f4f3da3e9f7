import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // The SDK warns about Node 20 on every client; the suite reads real output, keep it quiet.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: keep parallelism modest so moto and the CLI under test have room.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
