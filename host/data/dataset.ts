import { TbnError } from '../errors.ts';

/**
 * A labelled set of fixed-size examples, channel-last: example i occupies
 * x[i*h*w*c, (i+1)*h*w*c) with position (row, col) at (row*w + col)*c.
 * Sensor windows are h = 1, w = window length, c = channels.
 */
export interface Dataset {
  /** Where it came from, for messages, e.g. "sp-sw-har s15-s18". */
  name: string;
  x: Float32Array;
  /** Class index per example, into `classes`. */
  y: Int32Array;
  count: number;
  shape: [h: number, w: number, c: number];
  classes: string[];
  /** Channel names, e.g. ["x_acc", ...] or ["pixel"]. */
  channels: string[];
  /** Physical unit per channel (e.g. "m/s2"; "" unknown), when the source states them. */
  units?: string[];
  /** Samples per second of a sensor stream the windows were cut from (absent for one-row examples and images). */
  rateHz?: number;
  /** Optional group per example (subject id), used for splitting and reports. */
  groups?: string[];
}

export function exampleSize(d: Pick<Dataset, 'shape'>): number {
  return d.shape[0] * d.shape[1] * d.shape[2];
}

/**
 * Refuses a dataset with a non-finite value, or a channel whose mean or standard deviation does not
 * fit float32 (the input standardisation every model stores): either would turn training into NaN
 * and chance accuracy without a word.
 */
export function checkFiniteData(d: Pick<Dataset, 'name' | 'x' | 'shape' | 'channels'>): void {
  const c = d.shape[2];
  const sum = new Float64Array(c);
  for (let i = 0; i < d.x.length; i++) {
    const v = d.x[i] as number;
    if (!Number.isFinite(v)) {
      const per = d.shape[0] * d.shape[1] * c;
      throw new TbnError('E_DATA', `${d.name}: example ${Math.floor(i / per) + 1}, channel ${d.channels[i % c] ?? i % c} holds ${v}`);
    }
    sum[i % c] = (sum[i % c] as number) + v;
  }
  const per = d.x.length / c;
  for (let k = 0; k < c; k++) {
    const mean = (sum[k] as number) / per;
    let sq = 0;
    for (let i = k; i < d.x.length; i += c) sq += ((d.x[i] as number) - mean) ** 2;
    const std = Math.sqrt(sq / per);
    if (!Number.isFinite(Math.fround(mean)) || !Number.isFinite(Math.fround(std))) {
      throw new TbnError('E_DATA', `${d.name}: channel ${d.channels[k] ?? k} has mean ${mean.toPrecision(3)} and standard deviation ${std.toPrecision(3)}, beyond float32: rescale it`);
    }
  }
}
