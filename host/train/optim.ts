/** Adam (L2 weight decay added to the gradient, as torch.optim.Adam) with a cosine learning-rate schedule. */
import type { Param } from './network.ts';

export interface AdamState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export interface AdamConfig {
  lr: number;
  weightDecay: number;
  totalSteps: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export function newAdamState(): AdamState {
  return { step: 0, m: new Map(), v: new Map() };
}

/** lr * (1 + cos(pi * step / total)) / 2, for step = 0 .. total-1. */
export function cosineLr(lr: number, step: number, total: number): number {
  return total <= 0 ? lr : 0.5 * lr * (1 + Math.cos((Math.PI * Math.min(step, total)) / total));
}

export function adamStep(params: Param[], state: AdamState, cfg: AdamConfig): void {
  const b1 = cfg.beta1 ?? 0.9;
  const b2 = cfg.beta2 ?? 0.999;
  const eps = cfg.eps ?? 1e-8;
  const lr = cosineLr(cfg.lr, state.step, cfg.totalSteps);
  state.step++;
  const t = state.step;
  const c1 = 1 - Math.pow(b1, t);
  const c2 = 1 - Math.pow(b2, t);
  for (const p of params) {
    if (p.frozen) continue;
    let m = state.m.get(p.name);
    let v = state.v.get(p.name);
    if (!m || !v) {
      m = new Float32Array(p.value.length);
      v = new Float32Array(p.value.length);
      state.m.set(p.name, m);
      state.v.set(p.name, v);
    }
    const wd = p.decay ? cfg.weightDecay : 0;
    const w = p.value;
    const g = p.grad;
    for (let i = 0; i < w.length; i++) {
      const gi = (g[i] as number) + wd * (w[i] as number);
      const mi = b1 * (m[i] as number) + (1 - b1) * gi;
      const vi = b2 * (v[i] as number) + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] = (w[i] as number) - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  }
}
