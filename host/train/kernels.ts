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

/** Round half away from zero, as the packed format's input quantiser does. */
export function roundHalfAway(t: number): number {
  const i = Math.trunc(t);
  const f = t - i;
  return i + (f >= 0.5 ? 1 : 0) - (f <= -0.5 ? 1 : 0);
}

/** Standardise per channel, then fake-quantise to int8 steps of q.scale (values stay float); float64 steps. */
export function jsQuantizeInput(q: InputQuant, x: Float32Array, channels: number, out: Float32Array): void {
  const scale = q.scale;
  for (let c = 0; c < channels; c++) {
    const mean = q.mean[c] as number;
    const std = q.std[c] as number;
    for (let i = c; i < x.length; i += channels) {
      const t = ((x[i] as number) - mean) / std / scale;
      const v = !(t >= -127) ? -127 : t > 127 ? 127 : roundHalfAway(t);
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

/** Per channel the window is scanned in (dy, dx) order, the first strictly larger value wins; a window with no value above -Infinity keeps -Infinity and index -1. */
export function jsMaxPoolForward(x: Float32Array, g: Geometry, out: Float32Array, argmax: Int32Array): void {
  const [batch, inH, inW, C, outH, outW, kh, kw, sh, sw] = g;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        out.fill(-Infinity, o, o + C);
        argmax.fill(-1, o, o + C);
        for (let dy = 0; dy < kh; dy++) {
          for (let dx = 0; dx < kw; dx++) {
            const i0 = xb + ((oy * sh + dy) * inW + ox * sw + dx) * C;
            for (let c = 0; c < C; c++) {
              const v = x[i0 + c] as number;
              if (v > (out[o + c] as number)) {
                out[o + c] = v;
                argmax[o + c] = i0 + c;
              }
            }
          }
        }
        o += C;
      }
    }
  }
}

export function jsMaxPoolBackward(gradOut: Float32Array, argmax: Int32Array, outSize: number, gradIn: Float32Array, inSize: number): void {
  gradIn.fill(0, 0, inSize);
  for (let o = 0; o < outSize; o++) {
    const i = argmax[o] as number;
    if (i >= 0) gradIn[i] = (gradIn[i] as number) + (gradOut[o] as number);
  }
}

export function jsGapForward(x: Float32Array, batch: number, P: number, C: number, out: Float32Array): void {
  const sums = new Float64Array(C);
  for (let b = 0; b < batch; b++) {
    sums.fill(0);
    for (let i = 0; i < P; i++) {
      const r = (b * P + i) * C;
      for (let c = 0; c < C; c++) sums[c] = (sums[c] as number) + (x[r + c] as number);
    }
    for (let c = 0; c < C; c++) out[b * C + c] = (sums[c] as number) / P;
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

export interface Gemm extends LayerKernels {
  name: 'wasm-simd' | 'js';
  adam(o: AdamArgs): void;
  /**
   * A new engine of the same kind with its own memory, for one network (wasm): the buffers it allocates stay
   * valid, and its kernels work on them in place. Absent for the plain-JS engine.
   */
  workspace?: () => Gemm;
  /**
   * Gives a workspace back for reuse by the next workspace() of this thread (its memory is not freed until then,
   * and dropped workspaces are collected late). Every buffer it allocated becomes invalid.
   */
  release?: () => void;
  /** Internal: empties a released workspace before reuse. */
  reset?: () => void;
  /** n zeros, in this engine's memory when it has one. */
  alloc(n: number): Float32Array;
  /** Zeros of a's length, allocated beside `a` when `a` lives in this engine's memory, else a plain array. */
  zerosLike(a: Float32Array): Float32Array;
  /** True when `a` lives in this engine's memory (kernels then use it in place). */
  homed(a: Float32Array): boolean;
  /** Tile (sign of the chunk sums of s, 0 -> -1) and alpha (mean |x| per copy), as tile.ts computes them. */
  tileRefresh(s: Float32Array, p: number, tile: Float32Array, x: Float32Array, copies: number, alpha: Float32Array): void;
  /** tile.ts tileBackward. */
  tileBackward(gW: Float32Array, tile: Float32Array, alpha: Float32Array, gScores: Float32Array, src: Float32Array, gSrc: Float32Array): void;
  nt(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  nn(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  tn(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  bnForward(o: BnForwardArgs): void;
  bnBackward(o: BnBackwardArgs): void;
  /** Max pooling over g (channel-last): out, and in arg the index into x of each output's winner. */
  maxPoolForward(x: Float32Array, g: Geometry, out: Float32Array, arg: Int32Array): void;
  /** gradIn[0, inSize) = 0, then gradIn[arg[o]] += gradOut[o] in order of o. */
  maxPoolBackward(gradOut: Float32Array, arg: Int32Array, outSize: number, gradIn: Float32Array, inSize: number): void;
  /** out[b, c] = mean over the P positions of x[b, :, c] (a float64 sum in order). */
  gapForward(x: Float32Array, batch: number, P: number, C: number, out: Float32Array): void;
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
  alloc: (n) => new Float32Array(n),
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
  maxPoolForward: jsMaxPoolForward,
  maxPoolBackward: jsMaxPoolBackward,
  gapForward: jsGapForward,
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

/** The slice of the WebAssembly JS API used here (the ES2022 lib has no typings for it). */
interface WasmApi {
  Module: (new (bytes: Uint8Array) => object) & { imports(module: object): { module: string; name: string }[] };
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
interface WasmMemory {
  buffer: ArrayBufferLike;
  grow(pages: number): number;
}

/** Micro-kernel block of gemm.c: packed panels are padded to these multiples. */
const MR = 4;
const NR = 8;
const padTo = (x: number, m: number): number => Math.ceil(x / m) * m;
/** First byte the engine manages: below it the C stack and data. */
const BASE = 1 << 20;
const PAGE = 65536;
const align16 = (bytes: number): number => (bytes + 15) & ~15;

type Exports = Record<string, (...args: number[]) => void>;

/**
 * One instance of gemm.wasm with its own linear memory. The memory is shared (a SharedArrayBuffer): growing it
 * does not detach the views already handed out, so the buffers a network allocates here (parameters, Adam state,
 * activations, gradients) stay valid for good, and a kernel given such a buffer works on it in place. Other arrays
 * are copied into a scratch frame above the allocations and (outputs) back.
 */
function wasmEngine(module: object, wasm: WasmApi, pool: Gemm[]): Gemm {
  const memory = new wasm.Memory({ initial: BASE / PAGE + 1, maximum: 65536, shared: true });
  const fns = new wasm.Instance(module, { env: { memory } }).exports as unknown as Exports;
  /** Every SharedArrayBuffer object this memory has had (a grow gives a new one over the same bytes). */
  const buffers = new WeakSet<object>([memory.buffer]);
  let f32 = new Float32Array(memory.buffer);
  let i32 = new Int32Array(memory.buffer);
  /** First free byte above the allocations: call frames start here. */
  let top = BASE;
  const ensure = (end: number): void => {
    const have = memory.buffer.byteLength;
    if (end > have) memory.grow(Math.ceil((end - have) / PAGE));
    if (f32.buffer !== memory.buffer) {
      buffers.add(memory.buffer);
      f32 = new Float32Array(memory.buffer);
      i32 = new Int32Array(memory.buffer);
    }
  };
  const resident = (a: Float32Array | Int32Array): boolean => buffers.has(a.buffer);
  const alloc = (n: number): Float32Array => {
    ensure(top + n * 4);
    const v = new Float32Array(memory.buffer, top, n);
    v.fill(0); // frames used these bytes before
    top += align16(n * 4);
    return v;
  };

  /** A call's operands: resident arrays by address, others copied into a frame above `top`. */
  class Frame {
    private at = top;
    private readonly outs: [Float32Array | Int32Array, number, number][] = [];
    /** Address of a's first len values; copyIn: its values are read; copyOut: written back after the call. */
    arg(a: Float32Array | Int32Array, len: number, copyIn: boolean, copyOut: boolean): number {
      if (resident(a)) return a.byteOffset;
      const off = this.take(len * 4);
      if (copyIn) (a instanceof Int32Array ? i32 : f32).set(len === a.length ? a : a.subarray(0, len), off >> 2);
      if (copyOut) this.outs.push([a, off, len]);
      return off;
    }
    in(a: Float32Array | Int32Array, len = a.length): number {
      return this.arg(a, len, true, false);
    }
    out(a: Float32Array | Int32Array, len = a.length): number {
      return this.arg(a, len, false, true);
    }
    inOut(a: Float32Array, len = a.length): number {
      return this.arg(a, len, true, true);
    }
    geom(g: Geometry): number {
      const off = this.take(40);
      i32.set(g, off >> 2);
      return off;
    }
    /** Scratch bytes, 16-aligned. */
    take(bytes: number): number {
      const off = this.at;
      this.at += align16(bytes);
      ensure(this.at);
      return off;
    }
    /** Copies the outputs of non-resident arrays back. */
    done(): void {
      for (const [a, off, len] of this.outs) a.set((a instanceof Int32Array ? i32 : f32).subarray(off >> 2, (off >> 2) + len));
    }
  }
  const inSize = (g: Geometry): number => g[0] * g[1] * g[2] * g[3];
  const colsBytes = (g: Geometry): number => (denseLike(g) ? 0 : geomRows(g) * geomK(g) * 4);
  /** Product C[R,Cc] over an inner length Ln: packed-panel scratch. */
  const panels = (R: number, Ln: number, Cc: number): number => (padTo(R, MR) + padTo(Cc, NR)) * Ln * 4;
  const product = (fn: string, a: Float32Array, aLen: number, b: Float32Array, bLen: number, c: Float32Array, cLen: number, m: number, n: number, k: number, R: number, Ln: number, Cc: number): void => {
    const fr = new Frame();
    const ao = fr.in(a, aLen), bo = fr.in(b, bLen), co = fr.out(c, cLen);
    (fns[fn] as Exports[string])(ao, bo, co, m, n, k, fr.take(panels(R, Ln, Cc)));
    fr.done();
  };
  let released = false;
  const engine: Gemm = {
    name: 'wasm-simd',
    // a released workspace (with its memory already grown) before a new one
    workspace: () => {
      const reused = pool.pop();
      if (!reused) return wasmEngine(module, wasm, pool);
      reused.reset?.();
      return reused;
    },
    release() {
      if (released) return;
      released = true;
      pool.push(engine);
    },
    reset() {
      released = false;
      top = BASE;
    },
    alloc,
    homed: resident,
    zerosLike: (a) => (resident(a) ? alloc(a.length) : new Float32Array(a.length)),
    layerForward(x, rows, d, n, g) {
      const M = geomRows(g), K = geomK(g);
      const fr = new Frame();
      const xo = fr.in(x, inSize(g)), ro = fr.in(rows, n * K), dOff = fr.out(d, M * n), go = fr.geom(g);
      fns.layer_forward!(xo, ro, dOff, n, go, fr.take(colsBytes(g) + panels(M, K, n)));
      fr.done();
    },
    layerWeightGrad(gz, x, G, N, g) {
      const M = geomRows(g), K = geomK(g);
      const fr = new Frame();
      const zo = fr.in(gz, M * N), xo = fr.in(x, inSize(g)), Go = fr.out(G, N * K), go = fr.geom(g);
      fns.layer_weight_grad!(zo, xo, Go, N, go, fr.take(colsBytes(g) + panels(N, M, K)));
      fr.done();
    },
    layerInputGrad(gz, N, alpha, aBlock, dCols, rows, gx, g) {
      const M = geomRows(g), K = geomK(g);
      const fr = new Frame();
      const zo = fr.in(gz, M * N), ao = fr.in(alpha), ro = fr.in(rows, dCols * K), xo = fr.out(gx, inSize(g)), go = fr.geom(g);
      fns.layer_input_grad!(zo, N, ao, aBlock, dCols, ro, xo, go, fr.take(M * dCols * 4 + colsBytes(g) + panels(M, dCols, K)));
      fr.done();
    },
    tileRefresh(s, p, tile, x, copies, alpha) {
      const fr = new Frame();
      const q = tile.length;
      const so = fr.in(s), xo = fr.in(x), to = fr.out(tile), ao = fr.out(alpha);
      fns.tile_refresh!(so, p, q, to, xo, copies, ao, fr.take(q * 8));
      fr.done();
    },
    tileBackward(gW, tile, alpha, gScores, src, gSrc) {
      const fr = new Frame();
      const go = fr.in(gW), to = fr.in(tile), ao = fr.in(alpha), so = fr.inOut(gScores), xo = fr.in(src), xg = fr.inOut(gSrc);
      fns.tile_backward!(go, to, tile.length, ao, alpha.length, gW.length, so, xo, xg);
      fr.done();
    },
    adam(o) {
      const fr = new Frame();
      const n = o.w.length;
      const w = fr.inOut(o.w), g = fr.in(o.g, n), m = fr.inOut(o.m, n), v = fr.inOut(o.v, n);
      fns.adam!(w, g, m, v, n, o.lr, o.b1, o.b2, o.c1, o.c2, o.eps, o.wd);
      fr.done();
    },
    bnForward(o) {
      const MN = o.M * o.N;
      const fr = new Frame();
      const d = fr.in(o.d, o.M * o.dCols), al = fr.in(o.alpha), ga = fr.in(o.gamma, o.N), be = fr.in(o.beta, o.N);
      const rm = fr.inOut(o.runMean, o.N), rv = fr.inOut(o.runVar, o.N), is = fr.out(o.invStd, o.N);
      const xh = fr.out(o.xhat, MN), pr = fr.out(o.pre, MN), ou = fr.out(o.out, MN);
      fns.bn_forward!(d, o.dCols, al, o.aBlock, o.M, o.N, ga, be, rm, rv, is, xh, pr, ou, o.act, o.training ? 1 : 0, o.momentum, o.eps, fr.take(2 * o.N * 4));
      fr.done();
    },
    bnBackward(o) {
      const MN = o.M * o.N;
      const fr = new Frame();
      const go = fr.in(o.go, MN), pr = fr.in(o.pre, MN), xh = fr.in(o.xhat, MN), ga = fr.in(o.gamma, o.N), is = fr.in(o.invStd, o.N);
      const gg = fr.inOut(o.gGamma, o.N), gb = fr.inOut(o.gBeta, o.N), g = fr.out(o.g, MN);
      fns.bn_backward!(go, pr, xh, o.M, o.N, ga, is, o.act, gg, gb, g, fr.take(3 * o.N * 4));
      fr.done();
    },
    maxPoolForward(x, g, out, arg) {
      const outSize = g[0] * g[4] * g[5] * g[3];
      const fr = new Frame();
      const xo = fr.in(x, inSize(g)), go = fr.geom(g), oo = fr.out(out, outSize), ao = fr.out(arg, outSize);
      fns.maxpool_forward!(xo, go, oo, ao);
      fr.done();
    },
    maxPoolBackward(gradOut, arg, outSize, gradIn, inSize) {
      const fr = new Frame();
      const go = fr.in(gradOut, outSize), ao = fr.in(arg, outSize), xo = fr.out(gradIn, inSize);
      fns.maxpool_backward!(go, ao, outSize, xo, inSize);
      fr.done();
    },
    gapForward(x, batch, P, C, out) {
      const fr = new Frame();
      const xo = fr.in(x, batch * P * C), oo = fr.out(out, batch * C);
      fns.gap_forward!(xo, batch, P, C, oo, fr.take(C * 8));
      fr.done();
    },
    quantizeInput(q, x, channels, out) {
      const n = x.length;
      const period = channels % 2 === 0 ? channels : 2 * channels;
      const fr = new Frame();
      const tables = fr.take(16 * period);
      const d = new Float64Array(memory.buffer, tables, 2 * period);
      for (let j = 0; j < period; j++) {
        d[j] = q.mean[j % channels] as number;
        d[period + j] = q.std[j % channels] as number;
      }
      const xo = fr.in(x, n), oo = fr.out(out, n);
      fns.quantize_input!(xo, n, tables, tables + 8 * period, period, q.scale, oo);
      fr.done();
    },
    nt: (a, b, c, m, n, k) => product('gemm_nt', a, m * k, b, n * k, c, m * n, m, n, k, m, k, n),
    nn: (a, b, c, m, n, k) => product('gemm_nn', a, m * n, b, n * k, c, m * k, m, n, k, m, n, k),
    tn: (a, b, c, m, n, k) => product('gemm_tn', a, m * n, b, m * k, c, n * k, m, n, k, n, m, k),
  };
  return engine;
}

/** Loads the wasm build; undefined when it has not been built. */
export function loadWasmGemm(file = WASM_PATH): Gemm | undefined {
  if (!existsSync(file)) return undefined;
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const module = new wasm.Module(readFileSync(file));
  if (!wasm.Module.imports(module).some((i) => i.module === 'env' && i.name === 'memory')) {
    throw new Error(`${file} is an older build (its memory is not imported): rebuild it with bash host/train/wasm/build.sh`);
  }
  return wasmEngine(module, wasm, []);
}

let cached: Gemm | undefined;
/** The fastest available implementation (wasm SIMD when built, else JS). */
export function defaultGemm(): Gemm {
  cached ??= loadWasmGemm() ?? jsGemm;
  return cached;
}
