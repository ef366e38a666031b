import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../host/data/dataset.ts';
import { buildModelSpec } from '../../host/train/arch.ts';
import { checkpointFromRun, loadCheckpoint, parseCheckpoint, runFromCheckpoint, saveCheckpoint } from '../../host/train/checkpoint.ts';
import { exportFloatModel } from '../../host/train/export.ts';
import { Rng } from '../../host/train/rng.ts';
import { floatPredict } from '../../host/train/float-forward.ts';
import type { WeightLayer } from '../../host/model/float-model.ts';
import { TrainRun, computeInputQuant, evaluate } from '../../host/train/trainer.ts';

/** Two noisy 1-D patterns (rising vs falling ramps), 3 channels: learnable in a few epochs. */
function toyData(count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const w = 16, c = 3;
  const x = new Float32Array(count * w * c);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const cls = i % 2;
    y[i] = cls;
    for (let t = 0; t < w; t++) for (let ch = 0; ch < c; ch++) x[(i * w + t) * c + ch] = (cls === 0 ? t : w - t) / w + 0.3 * rng.normal() + ch;
  }
  return { name: `toy ${seed}`, x, y, count, shape: [1, w, c], classes: ['up', 'down'], channels: ['a', 'b', 'c'] };
}

function newRun(seed: number, epochs = 3): TrainRun {
  const train = toyData(64, 1);
  const { spec } = buildModelSpec({ arch: 'conv1d:8x3 conv1d:8x3 maxpool:2 gap', variant: 'tbn', inputShape: train.shape, classes: train.classes, channels: train.channels, layerP: [1, 4, 2] });
  const run = new TrainRun(spec, { epochs, batch: 16, lr: 3e-3, weightDecay: 1e-4, seed });
  run.net.input = computeInputQuant(train);
  return run;
}

const latents = (run: TrainRun): number[] => run.net.params().flatMap((p) => Array.from(p.value));

describe('determinism', () => {
  it('the same seed gives bit-identical weights; another seed does not', () => {
    const train = toyData(64, 1);
    const a = newRun(7);
    const b = newRun(7);
    const c = newRun(8);
    for (const r of [a, b, c]) r.train(train);
    expect(latents(a)).toEqual(latents(b));
    expect(latents(a)).not.toEqual(latents(c));
  });
});

describe('checkpoints', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-ckpt-'));

  it('round-trips: a loaded checkpoint predicts exactly like the run that saved it', () => {
    const train = toyData(64, 1);
    const test = toyData(40, 2);
    const run = newRun(3);
    run.train(train);
    const file = path.join(dir, 'a.ckpt.json');
    saveCheckpoint(file, checkpointFromRun(run));
    const back = runFromCheckpoint(loadCheckpoint(file), file);
    expect(Array.from(evaluate(back.net, test).predictions)).toEqual(Array.from(evaluate(run.net, test).predictions));
    expect(latents(back)).toEqual(latents(run));
    expect(back.epochsDone).toBe(3);
    expect(back.adam.step).toBe(run.adam.step);
  });

  it('resuming gives the same weights as training straight through', () => {
    const train = toyData(64, 1);
    const straight = newRun(5, 4);
    straight.train(train);
    const half = newRun(5, 4);
    half.train(train, undefined, undefined, 2);
    const file = path.join(dir, 'half.ckpt.json');
    saveCheckpoint(file, checkpointFromRun(half));
    const resumed = runFromCheckpoint(loadCheckpoint(file), file);
    resumed.train(train);
    expect(resumed.epochsDone).toBe(4);
    expect(latents(resumed)).toEqual(latents(straight));
  });

  it('a slim checkpoint still exports the model but refuses to resume', () => {
    const run = newRun(3, 1);
    run.train(toyData(64, 1));
    const slim = checkpointFromRun(run, { slim: true });
    expect(slim.tensors['conv1d2.scores']).toBeUndefined();
    expect(exportFloatModel(slim).layers.length).toBe(5);
    expect(() => runFromCheckpoint(slim, 'slim.ckpt.json')).toThrow(/slim.ckpt.json: .*cannot resume/);
  });

  it('refuses another version or format with a clear message', () => {
    const run = newRun(3, 1);
    const text = JSON.stringify(checkpointFromRun(run, { slim: true }));
    const future = text.replace('"version":1', '"version":2');
    expect(() => parseCheckpoint(future, 'm.ckpt.json')).toThrow(/m.ckpt.json: checkpoint version 2 is not supported .*reads version 1/);
    expect(() => parseCheckpoint('{"format":"other"}', 'x.json')).toThrow(/x.json: not a tbn training checkpoint/);
    expect(() => parseCheckpoint('{', 'bad.json')).toThrow(/bad.json: not a checkpoint \(invalid JSON/);
    const file = path.join(dir, 'v2.ckpt.json');
    writeFileSync(file, future);
    expect(() => loadCheckpoint(file)).toThrow(/version 2/);
    expect(() => loadCheckpoint(path.join(dir, 'missing.json'))).toThrow(/cannot read checkpoint .*missing\.json: ENOENT/);
  });

  for (const alpha of ['single', 'scores'] as const) {
    it(`alpha ${alpha}: the exported model has the right alpha count and floatForward matches the trainer`, () => {
      const train = toyData(64, 1);
      const test = toyData(40, 2);
      const { spec } = buildModelSpec({ arch: 'conv1d:8x3 conv1d:8x3 maxpool:2 gap', variant: 'tbn', alpha, inputShape: train.shape, classes: train.classes, channels: train.channels, layerP: [1, 4, 2] });
      const run = new TrainRun(spec, { epochs: 3, batch: 16, lr: 3e-3, weightDecay: 1e-4, seed: 2 });
      run.net.input = computeInputQuant(train);
      run.train(train);
      const model = exportFloatModel(checkpointFromRun(run, { slim: true }));
      const weights = model.layers.filter((l): l is WeightLayer => l.kind === 'conv1d' || l.kind === 'dense');
      expect(weights.map((l) => l.alpha.length)).toEqual(alpha === 'single' ? [1, 1, 1] : [1, 4, 2]);
      expect(Array.from(floatPredict(model, test.x, test.count))).toEqual(Array.from(evaluate(run.net, test).predictions));
    });
  }

  it('detects a corrupt tensor', () => {
    const run = newRun(3, 1);
    const ck = JSON.parse(JSON.stringify(checkpointFromRun(run, { slim: true })));
    ck.tensors['conv1d2.alpha'].data = 'AAAA';
    expect(() => exportFloatModel(ck, 'c.json')).toThrow(/c.json: tensor conv1d2.alpha is corrupt/);
  });
});

describe('batching', () => {
  it('drops a last batch of a single example (degenerate batch statistics) and keeps other short batches', () => {
    const run = newRun(1);
    expect(run.stepsPerEpoch(64)).toBe(4);
    expect(run.stepsPerEpoch(65)).toBe(4);
    expect(run.stepsPerEpoch(66)).toBe(5);
    expect(run.stepsPerEpoch(1)).toBe(1);
    const train = toyData(65, 1);
    run.train(train);
    expect(run.adam.step).toBe(3 * 4);
    expect(latents(run).every(Number.isFinite)).toBe(true);
  });
});
