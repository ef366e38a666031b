/**
 * Parallel trainings: the same seed gives bit-identical checkpoints whatever --jobs is, and the worker pool
 * gives the same models as training in this thread.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.ts';
import { parseArgs } from '../../host/cli/args.ts';
import { datasetOptions, datasetOptionsFrom } from '../../host/commands/dataset-options.ts';
import { loadSplits } from '../../host/data/select.ts';
import { loadCheckpoint, type Checkpoint } from '../../host/train/checkpoint.ts';
import { WorkerPool } from '../../host/train/pool.ts';
import { ProgressBoard, formatDuration, formatLr } from '../../host/train/progress.ts';
import { planSession, trainVariants, trainVariantsWith, type SessionOptions } from '../../host/train/session.ts';
import type { TrainJob } from '../../host/train/jobs.ts';
import { TbnError } from '../../host/errors.ts';

const tbn = runCli;

const DATA = ['--data', 'synthetic', '--train', 's01-s06', '--test', 's07', '--limit', '300'];
const MODEL = ['--variants', 'bnn,tbn', '--arch', 'conv1d:8x5 dense:16', '--layer-p', '1,4,1', '--epochs', '2', '--batch', '16', '--lr', '1e-3,3e-3', '--folds', '3', '--seed', '5'];

/** Everything that describes the trained model and its training (not the creation time). */
function essence(c: Checkpoint): unknown {
  const noTime = (h: { seconds: number }[]): unknown[] => h.map((e) => ({ ...e, seconds: 0 }));
  const selection = c.metrics.selection ? { ...c.metrics.selection, runs: c.metrics.selection.runs?.map((r) => ({ ...r, history: noTime(r.history) })) } : undefined;
  return { tensors: c.tensors, optimizer: c.optimizer, input: c.input, train: { ...c.train }, history: noTime(c.history), metrics: { ...c.metrics, selection }, outScales: c.outScales };
}

describe('tbn train --jobs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-jobs-'));

  it('the same seed gives bit-identical checkpoints with --jobs 1 and --jobs 2 (folds, two lrs, two variants)', async () => {
    const one = await tbn(['train', ...DATA, ...MODEL, '--jobs', '1', '-o', path.join(dir, 'one')]);
    const two = await tbn(['train', ...DATA, ...MODEL, '--jobs', '2', '-o', path.join(dir, 'two')]);
    expect(one.code, one.err).toBe(0);
    expect(two.code, two.err).toBe(0);
    // 2 variants x (2 lrs x 3 folds + 1 refit)
    expect(one.err).toMatch(/training 14 of 14/);
    expect(one.out).toMatch(/1 parallel job,/);
    expect(two.out).toMatch(/2 parallel jobs,/);
    for (const v of ['bnn', 'tbn']) {
      const a = loadCheckpoint(path.join(dir, `one-${v}.ckpt.json`));
      const b = loadCheckpoint(path.join(dir, `two-${v}.ckpt.json`));
      expect(a.train.epochsDone).toBe(2);
      expect(essence(b)).toEqual(essence(a));
    }
  });

  it('the worker pool trains the same models as trainVariants in this thread', async () => {
    const splits = loadSplits(datasetOptionsFrom(parseArgs(DATA, datasetOptions)), 5);
    const o: SessionOptions = {
      arch: 'conv1d:8x5 dense:16', variants: ['tbn'], activation: 'sign', alpha: 'weight', p: 4, layerP: [1, 4, 1], minTileSize: 1,
      epochs: 2, batch: 16, lrs: [1e-3, 3e-3], weightDecay: 1e-4, seed: 5, refit: true,
    };
    const [inline] = trainVariants(splits, o);
    const pool = new WorkerPool(2);
    try {
      const [pooled] = await trainVariantsWith(splits, o, pool);
      expect(pooled!.lr).toBe(inline!.lr);
      expect(pooled!.candidates).toEqual(inline!.candidates);
      expect(pooled!.test).toEqual(inline!.test);
      expect(essence(pooled!.checkpoint)).toEqual(essence(inline!.checkpoint));
    } finally {
      await pool.close();
    }
  });

  it("a job's error in a worker rejects with its code and message, and keeps the worker's stack", async () => {
    const splits = loadSplits(datasetOptionsFrom(parseArgs(DATA, datasetOptions)), 5);
    const o: SessionOptions = {
      arch: 'dense:16', variants: ['tbn'], activation: 'sign', alpha: 'weight', p: 2, minTileSize: 1000,
      epochs: 1, batch: 16, lrs: [1e-3], weightDecay: 0, seed: 5,
    };
    const plan = planSession(splits, o);
    const v = plan.variants[0]!;
    const job: TrainJob = {
      label: v.label, variant: 'tbn', stage: 'candidate', lr: 1e-3, spec: v.spec, config: { epochs: 1, batch: 16, lr: 1e-3, weightDecay: 0, seed: 5 },
      input: plan.inputQuant, train: { ...splits.train, shape: [1, 7, 3] }, refit: false, epochCheckpoints: false,
    };
    const pool = new WorkerPool(1);
    try {
      const e = (await pool.run(job, {}).then(() => undefined, (err: unknown) => err)) as TbnError;
      expect(e).toBeInstanceOf(TbnError);
      expect(e.code).toBe('E_DATA');
      expect(e.message).toMatch(/examples have shape 1x7x3/);
      expect(e.stack).toMatch(/in a training worker:[\s\S]*checkCompatible/);
    } finally {
      await pool.close();
    }
  });

  it('--jobs must be a positive integer', async () => {
    const r = await tbn(['train', ...DATA, '--jobs', '0', '--no-save']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--jobs must be an integer at least 1, got "0"/);
  });
});

describe('progress over all trainings', () => {
  it('counts trainings, names fold and lr, and estimates the remaining time from the work done', () => {
    let now = 0;
    const board = new ProgressBoard(3, 3 * 100 * 10, () => now);
    const job = (fold: number) => ({ label: 'TBN-4', variant: 'tbn', stage: 'fold', fold: { index: fold, count: 3 }, lr: 3e-3, config: { epochs: 10 }, train: { count: 100 } }) as never;
    const a = job(0);
    board.start(a);
    now = 10_000;
    board.update(a, { epoch: 5, epochs: 10, step: 4, steps: 4, loss: 0.5, accuracy: 0.8, epochDone: true });
    // 500 of 3000 sample-epochs in 10 s: 50 s to go
    expect(board.estimate().eta).toBeCloseTo(50, 6);
    expect(board.line(a)).toMatch(/^training 1 of 3 · TBN-4 · fold 1\/3 · lr 3e-3 · epoch 5\/10 \[#+\] loss 0\.5000 acc 80\.00%$/);
    expect(board.overall()).toBe('all 3 trainings: 17% · elapsed 0:10 · ETA 0:50');
    expect(board.end(a)).toMatch(/^done training 1 of 3/);
    expect(formatLr(0.003)).toBe('3e-3');
    expect(formatLr(0.1)).toBe('0.1');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
