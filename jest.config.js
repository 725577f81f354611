// Tests are compiled by `tsc` first (npm test runs the build), so Jest runs plain ESM
// JavaScript: no transform, and worker_threads load the same compiled files.
//
// Two suites: `npm test` (every *.test.ts but the heavy ones, under 5 minutes on 2 cores) and
// `npm run test:heavy` (*.heavy.test.ts: conformance sweeps over every method, type, architecture
// or parameter combination against references and llama.cpp; jest.heavy.config.js). CI runs both.
export const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/build/test'],
  transform: {},
  testTimeout: 120000,
  maxWorkers: 2,
  // Captured CLI and Action output is scanned for tokens and URL credentials at the end.
  globalSetup: '<rootDir>/build/test/support/scan-setup.js',
  globalTeardown: '<rootDir>/build/test/support/scan-teardown.js',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
};

export default {
  ...base,
  testMatch: ['**/*.test.js'],
  testPathIgnorePatterns: ['/node_modules/', '\\.heavy\\.test\\.js$'],
};
