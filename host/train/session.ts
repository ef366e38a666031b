/**
 * Trains several variants (FP32, BNN, TBN) side by side on the same splits,
 * picking the learning rate of each on the validation split, and reports
 * validation and test accuracy with the storage of each model.
 */
import type { Dataset } from '../data/dataset.ts';
import { TbnError } from '../errors.ts';
import { buildModelSpec, type AlphaMode, type HiddenActivation, type ModelSpec, type Variant } from './arch.ts';
import { checkpointFromRun, runFromCheckpoint, type Checkpoint, type SplitMetrics } from './checkpoint.ts';
import type { Gemm } from './kernels.ts';
import { modelLabel, modelSize, type ModelSize } from './size.ts';
import { TrainRun, computeInputQuant, computeOutScales, evaluate, type TrainConfig, type TrainProgress } from './trainer.ts';

export interface SessionOptions {
  arch: string;
  variants: Variant[];
  activation: HiddenActivation;
  alpha: AlphaMode;
  p: number;
  layerP?: number[];
  minTileSize: number;
  epochs: number;
  batch: number;
  /** Candidate learning rates; with more than one, validation accuracy picks. */
  lrs: number[];
  weightDecay: number;
  seed: number;
  slim?: boolean;
  gemm?: Gemm;
  onProgress?: (label: string, lr: number, p: TrainProgress) => void;
}

export interface VariantResult {
  variant: Variant;
  label: string;
  lr: number;
  /** Final validation accuracy of every learning rate tried. */
  candidates: { lr: number; valAccuracy: number }[];
  val: SplitMetrics;
  test: SplitMetrics;
  size: ModelSize;
  warnings: string[];
  seconds: number;
  checkpoint: Checkpoint;
}

export interface Splits {
  train: Dataset;
  val: Dataset;
  test: Dataset;
  description?: string;
}

function metrics(d: Dataset, r: { accuracy: number; macroF1: number }): SplitMetrics {
  return { name: d.name, count: d.count, accuracy: r.accuracy, macroF1: r.macroF1 };
}

export function specFor(o: SessionOptions, variant: Variant, train: Dataset): { spec: ModelSpec; warnings: string[] } {
  return buildModelSpec({
    arch: o.arch,
    variant,
    inputShape: train.shape,
    classes: train.classes,
    channels: train.channels,
    activation: o.activation,
    alpha: o.alpha,
    p: o.p,
    minTileSize: o.minTileSize,
    ...(o.layerP ? { layerP: o.layerP } : {}),
  });
}

function finish(run: TrainRun, splits: Splits, warnings: string[], candidates: VariantResult['candidates'], started: number, slim: boolean): VariantResult {
  const val = evaluate(run.net, splits.val);
  const test = evaluate(run.net, splits.test);
  const outScales = computeOutScales(run.net, splits.train);
  const valM = metrics(splits.val, val);
  const testM = metrics(splits.test, test);
  const checkpoint = checkpointFromRun(run, {
    outScales,
    metrics: { val: valM, test: testM, ...(splits.description ? { data: splits.description } : {}) },
    warnings,
    slim,
  });
  return {
    variant: run.spec.variant,
    label: modelLabel(run.spec),
    lr: run.config.lr,
    candidates,
    val: valM,
    test: testM,
    size: modelSize(run.spec),
    warnings,
    seconds: (performance.now() - started) / 1000,
    checkpoint,
  };
}

export function trainVariants(splits: Splits, o: SessionOptions): VariantResult[] {
  if (o.lrs.length === 0) throw new TbnError('E_OPTION', 'no learning rate given');
  if (o.lrs.length > 1 && splits.val.count === 0) throw new TbnError('E_DATA', 'choosing among several learning rates needs a non-empty validation split');
  if (splits.train.count === 0) throw new TbnError('E_DATA', `${splits.train.name}: the training split is empty`);
  const inputQuant = computeInputQuant(splits.train);
  return o.variants.map((variant) => {
    const started = performance.now();
    const { spec, warnings } = specFor(o, variant, splits.train);
    const label = modelLabel(spec);
    let best: TrainRun | undefined;
    let bestVal = -1;
    const candidates: VariantResult['candidates'] = [];
    for (const lr of o.lrs) {
      const config: TrainConfig = { epochs: o.epochs, batch: o.batch, lr, weightDecay: o.weightDecay, seed: o.seed };
      const run = new TrainRun(spec, config, o.gemm);
      run.net.input = { mean: inputQuant.mean.slice(), std: inputQuant.std.slice(), scale: inputQuant.scale };
      run.train(splits.train, splits.val, o.onProgress ? (p) => o.onProgress?.(label, lr, p) : undefined);
      const valAccuracy = splits.val.count > 0 ? evaluate(run.net, splits.val).accuracy : 0;
      candidates.push({ lr, valAccuracy });
      if (valAccuracy > bestVal) {
        bestVal = valAccuracy;
        best = run;
      }
    }
    return finish(best as TrainRun, splits, warnings, candidates, started, o.slim === true);
  });
}

/** Continues a resumable checkpoint up to `epochs` epochs in total (the cosine schedule spans the new total). */
export function resumeTraining(
  ckpt: Checkpoint,
  file: string,
  splits: Splits,
  epochs: number,
  opts: { slim?: boolean; gemm?: Gemm; onProgress?: SessionOptions['onProgress'] } = {},
): VariantResult {
  const started = performance.now();
  const run = runFromCheckpoint(ckpt, file, opts.gemm);
  if (epochs < run.epochsDone) throw new TbnError('E_OPTION', `${file}: already trained for ${run.epochsDone} epochs; --epochs ${epochs} would go back`);
  run.config.epochs = epochs;
  const label = modelLabel(run.spec);
  run.train(splits.train, splits.val, opts.onProgress ? (p) => opts.onProgress?.(label, run.config.lr, p) : undefined);
  const valAccuracy = splits.val.count > 0 ? evaluate(run.net, splits.val).accuracy : 0;
  return finish(run, splits, ckpt.warnings, [{ lr: run.config.lr, valAccuracy }], started, opts.slim === true);
}
