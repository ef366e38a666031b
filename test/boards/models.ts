/** The models and data the board tests and the board benchmark run. */
import path from 'node:path';
import type { Dataset } from '../../host/data/dataset.ts';
import { loadSpSwHar } from '../../host/data/sp-sw-har.ts';
import type { LayerContent, ModelContent } from '../../host/format/model.ts';
import { weightGeometry, wordsPerPosition } from '../../host/format/layout.ts';
import { packModel, type PackOptions } from '../../host/format/pack.ts';
import { rng } from '../../host/format/random-model.ts';
import type { FloatModel } from '../../host/model/float-model.ts';
import { loadCheckpoint } from '../../host/train/checkpoint.ts';
import { exportFloatModel } from '../../host/train/export.ts';
import { REPO_ROOT } from './qemu.ts';

export const HAR_CHECKPOINT = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'har-tbn4.ckpt.json');
export const HAR_ROOT = path.resolve(REPO_ROOT, '../shared/data/sp-sw-har');
/** The checkpoint's test subjects (its metrics.test). */
export const HAR_TEST_SUBJECTS = ['s15', 's16', 's17', 's18'];

export function harFloatModel(): FloatModel {
  return exportFloatModel(loadCheckpoint(HAR_CHECKPOINT), HAR_CHECKPOINT);
}

export function harPacked(opts: PackOptions = {}): Uint8Array {
  return packModel(harFloatModel(), opts);
}

export function harTestWindows(): Dataset {
  return loadSpSwHar({ root: HAR_ROOT, subjects: HAR_TEST_SUBJECTS });
}

/**
 * A model whose middle layer is one long XNOR conv (K = 8 x 256 = 2048 bits, N = 256, p = 4, 33 positions), to
 * see the kernel's XNOR cost and the reuse ratio when the per-output work no longer dominates. Random ±1 weights and
 * thresholds near the middle of the accumulator range.
 */
export function wideXnorModel(): ModelContent {
  const r = rng(2024);
  const words = (n: number, bits = 32): Uint32Array => Uint32Array.from({ length: n }, () => (Math.floor(r() * 2 ** 32) >>> 0) & (bits === 32 ? 0xffffffff : (1 << bits) - 1));
  const ints = (n: number, lo: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
  const base = { stride: [1, 1] as [number, number], t16: false, shift: 0, biases: new Int32Array(0), flips: new Uint32Array(0) };
  const l0: LayerContent = { ...base, kind: 'conv1d', inType: 'i8', outType: 'bin', inShape: [1, 40, 8], outShape: [1, 40, 256], kernel: [1, 1], p: 1, reuse: false,
    tile: words(256, 8), thresholds: ints(256, -20, 20), flips: words(8) };
  const l1: LayerContent = { ...base, kind: 'conv1d', inType: 'bin', outType: 'bin', inShape: [1, 40, 256], outShape: [1, 33, 256], kernel: [1, 8], p: 4, reuse: true,
    tile: words(64 * 64), thresholds: ints(256, -60, 60), flips: words(8) };
  const l2: LayerContent = { ...base, stride: [0, 0], kind: 'gap', inType: 'bin', outType: 'i32', inShape: [1, 33, 256], outShape: [1, 1, 256], kernel: [0, 0], p: 0, reuse: false,
    tile: new Uint32Array(0), thresholds: new Int32Array(0) };
  const l3: LayerContent = { ...base, kind: 'dense', inType: 'i32', outType: 'i32', inShape: [1, 1, 256], outShape: [1, 1, 10], kernel: [1, 1], p: 1, reuse: false,
    tile: words(10 * 8), thresholds: ints(10, 1, 3), biases: ints(10, -100, 100) };
  return { inShape: [1, 40, 8], quantMul: new Float32Array(8).fill(10), quantAdd: new Float32Array(8), classes: Array.from({ length: 10 }, (_, i) => `c${i}`), layers: [l0, l1, l2, l3] };
}

/** Random numbers in [0, 1) (host/format/random-model.ts rng). */
export type Rand = () => number;
export const u32 = (r: Rand): number => Math.floor(r() * 2 ** 32) >>> 0;
/** The low `bits` bits set. */
export const mask = (bits: number): number => (bits >= 32 ? 0xffffffff : (1 << bits) - 1) >>> 0;
/** The valid bits of word w of a position of c channels (the last word's padding bits clear). */
export const lastMask = (c: number, w: number): number => (w === wordsPerPosition(c) - 1 && c % 32 !== 0 ? mask(c % 32) : 0xffffffff);

/**
 * conv1d int8 (inC channels) -> BIN, kernel 1, c channels per position: every position's bits fixed to `bits`
 * (thresholds far outside the accumulator range), or with bits null data-dependent (random thresholds and flips).
 */
export function binInputLayer(r: Rand, len: number, inC: number, c: number, bits: Uint32Array | null): LayerContent {
  const g = weightGeometry(inC, c, [1, 1], 1);
  const tile = Uint32Array.from({ length: g.tileWords }, () => u32(r) & mask(inC));
  const bitOf = (o: number): number => ((bits![o >>> 5] as number) >>> (o & 31)) & 1;
  const thresholds = Int32Array.from({ length: c }, (_, o) => (bits ? (bitOf(o) ? -100000 : 100000) : Math.floor(r() * 81) - 40));
  const flips = new Uint32Array(wordsPerPosition(c));
  if (!bits) for (let o = 0; o < c; o++) if (r() < 0.3) flips[o >>> 5] = ((flips[o >>> 5] as number) | (1 << (o & 31))) >>> 0;
  return {
    kind: 'conv1d', inType: 'i8', outType: 'bin', inShape: [1, len, inC], outShape: [1, len, c], kernel: [1, 1], stride: [1, 1],
    p: 1, reuse: false, t16: false, shift: 0, tile, thresholds, flips, biases: new Int32Array(0),
  };
}

/**
 * ROWS tile of outC/p rows over `positions` positions of c channels: random rows, or (with `bits`, the input
 * pattern of every position) rows equal to the input (all bits match), its complement (none match) or random.
 */
export function binTile(r: Rand, c: number, outC: number, positions: number, p: number, bits: Uint32Array | null): Uint32Array {
  const g = weightGeometry(c, outC, [1, positions], p);
  const cw = wordsPerPosition(c);
  const rw = cw * positions;
  const tile = new Uint32Array(g.tileWords);
  for (let row = 0; row < tile.length / rw; row++) {
    const style = bits ? Math.floor(r() * 3) : 2;
    for (let j = 0; j < rw; j++) {
      const w = j % cw;
      const x = bits ? (bits[w] as number) : 0;
      tile[row * rw + j] = (style === 0 ? x : style === 1 ? ~x : u32(r)) & lastMask(c, w);
    }
  }
  return tile;
}
