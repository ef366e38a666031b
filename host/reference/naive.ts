/**
 * Naive integer inference for testing runReference: the tile is first
 * expanded to the full (N, K) weight tensor of +1/-1 values straight from the
 * layout definitions of tbn_format.h, activations are plain integers (BIN as
 * +1/-1), and every output channel is computed on its own: no reuse, no
 * bit tricks.
 */
import type { PackedLayer, PackedModel } from '../format/model.ts';
import { argmax, checkInput, type ReferenceResult } from './infer.ts';

interface Plain {
  type: 'bin' | 'i8' | 'i32';
  h: number;
  w: number;
  c: number;
  v: number[];
}

function bitAt(words: Uint32Array, j: number): number {
  return Math.floor((words[Math.floor(j / 32)] as number) / 2 ** (j % 32)) % 2;
}

/** The full weight tensor of a weight layer, w[o*K + e] in {+1, -1}. */
export function expandWeights(l: PackedLayer): Int8Array {
  const inC = l.inShape[2];
  const N = l.outShape[2];
  const [kh, kw] = l.kernel;
  const K = kh * kw * inC;
  const q = (N * K) / l.p;
  const w = new Int8Array(N * K);
  const cw = Math.ceil(inC / 32);
  const rowWords = kh * kw * cw;
  for (let o = 0; o < N; o++) {
    for (let e = 0; e < K; e++) {
      let bit: number;
      if (N % l.p === 0) {
        const r = o % (N / l.p);
        const dy = Math.floor(e / (kw * inC));
        const dx = Math.floor(e / inC) % kw;
        const ch = e % inC;
        bit = bitAt(l.tile, (r * rowWords + (dy * kw + dx) * cw + Math.floor(ch / 32)) * 32 + (ch % 32));
      } else {
        bit = bitAt(l.tile, (o * K + e) % q);
      }
      w[o * K + e] = bit === 1 ? -1 : 1;
    }
  }
  return w;
}

function wrap32(v: number): number {
  return Number(BigInt.asIntN(32, BigInt(v)));
}

export function runNaive(model: PackedModel, input: Float32Array | Int8Array): ReferenceResult {
  const q = checkInput(model, input);
  let x: Plain = { type: 'i8', h: model.inShape[0], w: model.inShape[1], c: model.inShape[2], v: Array.from(q) };
  for (const l of model.layers) x = naiveLayer(l, x);
  const logits = Int32Array.from(x.v);
  return { logits, cls: argmax(logits) };
}

function naiveLayer(l: PackedLayer, x: Plain): Plain {
  const [outH, outW, outC] = l.outShape;
  const at = (y: number, xx: number, ch: number) => x.v[(y * x.w + xx) * x.c + ch] as number;
  const out: number[] = new Array(outH * outW * outC).fill(0);
  if (l.kind === 'gap') {
    for (let ch = 0; ch < x.c; ch++) {
      let s = 0;
      for (let y = 0; y < x.h; y++) for (let xx = 0; xx < x.w; xx++) s = wrap32(s + at(y, xx, ch));
      out[ch] = s;
    }
    return { type: 'i32', h: 1, w: 1, c: x.c, v: out };
  }
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  if (l.kind === 'maxpool') {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let ch = 0; ch < outC; ch++) {
          let m = -Infinity;
          for (let dy = 0; dy < kh; dy++) for (let dx = 0; dx < kw; dx++) m = Math.max(m, at(oy * sh + dy, ox * sw + dx, ch));
          out[(oy * outW + ox) * outC + ch] = m;
        }
      }
    }
    return { type: x.type, h: outH, w: outW, c: outC, v: out };
  }
  const w = expandWeights(l);
  const K = kh * kw * x.c;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let o = 0; o < outC; o++) {
        let acc = 0;
        for (let dy = 0; dy < kh; dy++) {
          for (let dx = 0; dx < kw; dx++) {
            for (let ch = 0; ch < x.c; ch++) {
              acc = wrap32(acc + (w[o * K + (dy * kw + dx) * x.c + ch] as number) * at(oy * sh + dy, ox * sw + dx, ch));
            }
          }
        }
        let v: number;
        if (l.outType === 'bin') {
          const flip = bitAt(l.flips, o);
          const ge = acc >= (l.thresholds[o] as number);
          v = ge !== (flip === 1) ? 1 : -1;
        } else {
          const t = Number(BigInt.asIntN(32, BigInt(acc) * BigInt(l.thresholds[o] as number) + BigInt(l.biases[o] as number)));
          v = Math.floor(t / 2 ** l.shift);
          if (l.outType === 'i8') v = Math.min(127, Math.max(0, v));
        }
        out[(oy * outW + ox) * outC + o] = v;
      }
    }
  }
  return { type: l.outType, h: outH, w: outW, c: outC, v: out };
}
