/** Central-difference checks of the analytic gradients the last backward pass left in `p.grad`. */
import { expect } from 'vitest';
import type { Param } from '../../host/train/network.ts';

/**
 * Compares up to `samples` entries of each parameter with (loss(w + eps) - loss(w - eps)) / 2 eps and returns
 * how many were compared; `skip` passes over entries where the difference measures nothing (a kink).
 */
export function checkGradients(params: Param[], loss: () => number, o: { samples?: number; eps?: number; skip?: (p: Param, value: number) => boolean } = {}): number {
  const samples = o.samples ?? 12;
  const eps = o.eps ?? 1e-2;
  let checked = 0;
  for (const p of params) {
    const stride = Math.max(1, Math.floor(p.value.length / samples));
    for (let i = 0; i < p.value.length; i += stride) {
      const old = p.value[i] as number;
      if (o.skip?.(p, old)) continue;
      p.value[i] = old + eps;
      const up = loss();
      p.value[i] = old - eps;
      const down = loss();
      p.value[i] = old;
      const numeric = (up - down) / (2 * eps);
      const ana = p.grad[i] as number;
      expect(Math.abs(numeric - ana), `${p.name}[${i}]: numeric ${numeric} analytic ${ana}`).toBeLessThanOrEqual(2e-3 + 3e-2 * Math.abs(numeric));
      checked++;
    }
  }
  return checked;
}
