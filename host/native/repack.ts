/**
 * Repacks a model's weight layers as plain binary layers (p = 1): every
 * output channel gets its own full filter row, expanded from the tile. The
 * result computes exactly the same integers, so it is the BNN baseline of
 * the same trained network for benchmarks ("TBN-p vs BNN, same model").
 */
import { isWeightKind, weightGeometry, wordsPerPosition } from '../format/layout.ts';
import type { LayerContent, ModelContent, PackedModel } from '../format/model.ts';

/** Filter rows in the padded ROWS layout for all N channels of a weight layer. */
export function expandRows(l: LayerContent): Uint32Array {
  const N = l.outShape[2];
  const inC = l.inShape[2];
  const g = weightGeometry(inC, N, l.kernel, l.p);
  const cw = wordsPerPosition(inC);
  const out = new Uint32Array(N * g.rowWords);
  for (let o = 0; o < N; o++) {
    const dst = o * g.rowWords;
    if (g.rows) {
      const src = (o % g.rowCount) * g.rowWords;
      out.set(l.tile.subarray(src, src + g.rowWords), dst);
      continue;
    }
    for (let e = 0; e < g.K; e++) {
      const j = (o * g.K + e) % g.q;
      if (((l.tile[j >>> 5] as number) >>> (j & 31)) & 1) {
        const pos = Math.floor(e / inC);
        const ch = e % inC;
        const w = dst + pos * cw + (ch >>> 5);
        out[w] = ((out[w] as number) | (1 << (ch & 31))) >>> 0;
      }
    }
  }
  return out;
}

/** The same model with every weight layer stored as p = 1 (reuse off: nothing to share). */
export function asBnn(m: PackedModel | ModelContent): ModelContent {
  return {
    inShape: m.inShape,
    quantMul: m.quantMul,
    quantAdd: m.quantAdd,
    classes: m.classes,
    layers: m.layers.map((l): LayerContent => {
      const base: LayerContent = {
        kind: l.kind, inType: l.inType, outType: l.outType, inShape: l.inShape, outShape: l.outShape, kernel: l.kernel,
        stride: l.stride, p: l.p, reuse: l.reuse, t16: l.t16, shift: l.shift, tile: l.tile, thresholds: l.thresholds,
        flips: l.flips, biases: l.biases,
      };
      if (!isWeightKind(l.kind)) return base;
      return { ...base, p: 1, reuse: false, tile: expandRows(l) };
    }),
  };
}
