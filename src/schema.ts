import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLScalarType, Kind, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { accessResolvers } from './access/access.resolvers.js';
import { apiKeyResolvers } from './api-keys/api-keys.resolvers.js';
import { auditResolvers } from './audit/audit.resolvers.js';
import type { Resolvers } from './generated/graphql.generated.js';
import { identityResolvers } from './identity/identity.resolvers.js';
import { knowledgeBaseResolvers } from './knowledge-bases/knowledge-bases.resolvers.js';
import { modelResolvers } from './models/models.resolvers.js';
import { nodeResolvers } from './node.resolvers.js';
import { projectRoot } from './project-root.js';
import { permissionsMiddleware } from './shield/permissions.js';
import { workspaceResolvers } from './workspaces/workspaces.resolvers.js';

/** The SDL, one file per domain area, in a stable order. */
export function loadTypeDefs(): string[] {
  const dir = join(projectRoot(), 'schema');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(join(dir, file), 'utf8'));
}

const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An instant in time, as an ISO 8601 string in UTC (`2026-11-28T12:00:00.000Z`).',
  serialize: (value) => (value instanceof Date ? value : new Date(String(value))).toISOString(),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime must be an ISO 8601 string');
    return date;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new TypeError('DateTime must be an ISO 8601 string');
    return new Date(ast.value);
  },
});

const resolvers: Resolvers[] = [
  { DateTime } as Resolvers,
  {
    Region: {
      CN_BEIJING: 'cn-beijing',
      AP_SOUTHEAST_1: 'ap-southeast-1',
      US_EAST_1: 'us-east-1',
      CN_HONGKONG: 'cn-hongkong',
      EU_CENTRAL_1: 'eu-central-1',
    },
  },
  nodeResolvers,
  identityResolvers,
  workspaceResolvers,
  modelResolvers,
  apiKeyResolvers,
  knowledgeBaseResolvers,
  auditResolvers,
  accessResolvers,
];

/** The executable schema without authorization (for schema checks and codegen-like tooling). */
export function buildBareSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as any });
}

/** The schema as served: every field behind its graphql-shield rule (`allowAll`: the benchmark's baseline). */
export function buildSchema(options: { allowAll?: boolean } = {}): GraphQLSchema {
  return options.allowAll ? buildBareSchema() : applyMiddleware(buildBareSchema(), permissionsMiddleware);
}
