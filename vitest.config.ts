import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Servers in e2e tests bind loopback ports; files run in parallel forks, which is fine.
    pool: 'forks',
  },
});
