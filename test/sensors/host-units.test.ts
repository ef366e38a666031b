/**
 * Training records the units and sample rate of its input (issue 11: "units must match training"):
 * sp-sw-har's are m/s2 and rad/s (its README), a generic CSV states them as `name[unit]` headers.
 * They reach the model spec that checkpoints store and `tbn pack` writes into the .tbn file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGenericCsv } from '../../host/data/generic-csv.ts';
import { loadSplits } from '../../host/data/select.ts';
import { defaultHarRoot } from '../../host/data/sp-sw-har.ts';
import { specFor } from '../../host/train/session.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tbn-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('input units and rate recorded by training', () => {
  it.skipIf(defaultHarRoot() === undefined)('sp-sw-har: m/s2 for the accelerometer, rad/s for the gyroscope, and the resampling rate, through the splits into the spec', () => {
    const splits = loadSplits({ data: 'har', train: 's01-s02', test: 's15', sampleRate: 25, limit: 40 }, 1);
    for (const d of [splits.train, splits.val, splits.test]) {
      expect(d.channels).toEqual(['x_acc', 'y_acc', 'z_acc', 'x_gyro', 'y_gyro', 'z_gyro']);
      expect(d.units).toEqual(['m/s2', 'm/s2', 'm/s2', 'rad/s', 'rad/s', 'rad/s']);
      expect(d.rateHz).toBe(25);
    }
    const { spec } = specFor({ arch: 'har-cnn', p: 4 } as Parameters<typeof specFor>[0], 'tbn', splits.train);
    expect(spec.units).toEqual(['m/s2', 'm/s2', 'm/s2', 'rad/s', 'rad/s', 'rad/s']);
    expect(spec.rateHz).toBe(25);
  });

  it('generic CSV: `name[unit]` headers give bare names and units; a plain header gives none', () => {
    const file = path.join(dir, 'u.csv');
    writeFileSync(file, 'ax[m/s2],gz [deg/s],temp,label\n1,2,3,a\n4,5,6,b\n');
    const d = loadGenericCsv({ file });
    expect(d.channels).toEqual(['ax', 'gz', 'temp']);
    expect(d.units).toEqual(['m/s2', 'deg/s', '']);
    // Selecting features by their bare names finds the `name[unit]` columns.
    const sel = loadGenericCsv({ file, featureColumns: ['gz', 'ax'] });
    expect(sel.channels).toEqual(['gz', 'ax']);
    expect(Array.from(sel.x)).toEqual([2, 1, 5, 4]);
    const plain = path.join(dir, 'p.csv');
    writeFileSync(plain, 'a,b,label\n1,2,x\n');
    expect(loadGenericCsv({ file: plain }).units).toBeUndefined();
  });

  it('generic CSV windows record the rows\' rate', () => {
    const file = path.join(dir, 'w.csv');
    writeFileSync(file, `ax[g],label\n${Array.from({ length: 20 }, (_, i) => `${i},${i < 10 ? 'a' : 'b'}`).join('\n')}\n`);
    const d = loadGenericCsv({ file, window: 8, rate: 12.5 });
    expect(d.rateHz).toBe(12.5);
    expect(d.units).toEqual(['g']);
  });
});
