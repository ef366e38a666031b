/**
 * Training checkpoints: one JSON file per model, tensors as base64
 * little-endian blobs. Format "tbn-checkpoint" version 1. A checkpoint always
 * holds the frozen model (tile, alpha, BatchNorm, bias, input quantisation),
 * so `exportFloatModel` works on every checkpoint; a resumable one also holds
 * the latents S and W and the Adam state.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { TbnError } from '../errors.ts';
import { fileErrorMessage, readRegularFile, writeFileAtomic } from '../io/files.ts';
import { weightCount, type ModelSpec } from './arch.ts';
import type { Gemm } from './kernels.ts';
import type { WeightLayer } from './network.ts';
import { TrainRun, type EpochRecord, type TrainConfig } from './trainer.ts';

export const CHECKPOINT_FORMAT = 'tbn-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface EncodedTensor {
  dtype: 'f32' | 'i8';
  length: number;
  /** base64 of the little-endian values. */
  data: string;
}

export interface SplitMetrics {
  name: string;
  count: number;
  accuracy: number;
  macroF1: number;
}

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  created: string;
  spec: ModelSpec;
  input: { mean: number[]; std: number[]; scale: number };
  /** refit: trained on train + val after the learning rate was chosen on val (resuming keeps training on both). */
  train: TrainConfig & { epochsDone: number; adamStep: number; engine: string; refit?: boolean };
  history: EpochRecord[];
  /** int8 output step per ReLU layer name (weight-only mode). */
  outScales: Record<string, number>;
  /**
   * train: the examples the saved model was trained on (count = train + val when refit) and its accuracy on them.
   * selection: with refit, the learning rates tried, and the validation/test metrics of the model trained on the
   * training split alone with the chosen rate (val then holds that validation accuracy); with k-fold
   * cross-validation (`folds`), val is the pooled accuracy over the folds and there is no such model (no test).
   */
  metrics: {
    val?: SplitMetrics;
    test?: SplitMetrics;
    train?: SplitMetrics;
    selection?: { candidates: { lr: number; valAccuracy: number }[]; val: SplitMetrics; test?: SplitMetrics; folds?: number; runs?: { lr: number; fold?: number; history: EpochRecord[] }[] };
    data?: string;
  };
  warnings: string[];
  /** True when latents and optimizer state are present, so training can resume. */
  resumable: boolean;
  tensors: Record<string, EncodedTensor>;
  optimizer?: { m: Record<string, EncodedTensor>; v: Record<string, EncodedTensor> };
}

export function encodeF32(a: Float32Array | number[]): EncodedTensor {
  const f = a instanceof Float32Array ? a : Float32Array.from(a);
  return { dtype: 'f32', length: f.length, data: Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64') };
}

export function encodeI8(a: Float32Array | number[]): EncodedTensor {
  const b = Int8Array.from(a as ArrayLike<number>);
  return { dtype: 'i8', length: b.length, data: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64') };
}

export function decodeTensor(t: EncodedTensor, what: string, file = 'checkpoint'): Float32Array {
  const buf = Buffer.from(t.data, 'base64');
  const bytes = t.dtype === 'f32' ? 4 : 1;
  if (!Number.isInteger(t.length) || buf.length !== t.length * bytes) {
    throw new TbnError('E_CHECKPOINT', `${file}: tensor ${what} is corrupt (${buf.length} bytes for ${t.length} ${t.dtype} values)`);
  }
  const out = new Float32Array(t.length);
  if (t.dtype === 'f32') {
    const copy = new Uint8Array(buf); // aligned copy
    out.set(new Float32Array(copy.buffer, 0, t.length));
  } else if (t.dtype === 'i8') {
    const i8 = new Int8Array(buf.buffer, buf.byteOffset, buf.length);
    out.set(i8);
  } else {
    throw new TbnError('E_CHECKPOINT', `${file}: tensor ${what} has unknown dtype "${String((t as EncodedTensor).dtype)}"`);
  }
  return out;
}

export interface CheckpointExtras {
  outScales?: Record<string, number>;
  metrics?: Checkpoint['metrics'];
  warnings?: string[];
  /** Drop latents and optimizer state (smaller file; cannot resume). */
  slim?: boolean;
  /** The model was refit on train + val. */
  refit?: boolean;
}

export function checkpointFromRun(run: TrainRun, extras: CheckpointExtras = {}): Checkpoint {
  const net = run.net;
  const tensors: Record<string, EncodedTensor> = {};
  const slim = extras.slim === true;
  for (const l of net.weightLayers) {
    l.refreshWeights();
    const name = l.spec.name;
    if (l.binary) {
      tensors[`${name}.tile`] = encodeI8(l.tile);
      tensors[`${name}.alpha`] = encodeF32(l.alpha);
      if (!slim) {
        tensors[`${name}.scores`] = encodeF32((l.scores as NonNullable<WeightLayer['scores']>).value);
        tensors[`${name}.weight`] = encodeF32(l.weight.value);
      }
    } else {
      tensors[`${name}.weight`] = encodeF32(l.weight.value);
    }
    if (l.bias) tensors[`${name}.bias`] = encodeF32(l.bias.value);
    if (l.gamma && l.beta) {
      tensors[`${name}.gamma`] = encodeF32(l.gamma.value);
      tensors[`${name}.beta`] = encodeF32(l.beta.value);
      tensors[`${name}.runMean`] = encodeF32(l.runMean);
      tensors[`${name}.runVar`] = encodeF32(l.runVar);
    }
  }
  const ckpt: Checkpoint = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    created: new Date().toISOString(),
    spec: run.spec,
    input: { mean: Array.from(net.input.mean), std: Array.from(net.input.std), scale: net.input.scale },
    train: { ...run.config, epochsDone: run.epochsDone, adamStep: run.adam.step, engine: run.engineName, ...(extras.refit ? { refit: true } : {}) },
    history: run.history,
    outScales: extras.outScales ?? {},
    metrics: extras.metrics ?? {},
    warnings: extras.warnings ?? [],
    resumable: !slim,
    tensors,
  };
  if (!slim) {
    const m: Record<string, EncodedTensor> = {};
    const v: Record<string, EncodedTensor> = {};
    for (const [k, a] of run.adam.m) m[k] = encodeF32(a);
    for (const [k, a] of run.adam.v) v[k] = encodeF32(a);
    ckpt.optimizer = { m, v };
  }
  return ckpt;
}

function tensor(ckpt: Checkpoint, name: string, file: string, length: number): Float32Array {
  const t = ckpt.tensors[name];
  if (!t) throw new TbnError('E_CHECKPOINT', `${file}: tensor ${name} is missing`);
  const a = decodeTensor(t, name, file);
  if (a.length !== length) throw new TbnError('E_CHECKPOINT', `${file}: tensor ${name} has ${a.length} values, expected ${length}`);
  return a;
}

/** Tensor of a checkpoint by name, checked against the expected length. */
export function checkpointTensor(ckpt: Checkpoint, name: string, length: number, file = 'checkpoint'): Float32Array {
  return tensor(ckpt, name, file, length);
}

/** Rebuilds a TrainRun (latents, BN statistics, Adam state) to continue training. */
export function runFromCheckpoint(ckpt: Checkpoint, file = 'checkpoint', gemm?: Gemm): TrainRun {
  if (!ckpt.resumable || !ckpt.optimizer) {
    throw new TbnError('E_CHECKPOINT', `${file}: this checkpoint was saved without latents and optimizer state (slim), so training cannot resume from it`);
  }
  const { epochsDone, adamStep, engine, refit, ...config } = ckpt.train;
  void engine;
  void refit;
  const run = new TrainRun(ckpt.spec, config, gemm);
  const net = run.net;
  net.input = { mean: Float32Array.from(ckpt.input.mean), std: Float32Array.from(ckpt.input.std), scale: ckpt.input.scale };
  for (const l of net.weightLayers) {
    const name = l.spec.name;
    if (l.scores) l.scores.value.set(tensor(ckpt, `${name}.scores`, file, l.n));
    l.weight.value.set(tensor(ckpt, `${name}.weight`, file, l.n));
    if (l.bias) l.bias.value.set(tensor(ckpt, `${name}.bias`, file, l.N));
    if (l.gamma && l.beta) {
      l.gamma.value.set(tensor(ckpt, `${name}.gamma`, file, l.N));
      l.beta.value.set(tensor(ckpt, `${name}.beta`, file, l.N));
      l.runMean.set(tensor(ckpt, `${name}.runMean`, file, l.N));
      l.runVar.set(tensor(ckpt, `${name}.runVar`, file, l.N));
    }
  }
  net.invalidateWeights();
  for (const [k, t] of Object.entries(ckpt.optimizer.m)) run.adam.m.set(k, decodeTensor(t, `optimizer m ${k}`, file));
  for (const [k, t] of Object.entries(ckpt.optimizer.v)) run.adam.v.set(k, decodeTensor(t, `optimizer v ${k}`, file));
  run.adam.step = adamStep;
  run.epochsDone = epochsDone;
  run.history = [...ckpt.history];
  return run;
}

const ACTIVATIONS = ['sign', 'relu', 'none'];

/** The layer fields every reader of a checkpoint relies on: p and the activation, per weight layer. */
function checkSpec(spec: ModelSpec, file: string): void {
  spec.layers.forEach((l, i) => {
    if (l.kind === 'maxpool' || l.kind === 'gap') return;
    const name = typeof l.name === 'string' ? l.name : `layer ${i + 1}`;
    const shapes = [l.inShape, l.outShape, l.kernel].every((a) => Array.isArray(a) && a.every((v) => Number.isInteger(v) && v > 0));
    if (!shapes) throw new TbnError('E_CHECKPOINT', `${file}: ${name} has an invalid shape or kernel`);
    const n = weightCount(l);
    if (!Number.isInteger(l.p) || l.p < 1) throw new TbnError('E_CHECKPOINT', `${file}: ${name} has p = ${JSON.stringify(l.p)}; p must be a positive integer`);
    if (n % l.p !== 0) throw new TbnError('E_CHECKPOINT', `${file}: ${name} has p = ${l.p}, which does not divide its ${n} weights`);
    if (!ACTIVATIONS.includes(l.activation)) {
      throw new TbnError('E_CHECKPOINT', `${file}: ${name} has activation ${JSON.stringify(l.activation)}; tbn knows ${ACTIVATIONS.join(', ')}`);
    }
  });
}

/** Parses and validates checkpoint JSON; refuses other formats and versions with a clear message. */
export function parseCheckpoint(text: string, file = 'checkpoint'): Checkpoint {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new TbnError('E_CHECKPOINT', `${file}: not a checkpoint (invalid JSON: ${(e as Error).message})`);
  }
  const o = obj as Partial<Checkpoint> | null;
  if (!o || typeof o !== 'object' || o.format !== CHECKPOINT_FORMAT) {
    throw new TbnError('E_CHECKPOINT', `${file}: not a tbn training checkpoint (format is ${JSON.stringify(o && typeof o === 'object' ? o.format : undefined)}, expected "${CHECKPOINT_FORMAT}")`);
  }
  if (o.version !== CHECKPOINT_VERSION) {
    throw new TbnError('E_CHECKPOINT', `${file}: checkpoint version ${String(o.version)} is not supported by this tbn (it reads version ${CHECKPOINT_VERSION}); retrain the model or use a matching tbn release`);
  }
  if (!o.spec || !Array.isArray(o.spec.layers) || !o.tensors || !o.input || !o.train) {
    throw new TbnError('E_CHECKPOINT', `${file}: checkpoint is incomplete (missing spec, tensors, input or train section)`);
  }
  checkSpec(o.spec, file);
  return o as Checkpoint;
}

/** Checkpoints are JSON with base64 tensors; far below this for any model a device can hold. */
export const MAX_CHECKPOINT_BYTES = 1 << 30;

export function loadCheckpoint(file: string): Checkpoint {
  return parseCheckpoint(readRegularFile(file, MAX_CHECKPOINT_BYTES, 'checkpoint').toString('utf8'), file);
}

/** Writes a checkpoint atomically (temp file, fsync, rename): an interrupted write never leaves half a file. */
export function saveCheckpoint(file: string, ckpt: Checkpoint): void {
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  } catch (e) {
    throw new TbnError('E_WRITE', `cannot write ${fileErrorMessage(file, e)}`);
  }
  writeFileAtomic(file, JSON.stringify(ckpt));
}
