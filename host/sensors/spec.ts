/**
 * What each supported sensor provides, and how its raw int16 counts become the physical units a
 * model was trained on. The one place both `tbn build --sensor` (which writes the per-channel
 * mapping into the device config) and the simulator's emulated sensors (which quantise a recording
 * to counts) take these numbers from, so the device, the emulator and the reference agree.
 *
 * Device side: for model input channel i, value = raw[channels[i].src] * channels[i].scale, computed
 * in double precision and stored into the Float32Array ring (so the host reference is
 * Math.fround(raw * scale) with the same double `scale`).
 */
import { TbnError } from '../errors.ts';

export type SensorKind = 'mpu6050' | 'bangle';
export type Quantity = 'accel' | 'gyro';
export type Axis = 'x' | 'y' | 'z';
/** Units a model channel may be trained in. */
export type Unit = 'm/s2' | 'g' | 'rad/s' | 'deg/s';

export const STANDARD_GRAVITY = 9.80665;

export interface RawChannel {
  /** Short name used in mappings and raw frames: ax, ay, az, gx, gy, gz. */
  name: string;
  quantity: Quantity;
  axis: Axis;
}

const ACCEL: RawChannel[] = [
  { name: 'ax', quantity: 'accel', axis: 'x' },
  { name: 'ay', quantity: 'accel', axis: 'y' },
  { name: 'az', quantity: 'accel', axis: 'z' },
];
const GYRO: RawChannel[] = [
  { name: 'gx', quantity: 'gyro', axis: 'x' },
  { name: 'gy', quantity: 'gyro', axis: 'y' },
  { name: 'gz', quantity: 'gyro', axis: 'z' },
];

/** Raw channels in the order the device delivers them (MPU-6050 FIFO order: accel XYZ, gyro XYZ). */
export const RAW_CHANNELS: Record<SensorKind, RawChannel[]> = {
  mpu6050: [...ACCEL, ...GYRO],
  bangle: [...ACCEL],
};

/**
 * The sp-sw-har unit of a quantity: m/s2 (acceleration), rad/s (rotation). What `tbn record` writes,
 * and what recordings and models that state no unit are ASSUMED to be in (until they all carry units).
 */
export function harUnit(quantity: Quantity): Unit {
  return quantity === 'accel' ? 'm/s2' : 'rad/s';
}

/** The sp-sw-har column name of a raw channel: x_acc ... z_gyro. */
export function harColumnName(raw: RawChannel): string {
  return `${raw.axis}_${raw.quantity === 'accel' ? 'acc' : 'gyro'}`;
}

/** MPU-6050 full-scale settings: ACCEL_CONFIG.AFS_SEL / GYRO_CONFIG.FS_SEL index -> range and LSB. */
export const MPU6050_ACCEL_RANGES_G = [2, 4, 8, 16] as const;
export const MPU6050_ACCEL_LSB_PER_G = [16384, 8192, 4096, 2048] as const;
export const MPU6050_GYRO_RANGES_DPS = [250, 500, 1000, 2000] as const;
export const MPU6050_GYRO_LSB_PER_DPS = [131, 65.5, 32.8, 16.4] as const;
/** Bangle.js reports acceleration in g; the app turns it into int16 counts of 1/8192 g (its ±4 g range). */
export const BANGLE_LSB_PER_G = 8192;

export interface SensorRanges {
  /** MPU-6050 accelerometer full scale in g: 2, 4, 8 or 16. */
  accelRangeG: number;
  /** MPU-6050 gyroscope full scale in degrees per second: 250, 500, 1000 or 2000. */
  gyroRangeDps: number;
}

export const DEFAULT_RANGES: SensorRanges = { accelRangeG: 4, gyroRangeDps: 500 };

/** Counts per unit of the raw channel's native quantity (per g, or per degree/s). */
export function countsPerNative(kind: SensorKind, quantity: Quantity, ranges: SensorRanges = DEFAULT_RANGES): number {
  if (kind === 'bangle') {
    if (quantity !== 'accel') throw new TbnError('E_OPTION', 'the Bangle.js sensor has no gyroscope');
    return BANGLE_LSB_PER_G;
  }
  if (quantity === 'accel') {
    const i = MPU6050_ACCEL_RANGES_G.indexOf(ranges.accelRangeG as 2);
    if (i < 0) throw new TbnError('E_OPTION', `--accel-range must be one of ${MPU6050_ACCEL_RANGES_G.join(', ')} g, got ${ranges.accelRangeG}`);
    return MPU6050_ACCEL_LSB_PER_G[i] as number;
  }
  const i = MPU6050_GYRO_RANGES_DPS.indexOf(ranges.gyroRangeDps as 250);
  if (i < 0) throw new TbnError('E_OPTION', `--gyro-range must be one of ${MPU6050_GYRO_RANGES_DPS.join(', ')} deg/s, got ${ranges.gyroRangeDps}`);
  return MPU6050_GYRO_LSB_PER_DPS[i] as number;
}

/** Which quantity a unit measures. */
export function unitQuantity(unit: Unit): Quantity {
  return unit === 'm/s2' || unit === 'g' ? 'accel' : 'gyro';
}

/** Native units (g, deg/s) per model unit: multiply a value in native units by 1/this to get model units. */
function nativePerUnit(unit: Unit): number {
  switch (unit) {
    case 'm/s2':
      return 1 / STANDARD_GRAVITY;
    case 'g':
      return 1;
    case 'rad/s':
      return 180 / Math.PI;
    case 'deg/s':
      return 1;
  }
}

/** Model units per raw count: value = count * scale. */
export function unitsPerCount(kind: SensorKind, unit: Unit, ranges: SensorRanges = DEFAULT_RANGES): number {
  return 1 / (countsPerNative(kind, unitQuantity(unit), ranges) * nativePerUnit(unit));
}

/** Nearest int16 count for a value in model units (what an emulated sensor reports), saturating. */
export function toCount(value: number, kind: SensorKind, unit: Unit, ranges: SensorRanges = DEFAULT_RANGES): number {
  const c = Math.round(value / unitsPerCount(kind, unit, ranges));
  return c > 32767 ? 32767 : c < -32768 ? -32768 : Number.isNaN(c) ? 0 : c;
}

/**
 * Recognises a channel name as a quantity and axis: x_acc, acc_x, accX, ax, x_gyro, gyro_x, gyroX,
 * gx (case-insensitive). Undefined when the name says neither.
 */
export function parseChannelName(name: string): { quantity: Quantity; axis: Axis } | undefined {
  const n = name.toLowerCase().replace(/[^a-z]/g, '');
  const m =
    /^([xyz])(acc|accel|accelerometer|gyro|gyr|gyroscope)$/.exec(n) ??
    /^(acc|accel|accelerometer|gyro|gyr|gyroscope)([xyz])$/.exec(n) ??
    /^([ag])([xyz])$/.exec(n);
  if (!m) return undefined;
  const [a, b] = [m[1] as string, m[2] as string];
  const axis = (/^[xyz]$/.test(a) ? a : b) as Axis;
  const word = axis === a ? b : a;
  return { quantity: word.startsWith('a') ? 'accel' : 'gyro', axis };
}

export interface ModelChannel {
  name: string;
  unit: Unit;
}

export interface ChannelMapping {
  /** Index into the sensor's raw channels (RAW_CHANNELS[kind]). */
  src: number;
  /** Model units per count, sign included (a flipped axis has a negative scale). */
  scale: number;
}

/**
 * Maps each model input channel to a raw sensor channel and its scale. `overrides` holds explicit
 * `model=raw` pairs from `--channels` (raw may start with '-' to flip the axis). Throws a TbnError
 * naming every model channel the sensor cannot provide.
 */
export function mapChannels(
  kind: SensorKind,
  model: ModelChannel[],
  ranges: SensorRanges = DEFAULT_RANGES,
  overrides: Record<string, string> = {},
): ChannelMapping[] {
  const raw = RAW_CHANNELS[kind];
  const missing: string[] = [];
  const out: ChannelMapping[] = [];
  for (const ch of model) {
    let sign = 1;
    let src = -1;
    const o = overrides[ch.name];
    if (o !== undefined) {
      const name = o.startsWith('-') ? o.slice(1) : o;
      sign = o.startsWith('-') ? -1 : 1;
      src = raw.findIndex((r) => r.name === name);
      if (src < 0) throw new TbnError('E_OPTION', `--channels ${ch.name}=${o}: the ${kind} has no channel ${name} (it has ${raw.map((r) => r.name).join(', ')})`);
    } else {
      const parsed = parseChannelName(ch.name);
      if (parsed) src = raw.findIndex((r) => r.quantity === parsed.quantity && r.axis === parsed.axis);
    }
    if (src < 0) {
      missing.push(ch.name);
      continue;
    }
    const r = raw[src] as RawChannel;
    if (unitQuantity(ch.unit) !== r.quantity) {
      throw new TbnError('E_OPTION', `model channel ${ch.name} is in ${ch.unit}, but ${kind} channel ${r.name} measures ${r.quantity === 'accel' ? 'acceleration' : 'rotation'}`);
    }
    out.push({ src, scale: sign * unitsPerCount(kind, ch.unit, ranges) });
  }
  if (missing.length) {
    throw new TbnError('E_SENSOR', `the ${kind} cannot provide model input channel${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it has ${raw.map((r) => r.name).join(', ')}; map them with --channels NAME=RAW)`);
  }
  return out;
}
