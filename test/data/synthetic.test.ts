import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../host/data/dataset.ts';
import { HAR_CHANNELS, HAR_CLASSES } from '../../host/data/sp-sw-har.ts';
import { parseSubjects } from '../../host/data/subjects.ts';
import { synthesizeHarDataset, synthesizeMotion } from '../../host/data/synthetic.ts';

/** Per-window mean and std of each channel. */
function features(d: Dataset): number[][] {
  const [, L, C] = d.shape;
  const out: number[][] = [];
  for (let i = 0; i < d.count; i++) {
    const f: number[] = [];
    for (let c = 0; c < C; c++) {
      let s = 0;
      let q = 0;
      for (let t = 0; t < L; t++) {
        const v = d.x[(i * L + t) * C + c] as number;
        s += v;
        q += v * v;
      }
      f.push(s / L, Math.sqrt(Math.max(0, q / L - (s / L) ** 2)));
    }
    out.push(f);
  }
  return out;
}

/** Accuracy of a nearest-class-mean classifier on standardized features: a weak learner as a floor. */
function nearestMeanAccuracy(train: Dataset, test: Dataset): number {
  const ft = features(train);
  const fe = features(test);
  const D = ft[0]!.length;
  const mu = new Array<number>(D).fill(0);
  const sd = new Array<number>(D).fill(0);
  for (const f of ft) f.forEach((v, j) => (mu[j]! += v / ft.length));
  for (const f of ft) f.forEach((v, j) => (sd[j]! += (v - mu[j]!) ** 2 / ft.length));
  const z = (f: number[]): number[] => f.map((v, j) => (v - mu[j]!) / Math.sqrt(sd[j]! + 1e-9));
  const K = train.classes.length;
  const centre = Array.from({ length: K }, () => new Array<number>(D).fill(0));
  const n = new Array<number>(K).fill(0);
  ft.forEach((f, i) => {
    const k = train.y[i]!;
    n[k]!++;
    z(f).forEach((v, j) => (centre[k]![j]! += v));
  });
  centre.forEach((c, k) => c.forEach((_, j) => (c[j]! /= n[k]!)));
  let right = 0;
  fe.forEach((f, i) => {
    const zf = z(f);
    let best = -1;
    let bestD = Infinity;
    centre.forEach((c, k) => {
      const dist = c.reduce((a, v, j) => a + (v - zf[j]!) ** 2, 0);
      if (dist < bestD) [bestD, best] = [dist, k];
    });
    if (best === test.y[i]) right++;
  });
  return right / fe.length;
}

describe('synthesizeMotion', () => {
  it('is deterministic per seed and follows the TUG order of activities', () => {
    const a = synthesizeMotion({ seconds: 16, seed: 5 });
    const b = synthesizeMotion({ seconds: 16, seed: 5 });
    const c = synthesizeMotion({ seconds: 16, seed: 6 });
    expect(Array.from(a.samples)).toEqual(Array.from(b.samples));
    expect(Array.from(a.samples)).not.toEqual(Array.from(c.samples));
    expect(a.count).toBe(800);
    expect(a.rate).toBe(50);
    expect(a.channels).toEqual(HAR_CHANNELS);
    expect(a.file).toMatch(/^synthetic/);
    const runs: string[] = [];
    for (const l of a.labels) if (HAR_CLASSES[l] !== runs[runs.length - 1]) runs.push(HAR_CLASSES[l]!);
    expect(runs.slice(0, 7)).toEqual(['SEATED', 'STANDING_UP', 'WALKING', 'TURNING', 'WALKING', 'TURNING', 'SITTING_DOWN']);
  });

  it('has gravity in the accelerometer at rest and motion in the gyroscope while walking', () => {
    const r = synthesizeMotion({ seconds: 20, seed: 2, rate: 100 });
    expect(r.count).toBe(2000);
    let restMag = 0;
    let rest = 0;
    let walkGyro = 0;
    let restGyro = 0;
    let walk = 0;
    for (let k = 0; k < r.count; k++) {
      const s = r.samples.subarray(k * 6, k * 6 + 6);
      const g = Math.hypot(s[3]!, s[4]!, s[5]!);
      if (r.labels[k] === 0) {
        restMag += Math.hypot(s[0]!, s[1]!, s[2]!);
        restGyro += g;
        rest++;
      } else if (r.labels[k] === 2) {
        walkGyro += g;
        walk++;
      }
    }
    expect(Math.abs(restMag / rest - 9.81)).toBeLessThan(0.3);
    expect(walkGyro / walk).toBeGreaterThan(5 * (restGyro / rest));
  });
});

describe('synthesizeHarDataset', () => {
  it('windows every subject like the HAR loader, covering every class', () => {
    const d = synthesizeHarDataset({ subjects: parseSubjects('s01-s03') });
    expect(d.shape).toEqual([1, 128, 6]);
    expect(new Set(d.groups)).toEqual(new Set(['s01', 's02', 's03']));
    // 4 recordings of 16 s = 800 samples: floor((800 - 128) / 64) + 1 = 11 windows each.
    expect(d.count).toBe(3 * 4 * 11);
    const two = synthesizeHarDataset({ subjects: ['s01'], channels: ['z_gyro', 'x_acc'] });
    expect(two.shape).toEqual([1, 128, 2]);
    expect(() => synthesizeHarDataset({ subjects: ['s01'], channels: ['mag'] })).toThrow(/unknown channel "mag"/);
  });

  it('is learnable on held-out subjects: a nearest-class-mean classifier on window statistics exceeds 80%', () => {
    const train = synthesizeHarDataset({ subjects: parseSubjects('s01-s14') });
    const test = synthesizeHarDataset({ subjects: parseSubjects('s15-s18') });
    for (let k = 0; k < 5; k++) expect(test.y.includes(k), HAR_CLASSES[k]).toBe(true);
    expect(nearestMeanAccuracy(train, test)).toBeGreaterThan(0.8);
  });
});
