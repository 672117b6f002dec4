import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderViewerPermissionsSdl, SUBJECT_ABILITIES } from '../../src/access/viewer-permissions-sdl.js';
import { ABILITIES, ABILITY_NAMES } from '../../src/policy/index.js';
import { projectRoot } from '../../src/project-root.js';

describe('schema/viewer-permissions.graphql', () => {
  it('is generated from the abilities table (npm run codegen refreshes it)', () => {
    const committed = readFileSync(join(projectRoot(), 'schema', 'viewer-permissions.graphql'), 'utf8');
    expect(committed, 'run npm run codegen and commit schema/viewer-permissions.graphql').toBe(renderViewerPermissionsSdl());
  });

  it('answers for every ability decided on an object, and only those', () => {
    const answered = new Set(Object.values(SUBJECT_ABILITIES).flat());
    const onObjects = ABILITY_NAMES.filter((ability) => 'subjects' in ABILITIES[ability]);
    expect(new Set(answered)).toEqual(new Set(onObjects));
  });
});
