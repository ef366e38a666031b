import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../host/errors.ts';
import {
  HAR_CHANNELS,
  HAR_CLASSES,
  defaultHarRoot,
  listRecordings,
  loadRecording,
  loadSpSwHar,
  windowRecording,
  type Recording,
} from '../../host/data/sp-sw-har.ts';
import { windowRecordingBySamples } from '../../host/data/recording.ts';
import { parseSubjects } from '../../host/data/subjects.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const fixture = path.join(repoRoot, 'test/fixtures/data/resample.csv');
const [SEATED, , WALKING, TURNING] = [0, 1, 2, 3];

function channel(rec: Recording, name: string): number[] {
  const c = rec.channels.indexOf(name);
  const C = rec.channels.length;
  return Array.from({ length: rec.count }, (_, k) => rec.samples[k * C + c] as number);
}

describe('loadRecording: resampling', () => {
  it('interpolates linearly on a 100 Hz grid from the first timestamp, averaging repeated timestamps', () => {
    const rec = loadRecording(fixture, { rate: 100 });
    expect(rec.count).toBe(5); // 1000, 1010, 1020, 1030, 1040 (last sample at 1045)
    expect(rec.rate).toBe(100);
    expect(rec.channels).toEqual(HAR_CHANNELS);
    // 1010 is half way between (1005, 5) and (1015, -5); 1030 holds two rows (10 and 20) -> 15;
    // 1040 is 2/3 of the way from (1030, 15) to (1045, 0).
    expect(channel(rec, 'x_acc')).toEqual([0, 0, 0, 15, 5]);
    // y_acc = 2 * x_acc + 1 in every row, so it stays so after linear interpolation.
    expect(channel(rec, 'y_acc')).toEqual([1, 1, 1, 31, 11]);
    expect(channel(rec, 'z_acc').every((v) => Math.abs(v - 9.8) < 1e-6)).toBe(true);
    expect(channel(rec, 'z_gyro')).toEqual([-1, -1, -1, -1, -1]);
  });

  it('labels each grid point with the nearest original sample (the earlier one on a tie)', () => {
    const rec = loadRecording(fixture, { rate: 100 });
    // 1010: tie between 1005 SEATED and 1015 WALKING; 1030: the first of the repeated rows;
    // 1040: 1045 TURNING is nearer than 1030.
    expect(Array.from(rec.labels)).toEqual([SEATED, SEATED, WALKING, WALKING, TURNING]);
  });

  it('uses the chosen rate', () => {
    const rec = loadRecording(fixture, { rate: 50 });
    expect(rec.count).toBe(3); // 1000, 1020, 1040
    expect(channel(rec, 'x_acc')).toEqual([0, 0, 5]);
    expect(Array.from(rec.labels)).toEqual([SEATED, WALKING, TURNING]);
  });

  it('keeps only the chosen channels, in the chosen order', () => {
    const rec = loadRecording(fixture, { rate: 100, channels: ['y_acc', 'x_acc'] });
    expect(rec.channels).toEqual(['y_acc', 'x_acc']);
    expect(Array.from(rec.samples)).toEqual([1, 0, 1, 0, 1, 0, 31, 15, 11, 5]);
  });

  it('names the subject from the file name', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tbn-har-'));
    const f = path.join(dir, 's07_03_sw.csv');
    writeFileSync(f, readFileSync(fixture));
    expect(loadRecording(f).subject).toBe('s07');
  });
});

describe('windowing', () => {
  const rec: Recording = {
    file: 'hand-made',
    subject: 's00',
    rate: 50,
    channels: ['a', 'b'],
    count: 10,
    samples: Float32Array.from({ length: 20 }, (_, i) => i),
    labels: Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]),
  };

  it('cuts windows every stride samples and labels them by the centre sample', () => {
    const w = windowRecordingBySamples(rec, { length: 4, stride: 2 });
    expect(w.count).toBe(4); // starts 0, 2, 4, 6
    expect(Array.from(w.starts)).toEqual([0, 2, 4, 6]);
    // centre = start + 2
    expect(Array.from(w.y)).toEqual([1, 2, 3, 4]);
    expect(Array.from(w.x.subarray(8, 16))).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('defaults to 2.56 s windows with 50% overlap (128 samples, stride 64 at 50 Hz)', () => {
    const long: Recording = { ...rec, channels: ['a'], count: 300, samples: new Float32Array(300), labels: Int32Array.from({ length: 300 }, (_, k) => (k >= 192 ? 2 : 0)) };
    const w = windowRecording(long);
    expect(w.length).toBe(128);
    expect(w.stride).toBe(64);
    expect(w.count).toBe(3); // starts 0, 64, 128; 192 + 128 > 300
    expect(Array.from(w.y)).toEqual([0, 0, 2]); // centres 64, 128, 192
    const w2 = windowRecording(long, { windowSeconds: 1, overlap: 0 });
    expect([w2.length, w2.stride, w2.count]).toEqual([50, 50, 6]);
  });

  it('refuses a recording shorter than one window, saying how many samples it has and needs', () => {
    expect(() => windowRecording(rec)).toThrow(InputError);
    expect(() => windowRecording(rec)).toThrow(/hand-made: too few samples for one window: it has 10 samples .* one window needs 128/);
  });
});

describe('listRecordings and missing data', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-har-root-'));
  mkdirSync(path.join(dir, 's01'));
  mkdirSync(path.join(dir, 's02'));
  writeFileSync(path.join(dir, 's01', 's01_02_sw.csv'), readFileSync(fixture));
  writeFileSync(path.join(dir, 's01', 's01_01_sw.csv'), readFileSync(fixture));

  it('lists the csv files of each subject in order', () => {
    expect(listRecordings(dir, ['s01'])).toEqual([path.join(dir, 's01/s01_01_sw.csv'), path.join(dir, 's01/s01_02_sw.csv')]);
  });
  it('names a missing subject folder and the subjects present', () => {
    expect(() => listRecordings(dir, ['s01', 's05'])).toThrow(`${path.join(dir, 's05')}: no folder for subject s05 (subjects present: s01-s02)`);
  });
  it('names a subject without recordings', () => {
    expect(() => listRecordings(dir, ['s02'])).toThrow(`${path.join(dir, 's02')}: subject s02 has no .csv recordings`);
  });
  it('names a missing root', () => {
    expect(() => listRecordings(path.join(dir, 'nope'), ['s01'])).toThrow(`${path.join(dir, 'nope')}: sp-sw-har data folder not found`);
  });
  it('refuses an empty subject list as an empty split', () => {
    expect(() => loadSpSwHar({ root: dir, subjects: [] })).toThrow(/empty split: no subjects selected/);
  });
  it('reports a too-short recording with its file when loading a split', () => {
    expect(() => loadSpSwHar({ root: dir, subjects: ['s01'] })).toThrow(`${path.join(dir, 's01/s01_01_sw.csv')}: too few samples for one window: it has 3 samples`);
  });
});

describe('real sp-sw-har (../shared/data/sp-sw-har)', () => {
  const root = defaultHarRoot(repoRoot);

  it('is found beside the repo (CI provides ../shared; this test must not skip)', () => {
    expect(root, `expected sp-sw-har at ${path.resolve(repoRoot, '../shared/data/sp-sw-har')}`).toBeDefined();
  });

  it('loads s01-s18 into the window count implied by each file first and last timestamp, with every class', () => {
    const subjects = parseSubjects('s01-s18');
    const d = loadSpSwHar({ root: root as string, subjects });
    expect(d.shape).toEqual([1, 128, 6]);
    expect(d.classes).toEqual(HAR_CLASSES);
    expect(d.channels).toEqual(HAR_CHANNELS);
    // Independent count: grid points floor((last - first) / 20 ms) + 1, windows floor((n - 128) / 64) + 1.
    let expected = 0;
    let files = 0;
    for (const s of subjects) {
      for (const f of readdirSync(path.join(root as string, s)).filter((n) => n.endsWith('.csv'))) {
        const lines = readFileSync(path.join(root as string, s, f), 'utf8').trim().split('\n');
        const first = Number(lines[1]!.split(',')[6]);
        const last = Number(lines[lines.length - 1]!.split(',')[6]);
        const n = Math.floor((last - first) / 20) + 1;
        expected += Math.floor((n - 128) / 64) + 1;
        files++;
      }
    }
    expect(files).toBe(175);
    expect(d.count).toBe(expected);
    expect(d.x.length).toBe(d.count * 128 * 6);
    expect(new Set(d.groups)).toEqual(new Set(subjects));
    const perClass = HAR_CLASSES.map((_, k) => d.y.filter((y) => y === k).length);
    expect(perClass.every((n) => n > 0)).toBe(true);
    // Accelerometer includes gravity: the mean magnitude is near 9.8 m/s^2.
    let mag = 0;
    for (let i = 0; i < d.count * 128; i++) mag += Math.hypot(d.x[i * 6]!, d.x[i * 6 + 1]!, d.x[i * 6 + 2]!);
    expect(mag / (d.count * 128)).toBeGreaterThan(9);
    expect(mag / (d.count * 128)).toBeLessThan(11);
  });

  it('covers every class in the s15-s18 test split and starts each recording at its first row', () => {
    const d = loadSpSwHar({ root: root as string, subjects: parseSubjects('s15-s18') });
    expect(new Set(d.y)).toEqual(new Set([0, 1, 2, 3, 4]));
    const f = path.join(root as string, 's15/s15_01_sw.csv');
    const rec = loadRecording(f);
    const firstRow = readFileSync(f, 'utf8').split('\n')[1]!.split(',').slice(0, 6).map(Number);
    expect(Array.from(rec.samples.subarray(0, 6))).toEqual(Array.from(Float32Array.from(firstRow)));
    expect(rec.subject).toBe('s15');
  });
});
