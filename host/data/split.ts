/** Deterministic splits, subsets and statistics of Datasets. */
import type { Dataset } from './dataset.ts';
import { exampleSize } from './dataset.ts';
import { TbnError } from '../errors.ts';
import { seededRandom } from '../random.ts';

/** Re-exported for the data layer's callers; the generator lives in host/random.ts. */
export { seededRandom };

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rnd = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = out[i] as T;
    out[i] = out[j] as T;
    out[j] = t;
  }
  return out;
}

/** The examples at `indices` (in that order), as a new Dataset. */
export function subset(d: Dataset, indices: ArrayLike<number>, name: string = d.name): Dataset {
  const size = exampleSize(d);
  const n = indices.length;
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  const groups: string[] | undefined = d.groups ? [] : undefined;
  for (let k = 0; k < n; k++) {
    const i = indices[k] as number;
    if (!Number.isInteger(i) || i < 0 || i >= d.count) throw new TbnError('E_INTERNAL', `subset index ${i} out of range 0-${d.count - 1} in ${d.name}`);
    x.set(d.x.subarray(i * size, (i + 1) * size), k * size);
    y[k] = d.y[i] as number;
    if (groups) groups.push(d.groups![i] as string);
  }
  const out: Dataset = { name, x, y, count: n, shape: [...d.shape], classes: [...d.classes], channels: [...d.channels] };
  if (d.units) out.units = [...d.units];
  if (d.rateHz !== undefined) out.rateHz = d.rateHz;
  if (groups) out.groups = groups;
  return out;
}

/** Joins datasets of the same shape, classes and channels. */
export function concat(...parts: Dataset[]): Dataset {
  if (parts.length === 0) throw new TbnError('E_INTERNAL', 'concat needs at least one dataset');
  const first = parts[0] as Dataset;
  const size = exampleSize(first);
  let count = 0;
  for (const p of parts) {
    if (p.shape.join('x') !== first.shape.join('x')) throw new TbnError('E_INPUT', `cannot join ${p.name} (shape ${p.shape.join('x')}) with ${first.name} (shape ${first.shape.join('x')})`);
    if (p.classes.join('\u0000') !== first.classes.join('\u0000')) throw new TbnError('E_INPUT', `cannot join ${p.name} (classes ${p.classes.join(',')}) with ${first.name} (classes ${first.classes.join(',')})`);
    if (p.channels.join('\u0000') !== first.channels.join('\u0000')) throw new TbnError('E_INPUT', `cannot join ${p.name} (channels ${p.channels.join(',')}) with ${first.name} (channels ${first.channels.join(',')})`);
    count += p.count;
  }
  const x = new Float32Array(count * size);
  const y = new Int32Array(count);
  const withGroups = parts.every((p) => p.groups);
  const groups: string[] = [];
  let at = 0;
  for (const p of parts) {
    x.set(p.x.subarray(0, p.count * size), at * size);
    y.set(p.y.subarray(0, p.count), at);
    if (withGroups) groups.push(...(p.groups as string[]));
    at += p.count;
  }
  const out: Dataset = { name: parts.map((p) => p.name).join(' + '), x, y, count, shape: [...first.shape], classes: [...first.classes], channels: [...first.channels] };
  if (withGroups) out.groups = groups;
  if (first.units && parts.every((p) => p.units?.join('\u0000') === first.units?.join('\u0000'))) out.units = [...first.units];
  if (first.rateHz !== undefined && parts.every((p) => p.rateHz === first.rateHz)) out.rateHz = first.rateHz;
  return out;
}

/**
 * Splits off a validation set, deterministically for a given seed. With byGroup, whole groups
 * (subjects) go to validation: ceil(fraction * groups), at least one, never all. Otherwise
 * round(fraction * count) examples. Both parts keep the original example order.
 */
export function splitValidation(d: Dataset, fraction: number, seed: number, byGroup = false): { train: Dataset; val: Dataset } {
  if (!(fraction > 0 && fraction < 1)) throw new TbnError('E_OPTION', `validation fraction must be between 0 and 1 (exclusive), got ${fraction}`);
  const inVal = new Uint8Array(d.count);
  let desc: string;
  if (byGroup) {
    if (!d.groups) throw new TbnError('E_INPUT', `${d.name} has no groups (subjects) to split validation by`);
    const unique = [...new Set(d.groups)].sort();
    if (unique.length < 2) throw new TbnError('E_INPUT', `${d.name}: need at least 2 subjects to hold some out for validation, it has ${unique.length} (${unique.join(',')})`);
    const k = Math.min(unique.length - 1, Math.max(1, Math.ceil(fraction * unique.length - 1e-9)));
    const chosen = new Set(shuffled(unique, seed).slice(0, k));
    for (let i = 0; i < d.count; i++) if (chosen.has(d.groups[i] as string)) inVal[i] = 1;
    desc = [...chosen].sort().join(',');
  } else {
    const k = Math.round(fraction * d.count);
    if (k < 1 || k >= d.count) throw new TbnError('E_INPUT', `${d.name}: a validation fraction of ${fraction} of ${d.count} examples leaves ${k < 1 ? 'validation' : 'training'} empty`);
    const order = shuffled(Array.from({ length: d.count }, (_, i) => i), seed);
    for (let i = 0; i < k; i++) inVal[order[i] as number] = 1;
    desc = `${k} of ${d.count}`;
  }
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  for (let i = 0; i < d.count; i++) (inVal[i] ? valIdx : trainIdx).push(i);
  return {
    train: subset(d, trainIdx, `${d.name} (train part)`),
    val: subset(d, valIdx, `${d.name} (validation ${desc})`),
  };
}

/**
 * k folds for cross-validation: each fold's `val` is one k-th of the examples and its `train` the rest. By group
 * (whole subjects, dealt round-robin after a seeded shuffle) when the data has groups, else by example.
 */
export function kFolds(d: Dataset, k: number, seed: number): { train: Dataset; val: Dataset }[] {
  if (!Number.isInteger(k) || k < 2) throw new TbnError('E_OPTION', `cross-validation needs at least 2 folds, got ${k}`);
  const fold = new Int32Array(d.count);
  let unit: string;
  if (d.groups) {
    const unique = shuffled([...new Set(d.groups)].sort(), seed);
    if (unique.length < k) throw new TbnError('E_INPUT', `${d.name}: ${k} folds by subject need at least ${k} subjects, it has ${unique.length}`);
    const of = new Map(unique.map((g, i) => [g, i % k]));
    for (let i = 0; i < d.count; i++) fold[i] = of.get(d.groups[i] as string) as number;
    unit = 'subject';
  } else {
    if (d.count < k) throw new TbnError('E_INPUT', `${d.name}: ${k} folds need at least ${k} examples, it has ${d.count}`);
    shuffled(Array.from({ length: d.count }, (_, i) => i), seed).forEach((idx, pos) => (fold[idx] = pos % k));
    unit = 'example';
  }
  return Array.from({ length: k }, (_, f) => {
    const trainIdx: number[] = [];
    const valIdx: number[] = [];
    for (let i = 0; i < d.count; i++) (fold[i] === f ? valIdx : trainIdx).push(i);
    return {
      train: subset(d, trainIdx, `${d.name} (fold ${f + 1}/${k} train, by ${unit})`),
      val: subset(d, valIdx, `${d.name} (fold ${f + 1}/${k}, by ${unit})`),
    };
  });
}

/** Per-channel mean and (population) standard deviation over every position of every example. */
export function channelStats(d: Dataset): { mean: number[]; std: number[] } {
  const c = d.shape[2];
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const n = d.count * d.shape[0] * d.shape[1];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) {
      const v = d.x[i * c + k] as number;
      sum[k] = (sum[k] as number) + v;
      sq[k] = (sq[k] as number) + v * v;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let k = 0; k < c; k++) {
    const m = n > 0 ? (sum[k] as number) / n : 0;
    mean.push(m);
    std.push(n > 0 ? Math.sqrt(Math.max(0, (sq[k] as number) / n - m * m)) : 0);
  }
  return { mean, std };
}

/** Number of examples of each class, in class order. */
export function classCounts(d: Dataset): number[] {
  const counts = new Array<number>(d.classes.length).fill(0);
  for (let i = 0; i < d.count; i++) counts[d.y[i] as number]! += 1;
  return counts;
}
