import { ABILITIES, ABILITY_NAMES, type Ability, PERMISSION_SUBJECTS, type PermissionSubject } from '../policy/index.js';

/** `rename_workspace` → `renameWorkspace`: the field of `viewerPermissions` that answers for it. */
export const permissionField = (ability: Ability) => ability.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());

/** The abilities each type's `viewerPermissions` answers for, in the abilities table's order. */
export const SUBJECT_ABILITIES = PERMISSION_SUBJECTS.reduce(
  (table, subject) => {
    table[subject] = ABILITY_NAMES.filter((ability) =>
      (ABILITIES[ability] as { subjects?: readonly string[] }).subjects?.includes(subject),
    );
    return table;
  },
  {} as Record<PermissionSubject, readonly Ability[]>,
);

/**
 * schema/viewer-permissions.graphql, from the abilities table: one `<Type>Permissions` type per
 * subject with a Boolean per ability, and `viewerPermissions` on the type. Written by
 * `npm run codegen`; a test checks that the committed file is current.
 */
export function renderViewerPermissionsSdl(): string {
  const blocks = PERMISSION_SUBJECTS.map((subject) => {
    const fields = SUBJECT_ABILITIES[subject].map(
      (ability) => `  ${JSON.stringify(`${ABILITIES[ability].description}.`)}\n  ${permissionField(ability)}: Boolean!`,
    );
    return [
      `"What the signed-in caller may do with this ${subject}: one Boolean per ability, from the policy that guards the operations."`,
      `type ${subject}Permissions @withParent {`,
      ...fields,
      '}',
      '',
      `extend type ${subject} {`,
      `  "What the signed-in caller may do with it (a console shows only the buttons that will work)."`,
      `  viewerPermissions: ${subject}Permissions! @withParent`,
      '}',
    ].join('\n');
  });
  return `# Generated from src/policy/abilities.ts by \`npm run codegen\` (scripts/viewer-permissions.ts): do not edit.\n\n${blocks.join('\n\n')}\n`;
}
