import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores: keep the pool small so integration tests and property tests don't starve each other.
    maxWorkers: 2,
    testTimeout: 30_000,
  },
});
