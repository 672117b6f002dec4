import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomSuffix(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/**
 * The format of each kind of global ID: a prefix that tells its type, then a suffix. Everything
 * else about each kind (its GraphQL type, loader, reading ability) is in src/node-kinds.ts.
 */
const ID_FORMATS = {
  account: { prefix: 'acc_', suffix: /^[a-z0-9]{20}$/, length: 20 },
  root: { prefix: 'rt_', suffix: /^[a-z0-9]{20}$/, length: 20 },
  ramUser: { prefix: 'usr_', suffix: /^[a-z0-9]{20}$/, length: 20 },
  ramRole: { prefix: 'rol_', suffix: /^[a-z0-9]{20}$/, length: 20 },
  // docs/domain.md: `llm-` followed by 16 lowercase letters and digits.
  workspace: { prefix: 'llm-', suffix: /^[a-z0-9]{16}$/, length: 16 },
  apiKey: { prefix: 'key_', suffix: /^[a-z0-9]{20}$/, length: 20 },
  // Alibaba Cloud's AccessKeyId shape: the ID is public, the secret goes with it.
  accessKey: { prefix: 'LTAI', suffix: /^[a-z0-9]{20}$/, length: 20 },
  knowledgeBase: { prefix: 'kb_', suffix: /^[a-z0-9]{20}$/, length: 20 },
  // Minted by the database (audit_event.public_id): random, so that IDs tell nothing of others' activity.
  auditEvent: { prefix: 'aud_', suffix: /^[0-9a-f]{32}$/, length: 0 },
} as const;
export type IdKind = keyof typeof ID_FORMATS;

export const ID_PREFIX = Object.fromEntries(Object.entries(ID_FORMATS).map(([kind, format]) => [kind, format.prefix])) as {
  [K in IdKind]: (typeof ID_FORMATS)[K]['prefix'];
};

export function newId(kind: Exclude<IdKind, 'auditEvent'>): string {
  return ID_FORMATS[kind].prefix + randomSuffix(ID_FORMATS[kind].length);
}

const KINDS = Object.keys(ID_FORMATS) as IdKind[];

/** The kind of a well-formed global ID, or null when the ID is malformed. */
export function idKind(id: string): IdKind | null {
  for (const kind of KINDS) {
    const { prefix, suffix } = ID_FORMATS[kind];
    if (id.startsWith(prefix) && suffix.test(id.slice(prefix.length))) return kind;
  }
  return null;
}

export const isIdOf = (id: string, ...kinds: IdKind[]) => {
  const kind = idKind(id);
  return kind !== null && kinds.includes(kind);
};
