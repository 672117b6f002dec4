import { badUserInput } from './errors.js';

/** Input checks shared by the resolvers. Each throws BAD_USER_INPUT naming the field. */

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function text(field: string, value: string, limits: { min?: number; max: number }): string {
  const trimmed = value.trim();
  const min = limits.min ?? 0;
  if (trimmed.length < min) throw badUserInput(field, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
  if (trimmed.length > limits.max) throw badUserInput(field, `must be at most ${limits.max} characters`);
  if (CONTROL_CHARACTERS.test(trimmed) && limits.max <= 64) throw badUserInput(field, 'must not contain control characters');
  return trimmed;
}

export const description = (field: string, value: string | null | undefined) =>
  text(field, value ?? '', { max: 1000 });

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
