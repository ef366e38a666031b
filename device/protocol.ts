/**
 * The framed serial protocol shared by the device app and the host tools
 * (PROTOCOL.md beside this file is the prose specification).
 *
 * This file is bundled into the ES5 device app: no classes needing runtime
 * helpers, no ES2015+ library calls, no allocation per byte. Everything works
 * on caller-owned Uint8Arrays.
 *
 * Wire format: COBS(type u8 | payload | crc16 u16 LE) 0x00
 */

export var PROTOCOL_VERSION = 1;

/** Largest decoded frame (type + payload + CRC). COBS adds at most 2 bytes at this size. */
export var MAX_FRAME = 254;
export var MAX_PAYLOAD = MAX_FRAME - 3;
/** Largest encoded frame without its delimiter. */
export var MAX_ENCODED = 256;

/* Host -> device. */
export var T_HELLO = 0x01;
export var T_RESET = 0x02;
export var T_STATUS_REQ = 0x03;
export var T_START = 0x04;
export var T_SAMPLES = 0x10;
/* Device -> host. */
export var T_INFO = 0x81;
export var T_PREDICTION = 0x82;
export var T_STATUS = 0x83;
export var T_ERROR = 0x84;
export var T_ACK = 0x85;

/* SAMPLES sample formats. */
export var FMT_I16 = 0;
export var FMT_F32 = 1;
export var SAMPLES_HEADER = 10; // stream u16, seq u32, fmt u8, shift u8, channels u8, count u8

/* START flags. */
export var START_RELIABLE = 1;

/* ACK flags. */
export var ACK_GAP = 1;

/* ERROR codes. */
export var E_OVERRUN = 1;
export var E_MODEL = 2;
export var E_SAMPLES = 3;
export var E_INFERENCE = 4;
export var E_STATE = 5;

/* STATUS counters, in wire order (u32 each). */
export var C_FRAMES_OK = 0;
export var C_BAD_CRC = 1;
export var C_BAD_FRAMING = 2;
export var C_TOO_LONG = 3;
export var C_BAD_PAYLOAD = 4;
export var C_UNKNOWN_TYPE = 5;
export var C_SEQ_GAPS = 6;
export var C_DUPLICATES = 7;
export var C_DROPPED_SAMPLES = 8;
export var C_OVERRUNS = 9;
export var C_SAMPLES = 10;
export var C_PREDICTIONS = 11;
export var C_INFERENCE_ERRORS = 12;
export var C_TX_FRAMES = 13;
export var COUNTER_COUNT = 14;
export var COUNTER_NAMES = [
  'framesOk',
  'badCrc',
  'badFraming',
  'tooLong',
  'badPayload',
  'unknownType',
  'seqGaps',
  'duplicates',
  'droppedSamples',
  'overruns',
  'samples',
  'predictions',
  'inferenceErrors',
  'txFrames',
];

var crcTable: Uint16Array | null = null;

function makeCrcTable(): Uint16Array {
  var t = new Uint16Array(256);
  for (var i = 0; i < 256; i++) {
    var c = i << 8;
    for (var b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
}

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) of buf[start, end). */
export function crc16(buf: Uint8Array, start: number, end: number): number {
  if (crcTable === null) crcTable = makeCrcTable();
  var t = crcTable;
  var c = 0xffff;
  for (var i = start; i < end; i++) c = ((c << 8) & 0xffff) ^ t[((c >> 8) ^ buf[i]) & 0xff];
  return c;
}

/**
 * Appends the CRC to raw[0, len) (type + payload), COBS-encodes it into out
 * followed by the 0x00 delimiter, and returns the number of bytes written.
 * out must hold MAX_ENCODED + 1 bytes; returns -1 if the frame is too long.
 */
export function encodeFrame(raw: Uint8Array, len: number, out: Uint8Array): number {
  if (len + 2 > MAX_FRAME || len < 1) return -1;
  var c = crc16(raw, 0, len);
  raw[len] = c & 0xff;
  raw[len + 1] = c >> 8;
  var n = len + 2;
  var codeAt = 0;
  var o = 1;
  var code = 1;
  for (var i = 0; i < n; i++) {
    var b = raw[i];
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = b;
      code++;
      if (code === 0xff) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  out[o++] = 0;
  return o;
}

/* Decoder results for one completed frame. */
export var D_NONE = 0; // no frame completed (or an empty frame between delimiters)
export var D_FRAME = 1; // a valid frame of `length` bytes (type + payload, CRC stripped) is in `frame`
export var D_BAD_CRC = 2;
export var D_BAD_FRAMING = 3; // COBS error or shorter than type + CRC
export var D_TOO_LONG = 4; // more than MAX_ENCODED bytes before a delimiter

/**
 * Streaming COBS frame decoder with a fixed buffer. Feed bytes one at a time;
 * after a delimiter it reports one result. A frame longer than MAX_ENCODED is
 * discarded up to the next delimiter and reported once, then decoding resumes.
 */
export interface FrameDecoder {
  buf: Uint8Array; // encoded bytes of the frame being received
  fill: number;
  overflow: boolean;
  frame: Uint8Array; // decoded frame after D_FRAME
  length: number;
}

export function newDecoder(): FrameDecoder {
  return { buf: new Uint8Array(MAX_ENCODED), fill: 0, overflow: false, frame: new Uint8Array(MAX_ENCODED), length: 0 };
}

export function resetDecoder(d: FrameDecoder): void {
  d.fill = 0;
  d.overflow = false;
  d.length = 0;
}

/** Feeds one byte; returns a D_* result. */
export function decodeByte(d: FrameDecoder, b: number): number {
  if (b !== 0) {
    if (d.fill < MAX_ENCODED) d.buf[d.fill++] = b;
    else d.overflow = true;
    return D_NONE;
  }
  var n = d.fill;
  d.fill = 0;
  if (d.overflow) {
    d.overflow = false;
    return D_TOO_LONG;
  }
  if (n === 0) return D_NONE;
  // COBS decode buf[0, n) into frame.
  var src = d.buf;
  var dst = d.frame;
  var i = 0;
  var o = 0;
  while (i < n) {
    var code = src[i++];
    var end = i + code - 1;
    if (end > n) return D_BAD_FRAMING;
    while (i < end) dst[o++] = src[i++];
    if (code !== 0xff && i < n) dst[o++] = 0;
  }
  if (o < 3) return D_BAD_FRAMING;
  var c = crc16(dst, 0, o - 2);
  if ((c & 0xff) !== dst[o - 2] || c >> 8 !== dst[o - 1]) return D_BAD_CRC;
  d.length = o - 2;
  return D_FRAME;
}

/* Little-endian field access on Uint8Arrays (no DataView: cheaper on Espruino). */
export function getU16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
export function getU32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
export function getI32(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
}
export function getI16(b: Uint8Array, o: number): number {
  var v = b[o] | (b[o + 1] << 8);
  return v & 0x8000 ? v - 0x10000 : v;
}
export function putU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >> 8) & 0xff;
}
export function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >> 8) & 0xff;
  b[o + 2] = (v >> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/* Float32 conversion through a shared 4-byte view (no allocation per value). */
var f32Bytes: Uint8Array | null = null;
var f32View: Float32Array | null = null;

function f32Init(): void {
  var buf = new ArrayBuffer(4);
  f32Bytes = new Uint8Array(buf);
  f32View = new Float32Array(buf);
}

/** Reads a little-endian float32 (assumes a little-endian host, as every supported MCU and x86/ARM host is). */
export function getF32(b: Uint8Array, o: number): number {
  if (f32Bytes === null) f32Init();
  var t = f32Bytes as Uint8Array;
  t[0] = b[o];
  t[1] = b[o + 1];
  t[2] = b[o + 2];
  t[3] = b[o + 3];
  return (f32View as Float32Array)[0];
}

export function putF32(b: Uint8Array, o: number, v: number): void {
  if (f32Bytes === null) f32Init();
  (f32View as Float32Array)[0] = v;
  var t = f32Bytes as Uint8Array;
  b[o] = t[0];
  b[o + 1] = t[1];
  b[o + 2] = t[2];
  b[o + 3] = t[3];
}
