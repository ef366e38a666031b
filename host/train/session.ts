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
import { TBN } from '../format/spec.ts';
import { jobName, runJob, type Executor, type JobEvents, type TrainJob } from './jobs.ts';
import type { Gemm } from './kernels.ts';
import type { InputQuant } from './network.ts';
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
  /** Default: the run's own lr with its validation accuracy (evaluated here). */
  candidates?: VariantResult['candidates'];
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
  run.net.release(); // the checkpoint holds copies
  return {
    variant: run.spec.variant,
    label: modelLabel(run.spec),
    lr: run.config.lr,
    candidates: c.candidates ?? [{ lr: run.config.lr, valAccuracy: splits.val.count > 0 ? valM.accuracy : 0 }],
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

/** The examples the refit trains on: the training split and the validation split joined. */
export function trainPlusVal(splits: Splits): Dataset {
  return splits.val.count > 0 ? concat(splits.train, splits.val) : splits.train;
}

/** What a session will train: every variant's spec (checked now, before any epoch), and the amount of work. */
export interface SessionPlan {
  variants: { variant: Variant; label: string; spec: ModelSpec; warnings: string[] }[];
  /** Number of trainings (lr candidates, folds and refits) over all variants. */
  trainings: number;
  /** Training examples times epochs over all trainings (for an ETA). */
  sampleEpochs: number;
  /** Cross-validation folds of train + val when the lr is chosen by cross-validation. */
  folds?: { train: Dataset; val: Dataset }[];
  all?: Dataset;
  allQuant?: InputQuant;
  inputQuant: InputQuant;
}

/**
 * Checks the options and the whole plan (every variant's architecture and p, the format's limits on the
 * classes) before anything trains, and counts the trainings.
 */
export function planSession(splits: Splits, o: SessionOptions): SessionPlan {
  if (o.lrs.length === 0) throw new TbnError('E_OPTION', 'no learning rate given');
  if (new Set(o.variants).size !== o.variants.length) throw new TbnError('E_OPTION', `the variants list a model twice (${o.variants.join(', ')})`);
  if (o.lrs.length > 1 && splits.val.count === 0) throw new TbnError('E_DATA', 'choosing among several learning rates needs a non-empty validation split');
  if (splits.train.count === 0) throw new TbnError('E_DATA', `${splits.train.name}: the training split is empty`);
  if (o.refit && splits.val.count === 0) throw new TbnError('E_DATA', 'refit trains on train + val, but the validation split is empty');
  const folds = o.folds ?? 1;
  if (folds > 1 && !o.refit) throw new TbnError('E_OPTION', 'cross-validation chooses the learning rate on train + val, so the model must then be refit on all of it');
  const classWarnings = checkClassLimits(splits.train.classes, splits.train.name);
  const variants = o.variants.map((variant) => {
    const { spec, warnings } = specFor(o, variant, splits.train);
    return { variant, label: modelLabel(spec), spec, warnings: [...classWarnings, ...warnings] };
  });
  const inputQuant = computeInputQuant(splits.train);
  const all = o.refit ? trainPlusVal(splits) : undefined;
  const allQuant = all ? computeInputQuant(all) : undefined;
  const cv = folds > 1 && o.lrs.length > 1 && all ? kFolds(all, folds, o.seed) : undefined;
  let trainings = 0;
  let sampleEpochs = 0;
  for (let v = 0; v < variants.length; v++) {
    if (cv) {
      trainings += o.lrs.length * cv.length;
      sampleEpochs += o.lrs.length * cv.reduce((s, f) => s + f.train.count, 0) * o.epochs;
    } else {
      trainings += o.lrs.length;
      sampleEpochs += o.lrs.length * splits.train.count * o.epochs;
    }
    if (all) {
      trainings++;
      sampleEpochs += all.count * o.epochs;
    }
  }
  return {
    variants, trainings, sampleEpochs, inputQuant,
    ...(cv ? { folds: cv } : {}),
    ...(all ? { all } : {}),
    ...(allQuant ? { allQuant } : {}),
  };
}

/**
 * The format's limits on classes (native-modules/tbn_format.h): checked before training so `tbn pack` never
 * refuses a model that trained for an hour. Returns warnings (one class).
 */
export function checkClassLimits(classes: readonly string[], where: string): string[] {
  if (classes.length > TBN.TBN_MAX_CLASSES) {
    throw new TbnError('E_DATA', `${where}: ${classes.length} classes, but a packed model holds at most ${TBN.TBN_MAX_CLASSES}`);
  }
  const maxBytes = TBN.TBN_MAX_LABEL_BYTES - 1;
  classes.forEach((c, k) => {
    if (c.includes('\0')) throw new TbnError('E_DATA', `${where}: class label ${k} ${JSON.stringify(c)} holds a NUL character, which a packed model cannot store`);
    const bytes = Buffer.byteLength(c, 'utf8');
    if (bytes > maxBytes) throw new TbnError('E_DATA', `${where}: class label ${k} ${JSON.stringify(c.length > 40 ? `${c.slice(0, 40)}...` : c)} is ${bytes} UTF-8 bytes; a packed model stores at most ${maxBytes}`);
  });
  if (classes.length < 2) return [`${where} has only one class (${JSON.stringify(classes[0] ?? '')}): the model will always predict it, and its accuracy says nothing`];
  return [];
}

type Flow = Generator<TrainJob[], VariantResult, Checkpoint[]>;

function config(o: SessionOptions, lr: number): TrainConfig {
  return { epochs: o.epochs, batch: o.batch, lr, weightDecay: o.weightDecay, seed: o.seed };
}

/**
 * One variant as a flow: it yields the jobs it needs (all independent of each other), receives their
 * checkpoints, and returns the result. The same flow runs inline or on worker threads.
 */
function* variantFlow(entry: SessionPlan['variants'][number], plan: SessionPlan, splits: Splits, o: SessionOptions): Flow {
  const started = performance.now();
  const { spec, label, warnings, variant } = entry;
  const slim = o.slim === true;
  const base = { label, variant, spec };
  const finalAlone = !plan.all; // no refit: a candidate trained on train is the saved model
  if (plan.folds && plan.all && plan.allQuant) {
    const cv = plan.folds;
    const jobs: TrainJob[] = [];
    for (const lr of o.lrs) {
      cv.forEach((fold, f) => {
        jobs.push({ ...base, stage: 'fold', fold: { index: f, count: cv.length }, lr, config: config(o, lr), input: computeInputQuant(fold.train), train: fold.train, refit: false, epochCheckpoints: false });
      });
    }
    const done = yield jobs;
    const candidates: VariantResult['candidates'] = [];
    let bestLr = o.lrs[0] as number;
    let bestAcc = -1;
    let bestF1 = 0;
    const runs: SelectionRun[] = [];
    o.lrs.forEach((lr, li) => {
      let correct = 0;
      let f1 = 0;
      cv.forEach((fold, f) => {
        const ckpt = done[li * cv.length + f] as Checkpoint;
        runs.push({ lr, fold: f + 1, history: ckpt.history });
        const foldRun = runFromCheckpoint(ckpt, 'checkpoint', o.gemm);
        const r = evaluate(foldRun.net, fold.val);
        foldRun.net.release();
        correct += r.accuracy * fold.val.count;
        f1 += r.macroF1 / cv.length;
      });
      const accuracy = correct / plan.all!.count;
      candidates.push({ lr, valAccuracy: accuracy });
      if (accuracy > bestAcc) {
        bestAcc = accuracy;
        bestF1 = f1;
        bestLr = lr;
      }
    });
    const selection: SelectionMetrics = {
      candidates,
      val: { name: `${cv.length}-fold cross-validation of ${plan.all.name}, lr ${bestLr}`, count: plan.all.count, accuracy: bestAcc, macroF1: bestF1 },
      folds: cv.length,
      runs,
    };
    const meta = { metrics: { selection, ...(splits.description ? { data: splits.description } : {}) }, warnings };
    const [refit] = yield [{ ...base, stage: 'refit', lr: bestLr, config: config(o, bestLr), input: plan.allQuant, train: plan.all, refit: true, epochCheckpoints: true, meta }];
    return finish(runFromCheckpoint(refit as Checkpoint, 'checkpoint', o.gemm), splits, { trainedOn: plan.all, warnings, candidates, started, slim, selection });
  }
  const done = yield o.lrs.map((lr): TrainJob => ({
    ...base, stage: 'candidate', lr, config: config(o, lr), input: plan.inputQuant, train: splits.train, val: splits.val,
    refit: false, epochCheckpoints: finalAlone && o.lrs.length === 1, meta: { warnings },
  }));
  let best = 0;
  let bestVal = -1;
  const candidates: VariantResult['candidates'] = [];
  const runs: SelectionRun[] = [];
  o.lrs.forEach((lr, i) => {
    const ckpt = done[i] as Checkpoint;
    const valAccuracy = candidateValAccuracy(ckpt, splits.val, o.gemm);
    candidates.push({ lr, valAccuracy });
    runs.push({ lr, history: [...ckpt.history] });
    if (valAccuracy > bestVal) {
      bestVal = valAccuracy;
      best = i;
    }
  });
  // only the chosen candidate's network is rebuilt
  const chosen = runFromCheckpoint(done[best] as Checkpoint, 'checkpoint', o.gemm);
  if (!plan.all || !plan.allQuant) return finish(chosen, splits, { trainedOn: splits.train, warnings, candidates, started, slim });
  const selection: SelectionMetrics = {
    candidates,
    val: metrics(splits.val, evaluate(chosen.net, splits.val)),
    test: metrics(splits.test, evaluate(chosen.net, splits.test)),
    runs,
  };
  const lr = chosen.config.lr;
  chosen.net.release();
  const meta = { metrics: { selection, ...(splits.description ? { data: splits.description } : {}) }, warnings };
  const [refit] = yield [{ ...base, stage: 'refit', lr, config: config(o, lr), input: plan.allQuant, train: plan.all, refit: true, epochCheckpoints: true, meta }];
  return finish(runFromCheckpoint(refit as Checkpoint, 'checkpoint', o.gemm), splits, { trainedOn: plan.all, warnings, candidates, started, slim, selection });
}

/**
 * A candidate's final validation accuracy: the one its job recorded after its last epoch (the job evaluated val
 * then), or, when it trained no epoch, evaluated here.
 */
function candidateValAccuracy(ckpt: Checkpoint, val: Dataset, gemm?: Gemm): number {
  if (val.count === 0) return 0;
  const recorded = ckpt.history[ckpt.history.length - 1]?.valAccuracy;
  if (recorded !== undefined) return recorded;
  const run = runFromCheckpoint(ckpt, 'checkpoint', gemm);
  try {
    return evaluate(run.net, val).accuracy;
  } finally {
    run.net.release();
  }
}

function driveSync(flow: Flow, o: Pick<SessionOptions, 'gemm' | 'onProgress'>): VariantResult {
  let r = flow.next();
  while (!r.done) {
    r = flow.next(r.value.map((job) => runJob(job, o.onProgress ? { progress: (p) => o.onProgress?.(jobName(job), job.lr, p) } : {}, o.gemm)));
  }
  return r.value;
}

/** Events of an asynchronous session, for progress, epoch checkpoints and saving each variant as it finishes. */
export interface SessionEvents {
  events?(job: TrainJob): JobEvents;
  variantDone?(result: VariantResult): void;
}

async function driveAsync(flow: Flow, executor: Executor, ev: SessionEvents): Promise<VariantResult> {
  let r = flow.next();
  while (!r.done) {
    const checkpoints = await Promise.all(r.value.map((job) => executor.run(job, ev.events?.(job) ?? {})));
    r = flow.next(checkpoints);
  }
  ev.variantDone?.(r.value);
  return r.value;
}

/** Trains every variant in this thread, one training after another. */
export function trainVariants(splits: Splits, o: SessionOptions): VariantResult[] {
  const plan = planSession(splits, o);
  return plan.variants.map((v) => driveSync(variantFlow(v, plan, splits, o), o));
}

/**
 * Trains every variant with the trainings handed to `executor` as soon as they can start (all variants at
 * once; the executor decides how many run in parallel). The results are those of trainVariants, bit for bit.
 */
export async function trainVariantsWith(splits: Splits, o: SessionOptions, executor: Executor, ev: SessionEvents = {}, plan = planSession(splits, o)): Promise<VariantResult[]> {
  return Promise.all(plan.variants.map((v) => driveAsync(variantFlow(v, plan, splits, o), executor, ev)));
}

/** The examples a resumed checkpoint keeps training on: train + val for a refit model, else the training split. */
function resumeData(ckpt: Checkpoint, splits: Splits): Dataset {
  return ckpt.train.refit === true ? trainPlusVal(splits) : splits.train;
}

/** Training examples times epochs still to train when resuming `ckpt` up to `epochs` (for an ETA, as SessionPlan.sampleEpochs). */
export function resumeSampleEpochs(ckpt: Checkpoint, splits: Splits, epochs: number): number {
  return resumeData(ckpt, splits).count * Math.max(0, epochs - ckpt.train.epochsDone);
}

function* resumeFlow(ckpt: Checkpoint, file: string, splits: Splits, epochs: number, slim: boolean, gemm?: Gemm): Flow {
  const started = performance.now();
  const run = runFromCheckpoint(ckpt, file, gemm);
  if (epochs < run.epochsDone) throw new TbnError('E_OPTION', `${file}: already trained for ${run.epochsDone} epochs; --epochs ${epochs} would go back`);
  const refit = ckpt.train.refit === true;
  // a refit model keeps training on train + val; its validation metrics stay those of the selection model
  const data = resumeData(ckpt, splits);
  const [done] = yield [{
    label: modelLabel(run.spec), variant: run.spec.variant, spec: run.spec, stage: 'resume', lr: run.config.lr,
    config: { ...run.config, epochs }, input: run.net.input, train: data, ...(refit ? {} : { val: splits.val }),
    refit, epochCheckpoints: true, resume: ckpt, meta: { metrics: ckpt.metrics, warnings: ckpt.warnings },
  }];
  run.net.release();
  const resumed = runFromCheckpoint(done as Checkpoint, file, gemm);
  if (refit) {
    const stored = ckpt.metrics.selection;
    const selection: SelectionMetrics = stored ?? {
      candidates: [{ lr: resumed.config.lr, valAccuracy: ckpt.metrics.val?.accuracy ?? 0 }],
      val: ckpt.metrics.val ?? metrics(splits.val, { accuracy: 0, macroF1: 0 }),
      test: ckpt.metrics.test ?? metrics(splits.test, { accuracy: 0, macroF1: 0 }),
    };
    return finish(resumed, splits, { trainedOn: data, warnings: ckpt.warnings, candidates: selection.candidates, started, slim, selection });
  }
  // its one candidate: its lr, with the validation accuracy finish() evaluates
  return finish(resumed, splits, { trainedOn: data, warnings: ckpt.warnings, started, slim });
}

/** Continues a resumable checkpoint up to `epochs` epochs in total (the cosine schedule spans the new total). */
export function resumeTraining(
  ckpt: Checkpoint,
  file: string,
  splits: Splits,
  epochs: number,
  opts: { slim?: boolean; gemm?: Gemm; onProgress?: SessionOptions['onProgress'] } = {},
): VariantResult {
  return driveSync(resumeFlow(ckpt, file, splits, epochs, opts.slim === true, opts.gemm), opts);
}

/** resumeTraining on an executor (worker threads), with epoch checkpoints reported through `ev`. */
export async function resumeTrainingWith(ckpt: Checkpoint, file: string, splits: Splits, epochs: number, executor: Executor, ev: SessionEvents = {}, slim = false): Promise<VariantResult> {
  return driveAsync(resumeFlow(ckpt, file, splits, epochs, slim), executor, ev);
}
