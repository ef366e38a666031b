/**
 * Tile reuse while training: a tiled layer whose p copies are whole blocks of N/p output channels multiplies
 * only N/p rows (forward and input gradient). These tests compare it with the unreused path (all N rows) and
 * with a float layer holding the expanded effective weight, exactly on data where every float32 operation is
 * exact, closely on random data, and by finite differences.
 */
import { describe, expect, it } from 'vitest';
import { buildModelSpec, type ModelSpec, type WeightLayerSpec } from '../../host/train/arch.ts';
import { defaultGemm, jsGemm, loadWasmGemm, type Gemm } from '../../host/train/kernels.ts';
import { Network, softmaxCrossEntropy } from '../../host/train/network.ts';
import { Rng } from '../../host/train/rng.ts';
import { expandTile } from '../../host/train/tile.ts';
import { checkGradients } from './finite-differences.ts';

const CLASSES = ['a', 'b', 'c'];

interface Case {
  name: string;
  arch: string;
  input: [number, number, number];
  layerP: number[];
}

// The tiled layer is the second weight layer, so its input gradient is computed and checked too.
const CASES: Case[] = [
  { name: 'dense, p = 4 divides N = 8', arch: 'dense:6 dense:8', input: [1, 1, 5], layerP: [1, 4, 1] },
  { name: 'conv1d, p = 4 divides N = 8', arch: 'conv1d:4x3 conv1d:8x3', input: [1, 12, 3], layerP: [1, 4, 1] },
  { name: 'conv2d, p = 2 divides N = 6', arch: 'conv2d:3x2 conv2d:6x2', input: [5, 5, 2], layerP: [1, 2, 1] },
  { name: 'conv1d, p = 8 = N (one row)', arch: 'conv1d:4x3 conv1d:8x3', input: [1, 12, 3], layerP: [1, 8, 1] },
  { name: 'dense, p = 4 does not divide N = 6', arch: 'dense:4 dense:6', input: [1, 1, 5], layerP: [1, 4, 1] },
  { name: 'conv1d, p = 4 does not divide N = 6', arch: 'conv1d:4x3 conv1d:6x2', input: [1, 12, 3], layerP: [1, 4, 1] },
];

function specOf(c: Case, opts: { bn: boolean; act: 'none' | 'sign' }): ModelSpec {
  const { spec } = buildModelSpec({ arch: c.arch, variant: 'tbn', inputShape: c.input, classes: CLASSES, channels: ['x', 'y', 'z'].slice(0, c.input[2]), layerP: c.layerP });
  for (const l of spec.layers) {
    if (!('activation' in l)) continue;
    const w = l as WeightLayerSpec;
    if (w.activation !== 'none') w.activation = opts.act;
    if (!opts.bn) w.bn = false;
  }
  return spec;
}

/** A network with dyadic latents W (so alpha = mean |W| is a power of two) and input step 1/128. */
function exactNet(spec: ModelSpec, reuse: boolean, gemm: Gemm): Network {
  const net = new Network(spec, 3, gemm);
  net.input = { mean: new Float32Array(spec.inputShape[2]), std: new Float32Array(spec.inputShape[2]).fill(1), scale: 1 / 128 };
  for (const l of net.weightLayers) {
    l.reuse = reuse;
    const per = l.n / l.p;
    for (let j = 0; j < l.n; j++) {
      const copy = Math.floor(j / per);
      l.weight.value[j] = ((l.weight.value[j] as number) > 0 ? 1 : -1) * 2 ** -(1 + (copy % 3));
    }
  }
  return net;
}

function dyadic(rng: Rng, len: number, denom: number): Float32Array {
  return Float32Array.from({ length: len }, () => (Math.floor(rng.next() * 17) - 8) / denom);
}

interface Snapshot {
  logits: number[];
  gradIn: number[];
  grads: Record<string, number[]>;
}

function step(net: Network, x: Float32Array, gLogits: Float32Array, batch: number): Snapshot {
  net.zeroGrads();
  net.invalidateWeights();
  const logits = Array.from(net.forward(x, batch, true));
  net.backward(gLogits, batch);
  const tiled = net.weightLayers[1]!;
  const inSize = batch * tiled.spec.inShape.reduce((a, b) => a * b, 1);
  const grads: Record<string, number[]> = {};
  for (const p of net.params()) grads[p.name] = Array.from(p.grad);
  return { logits, gradIn: Array.from(tiled.gradIn.subarray(0, inSize)), grads };
}

/** The wasm SIMD engine, or undefined without its build (defaultGemm() would silently be the JS one). */
const WASM = loadWasmGemm();

describe('tile reuse in training', () => {
  for (const c of CASES) {
    for (const [name, engine] of [['js', jsGemm], ['wasm-simd', WASM]] as const) {
      it.skipIf(!engine)(`${c.name} (${name}${engine ? '' : '; skipped: build/train/gemm.wasm is missing'}): reuse, the unreused path and the expanded float weight agree bit for bit on exact data`, () => {
        const gemm = engine as Gemm;
        const spec = specOf(c, { bn: false, act: 'none' });
        const batch = 3;
        const rng = new Rng(11);
        const size = c.input[0] * c.input[1] * c.input[2];
        const x = dyadic(rng, batch * size, 8);
        const gLogits = dyadic(rng, batch * CLASSES.length, 16);
        const reused = exactNet(spec, true, gemm);
        const unreused = exactNet(spec, false, gemm);
        const a = step(reused, x, gLogits, batch);
        const b = step(unreused, x, gLogits, batch);
        expect(a).toEqual(b);
        // the plain float layer with the expanded effective weight alpha * tile
        const twinSpec: ModelSpec = { ...spec, variant: 'fp32', weights: 'float' };
        const twin = new Network(twinSpec, 3, gemm);
        twin.input = reused.input;
        reused.weightLayers.forEach((l, i) => {
          l.refreshWeights();
          twin.weightLayers[i]!.weight.value.set(expandTile(l.tile, l.alpha, l.p));
        });
        const t = step(twin, x, gLogits, batch);
        expect(t.logits).toEqual(a.logits);
        expect(t.gradIn).toEqual(a.gradIn);
        // the twin's weight gradient is dL/dW_eff; the binary layer passes alpha times it to S (identity STE)
        reused.weightLayers.forEach((l, i) => {
          const gEff = t.grads[`${twin.weightLayers[i]!.spec.name}.weight`]!;
          const q = l.n / l.p;
          const gS = a.grads[`${l.spec.name}.scores`]!;
          for (let j = 0; j < l.n; j++) expect(gS[j]).toBe(Math.fround((l.alpha[Math.floor(j / q)] as number) * (gEff[j] as number)));
        });
        // the test means something: the values are not all zero
        expect(a.gradIn.some((v) => v !== 0)).toBe(true);
        expect(a.logits.some((v) => v !== 0)).toBe(true);
      });
    }

    it(`${c.name}: with BatchNorm and sign activations on random data, reuse matches the unreused path to float32 rounding`, () => {
      const spec = specOf(c, { bn: true, act: 'sign' });
      const batch = 5;
      const rng = new Rng(21);
      const size = c.input[0] * c.input[1] * c.input[2];
      const x = Float32Array.from({ length: batch * size }, () => rng.normal());
      const gLogits = Float32Array.from({ length: batch * CLASSES.length }, () => rng.normal());
      const nets = [true, false].map((reuse) => {
        const n = new Network(spec, 4, defaultGemm());
        for (const l of n.weightLayers) l.reuse = reuse;
        return n;
      });
      const [a, b] = nets.map((n) => step(n, x, gLogits, batch)) as [Snapshot, Snapshot];
      // one scale per snapshot part: the alpha gradient of a layer followed by BatchNorm is zero up to rounding
      // (BN is scale invariant), so it is compared against the size of the other gradients
      const gradScale = Math.max(...Object.values(b.grads).flatMap((g) => g.map(Math.abs)));
      const close = (u: number[], v: number[], what: string): void => {
        const scale = what === 'logits' || what === 'gradIn' ? Math.max(1e-6, ...v.map(Math.abs)) : gradScale;
        for (let i = 0; i < u.length; i++) expect(Math.abs((u[i] as number) - (v[i] as number)), `${what}[${i}] of ${u.length}: ${u[i]} vs ${v[i]}`).toBeLessThanOrEqual(1e-5 * scale);
      };
      close(a.logits, b.logits, "logits");
      close(a.gradIn, b.gradIn, "gradIn");
      for (const k of Object.keys(b.grads)) close(a.grads[k]!, b.grads[k]!, k);
    });

    it(`${c.name}: the gradients of W (through alpha), BN and the input match finite differences`, () => {
      const spec = specOf(c, { bn: true, act: 'none' });
      const batch = 8;
      const net = new Network(spec, 6, jsGemm);
      const rng = new Rng(31);
      const size = c.input[0] * c.input[1] * c.input[2];
      // a fine input step that clips nothing keeps the loss smooth and well conditioned
      net.input = { mean: new Float32Array(c.input[2]), std: new Float32Array(c.input[2]).fill(1), scale: 4 / 127 };
      const x = Float32Array.from({ length: batch * size }, () => rng.normal());
      const y = Int32Array.from({ length: batch }, (_, i) => i % CLASSES.length);
      const gl = new Float32Array(batch * CLASSES.length);
      const loss = (): number => {
        net.invalidateWeights();
        return softmaxCrossEntropy(net.forward(x, batch, true), y, 0, batch, CLASSES.length, gl).loss;
      };
      net.zeroGrads();
      loss();
      net.backward(gl, batch);
      const eps = 1e-2;
      const checked = checkGradients(
        net.params().filter((q) => !q.name.endsWith('.scores')),
        loss,
        // alpha = mean |W| has a kink at 0: a central difference across it measures nothing
        { samples: 8, eps, skip: (p, value) => p.name.endsWith('.weight') && Math.abs(value) < 2 * eps },
      );
      expect(checked).toBeGreaterThan(20);
      expect(net.weightLayers[1]!.p).toBe(c.layerP[1]);
    });
  }
});
