/**
 * Preloaded with `node --import ./dist/src/observability/register-tracing.js dist/src/main.js`
 * (what `npm start` runs). With an OTLP endpoint configured it starts the OpenTelemetry SDK before
 * the gateway's first import, so that `node:http`, `graphql` and `pg` are patched as they load;
 * without one it reads one environment variable and does nothing else.
 *
 * `graphql`'s and `pg`'s inner files are CommonJS, patched as they are required
 * (require-in-the-middle). The ESM entry points the gateway imports (`pg`, `node:http`) go through
 * import-in-the-middle's loader hook, registered here for those modules only: every other import
 * loads untouched.
 */
import { register } from 'node:module';
import { startTracing, tracingConfig } from './tracing.js';

const config = tracingConfig();
if (config) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ['pg', 'pg-pool', 'graphql', 'http', 'node:http'] },
  });
  await startTracing(config);
}
