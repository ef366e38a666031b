import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelContent } from '../../host/format/model.ts';
import { randomInput, randomPackedModel } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import { writeModel } from '../../host/format/writer.ts';
import { runReference } from '../../host/reference/infer.ts';
import { runNaive } from '../../host/reference/naive.ts';
import { quantizeSample } from '../../host/reference/quantize.ts';

describe('input quantisation', () => {
  it('rounds half away from zero, clamps to +-127 and maps NaN to -127', () => {
    const cases: [number, number][] = [
      [0.5, 1], [-0.5, -1], [1.49, 1], [2.5, 3], [-2.5, -3], [-0.49, 0], [126.5, 127], [127.4, 127],
      [1000, 127], [-1000, -127], [-127.6, -127], [NaN, -127], [Infinity, 127], [-Infinity, -127], [0, 0],
    ];
    for (const [x, q] of cases) expect(quantizeSample(x, 1, 0), `x=${x}`).toBe(q);
  });

  it('computes x*mul+add in single precision, two roundings', () => {
    // 0.1f*5f rounds to exactly 0.5 in f32 (in doubles it is 0.50000000745...): the f32 tie rounds away to 1.
    expect(Math.fround(Math.fround(0.1) * 5)).toBe(0.5);
    expect(quantizeSample(Math.fround(0.1), 5, 0)).toBe(1);
    // 1/3 * 3 in f32 is exactly 1; add -0.5 gives a 0.5 tie -> 1.
    expect(quantizeSample(Math.fround(1 / 3), 3, -0.5)).toBe(1);
    // add of 1e-8 is lost in f32 next to 0.5: stays a tie (in doubles it would round up anyway); -0.5 - tiny -> -1.
    expect(quantizeSample(-0.5, 1, Math.fround(-1e-9))).toBe(-1);
  });
});

describe('reference inference', () => {
  it('a hand-computed two-layer model', () => {
    // Input (1,1,3), mul 1, add 0. Layer 0: dense 3 -> 4 BIN out, p = 2 (ROWS, 2 distinct rows), REUSE.
    //   row0 = (+1, -1, +1) -> bits 0b010 = 2; row1 = (-1, -1, +1) -> bits 0b011 = 3.
    //   channels 0,1,2,3 use rows 0,1,0,1. T = (0, 0, 5, -100), flip = channel 1 only.
    // Layer 1: dense 4 -> 2 I32 out, p = 1, M = (2, -3), B = (1, 7), shift 1.
    //   row0 = (+1, +1, -1, +1) bits 0b0100 = 4; row1 = (-1, -1, -1, -1) = 0b1111 = 15.
    const content: ModelContent = {
      inShape: [1, 1, 3],
      quantMul: Float32Array.of(1, 1, 1),
      quantAdd: Float32Array.of(0, 0, 0),
      classes: ['a', 'b'],
      layers: [
        {
          kind: 'dense', inType: 'i8', outType: 'bin', inShape: [1, 1, 3], outShape: [1, 1, 4], kernel: [1, 1], stride: [1, 1],
          p: 2, reuse: true, t16: true, shift: 0, tile: Uint32Array.of(2, 3), thresholds: Int32Array.of(0, 0, 5, -100),
          flips: Uint32Array.of(0b10), biases: new Int32Array(0),
        },
        {
          kind: 'dense', inType: 'bin', outType: 'i32', inShape: [1, 1, 4], outShape: [1, 1, 2], kernel: [1, 1], stride: [1, 1],
          p: 1, reuse: false, t16: false, shift: 1, tile: Uint32Array.of(4, 15), thresholds: Int32Array.of(2, -3),
          flips: new Uint32Array(0), biases: Int32Array.of(1, 7),
        },
      ],
    };
    const model = readModel(writeModel(content));
    // x = (10, -4, 3): row0 acc = 10 + 4 + 3 = 17; row1 acc = -10 + 4 + 3 = -3.
    // ch0: 17 >= 0 -> +1. ch1: (-3 >= 0) = 0 xor flip 1 -> +1. ch2: 17 >= 5 -> +1. ch3: -3 >= -100 -> +1.
    // layer 1 input (+1,+1,+1,+1): row0 acc = 1+1-1+1 = 2; row1 acc = -4.
    // logit0 = floor((2*2 + 1)/2) = 2; logit1 = floor((-4*-3 + 7)/2) = floor(19/2) = 9 -> class 1.
    const r = runReference(model, Int8Array.of(10, -4, 3));
    expect(Array.from(r.logits)).toEqual([2, 9]);
    expect(r.cls).toBe(1);
    // x = (-10, 0, 0): row0 acc = -10, row1 acc = 10. ch0: -1, ch1: (10>=0)=1 xor 1 -> -1, ch2: -1, ch3: (-10 >= -100) -> +1.
    // layer 1 input (-1,-1,-1,+1): row0 = -1 -1 +1 +1 = 0; row1 = 1+1+1-1 = 2.
    // logit0 = floor(1/2) = 0; logit1 = floor((2*-3 + 7)/2) = floor(1/2) = 0 -> tie, class 0.
    const r2 = runReference(model, Float32Array.of(-10, 0, 0));
    expect(Array.from(r2.logits)).toEqual([0, 0]);
    expect(r2.cls).toBe(0);
    // Negative value before the shift floors: x = (0, 0, -1): row0 acc = -1, row1 = -1 -> ch0 -1, ch1 +1 (0 xor 1), ch2 -1, ch3 +1.
    // layer 1 input (-1,+1,-1,+1): row0 = -1 +1 +1 +1 = 2; row1 = 1 -1 +1 -1 = 0. logit0 = floor(5/2) = 2; logit1 = floor(7/2) = 3.
    expect(Array.from(runReference(model, Int8Array.of(0, 0, -1)).logits)).toEqual([2, 3]);
  });

  it('equals the naive expanded-tile computation on random models and inputs (with and without reuse)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom<'f32' | 'i8'>('f32', 'i8'), (seed, kind) => {
        const model = readModel(randomPackedModel(seed));
        const x = randomInput(seed, model, kind);
        const naive = runNaive(model, x);
        const fast = runReference(model, x);
        const noReuse = runReference(model, x, { reuse: false });
        expect(Array.from(fast.logits)).toEqual(Array.from(naive.logits));
        expect(Array.from(noReuse.logits)).toEqual(Array.from(naive.logits));
        expect(fast.cls).toBe(naive.cls);
      }),
      { numRuns: 400 },
    );
  });

  it('rejects inputs of the wrong length or type', () => {
    const model = readModel(randomPackedModel(7));
    const len = model.inShape[0] * model.inShape[1] * model.inShape[2];
    expect(() => runReference(model, new Float32Array(len + 1))).toThrow(/input has/);
    expect(() => runReference(model, new Int16Array(len) as unknown as Int8Array)).toThrow(/Float32Array or an Int8Array/);
  });
});
