import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomSuffix(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** The prefix of each kind of global ID: the ID alone tells its type. */
export const ID_PREFIX = {
  account: 'acc_',
  root: 'rt_',
  ramUser: 'usr_',
  ramRole: 'rol_',
  workspace: 'llm-',
  apiKey: 'key_',
  knowledgeBase: 'kb_',
  auditEvent: 'aud_',
} as const;
export type IdKind = keyof typeof ID_PREFIX;

const SUFFIX_LENGTH: Record<IdKind, number> = {
  account: 20,
  root: 20,
  ramUser: 20,
  ramRole: 20,
  workspace: 16, // domain.md: `llm-` followed by 16 lowercase letters and digits
  apiKey: 20,
  knowledgeBase: 20,
  auditEvent: 0,
};

export function newId(kind: Exclude<IdKind, 'auditEvent'>): string {
  return ID_PREFIX[kind] + randomSuffix(SUFFIX_LENGTH[kind]);
}

const PATTERNS: Record<IdKind, RegExp> = {
  account: /^acc_[a-z0-9]{20}$/,
  root: /^rt_[a-z0-9]{20}$/,
  ramUser: /^usr_[a-z0-9]{20}$/,
  ramRole: /^rol_[a-z0-9]{20}$/,
  workspace: /^llm-[a-z0-9]{16}$/,
  apiKey: /^key_[a-z0-9]{20}$/,
  knowledgeBase: /^kb_[a-z0-9]{20}$/,
  auditEvent: /^aud_[1-9][0-9]{0,18}$/,
};

/** The kind of a well-formed global ID, or null when the ID is malformed. */
export function idKind(id: string): IdKind | null {
  for (const kind of Object.keys(PATTERNS) as IdKind[]) if (PATTERNS[kind].test(id)) return kind;
  return null;
}

export const isIdOf = (id: string, ...kinds: IdKind[]) => {
  const kind = idKind(id);
  return kind !== null && kinds.includes(kind);
};
