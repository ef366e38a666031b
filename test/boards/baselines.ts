/**
 * The int8 and float32 baselines of the board benchmark (boards/bench/har_baselines.c):
 * their weight blobs, built from the trained HAR model's expanded ±1 tiles, and
 * TypeScript versions of both kernels that read the same blobs, so a test can
 * check that the C baselines compute what they claim to.
 */
import type { FloatModel, WeightLayer } from '../../host/model/float-model.ts';
import { rng } from '../../host/format/random-model.ts';

/** Full ±1 weights of a weight layer, (out, kh, kw, in) order. */
export function fullWeights(l: WeightLayer): number[] {
  const q = l.tile.length;
  const n = q * l.p;
  return Array.from({ length: n }, (_, j) => l.tile[j % q]!);
}

export function weightLayers(fm: FloatModel): WeightLayer[] {
  return fm.layers.filter((l): l is WeightLayer => l.kind === 'dense' || l.kind === 'conv1d' || l.kind === 'conv2d');
}

/** Weights blob of boards/bench/har_baselines.c, int8 flavour. */
export function int8Weights(fm: FloatModel): Uint8Array {
  const parts: number[] = [];
  const pushI32 = (v: number): void => {
    parts.push(v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255);
  };
  const layers = weightLayers(fm);
  layers.forEach((l, i) => {
    const w = fullWeights(l);
    for (const v of w) parts.push(v & 255);
    while (parts.length % 4) parts.push(0);
    const N = l.outShape[2];
    const K = l.kernel[0] * l.kernel[1] * l.inShape[2];
    const last = i === layers.length - 1;
    // Requantise acc (|acc| <= 127 K) into 0..127: multiplier 2^16 * 4 / K, shift 16.
    for (let o = 0; o < N; o++) pushI32(last ? 1 : Math.max(1, Math.round((65536 * 4) / K)));
    for (let o = 0; o < N; o++) pushI32(0);
  });
  return Uint8Array.from(parts);
}

/** Weights blob of boards/bench/har_baselines.c, float32 flavour (±α weights, BN folded to scale/bias). */
export function f32Weights(fm: FloatModel): Uint8Array {
  const vals: number[] = [];
  for (const l of weightLayers(fm)) {
    const w = fullWeights(l);
    const N = l.outShape[2];
    const perCopy = w.length / (l.alpha.length || 1);
    w.forEach((v, j) => vals.push(v * l.alpha[Math.floor(j / perCopy)]!));
    for (let o = 0; o < N; o++) {
      const s = l.bn ? l.bn.gamma[o]! / Math.sqrt(l.bn.variance[o]! + l.bn.eps) : 1;
      vals.push(s);
    }
    for (let o = 0; o < N; o++) {
      const s = l.bn ? l.bn.gamma[o]! / Math.sqrt(l.bn.variance[o]! + l.bn.eps) : 1;
      vals.push(l.bn ? l.bn.beta[o]! - l.bn.mean[o]! * s + (l.bias?.[o] ?? 0) * s : (l.bias?.[o] ?? 0));
    }
  }
  return new Uint8Array(Float32Array.from(vals).buffer);
}


/** The HAR shapes the C baselines are written for (boards/bench/har_baselines.c). */
const T0 = 128, C0 = 6, KW = 5, C1 = 32, C2 = 64, C3 = 64, NCLS = 5;
const align4 = (n: number): number => (n + 3) & ~3;

function convI8(x: Int8Array, tIn: number, cIn: number, blob: DataView, off: number, cOut: number): { y: Int8Array; bytes: number } {
  const tOut = tIn - KW + 1;
  const K = KW * cIn;
  const wBytes = align4(cOut * K);
  const y = new Int8Array(tOut * cOut);
  for (let t = 0; t < tOut; t++) {
    for (let o = 0; o < cOut; o++) {
      let acc = 0;
      for (let e = 0; e < K; e++) acc += blob.getInt8(off + o * K + e) * x[t * cIn + e]!;
      const m = blob.getInt32(off + wBytes + 4 * o, true);
      const b = blob.getInt32(off + wBytes + 4 * (cOut + o), true);
      const v = (Math.imul(acc, m) + b) | 0;
      const s = v >> 16;
      y[t * cOut + o] = s < 0 ? 0 : s > 127 ? 127 : s;
    }
  }
  return { y, bytes: wBytes + 8 * cOut };
}

/** What bench_int8_run computes: int32 logits. */
export function int8BaselineReference(weights: Uint8Array, input: Int8Array): Int32Array {
  const dv = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  let off = 0;
  const l0 = convI8(input, T0, C0, dv, off, C1);
  off += l0.bytes;
  const l1 = convI8(l0.y, T0 - 4, C1, dv, off, C2);
  off += l1.bytes;
  const t2 = T0 - 8;
  const pooled = new Int8Array((t2 / 2) * C2);
  for (let t = 0; t < t2 / 2; t++) for (let c = 0; c < C2; c++) pooled[t * C2 + c] = Math.max(l1.y[2 * t * C2 + c]!, l1.y[(2 * t + 1) * C2 + c]!);
  const l3 = convI8(pooled, t2 / 2, C2, dv, off, C3);
  off += l3.bytes;
  const t4 = t2 / 2 - 4;
  const sum = new Int32Array(C3);
  for (let t = 0; t < t4; t++) for (let c = 0; c < C3; c++) sum[c]! += l3.y[t * C3 + c]!;
  const wBytes = align4(NCLS * C3);
  const logits = new Int32Array(NCLS);
  for (let o = 0; o < NCLS; o++) {
    let acc = 0;
    for (let c = 0; c < C3; c++) acc = (acc + Math.imul(dv.getInt8(off + o * C3 + c), sum[c]!)) | 0;
    logits[o] = (Math.imul(acc, dv.getInt32(off + wBytes + 4 * o, true)) + dv.getInt32(off + wBytes + 4 * (NCLS + o), true)) | 0;
  }
  return logits;
}

function convF32(x: Float32Array, tIn: number, cIn: number, w: Float32Array, off: number, cOut: number): { y: Float32Array; words: number } {
  const f = Math.fround;
  const tOut = tIn - KW + 1;
  const K = KW * cIn;
  const y = new Float32Array(tOut * cOut);
  const scale = off + cOut * K;
  for (let t = 0; t < tOut; t++) {
    for (let o = 0; o < cOut; o++) {
      let acc = 0;
      for (let e = 0; e < K; e++) acc = f(acc + f(w[off + o * K + e]! * x[t * cIn + e]!));
      const v = f(f(acc * w[scale + o]!) + w[scale + cOut + o]!);
      y[t * cOut + o] = v > 0 ? v : 0;
    }
  }
  return { y, words: cOut * K + 2 * cOut };
}

/** What bench_f32_run computes: the float logits' bit patterns as int32. */
export function f32BaselineReference(weights: Uint8Array, input: Float32Array): Int32Array {
  const f = Math.fround;
  const w = new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
  let off = 0;
  const l0 = convF32(input, T0, C0, w, off, C1);
  off += l0.words;
  const l1 = convF32(l0.y, T0 - 4, C1, w, off, C2);
  off += l1.words;
  const t2 = T0 - 8;
  const pooled = new Float32Array((t2 / 2) * C2);
  for (let t = 0; t < t2 / 2; t++)
    for (let c = 0; c < C2; c++) {
      const p = l1.y[2 * t * C2 + c]!, q = l1.y[(2 * t + 1) * C2 + c]!;
      pooled[t * C2 + c] = p > q ? p : q;
    }
  const l3 = convF32(pooled, t2 / 2, C2, w, off, C3);
  off += l3.words;
  const t4 = t2 / 2 - 4;
  const sum = new Float32Array(C3);
  for (let t = 0; t < t4; t++) for (let c = 0; c < C3; c++) sum[c] = f(sum[c]! + l3.y[t * C3 + c]!);
  const out = new Float32Array(NCLS);
  for (let o = 0; o < NCLS; o++) {
    let acc = 0;
    for (let c = 0; c < C3; c++) acc = f(acc + f(w[off + o * C3 + c]! * sum[c]!));
    out[o] = f(f(acc * w[off + NCLS * C3 + o]!) + w[off + NCLS * C3 + NCLS + o]!);
  }
  return new Int32Array(out.buffer);
}

/**
 * Weights blob of boards/bench/cmsis_har.c (the CMSIS-NN peer): random int8 filters for the HAR shapes (conv 6->32,
 * 32->64, 64->64, k5; dense 64->5), int32 biases, and requantisation (multiplier 2^30, i.e. 0.5, and a per-layer
 * right shift that keeps the outputs in range). Seeded: the same blob on every run.
 */
export function cmsisWeights(seed = 15): Uint8Array {
  const r = rng(seed);
  const parts: number[] = [];
  const pushI32 = (v: number): void => {
    parts.push(v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255);
  };
  const convs: Array<[number, number]> = [[6, 32], [32, 64], [64, 64]];
  for (const [cin, cout] of convs) {
    for (let i = 0; i < cout * 5 * cin; i++) parts.push(Math.floor(r() * 256) & 255);
    while (parts.length % 4) parts.push(0);
    for (let o = 0; o < cout; o++) pushI32(Math.floor(r() * 2001) - 1000);
    for (let o = 0; o < cout; o++) pushI32(1 << 30);
    // shift: the accumulator of K = 5 cin values, |acc| up to ~127 * 127 * sqrt(K), back to int8
    const shift = -Math.round(Math.log2(127 * Math.sqrt(5 * cin)));
    for (let o = 0; o < cout; o++) pushI32(shift);
  }
  for (let i = 0; i < 5 * 64; i++) parts.push(Math.floor(r() * 256) & 255);
  while (parts.length % 4) parts.push(0);
  for (let o = 0; o < 5; o++) pushI32(Math.floor(r() * 2001) - 1000);
  pushI32(1 << 30);
  pushI32(-Math.round(Math.log2(127 * 8)));
  return Uint8Array.from(parts);
}
