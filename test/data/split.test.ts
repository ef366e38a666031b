import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../host/data/dataset.ts';
import { channelStats, classCounts, concat, kFolds, splitValidation, subset } from '../../host/data/split.ts';

function toy(count: number, groups?: number): Dataset {
  const d: Dataset = {
    name: 'toy',
    x: Float32Array.from({ length: count * 2 }, (_, i) => i),
    y: Int32Array.from({ length: count }, (_, i) => i % 3),
    count,
    shape: [1, 1, 2],
    classes: ['a', 'b', 'c'],
    channels: ['u', 'v'],
  };
  if (groups) d.groups = Array.from({ length: count }, (_, i) => `s${String((i % groups) + 1).padStart(2, '0')}`);
  return d;
}
const ids = (d: Dataset): number[] => Array.from({ length: d.count }, (_, i) => (d.x[i * 2] as number) / 2);

describe('splitValidation', () => {
  it('is deterministic for a seed, differs across seeds, and partitions the examples', () => {
    const d = toy(100);
    const a = splitValidation(d, 0.2, 7);
    const b = splitValidation(d, 0.2, 7);
    const c = splitValidation(d, 0.2, 8);
    expect(ids(a.val)).toEqual(ids(b.val));
    expect(ids(a.val)).not.toEqual(ids(c.val));
    expect(a.val.count).toBe(20);
    expect(a.train.count).toBe(80);
    const all = [...ids(a.train), ...ids(a.val)].sort((p, q) => p - q);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // Labels travel with their examples.
    for (let i = 0; i < a.val.count; i++) expect(a.val.y[i]).toBe(ids(a.val)[i]! % 3);
  });

  it('by group puts whole subjects in validation, ceil(fraction * subjects) of them', () => {
    const d = toy(140, 14);
    const { train, val } = splitValidation(d, 0.1, 3, true);
    const valGroups = new Set(val.groups);
    const trainGroups = new Set(train.groups);
    expect(valGroups.size).toBe(2);
    expect(trainGroups.size).toBe(12);
    for (const g of valGroups) expect(trainGroups.has(g)).toBe(false);
    expect(train.count + val.count).toBe(140);
    expect(splitValidation(d, 0.1, 3, true).val.groups).toEqual(val.groups);
  });

  it('refuses impossible splits', () => {
    expect(() => splitValidation(toy(10), 0, 1)).toThrow(/between 0 and 1/);
    expect(() => splitValidation(toy(10), 0.01, 1)).toThrow(/leaves validation empty/);
    expect(() => splitValidation(toy(10), 0.5, 1, true)).toThrow(/has no groups/);
    expect(() => splitValidation(toy(10, 1), 0.5, 1, true)).toThrow(/need at least 2 subjects/);
  });
});

describe('subset, concat, channelStats', () => {
  it('subset copies the chosen examples and groups', () => {
    const s = subset(toy(10, 2), [4, 1]);
    expect(Array.from(s.x)).toEqual([8, 9, 2, 3]);
    expect(Array.from(s.y)).toEqual([1, 1]);
    expect(s.groups).toEqual(['s01', 's02']);
    expect(() => subset(toy(3), [3])).toThrow(/out of range/);
  });

  it('concat joins in order and refuses mismatched shapes', () => {
    const j = concat(subset(toy(4), [0]), subset(toy(4), [3]));
    expect(Array.from(j.x)).toEqual([0, 1, 6, 7]);
    expect(j.count).toBe(2);
    expect(() => concat(toy(2), { ...toy(2), shape: [1, 2, 1] })).toThrow(/shape 1x2x1/);
  });

  it('classCounts counts examples per class', () => {
    expect(classCounts(toy(7))).toEqual([3, 2, 2]);
  });

  it('channelStats gives per-channel mean and population std', () => {
    const d: Dataset = { ...toy(2), x: Float32Array.from([1, 10, 3, 30]) };
    const s = channelStats(d);
    expect(s.mean).toEqual([2, 20]);
    expect(s.std).toEqual([1, 10]);
  });
});

describe('kFolds', () => {
  it('by subject: every subject in exactly one fold, each fold the complement of its training part', () => {
    const d = toy(140, 14);
    const folds = kFolds(d, 3, 5);
    expect(folds).toHaveLength(3);
    const seen = new Map<string, number>();
    folds.forEach((f, k) => {
      expect(f.train.count + f.val.count).toBe(140);
      const valGroups = new Set(f.val.groups);
      for (const g of f.train.groups ?? []) expect(valGroups.has(g)).toBe(false);
      for (const g of valGroups) {
        expect(seen.has(g)).toBe(false);
        seen.set(g, k);
      }
      expect([...ids(f.train), ...ids(f.val)].sort((p, q) => p - q)).toEqual(Array.from({ length: 140 }, (_, i) => i));
    });
    expect(seen.size).toBe(14);
    // 14 subjects in 3 folds: 5, 5, 4
    expect(folds.map((f) => new Set(f.val.groups).size).sort()).toEqual([4, 5, 5]);
    expect(folds.map((f) => ids(f.val))).toEqual(kFolds(d, 3, 5).map((f) => ids(f.val)));
    expect(folds.map((f) => ids(f.val))).not.toEqual(kFolds(d, 3, 6).map((f) => ids(f.val)));
  });

  it('by example without subjects; refuses too few subjects or folds', () => {
    const folds = kFolds(toy(10), 4, 1);
    expect(folds.map((f) => f.val.count).sort()).toEqual([2, 2, 3, 3]);
    expect(new Set(folds.flatMap((f) => ids(f.val))).size).toBe(10);
    expect(() => kFolds(toy(40, 2), 3, 1)).toThrow(/3 folds by subject need at least 3 subjects, it has 2/);
    expect(() => kFolds(toy(40), 1, 1)).toThrow(/at least 2 folds/);
  });
});
