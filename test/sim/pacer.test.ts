import { describe, expect, it } from 'vitest';
import { createPacer } from '../../host/sim/pacer.ts';

describe('UART pacer', () => {
  it('delivers every byte once, in order, in slices no larger than its burst', async () => {
    const out: number[] = [];
    const slices: number[] = [];
    const pacer = createPacer(200_000, (b) => {
      slices.push(b.length);
      out.push(...b);
    });
    const input: number[] = [];
    for (let k = 0; k < 40; k++) {
      const chunk = Uint8Array.from({ length: 1 + ((k * 37) % 300) }, (_, i) => (k * 31 + i) & 0xff);
      input.push(...chunk);
      pacer.push(chunk);
    }
    expect(pacer.backlog()).toBe(input.length);
    for (let i = 0; i < 500 && pacer.backlog() > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(pacer.backlog()).toBe(0);
    expect(out).toEqual(input);
    expect(Math.max(...slices)).toBeLessThanOrEqual(200_000 * 0.01 + 64);
    pacer.stop();
  });
});
