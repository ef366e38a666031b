/**
 * Pictures of the learned weights: a tiled layer's binary tile as read from the
 * .tbn file, the weight tensor its p copies fill, and a BNN's weights of the
 * same layer. One pixel per weight, PNG (pngjs), shown scaled without smoothing.
 */
import { PNG } from 'pngjs';
import { weightGeometry, wordsPerPosition } from '../format/layout.ts';
import type { PackedLayer } from '../format/model.ts';

/** +1 and -1: two colours apart in hue and lightness; later copies of the tile slightly lighter. */
export const PLUS_RGB: readonly [number, number, number] = [240, 173, 78];
export const MINUS_RGB: readonly [number, number, number] = [33, 62, 120];
const PLUS_ALT_RGB: readonly [number, number, number] = [250, 214, 160];
const MINUS_ALT_RGB: readonly [number, number, number] = [92, 130, 196];
const PAD_RGB: readonly [number, number, number] = [200, 200, 200];

/**
 * The tile's q values (+1/-1) in the order they fill the weight tensor (row-major over
 * out, kh, kw, in): unpacks ROWS (padded filter rows) and STREAM (bit stream) layouts.
 */
export function tileSigns(l: PackedLayer): Int8Array {
  const inC = l.inShape[2];
  const g = weightGeometry(inC, l.outShape[2], l.kernel, l.p);
  const out = new Int8Array(g.q);
  const bit = (j: number) => ((l.tile[j >>> 5] as number) >>> (j & 31)) & 1;
  if (g.rows) {
    const cw = wordsPerPosition(inC);
    for (let r = 0; r < g.rowCount; r++) {
      for (let e = 0; e < g.K; e++) {
        const pos = Math.floor(e / inC);
        const ch = e % inC;
        out[r * g.K + e] = bit((r * g.rowWords + pos * cw + (ch >>> 5)) * 32 + (ch & 31)) ? -1 : 1;
      }
    }
  } else {
    for (let j = 0; j < g.q; j++) out[j] = bit(j) ? -1 : 1;
  }
  return out;
}

export interface BitImage {
  width: number;
  height: number;
  png: Buffer;
}

function encode(width: number, height: number, colour: (x: number, y: number) => readonly [number, number, number]): BitImage {
  const png = new PNG({ width, height, colorType: 2, inputHasAlpha: false });
  // pngjs keeps RGBA in memory whatever it writes.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colour(x, y);
      const i = (y * width + x) * 4;
      png.data[i] = r;
      png.data[i + 1] = g;
      png.data[i + 2] = b;
      png.data[i + 3] = 255;
    }
  }
  return { width, height, png: PNG.sync.write(png, { colorType: 2 }) };
}

/** The tile alone: q values wrapped at the filter length K (the last row padded grey when K does not divide q). */
export function tileImage(signs: Int8Array, K: number): BitImage {
  const height = Math.ceil(signs.length / K);
  return encode(K, height, (x, y) => {
    const j = y * K + x;
    if (j >= signs.length) return PAD_RGB;
    return signs[j] === -1 ? MINUS_RGB : PLUS_RGB;
  });
}

/** The N×K weight tensor as the tile's p copies fill it: w(o, e) = tile[(o*K + e) mod q]; odd copies lighter. */
export function tensorImage(signs: Int8Array, N: number, K: number): BitImage {
  const q = signs.length;
  return encode(K, N, (x, y) => {
    const flat = y * K + x;
    const odd = Math.floor(flat / q) % 2 === 1;
    const minus = signs[flat % q] === -1;
    if (odd) return minus ? MINUS_ALT_RGB : PLUS_ALT_RGB;
    return minus ? MINUS_RGB : PLUS_RGB;
  });
}

/** A BNN layer's N×K signs (one per weight, nothing shared). */
export function bnnImage(signs: ArrayLike<number>, N: number, K: number): BitImage {
  return encode(K, N, (x, y) => ((signs[y * K + x] as number) < 0 ? MINUS_RGB : PLUS_RGB));
}
