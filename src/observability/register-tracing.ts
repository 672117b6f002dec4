/**
 * Preloaded with `node --import ./dist/src/observability/register-tracing.js dist/src/main.js`
 * (what `npm start` runs). With an OTLP endpoint configured it starts the OpenTelemetry SDK before
 * the gateway's first import, so that `node:http`, `graphql` and `pg` are patched as they load;
 * without one it does nothing else than read two environment variables.
 *
 * `graphql`'s files and `pg-pool` are CommonJS and reached through `require` (require-in-the-middle);
 * `pg` and `node:http` are imported from ESM, which only the loader hook of import-in-the-middle
 * sees. It is limited to those modules: every other import loads as usual.
 */
import { register } from 'node:module';
import { startTracing, tracingConfig } from './tracing.js';

const config = tracingConfig();
if (config) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ['pg', 'pg-pool', 'graphql', 'http', 'node:http', 'https', 'node:https'] },
  });
  await startTracing(config);
}
