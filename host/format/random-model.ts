/**
 * Random valid .tbn models and inputs for bit-exact cross-target tests.
 * Deterministic in the seed. Shapes stay small (typically < 20k MACs) so
 * hundreds of cases run quickly in C and on emulated MCUs, while covering
 * every layer kind, element type, layout and flag of tbn_format.h.
 */
import { isWeightKind, weightGeometry, wordsPerPosition } from './layout.ts';
import type { LayerContent, ModelContent, PackedModel, Shape } from './model.ts';
import { TBN, type TypeName } from './spec.ts';
import { seededRandom } from '../random.ts';
import { writeModel } from './writer.ts';

/** Seeded uniform [0, 1) generator (mulberry32, shared with the data splits). */
export const rng = seededRandom;

export interface RandomModelOptions {
  /** Soft budget of multiply-accumulates per inference (default 20000). */
  maxMacs?: number;
  /** Hidden layers before the final dense, 0..maxHidden (default 4). */
  maxHidden?: number;
  /**
   * Hidden weight layers all output BIN with N = p * R channels (R up to 34,
   * p in 2..8) and reuse on: the shapes of the kernel's reuse fast path.
   */
  binReuse?: boolean;
  /** Give about half the seeds a channel table and half a sample rate (default false: files as before the table existed). */
  inputInfo?: boolean;
  /**
   * The first layer is an int8-input conv1d with 1..16 channels, kernel 1..9
   * and stride 1 mostly (the shapes of sensor windows and of the kernel's
   * int8 first-layer paths); the layers after it are drawn as usual.
   */
  i8Conv1dFirst?: boolean;
}

function divisors(n: number): number[] {
  const d: number[] = [];
  for (let i = 1; i * i <= n; i++) {
    if (n % i === 0) {
      d.push(i);
      if (i * i !== n) d.push(n / i);
    }
  }
  return d.sort((a, b) => a - b);
}

export function randomModelContent(seed: number, opts: RandomModelOptions = {}): ModelContent {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const chance = (p: number) => r() < p;
  const maxMacs = opts.maxMacs ?? 20000;
  const maxHidden = opts.maxHidden ?? 4;

  const mode = pick(['dense', 'conv1d', 'conv2d'] as const);
  let shape: Shape =
    mode === 'dense' ? [1, 1, int(1, 80)] : mode === 'conv1d' ? [1, int(3, 24), int(1, 40)] : [int(3, 9), int(3, 9), int(1, 6)];
  const inShape = shape;
  let type: TypeName = 'i8';
  // Largest |value| of the current tensor, to keep random thresholds near the reachable range.
  let bound = 128;
  const layers: LayerContent[] = [];
  const hidden = int(0, maxHidden);
  const budget = maxMacs / (hidden + 1);

  const windowFor = (kind: 'dense' | 'conv1d' | 'conv2d'): { kernel: [number, number]; stride: [number, number] } => {
    const [h, w] = shape;
    if (kind === 'dense') return { kernel: [h, w], stride: [1, 1] };
    if (kind === 'conv1d') return { kernel: [1, int(1, Math.min(w, 6))], stride: [1, int(1, 3)] };
    return { kernel: [int(1, Math.min(h, 4)), int(1, Math.min(w, 4))], stride: [int(1, 2), int(1, 2)] };
  };

  const weightLayer = (kind: 'dense' | 'conv1d' | 'conv2d', outType: TypeName, outC: number, kernel: [number, number], stride: [number, number], forceP = 0): LayerContent => {
    const [h, w, c] = shape;
    const outShape: Shape = [Math.floor((h - kernel[0]) / stride[0]) + 1, Math.floor((w - kernel[1]) / stride[1]) + 1, outC];
    const K = kernel[0] * kernel[1] * c;
    const n = outC * K;
    // p: 1, a divisor of N (ROWS), or a divisor of n that does not divide N (STREAM).
    const all = divisors(n).filter((d) => d <= 64);
    const rowsPs = all.filter((d) => outC % d === 0);
    const streamPs = all.filter((d) => outC % d !== 0);
    const style = r();
    const p = forceP || (style < 0.2 ? 1 : style < 0.65 || streamPs.length === 0 ? pick(rowsPs) : pick(streamPs));
    const g = weightGeometry(c, outC, kernel, p);
    const tile = new Uint32Array(g.tileWords);
    for (let j = 0; j < tile.length; j++) tile[j] = Math.floor(r() * 4294967296) >>> 0;
    if (g.rows) {
      const cw = wordsPerPosition(c);
      if (c % 32 !== 0) for (let j = cw - 1; j < tile.length; j += cw) tile[j] = ((tile[j] as number) & ((1 << c % 32) - 1)) >>> 0;
    } else if (g.q % 32 !== 0) {
      tile[tile.length - 1] = ((tile[tile.length - 1] as number) & ((1 << g.q % 32) - 1)) >>> 0;
    }
    const spread = Math.max(1, Math.round(bound * Math.sqrt(K)));
    const thresholds = new Int32Array(outC);
    let flips = new Uint32Array(0);
    let biases = new Int32Array(0);
    let shift = 0;
    let t16 = false;
    if (outType === 'bin') {
      const wide = chance(0.15);
      for (let o = 0; o < outC; o++) thresholds[o] = wide ? int(-(2 ** 31), 2 ** 31 - 1) : int(-spread, spread);
      flips = new Uint32Array(wordsPerPosition(outC));
      for (let o = 0; o < outC; o++) if (chance(0.3)) flips[o >>> 5] = ((flips[o >>> 5] as number) | (1 << (o & 31))) >>> 0;
      t16 = thresholds.every((t) => t >= -32768 && t <= 32767) && chance(0.6);
    } else {
      biases = new Int32Array(outC);
      if (chance(0.6)) {
        // Sensible requantisation: outputs mostly in a useful range.
        shift = int(4, 16);
        const target = outType === 'i8' ? 64 : 1000;
        const mag = Math.max(1, Math.round((2 ** shift * target) / spread));
        for (let o = 0; o < outC; o++) {
          thresholds[o] = int(-mag, mag);
          biases[o] = int(-(2 ** shift) * target, 2 ** shift * target);
        }
      } else {
        // Wild: exercises 32-bit wrapping and every shift.
        shift = int(0, 31);
        for (let o = 0; o < outC; o++) {
          thresholds[o] = int(-(2 ** 31), 2 ** 31 - 1);
          biases[o] = int(-(2 ** 31), 2 ** 31 - 1);
        }
      }
    }
    return {
      kind, inType: type, outType, inShape: shape, outShape, kernel, stride, p, reuse: g.rows && (forceP > 0 || chance(0.7)), t16, shift,
      tile, thresholds, flips, biases,
    };
  };

  if (opts.i8Conv1dFirst) {
    shape = [1, int(9, 40), int(1, 16)];
    const kernel: [number, number] = [1, int(1, 9)];
    const stride: [number, number] = [1, chance(0.75) ? 1 : int(2, 3)];
    const outType: TypeName = pick(['bin', 'bin', 'bin', 'i8', 'i32'] as const);
    const positions = Math.floor((shape[1] - kernel[1]) / stride[1]) + 1;
    // a third of them with 16/32/64 channels of their own rows (p = 1): the HAR first layer's shape
    const whole = chance(0.35);
    const outC = whole ? pick([16, 32, 32, 64] as const) : Math.max(1, Math.min(int(1, 70), Math.floor(budget / (positions * kernel[1] * shape[2]))));
    const first = weightLayer('conv1d', outType, outC, kernel, stride, whole ? 1 : 0);
    layers.push(first);
    shape = first.outShape;
    bound = outType === 'bin' ? 1 : outType === 'i8' ? 128 : 1000;
    type = outType;
  }
  const inShapeFinal = opts.i8Conv1dFirst ? layers[0]!.inShape : inShape;
  for (let i = 0; i < hidden; i++) {
    const [h, w, c] = shape;
    const spatial = h * w > 1;
    const choice = r();
    let layer: LayerContent;
    if (spatial && choice < 0.15) {
      const kernel: [number, number] = [int(1, Math.min(h, 3)), int(1, Math.min(w, 3))];
      const stride: [number, number] = [int(1, 2), int(1, 2)];
      layer = {
        kind: 'maxpool', inType: type, outType: type, inShape: shape,
        outShape: [Math.floor((h - kernel[0]) / stride[0]) + 1, Math.floor((w - kernel[1]) / stride[1]) + 1, c],
        kernel, stride, p: 0, reuse: false, t16: false, shift: 0,
        tile: new Uint32Array(0), thresholds: new Int32Array(0), flips: new Uint32Array(0), biases: new Int32Array(0),
      };
    } else if (spatial && choice < 0.25) {
      layer = {
        kind: 'gap', inType: type, outType: 'i32', inShape: shape, outShape: [1, 1, c], kernel: [0, 0], stride: [0, 0],
        p: 0, reuse: false, t16: false, shift: 0,
        tile: new Uint32Array(0), thresholds: new Int32Array(0), flips: new Uint32Array(0), biases: new Int32Array(0),
      };
    } else {
      const kind: 'dense' | 'conv1d' | 'conv2d' = !spatial || chance(0.2) ? 'dense' : h === 1 ? 'conv1d' : 'conv2d';
      if (opts.binReuse) {
        const { kernel, stride } = windowFor(kind);
        const p = pick([2, 3, 4, 4, 5, 6, 8] as const);
        const rows = pick([16, 16, 32, 32, int(1, 34)] as const);
        layer = weightLayer(kind, 'bin', p * rows, kernel, stride, p);
        layers.push(layer);
        shape = layer.outShape;
        bound = 1;
        type = 'bin';
        continue;
      }
      const outType: TypeName = pick(['bin', 'bin', 'bin', 'i8', 'i8', 'i32'] as const);
      // Keep MACs within budget: out positions * N * K.
      const { kernel, stride } = windowFor(kind);
      const positions = (Math.floor((h - kernel[0]) / stride[0]) + 1) * (Math.floor((w - kernel[1]) / stride[1]) + 1);
      const perChannel = positions * kernel[0] * kernel[1] * c;
      const outC = Math.max(1, Math.min(int(1, 70), Math.floor(budget / perChannel)));
      layer = weightLayer(kind, outType, outC, kernel, stride);
    }
    layers.push(layer);
    shape = layer.outShape;
    if (layer.kind === 'gap') bound = bound * layer.inShape[0] * layer.inShape[1];
    else if (isWeightKind(layer.kind)) bound = layer.outType === 'bin' ? 1 : layer.outType === 'i8' ? 128 : 1000;
    type = layer.outType;
  }
  const classes = int(1, 12);
  const final = windowFor('dense');
  layers.push(weightLayer('dense', 'i32', classes, final.kernel, final.stride));
  // quant_count: one pair per channel mostly, sometimes fewer pairs shared cyclically.
  const quantDivisors = Array.from({ length: inShapeFinal[2] }, (_, k) => k + 1).filter((d) => inShapeFinal[2] % d === 0);
  const quantPick = r();
  const quantCount = quantPick < 0.6 ? inShapeFinal[2] : quantPick < 0.8 ? 1 : (quantDivisors[Math.floor(r() * quantDivisors.length)] as number);
  const quantMul = new Float32Array(quantCount);
  const quantAdd = new Float32Array(quantCount);
  for (let c = 0; c < quantCount; c++) {
    quantMul[c] = Math.fround(0.5 + r() * 50);
    quantAdd[c] = Math.fround((r() - 0.5) * 40);
  }
  const names = ['walk', 'run', 'sit', 'stand', 'é-class', 'up', 'down', 'left', 'right', 'jump', 'x', ''];
  return {
    inShape: inShapeFinal,
    quantMul,
    quantAdd,
    classes: Array.from({ length: classes }, (_, k) => `${names[k % names.length]}${k}`),
    ...(opts.inputInfo ? randomInputInfo(seed, quantCount) : {}),
    layers,
  };
}

/**
 * The optional channel table and sample rate for about half the seeds, from a generator of their own
 * so the rest of a seed's model stays what it was before the table existed.
 */
function randomInputInfo(seed: number, quantCount: number): Pick<ModelContent, 'channels' | 'rateHz'> {
  const r = rng((seed ^ 0x5ca1ab1e) >>> 0);
  const out: Pick<ModelContent, 'channels' | 'rateHz'> = {};
  const names = ['x_acc', 'y_gyro', 'ax', 'température', 'p', ''];
  const units = ['m/s2', 'rad/s', 'g', '°C', ''];
  if (r() < 0.5) out.channels = Array.from({ length: quantCount }, (_, k) => ({ name: `${names[Math.floor(r() * names.length)]}${k}`, unit: units[Math.floor(r() * units.length)] as string }));
  if (r() < 0.5) out.rateHz = [50, 100, 12.5, 0.001, 1000][Math.floor(r() * 5)] as number;
  return out;
}

/** A valid random .tbn file. */
export function randomPackedModel(seed: number, opts: RandomModelOptions = {}): Uint8Array {
  return writeModel(randomModelContent(seed, opts));
}

/**
 * A random input for `model`: f32 (mostly ordinary values around the
 * quantiser's range, with occasional NaN, infinities and exact rounding ties)
 * or int8 (the full -128..127 range).
 */
export function randomInput(seed: number, model: Pick<PackedModel, 'inShape' | 'quantMul' | 'quantAdd'>, kind: 'f32' | 'i8'): Float32Array | Int8Array {
  const r = rng(seed ^ 0x9e3779b9);
  const len = model.inShape[0] * model.inShape[1] * model.inShape[2];
  if (kind === 'i8') {
    const x = new Int8Array(len);
    for (let i = 0; i < len; i++) x[i] = Math.floor(r() * 256) - 128;
    return x;
  }
  const x = new Float32Array(len);
  // element i is quantised with pair i mod quant_count (fewer pairs than channels are shared cyclically)
  const q = model.quantMul.length;
  for (let i = 0; i < len; i++) {
    const u = r();
    const mul = model.quantMul[i % q] as number;
    const add = model.quantAdd[i % q] as number;
    if (u < 0.01) x[i] = NaN;
    else if (u < 0.02) x[i] = r() < 0.5 ? Infinity : -Infinity;
    else if (u < 0.1) x[i] = (Math.floor(r() * 300 - 150) + 0.5 - add) / mul; // near a rounding tie
    else x[i] = ((r() * 2 - 1) * 160 - add) / mul;
  }
  return x;
}


/**
 * Random int16 sensor counts for `model`: the full -32768..32767 range, with the two extremes and 0 in
 * about one element in ten.
 */
export function randomInt16Input(seed: number, model: Pick<PackedModel, 'inShape'>): Int16Array {
  const r = rng(seed ^ 0x85ebca6b);
  const len = model.inShape[0] * model.inShape[1] * model.inShape[2];
  const x = new Int16Array(len);
  for (let i = 0; i < len; i++) {
    const u = r();
    x[i] = u < 0.04 ? -32768 : u < 0.08 ? 32767 : u < 0.1 ? 0 : Math.floor(r() * 65536) - 32768;
  }
  return x;
}

/**
 * Random valid int16 input triples (tbn_format.h, INT16 INPUT) for `channels` channels: mostly ones a
 * sensor would get (a count scale mapping a few thousand counts onto the int8 range, an offset), and
 * about a third at the bounds (mult -32768/32767, add ±(2^30 - 1), shift 0 or 31).
 */
export function randomInt16Params(seed: number, channels: number): Int32Array {
  const r = rng(seed ^ 0xc2b2ae35);
  const addMax = TBN.TBN_I16_ADD_MAX;
  const multMax = TBN.TBN_I16_MULT_MAX;
  const per = TBN.TBN_I16_PARAMS_PER_CHANNEL;
  const out = new Int32Array(channels * per);
  for (let j = 0; j < channels; j++) {
    let t: [number, number, number];
    if (r() < 0.35) {
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
      t = [pick([-multMax - 1, multMax, 0, 1, -1]), pick([addMax, -addMax, 0]), pick([0, 31, 15])];
    } else {
      const shift = 10 + Math.floor(r() * 16);
      const countsPerStep = 2 ** (r() * 10); // 1..1024 counts per int8 step
      const mult = Math.round((r() < 0.5 ? 1 : -1) * 2 ** shift / countsPerStep);
      const add = Math.round((r() * 2 - 1) * 100 * 2 ** shift);
      t = [Math.max(-multMax - 1, Math.min(multMax, mult)), Math.max(-addMax, Math.min(addMax, add)), shift];
    }
    out.set(t, j * per);
  }
  return out;
}
