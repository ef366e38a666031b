import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HAR_CLASSES, loadRecording } from '../../host/data/sp-sw-har.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tbn-prop-'));
let n = 0;

describe('resampling, property-based', () => {
  it('reproduces a linear signal exactly and picks the nearest original label (brute force, earliest on ties)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_600_000_000_000, max: 1_700_000_000_000 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 30 }), label: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(25, 50, 100, 200),
        fc.double({ min: -2, max: 2, noNaN: true }),
        (start, steps, rate, slope) => {
          const times: number[] = [];
          let t = start;
          for (const s of steps) {
            t += s.gap;
            times.push(t);
          }
          const value = (ms: number): number => slope * (ms - start) - 3;
          const rows = steps.map((s, i) => `${value(times[i]!)},${-value(times[i]!)},9.8,0,0,0,${times[i]},${HAR_CLASSES[s.label]}`);
          const file = path.join(dir, `p${++n}.csv`);
          writeFileSync(file, ['x_acc,y_acc,z_acc,x_gyro,y_gyro,z_gyro,timestamp,label', ...rows].join('\n'));
          const rec = loadRecording(file, { rate });
          const step = 1000 / rate;
          const span = times[times.length - 1]! - times[0]!;
          expect(rec.count).toBe(Math.floor(span / step + 1e-9) + 1);
          for (let k = 0; k < rec.count; k++) {
            const tk = times[0]! + k * step;
            expect(rec.samples[k * 6]).toBeCloseTo(value(tk), 3);
            expect(rec.samples[k * 6 + 1]).toBeCloseTo(-value(tk), 3);
            let best = 0;
            for (let i = 1; i < times.length; i++) if (Math.abs(times[i]! - tk) < Math.abs(times[best]! - tk)) best = i;
            expect(rec.labels[k]).toBe(steps[best]!.label);
          }
        },
      ),
      { numRuns: 150, seed: 20241026 },
    );
  });
});
