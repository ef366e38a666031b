/** A uniform multichannel sensor stream with one label per sample, and its windowing. */
import type { Dataset } from './dataset.ts';
import { InputError, TbnError } from '../errors.ts';
import { listNames } from './csv.ts';

export interface Recording {
  /** Where it came from (a path, or e.g. "synthetic:seed=3"). */
  file: string;
  /** Subject id, e.g. "s01". */
  subject: string;
  /** Samples per second of the uniform grid. */
  rate: number;
  channels: string[];
  /** Physical unit per channel ("" unknown), when the source states them. */
  units?: string[];
  /** count * channels.length values, channel-interleaved: sample k, channel c at k*C + c. */
  samples: Float32Array;
  /** Class index per sample, into `classes` (HAR_CLASSES when absent). */
  labels: Int32Array;
  count: number;
  /** Class names the labels index; absent means HAR_CLASSES. */
  classes?: string[];
}

export interface WindowOptions {
  /** Window length in seconds (default 2.56, i.e. 128 samples at 50 Hz). */
  windowSeconds?: number;
  /** Fraction of a window shared with the next one, in [0, 1) (default 0.5). */
  overlap?: number;
}

export interface WindowGeometry {
  length: number;
  stride: number;
}

export const DEFAULT_WINDOW_SECONDS = 2.56;
export const DEFAULT_OVERLAP = 0.5;

/** Window length and stride in samples for a given rate. */
export function windowGeometry(rate: number, opts: WindowOptions = {}): WindowGeometry {
  const seconds = opts.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  const overlap = opts.overlap ?? DEFAULT_OVERLAP;
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new TbnError('E_OPTION', `window length must be a positive number of seconds, got ${seconds}`);
  return windowGeometryInSamples(Math.round(seconds * rate), overlap, `${seconds} s at ${rate} Hz`);
}

export function windowGeometryInSamples(length: number, overlap: number = DEFAULT_OVERLAP, what = `${length} samples`): WindowGeometry {
  if (!(overlap >= 0 && overlap < 1)) throw new TbnError('E_OPTION', `overlap must be in [0, 1), got ${overlap}`);
  if (!Number.isInteger(length) || length < 1) throw new TbnError('E_OPTION', `a window of ${what} holds no sample`);
  const stride = Math.max(1, Math.round(length * (1 - overlap)));
  return { length, stride };
}

export interface Windows {
  /** count * length * channels values; window i starts at i * length * channels. */
  x: Float32Array;
  /** Label of each window's centre sample (index length >> 1). */
  y: Int32Array;
  /** First sample of each window in the recording. */
  starts: Int32Array;
  count: number;
  length: number;
  stride: number;
}

/** Cuts a recording into windows of `length` samples every `stride` samples; the label is the centre sample's. */
export function windowRecordingBySamples(rec: Recording, geometry: WindowGeometry): Windows {
  const { length, stride } = geometry;
  const c = rec.channels.length;
  if (rec.count < length) {
    throw new InputError(
      rec.file,
      undefined,
      `too few samples for one window: it has ${rec.count} sample${rec.count === 1 ? '' : 's'} (${(rec.count / rec.rate).toFixed(2)} s at ${rec.rate} Hz), one window needs ${length}`,
    );
  }
  const count = Math.floor((rec.count - length) / stride) + 1;
  const x = new Float32Array(count * length * c);
  const y = new Int32Array(count);
  const starts = new Int32Array(count);
  const centre = length >> 1;
  for (let i = 0; i < count; i++) {
    const start = i * stride;
    starts[i] = start;
    x.set(rec.samples.subarray(start * c, (start + length) * c), i * length * c);
    y[i] = rec.labels[start + centre] as number;
  }
  return { x, y, starts, count, length, stride };
}

/** Windows a recording by time (default 2.56 s with 50% overlap), each labelled by its centre sample. */
export function windowRecording(rec: Recording, opts: WindowOptions = {}): Windows {
  return windowRecordingBySamples(rec, windowGeometry(rec.rate, opts));
}

/** Builds a Dataset (shape [1, length, channels], groups = subjects) from windowed recordings. */
export function windowsToDataset(name: string, recs: Recording[], geometry: WindowGeometry, classes: string[]): Dataset {
  if (recs.length === 0) throw new TbnError('E_INPUT', `${name}: empty split, no recordings`);
  const channels = (recs[0] as Recording).channels;
  const parts: Windows[] = [];
  let total = 0;
  for (const r of recs) {
    if (r.channels.join(',') !== channels.join(',')) {
      throw new InputError(r.file, undefined, `channels ${listNames(r.channels)} differ from ${listNames(channels)} of the other recordings`);
    }
    const w = windowRecordingBySamples(r, geometry);
    parts.push(w);
    total += w.count;
  }
  const size = geometry.length * channels.length;
  const x = new Float32Array(total * size);
  const y = new Int32Array(total);
  const groups: string[] = [];
  let at = 0;
  parts.forEach((w, i) => {
    x.set(w.x, at * size);
    y.set(w.y, at);
    const subject = (recs[i] as Recording).subject;
    for (let k = 0; k < w.count; k++) groups.push(subject);
    at += w.count;
  });
  const d: Dataset = { name, x, y, count: total, shape: [1, geometry.length, channels.length], classes: [...classes], channels: [...channels], groups };
  const first = recs[0] as Recording;
  if (first.units && recs.every((r) => r.units?.join('\u0000') === first.units?.join('\u0000'))) d.units = [...first.units];
  if (recs.every((r) => r.rate === first.rate)) d.rateHz = first.rate;
  return d;
}
