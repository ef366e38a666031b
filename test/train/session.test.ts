/**
 * The session's bookkeeping around its training jobs: the engine it records, the candidates' validation accuracy
 * and the amount of work a resume announces for the ETA.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../host/cli/args.ts';
import { datasetOptions, datasetOptionsFrom } from '../../host/commands/dataset-options.ts';
import { loadSplits } from '../../host/data/select.ts';
import { runFromCheckpoint, type Checkpoint } from '../../host/train/checkpoint.ts';
import { runJob, type Executor, type TrainJob } from '../../host/train/jobs.ts';
import { jsGemm, loadWasmGemm } from '../../host/train/kernels.ts';
import { ProgressBoard } from '../../host/train/progress.ts';
import { resumeSampleEpochs, resumeTraining, resumeTrainingWith, trainVariants, trainVariantsWith, type SessionOptions } from '../../host/train/session.ts';
import { evaluate } from '../../host/train/trainer.ts';

const DATA = ['--data', 'synthetic', '--train', 's01-s04', '--test', 's05', '--limit', '200'];
const splits = loadSplits(datasetOptionsFrom(parseArgs(DATA, datasetOptions)), 3);
const base: SessionOptions = {
  arch: 'dense:16', variants: ['tbn'], activation: 'sign', alpha: 'weight', p: 2, minTileSize: 1000,
  epochs: 1, batch: 16, lrs: [1e-3], weightDecay: 1e-4, seed: 3,
};

/** Runs jobs in this thread and keeps every job and checkpoint. */
function recordingExecutor(): Executor & { jobs: TrainJob[]; checkpoints: Checkpoint[] } {
  const jobs: TrainJob[] = [];
  const checkpoints: Checkpoint[] = [];
  return {
    jobs,
    checkpoints,
    run: async (job, events) => {
      jobs.push(job);
      const c = runJob(job, events);
      checkpoints.push(c);
      return c;
    },
  };
}

// Without the wasm build the default engine is the JS one too, and the engine recorded could not tell them apart.
describe.skipIf(!loadWasmGemm())('the engine a library caller chooses (skipped when build/train/gemm.wasm is missing)', () => {
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

describe('choosing among candidates', () => {
  it("takes each candidate's validation accuracy as its own network gives it", async () => {
    const ex = recordingExecutor();
    const [r] = await trainVariantsWith(splits, { ...base, epochs: 2, lrs: [1e-3, 3e-2, 1e-1] }, ex);
    expect(ex.checkpoints).toHaveLength(3);
    const evaluated = ex.checkpoints.map((c) => {
      const run = runFromCheckpoint(c);
      const accuracy = evaluate(run.net, splits.val).accuracy;
      run.net.release();
      return accuracy;
    });
    expect(r!.candidates).toEqual([1e-3, 3e-2, 1e-1].map((lr, i) => ({ lr, valAccuracy: evaluated[i] })));
    const best = Math.max(...evaluated);
    expect(r!.lr).toBe([1e-3, 3e-2, 1e-1][evaluated.indexOf(best)]);
    expect(r!.val.accuracy).toBe(best);
  });
});

describe('the work a resume announces (the ETA of tbn train --resume)', () => {
  for (const refit of [false, true]) {
    it(`is the work its job does (${refit ? 'refit: train + val' : 'train only'}), so the board ends at 100%`, async () => {
      const [first] = trainVariants(splits, { ...base, refit, lrs: [1e-3] });
      const ckpt = first!.checkpoint;
      const board = new ProgressBoard(1, resumeSampleEpochs(ckpt, splits, 3));
      const ex = recordingExecutor();
      const tracked: Executor = {
        run: async (job, events) => {
          board.start(job);
          const c = await ex.run(job, events);
          board.end(job);
          return c;
        },
      };
      await resumeTrainingWith(ckpt, 'model.ckpt.json', splits, 3, tracked);
      expect(ex.jobs).toHaveLength(1);
      expect(ex.jobs[0]!.train.count).toBe(refit ? splits.train.count + splits.val.count : splits.train.count);
      expect(board.estimate().fraction).toBe(1);
    });
  }
});
