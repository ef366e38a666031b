/**
 * Host-side helpers over the shared protocol source (device/protocol.ts):
 * building host frames and parsing device frames into objects.
 */
import * as P from '../../device/protocol.ts';

export { P };

export interface InfoMessage {
  type: 'info';
  version: number;
  modelOk: boolean;
  fileBytes: number;
  scratchBytes: number;
  classes: number;
  inH: number;
  inW: number;
  inC: number;
  window: number;
  stride: number;
  ring: number;
  freeBytes: number;
  /** Class labels, or the model error when modelOk is false. */
  labels: string[];
  error: string;
}
export interface PredictionMessage {
  type: 'prediction';
  stream: number;
  endSeq: number;
  cls: number;
  micros: number;
  freeBytes: number;
  logits: Int32Array;
}
export interface StatusMessage {
  type: 'status';
  stream: number;
  nextSeq: number;
  counters: Record<string, number>;
}
export interface ErrorMessage {
  type: 'error';
  code: number;
  arg: number;
  message: string;
}
export interface AckMessage {
  type: 'ack';
  gap: boolean;
  stream: number;
  nextSeq: number;
  limit: number;
}
/** Raw sensor samples (record mode): counts as the sensor gives them, channel-interleaved. */
export interface RawMessage {
  type: 'raw';
  /** Index of the first sample since the sensor started. */
  seq: number;
  /** Samples lost to FIFO overflow so far. */
  lost: number;
  kind: number;
  channels: number;
  count: number;
  samples: Int16Array;
}
/** The board's sensor: kind, mode, actual rate and ranges (reply to SENSOR_REQ). */
export interface SensorMessage {
  type: 'sensor';
  kind: number;
  kindName: 'none' | 'mpu6050' | 'bangle' | 'unknown';
  mode: number;
  ok: boolean;
  channels: number;
  /** The sensor's actual sample rate in Hz. */
  rateHz: number;
  accelRangeG: number;
  gyroRangeDps: number;
  pollMs: number;
  /** Samples since the sensor started. */
  seq: number;
  /** Why the sensor does not run, when ok is false. */
  error: string;
}
export interface UnknownMessage {
  type: 'unknown';
  frameType: number;
  bytes: Uint8Array;
}
export type DeviceMessage = InfoMessage | PredictionMessage | StatusMessage | ErrorMessage | AckMessage | RawMessage | SensorMessage | UnknownMessage;

export const SENSOR_MODES = { off: P.MODE_OFF, predict: P.MODE_PREDICT, record: P.MODE_RECORD, both: P.MODE_BOTH } as const;
export type SensorModeName = keyof typeof SENSOR_MODES;
const KIND_NAMES = ['none', 'mpu6050', 'bangle'] as const;

function text(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.buffer, b.byteOffset + from, Math.max(0, to - from)).toString('latin1');
}

/** Parses one decoded frame (type + payload, CRC already checked and stripped). */
export function parseDeviceFrame(f: Uint8Array, len: number): DeviceMessage {
  const t = f[0];
  const bad = (): UnknownMessage => ({ type: 'unknown', frameType: t as number, bytes: f.slice(0, len) });
  switch (t) {
    case P.T_INFO: {
      if (len < 29) return bad();
      const modelOk = f[2] === 1;
      const tail = text(f, 29, len);
      return {
        type: 'info',
        version: f[1] as number,
        modelOk,
        fileBytes: P.getU32(f, 3),
        scratchBytes: P.getU32(f, 7),
        classes: P.getU16(f, 11),
        inH: P.getU16(f, 13),
        inW: P.getU16(f, 15),
        inC: P.getU16(f, 17),
        window: P.getU16(f, 19),
        stride: P.getU16(f, 21),
        ring: P.getU16(f, 23),
        freeBytes: P.getU32(f, 25),
        labels: modelOk && tail.length > 0 ? tail.split('\n') : [],
        error: modelOk ? '' : tail,
      };
    }
    case P.T_PREDICTION: {
      if (len < 18) return bad();
      const n = f[17] as number;
      if (len !== 18 + 4 * n) return bad();
      const logits = new Int32Array(n);
      for (let i = 0; i < n; i++) logits[i] = P.getI32(f, 18 + 4 * i);
      return { type: 'prediction', stream: P.getU16(f, 1), endSeq: P.getU32(f, 3), cls: P.getU16(f, 7), micros: P.getU32(f, 9), freeBytes: P.getU32(f, 13), logits };
    }
    case P.T_STATUS: {
      if (len < 8) return bad();
      const n = f[7] as number;
      if (len !== 8 + 4 * n) return bad();
      const counters: Record<string, number> = {};
      for (let i = 0; i < n; i++) counters[P.COUNTER_NAMES[i] ?? `counter${i}`] = P.getU32(f, 8 + 4 * i);
      return { type: 'status', stream: P.getU16(f, 1), nextSeq: P.getU32(f, 3), counters };
    }
    case P.T_ERROR:
      if (len < 6) return bad();
      return { type: 'error', code: f[1] as number, arg: P.getU32(f, 2), message: text(f, 6, len) };
    case P.T_ACK:
      if (len !== 12) return bad();
      return { type: 'ack', gap: ((f[1] as number) & P.ACK_GAP) !== 0, stream: P.getU16(f, 2), nextSeq: P.getU32(f, 4), limit: P.getU32(f, 8) };
    case P.T_RAW: {
      if (len < 1 + P.RAW_HEADER) return bad();
      const channels = f[10] as number;
      const count = f[11] as number;
      if (channels === 0 || len !== 1 + P.RAW_HEADER + 2 * channels * count) return bad();
      const samples = new Int16Array(channels * count);
      for (let i = 0; i < samples.length; i++) samples[i] = P.getI16(f, 1 + P.RAW_HEADER + 2 * i);
      return { type: 'raw', seq: P.getU32(f, 1), lost: P.getU32(f, 5), kind: f[9] as number, channels, count, samples };
    }
    case P.T_SENSOR: {
      if (len < 18) return bad();
      const kind = f[1] as number;
      return {
        type: 'sensor',
        kind,
        kindName: KIND_NAMES[kind] ?? 'unknown',
        mode: f[2] as number,
        ok: f[3] === 1,
        channels: f[4] as number,
        rateHz: P.getU32(f, 5) / 1000,
        accelRangeG: f[9] as number,
        gyroRangeDps: P.getU16(f, 10),
        pollMs: P.getU16(f, 12),
        seq: P.getU32(f, 14),
        error: text(f, 18, len),
      };
    }
    default:
      return bad();
  }
}

/** Encodes one frame (type + payload) into a fresh buffer ending with the 0x00 delimiter. */
export function encode(frame: Uint8Array): Uint8Array {
  const raw = new Uint8Array(P.MAX_FRAME);
  if (frame.length + P.CRC_BYTES > P.MAX_FRAME) throw new RangeError(`frame of ${frame.length} bytes exceeds the ${P.MAX_FRAME - P.CRC_BYTES}-byte limit`);
  raw.set(frame);
  const out = new Uint8Array(P.MAX_ENCODED + 1);
  const n = P.encodeFrame(raw, frame.length, out);
  return out.slice(0, n);
}

export const hello = (): Uint8Array => encode(Uint8Array.of(P.T_HELLO));
export const reset = (): Uint8Array => encode(Uint8Array.of(P.T_RESET));
export const statusRequest = (): Uint8Array => encode(Uint8Array.of(P.T_STATUS_REQ));
export const sensorRequest = (): Uint8Array => encode(Uint8Array.of(P.T_SENSOR_REQ));
export const sensorMode = (mode: number): Uint8Array => encode(Uint8Array.of(P.T_SENSOR_MODE, mode));
export function start(stream: number, reliable: boolean): Uint8Array {
  return encode(Uint8Array.of(P.T_START, stream & 0xff, (stream >> 8) & 0xff, reliable ? P.START_RELIABLE : 0));
}

export type SampleFormat = 'f32' | 'i16';

/** Most samples one SAMPLES frame can carry for this channel count and format. */
export function maxSamplesPerFrame(channels: number, format: SampleFormat): number {
  const width = format === 'f32' ? 4 : 2;
  return Math.min(255, Math.floor((P.MAX_PAYLOAD - P.SAMPLES_HEADER) / (channels * width)));
}

/**
 * A SAMPLES frame (not yet encoded) for samples[first, first+count) of a
 * channel-interleaved array; i16 values are round(x * 2^shift), clamped.
 */
export function samplesFrame(stream: number, seq: number, samples: Float32Array, channels: number, first: number, count: number, format: SampleFormat, shift = 0): Uint8Array {
  const width = format === 'f32' ? 4 : 2;
  const f = new Uint8Array(1 + P.SAMPLES_HEADER + count * channels * width);
  f[0] = P.T_SAMPLES;
  P.putU16(f, 1, stream);
  P.putU32(f, 3, seq);
  f[7] = format === 'f32' ? P.FMT_F32 : P.FMT_I16;
  f[8] = shift;
  f[9] = channels;
  f[10] = count;
  let at = 1 + P.SAMPLES_HEADER;
  const dv = new DataView(f.buffer);
  for (let k = 0; k < count * channels; k++) {
    const v = samples[first * channels + k] as number;
    if (width === 4) {
      dv.setFloat32(at, v, true);
      at += 4;
    } else {
      dv.setInt16(at, Math.max(-32768, Math.min(32767, Math.round(v * 2 ** shift))), true);
      at += 2;
    }
  }
  return f;
}

/** The float values the device reconstructs from i16 samples (exact: i16 * 2^-shift). */
export function dequantiseI16(samples: Float32Array, shift: number): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round((samples[i] as number) * 2 ** shift))) / 2 ** shift;
  return out;
}

/** Incremental decoder of device frames from a byte stream. */
export class FrameReader {
  private readonly dec = P.newDecoder();
  readonly errors = { badCrc: 0, badFraming: 0, tooLong: 0 };
  push(bytes: Uint8Array, onMessage: (m: DeviceMessage) => void): void {
    let i = 0;
    while (i < bytes.length) {
      i = P.decodeSome(this.dec, bytes, i);
      const r = this.dec.result;
      if (r === P.D_FRAME) onMessage(parseDeviceFrame(this.dec.frame, this.dec.length));
      else if (r === P.D_BAD_CRC) this.errors.badCrc++;
      else if (r === P.D_BAD_FRAMING) this.errors.badFraming++;
      else if (r === P.D_TOO_LONG) this.errors.tooLong++;
    }
  }
}
