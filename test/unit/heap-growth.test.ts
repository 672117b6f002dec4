import { describe, expect, it } from 'vitest';
import { operatorSetHeapGrowth } from '../../src/heap-growth.js';

describe('the heap growth the gateway sets', () => {
  it("gives way to the operator's own flag, in either spelling", () => {
    expect(operatorSetHeapGrowth(['--heap-growing-percent=50'])).toBe(true);
    expect(operatorSetHeapGrowth(['--enable-source-maps', '--heap_growing_percent=300'])).toBe(true);
    expect(operatorSetHeapGrowth(['--heap-growing-percent', '50'])).toBe(true);
  });

  it('is set when Node was started without one', () => {
    expect(operatorSetHeapGrowth([])).toBe(false);
    expect(operatorSetHeapGrowth(['--max-semi-space-size=64', '--import', './dist/src/observability/register-tracing.js'])).toBe(false);
    expect(operatorSetHeapGrowth(['--heap-growing-percentage=50'])).toBe(false);
  });
});
