import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { GraphQLScalarType, Kind, type GraphQLSchema } from 'graphql';
import { accessResolvers } from './access/access.resolvers.js';
import { accessKeyResolvers } from './access-keys/access-keys.resolvers.js';
import { apiKeyResolvers } from './api-keys/api-keys.resolvers.js';
import { auditResolvers } from './audit/audit.resolvers.js';
import { columnFieldResolver } from './column-fields.js';
import { federationAdditions, type FederationOptions } from './federation.js';
import type { Resolvers } from './generated/graphql.generated.js';
import { identityResolvers } from './identity/identity.resolvers.js';
import { knowledgeBaseResolvers } from './knowledge-bases/knowledge-bases.resolvers.js';
import { modelResolvers } from './models/models.resolvers.js';
import { nodeResolvers } from './node.resolvers.js';
import { projectRoot } from './project-root.js';
import type { Declaration } from './shield/declarations.js';
import { describeDeclaration } from './shield/describe-declaration.js';
import { applyPermissions, declarationsOf } from './shield/permissions.js';
import { usageResolvers } from './usage/usage.resolvers.js';
import { viewerPermissionResolvers } from './access/viewer-permissions.js';
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
  accessKeyResolvers,
  knowledgeBaseResolvers,
  auditResolvers,
  usageResolvers,
  viewerPermissionResolvers,
  accessResolvers,
];

/**
 * Each guarded field's description ends with who may read or call it, so that GraphiQL's docs
 * and the printed schema say it too (fields open with their parent are left as they are). A
 * camelCase field without a resolver reads its snake_case column.
 */
function withAuthorizationNotes(schema: GraphQLSchema, declarations: Map<string, Declaration>): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const declaration = declarations.get(`${typeName}.${fieldName}`);
      const resolve = field.resolve ?? columnFieldResolver(fieldName);
      if (!declaration || declaration.kind === 'withParent') return { ...field, resolve };
      return {
        ...field,
        resolve,
        description: `${field.description ?? ''}\n\nAuthorization: ${describeDeclaration(declaration)}`.trim(),
      };
    },
  });
}

export interface SchemaOptions {
  /** The benchmark's baseline: no authorization at all. */
  allowAll?: boolean;
  /** The SDL to build from (tests build altered copies); schema/*.graphql by default. */
  typeDefs?: string[];
  /** FEDERATION: an Apollo Federation 2 subgraph too (src/federation.ts); a plain schema when absent. */
  federation?: FederationOptions | undefined;
}

/**
 * The executable schema and its authorization declarations, without the rules applied (schema
 * checks, tooling). A field without a declaration, or with a mistaken one, throws here: the
 * server does not start.
 */
export function buildBareSchema(options: Pick<SchemaOptions, 'typeDefs' | 'federation'> = {}): {
  schema: GraphQLSchema;
  declarations: Map<string, Declaration>;
} {
  const typeDefs = options.typeDefs ?? loadTypeDefs();
  const federation = options.federation ? federationAdditions(typeDefs, options.federation) : null;
  const schema = federation
    ? makeExecutableSchema({ typeDefs: [...typeDefs, federation.typeDefs], resolvers: [...resolvers, federation.resolvers] })
    : makeExecutableSchema({ typeDefs, resolvers });
  const declarations = declarationsOf(schema);
  return { schema: withAuthorizationNotes(schema, declarations), declarations };
}

/** The schema as served: every field behind the graphql-shield rule its SDL declares. */
export function buildSchema(options: SchemaOptions = {}): GraphQLSchema {
  const { schema, declarations } = buildBareSchema(options);
  return options.allowAll ? schema : applyPermissions(schema, declarations);
}
