/**
 * Training throughput, side by side in one run, equal work on both sides:
 *   - MLP: Fashion-MNIST 784-256-256-10 as TBN-4 (p = 4,4,1), sign activations, BatchNorm, int8 input, batch 128;
 *   - HAR CNN: sp-sw-har windows, conv1d 32/64/64 (k5) + maxpool + GAP + dense, TBN-4 (p = 1,4,4,1), batch 32.
 * Both train with Adam (L2 decay on W) and a cosine schedule, the tile from the sum of the p chunks of S with
 * an identity STE, one alpha per tile copy from a separate latent W.
 * Against PyTorch (bench/train_torch.py, Debian python3-torch + OpenBLAS, OMP_WAIT_POLICY=PASSIVE) when it is
 * installed: 1 thread vs 1 thread, and both cores vs both cores with the same work on each side: two independent
 * trainings at the same time (ours: on two worker threads, as --jobs 2 runs them; PyTorch: two 1-thread processes,
 * samples summed, wall clock the longer of the two), in alternating rounds, after a warm-up on both sides. Rates per CPU-second (process CPU time, all threads) next to wall clock: the machine may be
 * shared. Without PyTorch it says so and compares the MLP with @tensorflow/tfjs on its wasm backend, which trains a
 * float ReLU MLP of the same shape (it has no tiling or sign STE), also after a warm-up.
 * Environment: TBN_BENCH_ROUNDS (default 3), TBN_BENCH_MLP_SAMPLES (default 12800), TBN_BENCH_HAR_SAMPLES (default 1600).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../host/data/dataset.ts';
import { loadFashionMnist } from '../host/data/fashion-mnist.ts';
import { loadSplits } from '../host/data/select.ts';
import { subset } from '../host/data/split.ts';
import { writeFileAtomic } from '../host/io/files.ts';
import { buildModelSpec, type ModelSpec } from '../host/train/arch.ts';
import type { TrainJob } from '../host/train/jobs.ts';
import { jsGemm, loadWasmGemm, type Gemm } from '../host/train/kernels.ts';
import type { InputQuant } from '../host/train/network.ts';
import { WorkerPool } from '../host/train/pool.ts';
import { TrainRun, computeInputQuant } from '../host/train/trainer.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Untimed training steps before each measurement, the same number on both sides. */
const WARMUP_STEPS = 5;

interface Workload {
  name: string;
  spec: ModelSpec;
  layerP: number[];
  batch: number;
  data: Dataset;
  samples: number;
}

interface Measure {
  samples: number;
  wall: number;
  cpu: number;
}

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** The data repeated or cut to exactly `n` examples (one epoch = n samples). */
function exactly(d: Dataset, n: number): Dataset {
  const indices = Int32Array.from({ length: n }, (_, i) => i % d.count);
  return subset(d, indices, `${d.name} (${n})`);
}

/** The data in shared memory, so the worker pool hands it to the workers as it is (no copy in the timed part). */
function inSharedMemory(d: Dataset): Dataset {
  const x = new Float32Array(new SharedArrayBuffer(d.x.byteLength));
  const y = new Int32Array(new SharedArrayBuffer(d.y.byteLength));
  x.set(d.x);
  y.set(d.y);
  return { ...d, x, y };
}

function job(w: Workload, data: Dataset, seed: number, input: InputQuant): TrainJob {
  return {
    label: 'TBN-4', variant: 'tbn', stage: 'candidate', lr: 1e-3, spec: w.spec,
    config: { epochs: 1, batch: w.batch, lr: 1e-3, weightDecay: 1e-4, seed },
    input, train: data, refit: false, epochCheckpoints: false,
  };
}

/**
 * One thread: one training of `samples` examples in this thread, after a warm-up training of WARMUP_STEPS steps.
 * The warm-up's network is released first, so the timed one reuses its (already grown) wasm memory.
 */
function oursOneThread(w: Workload, gemm: Gemm, samples = w.samples): Measure {
  const input = computeInputQuant(w.data);
  const warm = new TrainRun(w.spec, { epochs: 1, batch: w.batch, lr: 1e-3, weightDecay: 1e-4, seed: 9 }, gemm);
  warm.net.input = input;
  warm.train(exactly(w.data, w.batch * WARMUP_STEPS));
  warm.net.release();
  const run = new TrainRun(w.spec, { epochs: 1, batch: w.batch, lr: 1e-3, weightDecay: 1e-4, seed: 1 }, gemm);
  run.net.input = input;
  const data = exactly(w.data, samples);
  try {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    run.train(data);
    return { samples, wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
  } finally {
    run.net.release();
  }
}

/**
 * Both cores: two independent trainings on two worker threads (as `tbn train --jobs 2` runs them). The data is
 * built and put in shared memory before the clock starts.
 */
async function oursTwoCores(w: Workload, pool: WorkerPool): Promise<Measure> {
  const data = inSharedMemory(exactly(w.data, w.samples));
  const warm = inSharedMemory(exactly(w.data, w.batch * WARMUP_STEPS));
  const input = computeInputQuant(w.data); // once, outside the timed part (a training computes it once too)
  await Promise.all([pool.run(job(w, warm, 9, input), {}), pool.run(job(w, warm, 10, input), {})]);
  const jobs = [job(w, data, 1, input), job(w, data, 2, input)];
  const t0 = performance.now();
  const c0 = cpuSeconds();
  await Promise.all(jobs.map((j) => pool.run(j, {})));
  return { samples: 2 * w.samples, wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
}

/** The Debian PyTorch (python3-torch), or undefined with the reason. */
function findTorch(): { python: string; version: string } | { reason: string } {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return { reason: 'PyTorch is not installed (Debian: apt-get install python3-torch libopenblas0-pthread)' };
}

/** One `train_torch.py` process with `threads` intra-op threads; its own timed loop's samples, wall and CPU time. */
function torchRun(python: string, w: Workload, files: { x: string; y: string }, threads: number, seed = 1): Promise<Measure> {
  const threadsText = String(threads);
  const args = [
    path.join(here, 'train_torch.py'), '--model', w.name === 'mlp' ? 'mlp' : 'har', '--x', files.x, '--y', files.y,
    '--shape', w.data.shape.join(','), '--classes', String(w.data.classes.length), '--p', w.layerP.join(','),
    '--batch', String(w.batch), '--samples', String(w.samples), '--warmup', String(WARMUP_STEPS), '--threads', threadsText,
    '--seed', String(seed),
  ];
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: threadsText, OPENBLAS_NUM_THREADS: threadsText };
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`bench/train_torch.py failed to start: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`bench/train_torch.py failed (${code ?? signal}): ${stderr.trim()}`));
      try {
        const j = JSON.parse(stdout.trim().split('\n').pop() as string) as { samples: number; wall: number; cpu: number };
        resolve({ samples: j.samples, wall: j.wall, cpu: j.cpu });
      } catch (e) {
        reject(new Error(`bench/train_torch.py printed no result line: ${(e as Error).message}`));
      }
    });
  });
}

/** Both cores, the same work as ours: two 1-thread trainings in two processes at once (samples summed, the longer wall clock). */
async function torchTwoProcesses(python: string, w: Workload, files: { x: string; y: string }): Promise<Measure> {
  const [a, b] = await Promise.all([torchRun(python, w, files, 1, 1), torchRun(python, w, files, 1, 2)]);
  return { samples: a.samples + b.samples, wall: Math.max(a.wall, b.wall), cpu: a.cpu + b.cpu };
}

async function tfjsMlp(train: Dataset, samples: number): Promise<Measure & { backend: string }> {
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
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const d = exactly(train, samples);
  const x = tf.tensor2d(d.x, [samples, 784]);
  const y = tf.tensor1d(Float32Array.from(d.y), 'float32');
  await model.fit(x.slice([0, 0], [384, 784]), y.slice([0], [384]), { batchSize: 128, epochs: 1, verbose: 0 });
  const t0 = performance.now();
  const c0 = cpuSeconds();
  await model.fit(x, y, { batchSize: 128, epochs: 1, shuffle: true, verbose: 0 });
  const m = { samples, wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0, backend: tf.getBackend() };
  x.dispose();
  y.dispose();
  return m;
}

const median = (a: number[]): number => {
  const s = [...a].sort((p, q) => p - q);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

interface Row {
  workload: string;
  setup: string;
  side: string;
  perCpu: number;
  perWall: number;
}

function summarize(workload: string, setup: string, side: string, ms: Measure[]): Row {
  return { workload, setup, side, perCpu: median(ms.map((m) => m.samples / m.cpu)), perWall: median(ms.map((m) => m.samples / m.wall)) };
}

export async function run(): Promise<{ title: string; text: string; json: unknown }> {
  const rounds = Number(process.env.TBN_BENCH_ROUNDS ?? 3);
  const mlpSamples = Number(process.env.TBN_BENCH_MLP_SAMPLES ?? 12800);
  const harSamples = Number(process.env.TBN_BENCH_HAR_SAMPLES ?? 1600);
  const gemm = loadWasmGemm();
  if (!gemm) throw new Error('build/train/gemm.wasm is missing: run bash host/train/wasm/build.sh');
  const fashion = loadFashionMnist({ split: 'train', limit: Math.max(mlpSamples, 1024) });
  const har = loadSplits({ data: 'har' }, 1).train;
  const workload = (name: string, data: Dataset, arch: string, layerP: number[], batch: number, samples: number): Workload => {
    const { spec } = buildModelSpec({ arch, variant: 'tbn', layerP, inputShape: data.shape, classes: data.classes, channels: data.channels });
    return { name, spec, layerP, batch, data, samples };
  };
  const workloads = [
    workload('mlp', fashion, 'mlp:256,256', [4, 4, 1], 128, mlpSamples),
    workload('har', har, 'har-cnn', [1, 4, 4, 1], 32, harSamples),
  ];
  const torch = findTorch();
  const rows: Row[] = [];
  const notes: string[] = [];
  const load = (): string => (loadavg()[0] as number).toFixed(2);
  notes.push(`load average before: ${load()} on this machine (wall-clock rates are noisy when it is shared; compare per CPU-second)`);
  const pool = new WorkerPool(2);
  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-bench-train-'));
  try {
    for (const w of workloads) {
      const ours1: Measure[] = [];
      const ours2: Measure[] = [];
      const torch1: Measure[] = [];
      const torch2: Measure[] = [];
      let files: { x: string; y: string } | undefined;
      if ('python' in torch) {
        files = { x: path.join(dir, `${w.name}.x.f32`), y: path.join(dir, `${w.name}.y.i32`) };
        writeFileAtomic(files.x, new Uint8Array(w.data.x.buffer, w.data.x.byteOffset, w.data.x.byteLength));
        writeFileAtomic(files.y, new Uint8Array(w.data.y.buffer, w.data.y.byteOffset, w.data.y.byteLength));
      }
      for (let r = 0; r < rounds; r++) {
        ours1.push(oursOneThread(w, gemm));
        if (files && 'python' in torch) torch1.push(await torchRun(torch.python, w, files, 1));
        ours2.push(await oursTwoCores(w, pool));
        if (files && 'python' in torch) torch2.push(await torchTwoProcesses(torch.python, w, files));
      }
      const label = w.name === 'mlp' ? 'MLP 784-256-256-10, TBN-4 p=4,4,1, batch 128' : 'HAR CNN, TBN-4 p=1,4,4,1, batch 32';
      rows.push(summarize(label, '1 thread', 'tbn (wasm SIMD)', ours1));
      if (torch1.length) rows.push(summarize(label, '1 thread', `PyTorch ${(torch as { version: string }).version} (OpenBLAS)`, torch1));
      rows.push(summarize(label, '2 cores', 'tbn, 2 trainings on 2 workers', ours2));
      if (torch2.length) rows.push(summarize(label, '2 cores', 'PyTorch, 2 trainings in 2 processes', torch2));
    }
    if (!('python' in torch)) {
      notes.push(`${torch.reason}: no PyTorch comparison in this run.`);
      const tf: Measure[] = [];
      for (let r = 0; r < rounds; r++) tf.push(await tfjsMlp(fashion, mlpSamples));
      rows.push(summarize('MLP 784-256-256-10 (tfjs: float ReLU MLP, no tiling, no sign STE)', '1 thread', '@tensorflow/tfjs wasm backend', tf));
    }
    const js = oursOneThread(workloads[0] as Workload, jsGemm, 1280);
    rows.push(summarize('MLP 784-256-256-10, TBN-4 p=4,4,1, batch 128', '1 thread', 'tbn plain-JS fallback (same bits)', [js]));
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
  notes.push(`load average after: ${load()}`);
  const ratios: Record<string, number> = {};
  const text: string[] = ['| workload | cores | trainer | samples per CPU-second | samples per second (wall) |', '|---|---|---|---|---|'];
  for (const r of rows) text.push(`| ${r.workload} | ${r.setup} | ${r.side} | ${r.perCpu.toFixed(0)} | ${r.perWall.toFixed(0)} |`);
  text.push('');
  for (const w of ['MLP', 'HAR']) {
    for (const setup of ['1 thread', '2 cores']) {
      const ours = rows.find((r) => r.workload.startsWith(w) && r.setup === setup && r.side.startsWith('tbn') && !r.side.includes('JS'));
      const peer = rows.find((r) => r.workload.startsWith(w) && r.setup === setup && !r.side.startsWith('tbn'));
      if (!ours || !peer) continue;
      const key = `${w} ${setup}`;
      ratios[key] = ours.perCpu / peer.perCpu;
      text.push(`${key}: tbn / ${peer.side.split(' (')[0]} = ${ratios[key]!.toFixed(2)}x per CPU-second, ${(ours.perWall / peer.perWall).toFixed(2)}x wall clock (goal >= 1.0x)`);
    }
  }
  text.push(`median of ${rounds} alternating rounds; ${notes.join('; ')}`);
  return { title: 'Training throughput: tbn vs PyTorch (equal work)', text: text.join('\n'), json: { rounds, rows, ratios, notes, torch } };
}
