/** Values PostgreSQL refuses with an error of its own: checked first, so that the client is told which field is wrong. */

/** A code point that no PostgreSQL text can hold. */
const NUL = '\u0000';
/** A lone surrogate, which UTF-8 cannot encode (a pair, read as one code point under `u`, is no match). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Neither U+0000 nor a lone surrogate. */
export const isStorableText = (value: string) => !value.includes(NUL) && !LONE_SURROGATE.test(value);

/**
 * A decimal number as wide as a bigint can be (19 digits). Longer digit strings are no numbers
 * of ours: random and opaque IDs may happen to be all digits, and are text to the database.
 */
const BIGINT_WIDE_NUMBER = /^-?\d{1,19}$/;
const MIN_BIGINT = -(2n ** 63n);
const MAX_BIGINT = 2n ** 63n - 1n;

/** Whether `text` reads as a bigint that PostgreSQL cannot hold (`9223372036854775808`). */
export function isNumberPastBigint(text: string): boolean {
  if (!BIGINT_WIDE_NUMBER.test(text)) return false;
  const number = BigInt(text);
  return number < MIN_BIGINT || number > MAX_BIGINT;
}
