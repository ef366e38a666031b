/** Training loop, evaluation and the statistics stored with a model (input quantisation, ReLU output steps). */
import { exampleSize, type Dataset } from '../data/dataset.ts';
import { TbnError } from '../errors.ts';
import type { ModelSpec } from './arch.ts';
import type { Gemm } from './kernels.ts';
import { EVAL_CHUNK, Network, softmaxCrossEntropy, type InputQuant } from './network.ts';
import { adamStep, newAdamState, type AdamState } from './optim.ts';
import { Rng } from './rng.ts';

export interface TrainConfig {
  epochs: number;
  batch: number;
  lr: number;
  weightDecay: number;
  seed: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  valAccuracy?: number;
  /** Mean cross-entropy on the validation set (checkpoints before it was recorded lack it). */
  valLoss?: number;
  seconds: number;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Running mean over the epoch so far. */
  loss: number;
  accuracy: number;
  /** Set on the last step of an epoch when a validation set is given. */
  valAccuracy?: number;
  epochDone: boolean;
}

export interface EvalResult {
  accuracy: number;
  loss: number;
  macroF1: number;
  predictions: Int32Array;
  count: number;
}

/** A model under training: network, optimizer state and history. */
export class TrainRun {
  readonly net: Network;
  readonly config: TrainConfig;
  adam: AdamState;
  epochsDone = 0;
  history: EpochRecord[] = [];
  private batchInput: Float32Array = new Float32Array(0);

  constructor(spec: ModelSpec, config: TrainConfig, gemm?: Gemm) {
    this.net = new Network(spec, config.seed, gemm);
    this.config = { ...config };
    this.adam = newAdamState();
  }

  get engineName(): string {
    return this.net.gemm.name;
  }

  get spec(): ModelSpec {
    return this.net.spec;
  }

  /**
   * Steps per epoch for a training set of `count` examples. The last batch may
   * be short, but a last batch of one example is dropped: batch statistics of
   * a single example are degenerate.
   */
  stepsPerEpoch(count: number): number {
    const steps = Math.ceil(count / this.config.batch);
    return steps > 1 && count % this.config.batch === 1 ? steps - 1 : steps;
  }

  /** Trains until `untilEpoch` (default: config.epochs), continuing from epochsDone. */
  train(data: Dataset, val?: Dataset, onProgress?: (p: TrainProgress) => void, untilEpoch = this.config.epochs): void {
    checkCompatible(this.spec, data);
    if (val) checkCompatible(this.spec, val);
    const { batch } = this.config;
    const size = exampleSize(data);
    const classes = this.spec.classes.length;
    const steps = this.stepsPerEpoch(data.count);
    const totalSteps = steps * this.config.epochs;
    // in the engine's memory (kept across calls): the input quantisation reads it in place
    if (this.batchInput.length < batch * size) this.batchInput = this.net.gemm.alloc(batch * size);
    const xb = this.batchInput;
    const yb = new Int32Array(batch);
    const grad = new Float32Array(batch * classes);
    const params = this.net.params();
    while (this.epochsDone < untilEpoch) {
      const epoch = this.epochsDone;
      const started = performance.now();
      const order = new Int32Array(data.count);
      for (let i = 0; i < order.length; i++) order[i] = i;
      new Rng((this.config.seed * 1000003 + epoch * 7919 + 1) >>> 0).shuffle(order);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let s = 0; s < steps; s++) {
        const n = Math.min(batch, data.count - s * batch);
        for (let b = 0; b < n; b++) {
          const idx = order[s * batch + b] as number;
          xb.set(data.x.subarray(idx * size, (idx + 1) * size), b * size);
          yb[b] = data.y[idx] as number;
        }
        this.net.zeroGrads();
        const logits = this.net.forward(xb, n, true);
        const r = softmaxCrossEntropy(logits, yb, 0, n, classes, grad);
        this.net.backward(grad, n);
        adamStep(params, this.adam, { lr: this.config.lr, weightDecay: this.config.weightDecay, totalSteps }, this.net.gemm);
        this.net.invalidateWeights();
        lossSum += r.loss * n;
        correct += r.correct;
        seen += n;
        const last = s === steps - 1;
        if (onProgress && !last) {
          onProgress({ epoch: epoch + 1, epochs: untilEpoch, step: s + 1, steps, loss: lossSum / seen, accuracy: correct / seen, epochDone: false });
        }
      }
      this.epochsDone++;
      const record: EpochRecord = { epoch: this.epochsDone, loss: lossSum / seen, trainAccuracy: correct / seen, seconds: (performance.now() - started) / 1000 };
      if (val && val.count > 0) {
        const v = evaluate(this.net, val);
        record.valAccuracy = v.accuracy;
        record.valLoss = v.loss;
      }
      this.history.push(record);
      onProgress?.({
        epoch: epoch + 1,
        epochs: untilEpoch,
        step: steps,
        steps,
        loss: record.loss,
        accuracy: record.trainAccuracy,
        ...(record.valAccuracy !== undefined ? { valAccuracy: record.valAccuracy } : {}),
        epochDone: true,
      });
    }
  }
}

export function checkCompatible(spec: ModelSpec, d: Dataset): void {
  const [h, w, c] = spec.inputShape;
  if (d.shape[0] !== h || d.shape[1] !== w || d.shape[2] !== c) {
    throw new TbnError('E_DATA', `${d.name}: examples have shape ${d.shape.join('x')} but the model expects ${spec.inputShape.join('x')}`);
  }
  if (d.classes.length !== spec.classes.length || d.classes.some((k, i) => k !== spec.classes[i])) {
    throw new TbnError('E_DATA', `${d.name}: classes [${d.classes.join(', ')}] differ from the model's [${spec.classes.join(', ')}]`);
  }
}

/** Eval-mode forward over a data set (BN running statistics). */
export function evaluate(net: Network, data: Dataset, batch = 256): EvalResult {
  const size = exampleSize(data);
  const classes = net.spec.classes.length;
  const predictions = new Int32Array(data.count);
  const grad = new Float32Array(batch * classes);
  let loss = 0;
  let correct = 0;
  for (let start = 0; start < data.count; start += batch) {
    const n = Math.min(batch, data.count - start);
    const logits = net.forward(data.x.subarray(start * size, (start + n) * size), n, false);
    const r = softmaxCrossEntropy(logits, data.y, start, n, classes, grad);
    loss += r.loss * n;
    correct += r.correct;
    for (let b = 0; b < n; b++) predictions[start + b] = argmax(logits, b * classes, classes);
  }
  return {
    accuracy: data.count > 0 ? correct / data.count : 0,
    loss: data.count > 0 ? loss / data.count : 0,
    macroF1: macroF1(data.y, predictions, classes),
    predictions,
    count: data.count,
  };
}

/** Index of the largest value, lowest index on a tie (as the device does). */
export function argmax(a: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if ((a[offset + c] as number) > (a[offset + best] as number)) best = c;
  return best;
}

export function macroF1(y: Int32Array, pred: Int32Array, classes: number): number {
  let sum = 0;
  let present = 0;
  for (let c = 0; c < classes; c++) {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < y.length; i++) {
      const isY = y[i] === c;
      const isP = pred[i] === c;
      if (isY && isP) tp++;
      else if (isP) fp++;
      else if (isY) fn++;
    }
    if (tp + fn === 0) continue;
    present++;
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return present > 0 ? sum / present : 0;
}

/**
 * Per-channel mean and std of the training inputs, and the int8 step of the
 * standardised input: the 99.99th percentile of |z| over (a sample of) the
 * training values, divided by 127, so one outlier does not coarsen the step.
 */
export function computeInputQuant(train: Dataset): InputQuant {
  const c = train.shape[2];
  const total = train.x.length;
  if (total === 0) throw new TbnError('E_DATA', `${train.name}: the training split is empty`);
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < total; i++) {
    const v = train.x[i] as number;
    sum[i % c] = (sum[i % c] as number) + v;
  }
  const per = total / c;
  const mean = new Float32Array(c);
  for (let k = 0; k < c; k++) mean[k] = (sum[k] as number) / per;
  for (let i = 0; i < total; i++) {
    const d = (train.x[i] as number) - (mean[i % c] as number);
    sq[i % c] = (sq[i % c] as number) + d * d;
  }
  const std = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    const s = Math.sqrt((sq[k] as number) / per);
    std[k] = s > 1e-8 ? s : 1;
  }
  const stride = Math.max(1, Math.floor(total / 200000));
  const abs: number[] = [];
  for (let i = 0; i < total; i += stride) abs.push(Math.abs(((train.x[i] as number) - (mean[i % c] as number)) / (std[i % c] as number)));
  abs.sort((a, b) => a - b);
  const top = abs[Math.min(abs.length - 1, Math.floor(abs.length * 0.9999))] as number;
  const scale = (top > 0 ? top : 1) / 127;
  // Float32 statistics can overflow even when every value is finite; NaN here would train at chance silently.
  for (let k = 0; k < c; k++) {
    if (!Number.isFinite(mean[k] as number) || !Number.isFinite(std[k] as number)) {
      throw new TbnError('E_DATA', `${train.name}: input channel ${train.channels?.[k] ?? k} has non-finite statistics (mean ${mean[k]}, std ${std[k]}): its values are too large for float32`);
    }
  }
  if (!Number.isFinite(scale)) throw new TbnError('E_DATA', `${train.name}: the input quantisation step is not finite`);
  return { mean, std, scale };
}

/**
 * int8 output step of every ReLU layer (weight-only mode): the largest
 * activation over up to `limit` training examples, divided by 127.
 */
export function computeOutScales(net: Network, train: Dataset, limit = 2000): Record<string, number> {
  const result: Record<string, number> = {};
  const layers = net.weightLayers.filter((l) => l.spec.activation === 'relu');
  if (layers.length === 0) return result;
  const max = new Map(layers.map((l) => [l, 0]));
  const size = exampleSize(train);
  const count = Math.min(limit, train.count);
  const batch = EVAL_CHUNK; // each layer's out holds one chunk (Network.forward); a maximum does not depend on the order
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    net.forward(train.x.subarray(start * size, (start + n) * size), n, false);
    for (const l of layers) {
      const out = l.out.subarray(0, n * l.spec.outShape[0] * l.spec.outShape[1] * l.spec.outShape[2]);
      let m = max.get(l) as number;
      for (let i = 0; i < out.length; i++) if ((out[i] as number) > m) m = out[i] as number;
      max.set(l, m);
    }
  }
  for (const l of layers) {
    const m = max.get(l) as number;
    result[l.spec.name] = (m > 0 ? m : 1) / 127;
  }
  return result;
}
