/**
 * Reads and fully validates a .tbn file, in the order and with the status
 * categories of the C kernel's tbn_model_open (native-modules/tbn.h). Any bad
 * input ends in a FormatError naming the problem; nothing else is thrown.
 */
import { TbnError } from '../errors.ts';
import { readRegularFile } from '../io/files.ts';
import { crc32 } from './crc32.ts';
import { isWeightKind, scratchBytes, weightGeometry, wordsPerPosition } from './layout.ts';
import type { InputChannel, PackedLayer, PackedModel, Shape } from './model.ts';
import { type FormatStatus, kindName, TBN, typeName } from './spec.ts';

export class FormatError extends TbnError {
  /** The C status name, e.g. 'TBN_E_CRC'. */
  readonly status: FormatStatus;
  /** Index of the offending layer, or -1. */
  readonly layer: number;
  constructor(status: FormatStatus, message: string, layer = -1) {
    super(status, message);
    this.name = 'FormatError';
    this.status = status;
    this.layer = layer;
  }
}

const H = TBN;

function shapeText(s: Shape): string {
  return `(${s[0]}, ${s[1]}, ${s[2]})`;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

/**
 * The largest model file: the header's file_bytes is a u32 (TBN_HDR_FILE_BYTES_U32). A checkpoint given as a
 * model path (pack, eval, inspect) is read under this cap too; loadCheckpoint caps at MAX_CHECKPOINT_BYTES (1 GB).
 */
export const MAX_MODEL_FILE_BYTES = 0xffffffff;

/**
 * Reads what a model path names (a .tbn file or a checkpoint): a regular file of at most
 * MAX_MODEL_FILE_BYTES, checked before reading, so /dev/zero, a FIFO or a tty is refused, not read forever.
 */
export function readModelFile(file: string, what = 'model'): Uint8Array {
  return new Uint8Array(readRegularFile(file, MAX_MODEL_FILE_BYTES, what));
}

export function readModel(bytes: Uint8Array): PackedModel {
  if (!(bytes instanceof Uint8Array)) throw new FormatError('TBN_E_ARG', 'model bytes must be a Uint8Array');
  const len = bytes.length;
  if (len < H.TBN_HEADER_BYTES) {
    throw new FormatError('TBN_E_TRUNCATED', `truncated: ${len} bytes is shorter than the ${H.TBN_HEADER_BYTES}-byte header`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len);
  const u8 = (o: number) => dv.getUint8(o);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);

  const magic = u32(H.TBN_HDR_MAGIC_U32);
  if (magic !== H.TBN_MAGIC) {
    throw new FormatError('TBN_E_MAGIC', `not a .tbn file: magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x${H.TBN_MAGIC.toString(16)} ("TBN1")`);
  }
  const version = u16(H.TBN_HDR_VERSION_U16);
  if (version !== H.TBN_FORMAT_VERSION) {
    throw new FormatError('TBN_E_VERSION', `unknown format version ${version} (this reader knows version ${H.TBN_FORMAT_VERSION})`);
  }
  const headerBytes = u16(H.TBN_HDR_HEADER_BYTES_U16);
  if (headerBytes !== H.TBN_HEADER_BYTES) {
    throw new FormatError('TBN_E_SIZE', `header_bytes is ${headerBytes}, expected ${H.TBN_HEADER_BYTES}`);
  }
  const fileBytes = u32(H.TBN_HDR_FILE_BYTES_U32);
  if (fileBytes > len) {
    throw new FormatError('TBN_E_TRUNCATED', `truncated: the header says ${fileBytes} bytes but only ${len} are present`);
  }
  if (fileBytes < len) {
    throw new FormatError('TBN_E_SIZE', `${len} bytes given but the header says the file is ${fileBytes} bytes`);
  }
  const storedCrc = u32(H.TBN_HDR_CRC32_U32);
  const crc = crc32(bytes, H.TBN_CRC_START, fileBytes);
  if (crc !== storedCrc) {
    throw new FormatError('TBN_E_CRC', `CRC32 mismatch: stored 0x${storedCrc.toString(16).padStart(8, '0')}, computed 0x${crc.toString(16).padStart(8, '0')} (corrupted file)`);
  }

  // Header fields.
  const layerCount = u16(H.TBN_HDR_LAYER_COUNT_U16);
  const classCount = u16(H.TBN_HDR_CLASS_COUNT_U16);
  const inShape: Shape = [u16(H.TBN_HDR_IN_H_U16), u16(H.TBN_HDR_IN_W_U16), u16(H.TBN_HDR_IN_C_U16)];
  if (layerCount < 1 || layerCount > H.TBN_MAX_LAYERS) {
    throw new FormatError('TBN_E_SIZE', `layer_count ${layerCount} is outside 1..${H.TBN_MAX_LAYERS}`);
  }
  if (classCount < 1 || classCount > H.TBN_MAX_CLASSES) {
    throw new FormatError('TBN_E_SIZE', `class_count ${classCount} is outside 1..${H.TBN_MAX_CLASSES}`);
  }
  if (inShape[0] < 1 || inShape[1] < 1 || inShape[2] < 1) {
    throw new FormatError('TBN_E_SIZE', `input shape ${shapeText(inShape)} has a zero dimension`);
  }
  const headerFlags = u16(H.TBN_HDR_FLAGS_U16);
  if ((headerFlags & ~H.TBN_HF_ALL) !== 0) {
    throw new FormatError('TBN_E_VERSION', `header flags are 0x${headerFlags.toString(16)}; this reader knows 0x${H.TBN_HF_ALL.toString(16)} (a newer format?)`);
  }
  for (let o = H.TBN_HDR_QUANT_COUNT_U16 + 2; o < H.TBN_HDR_CHANNELS_OFFSET_U32; o++) {
    if (u8(o) !== 0) throw new FormatError('TBN_E_VERSION', `reserved header byte ${o} is not 0`);
  }
  const hasChannels = (headerFlags & H.TBN_HF_CHANNELS) !== 0;
  const channelsOffset = u32(H.TBN_HDR_CHANNELS_OFFSET_U32);
  const channelsBytes = u32(H.TBN_HDR_CHANNELS_BYTES_U32);
  if (!hasChannels && (channelsOffset !== 0 || channelsBytes !== 0)) {
    throw new FormatError('TBN_E_VERSION', `channel table fields are set (offset ${channelsOffset}, ${channelsBytes} bytes) but the header flag TBN_HF_CHANNELS is not`);
  }
  const rateMilliHz = u32(H.TBN_HDR_RATE_MHZ_U32);
  if (((headerFlags & H.TBN_HF_RATE) !== 0) !== (rateMilliHz !== 0)) {
    throw new FormatError('TBN_E_VERSION', rateMilliHz === 0 ? 'the header flag TBN_HF_RATE is set but the rate is 0' : `the rate field is ${rateMilliHz} mHz but the header flag TBN_HF_RATE is not set`);
  }
  const scratchStored = u32(H.TBN_HDR_SCRATCH_BYTES_U32);
  const layersOffset = u32(H.TBN_HDR_LAYERS_OFFSET_U32);
  if (layersOffset !== H.TBN_HEADER_BYTES) {
    throw new FormatError('TBN_E_OFFSET', `layers_offset is ${layersOffset}, expected ${H.TBN_HEADER_BYTES}`);
  }
  const recordsEnd = layersOffset + layerCount * H.TBN_LAYER_RECORD_BYTES;
  if (recordsEnd > fileBytes) {
    throw new FormatError('TBN_E_OFFSET', `the ${layerCount} layer records end at byte ${recordsEnd}, past the end of the ${fileBytes}-byte file`);
  }

  /** A section [off, off+size) must be aligned and lie after the records, inside the file. */
  const section = (what: string, off: number, size: number, layer = -1): void => {
    if (off % H.TBN_ALIGN !== 0) throw new FormatError('TBN_E_ALIGN', `${what} offset ${off} is not ${H.TBN_ALIGN}-byte aligned`, layer);
    if (off < recordsEnd || off + size > fileBytes) {
      throw new FormatError('TBN_E_OFFSET', `${what} [${off}, ${off + size}) lies outside the data area [${recordsEnd}, ${fileBytes})`, layer);
    }
  };

  // Input quantisation: Q pairs, element i uses pair i mod Q.
  const quantCount = u16(H.TBN_HDR_QUANT_COUNT_U16);
  if (quantCount < 1 || quantCount > inShape[2] || inShape[2] % quantCount !== 0) {
    throw new FormatError('TBN_E_SIZE', `quant_count ${quantCount} must be 1..in_c and divide in_c (${inShape[2]})`);
  }
  const quantOffset = u32(H.TBN_HDR_QUANT_OFFSET_U32);
  section('input quantisation section', quantOffset, quantCount * 8);
  const quantMul = new Float32Array(quantCount);
  const quantAdd = new Float32Array(quantCount);
  for (let c = 0; c < quantCount; c++) {
    quantMul[c] = dv.getFloat32(quantOffset + 8 * c, true);
    quantAdd[c] = dv.getFloat32(quantOffset + 8 * c + 4, true);
  }

  // Labels.
  const labelsOffset = u32(H.TBN_HDR_LABELS_OFFSET_U32);
  const labelsBytes = u32(H.TBN_HDR_LABELS_BYTES_U32);
  section('label section', labelsOffset, labelsBytes);
  const classes = readLabels(bytes, labelsOffset, labelsBytes, classCount);

  // Input channel names and units (optional): quant_count entries under the label rules.
  let channels: InputChannel[] | undefined;
  if (hasChannels) {
    section('channel table', channelsOffset, channelsBytes);
    channels = readLabels(bytes, channelsOffset, channelsBytes, quantCount, 'channel table', 'entry').map(splitChannelEntry);
  }

  // Layers.
  const layers: PackedLayer[] = [];
  let prevShape: Shape = inShape;
  let prevType: string = 'i8';
  for (let i = 0; i < layerCount; i++) {
    const r = layersOffset + i * H.TBN_LAYER_RECORD_BYTES;
    const layer = readLayer(dv, r, i, prevShape, prevType, section);
    layers.push(layer);
    prevShape = layer.outShape;
    prevType = layer.outType;
  }
  const last = layers[layers.length - 1] as PackedLayer;
  if (last.outType !== 'i32' || !sameShape(last.outShape, [1, 1, classCount])) {
    throw new FormatError(
      'TBN_E_CHAIN',
      `layer ${last.index} (${last.kind}, the last) outputs ${last.outType} ${shapeText(last.outShape)}; the logits must be i32 (1, 1, ${classCount})`,
      last.index,
    );
  }
  const s = scratchBytes(inShape, layers);
  if (s.scratch !== scratchStored) {
    throw new FormatError('TBN_E_SCRATCH', `scratch_bytes is ${scratchStored} but the layers need ${s.scratch}`);
  }
  return {
    version,
    fileBytes,
    crc32: storedCrc,
    scratchBytes: scratchStored,
    activationBytes: s.activation,
    inShape,
    quantMul,
    quantAdd,
    classes,
    ...(channels ? { channels } : {}),
    ...(rateMilliHz !== 0 ? { rateHz: rateMilliHz / 1000 } : {}),
    layers,
  };
}

/** "name<TAB>unit" -> name and unit (unit "" without a TAB). */
export function splitChannelEntry(entry: string): InputChannel {
  const tab = entry.indexOf('\t');
  return tab < 0 ? { name: entry, unit: '' } : { name: entry.slice(0, tab), unit: entry.slice(tab + 1) };
}

function readLabels(bytes: Uint8Array, off: number, size: number, count: number, table = 'label table', item = 'label'): string[] {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const labels: string[] = [];
  let pos = off;
  const end = off + size;
  for (let k = 0; k < count; k++) {
    let z = pos;
    while (z < end && bytes[z] !== 0) z++;
    if (z >= end) throw new FormatError('TBN_E_LABELS', `${table}: ${item} ${k} of ${count} is missing or not NUL-terminated within the ${size}-byte table`);
    if (z + 1 - pos > TBN.TBN_MAX_LABEL_BYTES) {
      throw new FormatError('TBN_E_LABELS', `${table}: ${item} ${k} is ${z - pos} bytes; at most ${TBN.TBN_MAX_LABEL_BYTES - 1} (plus NUL) are allowed`);
    }
    try {
      labels.push(decoder.decode(bytes.subarray(pos, z)));
    } catch {
      throw new FormatError('TBN_E_LABELS', `${table}: ${item} ${k} is not valid UTF-8`);
    }
    pos = z + 1;
  }
  if (pos !== end) throw new FormatError('TBN_E_LABELS', `${table}: ${end - pos} bytes left after the ${count} ${item === 'label' ? 'labels' : 'entries'}`);
  return labels;
}

type SectionCheck = (what: string, off: number, size: number, layer: number) => void;

function readLayer(
  dv: DataView,
  r: number,
  i: number,
  prevShape: Shape,
  prevType: string,
  section: SectionCheck,
): PackedLayer {
  const u8 = (o: number) => dv.getUint8(r + o);
  const u16 = (o: number) => dv.getUint16(r + o, true);
  const u32 = (o: number) => dv.getUint32(r + o, true);
  const kindCode = u8(H.TBN_LYR_KIND_U8);
  const kind = kindName(kindCode);
  const bad = (msg: string): FormatError => new FormatError('TBN_E_LAYER', `layer ${i}${kind ? ` (${kind})` : ''}: ${msg}`, i);
  if (!kind) throw bad(`unknown kind ${kindCode}`);
  const inType = typeName(u8(H.TBN_LYR_IN_TYPE_U8));
  const outType = typeName(u8(H.TBN_LYR_OUT_TYPE_U8));
  if (!inType) throw bad(`unknown input type ${u8(H.TBN_LYR_IN_TYPE_U8)}`);
  if (!outType) throw bad(`unknown output type ${u8(H.TBN_LYR_OUT_TYPE_U8)}`);
  const flags = u8(H.TBN_LYR_FLAGS_U8);
  if ((flags & ~H.TBN_LF_ALL) !== 0) throw bad(`unknown flags 0x${flags.toString(16)}`);
  if (u8(H.TBN_LYR_SHIFT_U8 + 1) !== 0) throw bad('reserved byte 27 is not 0');
  for (let o = H.TBN_LYR_AUX_OFFSET_U32 + 4; o < H.TBN_LAYER_RECORD_BYTES; o++) {
    if (u8(o) !== 0) throw bad(`reserved record byte ${o} is not 0`);
  }
  const inShape: Shape = [u16(H.TBN_LYR_IN_H_U16), u16(H.TBN_LYR_IN_W_U16), u16(H.TBN_LYR_IN_C_U16)];
  const outShape: Shape = [u16(H.TBN_LYR_OUT_H_U16), u16(H.TBN_LYR_OUT_W_U16), u16(H.TBN_LYR_OUT_C_U16)];
  const kernel: [number, number] = [u16(H.TBN_LYR_K_H_U16), u16(H.TBN_LYR_K_W_U16)];
  const stride: [number, number] = [u16(H.TBN_LYR_STRIDE_H_U16), u16(H.TBN_LYR_STRIDE_W_U16)];
  const p = u16(H.TBN_LYR_P_U16);
  const shift = u8(H.TBN_LYR_SHIFT_U8);
  const tileOffset = u32(H.TBN_LYR_TILE_OFFSET_U32);
  const tileWords = u32(H.TBN_LYR_TILE_WORDS_U32);
  const threshOffset = u32(H.TBN_LYR_THRESH_OFFSET_U32);
  const auxOffset = u32(H.TBN_LYR_AUX_OFFSET_U32);

  // Chain: the input must be what the previous layer produced.
  if (inType !== prevType || !sameShape(inShape, prevShape)) {
    const from = i === 0 ? 'the model input' : `layer ${i - 1}'s output`;
    throw new FormatError(
      'TBN_E_CHAIN',
      `layer ${i} (${kind}): input ${inType} ${shapeText(inShape)} disagrees with ${from}, ${prevType} ${shapeText(prevShape)}`,
      i,
    );
  }
  if (outShape[0] < 1 || outShape[1] < 1 || outShape[2] < 1) throw bad(`output shape ${shapeText(outShape)} has a zero dimension`);

  const reuse = (flags & H.TBN_LF_REUSE) !== 0;
  const rows = (flags & H.TBN_LF_ROWS) !== 0;
  const t16 = (flags & H.TBN_LF_T16) !== 0;
  const base = { index: i, kind, inType, outType, inShape, outShape, kernel, stride, p, flags, reuse, rows, t16, shift, tileOffset, tileWords, threshOffset, auxOffset };

  if (!isWeightKind(kind)) {
    if (p !== 0) throw bad(`p is ${p}; pooling layers have p = 0`);
    if (flags !== 0 || shift !== 0) throw bad('pooling layers have no flags and no shift');
    if (tileOffset !== 0 || tileWords !== 0 || threshOffset !== 0 || auxOffset !== 0) throw bad('pooling layers have no sections (offsets must be 0)');
    if (kind === 'gap') {
      if (kernel[0] !== 0 || kernel[1] !== 0 || stride[0] !== 0 || stride[1] !== 0) throw bad('gap has k and stride 0');
      if (outType !== 'i32') throw bad(`gap outputs i32, not ${outType}`);
      if (!sameShape(outShape, [1, 1, inShape[2]])) throw bad(`gap output ${shapeText(outShape)} should be (1, 1, ${inShape[2]})`);
    } else {
      if (outType !== inType) throw bad(`maxpool output type ${outType} differs from its input type ${inType}`);
      checkWindow(bad, inShape, outShape, kernel, stride);
      if (outShape[2] !== inShape[2]) throw bad(`maxpool output channels ${outShape[2]} differ from input channels ${inShape[2]}`);
    }
    return { ...base, tile: new Uint32Array(0), thresholds: new Int32Array(0), flips: new Uint32Array(0), biases: new Int32Array(0) };
  }

  // Weight layers.
  checkWindow(bad, inShape, outShape, kernel, stride);
  if (kind === 'dense') {
    if (kernel[0] !== inShape[0] || kernel[1] !== inShape[1] || stride[0] !== 1 || stride[1] !== 1) {
      throw bad(`dense needs k = input (h, w) = (${inShape[0]}, ${inShape[1]}) and stride 1, got k (${kernel[0]}, ${kernel[1]}) stride (${stride[0]}, ${stride[1]})`);
    }
  } else if (kind === 'conv1d') {
    if (inShape[0] !== 1 || kernel[0] !== 1 || stride[0] !== 1) throw bad('conv1d needs in_h = k_h = stride_h = 1');
  }
  const N = outShape[2];
  const K = kernel[0] * kernel[1] * inShape[2];
  if (p < 1 || (N * K) % p !== 0) throw bad(`p = ${p} does not divide the ${N * K} weights (N = ${N}, K = ${K})`);
  const g = weightGeometry(inShape[2], N, kernel, p);
  if (rows !== g.rows) throw bad(g.rows ? `p = ${p} divides N = ${N} so the ROWS flag is required` : `p = ${p} does not divide N = ${N} so the ROWS flag is forbidden`);
  if (reuse && !rows) throw bad('REUSE needs the ROWS layout');
  if (t16 && outType !== 'bin') throw bad('T16 applies only to BIN output');
  if (outType === 'bin' && shift !== 0) throw bad(`shift ${shift} on a BIN-output layer (must be 0)`);
  if (shift > 31) throw bad(`shift ${shift} is above 31`);
  if (tileWords !== g.tileWords) throw bad(`tile_words is ${tileWords}, the layout needs ${g.tileWords}`);

  const threshBytes = outType === 'bin' && t16 ? 2 * N : 4 * N;
  const auxBytes = outType === 'bin' ? 4 * wordsPerPosition(N) : 4 * N;
  const what = `layer ${i} (${kind})`;
  section(`${what} tile`, tileOffset, 4 * tileWords, i);
  section(`${what} ${outType === 'bin' ? 'thresholds' : 'multipliers'}`, threshOffset, threshBytes, i);
  section(`${what} ${outType === 'bin' ? 'flips' : 'biases'}`, auxOffset, auxBytes, i);

  const dv32 = (o: number) => dv.getUint32(o, true);
  const tile = new Uint32Array(tileWords);
  for (let j = 0; j < tileWords; j++) tile[j] = dv32(tileOffset + 4 * j);
  // Padding bits must be 0: a BIN input's padding is 0, so a set tile padding bit would count as a mismatch.
  if (rows) {
    const cw = wordsPerPosition(inShape[2]);
    const tail = inShape[2] % 32;
    if (tail !== 0) {
      const mask = (0xffffffff << tail) >>> 0;
      for (let j = cw - 1; j < tileWords; j += cw) {
        if (((tile[j] as number) & mask) !== 0) throw bad(`tile word ${j} has padding bits set (in_c = ${inShape[2]})`);
      }
    }
  } else if (g.q % 32 !== 0 && (((tile[tileWords - 1] as number) >>> (g.q % 32)) !== 0)) {
    throw bad(`tile bits past q = ${g.q} are set`);
  }
  const thresholds = new Int32Array(N);
  for (let o = 0; o < N; o++) thresholds[o] = threshBytes === 2 * N ? dv.getInt16(threshOffset + 2 * o, true) : dv.getInt32(threshOffset + 4 * o, true);
  let flips = new Uint32Array(0);
  let biases = new Int32Array(0);
  if (outType === 'bin') {
    flips = new Uint32Array(wordsPerPosition(N));
    for (let j = 0; j < flips.length; j++) flips[j] = dv32(auxOffset + 4 * j);
    const tail = N % 32;
    if (tail !== 0 && (((flips[flips.length - 1] as number) >>> tail) !== 0)) throw bad(`flip bits past channel ${N - 1} are set`);
  } else {
    biases = new Int32Array(N);
    for (let o = 0; o < N; o++) biases[o] = dv.getInt32(auxOffset + 4 * o, true);
  }
  return { ...base, tile, thresholds, flips, biases };
}

function checkWindow(bad: (m: string) => FormatError, inShape: Shape, outShape: Shape, kernel: [number, number], stride: [number, number]): void {
  if (kernel[0] < 1 || kernel[1] < 1 || stride[0] < 1 || stride[1] < 1) throw bad(`k (${kernel[0]}, ${kernel[1]}) and stride (${stride[0]}, ${stride[1]}) must be at least 1`);
  if (kernel[0] > inShape[0] || kernel[1] > inShape[1]) throw bad(`window (${kernel[0]}, ${kernel[1]}) is larger than the input (${inShape[0]}, ${inShape[1]})`);
  const oh = Math.floor((inShape[0] - kernel[0]) / stride[0]) + 1;
  const ow = Math.floor((inShape[1] - kernel[1]) / stride[1]) + 1;
  if (outShape[0] !== oh || outShape[1] !== ow) throw bad(`output (h, w) = (${outShape[0]}, ${outShape[1]}) but the valid window gives (${oh}, ${ow})`);
}
