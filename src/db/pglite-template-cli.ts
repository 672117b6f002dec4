import { buildPgliteTemplate, PGLITE_TEMPLATE_DIR } from './pglite-template.js';

await buildPgliteTemplate();
console.log(`PGlite template written to ${PGLITE_TEMPLATE_DIR}`);
