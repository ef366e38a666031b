import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';
import { parseArgs } from '../../host/cli/args.ts';
import { datasetOptions, datasetOptionsFrom } from '../../host/commands/dataset-options.ts';
import { loadSplits } from '../../host/data/select.ts';
import { concat, kFolds } from '../../host/data/split.ts';
import { buildModelSpec } from '../../host/train/arch.ts';
import { decodeTensor, loadCheckpoint } from '../../host/train/checkpoint.ts';
import { defaultGemm } from '../../host/train/kernels.ts';
import { TrainRun, computeInputQuant, evaluate } from '../../host/train/trainer.ts';

async function tbn(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), interactive: false });
  return { code, out, err };
}

// Synthetic HAR-like windows, 4 training subjects (one goes to validation, by subject), a small dense TBN.
const DATA = ['--data', 'synthetic', '--train', 's01-s04', '--test', 's05', '--limit', '240'];
const MODEL = ['--variants', 'tbn', '--arch', 'dense:16', '--p', '2', '--min-tile-size', '1000', '--epochs', '2', '--batch', '16', '--lr', '1e-3,3e-2', '--seed', '3'];

interface ModelJson {
  lr: number;
  refit: boolean;
  candidates: { lr: number; valAccuracy: number }[];
  trainedOn: { count: number };
  selection?: { val: { accuracy: number; count: number }; test?: { accuracy: number }; folds?: number };
  val: { accuracy: number; count: number };
  test: { accuracy: number; count: number };
  checkpoint: string;
}

describe('tbn train --refit', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-refit-'));
  const splits = loadSplits(datasetOptionsFrom(parseArgs(DATA, datasetOptions)), 3);

  it('chooses the lr on validation, then retrains from scratch on train + val with that lr', async () => {
    expect(splits.val.count).toBeGreaterThan(0);
    const file = path.join(dir, 'refit.ckpt.json');
    const r = await tbn(['train', ...DATA, ...MODEL, '--json', '-o', file]);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out).models[0] as ModelJson;
    expect(m.refit).toBe(true);
    // the lr is the candidate with the best validation accuracy (the first on a tie)
    expect(m.candidates.map((c) => c.lr)).toEqual([1e-3, 3e-2]);
    const best = m.candidates.reduce((a, c) => (c.valAccuracy > a.valAccuracy ? c : a));
    expect(m.lr).toBe(best.lr);
    expect(m.val.accuracy).toBe(best.valAccuracy);
    expect(m.trainedOn.count).toBe(splits.train.count + splits.val.count);
    expect(m.test.count).toBe(splits.test.count);

    const ckpt = loadCheckpoint(file);
    expect(ckpt.train.refit).toBe(true);
    expect(ckpt.train.lr).toBe(best.lr);
    expect(ckpt.train.epochsDone).toBe(2);
    expect(ckpt.metrics.train?.count).toBe(splits.train.count + splits.val.count);
    expect(ckpt.history.length).toBe(2);
    expect(ckpt.history.every((h) => h.valAccuracy === undefined)).toBe(true); // val is training data now

    // Reproduce the refit independently: a fresh run with the chosen lr on train + val (inputs standardised
    // with train + val statistics) must give the same weights and test accuracy bit for bit.
    const all = concat(splits.train, splits.val);
    const spec = buildModelSpec({
      arch: 'dense:16', variant: 'tbn', inputShape: all.shape, classes: all.classes, channels: all.channels,
      activation: 'sign', alpha: 'weight', p: 2, minTileSize: 1000,
    }).spec;
    const run = new TrainRun(spec, { epochs: 2, batch: 16, lr: best.lr, weightDecay: 1e-4, seed: 3 }, defaultGemm());
    const q = computeInputQuant(all);
    run.net.input = { mean: q.mean, std: q.std, scale: q.scale };
    run.train(all);
    expect(Array.from(ckpt.input.mean)).toEqual(Array.from(q.mean));
    expect(ckpt.history.map((h) => h.loss)).toEqual(run.history.map((h) => h.loss));
    expect(evaluate(run.net, splits.test).accuracy).toBe(m.test.accuracy);
    const dense = run.net.weightLayers[0]!;
    dense.refreshWeights();
    expect(Array.from(decodeTensor(ckpt.tensors[`${dense.spec.name}.tile`]!, 'tile'))).toEqual(Array.from(dense.tile));
  });

  it('--no-refit keeps the model trained on train alone, which is the refit run\'s selection model', async () => {
    const refit = JSON.parse((await tbn(['train', ...DATA, ...MODEL, '--json', '--no-save'])).out).models[0] as ModelJson;
    const file = path.join(dir, 'plain.ckpt.json');
    const r = await tbn(['train', ...DATA, ...MODEL, '--no-refit', '--json', '-o', file]);
    expect(r.code).toBe(0);
    const plain = JSON.parse(r.out).models[0] as ModelJson;
    expect(plain.refit).toBe(false);
    expect(plain.selection).toBeUndefined();
    expect(plain.trainedOn.count).toBe(splits.train.count);
    expect(plain.lr).toBe(refit.lr);
    expect(refit.selection?.test?.accuracy).toBe(plain.test.accuracy);
    expect(refit.selection?.val.accuracy).toBe(plain.val.accuracy);
    const ckpt = loadCheckpoint(file);
    expect(ckpt.train.refit).toBeUndefined();
    expect(ckpt.metrics.train?.count).toBe(splits.train.count);
  });

  it('the table says which lr validation chose and that the model was refit; resuming a refit model keeps training on train + val', async () => {
    const file = path.join(dir, 'table.ckpt.json');
    const r = await tbn(['train', ...DATA, ...MODEL, '-o', file]);
    expect(r.code).toBe(0);
    const n = splits.train.count + splits.val.count;
    expect(r.out).toMatch(new RegExp(`\\| TBN-2 \\| [0-9.e-]+ \\| [0-9.]+ \\| train\\+val ${n} \\(refit\\) \\|`));
    expect(r.out).toMatch(/lr chosen on validation from 0\.001: [0-9.]+%, 0\.03: [0-9.]+%\); refit from scratch on train\+val/);
    expect(r.err).toMatch(/TBN-2 · refit on train\+val · lr [0-9.e-]+ · epoch 2\/2/);
    const resumed = await tbn(['train', ...DATA, '--resume', file, '--epochs', '3', '--json']);
    expect(resumed.code).toBe(0);
    const ckpt = loadCheckpoint(file);
    expect(ckpt.train.epochsDone).toBe(3);
    expect(ckpt.train.refit).toBe(true);
    expect(ckpt.metrics.train?.count).toBe(n);
  });

  it('--folds 3 chooses the lr by cross-validation by subject on train + val, then trains on all of it', async () => {
    const r = await tbn(['train', ...DATA, ...MODEL, '--folds', '3', '--json', '--no-save']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out).models[0] as ModelJson;
    const all = concat(splits.train, splits.val);
    expect(m.refit).toBe(true);
    expect(m.selection?.folds).toBe(3);
    expect(m.selection?.test).toBeUndefined();
    expect(m.trainedOn.count).toBe(all.count);
    const best = m.candidates.reduce((a, c) => (c.valAccuracy > a.valAccuracy ? c : a));
    expect(m.lr).toBe(best.lr);
    expect(m.val.accuracy).toBe(best.valAccuracy);
    // Each candidate's score is the pooled accuracy of 3 independent runs, each fold standardised with its own
    // training part: recompute the first one.
    const spec = buildModelSpec({
      arch: 'dense:16', variant: 'tbn', inputShape: all.shape, classes: all.classes, channels: all.channels,
      activation: 'sign', alpha: 'weight', p: 2, minTileSize: 1000,
    }).spec;
    let correct = 0;
    for (const fold of kFolds(all, 3, 3)) {
      const run = new TrainRun(spec, { epochs: 2, batch: 16, lr: 1e-3, weightDecay: 1e-4, seed: 3 }, defaultGemm());
      const q = computeInputQuant(fold.train);
      run.net.input = { mean: q.mean, std: q.std, scale: q.scale };
      run.train(fold.train);
      correct += evaluate(run.net, fold.val).accuracy * fold.val.count;
    }
    expect(m.candidates[0]?.valAccuracy).toBeCloseTo(correct / all.count, 12);

    const table = await tbn(['train', ...DATA, ...MODEL, '--folds', '3', '--no-save']);
    expect(table.out).toMatch(/lr chosen by 3-fold cross-validation from 0\.001: [0-9.]+%, 0\.03: [0-9.]+%\); refit from scratch on train\+val/);
    const bad = await tbn(['train', ...DATA, ...MODEL, '--folds', '3', '--no-refit', '--no-save']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--folds .* needs the refit/);
  });

  it('is on by default and documented in --help', async () => {
    const r = await tbn(['train', '--help']);
    expect(r.out).toMatch(/--refit\s+after choosing the lr on validation/);
    expect(r.out).toContain('--no-refit');
  });
});
