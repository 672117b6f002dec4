/** Values PostgreSQL refuses with an error of its own: checked first, so that the client is told which field is wrong. */

/** A code point that no PostgreSQL text can hold (U+0000), or a lone surrogate, which UTF-8 cannot encode. */
const UNSTORABLE_CHARACTER = /[\u0000\p{Cs}]/u;

export const isStorableText = (value: string) => !UNSTORABLE_CHARACTER.test(value);

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
