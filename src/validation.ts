import { badUserInput } from './errors.js';

/** Input checks shared by the resolvers. Each throws BAD_USER_INPUT naming the field. */

/** Bidirectional embeddings, overrides and isolates: they make text read in another order than it is stored (`prod\u202Evni` shows as `prodinv`). */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

/**
 * What a name must not hide: control characters, invisible format characters (bidi controls,
 * zero-width characters U+200B-U+200F and U+2060-U+2064, the BOM, and the rest of category Cf),
 * line separators, and the Hangul fillers that render as blanks.
 */
const HIDDEN_IN_NAMES = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0]/u;

/** Fields of at most 64 characters are names: people tell things apart by them. */
const NAME_MAX_LENGTH = 64;

export function text(field: string, value: string, limits: { min?: number; max: number }): string {
  const trimmed = value.trim();
  const min = limits.min ?? 0;
  if (trimmed.length < min) throw badUserInput(field, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
  if (trimmed.length > limits.max) throw badUserInput(field, `must be at most ${limits.max} characters`);
  if (limits.max <= NAME_MAX_LENGTH && HIDDEN_IN_NAMES.test(trimmed)) {
    throw badUserInput(field, 'must not contain control, bidirectional or invisible characters');
  }
  if (BIDI_CONTROLS.test(trimmed)) throw badUserInput(field, 'must not contain bidirectional control characters');
  return trimmed;
}

export const description = (field: string, value: string | null | undefined) => text(field, value ?? '', { max: 1000 });

/** RAM user and role names: 1-64 letters, digits, dots, hyphens and underscores. */
export function ramName(field: string, value: string): string {
  const name = text(field, value, { min: 1, max: 64 });
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw badUserInput(field, 'may contain only letters, digits, dots, hyphens and underscores');
  return name;
}

/** Account names (aliases) end RAM login names: 3-64 lowercase letters, digits and inner hyphens. */
export function accountName(field: string, value: string): string {
  const name = text(field, value, { min: 1, max: 64 });
  if (!/^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/.test(name)) {
    throw badUserInput(field, 'must be 3-64 lowercase letters, digits and hyphens, starting and ending with a letter or digit');
  }
  return name;
}

export function email(field: string, value: string): string {
  const address = text(field, value, { min: 1, max: 254 });
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) throw badUserInput(field, 'is not an e-mail address');
  return address;
}

export function password(field: string, value: string): string {
  if (value.length < 12) throw badUserInput(field, 'must be at least 12 characters');
  if (value.length > 256) throw badUserInput(field, 'must be at most 256 characters');
  return value;
}

/** Workspace and knowledge base names: 1-64 characters. */
export const resourceName = (field: string, value: string) => text(field, value, { min: 1, max: 64 });
