/**
 * FloatModel -> .tbn: folds α, bias, BatchNorm and the input step of every
 * layer into integer thresholds + flip bits (sign layers) or multiplier, bias
 * and shift (ReLU and final layers), as native-modules/tbn_format.h defines.
 *
 * Real value of an integer activation = step * integer, where the step is the
 * input scale for the model input, 1 for BIN (+1/-1), a ReLU layer's outScale
 * for its I8 output, and the input step / (h*w) after a GAP (which sums).
 * A weight layer's pre-activation is then y = A*acc + c per channel with
 *   A = g * α * step_in,  c = g * (bias - μ) + β,  g = γ / sqrt(var + eps)
 * (g = 1, c = bias without BatchNorm).
 */
import { TbnError } from '../errors.ts';
import type { FloatModel, WeightLayer } from '../model/float-model.ts';
import { weightGeometry, wordsPerPosition } from './layout.ts';
import type { LayerContent, ModelContent, Shape } from './model.ts';
import type { TypeName } from './spec.ts';
import { writeModel } from './writer.ts';

export interface PackOptions {
  /** false: do not set TBN_LF_REUSE (for benchmarks; same integers). Default true. */
  reuse?: boolean;
  /**
   * Declare a first dense layer over the flattened input (1, 1, h*w*c) with quant_count = c,
   * so its rows are padded once per row. Default true, for image inputs (h > 1) only: sensor
   * windows (h = 1) keep (1, window, channels), which devices read as window length and channels.
   */
  reshapeInput?: boolean;
  /**
   * Store the input channel names, units and sample rate the model was trained with (header flags
   * TBN_HF_CHANNELS / TBN_HF_RATE). Default true; false writes a file kernels older than the channel
   * table also load.
   */
  inputInfo?: boolean;
}

const INT32_MAX = 2 ** 31 - 1;

function fail(message: string): never {
  throw new TbnError('E_PACK', message);
}

function finite(v: number, what: string): number {
  if (!Number.isFinite(v)) fail(`${what} is ${v}; a model with non-finite parameters cannot be packed`);
  return v;
}

/** +1 iff y = A*acc + c > 0 (the float sign: 0 -> -1), as (acc >= T) XOR flip over acc in [lo, hi]. */
export function foldThreshold(A: number, c: number, lo: number, hi: number): { T: number; flip: boolean } {
  if (A === 0) return { T: lo, flip: !(c > 0) };
  // With A > 0, "y > 0" is false then true as acc grows: T = the first acc where it holds (hi + 1: never).
  // With A < 0 it is true then false: T = the first acc where it fails, and flip. Found by bisection on the
  // same double evaluation as the decision, so rounding in -c/A cannot move the boundary.
  const flip = A < 0;
  const holds = (acc: number) => (A * acc + c > 0) !== flip;
  let a = lo;
  let b = hi + 1;
  while (a < b) {
    const mid = Math.floor((a + b) / 2);
    if (holds(mid)) b = mid;
    else a = mid + 1;
  }
  return { T: a, flip };
}

/**
 * Integer requantisation v = floor((acc*M + B) / 2^s) ~ round(a*acc + b) for acc in [-R, R], with the largest
 * shift for which acc*M + B stays inside int32 for every channel.
 */
export function foldRequant(a: number[], b: number[], R: number, what: string): { M: Int32Array; B: Int32Array; shift: number } {
  for (let s = 31; s >= 0; s--) {
    const M = new Int32Array(a.length);
    const B = new Int32Array(a.length);
    let ok = true;
    for (let o = 0; o < a.length && ok; o++) {
      const m = Math.round((a[o] as number) * 2 ** s);
      const bb = Math.round((b[o] as number) * 2 ** s + (s > 0 ? 2 ** (s - 1) : 0));
      if (Math.abs(m) * R + Math.abs(bb) > INT32_MAX) ok = false;
      M[o] = m;
      B[o] = bb;
    }
    if (ok) return { M, B, shift: s };
  }
  return fail(`${what}: the requantisation does not fit int32 even with shift 0 (output step too small for the accumulator range ±${R})`);
}

/** Logits need only their order: scale by the largest power of two that keeps acc*M + B inside int32, shift 0. */
export function foldLogits(A: number[], c: number[], R: number): { M: Int32Array; B: Int32Array; shift: number; scale: number } {
  const worst = Math.max(0, ...A.map((a, o) => Math.abs(a) * R + Math.abs(c[o] as number)));
  let k = worst > 0 ? Math.floor(Math.log2(INT32_MAX / worst)) : 0;
  for (;; k--) {
    const lambda = 2 ** k;
    const M = Int32Array.from(A, (a) => Math.round(a * lambda));
    const B = Int32Array.from(c, (v) => Math.round(v * lambda));
    if (M.every((m, o) => Math.abs(m) * R + Math.abs(B[o] as number) <= INT32_MAX)) return { M, B, shift: 0, scale: lambda };
  }
}

/** Packs the ±1 tile (row-major over (out, kh, kw, in)) into ROWS or STREAM words. */
export function packTile(tile: ArrayLike<number>, inC: number, outC: number, kernel: [number, number], p: number): Uint32Array {
  const g = weightGeometry(inC, outC, kernel, p);
  const words = new Uint32Array(g.tileWords);
  const set = (word: number, bit: number) => {
    words[word] = ((words[word] as number) | (1 << bit)) >>> 0;
  };
  if (g.rows) {
    const cw = wordsPerPosition(inC);
    for (let r = 0; r < g.rowCount; r++) {
      for (let e = 0; e < g.K; e++) {
        if (tile[r * g.K + e] !== -1) continue;
        const pos = Math.floor(e / inC);
        const ch = e % inC;
        set(r * g.rowWords + pos * cw + (ch >>> 5), ch & 31);
      }
    }
  } else {
    for (let j = 0; j < g.q; j++) if (tile[j] === -1) set(j >>> 5, j & 31);
  }
  return words;
}

function shapeText(s: readonly number[]): string {
  return `(${s.join(', ')})`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === 3 && b.length === 3 && a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

/**
 * The ROWS layout pads every input position to whole 32-bit words. A first
 * dense layer over a spatial input is declared over the flattened input
 * (1, 1, h*w*c) instead, same element order, with quant_count = c pairs, so a
 * filter row is padded once, not once per position.
 */
function firstDenseInput(fm: FloatModel): Shape {
  const [h, w, c] = fm.input.shape;
  return [1, 1, h * w * c];
}

export function foldModel(fm: FloatModel, opts: PackOptions = {}): ModelContent {
  if (!fm || fm.kind !== 'tbn-float-model' || fm.version !== 1) fail('not a tbn float model (kind "tbn-float-model", version 1)');
  const layers = fm.layers;
  if (!Array.isArray(layers) || layers.length === 0) fail('the model has no layers');
  if (layers.length > 64) fail(`the model has ${layers.length} layers; the format holds at most 64`);
  const [h, w, c] = fm.input.shape;
  if (![h, w, c].every((d) => Number.isInteger(d) && d >= 1 && d <= 65535)) fail(`input shape ${shapeText(fm.input.shape)} is not valid`);
  if (fm.input.mean.length !== c || fm.input.std.length !== c) fail(`input standardisation has ${fm.input.mean.length} means and ${fm.input.std.length} stds for ${c} channels`);
  if (!(fm.input.scale > 0)) fail(`input scale ${fm.input.scale} must be positive`);
  if (fm.classes.length < 1 || fm.classes.length > 1024) fail(`${fm.classes.length} classes; the format holds 1..1024`);
  fm.classes.forEach((name, k) => {
    const bytes = new TextEncoder().encode(name).length;
    if (bytes > 63 || name.includes('\0')) fail(`class label ${k} "${name}" is ${bytes} bytes or holds a NUL; labels are at most 63 UTF-8 bytes`);
  });
  layers.forEach((l, i) => {
    if ((l.kind === 'dense' || l.kind === 'conv1d' || l.kind === 'conv2d') && l.floatWeights) {
      fail(`layer ${i} (${l.kind}) has float weights: an FP32 baseline model cannot be packed (train a bnn or tbn variant)`);
    }
  });

  let inShape: Shape = [h, w, c];
  const first = layers[0];
  if (first && first.kind === 'dense' && h > 1 && opts.reshapeInput !== false && h * w * c <= 65535) inShape = firstDenseInput(fm);
  const quantMul = new Float32Array(c);
  const quantAdd = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const std = finite(fm.input.std[j % c] as number, `input std of channel ${j % c}`);
    const mean = finite(fm.input.mean[j % c] as number, `input mean of channel ${j % c}`);
    if (!(std > 0)) fail(`input std of channel ${j % c} is ${std}; it must be positive`);
    quantMul[j] = Math.fround(1 / (std * fm.input.scale));
    quantAdd[j] = Math.fround(-mean / (std * fm.input.scale));
  }

  // Current activation: element type, real step per integer unit, largest |integer|, shape.
  let type: TypeName = 'i8';
  let step = fm.input.scale;
  let bound = 128;
  let shape: Shape = inShape;
  const out: LayerContent[] = [];
  layers.forEach((l, i) => {
    const where = `layer ${i} (${l.kind})`;
    const declaredIn = i === 0 ? fm.input.shape : (layers[i - 1] as (typeof layers)[number]).outShape;
    if (!sameShape(l.inShape, declaredIn)) fail(`${where}: input shape ${shapeText(l.inShape)} disagrees with ${i === 0 ? 'the model input' : `layer ${i - 1}'s output`} ${shapeText(declaredIn)}`);
    const isLast = i === layers.length - 1;
    if (l.kind === 'maxpool') {
      if (isLast) fail(`${where}: the last layer must be a dense or conv classifier`);
      out.push({
        kind: 'maxpool', inType: type, outType: type, inShape: shape, outShape: [...l.outShape], kernel: [...l.kernel], stride: [...l.stride],
        p: 0, reuse: false, t16: false, shift: 0, tile: new Uint32Array(0), thresholds: new Int32Array(0), flips: new Uint32Array(0), biases: new Int32Array(0),
      });
      shape = [...l.outShape];
      return;
    }
    if (l.kind === 'gap') {
      if (isLast) fail(`${where}: the last layer must be a dense or conv classifier`);
      const positions = shape[0] * shape[1];
      out.push({
        kind: 'gap', inType: type, outType: 'i32', inShape: shape, outShape: [1, 1, shape[2]], kernel: [0, 0], stride: [0, 0],
        p: 0, reuse: false, t16: false, shift: 0, tile: new Uint32Array(0), thresholds: new Int32Array(0), flips: new Uint32Array(0), biases: new Int32Array(0),
      });
      step = step / positions;
      bound = bound * positions;
      type = 'i32';
      shape = [1, 1, shape[2]];
      return;
    }
    if (l.kind !== 'dense' && l.kind !== 'conv1d' && l.kind !== 'conv2d') fail(`${where}: unknown layer kind`);
    // A re-declared first dense input keeps the same flattened order: the filter covers it all.
    const kernel: [number, number] = l.kind === 'dense' ? [shape[0], shape[1]] : [...l.kernel];
    const stride: [number, number] = l.kind === 'dense' ? [1, 1] : [...l.stride];
    const inC = shape[2];
    const N = l.outShape[2];
    const K = kernel[0] * kernel[1] * inC;
    if (K !== l.kernel[0] * l.kernel[1] * l.inShape[2]) fail(`${where}: filter size disagrees with its input`);
    const n = N * K;
    const p = l.p;
    if (!Number.isInteger(p) || p < 1 || n % p !== 0 || p > 65535) fail(`${where}: p = ${p} does not divide its ${n} weights`);
    const q = n / p;
    if (l.tile.length !== q) fail(`${where}: the tile has ${l.tile.length} values, p = ${p} needs ${q}`);
    if (!l.tile.every((t) => t === 1 || t === -1)) fail(`${where}: the tile holds values other than +1/-1`);
    if (l.alpha.length !== 1 && l.alpha.length !== p) fail(`${where}: ${l.alpha.length} α values; expected 1 or p = ${p}`);
    const R = K * bound;
    if (R > INT32_MAX) fail(`${where}: the accumulator range ±${R} does not fit int32`);
    const alphaOf = (o: number): number => {
      if (l.alpha.length === 1) return finite(l.alpha[0] as number, `${where} α`);
      const first = Math.floor((o * K) / q);
      const lastChunk = Math.floor((o * K + K - 1) / q);
      for (let k = first + 1; k <= lastChunk; k++) {
        if (l.alpha[k] !== l.alpha[first]) {
          fail(`${where}: output channel ${o} spans tile copies ${first}..${lastChunk} with different α (p = ${p} does not divide N = ${N}); use one α per layer or a p that divides the output channels`);
        }
      }
      return finite(l.alpha[first] as number, `${where} α`);
    };
    const A: number[] = [];
    const C: number[] = [];
    for (let o = 0; o < N; o++) {
      let g = 1;
      let cc = l.bias ? finite(l.bias[o] as number, `${where} bias ${o}`) : 0;
      if (l.bn) {
        const v = finite(l.bn.variance[o] as number, `${where} BN variance ${o}`) + l.bn.eps;
        if (!(v > 0)) fail(`${where}: BN variance + eps of channel ${o} is ${v}`);
        g = finite(l.bn.gamma[o] as number, `${where} BN gamma ${o}`) / Math.sqrt(v);
        cc = g * (cc - finite(l.bn.mean[o] as number, `${where} BN mean ${o}`)) + finite(l.bn.beta[o] as number, `${where} BN beta ${o}`);
      }
      A.push(finite(g * alphaOf(o) * step, `${where} folded scale of channel ${o}`));
      C.push(finite(cc, `${where} folded offset of channel ${o}`));
    }
    const rows = N % p === 0;
    const base = {
      kind: l.kind, inType: type, inShape: shape, outShape: [...l.outShape] as Shape, kernel, stride, p,
      reuse: rows && opts.reuse !== false, tile: packTile(l.tile, inC, N, kernel, p),
    };
    if (l.activation === 'sign') {
      if (isLast) fail(`${where}: the last layer has a sign activation; it must output logits (activation none)`);
      const thresholds = new Int32Array(N);
      const flips = new Uint32Array(wordsPerPosition(N));
      for (let o = 0; o < N; o++) {
        const { T, flip } = foldThreshold(A[o] as number, C[o] as number, -R, R);
        thresholds[o] = T;
        if (flip) flips[o >>> 5] = ((flips[o >>> 5] as number) | (1 << (o & 31))) >>> 0;
      }
      const t16 = thresholds.every((t) => t >= -32768 && t <= 32767);
      out.push({ ...base, outType: 'bin', t16, shift: 0, thresholds, flips, biases: new Int32Array(0) });
      type = 'bin';
      step = 1;
      bound = 1;
    } else if (l.activation === 'relu') {
      if (isLast) fail(`${where}: the last layer has a ReLU; it must output logits (activation none)`);
      const s = l.outScale;
      if (s === undefined || !(s > 0) || !Number.isFinite(s)) fail(`${where}: ReLU layer without a positive outScale (the int8 step of its output); retrain with a current tbn`);
      const r = foldRequant(A.map((a) => a / s), C.map((v) => v / s), R, where);
      out.push({ ...base, outType: 'i8', t16: false, shift: r.shift, thresholds: r.M, flips: new Uint32Array(0), biases: r.B });
      type = 'i8';
      step = s;
      bound = 128;
    } else {
      if (!isLast) fail(`${where}: a hidden layer without activation cannot be packed (only the last layer outputs raw logits)`);
      if (N !== fm.classes.length || l.outShape[0] !== 1 || l.outShape[1] !== 1) fail(`${where}: the last layer outputs ${shapeText(l.outShape)}, expected (1, 1, ${fm.classes.length}) logits`);
      const r = foldLogits(A, C, R);
      out.push({ ...base, outType: 'i32', t16: false, shift: r.shift, thresholds: r.M, flips: new Uint32Array(0), biases: r.B });
      type = 'i32';
    }
    shape = [...l.outShape];
  });
  const info = opts.inputInfo === false ? {} : inputInfo(fm);
  return { inShape, quantMul, quantAdd, classes: [...fm.classes], ...info, layers: out };
}

/** The table is for sensor channels: a wide tabular input's names (hundreds of columns) stay in the checkpoint, not in device flash. */
export const MAX_CHANNEL_TABLE_BYTES = 1024;

/** Bytes of one channel table entry "name<TAB>unit" (the format allows 63). */
const entryBytes = (name: string, unit: string) => new TextEncoder().encode(unit === '' ? name : `${name}\t${unit}`).length;

/**
 * The channel names and units and the sample rate a model was trained with, when the float model
 * has them and the format can hold them (one name per channel, each entry at most 63 bytes, no TAB
 * or NUL in a name, at most MAX_CHANNEL_TABLE_BYTES in all); otherwise no table is stored.
 */
export function inputInfo(fm: FloatModel): Pick<ModelContent, 'channels' | 'rateHz'> {
  const c = fm.input.shape[2];
  const names = Array.isArray(fm.channels) ? fm.channels : [];
  const units = Array.isArray(fm.units) && fm.units.length === names.length ? fm.units : undefined;
  const out: Pick<ModelContent, 'channels' | 'rateHz'> = {};
  const storable =
    names.length === c &&
    names.every((n, i) => typeof n === 'string' && !/[\t\0]/.test(n) && !(units?.[i] ?? '').includes('\0') && entryBytes(n, units?.[i] ?? '') <= 63) &&
    names.reduce((sum, n, i) => sum + entryBytes(n, units?.[i] ?? '') + 1, 0) <= MAX_CHANNEL_TABLE_BYTES;
  if (storable) out.channels = names.map((name, i) => ({ name, unit: units?.[i] ?? '' }));
  const rate = fm.input.rateHz;
  if (rate !== undefined && Number.isFinite(rate) && rate >= 0.001 && rate <= 4e6) out.rateHz = rate;
  return out;
}

/** FloatModel -> .tbn bytes. */
export function packModel(fm: FloatModel, opts: PackOptions = {}): Uint8Array {
  return writeModel(foldModel(fm, opts));
}
