/** Adam (L2 weight decay added to the gradient, as torch.optim.Adam) with a cosine learning-rate schedule. */
import type { Gemm } from './kernels.ts';
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

/** One step over every parameter; the arithmetic is float32 (kernels.ts / gemm.c, identical in both engines). */
export function adamStep(params: Param[], state: AdamState, cfg: AdamConfig, kernels: Pick<Gemm, 'adam' | 'zerosLike' | 'homed'>): void {
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
    if (!m || !v || (kernels.homed(p.value) && !(kernels.homed(m) && kernels.homed(v)))) {
      // new state, or state restored from a checkpoint: placed beside the parameter (in wasm memory when it is there)
      const nm = kernels.zerosLike(p.value);
      const nv = kernels.zerosLike(p.value);
      if (m) nm.set(m);
      if (v) nv.set(v);
      m = nm;
      v = nv;
      state.m.set(p.name, m);
      state.v.set(p.name, v);
    }
    kernels.adam({ w: p.value, g: p.grad, m, v, lr, b1, b2, c1, c2, eps, wd: p.decay ? cfg.weightDecay : 0 });
  }
}
