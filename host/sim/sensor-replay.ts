/**
 * What an emulated sensor replays: recordings (sp-sw-har files, `tbn record` output or generic
 * labelled CSVs) resampled at the sensor's own rate, as values in model units per raw channel
 * (ax ay az [gx gy gz]); the emulated sensor quantises them to counts at its full-scale range.
 */
import { TbnError } from '../errors.ts';
import type { Recording } from '../data/recording.ts';
import { harUnit, type RawChannel, RAW_CHANNELS, type SensorKind, type Unit, parseChannelName } from '../sensors/spec.ts';
import { mpuBaseHz, mpuDivider } from '../../device/sensors/mpu6050.ts';
import { banglePollMs } from '../../device/sensors/bangle.ts';

export interface ReplaySegment {
  file: string;
  /** First replay sample of this recording. */
  start: number;
  count: number;
  /** The recording's label per sample (class index into `classes`), when it has them. */
  labels?: Int32Array;
  classes?: string[];
}

export interface SensorReplay {
  kind: SensorKind;
  /** Replay rate in Hz (the sensor's actual rate). */
  rateHz: number;
  /** Unit of each raw channel's values. */
  units: Unit[];
  /** count x raw channels values in `units`, channel-interleaved. */
  values: Float64Array;
  count: number;
  segments: ReplaySegment[];
}

/**
 * Units of a recording column. ASSUMPTION until .tbn files and recordings carry units: accelerometer
 * columns are in m/s2 and gyroscope columns in rad/s, as in sp-sw-har (and what `tbn record` writes).
 */
export function assumedUnit(raw: RawChannel): Unit {
  return harUnit(raw.quantity);
}

/** The rate the sensor actually samples at for a requested rate (MPU-6050: 1 or 8 kHz / (1 + divider); Bangle: whole-ms poll interval). */
export function sensorActualRate(kind: SensorKind, rateHz: number, dlpf = 3): number {
  if (kind === 'bangle') return 1000 / banglePollMs(rateHz);
  return mpuBaseHz(dlpf) / (1 + mpuDivider(rateHz, dlpf));
}

/** Joins recordings (already resampled at the sensor's rate) into one replay, taking each raw channel from the column named for it. */
export function replayFromRecordings(kind: SensorKind, recordings: Recording[], rateHz: number): SensorReplay {
  if (recordings.length === 0) throw new TbnError('E_DATA', 'nothing to replay: no recordings');
  const raw = RAW_CHANNELS[kind];
  const total = recordings.reduce((n, r) => n + r.count, 0);
  const R = raw.length;
  const values = new Float64Array(total * R);
  const segments: ReplaySegment[] = [];
  let at = 0;
  for (const rec of recordings) {
    if (Math.abs(rec.rate - rateHz) > 1e-9) throw new TbnError('E_DATA', `${rec.file}: resampled at ${rec.rate} Hz, the sensor samples at ${rateHz} Hz`);
    const cols = raw.map((r) => rec.channels.findIndex((name) => {
      const p = parseChannelName(name);
      return p !== undefined && p.quantity === r.quantity && p.axis === r.axis;
    }));
    const missing = raw.filter((_, i) => (cols[i] as number) < 0).map((r) => r.name);
    if (missing.length) throw new TbnError('E_DATA', `${rec.file}: no column for the ${kind}'s ${missing.join(', ')} (columns: ${rec.channels.join(', ')})`);
    const C = rec.channels.length;
    for (let k = 0; k < rec.count; k++) {
      for (let r = 0; r < R; r++) values[(at + k) * R + r] = rec.samples[k * C + (cols[r] as number)] as number;
    }
    segments.push({ file: rec.file, start: at, count: rec.count, labels: rec.labels, ...(rec.classes ? { classes: rec.classes } : {}) });
    at += rec.count;
  }
  return { kind, rateHz, units: raw.map(assumedUnit), values, count: total, segments };
}

/** A cursor over a replay: next() gives the next sample's values (or undefined at the end, unless it loops). */
export class ReplayCursor {
  index = 0;
  /** Replay samples [index, end) (tests replay one recording at a time). */
  end: number;
  constructor(
    readonly replay: SensorReplay,
    readonly loop = false,
  ) {
    this.end = replay.count;
  }

  /** Plays replay samples [start, start + count) next. */
  select(start: number, count: number): void {
    this.index = start;
    this.end = start + count;
  }

  /** Values of the next sample (a view into the replay), or undefined when the replay has ended. */
  next(): Float64Array | undefined {
    const r = this.replay;
    if (this.index >= this.end) {
      if (!this.loop || r.count === 0) return undefined;
      this.index = 0;
      this.end = r.count;
    }
    const R = r.units.length;
    const v = r.values.subarray(this.index * R, (this.index + 1) * R);
    this.index++;
    return v;
  }

  get ended(): boolean {
    return !this.loop && this.index >= this.end;
  }
}
