/**
 * Integer reference inference of a packed model: the ground truth every
 * target must match bit for bit. Activations are held exactly as a kernel
 * holds them (BIN bit-packed per position, I8, I32); weight layers use
 * XNOR-popcount on BIN input and add/subtract otherwise, with the p-fold row
 * reuse of TBN_LF_REUSE layers.
 */
import { TbnError } from '../errors.ts';
import { weightGeometry, wordsPerPosition } from '../format/layout.ts';
import type { PackedLayer, PackedModel } from '../format/model.ts';
import { quantizeInput, quantizeInt16 } from './quantize.ts';

export type Activations = { type: 'bin'; data: Uint32Array } | { type: 'i8'; data: Int8Array } | { type: 'i32'; data: Int32Array };

export interface ReferenceResult {
  logits: Int32Array;
  cls: number;
}

export interface ReferenceOptions {
  /** false: compute every output channel on its own even in REUSE layers (same integers). */
  reuse?: boolean;
  /** Receives each layer's output (for cross-target debugging). */
  trace?: (layer: number, out: Activations) => void;
}

export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** TBN_E_INPUT unless `length` is the model's in_h*in_w*in_c. */
function checkInputLength(model: PackedModel, length: number): void {
  const len = model.inShape[0] * model.inShape[1] * model.inShape[2];
  if (length !== len) throw new TbnError('TBN_E_INPUT', `input has ${length} values, the model takes ${len} (${model.inShape.join('x')})`);
}

export function checkInput(model: PackedModel, input: Float32Array | Int8Array): Int8Array {
  if (!(input instanceof Float32Array) && !(input instanceof Int8Array)) {
    throw new TbnError('TBN_E_INPUT', 'input must be a Float32Array or an Int8Array');
  }
  checkInputLength(model, input.length);
  return input instanceof Int8Array ? input : quantizeInput(input, model.quantMul, model.quantAdd);
}

/** argmax, lowest index on a tie. */
export function argmax(v: Int32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

export function runReference(model: PackedModel, input: Float32Array | Int8Array, opts: ReferenceOptions = {}): ReferenceResult {
  let act: Activations = { type: 'i8', data: checkInput(model, input) };
  for (const layer of model.layers) {
    act = runLayer(layer, act, opts.reuse !== false);
    opts.trace?.(layer.index, act);
  }
  const logits = act.data as Int32Array;
  return { logits, cls: argmax(logits) };
}

/** runReference on int16 sensor counts, requantised with the (mult, add, shift) triples of tbn_format.h (INT16 INPUT). */
export function runReferenceInt16(model: PackedModel, counts: Int16Array, params: Int32Array, opts: ReferenceOptions = {}): ReferenceResult {
  checkInputLength(model, counts.length);
  return runReference(model, quantizeInt16(counts, params, model.quantMul.length), opts);
}

function runLayer(l: PackedLayer, x: Activations, allowReuse: boolean): Activations {
  if (l.kind === 'maxpool') return maxpool(l, x);
  if (l.kind === 'gap') return gap(l, x);
  return weightLayer(l, x, allowReuse);
}

/** Row of filter o in the padded ROWS layout: RW words. For STREAM, gathered from the bit stream. */
function filterRows(l: PackedLayer): { rowOf: (o: number) => Uint32Array; rowCount: number } {
  const inC = l.inShape[2];
  const g = weightGeometry(inC, l.outShape[2], l.kernel, l.p);
  if (g.rows) {
    const rows: Uint32Array[] = [];
    for (let r = 0; r < g.rowCount; r++) rows.push(l.tile.subarray(r * g.rowWords, (r + 1) * g.rowWords));
    return { rowOf: (o) => rows[o % g.rowCount] as Uint32Array, rowCount: g.rowCount };
  }
  // STREAM: gather w(o, e) = bit ((o*K + e) mod q) into a padded row, as a kernel does into G.
  const cw = wordsPerPosition(inC);
  const gather = new Uint32Array(g.rowWords);
  return {
    rowCount: 0,
    rowOf: (o) => {
      gather.fill(0);
      let j = (o * g.K) % g.q;
      for (let pos = 0; pos < l.kernel[0] * l.kernel[1]; pos++) {
        for (let ch = 0; ch < inC; ch++) {
          const bit = ((l.tile[j >>> 5] as number) >>> (j & 31)) & 1;
          if (bit) gather[pos * cw + (ch >>> 5)] = ((gather[pos * cw + (ch >>> 5)] as number) | (1 << (ch & 31))) >>> 0;
          j++;
          if (j === g.q) j = 0;
        }
      }
      return gather;
    },
  };
}

function weightLayer(l: PackedLayer, x: Activations, allowReuse: boolean): Activations {
  const [, inW, inC] = l.inShape;
  const [outH, outW, N] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const cw = wordsPerPosition(inC);
  const K = kh * kw * inC;
  const { rowOf, rowCount } = filterRows(l);
  const shared = allowReuse && l.reuse;
  const distinct = shared ? rowCount : N;
  const accs = new Int32Array(distinct);
  const positions = outH * outW;

  let out: Activations;
  if (l.outType === 'bin') out = { type: 'bin', data: new Uint32Array(positions * wordsPerPosition(N)) };
  else if (l.outType === 'i8') out = { type: 'i8', data: new Int8Array(positions * N) };
  else out = { type: 'i32', data: new Int32Array(positions * N) };

  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let d = 0; d < distinct; d++) {
        const row = rowOf(d);
        let acc = 0;
        if (x.type === 'bin') {
          let mismatches = 0;
          for (let dy = 0; dy < kh; dy++) {
            for (let dx = 0; dx < kw; dx++) {
              const inBase = ((oy * sh + dy) * inW + (ox * sw + dx)) * cw;
              const rowBase = (dy * kw + dx) * cw;
              for (let c = 0; c < cw; c++) mismatches += popcount32(((x.data[inBase + c] as number) ^ (row[rowBase + c] as number)) >>> 0);
            }
          }
          acc = K - 2 * mismatches;
        } else {
          const xd = x.data;
          for (let dy = 0; dy < kh; dy++) {
            for (let dx = 0; dx < kw; dx++) {
              const inBase = ((oy * sh + dy) * inW + (ox * sw + dx)) * inC;
              const rowBase = (dy * kw + dx) * cw;
              for (let ch = 0; ch < inC; ch++) {
                const v = xd[inBase + ch] as number;
                const neg = ((row[rowBase + (ch >>> 5)] as number) >>> (ch & 31)) & 1;
                acc = (neg ? acc - v : acc + v) | 0;
              }
            }
          }
        }
        accs[d] = acc;
      }
      const pos = oy * outW + ox;
      for (let o = 0; o < N; o++) {
        const acc = accs[shared ? o % rowCount : o] as number;
        if (out.type === 'bin') {
          const flip = ((l.flips[o >>> 5] as number) >>> (o & 31)) & 1;
          const plus = (acc >= (l.thresholds[o] as number) ? 1 : 0) ^ flip;
          if (!plus) {
            const wi = pos * wordsPerPosition(N) + (o >>> 5);
            out.data[wi] = ((out.data[wi] as number) | (1 << (o & 31))) >>> 0;
          }
        } else {
          const v = ((Math.imul(acc, l.thresholds[o] as number) + (l.biases[o] as number)) | 0) >> l.shift;
          out.data[pos * N + o] = out.type === 'i8' ? (v < 0 ? 0 : v > 127 ? 127 : v) : v;
        }
      }
    }
  }
  return out;
}

function maxpool(l: PackedLayer, x: Activations): Activations {
  const [, inW, c] = l.inShape;
  const [outH, outW] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  if (x.type === 'bin') {
    const cw = wordsPerPosition(c);
    const out = new Uint32Array(outH * outW * cw);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let k = 0; k < cw; k++) {
          // Output -1 (bit 1) only where every window element is -1: AND of the bits.
          let allMinus = 0xffffffff;
          for (let dy = 0; dy < kh; dy++) {
            for (let dx = 0; dx < kw; dx++) allMinus &= x.data[((oy * sh + dy) * inW + (ox * sw + dx)) * cw + k] as number;
          }
          out[(oy * outW + ox) * cw + k] = allMinus >>> 0;
        }
      }
    }
    return { type: 'bin', data: out };
  }
  const out = x.type === 'i8' ? new Int8Array(outH * outW * c) : new Int32Array(outH * outW * c);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let ch = 0; ch < c; ch++) {
        let m = -Infinity;
        for (let dy = 0; dy < kh; dy++) {
          for (let dx = 0; dx < kw; dx++) m = Math.max(m, x.data[((oy * sh + dy) * inW + (ox * sw + dx)) * c + ch] as number);
        }
        out[(oy * outW + ox) * c + ch] = m;
      }
    }
  }
  return x.type === 'i8' ? { type: 'i8', data: out as Int8Array } : { type: 'i32', data: out as Int32Array };
}

function gap(l: PackedLayer, x: Activations): Activations {
  const [h, w, c] = l.inShape;
  const out = new Int32Array(c);
  const positions = h * w;
  if (x.type === 'bin') {
    const cw = wordsPerPosition(c);
    for (let ch = 0; ch < c; ch++) {
      let minus = 0;
      for (let pos = 0; pos < positions; pos++) minus += ((x.data[pos * cw + (ch >>> 5)] as number) >>> (ch & 31)) & 1;
      out[ch] = (positions - 2 * minus) | 0;
    }
  } else {
    for (let pos = 0; pos < positions; pos++) {
      for (let ch = 0; ch < c; ch++) out[ch] = ((out[ch] as number) + (x.data[pos * c + ch] as number)) | 0;
    }
  }
  return { type: 'i32', data: out };
}
