/**
 * Serialises a ModelContent into .tbn bytes (native-modules/tbn_format.h):
 * header, layer records, then 4-byte aligned sections in file order (input
 * quantisation, labels, the optional channel table, per layer tile / thresholds or multipliers / flips or
 * biases). The result is read back with readModel before it is returned, so
 * the writer never hands out a file the reader (and kernel) would reject.
 */
import { TbnError } from '../errors.ts';
import { crc32 } from './crc32.ts';
import { isWeightKind, roundUp4, scratchBytes, weightGeometry, wordsPerPosition } from './layout.ts';
import type { LayerContent, ModelContent } from './model.ts';
import { readModel } from './reader.ts';
import { KIND_CODES, TBN, TYPE_CODES } from './spec.ts';

const H = TBN;

export function writeModel(m: ModelContent): Uint8Array {
  const layerCount = m.layers.length;
  const encoder = new TextEncoder();
  const labelBytes = m.classes.map((c) => encoder.encode(c));
  const labelsSize = labelBytes.reduce((a, b) => a + b.length + 1, 0);
  const quantCount = m.quantMul.length;
  if (quantCount !== m.quantAdd.length || quantCount < 1 || quantCount > m.inShape[2] || m.inShape[2] % quantCount !== 0) {
    throw new TbnError('E_PACK', `input quantisation has ${m.quantMul.length} pairs; it needs 1..${m.inShape[2]} dividing in_c ${m.inShape[2]}`);
  }

  // Offsets.
  let off = H.TBN_HEADER_BYTES + layerCount * H.TBN_LAYER_RECORD_BYTES;
  const quantOffset = off;
  off = roundUp4(off + 8 * quantCount);
  const labelsOffset = off;
  off = roundUp4(off + labelsSize);
  const channelBytes = channelEntries(m, quantCount).map((e) => encoder.encode(e));
  const channelsSize = channelBytes.reduce((a, b) => a + b.length + 1, 0);
  const channelsOffset = m.channels ? off : 0;
  if (m.channels) off = roundUp4(off + channelsSize);
  const rateMilliHz = rateField(m.rateHz);
  const sections = m.layers.map((l) => {
    if (!isWeightKind(l.kind)) return { tile: 0, thresh: 0, aux: 0, tileWords: 0, threshBytes: 0, auxBytes: 0, flags: 0 };
    const N = l.outShape[2];
    const g = weightGeometry(l.inShape[2], N, l.kernel, l.p);
    const flags = (g.rows ? H.TBN_LF_ROWS : 0) | (g.rows && l.reuse ? H.TBN_LF_REUSE : 0) | (l.outType === 'bin' && l.t16 ? H.TBN_LF_T16 : 0);
    const threshBytes = l.outType === 'bin' && l.t16 ? 2 * N : 4 * N;
    const auxBytes = l.outType === 'bin' ? 4 * wordsPerPosition(N) : 4 * N;
    const tile = off;
    off = roundUp4(off + 4 * g.tileWords);
    const thresh = off;
    off = roundUp4(off + threshBytes);
    const aux = off;
    off = roundUp4(off + auxBytes);
    return { tile, thresh, aux, tileWords: g.tileWords, threshBytes, auxBytes, flags };
  });
  const fileBytes = off;

  const bytes = new Uint8Array(fileBytes);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(H.TBN_HDR_MAGIC_U32, H.TBN_MAGIC, true);
  dv.setUint16(H.TBN_HDR_VERSION_U16, H.TBN_FORMAT_VERSION, true);
  dv.setUint16(H.TBN_HDR_HEADER_BYTES_U16, H.TBN_HEADER_BYTES, true);
  dv.setUint32(H.TBN_HDR_FILE_BYTES_U32, fileBytes, true);
  dv.setUint16(H.TBN_HDR_LAYER_COUNT_U16, layerCount, true);
  dv.setUint16(H.TBN_HDR_CLASS_COUNT_U16, m.classes.length, true);
  dv.setUint16(H.TBN_HDR_IN_H_U16, m.inShape[0], true);
  dv.setUint16(H.TBN_HDR_IN_W_U16, m.inShape[1], true);
  dv.setUint16(H.TBN_HDR_IN_C_U16, m.inShape[2], true);
  dv.setUint32(H.TBN_HDR_SCRATCH_BYTES_U32, scratchBytes(m.inShape, m.layers).scratch, true);
  dv.setUint32(H.TBN_HDR_QUANT_OFFSET_U32, quantOffset, true);
  dv.setUint32(H.TBN_HDR_LABELS_OFFSET_U32, labelsOffset, true);
  dv.setUint32(H.TBN_HDR_LABELS_BYTES_U32, labelsSize, true);
  dv.setUint32(H.TBN_HDR_LAYERS_OFFSET_U32, H.TBN_HEADER_BYTES, true);
  dv.setUint16(H.TBN_HDR_QUANT_COUNT_U16, quantCount, true);
  dv.setUint16(H.TBN_HDR_FLAGS_U16, (m.channels ? H.TBN_HF_CHANNELS : 0) | (rateMilliHz ? H.TBN_HF_RATE : 0), true);
  if (m.channels) {
    dv.setUint32(H.TBN_HDR_CHANNELS_OFFSET_U32, channelsOffset, true);
    dv.setUint32(H.TBN_HDR_CHANNELS_BYTES_U32, channelsSize, true);
  }
  dv.setUint32(H.TBN_HDR_RATE_MHZ_U32, rateMilliHz, true);

  for (let c = 0; c < quantCount; c++) {
    dv.setFloat32(quantOffset + 8 * c, m.quantMul[c] as number, true);
    dv.setFloat32(quantOffset + 8 * c + 4, m.quantAdd[c] as number, true);
  }
  let lp = labelsOffset;
  for (const b of labelBytes) {
    bytes.set(b, lp);
    lp += b.length + 1;
  }

  let cp = channelsOffset;
  for (const b of channelBytes) {
    bytes.set(b, cp);
    cp += b.length + 1;
  }

  m.layers.forEach((l, i) => writeLayer(dv, H.TBN_HEADER_BYTES + i * H.TBN_LAYER_RECORD_BYTES, l, sections[i] as (typeof sections)[number]));
  dv.setUint32(H.TBN_HDR_CRC32_U32, crc32(bytes, H.TBN_CRC_START, fileBytes), true);
  readModel(bytes);
  return bytes;
}

/** The channel table's entries "name<TAB>unit" (none without channels), checked against the format's rules. */
function channelEntries(m: ModelContent, quantCount: number): string[] {
  if (!m.channels) return [];
  if (m.channels.length !== quantCount) {
    throw new TbnError('E_PACK', `${m.channels.length} channel names for ${quantCount} input channels (quantisation pairs)`);
  }
  return m.channels.map((c, i) => {
    if (/[\t\0]/.test(c.name) || c.unit.includes('\0')) throw new TbnError('E_PACK', `input channel ${i} "${c.name}" (${c.unit}): a name holds no TAB or NUL, a unit no NUL`);
    const entry = c.unit === '' ? c.name : `${c.name}\t${c.unit}`;
    const n = new TextEncoder().encode(entry).length;
    if (n > H.TBN_MAX_LABEL_BYTES - 1) throw new TbnError('E_PACK', `input channel ${i} "${c.name}" with its unit is ${n} bytes; at most ${H.TBN_MAX_LABEL_BYTES - 1} fit`);
    return entry;
  });
}

/** Sample rate in mHz for the header (0 = not stored). */
function rateField(rateHz: number | undefined): number {
  if (rateHz === undefined) return 0;
  const mhz = Math.round(rateHz * 1000);
  if (!Number.isFinite(rateHz) || mhz < 1 || mhz > 0xffffffff) throw new TbnError('E_PACK', `sample rate ${rateHz} Hz cannot be stored (1 mHz .. 4.29 MHz)`);
  return mhz;
}

function writeLayer(
  dv: DataView,
  r: number,
  l: LayerContent,
  s: { tile: number; thresh: number; aux: number; tileWords: number; threshBytes: number; auxBytes: number; flags: number },
): void {
  dv.setUint8(r + H.TBN_LYR_KIND_U8, KIND_CODES[l.kind]);
  dv.setUint8(r + H.TBN_LYR_IN_TYPE_U8, TYPE_CODES[l.inType]);
  dv.setUint8(r + H.TBN_LYR_OUT_TYPE_U8, TYPE_CODES[l.outType]);
  dv.setUint8(r + H.TBN_LYR_FLAGS_U8, s.flags);
  const u16 = (o: number, v: number) => dv.setUint16(r + o, v, true);
  u16(H.TBN_LYR_IN_H_U16, l.inShape[0]);
  u16(H.TBN_LYR_IN_W_U16, l.inShape[1]);
  u16(H.TBN_LYR_IN_C_U16, l.inShape[2]);
  u16(H.TBN_LYR_OUT_H_U16, l.outShape[0]);
  u16(H.TBN_LYR_OUT_W_U16, l.outShape[1]);
  u16(H.TBN_LYR_OUT_C_U16, l.outShape[2]);
  u16(H.TBN_LYR_K_H_U16, l.kernel[0]);
  u16(H.TBN_LYR_K_W_U16, l.kernel[1]);
  u16(H.TBN_LYR_STRIDE_H_U16, l.stride[0]);
  u16(H.TBN_LYR_STRIDE_W_U16, l.stride[1]);
  u16(H.TBN_LYR_P_U16, l.p);
  dv.setUint8(r + H.TBN_LYR_SHIFT_U8, l.shift);
  if (!isWeightKind(l.kind)) return;
  dv.setUint32(r + H.TBN_LYR_TILE_OFFSET_U32, s.tile, true);
  dv.setUint32(r + H.TBN_LYR_TILE_WORDS_U32, s.tileWords, true);
  dv.setUint32(r + H.TBN_LYR_THRESH_OFFSET_U32, s.thresh, true);
  dv.setUint32(r + H.TBN_LYR_AUX_OFFSET_U32, s.aux, true);
  if (l.tile.length !== s.tileWords) throw new TbnError('E_PACK', `layer ${l.kind}: tile has ${l.tile.length} words, layout needs ${s.tileWords}`);
  for (let j = 0; j < s.tileWords; j++) dv.setUint32(s.tile + 4 * j, l.tile[j] as number, true);
  const N = l.outShape[2];
  if (l.thresholds.length !== N) throw new TbnError('E_PACK', `layer ${l.kind}: ${l.thresholds.length} thresholds for ${N} channels`);
  for (let o = 0; o < N; o++) {
    const t = l.thresholds[o] as number;
    if (s.threshBytes === 2 * N) {
      if (t < -32768 || t > 32767) throw new TbnError('E_PACK', `layer ${l.kind}: threshold ${t} does not fit int16`);
      dv.setInt16(s.thresh + 2 * o, t, true);
    } else dv.setInt32(s.thresh + 4 * o, t, true);
  }
  if (l.outType === 'bin') {
    for (let j = 0; j < s.auxBytes / 4; j++) dv.setUint32(s.aux + 4 * j, l.flips[j] ?? 0, true);
  } else {
    for (let o = 0; o < N; o++) dv.setInt32(s.aux + 4 * o, l.biases[o] as number, true);
  }
}
