/**
 * The `sensor` entry of the device config (`tbn.cfg`), built from a model's input channels and
 * the user's sensor options. `tbn build --sensor` writes it; `tbn sim --sensor` hands the same
 * object to the simulated device. Shape documented in docs/sensors.md.
 */
import { TbnError } from '../errors.ts';
import { int16InputParams } from '../reference/quantize.ts';
import { type ChannelMapping, DEFAULT_RANGES, type ModelChannel, type SensorKind, type SensorRanges, mapChannels } from './spec.ts';

export type SensorMode = 'predict' | 'record' | 'both' | 'off';

export interface I2cConfig {
  bus: string;
  scl: string;
  sda: string;
  bitrate: number;
}

export interface SensorConfig {
  kind: SensorKind;
  mode: SensorMode;
  rateHz: number;
  i2c?: I2cConfig;
  address?: number;
  accelRangeG?: number;
  gyroRangeDps?: number;
  dlpf?: number;
  pollMs: number;
  channels: ChannelMapping[];
  led?: string;
  /**
   * The model's int16 input triples (mult, add, shift per model channel; tbn_format.h INT16 INPUT) for these
   * counts: the device then keeps a window of raw counts and the kernel requantises them without a float
   * pass. Absent when the model's quantisation pairs were not given or do not match the channels.
   */
  input16?: number[];
}

export interface SensorOptions {
  kind: SensorKind;
  /** The model's input channels with their units, in model order. */
  channels: ModelChannel[];
  /** Samples per second the model was trained at. */
  rateHz: number;
  mode?: SensorMode;
  ranges?: SensorRanges;
  /** Explicit `model=raw` channel pairs (`--channels`). */
  overrides?: Record<string, string>;
  i2c?: I2cConfig;
  address?: number;
  dlpf?: number;
  pollMs?: number;
  led?: string;
  /** The model's input quantisation pairs (one per channel): with them the config carries input16. */
  quant?: { mul: ArrayLike<number>; add: ArrayLike<number> };
}

export function buildSensorConfig(opts: SensorOptions): SensorConfig {
  if (!Number.isFinite(opts.rateHz) || opts.rateHz <= 0 || opts.rateHz > 1000) {
    throw new TbnError('E_OPTION', `sensor rate must be in (0, 1000] Hz, got ${opts.rateHz}`);
  }
  const ranges = opts.ranges ?? DEFAULT_RANGES;
  const channels = mapChannels(opts.kind, opts.channels, ranges, opts.overrides);
  const pollMs = opts.pollMs ?? 100;
  if (!Number.isInteger(pollMs) || pollMs < 5 || pollMs > 1000) throw new TbnError('E_OPTION', `--poll-ms must be an integer in 5..1000, got ${pollMs}`);
  // Each model channel's count -> int8 triple, from the scale (sign included) that maps its raw counts to model units.
  const q = opts.quant;
  const input16 = q && q.mul.length === channels.length ? Array.from(int16InputParams(q.mul, q.add, channels.map((c) => c.scale))) : undefined;
  const base = { kind: opts.kind, mode: opts.mode ?? 'predict', rateHz: opts.rateHz, pollMs, channels, ...(opts.led ? { led: opts.led } : {}), ...(input16 ? { input16 } : {}) };
  if (opts.kind === 'bangle') return base;
  const dlpf = opts.dlpf ?? 3;
  if (!Number.isInteger(dlpf) || dlpf < 0 || dlpf > 6) throw new TbnError('E_OPTION', `--dlpf must be an integer in 0..6, got ${dlpf}`);
  const address = opts.address ?? 0x68;
  if (address !== 0x68 && address !== 0x69) throw new TbnError('E_OPTION', `--address must be 0x68 or 0x69 (the MPU-6050's AD0 pin), got 0x${address.toString(16)}`);
  return {
    ...base,
    i2c: opts.i2c ?? { bus: 'I2C1', scl: 'B6', sda: 'B7', bitrate: 400000 },
    address,
    accelRangeG: ranges.accelRangeG,
    gyroRangeDps: ranges.gyroRangeDps,
    dlpf,
  };
}
