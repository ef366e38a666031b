/** In-memory form of a .tbn file (native-modules/tbn_format.h). */
import type { KindName, TypeName } from './spec.ts';

export type Shape = [h: number, w: number, c: number];

/** What a layer holds, independent of where it sits in the file. */
export interface LayerContent {
  kind: KindName;
  inType: TypeName;
  outType: TypeName;
  inShape: Shape;
  outShape: Shape;
  /** Weight layers and maxpool; [0, 0] for gap. */
  kernel: [number, number];
  stride: [number, number];
  /** Tiling factor of a weight layer; 0 for pooling. */
  p: number;
  /** TBN_LF_REUSE: compute the N/p distinct rows once per position (ROWS layout only). */
  reuse: boolean;
  /** TBN_LF_T16: BIN-out thresholds stored as int16. */
  t16: boolean;
  /** Requantisation shift (I8/I32 out); 0 otherwise. */
  shift: number;
  /** Tile words, ROWS or STREAM layout (empty for pooling). */
  tile: Uint32Array;
  /** BIN out: thresholds T; I8/I32 out: multipliers M (empty for pooling). */
  thresholds: Int32Array;
  /** BIN out: flip bits, ceil(N/32) words (empty otherwise). */
  flips: Uint32Array;
  /** I8/I32 out: biases B (empty otherwise). */
  biases: Int32Array;
}

/** One input channel of the optional channel table (TBN_HF_CHANNELS). */
export interface InputChannel {
  name: string;
  /** Physical unit, e.g. "m/s2"; "" when unknown. */
  unit: string;
}

export interface ModelContent {
  inShape: Shape;
  /** Names and units of the Q input channels (element i is channel i mod Q); absent in files without the table. */
  channels?: InputChannel[];
  /** Samples per second the model was trained at (sensor windows); absent when not stored. */
  rateHz?: number;
  /** Q f32 quantisation pairs (Q divides in_c): element i uses t = x*mul[i % Q] + add[i % Q]. */
  quantMul: Float32Array;
  quantAdd: Float32Array;
  classes: string[];
  layers: LayerContent[];
}

export interface PackedLayer extends LayerContent {
  index: number;
  flags: number;
  /** TBN_LF_ROWS: tile stored as N/p padded rows (iff p | N). */
  rows: boolean;
  tileOffset: number;
  tileWords: number;
  threshOffset: number;
  auxOffset: number;
}

export interface PackedModel extends ModelContent {
  version: number;
  fileBytes: number;
  crc32: number;
  scratchBytes: number;
  /** Size of one ping-pong half of the scratch. */
  activationBytes: number;
  layers: PackedLayer[];
}
