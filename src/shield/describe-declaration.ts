import { ABILITY_CHOICES } from '../policy/index.js';
import type { Declaration, ResourceSpec } from './declarations.js';

const SOURCE_TEXT = { PARENT: 'the parent object', ACCOUNT: "the caller's account", SELF: 'the caller' } as const;

/** Where the resource comes from, in words: "the RamUser at `id`", "the parent object". */
export function describeResource(resource: ResourceSpec): string {
  if (resource.source !== 'ARGUMENT') return SOURCE_TEXT[resource.source];
  const named = `the ${resource.types?.join(' or ') ?? 'object'} at \`${resource.argument.join('.')}\``;
  return resource.otherwise ? `${named} (else ${SOURCE_TEXT[resource.otherwise]})` : named;
}

/** Who may read or call a field, in one sentence (GraphiQL's docs and docs/authorization-map.md). */
export function describeDeclaration(declaration: Declaration): string {
  switch (declaration.kind) {
    case 'public':
      return 'Open to anyone, signed in or not.';
    case 'authenticated':
      return declaration.via === 'API_KEY' ? 'API-key requests only.' : 'Any signed-in, enabled principal.';
    case 'withParent':
      return 'Whoever may see the parent object.';
    case 'can':
      return `Requires \`${declaration.ability}\` on ${describeResource(declaration.resource)}.`;
    case 'canChosen':
      return `Requires ${ABILITY_CHOICES[declaration.choice].description}, on ${describeResource(declaration.resource)}.`;
  }
}
