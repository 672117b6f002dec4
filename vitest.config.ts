import { defineConfig } from 'vitest/config';

/** The whole suite runs twice: on embedded PGlite and on real PostgreSQL. */
export default defineConfig({
  // Node loads graphql's CommonJS entry for the server's dependencies; tests must share that one copy.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'pglite',
          include: ['test/**/*.test.ts'],
          env: { TEST_DATABASE: 'pglite' },
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/**/*.test.ts'],
          // The browser test (GraphiQL in Chromium) does not depend on the database: once is enough.
          exclude: ['test/unit/**', 'test/browser/**'],
          env: { TEST_DATABASE: 'postgres' },
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
    ],
  },
});
