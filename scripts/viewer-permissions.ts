/** Writes schema/viewer-permissions.graphql from the abilities table (run by `npm run codegen`, before graphql-codegen). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderViewerPermissionsSdl } from '../src/access/viewer-permissions-sdl.js';
import { projectRoot } from '../src/project-root.js';

const file = join(projectRoot(), 'schema', 'viewer-permissions.graphql');
writeFileSync(file, renderViewerPermissionsSdl());
console.log(`wrote ${file}`);
