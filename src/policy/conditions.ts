import type { Facts } from './facts.js';
import type { Page, PolicyName } from './vocabulary.js';

/** A named fact about a request. Names appear verbatim in decisions' reasons. */
export interface Condition {
  name: string;
  test: (facts: Facts) => boolean;
}

export const isRoot: Condition = { name: 'the account root', test: (f) => f.actor.kind === 'ROOT' };

export const hasPolicy = (policy: PolicyName): Condition => ({
  name: `policy ${policy}`,
  test: (f) => f.actor.policies.has(policy),
});

export const isMember: Condition = {
  name: 'member of the workspace',
  test: (f) => f.membership != null,
};

export const hasPage = (page: Page): Condition => ({
  name: `page permission ${page} in the workspace`,
  test: (f) => f.membership?.has(page) === true,
});

export const ownsResource: Condition = {
  name: 'owner of the resource',
  test: (f) => f.resourceOwnerId !== undefined && f.resourceOwnerId === f.actor.principalId,
};

export const isTrustedByRole: Condition = {
  name: 'a RAM user the role trusts',
  test: (f) => f.actor.kind === 'USER' && f.trustedByRole === true,
};

export const withLongLivedApiKey: Condition = {
  name: 'a request made with an API key (not a temporary one)',
  test: (f) => f.actor.via === 'API_KEY' && f.actor.temporaryKey !== true,
};

export const withConsoleSession: Condition = {
  name: 'a console session (not an AccessKey or API key)',
  test: (f) => f.actor.via === 'SESSION',
};

export const signsInWithPassword: Condition = {
  name: 'a principal that signs in with a password (not a role)',
  test: (f) => f.actor.kind !== 'ROLE',
};

export const withAnyApiKey: Condition = {
  name: 'a request made with an API key or a temporary key',
  test: (f) => f.actor.via === 'API_KEY',
};

export const anyone: Condition = { name: 'any signed-in principal', test: () => true };

/** Both conditions hold (data permissions: a data policy and membership). */
export const both = (a: Condition, b: Condition): Condition => ({
  name: `${a.name} and ${b.name}`,
  test: (f) => a.test(f) && b.test(f),
});
