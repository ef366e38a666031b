/**
 * The three matrix products the trainer needs, row-major Float32Array:
 *   nt: C[M,N]  = A[M,K] * B[N,K]^T   (forward)
 *   nn: C[M,K]  = A[M,N] * B[N,K]     (input gradient)
 *   tn: C[N,K]  = A[M,N]^T * B[M,K]   (weight gradient)
 * A WebAssembly SIMD build (host/train/wasm/build.sh -> build/train/gemm.wasm)
 * is used when present; otherwise plain JS loops. Both are deterministic, and
 * in both every output element is one sequential sum over the inner index, so
 * an element's value does not depend on where its row or column sits.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Activation codes shared with gemm.c. */
export const ACT_CODE = { none: 0, sign: 1, relu: 2 } as const;

/**
 * A weight layer's BatchNorm pass (rows M, channels N): z[m,n] = alpha[floor(n / aBlock)] * d[m*dCols + n % dCols]
 * (the tile-reuse expansion), BatchNorm, activation. Writes xhat, pre (BN output), out (activation).
 */
export interface BnForwardArgs {
  d: Float32Array;
  dCols: number;
  alpha: Float32Array;
  aBlock: number;
  M: number;
  N: number;
  gamma: Float32Array;
  beta: Float32Array;
  runMean: Float32Array;
  runVar: Float32Array;
  invStd: Float32Array;
  xhat: Float32Array;
  pre: Float32Array;
  out: Float32Array;
  act: number;
  training: boolean;
  momentum: number;
  eps: number;
}

/** Backward of the training-mode pass: STE of the activation, then BatchNorm; adds to gGamma/gBeta, writes g. */
export interface BnBackwardArgs {
  go: Float32Array;
  pre: Float32Array;
  xhat: Float32Array;
  M: number;
  N: number;
  gamma: Float32Array;
  invStd: Float32Array;
  act: number;
  gGamma: Float32Array;
  gBeta: Float32Array;
  g: Float32Array;
}

export interface Gemm {
  name: 'wasm-simd' | 'js';
  nt(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  nn(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  tn(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  bnForward(o: BnForwardArgs): void;
  bnBackward(o: BnBackwardArgs): void;
}

/** Plain-JS BatchNorm passes, the same operations as gemm.c in float32 steps. */
function jsBnForward(o: BnForwardArgs): void {
  const { d, dCols, alpha, aBlock, M, N, gamma, beta, runMean, runVar, invStd, xhat, pre, out, act } = o;
  const f = Math.fround;
  const momentum = f(o.momentum);
  const eps = f(o.eps);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) pre[m * N + n] = (alpha[Math.floor(n / aBlock)] as number) * (d[m * dCols + (n % dCols)] as number);
  }
  const mean = new Float32Array(N);
  if (o.training) {
    const sq = new Float32Array(N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) mean[n] = (mean[n] as number) + (pre[m * N + n] as number);
    for (let n = 0; n < N; n++) mean[n] = (mean[n] as number) / M;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const t = f((pre[m * N + n] as number) - (mean[n] as number));
        sq[n] = (sq[n] as number) + f(t * t);
      }
    }
    for (let n = 0; n < N; n++) {
      const v = f((sq[n] as number) / M);
      invStd[n] = 1 / f(Math.sqrt(f(v + eps)));
      const unbiased = M > 1 ? f((sq[n] as number) / (M - 1)) : v;
      runMean[n] = f(f(1 - momentum) * (runMean[n] as number)) + f(f(momentum) * (mean[n] as number));
      runVar[n] = f(f(1 - momentum) * (runVar[n] as number)) + f(f(momentum) * unbiased);
    }
  } else {
    for (let n = 0; n < N; n++) {
      mean[n] = runMean[n] as number;
      invStd[n] = 1 / f(Math.sqrt(f((runVar[n] as number) + eps)));
    }
  }
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const i = m * N + n;
      const h = f(f((pre[i] as number) - (mean[n] as number)) * (invStd[n] as number));
      const y = f(f((gamma[n] as number) * h) + (beta[n] as number));
      xhat[i] = h;
      pre[i] = y;
      out[i] = act === 1 ? (y > 0 ? 1 : -1) : act === 2 ? (y > 0 ? y : 0) : y;
    }
  }
}

function jsBnBackward(o: BnBackwardArgs): void {
  const { go, pre, xhat, M, N, gamma, invStd, act, gGamma, gBeta, g } = o;
  const f = Math.fround;
  const sumG = new Float32Array(N);
  const sumGX = new Float32Array(N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const i = m * N + n;
      const y = pre[i] as number;
      let gi = go[i] as number;
      if (act === 1) gi = y >= -1 && y <= 1 ? gi : 0;
      else if (act === 2) gi = y > 0 ? gi : 0;
      g[i] = gi;
      sumG[n] = (sumG[n] as number) + gi;
      sumGX[n] = (sumGX[n] as number) + f(gi * (xhat[i] as number));
    }
  }
  const k = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    gGamma[n] = (gGamma[n] as number) + (sumGX[n] as number);
    gBeta[n] = (gBeta[n] as number) + (sumG[n] as number);
    k[n] = f(f((gamma[n] as number) * (invStd[n] as number)) / M);
  }
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const i = m * N + n;
      const t = f(f(f(M * (g[i] as number)) - (sumG[n] as number)) - f((xhat[i] as number) * (sumGX[n] as number)));
      g[i] = (k[n] as number) * t;
    }
  }
}

export const jsGemm: Gemm = {
  name: 'js',
  bnForward: jsBnForward,
  bnBackward: jsBnBackward,
  // float32 steps (Math.fround) in the same order as gemm.c, so both engines give identical bits
  nt(a, b, c, m, n, k) {
    const f = Math.fround;
    for (let i = 0; i < m; i++) {
      const ar = i * k;
      for (let j = 0; j < n; j++) {
        const br = j * k;
        let s = 0;
        for (let e = 0; e < k; e++) s = f(s + f((a[ar + e] as number) * (b[br + e] as number)));
        c[i * n + j] = s;
      }
    }
  },
  nn(a, b, c, m, n, k) {
    const f = Math.fround;
    c.fill(0, 0, m * k);
    for (let i = 0; i < m; i++) {
      const cr = i * k;
      for (let j = 0; j < n; j++) {
        const av = a[i * n + j] as number;
        const br = j * k;
        for (let e = 0; e < k; e++) c[cr + e] = (c[cr + e] as number) + f(av * (b[br + e] as number));
      }
    }
  },
  tn(a, b, c, m, n, k) {
    const f = Math.fround;
    c.fill(0, 0, n * k);
    for (let j = 0; j < n; j++) {
      const cr = j * k;
      for (let i = 0; i < m; i++) {
        const av = a[i * n + j] as number;
        const br = i * k;
        for (let e = 0; e < k; e++) c[cr + e] = (c[cr + e] as number) + f(av * (b[br + e] as number));
      }
    }
  },
};

const here = path.dirname(fileURLToPath(import.meta.url));
export const WASM_PATH = path.resolve(here, '../../build/train/gemm.wasm');

type Fn = (a: number, b: number, c: number, m: number, n: number, k: number, scratch: number) => void;

/** The slice of the WebAssembly JS API used here (the ES2022 lib has no typings for it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** Micro-kernel block of gemm.c: packed panels are padded to these multiples. */
const MR = 4;
const NR = 8;
const padTo = (x: number, m: number): number => Math.ceil(x / m) * m;

/** Loads the wasm build; undefined when it has not been built. */
export function loadWasmGemm(file = WASM_PATH): Gemm | undefined {
  if (!existsSync(file)) return undefined;
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const instance = new wasm.Instance(new wasm.Module(readFileSync(file)), {});
  const memory = instance.exports.memory as WasmMemory;
  const fns = instance.exports as unknown as { gemm_nt: Fn; gemm_nn: Fn; gemm_tn: Fn; bn_forward: (...args: number[]) => void; bn_backward: (...args: number[]) => void };
  const base = 1 << 20; // above the C stack and data
  let heap = new Float32Array(memory.buffer);
  const place = (bytes: number): void => {
    const need = base + bytes - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536));
    if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer);
  };
  /** Product C[R,Cc] over an inner length Ln; the packed panels need padded scratch. */
  const call = (fn: Fn, a: Float32Array, aLen: number, b: Float32Array, bLen: number, c: Float32Array, cLen: number, m: number, n: number, k: number, R: number, Ln: number, Cc: number): void => {
    const aOff = base;
    const bOff = aOff + aLen * 4;
    const cOff = bOff + bLen * 4;
    const sOff = cOff + cLen * 4;
    place((aLen + bLen + cLen + (padTo(R, MR) + padTo(Cc, NR)) * Ln) * 4);
    heap.set(a.subarray(0, aLen), aOff >> 2);
    heap.set(b.subarray(0, bLen), bOff >> 2);
    fn(aOff, bOff, cOff, m, n, k, sOff);
    c.set(heap.subarray(cOff >> 2, (cOff >> 2) + cLen));
  };
  /** Copies arrays into linear memory one after another; returns their byte offsets and the end. */
  const stage = (arrays: [Float32Array, number, boolean][], extraFloats: number): number[] => {
    let total = extraFloats;
    for (const [, len] of arrays) total += len;
    place(total * 4);
    const offs: number[] = [];
    let at = base;
    for (const [a, len, copyIn] of arrays) {
      offs.push(at);
      if (copyIn) heap.set(a.subarray(0, len), at >> 2);
      at += len * 4;
    }
    offs.push(at);
    return offs;
  };
  const back = (a: Float32Array, off: number, len: number): void => a.set(heap.subarray(off >> 2, (off >> 2) + len));
  return {
    name: 'wasm-simd',
    bnForward(o) {
      const MN = o.M * o.N;
      const [d, al, ga, be, rm, rv, is, xh, pr, ou, sc] = stage(
        [[o.d, o.M * o.dCols, true], [o.alpha, o.alpha.length, true], [o.gamma, o.N, true], [o.beta, o.N, true], [o.runMean, o.N, true], [o.runVar, o.N, true], [o.invStd, o.N, false], [o.xhat, MN, false], [o.pre, MN, false], [o.out, MN, false]],
        2 * o.N,
      ) as number[];
      fns.bn_forward(d as number, o.dCols, al as number, o.aBlock, o.M, o.N, ga as number, be as number, rm as number, rv as number, is as number, xh as number, pr as number, ou as number, o.act, o.training ? 1 : 0, o.momentum, o.eps, sc as number);
      back(o.runMean, rm as number, o.N);
      back(o.runVar, rv as number, o.N);
      back(o.invStd, is as number, o.N);
      back(o.xhat, xh as number, MN);
      back(o.pre, pr as number, MN);
      back(o.out, ou as number, MN);
    },
    bnBackward(o) {
      const MN = o.M * o.N;
      const [go, pr, xh, ga, is, gg, gb, g, sc] = stage(
        [[o.go, MN, true], [o.pre, MN, true], [o.xhat, MN, true], [o.gamma, o.N, true], [o.invStd, o.N, true], [o.gGamma, o.N, true], [o.gBeta, o.N, true], [o.g, MN, false]],
        3 * o.N,
      ) as number[];
      fns.bn_backward(go as number, pr as number, xh as number, o.M, o.N, ga as number, is as number, o.act, gg as number, gb as number, g as number, sc as number);
      back(o.gGamma, gg as number, o.N);
      back(o.gBeta, gb as number, o.N);
      back(o.g, g as number, MN);
    },
    nt: (a, b, c, m, n, k) => call(fns.gemm_nt, a, m * k, b, n * k, c, m * n, m, n, k, m, k, n),
    nn: (a, b, c, m, n, k) => call(fns.gemm_nn, a, m * n, b, n * k, c, m * k, m, n, k, m, n, k),
    tn: (a, b, c, m, n, k) => call(fns.gemm_tn, a, m * n, b, m * k, c, n * k, m, n, k, n, m, k),
  };
}

let cached: Gemm | undefined;
/** The fastest available implementation (wasm SIMD when built, else JS). */
export function defaultGemm(): Gemm {
  cached ??= loadWasmGemm() ?? jsGemm;
  return cached;
}
