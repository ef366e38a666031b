/**
 * Training throughput, measured side by side in one run: one epoch of the
 * Fashion-MNIST MLP 784-256-256-10 (BatchNorm, batch 128, Adam) as TBN-4 in
 * our engine (host/train, wasm SIMD matmul and the plain-JS fallback) and as
 * a float MLP in @tensorflow/tfjs on its wasm backend. Samples per second and
 * the ratio ours / tfjs-wasm. TBN_BENCH_SAMPLES overrides the epoch size.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFashionMnist } from '../host/data/fashion-mnist.ts';
import { buildModelSpec } from '../host/train/arch.ts';
import { jsGemm, loadWasmGemm, type Gemm } from '../host/train/kernels.ts';
import { TrainRun, computeInputQuant } from '../host/train/trainer.ts';
import type { Dataset } from '../host/data/dataset.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function oursSamplesPerSecond(train: Dataset, gemm: Gemm, samples: number): number {
  const { spec } = buildModelSpec({ arch: 'mlp:256,256', variant: 'tbn', p: 4, inputShape: train.shape, classes: train.classes, channels: train.channels });
  const run = new TrainRun(spec, { epochs: 1, batch: 128, lr: 1e-3, weightDecay: 1e-4, seed: 1 }, gemm);
  run.net.input = computeInputQuant(train);
  const data: Dataset = { ...train, x: train.x.subarray(0, samples * 784), y: train.y.subarray(0, samples), count: samples };
  const t0 = performance.now();
  run.train(data);
  return samples / ((performance.now() - t0) / 1000);
}

async function tfjsSamplesPerSecond(train: Dataset, samples: number): Promise<{ rate: number; backend: string }> {
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${path.resolve(here, '../node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [784], units: 256, useBias: false }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.activation({ activation: 'relu' }));
  model.add(tf.layers.dense({ units: 256, useBias: false }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.activation({ activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10 }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = tf.tensor2d(train.x.subarray(0, samples * 784), [samples, 784]);
  const y = tf.tensor1d(Float32Array.from(train.y.subarray(0, samples)), 'float32');
  // warm-up on one batch (kernel compilation), not timed
  await model.fit(x.slice([0, 0], [128, 784]), y.slice([0], [128]), { batchSize: 128, epochs: 1, verbose: 0 });
  const t0 = performance.now();
  await model.fit(x, y, { batchSize: 128, epochs: 1, shuffle: true, verbose: 0 });
  const rate = samples / ((performance.now() - t0) / 1000);
  x.dispose();
  y.dispose();
  return { rate, backend: tf.getBackend() };
}

export async function run(): Promise<{ title: string; text: string; json: unknown }> {
  const samples = Number(process.env.TBN_BENCH_SAMPLES ?? 55000);
  const train = loadFashionMnist({ split: 'train', limit: samples });
  const wasm = loadWasmGemm();
  if (!wasm) throw new Error('build/train/gemm.wasm is missing: run bash host/train/wasm/build.sh');
  const ours = oursSamplesPerSecond(train, wasm, samples);
  const jsSamples = Math.min(samples, 10000);
  const oursJs = oursSamplesPerSecond(train, jsGemm, jsSamples);
  const tfjs = await tfjsSamplesPerSecond(train, samples);
  const ratio = ours / tfjs.rate;
  const rows = [
    ['tbn engine, TBN-4 (wasm SIMD matmul)', samples, ours],
    [`tbn engine, TBN-4 (plain JS fallback)`, jsSamples, oursJs],
    [`@tensorflow/tfjs ${tfjs.backend} backend, float MLP`, samples, tfjs.rate],
  ] as const;
  const text = [
    '| trainer (MLP 784-256-256-10, BN, batch 128, Adam) | samples | samples/s |',
    '|---|---|---|',
    ...rows.map(([n, s, r]) => `| ${n} | ${s} | ${r.toFixed(0)} |`),
    '',
    `ratio tbn engine (wasm) / tfjs-wasm: ${ratio.toFixed(2)}x (goal >= 1.0x, tiling overhead included)`,
  ].join('\n');
  return {
    title: 'Training throughput: Fashion-MNIST MLP, one epoch',
    text,
    json: { samples, oursWasm: ours, oursJs, oursJsSamples: jsSamples, tfjs: tfjs.rate, tfjsBackend: tfjs.backend, ratio },
  };
}
