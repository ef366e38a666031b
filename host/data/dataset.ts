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
