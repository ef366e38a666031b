/**
 * The benchmark's int8 and float32 baselines (boards/bench/har_baselines.c)
 * compute real inferences: their outputs on every emulated core equal a
 * TypeScript version reading the same weight blobs (int8 exactly; float32 bit
 * for bit, same operation order, no fused multiply-add).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModel } from '../../host/format/reader.ts';
import { quantizeInput } from '../../host/reference/quantize.ts';
import { f32BaselineReference, f32Weights, int8BaselineReference, int8Weights } from './baselines.ts';
import { harFloatModel, harPacked, harTestWindows } from './models.ts';
import { BOARDS_BUILD, EMULATED_BOARDS, runJobs } from './qemu.ts';

const WINDOWS = 3;

describe('benchmark baselines are real kernels', () => {
  const fm = harFloatModel();
  const tbn = readModel(harPacked());
  const data = harTestWindows();
  const len = data.shape[0] * data.shape[1] * data.shape[2];
  const x = data.x.slice(0, WINDOWS * len);
  const xi8 = new Int8Array(WINDOWS * len);
  for (let w = 0; w < WINDOWS; w++) xi8.set(quantizeInput(x.subarray(w * len, (w + 1) * len), tbn.quantMul, tbn.quantAdd), w * len);
  const i8Blob = int8Weights(fm);
  const f32Blob = f32Weights(fm);

  for (const board of EMULATED_BOARDS) {
    it(`${board}: int8 and float32 baselines equal their TypeScript versions`, () => {
      const obj = path.join(BOARDS_BUILD, board, 'O2', 'bench', 'har_baselines.o');
      const out = runJobs(board, [
        { model: i8Blob, inputs: xi8, inputLen: len, kernel: 'int8' },
        { model: f32Blob, inputs: x, inputLen: len, kernel: 'f32' },
      ], { extraObjects: [obj] });
      for (let w = 0; w < WINDOWS; w++) {
        const i8 = out.jobs[0]!.windows[w]!;
        const f32 = out.jobs[1]!.windows[w]!;
        expect(i8.status).toBe(0);
        expect(f32.status).toBe(0);
        expect(i8.logits).toEqual(Array.from(int8BaselineReference(i8Blob, xi8.subarray(w * len, (w + 1) * len))));
        expect(f32.logits).toEqual(Array.from(f32BaselineReference(f32Blob, x.subarray(w * len, (w + 1) * len))));
      }
      // Not a degenerate network: the logits differ between classes.
      expect(new Set(out.jobs[0]!.windows[0]!.logits).size).toBeGreaterThan(1);
      expect(new Set(out.jobs[1]!.windows[0]!.logits).size).toBeGreaterThan(1);
    });
  }
});
