/** Writes docs/authorization-map.md from the schema's declarations (run by `npm run codegen`). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/project-root.js';
import { buildBareSchema } from '../src/schema.js';
import { renderAuthorizationMap } from '../src/shield/authorization-map.js';

const file = join(projectRoot(), 'docs', 'authorization-map.md');
writeFileSync(file, renderAuthorizationMap(buildBareSchema().declarations));
console.log(`wrote ${file}`);
