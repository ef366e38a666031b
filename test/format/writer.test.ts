import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomModelContent } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import { writeModel } from '../../host/format/writer.ts';
import { TBN } from '../../host/format/spec.ts';

describe('writeModel -> readModel round trip', () => {
  it('reads back every field that was written, with aligned sections and the exact size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const c = randomModelContent(seed);
        const bytes = writeModel(c);
        const m = readModel(bytes);
        expect(m.fileBytes).toBe(bytes.length);
        expect(bytes.length % TBN.TBN_ALIGN).toBe(0);
        expect(m.inShape).toEqual(c.inShape);
        expect(Array.from(m.quantMul)).toEqual(Array.from(c.quantMul));
        expect(Array.from(m.quantAdd)).toEqual(Array.from(c.quantAdd));
        expect(m.classes).toEqual(c.classes);
        expect(m.layers.length).toBe(c.layers.length);
        c.layers.forEach((l, i) => {
          const r = m.layers[i]!;
          for (const k of ['kind', 'inType', 'outType', 'inShape', 'outShape', 'kernel', 'stride', 'p', 'reuse', 't16', 'shift'] as const) expect(r[k], `layer ${i} ${k}`).toEqual(l[k]);
          expect(Array.from(r.tile)).toEqual(Array.from(l.tile));
          expect(Array.from(r.thresholds)).toEqual(Array.from(l.thresholds));
          expect(Array.from(r.flips)).toEqual(Array.from(l.flips));
          expect(Array.from(r.biases)).toEqual(Array.from(l.biases));
          for (const off of [r.tileOffset, r.threshOffset, r.auxOffset]) expect(off % TBN.TBN_ALIGN).toBe(0);
        });
      }),
      { numRuns: 150 },
    );
  });
});
