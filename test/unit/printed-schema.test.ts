import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildClientSchema, buildSchema as buildFromSdl, introspectionFromSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printGatewaySchema } from '../../src/http/schema-route.js';
import { projectRoot } from '../../src/project-root.js';
import { buildBareSchema, buildSchema } from '../../src/schema.js';

/** docs/schema.graphql: the SDL front ends and partners generate clients from (`npm run schema:print`). */
const committed = readFileSync(join(projectRoot(), 'docs', 'schema.graphql'), 'utf8');

describe('docs/schema.graphql', () => {
  // That it is the current print, with a report of breaking changes: test/unit/schema-discipline.test.ts.
  it('is valid SDL on its own, for client tools', () => {
    const parsed = buildFromSdl(committed);
    expect(parsed.getQueryType()?.name).toBe('Query');
    expect(parsed.getMutationType()?.name).toBe('Mutation');
  });

  it('says what introspection of the served schema says, descriptions with their authorization notes included', () => {
    const served = buildSchema();
    const introspected = printSchema(buildClientSchema(introspectionFromSchema(served)));
    expect(printSchema(buildFromSdl(committed))).toBe(introspected);
    expect(printGatewaySchema(served)).toBe(committed);
  });

  it('carries who may use each guarded field', () => {
    const createWorkspace = buildFromSdl(committed).getMutationType()?.getFields().createWorkspace;
    expect(createWorkspace?.description).toMatch(/\n\nAuthorization: /);
    expect(buildBareSchema().schema.getMutationType()?.getFields().createWorkspace?.description).toBe(createWorkspace?.description);
  });
});
