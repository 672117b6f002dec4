import { describe, expect, it } from 'vitest';
import { stampDelay } from '../../src/auth/last-use.js';

describe('when gathered last-use stamps are written', () => {
  it('a quiet process writes a second after the first use', () => {
    expect(stampDelay(1, 0)).toBe(1_000);
    expect(stampDelay(999, 1_000)).toBe(0);
    expect(stampDelay(999, 5_000)).toBe(0);
  });

  it('a busy one (a thousand credentials in that second) goes on gathering until a minute has passed', () => {
    expect(stampDelay(1_000, 1_000)).toBe(59_000);
    expect(stampDelay(50_000, 30_000)).toBe(30_000);
    expect(stampDelay(50_000, 60_000)).toBe(0);
    expect(stampDelay(50_000, 61_000)).toBe(0);
  });
});
