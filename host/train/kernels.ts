/**
 * The three matrix products the trainer needs, row-major Float32Array:
 *   nt: C[M,N]  = A[M,K] * B[N,K]^T   (forward)
 *   nn: C[M,K]  = A[M,N] * B[N,K]     (input gradient)
 *   tn: C[N,K] += A[M,N]^T * B[M,K]   (weight gradient, accumulates)
 * A WebAssembly SIMD build (host/train/wasm/build.sh -> build/train/gemm.wasm)
 * is used when present; otherwise plain JS loops. Both are deterministic.
 */
import { existsSync, readFileSync } from 'node:fs';
import { packagePath } from '../package-root.ts';

export interface Gemm {
  name: 'wasm-simd' | 'js';
  nt(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  nn(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  tn(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
}

export const jsGemm: Gemm = {
  name: 'js',
  nt(a, b, c, m, n, k) {
    for (let i = 0; i < m; i++) {
      const ar = i * k;
      const cr = i * n;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let e = 0; e < k; e++) {
          const av = a[ar + e] as number;
          s0 += av * (b[b0 + e] as number);
          s1 += av * (b[b1 + e] as number);
          s2 += av * (b[b2 + e] as number);
          s3 += av * (b[b3 + e] as number);
        }
        c[cr + j] = s0;
        c[cr + j + 1] = s1;
        c[cr + j + 2] = s2;
        c[cr + j + 3] = s3;
      }
      for (; j < n; j++) {
        const br = j * k;
        let s = 0;
        for (let e = 0; e < k; e++) s += (a[ar + e] as number) * (b[br + e] as number);
        c[cr + j] = s;
      }
    }
  },
  nn(a, b, c, m, n, k) {
    c.fill(0, 0, m * k);
    for (let i = 0; i < m; i++) {
      const cr = i * k;
      for (let j = 0; j < n; j++) {
        const av = a[i * n + j] as number;
        if (av === 0) continue;
        const br = j * k;
        for (let e = 0; e < k; e++) c[cr + e] = (c[cr + e] as number) + av * (b[br + e] as number);
      }
    }
  },
  tn(a, b, c, m, n, k) {
    for (let j = 0; j < n; j++) {
      const cr = j * k;
      for (let i = 0; i < m; i++) {
        const av = a[i * n + j] as number;
        if (av === 0) continue;
        const br = i * k;
        for (let e = 0; e < k; e++) c[cr + e] = (c[cr + e] as number) + av * (b[br + e] as number);
      }
    }
  },
};

export const WASM_PATH = packagePath('build', 'train', 'gemm.wasm');

type Fn = (a: number, b: number, c: number, m: number, n: number, k: number) => void;

/** The slice of the WebAssembly JS API used here (the ES2022 lib has no typings for it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** Loads the wasm build; undefined when it has not been built. */
export function loadWasmGemm(file = WASM_PATH): Gemm | undefined {
  if (!existsSync(file)) return undefined;
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const instance = new wasm.Instance(new wasm.Module(readFileSync(file)), {});
  const memory = instance.exports.memory as WasmMemory;
  const fns = instance.exports as unknown as { gemm_nt: Fn; gemm_nn: Fn; gemm_tn: Fn };
  const base = 1 << 20; // above the C stack and data
  const place = (bytes: number): void => {
    const need = base + bytes - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536));
  };
  const call = (fn: Fn, a: Float32Array, aLen: number, b: Float32Array, bLen: number, c: Float32Array, cLen: number, copyC: boolean, m: number, n: number, k: number): void => {
    const aOff = base;
    const bOff = aOff + aLen * 4;
    const cOff = bOff + bLen * 4;
    place(aLen * 4 + bLen * 4 + cLen * 4);
    const heap = new Float32Array(memory.buffer);
    heap.set(a.subarray(0, aLen), aOff >> 2);
    heap.set(b.subarray(0, bLen), bOff >> 2);
    if (copyC) heap.set(c.subarray(0, cLen), cOff >> 2);
    fn(aOff, bOff, cOff, m, n, k);
    c.set(new Float32Array(memory.buffer, cOff, cLen));
  };
  return {
    name: 'wasm-simd',
    nt: (a, b, c, m, n, k) => call(fns.gemm_nt, a, m * k, b, n * k, c, m * n, false, m, n, k),
    nn: (a, b, c, m, n, k) => call(fns.gemm_nn, a, m * n, b, n * k, c, m * k, false, m, n, k),
    tn: (a, b, c, m, n, k) => call(fns.gemm_tn, a, m * n, b, m * k, c, n * k, true, m, n, k),
  };
}

let cached: Gemm | undefined;
/** The fastest available implementation (wasm SIMD when built, else JS). */
export function defaultGemm(): Gemm {
  cached ??= loadWasmGemm() ?? jsGemm;
  return cached;
}
