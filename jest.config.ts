import type { Config } from 'jest';

/**
 * Tests run as ES modules, transpiled by ts-jest without type-checking
 * (`npm run typecheck` does that, and CI runs it). One PostgreSQL server
 * serves the whole run (global setup; see test/support/database.ts).
 * `test/instances/` runs several daemons on one database, against a
 * server of the tester's: those tests exist only where TEST_DATABASE_URL is
 * set (`.ci/run` sets it), so a run does not pay for them twice.
 */
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.TEST_DATABASE_URL ? [] : ['<rootDir>/test/instances/'])],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    // isolatedModules (tsconfig) makes ts-jest transpile file by file, without type information.
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 30_000,
  maxWorkers: 2,
};

export default config;
