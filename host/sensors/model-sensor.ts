/**
 * `tbn build --sensor`: the device's `sensor` config for a packed model. The model's input channels
 * (names and units from its channel table, docs/sensors.md) are mapped onto the sensor's raw axes
 * with buildSensorConfig; the sample rate is the one stored in the model (or given, when the file
 * has none). Also the parsers of the sensor flags, each refusing a bad value with the flag's name.
 */
import { TbnError, UsageError } from '../errors.ts';
import type { PackedModel } from '../format/model.ts';
import { buildSensorConfig, type I2cConfig, type SensorConfig, type SensorMode, type SensorOptions } from './config.ts';
import { DEFAULT_RANGES, type ModelChannel, type SensorRanges, type Unit } from './spec.ts';

export const SENSOR_CHOICES = ['mpu6050', 'bangle', 'serial'] as const;
export type SensorChoice = (typeof SENSOR_CHOICES)[number];
const MODES: readonly SensorMode[] = ['predict', 'record', 'both', 'off'];
const UNITS: readonly Unit[] = ['m/s2', 'g', 'rad/s', 'deg/s'];

/** Spellings of units a data set may use, to the ones the sensors convert to. */
const UNIT_ALIASES: Readonly<Record<string, Unit>> = {
  'm/s2': 'm/s2', 'm/s^2': 'm/s2', 'm/s²': 'm/s2', 'ms-2': 'm/s2', 'g': 'g',
  'rad/s': 'rad/s', 'deg/s': 'deg/s', 'dps': 'deg/s', '°/s': 'deg/s',
};

export function parseSensorChoice(v: string | undefined): SensorChoice | undefined {
  if (v === undefined) return undefined;
  if (!(SENSOR_CHOICES as readonly string[]).includes(v)) throw new UsageError(`--sensor must be one of ${SENSOR_CHOICES.join(', ')}, got "${v}"`);
  return v as SensorChoice;
}

export function parseSensorMode(v: string | undefined): SensorMode | undefined {
  if (v === undefined) return undefined;
  if (!(MODES as readonly string[]).includes(v)) throw new UsageError(`--sensor-mode must be one of ${MODES.join(', ')}, got "${v}"`);
  return v as SensorMode;
}

/** `NAME=VALUE,NAME=VALUE` pairs of a flag, names unique. */
export function parsePairs(v: string | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined) return out;
  for (const item of v.split(',')) {
    const m = /^\s*([^=\s][^=]*?)\s*=\s*(\S+)\s*$/.exec(item);
    if (!m) throw new UsageError(`${flag} takes NAME=VALUE pairs separated by commas, got "${item}"`);
    const name = m[1] as string;
    if (name in out) throw new UsageError(`${flag} names ${name} twice`);
    out[name] = m[2] as string;
  }
  return out;
}

/** `--i2c BUS:SCL:SDA[:BITRATE]`, e.g. I2C1:B6:B7 or I2C1:D22:D21:100000. */
export function parseI2c(v: string | undefined): I2cConfig | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(':');
  const [bus, scl, sda, rate] = parts;
  if (parts.length < 3 || parts.length > 4 || !bus || !scl || !sda || !/^I2C\d$/.test(bus) || !/^[A-Z]{1,2}\d{1,3}$/.test(scl) || !/^[A-Z]{1,2}\d{1,3}$/.test(sda)) {
    throw new UsageError(`--i2c must be BUS:SCL:SDA[:BITRATE] with Espruino names, e.g. I2C1:B6:B7 or I2C1:D22:D21, got "${v}"`);
  }
  const bitrate = rate === undefined ? 400000 : Number(rate);
  if (!Number.isInteger(bitrate) || bitrate < 10000 || bitrate > 1000000) throw new UsageError(`--i2c bitrate must be an integer from 10000 to 1000000 Hz, got "${rate}"`);
  return { bus, scl, sda, bitrate };
}

/** `--address 0x68`, `0x69`, `104` or `105`. */
export function parseAddress(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v.slice(2), 16) : /^\d+$/.test(v) ? Number(v) : NaN;
  if (n !== 0x68 && n !== 0x69) throw new UsageError(`--address must be 0x68 or 0x69 (the MPU-6050's AD0 pin low or high), got "${v}"`);
  return n;
}

/** buildSensorConfig's options, with the channels and rate taken from the model (and given only where it stores none). */
export interface ModelSensorOptions extends Omit<SensorOptions, 'channels' | 'rateHz' | 'ranges'> {
  /** Samples per second: required when the model stores none, else must equal it. */
  rateHz?: number;
  /** Units for channels whose unit the model does not store (`--units NAME=UNIT`). */
  units?: Record<string, string>;
  ranges?: Partial<SensorRanges>;
}

function toUnit(text: string, channel: string, source: string): Unit {
  const u = UNIT_ALIASES[text.trim()] ?? UNIT_ALIASES[text.trim().toLowerCase()];
  if (!u) throw new TbnError('E_SENSOR', `model input channel ${channel} is in "${text}" (${source}); a sensor can deliver ${UNITS.join(', ')}`);
  return u;
}

/** The model's input channels with units a sensor can deliver, in model order. */
export function modelChannels(model: Pick<PackedModel, 'channels' | 'inShape'>, file: string, units: Record<string, string> = {}): ModelChannel[] {
  if (!model.channels) {
    throw new TbnError('E_SENSOR', `${file} stores no input channel names, so its channels cannot be mapped to a sensor: pack the checkpoint again with this tbn (tbn pack writes them)`);
  }
  if (model.inShape[0] !== 1 || model.channels.length !== model.inShape[2]) {
    throw new TbnError('E_SENSOR', `${file} takes input ${model.inShape.join('x')}, not sensor windows (1 x window x channels)`);
  }
  for (const name of Object.keys(units)) {
    if (!model.channels.some((c) => c.name === name)) throw new UsageError(`--units names ${name}, which is not an input channel of ${file} (${model.channels.map((c) => c.name).join(', ')})`);
  }
  const unknown = model.channels.filter((c) => c.unit === '' && units[c.name] === undefined).map((c) => c.name);
  if (unknown.length > 0) {
    throw new TbnError('E_SENSOR', `${file} stores no unit for input channel${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: give them with --units ${unknown.map((n) => `${n}=UNIT`).join(',')} (${UNITS.join(', ')})`);
  }
  return model.channels.map((c) => {
    const given = units[c.name];
    if (given !== undefined && c.unit !== '' && toUnit(given, c.name, '--units') !== toUnit(c.unit, c.name, 'stored in the model')) {
      throw new UsageError(`--units ${c.name}=${given} contradicts the ${c.unit} stored in ${file}`);
    }
    return { name: c.name, unit: c.unit !== '' ? toUnit(c.unit, c.name, `stored in ${file}`) : toUnit(given as string, c.name, '--units') };
  });
}

/** The `sensor` entry of tbn.cfg for `model` on the given sensor; refuses what the sensor cannot provide, naming it. */
export function sensorConfigForModel(model: Pick<PackedModel, 'channels' | 'inShape' | 'rateHz'> & Partial<Pick<PackedModel, 'quantMul' | 'quantAdd'>>, file: string, o: ModelSensorOptions): SensorConfig {
  const stored = model.rateHz;
  if (o.rateHz !== undefined && stored !== undefined && Math.abs(o.rateHz - stored) > 1e-9) {
    throw new UsageError(`--sample-rate ${o.rateHz} differs from the ${stored} Hz ${file} was trained at`);
  }
  const rateHz = o.rateHz ?? stored;
  if (rateHz === undefined) throw new UsageError(`${file} stores no sample rate: give the rate it was trained at with --sample-rate HZ`);
  const channels = modelChannels(model, file, o.units);
  for (const name of Object.keys(o.overrides ?? {})) {
    if (!channels.some((c) => c.name === name)) throw new UsageError(`--channels names ${name}, which is not an input channel of ${file} (${channels.map((c) => c.name).join(', ')})`);
  }
  const ranges = { accelRangeG: o.ranges?.accelRangeG ?? DEFAULT_RANGES.accelRangeG, gyroRangeDps: o.ranges?.gyroRangeDps ?? DEFAULT_RANGES.gyroRangeDps };
  if (o.kind === 'bangle') {
    for (const [flag, v] of [['--i2c', o.i2c], ['--address', o.address], ['--dlpf', o.dlpf], ['--gyro-range', o.ranges?.gyroRangeDps], ['--accel-range', o.ranges?.accelRangeG]] as const) {
      if (v !== undefined) throw new UsageError(`${flag} is for --sensor mpu6050; the Bangle.js accelerometer has a fixed range`);
    }
  }
  return buildSensorConfig({
    kind: o.kind,
    channels,
    rateHz,
    ranges,
    ...(o.mode ? { mode: o.mode } : {}),
    ...(o.overrides ? { overrides: o.overrides } : {}),
    ...(o.i2c ? { i2c: o.i2c } : {}),
    ...(o.address !== undefined ? { address: o.address } : {}),
    ...(o.dlpf !== undefined ? { dlpf: o.dlpf } : {}),
    ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
    ...(o.led ? { led: o.led } : {}),
    ...(model.quantMul && model.quantAdd ? { quant: { mul: model.quantMul, add: model.quantAdd } } : {}),
  });
}
