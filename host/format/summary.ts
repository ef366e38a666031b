/**
 * Per-layer size / MAC summary of a packed model in the manner of Larq's
 * model summary, with the same network's size at FP32, int8 and as a BNN
 * (p = 1) for comparison. Sizes are bytes in the .tbn file.
 */
import { isWeightKind, layerMacs, weightGeometry } from './layout.ts';
import type { PackedModel, Shape } from './model.ts';

export interface LayerSummary {
  index: number;
  kind: string;
  inType: string;
  outType: string;
  inShape: Shape;
  outShape: Shape;
  p: number;
  layout: 'rows' | 'stream' | '-';
  reuse: boolean;
  /** Weights of the full tensor (N*K) and of the tile (n/p). */
  weights: number;
  tileBits: number;
  /** α values folded into thresholds / multipliers: p per tiled layer (one per tile copy). */
  alphaFolded: number;
  tileBytes: number;
  /** Thresholds (BIN out) or multipliers (I8/I32 out). */
  threshBytes: number;
  /** Flip bits (BIN out) or biases (I8/I32 out). */
  auxBytes: number;
  macs: number;
  macsWithReuse: number;
  reuseFactor: number;
  /** The same layer with p = 1 in this format (its tile padded the same way). */
  bnnTileBytes: number;
  fp32Bytes: number;
  int8Bytes: number;
}

export interface ModelSummary {
  fileBytes: number;
  scratchBytes: number;
  layers: LayerSummary[];
  totals: {
    weights: number;
    tileBits: number;
    bitsPerWeight: number;
    tileBytes: number;
    perChannelBytes: number;
    /** Header, records, quantisation table, labels and alignment. */
    overheadBytes: number;
    macs: number;
    macsWithReuse: number;
    /** Layers with p > 1: their tiles against the same layers at p = 1 (format bytes and ideal bits). */
    tiledTileBytes: number;
    tiledBnnTileBytes: number;
    tiledRatioToBnn: number;
    tiledBitsRatioToBnn: number;
    /** The whole network at FP32 (4-byte weights + folded per-channel scale and bias), int8 (1-byte weights + int32 multiplier and bias per channel) and as this file with p = 1. */
    fp32Bytes: number;
    int8Bytes: number;
    bnnFileBytes: number;
    fp32OverFile: number;
    int8OverFile: number;
    bnnOverFile: number;
  };
}

export function summarizeModel(m: PackedModel): ModelSummary {
  const layers: LayerSummary[] = m.layers.map((l) => {
    const weight = isWeightKind(l.kind);
    const N = l.outShape[2];
    const g = weight ? weightGeometry(l.inShape[2], N, l.kernel, l.p) : undefined;
    const bnn = weight ? weightGeometry(l.inShape[2], N, l.kernel, 1) : undefined;
    const { macs, macsWithReuse } = layerMacs(l);
    const threshBytes = weight ? (l.outType === 'bin' && l.t16 ? 2 * N : 4 * N) : 0;
    const auxBytes = weight ? (l.outType === 'bin' ? 4 * Math.ceil(N / 32) : 4 * N) : 0;
    return {
      index: l.index,
      kind: l.kind,
      inType: l.inType,
      outType: l.outType,
      inShape: l.inShape,
      outShape: l.outShape,
      p: l.p,
      layout: weight ? (l.rows ? 'rows' : 'stream') : '-',
      reuse: l.reuse,
      weights: g ? g.n : 0,
      tileBits: g ? g.q : 0,
      alphaFolded: weight ? l.p : 0,
      tileBytes: 4 * l.tileWords,
      threshBytes,
      auxBytes,
      macs,
      macsWithReuse,
      reuseFactor: l.reuse ? l.p : 1,
      bnnTileBytes: bnn ? 4 * bnn.tileWords : 0,
      fp32Bytes: g ? 4 * g.n + 8 * N : 0,
      int8Bytes: g ? g.n + 8 * N : 0,
    };
  });
  const sum = (f: (l: LayerSummary) => number, only: (l: LayerSummary) => boolean = () => true) =>
    layers.filter(only).reduce((a, l) => a + f(l), 0);
  const tiled = (l: LayerSummary) => l.p > 1;
  const weights = sum((l) => l.weights);
  const tileBits = sum((l) => l.tileBits);
  const tileBytes = sum((l) => l.tileBytes);
  const perChannelBytes = sum((l) => l.threshBytes + l.auxBytes);
  const tiledTileBytes = sum((l) => l.tileBytes, tiled);
  const tiledBnnTileBytes = sum((l) => l.bnnTileBytes, tiled);
  const fp32Bytes = sum((l) => l.fp32Bytes);
  const int8Bytes = sum((l) => l.int8Bytes);
  const bnnFileBytes = m.fileBytes - tileBytes + sum((l) => l.bnnTileBytes);
  return {
    fileBytes: m.fileBytes,
    scratchBytes: m.scratchBytes,
    layers,
    totals: {
      weights,
      tileBits,
      bitsPerWeight: weights > 0 ? tileBits / weights : 0,
      tileBytes,
      perChannelBytes,
      overheadBytes: m.fileBytes - tileBytes - perChannelBytes,
      macs: sum((l) => l.macs),
      macsWithReuse: sum((l) => l.macsWithReuse),
      tiledTileBytes,
      tiledBnnTileBytes,
      tiledRatioToBnn: tiledBnnTileBytes > 0 ? tiledTileBytes / tiledBnnTileBytes : 1,
      tiledBitsRatioToBnn: sum((l) => l.weights, tiled) > 0 ? sum((l) => l.tileBits, tiled) / sum((l) => l.weights, tiled) : 1,
      fp32Bytes,
      int8Bytes,
      bnnFileBytes,
      fp32OverFile: fp32Bytes / m.fileBytes,
      int8OverFile: int8Bytes / m.fileBytes,
      bnnOverFile: bnnFileBytes / m.fileBytes,
    },
  };
}

/** "x_acc [m/s2], y_acc [m/s2], ..." (a unit only where one is stored). */
export function channelsText(channels: readonly { name: string; unit: string }[]): string {
  return channels.map((c) => `${c.name === '' ? '(unnamed)' : c.name}${c.unit === '' ? '' : ` [${c.unit}]`}`).join(', ');
}

function kb(bytes: number): string {
  return (bytes / 1024).toFixed(2);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  ')).join('\n');
}

const shapeText = (s: Shape) => s.join('x');

/** The printed table. */
export function formatSummary(s: ModelSummary, title: string): string {
  const head = ['#', 'layer', 'in -> out', 'types', 'p', 'layout', 'tile bits', 'α (folded)', 'tile B', 'thr B', 'flip/bias B', 'kB', 'MACs', 'reuse', 'MACs run'];
  const rows = [head];
  for (const l of s.layers) {
    const w = l.layout !== '-';
    rows.push([
      String(l.index),
      l.kind,
      `${shapeText(l.inShape)} -> ${shapeText(l.outShape)}`,
      `${l.inType}>${l.outType}`,
      w ? String(l.p) : '-',
      w ? l.layout : '-',
      w ? String(l.tileBits) : '-',
      w ? String(l.alphaFolded) : '-',
      String(l.tileBytes),
      String(l.threshBytes),
      String(l.auxBytes),
      kb(l.tileBytes + l.threshBytes + l.auxBytes),
      String(l.macs),
      w ? `${l.reuseFactor}x` : '-',
      String(l.macsWithReuse),
    ]);
  }
  const t = s.totals;
  const ratio = (x: number) => `${x.toFixed(1)}x`;
  const lines = [
    title,
    table(rows),
    '',
    `weights: ${t.weights}   tile bits: ${t.tileBits} (${t.bitsPerWeight.toFixed(3)} bits/weight)   α: folded into thresholds/multipliers (none stored)`,
    `file: ${s.fileBytes} B (${kb(s.fileBytes)} kB) = tiles ${t.tileBytes} B + thresholds/flips/requant ${t.perChannelBytes} B + header/records/input quant/labels ${t.overheadBytes} B`,
    `tiled layers (p > 1): tiles ${t.tiledTileBytes} B vs ${t.tiledBnnTileBytes} B as BNN = ${(100 * t.tiledRatioToBnn).toFixed(1)}% (bits: ${(100 * t.tiledBitsRatioToBnn).toFixed(1)}%)`,
    `same network: FP32 ${t.fp32Bytes} B (${ratio(t.fp32OverFile)} this file), int8 ${t.int8Bytes} B (${ratio(t.int8OverFile)}), BNN p=1 ${t.bnnFileBytes} B (${ratio(t.bnnOverFile)})`,
    `MACs per inference: ${t.macs} without reuse, ${t.macsWithReuse} with p-fold reuse (${ratio(t.macs / Math.max(1, t.macsWithReuse))} fewer)`,
    `scratch RAM: ${s.scratchBytes} B (two activation buffers + gathered row)`,
  ];
  return lines.join('\n');
}
