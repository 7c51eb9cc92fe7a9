import { defineConfig } from 'vitest/config';

// Three projects, run one after another (groupOrder): unit tests in parallel; integration tests,
// which start real servers on port 0, two files at a time; browser tests one file at a time,
// because they share the machine's Chromium, nginx and the fixed ports a restart needs.
export default defineConfig({
  test: {
    // Tests wait on real sockets, processes and browsers; each bounds its own waits more tightly.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'html'],
      reportsDirectory: 'coverage',
      // Measured line coverage minus 2 points: a drop below fails the run.
      thresholds: { lines: 88, statements: 86, branches: 81, functions: 87 },
    },
  },
});
