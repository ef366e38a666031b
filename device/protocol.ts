/**
 * The framed serial protocol shared by the device app and the host tools
 * (PROTOCOL.md beside this file is the prose specification).
 *
 * This file is bundled into the ES5 device app: no classes needing runtime
 * helpers, no allocation per byte. Work is done per block with native typed
 * array operations (indexOf, set, subarray) because an interpreter such as
 * Espruino pays tens of microseconds per JS operation: a loop per byte would
 * not keep up with the serial line on a microcontroller.
 *
 * Wire format: COBS(type u8 | payload | crc32 u32 LE) 0x00
 */

export var PROTOCOL_VERSION = 1;

/** Largest decoded frame (type + payload + CRC). COBS adds at most 2 bytes at this size. */
export var MAX_FRAME = 254;
export var CRC_BYTES = 4;
export var MAX_PAYLOAD = MAX_FRAME - 1 - CRC_BYTES;
/** Largest encoded frame without its delimiter. */
export var MAX_ENCODED = 256;

/* Host -> device. */
export var T_HELLO = 0x01;
export var T_RESET = 0x02;
export var T_STATUS_REQ = 0x03;
export var T_START = 0x04;
export var T_SENSOR_MODE = 0x05;
export var T_SENSOR_REQ = 0x06;
export var T_SAMPLES = 0x10;
/* Device -> host. */
export var T_INFO = 0x81;
export var T_PREDICTION = 0x82;
export var T_STATUS = 0x83;
export var T_ERROR = 0x84;
export var T_ACK = 0x85;
export var T_RAW = 0x86;
export var T_SENSOR = 0x87;

/* SENSOR_MODE modes (bit 0: predict, bit 1: record). */
export var MODE_OFF = 0;
export var MODE_PREDICT = 1;
export var MODE_RECORD = 2;
export var MODE_BOTH = 3;
/* Sensor kinds in RAW and SENSOR frames. */
export var KIND_NONE = 0;
export var KIND_MPU6050 = 1;
export var KIND_BANGLE = 2;
/** The stream id of predictions on the board's own sensor. */
export var SENSOR_STREAM = 0xffff;
/** RAW header after the type: seq u32, lost u32, kind u8, channels u8, count u8. */
export var RAW_HEADER = 11;

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
export var E_SENSOR = 6;

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
export var C_SENSOR_SAMPLES = 14;
export var C_SENSOR_LOST = 15;
export var C_SENSOR_OVERFLOWS = 16;
export var C_TX_DROPPED = 17;
export var COUNTER_COUNT = 18;
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
  'sensorSamples',
  'sensorLost',
  'sensorOverflows',
  'txDropped',
];

var crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3 / zlib: reflected, poly 0xEDB88320, init and final xor 0xFFFFFFFF) of buf[start, end). */
export function crc32(buf: Uint8Array, start: number, end: number): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  var t = crcTable;
  var r = 0xffffffff;
  for (var i = start; i < end; i++) r = t[(r ^ buf[i]) & 0xff] ^ (r >>> 8);
  return (r ^ 0xffffffff) >>> 0;
}

var crcFn: (buf: Uint8Array, start: number, end: number) => number = crc32;

/** Replaces the CRC-32 routine (Espruino: the native E.CRC32, same result, ~20x faster). */
export function setCrc32(fn: (buf: Uint8Array, start: number, end: number) => number): void {
  crcFn = fn;
}

/** Index of the first 0x00 in b at or after from, or -1 (native TypedArray indexOf). */
function indexOfZero(b: Uint8Array, from: number): number {
  return (b as any).indexOf(0, from);
}

/**
 * Appends the CRC to raw[0, len) (type + payload), COBS-encodes it into out
 * followed by the 0x00 delimiter, and returns the number of bytes written.
 * out must hold MAX_ENCODED + 1 bytes; returns -1 if the frame is too long.
 */
export function encodeFrame(raw: Uint8Array, len: number, out: Uint8Array): number {
  if (len + CRC_BYTES > MAX_FRAME || len < 1) return -1;
  putU32(raw, len, crcFn(raw, 0, len));
  var n = len + CRC_BYTES;
  var o = 0;
  var i = 0;
  for (;;) {
    var z = indexOfZero(raw, i);
    if (z < 0 || z > n) z = n;
    while (z - i >= 254) {
      out[o++] = 0xff;
      out.set(raw.subarray(i, i + 254), o);
      o += 254;
      i += 254;
    }
    out[o++] = z - i + 1;
    if (z > i) {
      out.set(raw.subarray(i, z), o);
      o += z - i;
    }
    if (z >= n) break;
    i = z + 1;
  }
  out[o++] = 0;
  return o;
}

/* Decoder results. */
export var D_NONE = 0; // no frame completed (or an empty frame between delimiters)
export var D_FRAME = 1; // a valid frame of `length` bytes (type + payload, CRC stripped) is in `frame`
export var D_BAD_CRC = 2;
export var D_BAD_FRAMING = 3; // COBS error or shorter than type + CRC
export var D_TOO_LONG = 4; // more than MAX_ENCODED bytes before a delimiter

/**
 * Streaming COBS frame decoder with fixed buffers. A frame longer than
 * MAX_ENCODED is discarded up to the next delimiter and reported once.
 */
export interface FrameDecoder {
  buf: Uint8Array; // encoded bytes of the frame being received
  fill: number;
  overflow: boolean;
  frame: Uint8Array; // decoded frame after D_FRAME
  length: number;
  result: number;
}

export function newDecoder(): FrameDecoder {
  return { buf: new Uint8Array(MAX_ENCODED), fill: 0, overflow: false, frame: new Uint8Array(MAX_ENCODED), length: 0, result: D_NONE };
}

export function resetDecoder(d: FrameDecoder): void {
  d.fill = 0;
  d.overflow = false;
  d.length = 0;
  d.result = D_NONE;
}

function finishFrame(d: FrameDecoder): number {
  var n = d.fill;
  d.fill = 0;
  if (d.overflow) {
    d.overflow = false;
    return D_TOO_LONG;
  }
  if (n === 0) return D_NONE;
  var src = d.buf;
  var dst = d.frame;
  var i = 0;
  var o = 0;
  while (i < n) {
    var code = src[i++];
    var end = i + code - 1;
    if (end > n) return D_BAD_FRAMING;
    if (end > i) {
      dst.set(src.subarray(i, end), o);
      o += end - i;
      i = end;
    }
    if (code !== 0xff && i < n) dst[o++] = 0;
  }
  if (o < 1 + CRC_BYTES) return D_BAD_FRAMING;
  if (crcFn(dst, 0, o - CRC_BYTES) !== getU32(dst, o - CRC_BYTES)) return D_BAD_CRC;
  d.length = o - CRC_BYTES;
  return D_FRAME;
}

/**
 * Consumes bytes from index `from` up to and including the next delimiter
 * (or to the end) and returns the index after what it consumed. d.result is
 * then a D_* value: D_NONE when no frame ended.
 */
export function decodeSome(d: FrameDecoder, bytes: Uint8Array, from: number): number {
  var n = bytes.length;
  var z = indexOfZero(bytes, from);
  var stop = z < 0 ? n : z;
  var len = stop - from;
  if (len > 0 && !d.overflow) {
    if (d.fill + len > MAX_ENCODED) d.overflow = true;
    else {
      d.buf.set(bytes.subarray(from, stop), d.fill);
      d.fill += len;
    }
  }
  if (z < 0) {
    d.result = D_NONE;
    return n;
  }
  d.result = finishFrame(d);
  return z + 1;
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
