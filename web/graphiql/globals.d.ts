/** Stylesheets are bundled by esbuild. */
declare module '*.css';

/** The web workers' URLs, set by scripts/build-graphiql.mjs (esbuild `define`). */
declare const __GRAPHIQL_WORKERS__: { editor: string; json: string; graphql: string };
