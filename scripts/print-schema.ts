/**
 * Writes docs/schema.graphql: the whole SDL as served (`npm run schema:print`, also run by
 * `npm run codegen`), for front ends' and partners' tools (GraphQL Code Generator, IDEs).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printGatewaySchema } from '../src/http/schema-route.js';
import { projectRoot } from '../src/project-root.js';

const file = join(projectRoot(), 'docs', 'schema.graphql');
writeFileSync(file, printGatewaySchema());
console.log(`wrote ${file}`);
