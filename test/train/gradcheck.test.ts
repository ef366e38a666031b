import { describe, expect, it } from 'vitest';
import { buildModelSpec, type ModelSpec, type Variant, type WeightLayerSpec } from '../../host/train/arch.ts';
import { jsGemm, loadWasmGemm } from '../../host/train/kernels.ts';
import { Network, softmaxCrossEntropy } from '../../host/train/network.ts';
import { Rng } from '../../host/train/rng.ts';
import { expandTile } from '../../host/train/tile.ts';
import { checkGradients } from './finite-differences.ts';

const CLASSES = ['a', 'b', 'c'];

function smoothSpec(arch: string, inputShape: [number, number, number], variant: Variant, layerP?: number[]): ModelSpec {
  const { spec } = buildModelSpec({ arch, variant, inputShape, classes: CLASSES, channels: inputShape.map((_, i) => `c${i}`).slice(0, inputShape[2]), ...(layerP ? { layerP } : {}) });
  // Finite differences need a smooth loss: identity activations (BN, pooling and the products stay).
  for (const l of spec.layers) if ('activation' in l) (l as WeightLayerSpec).activation = 'none';
  return spec;
}

function setup(spec: ModelSpec, batch: number, seed: number): { net: Network; x: Float32Array; y: Int32Array; loss: () => number } {
  const net = new Network(spec, seed, jsGemm);
  const c = spec.inputShape[2];
  net.input = { mean: new Float32Array(c), std: new Float32Array(c).fill(1), scale: 1e-4 };
  const rng = new Rng(seed + 100);
  const size = spec.inputShape[0] * spec.inputShape[1] * c;
  const x = new Float32Array(batch * size);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = new Int32Array(batch);
  for (let i = 0; i < batch; i++) y[i] = i % CLASSES.length;
  const grad = new Float32Array(batch * CLASSES.length);
  const loss = (): number => {
    net.invalidateWeights();
    const logits = net.forward(x, batch, true);
    return softmaxCrossEntropy(logits, y, 0, batch, CLASSES.length, grad).loss;
  };
  return { net, x, y, loss };
}

function analytic(net: Network, x: Float32Array, y: Int32Array, batch: number): void {
  net.zeroGrads();
  net.invalidateWeights();
  const logits = net.forward(x, batch, true);
  const g = new Float32Array(batch * CLASSES.length);
  softmaxCrossEntropy(logits, y, 0, batch, CLASSES.length, g);
  net.backward(g, batch);
}

describe('finite-difference gradient checks (float weights, BatchNorm in training mode)', () => {
  // eps is small for maxpool so no window changes its winner between the two evaluations
  const cases: [string, string, [number, number, number], number][] = [
    ['dense', 'dense:5 dense:4', [2, 3, 2], 1e-2],
    ['conv1d (stride 2), gap', 'conv1d:4x3/2 conv1d:4x2 gap', [1, 12, 3], 1e-2],
    ['conv2d, maxpool', 'conv2d:4x2 maxpool:2 conv2d:3x2 gap', [5, 5, 2], 1e-3],
  ];
  for (const [name, arch, shape, eps] of cases) {
    it(`${name}: weights, bias, BN gamma and beta`, () => {
      const spec = smoothSpec(arch, shape, 'fp32');
      const { net, x, y, loss } = setup(spec, 6, 3);
      analytic(net, x, y, 6);
      const params = net.params();
      expect(params.map((p) => p.name.split('.')[1])).toEqual(expect.arrayContaining(['weight', 'gamma', 'beta', 'bias']));
      expect(checkGradients(params, loss, { eps })).toBeGreaterThan(30);
    });
  }
});

describe('tiled binary layers', () => {
  it('alpha from W: the gradient of the latent W matches finite differences', () => {
    const spec = smoothSpec('conv1d:4x3 gap', [1, 10, 2], 'tbn', [2, 3]);
    const { net, x, y, loss } = setup(spec, 6, 5);
    analytic(net, x, y, 6);
    const ws = net.params().filter((p) => p.name.endsWith('.weight'));
    expect(ws.length).toBe(2);
    // eps small enough that no W changes sign (alpha = mean |W| is smooth there)
    expect(checkGradients(ws, loss, { eps: 1e-3 })).toBeGreaterThan(10);
  });

  it('single alpha: the gradient of W matches finite differences', () => {
    const spec = { ...smoothSpec('dense:6', [1, 4, 2], 'tbn', [2, 3]), alpha: 'single' as const };
    const { net, x, y, loss } = setup(spec, 5, 7);
    analytic(net, x, y, 5);
    expect(checkGradients(net.params().filter((p) => p.name.endsWith('.weight')), loss, { eps: 1e-3 })).toBeGreaterThan(10);
  });

  for (const alpha of ['weight', 'scores'] as const) {
    it(`identity STE (alpha from ${alpha}): each S element gets alpha times the gradient of its own effective weight`, () => {
      const spec = { ...smoothSpec('conv1d:4x3 gap', [1, 10, 2], 'tbn', [2, 3]), alpha };
      const { net, x, y } = setup(spec, 6, 9);
      analytic(net, x, y, 6);
      // A float twin with the binary net's effective weights gives dL/dW_eff.
      const twinSpec: ModelSpec = { ...spec, variant: 'fp32', weights: 'float' };
      const twin = setup(twinSpec, 6, 9).net;
      twin.input = net.input;
      net.weightLayers.forEach((l, i) => {
        const t = twin.weightLayers[i]!;
        t.weight.value.set(expandTile(l.tile, l.alpha, l.p));
        for (const k of ['bias', 'gamma', 'beta'] as const) if (l[k]) t[k]!.value.set(l[k]!.value);
      });
      analytic(twin, x, y, 6);
      net.weightLayers.forEach((l, li) => {
        const gEff = twin.weightLayers[li]!.weight.grad;
        const q = l.n / l.p;
        const s = l.scores!;
        for (let j = 0; j < l.n; j++) {
          let expected = (l.alpha[Math.floor(j / q)] as number) * (gEff[j] as number);
          if (alpha === 'scores') {
            // plus the alpha path: d alpha_c * sign(S_j) / q
            const c = Math.floor(j / q);
            let dAlpha = 0;
            for (let k = c * q; k < (c + 1) * q; k++) dAlpha += (gEff[k] as number) * (l.tile[k % q] as number);
            expected += (dAlpha / q) * Math.sign(s.value[j] as number);
          }
          expect(s.grad[j]).toBeCloseTo(expected, 5);
        }
      });
      if (alpha === 'scores') expect(net.params().find((p) => p.name.endsWith('.weight'))!.frozen).toBe(true);
    });
  }
});

describe('matrix kernels', () => {
  const wasm = loadWasmGemm();
  const rand = (rng: Rng, len: number): Float32Array => Float32Array.from({ length: len }, () => (rng.next() < 0.2 ? 0 : rng.normal()));
  for (const [m, n, k] of [[7, 9, 13], [37, 70, 50], [1, 8, 4]] as const) {
    it.skipIf(!wasm)(`the wasm SIMD build gives the same bits as the JS loops (${m}x${n}x${k}; skipped when build/train/gemm.wasm is missing)`, () => {
      const w = wasm!;
      const rng = new Rng(m * 1000 + n);
      const a = rand(rng, m * k), b = rand(rng, n * k), dy = rand(rng, m * n);
      const run = (f: (c: Float32Array) => void, len: number): Float32Array => {
        const c = new Float32Array(len).fill(NaN);
        f(c);
        return c;
      };
      const pairs: [Float32Array, Float32Array][] = [
        [run((c) => jsGemm.nt(a, b, c, m, n, k), m * n), run((c) => w.nt(a, b, c, m, n, k), m * n)],
        [run((c) => jsGemm.nn(dy, b, c, m, n, k), m * k), run((c) => w.nn(dy, b, c, m, n, k), m * k)],
        [run((c) => jsGemm.tn(dy, a, c, m, n, k), n * k), run((c) => w.tn(dy, a, c, m, n, k), n * k)],
      ];
      // naive float64 reference for nt
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let e = 0; e < k; e++) s += a[i * k + e]! * b[j * k + e]!;
        expect(pairs[0]![0][i * n + j]).toBeCloseTo(s, 4);
      }
      for (const [js, ws] of pairs) expect(Array.from(ws)).toEqual(Array.from(js));
    });
  }

  it.skipIf(!wasm)('the input quantisation gives the same bits in wasm and JS: halves, clamps, NaN, signed zero, 1..7 channels (skipped without the wasm build)', () => {
    const w = wasm!;
    const rng = new Rng(11);
    for (const channels of [1, 2, 3, 6, 7]) {
      // powers of two and dyadic means, so the "halves" below are exact ties of the rounding
      const scale = 1 / 32;
      const mean = Float32Array.from({ length: channels }, (_, c) => (c - 2) * 0.375);
      const std = Float32Array.from({ length: channels }, (_, c) => 2 ** ((c % 3) - 1));
      const n = channels * 9 + (channels % 3); // not a multiple of 4 for most
      const x = Float32Array.from({ length: n }, (_, i) => {
        const c = i % channels;
        const pick = i % 6;
        // exact halves of a step, far outside the int8 range, NaN, the mean itself, random
        if (pick === 0) return (mean[c] as number) + (Math.floor(rng.next() * 20) - 10 + 0.5) * scale * (std[c] as number);
        if (pick === 1) return (mean[c] as number) + (rng.next() < 0.5 ? -1 : 1) * 1000 * (std[c] as number);
        if (pick === 2) return i % 12 === 2 ? NaN : (mean[c] as number);
        return (mean[c] as number) + rng.normal() * 3 * (std[c] as number);
      });
      const q = { mean, std, scale };
      const js = new Float32Array(n).fill(7);
      const ws = new Float32Array(n).fill(7);
      jsGemm.quantizeInput(q, x, channels, js);
      w.quantizeInput(q, x, channels, ws);
      expect(new Uint8Array(ws.buffer)).toEqual(new Uint8Array(js.buffer));
      expect(js.some((v) => Math.abs(v) === Math.fround(127 * scale))).toBe(true); // the clamp was reached
    }
  });

  it.skipIf(!wasm)('max pooling (ties, -Infinity and NaN windows, overlapping windows) and global average pooling give the same bits in wasm and JS (skipped without the wasm build)', () => {
    const w = wasm!;
    const rng = new Rng(12);
    // [batch, inH, inW, C, outH, outW, kh, kw, sh, sw]: 1-d windows of 2, overlapping 3/2 windows in 2-d, 5 and 8 channels
    const geoms: [number, number, number, number, number, number, number, number, number, number][] = [
      [3, 1, 10, 5, 1, 5, 1, 2, 1, 2],
      [2, 5, 5, 8, 2, 2, 3, 3, 2, 2],
    ];
    for (const g of geoms) {
      const inSize = g[0] * g[1] * g[2] * g[3];
      const outSize = g[0] * g[4] * g[5] * g[3];
      const x = Float32Array.from({ length: inSize }, (_, i) => {
        const r = rng.next();
        if (i % 13 === 0) return -Infinity;
        if (i % 17 === 0) return NaN;
        return r < 0.4 ? (r < 0.2 ? 1 : -1) : rng.normal(); // many ties of +-1, as sign activations give
      });
      x.fill(-Infinity, 0, g[3] * 2); // 1-d: a whole window of -Infinity, no winner (index -1)
      const gradOut = Float32Array.from({ length: outSize }, () => rng.normal());
      const results = [jsGemm, w].map((k) => {
        const out = new Float32Array(outSize).fill(3);
        const arg = new Int32Array(outSize).fill(7);
        k.maxPoolForward(x, g, out, arg);
        const gradIn = new Float32Array(inSize).fill(5);
        k.maxPoolBackward(gradOut, arg, outSize, gradIn, inSize);
        const P = g[1] * g[2];
        const mean = new Float32Array(g[0] * g[3]);
        k.gapForward(x.map((v) => (Number.isFinite(v) ? v : 0.25)), g[0], P, g[3], mean);
        return { out: Array.from(out), arg: Array.from(arg), gradIn: Array.from(gradIn), mean: Array.from(mean) };
      });
      expect(results[1]).toEqual(results[0]);
      if (g[6] === 1) expect(results[0]!.arg).toContain(-1);
      expect(results[0]!.gradIn.some((v, i) => v !== 0 && results[0]!.arg.filter((a) => a === i).length > 1)).toBe(g[6] > g[8]); // overlapping windows add up
    }
  });

  it.skipIf(!wasm)('layer products give the same bits in wasm and JS whether the column matrix is read from the input in place (kh = 1, kw = inW) or built by im2col (skipped without the wasm build)', () => {
    const w = wasm!;
    const rng = new Rng(13);
    // [batch, inH, inW, inC, outH, outW, kh, kw, sh, sw]
    const geoms: [number, number, number, number, number, number, number, number, number, number][] = [
      [3, 1, 20, 6, 1, 8, 1, 5, 1, 2], // conv1d, stride 2: rows in place
      [2, 7, 4, 3, 3, 1, 3, 4, 2, 1], // conv2d with kw = inW: rows in place (kh runs adjacent)
      [2, 6, 6, 2, 4, 3, 3, 2, 1, 2], // conv2d: im2col
    ];
    for (const g of geoms) {
      const M = g[0] * g[4] * g[5], K = g[6] * g[7] * g[3], n = 7, inSize = g[0] * g[1] * g[2] * g[3];
      const x = rand(rng, inSize), rows = rand(rng, n * K), gz = rand(rng, M * n), alpha = new Float32Array([1]);
      const results = [jsGemm, w].map((k) => {
        const d = new Float32Array(M * n), G = new Float32Array(n * K), gx = new Float32Array(inSize);
        k.layerForward(x, rows, d, n, g);
        k.layerWeightGrad(gz, x, G, n, g);
        k.layerInputGrad(gz, n, alpha, n, n, rows, gx, g);
        return [d, G, gx].map((a) => Array.from(a));
      });
      expect(results[1]).toEqual(results[0]);
      expect(results[0]![0]!.some((v) => v !== 0)).toBe(true);
    }
  });

  it.skipIf(!wasm)('the fused BatchNorm/activation passes give the same bits in wasm and JS (skipped without the wasm build)', () => {
    const w = wasm!;
    const rng = new Rng(5);
    for (const [M, N, p, act] of [[33, 16, 4, 1], [10, 6, 3, 2], [9, 12, 1, 0]] as const) {
      const Nq = N / p;
      const d = rand(rng, M * Nq);
      const alpha = Float32Array.from({ length: p }, () => 0.5 + rng.next());
      const gamma = rand(rng, N), beta = rand(rng, N);
      const results = [jsGemm, w].map((k) => {
        const o = {
          d, dCols: Nq, alpha, aBlock: Nq, M, N, gamma, beta,
          runMean: new Float32Array(N).fill(0.25), runVar: new Float32Array(N).fill(2), invStd: new Float32Array(N),
          xhat: new Float32Array(M * N), pre: new Float32Array(M * N), out: new Float32Array(M * N),
          act, training: true, momentum: 0.1, eps: 1e-5,
        };
        k.bnForward(o);
        const gradOut = Float32Array.from({ length: M * N }, (_, i) => Math.sin(i * 1.7));
        const b = { go: gradOut, pre: o.pre, xhat: o.xhat, M, N, gamma, invStd: o.invStd, act, gGamma: new Float32Array(N), gBeta: new Float32Array(N), g: new Float32Array(M * N) };
        k.bnBackward(b);
        return [o.runMean, o.runVar, o.invStd, o.xhat, o.pre, o.out, b.gGamma, b.gBeta, b.g].map((a) => Array.from(a));
      });
      expect(results[1]).toEqual(results[0]);
    }
  });
});

describe('engines', () => {
  const wasm = loadWasmGemm();
  it.skipIf(!wasm)('training with the wasm engine (latents and Adam state in wasm memory) gives the same checkpoint bits as the plain-JS engine (skipped without the wasm build)', async () => {
    const { TrainRun, computeInputQuant } = await import('../../host/train/trainer.ts');
    const { checkpointFromRun } = await import('../../host/train/checkpoint.ts');
    const rng = new Rng(3);
    const shape: [number, number, number] = [1, 24, 3];
    const count = 40;
    const data = {
      name: 'random', shape, classes: ['a', 'b', 'c'], channels: ['x', 'y', 'z'], count,
      x: Float32Array.from({ length: count * 72 }, () => rng.normal()), y: Int32Array.from({ length: count }, (_, i) => i % 3),
    };
    const snapshots = [jsGemm, wasm!].map((g) => {
      const spec = buildModelSpec({ arch: 'conv1d:8x3 maxpool:2 conv1d:8x3 gap', variant: 'tbn', inputShape: shape, classes: data.classes, channels: data.channels, layerP: [1, 4, 2] }).spec;
      const run = new TrainRun(spec, { epochs: 2, batch: 16, lr: 3e-3, weightDecay: 1e-4, seed: 2 }, g);
      run.net.input = computeInputQuant(data);
      run.train(data);
      const c = checkpointFromRun(run);
      return { tensors: c.tensors, optimizer: c.optimizer, loss: run.history.map((h) => h.loss) };
    });
    expect(snapshots[1]).toEqual(snapshots[0]);
  });

  it.skipIf(!wasm)('a released workspace reused by the next network trains the same bits; evaluation in chunks equals one example at a time (skipped without the wasm build)', async () => {
    const { TrainRun, computeInputQuant } = await import('../../host/train/trainer.ts');
    const { checkpointFromRun } = await import('../../host/train/checkpoint.ts');
    const { EVAL_CHUNK } = await import('../../host/train/network.ts');
    const rng = new Rng(4);
    const shape: [number, number, number] = [1, 16, 2];
    const count = EVAL_CHUNK * 2 + 5;
    const data = {
      name: 'random', shape, classes: ['a', 'b'], channels: ['x', 'y'], count,
      x: Float32Array.from({ length: count * 32 }, () => rng.normal()), y: Int32Array.from({ length: count }, (_, i) => i % 2),
    };
    const spec = buildModelSpec({ arch: 'conv1d:8x3 maxpool:2 dense:8', variant: 'tbn', inputShape: shape, classes: data.classes, channels: data.channels, layerP: [1, 2, 1] }).spec;
    const train = () => {
      const run = new TrainRun(spec, { epochs: 1, batch: 16, lr: 3e-3, weightDecay: 1e-4, seed: 5 }, wasm!);
      run.net.input = computeInputQuant(data);
      run.train(data);
      const all = run.net.forward(data.x, count, false).slice();
      const one = Float32Array.from({ length: count * 2 }, (_, i) => run.net.forward(data.x.subarray(Math.floor(i / 2) * 32), 1, false)[i % 2]!);
      const c = checkpointFromRun(run);
      run.net.release();
      return [{ tensors: c.tensors, optimizer: c.optimizer, all: Array.from(all), one: Array.from(one) }, run.net.gemm] as const;
    };
    const [first, firstEngine] = train();
    const [second, secondEngine] = train();
    expect(secondEngine).toBe(firstEngine); // the second network got the workspace the first released
    expect(second).toEqual(first);
    expect(first.all).toEqual(first.one);
  });
});
