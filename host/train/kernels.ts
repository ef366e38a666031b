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
import { packagePath } from '../package-root.ts';
import type { InputQuant } from './network.ts';
import { alphaFrom, tileBackward, tileFromScores } from './tile.ts';

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

/** One Adam step over w (float32 constants; c1, c2 the bias corrections of this step). */
export interface AdamArgs {
  w: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
  lr: number;
  b1: number;
  b2: number;
  c1: number;
  c2: number;
  eps: number;
  wd: number;
}

/** Standardise per channel, then fake-quantise to int8 steps of q.scale (values stay float); float64 steps. */
export function jsQuantizeInput(q: InputQuant, x: Float32Array, channels: number, out: Float32Array): void {
  const scale = q.scale;
  for (let c = 0; c < channels; c++) {
    const mean = q.mean[c] as number;
    const std = q.std[c] as number;
    for (let i = c; i < x.length; i += channels) {
      const t = ((x[i] as number) - mean) / std / scale;
      let v: number;
      if (!(t >= -127)) v = -127;
      else if (t > 127) v = 127;
      else {
        const w = Math.trunc(t);
        const f = t - w;
        v = w + (f >= 0.5 ? 1 : 0) - (f <= -0.5 ? 1 : 0);
      }
      out[i] = v * scale;
    }
  }
}

export function jsAdam(o: AdamArgs): void {
  const f = Math.fround;
  const { w, g, m, v } = o;
  const lr = f(o.lr), b1 = f(o.b1), b2 = f(o.b2), c1 = f(o.c1), c2 = f(o.c2), eps = f(o.eps), wd = f(o.wd);
  const ob1 = f(1 - b1), ob2 = f(1 - b2);
  for (let i = 0; i < w.length; i++) {
    const wi = w[i] as number;
    const gi = f((g[i] as number) + f(wd * wi));
    const mi = f(f(b1 * (m[i] as number)) + f(ob1 * gi));
    const vi = f(f(b2 * (v[i] as number)) + f(f(ob2 * gi) * gi));
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - f(f(lr * f(mi / c1)) / f(f(Math.sqrt(f(vi / c2))) + eps));
  }
}

/**
 * Convolution geometry of a weight layer: [batch, inH, inW, inC, outH, outW, kh, kw, sh, sw]. The column matrix
 * has M = batch*outH*outW rows of K = kh*kw*inC values; a dense layer is the case with one output position.
 */
export type Geometry = [number, number, number, number, number, number, number, number, number, number];

const geomRows = (g: Geometry): number => g[0] * g[4] * g[5];
const geomK = (g: Geometry): number => g[6] * g[7] * g[3];
const denseLike = (g: Geometry): boolean => g[4] === 1 && g[5] === 1 && g[6] === g[1] && g[7] === g[2];

export function im2col(x: Float32Array, g: Geometry, cols: Float32Array): void {
  const [batch, inH, inW, inC, outH, outW, kh, kw, sh, sw] = g;
  const run = kw * inC;
  const K = kh * run;
  let r = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let dy = 0; dy < kh; dy++) {
          const src = xb + ((oy * sh + dy) * inW + ox * sw) * inC;
          cols.set(x.subarray(src, src + run), r * K + dy * run);
        }
        r++;
      }
    }
  }
}

export function col2im(cols: Float32Array, g: Geometry, x: Float32Array): void {
  const [batch, inH, inW, inC, outH, outW, kh, kw, sh, sw] = g;
  const run = kw * inC;
  const K = kh * run;
  x.fill(0, 0, batch * inH * inW * inC);
  let r = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let dy = 0; dy < kh; dy++) {
          const dst = xb + ((oy * sh + dy) * inW + ox * sw) * inC;
          const from = r * K + dy * run;
          for (let e = 0; e < run; e++) x[dst + e] = (x[dst + e] as number) + (cols[from + e] as number);
        }
        r++;
      }
    }
  }
}

/** Layer-level products: the im2col/col2im happen inside (in wasm: no column matrix copied to JS). */
export interface LayerKernels {
  /** d[M, n] = cols(x) * rows[n, K]^T */
  layerForward(x: Float32Array, rows: Float32Array, d: Float32Array, n: number, g: Geometry): void;
  /** G[N, K] = gz[M, N]^T * cols(x) */
  layerWeightGrad(gz: Float32Array, x: Float32Array, G: Float32Array, N: number, g: Geometry): void;
  /**
   * gs[m, j] = sum, in order of n with n % dCols == j, of alpha[floor(n / aBlock)] * gz[m, n] (the p copies of a
   * reused row summed first); then gx = col2im(gs * rows[dCols, K]).
   */
  layerInputGrad(gz: Float32Array, N: number, alpha: Float32Array, aBlock: number, dCols: number, rows: Float32Array, gx: Float32Array, g: Geometry): void;
}

/**
 * Latents and their Adam state kept in linear memory for good (wasm engine): Adam and the tile passes then run
 * on them in place instead of copying them in and out at every step.
 */
export interface ParamHome {
  /** Moves the arrays' contents into the arena; returns the new views (same values). */
  adopt(arrays: Float32Array[], scratchFloats: number): Float32Array[];
}

export interface Gemm extends LayerKernels {
  name: 'wasm-simd' | 'js';
  adam(o: AdamArgs): void;
  /** Arena views for n floats (zeros) beside adopted parameters, or plain arrays. */
  zerosLike(a: Float32Array): Float32Array;
  /** True when `a` lives in a parameter arena. */
  homed(a: Float32Array): boolean;
  /** Tile (sign of the chunk sums of s, 0 -> -1) and alpha (mean |x| per copy), as tile.ts computes them. */
  tileRefresh(s: Float32Array, p: number, tile: Float32Array, x: Float32Array, copies: number, alpha: Float32Array): void;
  /** tile.ts tileBackward. */
  tileBackward(gW: Float32Array, tile: Float32Array, alpha: Float32Array, gScores: Float32Array, src: Float32Array, gSrc: Float32Array): void;
  /** Present when parameters can live in linear memory. */
  home?: () => ParamHome;
  nt(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  nn(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  tn(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  bnForward(o: BnForwardArgs): void;
  bnBackward(o: BnBackwardArgs): void;
  /** jsQuantizeInput: out[i] = the int8-step value of x[i] (channel i % channels). */
  quantizeInput(q: InputQuant, x: Float32Array, channels: number, out: Float32Array): void;
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

function jsLayerKernels(self: () => Gemm): LayerKernels {
  let cols = new Float32Array(0);
  const colsOf = (x: Float32Array, g: Geometry): Float32Array => {
    if (denseLike(g)) return x;
    const len = geomRows(g) * geomK(g);
    if (cols.length < len) cols = new Float32Array(len);
    im2col(x, g, cols);
    return cols;
  };
  return {
    layerForward(x, rows, d, n, g) {
      self().nt(colsOf(x, g), rows, d, geomRows(g), n, geomK(g));
    },
    layerWeightGrad(gz, x, G, N, g) {
      self().tn(gz, colsOf(x, g), G, geomRows(g), N, geomK(g));
    },
    layerInputGrad(gz, N, alpha, aBlock, dCols, rows, gx, g) {
      const f = Math.fround;
      const M = geomRows(g);
      const K = geomK(g);
      const gs = new Float32Array(M * dCols);
      for (let m = 0; m < M; m++) {
        for (let n0 = 0; n0 < N; n0 += dCols) {
          for (let j = 0; j < dCols; j++) gs[m * dCols + j] = (gs[m * dCols + j] as number) + f((alpha[Math.floor((n0 + j) / aBlock)] as number) * (gz[m * N + n0 + j] as number));
        }
      }
      if (denseLike(g)) {
        self().nn(gs, rows, gx, M, dCols, K);
        return;
      }
      const gcols = new Float32Array(M * K);
      self().nn(gs, rows, gcols, M, dCols, K);
      col2im(gcols, g, gx);
    },
  };
}

export const jsGemm: Gemm = {
  ...jsLayerKernels(() => jsGemm),
  name: 'js',
  zerosLike: (a) => new Float32Array(a.length),
  homed: () => false,
  tileRefresh(s, p, tile, x, copies, alpha) {
    tileFromScores(s, p, tile);
    alphaFrom(x, p, copies === 1 ? 'single' : 'weight', alpha);
  },
  tileBackward,
  adam: jsAdam,
  bnForward: jsBnForward,
  bnBackward: jsBnBackward,
  quantizeInput: jsQuantizeInput,
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

export const WASM_PATH = packagePath('build', 'train', 'gemm.wasm');

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
type Exports = Record<string, (...args: number[]) => void>;

interface Arena {
  memory: WasmMemory;
  fns: Exports;
  /** First free byte of the scratch area (after the adopted arrays). */
  scratch: number;
  scratchFloats: number;
}

/** A second instance whose memory holds adopted arrays; it never grows after adoption, so the views stay valid. */
function makeHome(module: object, wasm: WasmApi, arenas: Arena[]): ParamHome {
  return {
    adopt(arrays, scratchFloats) {
      const instance = new wasm.Instance(module, {});
      const memory = instance.exports.memory as WasmMemory;
      const base = 1 << 20;
      const floats = arrays.reduce((s, a) => s + a.length, 0);
      const bytes = base + (floats + scratchFloats + 16) * 4;
      if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
      let at = base;
      const views = arrays.map((a) => {
        const v = new Float32Array(memory.buffer, at, a.length);
        v.set(a);
        at += a.length * 4;
        return v;
      });
      arenas.push({ memory, fns: instance.exports as unknown as Exports, scratch: (at + 15) & ~15, scratchFloats });
      return views;
    },
  };
}

export function loadWasmGemm(file = WASM_PATH): Gemm | undefined {
  if (!existsSync(file)) return undefined;
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const module = new wasm.Module(readFileSync(file));
  const instance = new wasm.Instance(module, {});
  const arenas: Arena[] = [];
  /** The arena holding every array given, or undefined. */
  const arenaOf = (...as: Float32Array[]): Arena | undefined => {
    const a = arenas.find((r) => r.memory.buffer === as[0]?.buffer);
    return a && as.every((x) => x.buffer === a.memory.buffer) ? a : undefined;
  };
  const memory = instance.exports.memory as WasmMemory;
  const fns = instance.exports as unknown as { gemm_nt: Fn; gemm_nn: Fn; gemm_tn: Fn; bn_forward: (...args: number[]) => void; bn_backward: (...args: number[]) => void; adam: (...args: number[]) => void; layer_forward: (...args: number[]) => void; layer_weight_grad: (...args: number[]) => void; layer_input_grad: (...args: number[]) => void; quantize_input: (...args: number[]) => void };
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
  /** Stages the geometry as 10 int32 right after the arrays (stage reserves the room as extra floats). */
  const putGeom = (off: number, g: Geometry): void => new Int32Array(memory.buffer, off, 10).set(g);
  const inSize = (g: Geometry): number => g[0] * g[1] * g[2] * g[3];
  const colsSize = (g: Geometry): number => (denseLike(g) ? 0 : geomRows(g) * geomK(g));
  return {
    name: 'wasm-simd',
    layerForward(x, rows, d, n, g) {
      const M = geomRows(g), K = geomK(g);
      const [xo, ro, dOff, go] = stage([[x, inSize(g), true], [rows, n * K, true], [d, M * n, false]], 12 + colsSize(g) + (padTo(M, MR) + padTo(n, NR)) * K) as number[];
      putGeom(go as number, g);
      fns.layer_forward(xo as number, ro as number, dOff as number, n, go as number, (go as number) + 48);
      back(d, dOff as number, M * n);
    },
    layerWeightGrad(gz, x, G, N, g) {
      const M = geomRows(g), K = geomK(g);
      const [zo, xo, Go, go] = stage([[gz, M * N, true], [x, inSize(g), true], [G, N * K, false]], 12 + colsSize(g) + (padTo(N, MR) + padTo(K, NR)) * M) as number[];
      putGeom(go as number, g);
      fns.layer_weight_grad(zo as number, xo as number, Go as number, N, go as number, (go as number) + 48);
      back(G, Go as number, N * K);
    },
    layerInputGrad(gz, N, alpha, aBlock, dCols, rows, gx, g) {
      const M = geomRows(g), K = geomK(g);
      const [zo, ao, ro, xo, go] = stage(
        [[gz, M * N, true], [alpha, alpha.length, true], [rows, dCols * K, true], [gx, inSize(g), false]],
        12 + M * dCols + colsSize(g) + (padTo(M, MR) + padTo(K, NR)) * dCols,
      ) as number[];
      putGeom(go as number, g);
      fns.layer_input_grad(zo as number, N, ao as number, aBlock, dCols, ro as number, xo as number, go as number, (go as number) + 48);
      back(gx, xo as number, inSize(g));
    },
    home: () => makeHome(module, wasm, arenas),
    homed: (a) => arenaOf(a) !== undefined,
    zerosLike(a) {
      const arena = arenaOf(a);
      if (!arena) return new Float32Array(a.length);
      if (arena.scratchFloats < a.length) throw new Error('parameter arena too small');
      const v = new Float32Array(arena.memory.buffer, arena.scratch, a.length);
      v.fill(0);
      arena.scratch += a.length * 4;
      arena.scratchFloats -= a.length;
      return v;
    },
    tileRefresh(s, p, tile, x, copies, alpha) {
      const arena = arenaOf(s, x);
      if (!arena || arena.scratchFloats < 3 * tile.length + alpha.length + 2) {
        jsGemm.tileRefresh(s, p, tile, x, copies, alpha);
        return;
      }
      const q = tile.length;
      const sumOff = (arena.scratch + 7) & ~7;
      const tileOff = sumOff + q * 8;
      const alphaOff = tileOff + q * 4;
      arena.fns.tile_refresh!(s.byteOffset, p, q, tileOff, x.byteOffset, copies, alphaOff, sumOff);
      const f = new Float32Array(arena.memory.buffer);
      tile.set(f.subarray(tileOff >> 2, (tileOff >> 2) + q));
      alpha.set(f.subarray(alphaOff >> 2, (alphaOff >> 2) + alpha.length));
    },
    tileBackward(gW, tile, alpha, gScores, src, gSrc) {
      const arena = arenaOf(gScores, src, gSrc);
      const n = gW.length;
      if (!arena || arena.scratchFloats < n + tile.length + alpha.length + 4) {
        tileBackward(gW, tile, alpha, gScores, src, gSrc);
        return;
      }
      const f = new Float32Array(arena.memory.buffer);
      const gOff = arena.scratch;
      const tOff = gOff + n * 4;
      const aOff = tOff + tile.length * 4;
      f.set(gW.subarray(0, n), gOff >> 2);
      f.set(tile, tOff >> 2);
      f.set(alpha, aOff >> 2);
      arena.fns.tile_backward!(gOff, tOff, tile.length, aOff, alpha.length, n, gScores.byteOffset, src.byteOffset, gSrc.byteOffset);
    },
    adam(o) {
      const arena = arenaOf(o.w, o.g, o.m, o.v);
      if (arena) {
        arena.fns.adam!(o.w.byteOffset, o.g.byteOffset, o.m.byteOffset, o.v.byteOffset, o.w.length, o.lr, o.b1, o.b2, o.c1, o.c2, o.eps, o.wd);
        return;
      }
      const n = o.w.length;
      const [w, g, m, v] = stage([[o.w, n, true], [o.g, n, true], [o.m, n, true], [o.v, n, true]], 0) as number[];
      fns.adam(w as number, g as number, m as number, v as number, n, o.lr, o.b1, o.b2, o.c1, o.c2, o.eps, o.wd);
      back(o.w, w as number, n);
      back(o.m, m as number, n);
      back(o.v, v as number, n);
    },
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
    quantizeInput(q, x, channels, out) {
      const n = x.length;
      const period = channels % 2 === 0 ? channels : 2 * channels;
      place(16 * period + 8 * n);
      const tables = new Float64Array(memory.buffer, base, 2 * period);
      for (let j = 0; j < period; j++) {
        tables[j] = q.mean[j % channels] as number;
        tables[period + j] = q.std[j % channels] as number;
      }
      const xOff = base + 16 * period;
      const outOff = xOff + 4 * n;
      heap.set(x, xOff >> 2);
      fns.quantize_input(xOff, n, base, base + 8 * period, period, q.scale, outOff);
      back(out, outOff, n);
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
