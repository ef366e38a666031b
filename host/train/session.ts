/**
 * Trains several variants (FP32, BNN, TBN) side by side on the same splits,
 * picking the learning rate of each on the validation split, and reports
 * validation and test accuracy with the storage of each model.
 */
import type { Dataset } from '../data/dataset.ts';
import { concat, kFolds } from '../data/split.ts';
import { TbnError } from '../errors.ts';
import { buildModelSpec, type AlphaMode, type HiddenActivation, type ModelSpec, type Variant } from './arch.ts';
import { checkpointFromRun, runFromCheckpoint, type Checkpoint, type SplitMetrics } from './checkpoint.ts';
import type { Gemm } from './kernels.ts';
import { modelLabel, modelSize, type ModelSize } from './size.ts';
import { TrainRun, computeInputQuant, computeOutScales, evaluate, type EpochRecord, type TrainConfig, type TrainProgress } from './trainer.ts';

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
  /**
   * After choosing the learning rate on val, train the model again from scratch (same seed, same epochs)
   * on train + val and report/save that model. Default false here; `tbn train` turns it on.
   */
  refit?: boolean;
  /**
   * With 2 or more (and several learning rates): choose the rate by k-fold cross-validation on train + val
   * (by subject when the data has subjects) instead of the single validation split; needs refit.
   */
  folds?: number;
  gemm?: Gemm;
  onProgress?: (label: string, lr: number, p: TrainProgress) => void;
}

/**
 * How the learning rate was chosen before the refit: the metrics of the model trained on the training split alone
 * with the chosen rate, or, with k-fold cross-validation (`folds`), the pooled accuracy over the folds (no test).
 */
export interface SelectionMetrics {
  candidates: { lr: number; valAccuracy: number }[];
  val: SplitMetrics;
  test?: SplitMetrics;
  folds?: number;
  /** Per-epoch history of every run trained to choose the rate (one per lr, or per lr and fold), for `tbn report`. */
  runs?: SelectionRun[];
}

export interface SelectionRun {
  lr: number;
  /** 1-based fold of cross-validation; absent for the hold-out validation split. */
  fold?: number;
  history: EpochRecord[];
}

export interface VariantResult {
  variant: Variant;
  label: string;
  lr: number;
  /** Final validation accuracy of every learning rate tried. */
  candidates: { lr: number; valAccuracy: number }[];
  /** Validation metrics; with refit, those of the selection model (the refit model has trained on val). */
  val: SplitMetrics;
  /** Test metrics of the model returned (the refit model when refit). */
  test: SplitMetrics;
  /** The examples the returned model was trained on (train + val when refit), and its accuracy on them. */
  train: SplitMetrics;
  refit: boolean;
  /** With refit: the model trained on the training split alone with the chosen lr. */
  selection?: SelectionMetrics;
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
    ...(train.units ? { units: train.units } : {}),
    ...(train.rateHz !== undefined ? { rateHz: train.rateHz } : {}),
    activation: o.activation,
    alpha: o.alpha,
    p: o.p,
    minTileSize: o.minTileSize,
    ...(o.layerP ? { layerP: o.layerP } : {}),
  });
}

interface FinishContext {
  /** The examples the run was trained on. */
  trainedOn: Dataset;
  warnings: string[];
  candidates: VariantResult['candidates'];
  started: number;
  slim: boolean;
  /** Set when the run is a refit on train + val. */
  selection?: SelectionMetrics;
}

function finish(run: TrainRun, splits: Splits, c: FinishContext): VariantResult {
  const valM = c.selection ? c.selection.val : metrics(splits.val, evaluate(run.net, splits.val));
  const testM = metrics(splits.test, evaluate(run.net, splits.test));
  const trainM = metrics(c.trainedOn, evaluate(run.net, c.trainedOn));
  const outScales = computeOutScales(run.net, c.trainedOn);
  const checkpoint = checkpointFromRun(run, {
    outScales,
    metrics: {
      val: valM,
      test: testM,
      train: trainM,
      ...(c.selection ? { selection: c.selection } : {}),
      ...(splits.description ? { data: splits.description } : {}),
    },
    warnings: c.warnings,
    slim: c.slim,
    refit: c.selection !== undefined,
  });
  return {
    variant: run.spec.variant,
    label: modelLabel(run.spec),
    lr: run.config.lr,
    candidates: c.candidates,
    val: valM,
    test: testM,
    train: trainM,
    refit: c.selection !== undefined,
    ...(c.selection ? { selection: c.selection } : {}),
    size: modelSize(run.spec),
    warnings: c.warnings,
    seconds: (performance.now() - c.started) / 1000,
    checkpoint,
  };
}

function newRun(spec: ModelSpec, o: SessionOptions, lr: number, inputQuant: ReturnType<typeof computeInputQuant>): TrainRun {
  const config: TrainConfig = { epochs: o.epochs, batch: o.batch, lr, weightDecay: o.weightDecay, seed: o.seed };
  const run = new TrainRun(spec, config, o.gemm);
  run.net.input = { mean: inputQuant.mean.slice(), std: inputQuant.std.slice(), scale: inputQuant.scale };
  return run;
}

/** The training split and the validation split joined, for the refit. */
export function trainPlusVal(splits: Splits): Dataset {
  return splits.val.count > 0 ? concat(splits.train, splits.val) : splits.train;
}

export function trainVariants(splits: Splits, o: SessionOptions): VariantResult[] {
  if (o.lrs.length === 0) throw new TbnError('E_OPTION', 'no learning rate given');
  if (o.lrs.length > 1 && splits.val.count === 0) throw new TbnError('E_DATA', 'choosing among several learning rates needs a non-empty validation split');
  if (splits.train.count === 0) throw new TbnError('E_DATA', `${splits.train.name}: the training split is empty`);
  if (o.refit && splits.val.count === 0) throw new TbnError('E_DATA', 'refit trains on train + val, but the validation split is empty');
  const folds = o.folds ?? 1;
  if (folds > 1 && !o.refit) throw new TbnError('E_OPTION', 'cross-validation chooses the learning rate on train + val, so the model must then be refit on all of it');
  const inputQuant = computeInputQuant(splits.train);
  const all = o.refit ? trainPlusVal(splits) : undefined;
  const allQuant = all ? computeInputQuant(all) : undefined;
  const cv = folds > 1 && o.lrs.length > 1 && all ? kFolds(all, folds, o.seed) : undefined;
  return o.variants.map((variant) => {
    const started = performance.now();
    const { spec, warnings } = specFor(o, variant, splits.train);
    const label = modelLabel(spec);
    if (cv && all && allQuant) return crossValidated(spec, label, warnings, started, cv, all, allQuant, splits, o);
    let best: TrainRun | undefined;
    let bestVal = -1;
    const candidates: VariantResult['candidates'] = [];
    const runs: SelectionRun[] = [];
    for (const lr of o.lrs) {
      const run = newRun(spec, o, lr, inputQuant);
      run.train(splits.train, splits.val, o.onProgress ? (p) => o.onProgress?.(label, lr, p) : undefined);
      const valAccuracy = splits.val.count > 0 ? evaluate(run.net, splits.val).accuracy : 0;
      candidates.push({ lr, valAccuracy });
      runs.push({ lr, history: run.history });
      if (valAccuracy > bestVal) {
        bestVal = valAccuracy;
        best = run;
      }
    }
    const chosen = best as TrainRun;
    const slim = o.slim === true;
    if (!all || !allQuant) return finish(chosen, splits, { trainedOn: splits.train, warnings, candidates, started, slim });
    const selection: SelectionMetrics = {
      candidates,
      val: metrics(splits.val, evaluate(chosen.net, splits.val)),
      test: metrics(splits.test, evaluate(chosen.net, splits.test)),
      runs,
    };
    const refit = trainOnAll(spec, label, o, chosen.config.lr, all, allQuant);
    return finish(refit, splits, { trainedOn: all, warnings, candidates, started, slim, selection });
  });
}

/**
 * Chooses the learning rate by the pooled accuracy of k-fold cross-validation (each fold's model standardises
 * its inputs with its own training part), then trains the model on all of train + val with that rate.
 */
function crossValidated(
  spec: ModelSpec,
  label: string,
  warnings: string[],
  started: number,
  cv: { train: Dataset; val: Dataset }[],
  all: Dataset,
  allQuant: ReturnType<typeof computeInputQuant>,
  splits: Splits,
  o: SessionOptions,
): VariantResult {
  const candidates: VariantResult['candidates'] = [];
  const runs: SelectionRun[] = [];
  let bestLr = o.lrs[0] as number;
  let bestAcc = -1;
  let bestF1 = 0;
  for (const lr of o.lrs) {
    let correct = 0;
    let f1 = 0;
    cv.forEach((fold, f) => {
      const run = newRun(spec, o, lr, computeInputQuant(fold.train));
      run.train(fold.train, undefined, o.onProgress ? (p) => o.onProgress?.(`${label} fold ${f + 1}/${cv.length}`, lr, p) : undefined);
      const r = evaluate(run.net, fold.val);
      runs.push({ lr, fold: f + 1, history: run.history });
      correct += r.accuracy * fold.val.count;
      f1 += r.macroF1 / cv.length;
    });
    const accuracy = correct / all.count;
    candidates.push({ lr, valAccuracy: accuracy });
    if (accuracy > bestAcc) {
      bestAcc = accuracy;
      bestF1 = f1;
      bestLr = lr;
    }
  }
  const selection: SelectionMetrics = {
    candidates,
    val: { name: `${cv.length}-fold cross-validation of ${all.name}, lr ${bestLr}`, count: all.count, accuracy: bestAcc, macroF1: bestF1 },
    folds: cv.length,
    runs,
  };
  const refit = trainOnAll(spec, label, o, bestLr, all, allQuant);
  return finish(refit, splits, { trainedOn: all, warnings, candidates, started, slim: o.slim === true, selection });
}

/** The refit: a fresh run with the chosen rate on all of train + val (inputs standardised with its statistics). */
function trainOnAll(spec: ModelSpec, label: string, o: SessionOptions, lr: number, all: Dataset, allQuant: ReturnType<typeof computeInputQuant>): TrainRun {
  const run = newRun(spec, o, lr, allQuant);
  run.train(all, undefined, o.onProgress ? (p) => o.onProgress?.(`${label} refit`, lr, p) : undefined);
  return run;
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
  const slim = opts.slim === true;
  const onProgress = opts.onProgress ? (p: TrainProgress) => opts.onProgress?.(label, run.config.lr, p) : undefined;
  if (ckpt.train.refit === true) {
    // a refit model keeps training on train + val; its validation metrics stay those of the selection model
    const all = trainPlusVal(splits);
    run.train(all, undefined, onProgress);
    const stored = ckpt.metrics.selection;
    const selection: SelectionMetrics = stored ?? {
      candidates: [{ lr: run.config.lr, valAccuracy: ckpt.metrics.val?.accuracy ?? 0 }],
      val: ckpt.metrics.val ?? metrics(splits.val, { accuracy: 0, macroF1: 0 }),
      test: ckpt.metrics.test ?? metrics(splits.test, { accuracy: 0, macroF1: 0 }),
    };
    return finish(run, splits, { trainedOn: all, warnings: ckpt.warnings, candidates: selection.candidates, started, slim, selection });
  }
  run.train(splits.train, splits.val, onProgress);
  const valAccuracy = splits.val.count > 0 ? evaluate(run.net, splits.val).accuracy : 0;
  return finish(run, splits, { trainedOn: splits.train, warnings: ckpt.warnings, candidates: [{ lr: run.config.lr, valAccuracy }], started, slim });
}
