/**
 * The trainer's fixture models (test/fixtures/models): packed accuracy within
 * 0.5 points of float on their test sets, tiled layers <= 26% of the BNN's
 * bytes, and the whole file against FP32: the issue asks >= 100x for the
 * Fashion-MNIST MLP (its first dense layer is declared over the flattened
 * input with one shared quantisation pair, so rows are padded once). The HAR
 * CNN cannot reach 100x in any format: its tile bits alone are 1,160 B against
 * 128 KB of FP32 weights; its bounds are what the format achieves, so a
 * regression fails.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSplits } from '../../host/data/select.ts';
import { packModel } from '../../host/format/pack.ts';
import { readModel } from '../../host/format/reader.ts';
import { loadFloatModel } from '../../host/train/load-model.ts';
import { summarizeModel } from '../../host/format/summary.ts';
import { evaluatePacked } from '../../host/reference/evaluate.ts';
import { floatPredict } from '../../host/train/float-forward.ts';

const MODELS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/models');

const CASES = [
  // 48, not 50: the file now also holds its input channel table (6 names and units, up to 72 B of 2.6 kB).
  { file: 'har-tbn4.ckpt.json', data: 'har', minFp32Ratio: 48 },
  { file: 'har-tbn4-relu.ckpt.json', data: 'har', minFp32Ratio: 35 },
  { file: 'fmnist-tbn4.ckpt.json', data: 'fashion-mnist', minFp32Ratio: 100 },
];

describe.each(CASES)('fixture $file', ({ file, data, minFp32Ratio }) => {
  const full = path.join(MODELS, file);

  it('packs within 0.5 points of the float model, with tiles <= 26% of BNN and the file small against FP32', () => {
    if (!existsSync(full)) throw new Error(`missing fixture ${full}: it is produced by the trainer (test/fixtures/models)`);
    const fm = loadFloatModel(full);
    const m = readModel(packModel(fm));
    const s = summarizeModel(m).totals;
    expect(s.tiledRatioToBnn).toBeLessThanOrEqual(0.26);
    expect(s.tiledBitsRatioToBnn).toBeLessThanOrEqual(0.26);
    expect(s.fp32OverFile).toBeGreaterThanOrEqual(minFp32Ratio);

    const test = loadSplits({ data }, 1).test;
    const floatPred = floatPredict(fm, test.x, test.count);
    const packedPred = evaluatePacked(m, test.x, test.count);
    let fc = 0;
    let pc = 0;
    for (let i = 0; i < test.count; i++) {
      if (floatPred[i] === test.y[i]) fc++;
      if (packedPred[i] === test.y[i]) pc++;
    }
    const diffPoints = (100 * Math.abs(pc - fc)) / test.count;
    expect(diffPoints).toBeLessThanOrEqual(0.5);
  });
});
