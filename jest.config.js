// Tests are compiled by `tsc` first (npm test runs the build), so Jest runs plain ESM
// JavaScript: no transform, and worker_threads load the same compiled files.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/build/test'],
  testMatch: ['**/*.test.js'],
  transform: {},
  testTimeout: 120000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
};
