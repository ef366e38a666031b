/** Sizes and layouts derived from tbn_format.h, shared by the writer, the reader and the reference. */
import type { KindName, TypeName } from './spec.ts';
import type { Shape } from './model.ts';

/** Words per position of a BIN tensor of c channels: ceil(c/32). */
export function wordsPerPosition(c: number): number {
  return Math.ceil(c / 32);
}

export function isWeightKind(kind: KindName): kind is 'dense' | 'conv1d' | 'conv2d' {
  return kind === 'dense' || kind === 'conv1d' || kind === 'conv2d';
}

/** Bytes of an activation tensor (unrounded). */
export function tensorBytes(type: TypeName, s: Shape): number {
  const positions = s[0] * s[1];
  if (type === 'bin') return positions * wordsPerPosition(s[2]) * 4;
  if (type === 'i8') return positions * s[2];
  return positions * s[2] * 4;
}

export function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

export interface WeightGeometry {
  /** Filter length k_h*k_w*in_c. */
  K: number;
  /** Output channels. */
  N: number;
  /** Weights of the full tensor N*K. */
  n: number;
  /** Tile bits n/p. */
  q: number;
  /** Tile stored as N/p rows (p divides N). */
  rows: boolean;
  /** Distinct rows N/p (ROWS only; 0 otherwise). */
  rowCount: number;
  /** Words of one padded filter row, k_h*k_w*ceil(in_c/32). */
  rowWords: number;
  tileWords: number;
}

/** Geometry of a weight layer; p must divide N*K (checked by callers). */
export function weightGeometry(inC: number, outC: number, kernel: [number, number], p: number): WeightGeometry {
  const K = kernel[0] * kernel[1] * inC;
  const N = outC;
  const n = N * K;
  const q = n / p;
  const rows = N % p === 0;
  const rowWords = kernel[0] * kernel[1] * wordsPerPosition(inC);
  const rowCount = rows ? N / p : 0;
  const tileWords = rows ? rowCount * rowWords : Math.ceil(q / 32);
  return { K, N, n, q, rows, rowCount, rowWords, tileWords };
}

export interface ScratchLayer {
  kind: KindName;
  outType: TypeName;
  inShape: Shape;
  outShape: Shape;
  kernel: [number, number];
  p: number;
}

/** scratch_bytes = 2*A + G as tbn_format.h defines it; also returns A. */
export function scratchBytes(inShape: Shape, layers: ScratchLayer[]): { scratch: number; activation: number; gather: number } {
  let A = roundUp4(tensorBytes('i8', inShape));
  let G = 0;
  for (const l of layers) {
    A = Math.max(A, roundUp4(tensorBytes(l.outType, l.outShape)));
    if (isWeightKind(l.kind) && l.p > 0 && l.outShape[2] % l.p !== 0) {
      G = Math.max(G, 4 * l.kernel[0] * l.kernel[1] * wordsPerPosition(l.inShape[2]));
    }
  }
  return { scratch: 2 * A + G, activation: A, gather: G };
}

/** Multiply-accumulates of one inference without reuse, and with the N/p row sharing of REUSE layers. */
export function layerMacs(l: { kind: KindName; outShape: Shape; kernel: [number, number]; inShape: Shape; p: number; reuse: boolean }): { macs: number; macsWithReuse: number } {
  if (!isWeightKind(l.kind)) return { macs: 0, macsWithReuse: 0 };
  const K = l.kernel[0] * l.kernel[1] * l.inShape[2];
  const macs = l.outShape[0] * l.outShape[1] * l.outShape[2] * K;
  return { macs, macsWithReuse: l.reuse ? macs / l.p : macs };
}
