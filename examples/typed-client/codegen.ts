import { fileURLToPath } from 'node:url';
import type { CodegenConfig } from '@graphql-codegen/cli';

/** Paths from this file, so that the config works from any directory (`npm run examples:codegen`, the test). */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * A client typed by GraphQL Code Generator's client preset: the gateway's printed schema
 * (docs/schema.graphql, `npm run schema:print`) and this example's operations give ./gql/,
 * one TypedDocumentNode per operation with its result and variables types.
 */
const config: CodegenConfig = {
  schema: here('../../docs/schema.graphql'),
  documents: here('./operations/*.graphql'),
  // ESM with Node's resolution: generated imports end in `.js`.
  importExtension: '.js',
  generates: {
    [here('./gql/')]: {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // DateTime travels as an ISO 8601 string; IDs are opaque strings.
        scalars: { DateTime: 'string', ID: 'string' },
        strictScalars: true,
      },
    },
  },
};

export default config;
