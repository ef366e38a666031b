/**
 * The session's bookkeeping around its training jobs: the engine it records, the candidates' validation accuracy
 * and the amount of work a resume announces for the ETA.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../host/cli/args.ts';
import { datasetOptions, datasetOptionsFrom } from '../../host/commands/dataset-options.ts';
import { loadSplits } from '../../host/data/select.ts';
import { jsGemm, loadWasmGemm } from '../../host/train/kernels.ts';
import { resumeTraining, trainVariants, type SessionOptions } from '../../host/train/session.ts';

const DATA = ['--data', 'synthetic', '--train', 's01-s04', '--test', 's05', '--limit', '200'];
const splits = loadSplits(datasetOptionsFrom(parseArgs(DATA, datasetOptions)), 3);
const base: SessionOptions = {
  arch: 'dense:16', variants: ['tbn'], activation: 'sign', alpha: 'weight', p: 2, minTileSize: 1000,
  epochs: 1, batch: 16, lrs: [1e-3], weightDecay: 1e-4, seed: 3,
};

// Without the wasm build the default engine is the JS one too, and the engine recorded could not tell them apart.
describe.skipIf(!loadWasmGemm())('the engine a library caller chooses (skipped: build/train/gemm.wasm is missing)', () => {
  it('is the one the checkpoint records, with and without refit, and when resuming', () => {
    const [plain] = trainVariants(splits, { ...base, gemm: jsGemm });
    expect(plain!.checkpoint.train.engine).toBe('js');
    const [refit] = trainVariants(splits, { ...base, lrs: [1e-3, 3e-3], refit: true, gemm: jsGemm });
    expect(refit!.checkpoint.train.engine).toBe('js');
    const resumed = resumeTraining(refit!.checkpoint, 'refit.ckpt.json', splits, 2, { gemm: jsGemm });
    expect(resumed.checkpoint.train.epochsDone).toBe(2);
    expect(resumed.checkpoint.train.engine).toBe('js');
  });
});
