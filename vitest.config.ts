import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores: keep the pool small so integration tests and property tests don't starve each other.
    maxWorkers: 2,
    testTimeout: 30_000,
    // "Today" for every calculation (README, "Which periods"): the tests' results must not move
    // with the real date, in process or in the CLI processes they start.
    env: { ATTAIN_TODAY: '2026-06-30' },
  },
});
