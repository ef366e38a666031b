import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FloatModel, WeightLayer } from '../../host/model/float-model.ts';
import { foldLogits, foldRequant, foldThreshold, packModel } from '../../host/format/pack.ts';
import { readModel } from '../../host/format/reader.ts';
import { TbnError } from '../../host/errors.ts';
import { runReference, type Activations } from '../../host/reference/infer.ts';
import { expandWeights } from '../../host/reference/naive.ts';
import { rng } from '../../host/format/random-model.ts';

const f64 = fc.double({ min: -4, max: 4, noNaN: true });

describe('threshold folding', () => {
  it('(acc >= T) XOR flip equals the float sign of BN(α·s·acc + bias) for every reachable acc, except exact ties', () => {
    fc.assert(
      fc.property(
        fc.record({
          alpha: fc.double({ min: 1e-3, max: 3, noNaN: true }),
          step: fc.double({ min: 1e-3, max: 2, noNaN: true }),
          bias: f64,
          gamma: fc.oneof(f64, fc.constant(0)),
          beta: f64,
          mean: f64,
          variance: fc.double({ min: 0, max: 5, noNaN: true }),
          K: fc.integer({ min: 1, max: 300 }),
          bound: fc.constantFrom(1, 128),
        }),
        (r) => {
          const eps = 1e-5;
          const sd = Math.sqrt(r.variance + eps);
          const g = r.gamma / sd;
          const R = r.K * r.bound;
          const { T, flip } = foldThreshold(g * r.alpha * r.step, g * (r.bias - r.mean) + r.beta, -R, R);
          const wrong: number[] = [];
          for (let acc = -R; acc <= R; acc++) {
            // The float model's order of operations (host/train/float-forward.ts): sign with 0 -> -1.
            const y = ((r.alpha * r.step * acc + r.bias - r.mean) / sd) * r.gamma + r.beta;
            const scale = Math.abs(r.alpha * r.step * acc) + Math.abs(r.bias) + Math.abs(r.mean) + Math.abs(r.beta) + 1;
            if (Math.abs(y) <= 1e-12 * scale * (1 + Math.abs(r.gamma / sd))) continue; // a tie
            if ((acc >= T) !== flip !== y > 0) wrong.push(acc);
          }
          expect(wrong).toEqual([]);
          expect(T).toBeGreaterThanOrEqual(-R);
          expect(T).toBeLessThanOrEqual(R + 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('handles a zero scale (constant output) and clamps thresholds outside the reachable range', () => {
    expect(foldThreshold(0, 1, -5, 5)).toEqual({ T: -5, flip: false }); // always +1
    expect(foldThreshold(0, -1, -5, 5)).toEqual({ T: -5, flip: true }); // always -1
    expect(foldThreshold(0, 0, -5, 5)).toEqual({ T: -5, flip: true }); // sign(0) = -1
    expect(foldThreshold(1, 100, -5, 5)).toEqual({ T: -5, flip: false }); // y > 0 everywhere
    expect(foldThreshold(1, -100, -5, 5)).toEqual({ T: 6, flip: false }); // y > 0 nowhere
    expect(foldThreshold(1e-300, 1, -5, 5)).toEqual({ T: -5, flip: false });
    // y = 2 acc - 3 > 0 iff acc >= 2; y = -2 acc + 3 > 0 iff acc <= 1, i.e. NOT(acc >= 2).
    expect(foldThreshold(2, -3, -5, 5)).toEqual({ T: 2, flip: false });
    expect(foldThreshold(-2, 3, -5, 5)).toEqual({ T: 2, flip: true });
    // Exact tie at acc = 3 (y = 0 -> -1): A > 0 needs acc >= 4; A < 0 gives +1 for acc <= 2.
    expect(foldThreshold(1, -3, -5, 5)).toEqual({ T: 4, flip: false });
    expect(foldThreshold(-1, 3, -5, 5)).toEqual({ T: 3, flip: true });
  });
});

describe('requantisation', () => {
  it('floor((acc*M + B) / 2^s) rounds a*acc + b to within 1 and never leaves int32', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -50, max: 50, noNaN: true }), fc.double({ min: -500, max: 500, noNaN: true })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 200_000 }),
        (ab, R) => {
          const a = ab.map((x) => x[0]);
          const b = ab.map((x) => x[1]);
          const { M, B, shift } = foldRequant(a, b, R, 'test');
          for (let o = 0; o < a.length; o++) {
            for (const acc of [-R, -1, 0, 1, Math.floor(R / 3), R]) {
              const exact = BigInt(acc) * BigInt(M[o] as number) + BigInt(B[o] as number);
              expect(exact <= 2n ** 31n - 1n && exact >= -(2n ** 31n)).toBe(true);
              const v = Number(exact >> BigInt(shift));
              const want = (a[o] as number) * acc + (b[o] as number);
              expect(Math.abs(v - want)).toBeLessThanOrEqual(0.5 + Math.abs(acc) * 2 ** -shift + 2 ** -shift + 1e-9);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('free-scale logits keep the order of the float logits and stay inside int32', () => {
    const { M, B, scale } = foldLogits([0.5, -0.25, 1e-3], [1, 0, -2], 1000);
    expect(scale).toBeGreaterThan(1000);
    for (const acc of [-1000, -7, 0, 13, 1000]) {
      const real = [0.5 * acc + 1, -0.25 * acc, 1e-3 * acc - 2];
      const ints = [0, 1, 2].map((o) => Number(BigInt(acc) * BigInt(M[o] as number) + BigInt(B[o] as number)));
      for (const v of ints) expect(Math.abs(v)).toBeLessThan(2 ** 31);
      expect(ints.indexOf(Math.max(...ints))).toBe(real.indexOf(Math.max(...real)));
    }
  });
});

/** A small random float model: dense (or conv1d) layers with sign or ReLU hidden activations and BN. */
function floatModel(seed: number, opts: { hidden: 'sign' | 'relu'; conv?: boolean; p: number[]; inC?: number }): FloatModel {
  const r = rng(seed);
  const sym = () => r() * 2 - 1;
  const inShape: [number, number, number] = opts.conv ? [1, 10, opts.inC ?? 3] : [1, 1, opts.inC ?? 12];
  const layers: WeightLayer[] = [];
  let shape = inShape;
  const widths = [8, 4];
  opts.p.forEach((p, i) => {
    const last = i === opts.p.length - 1;
    const N = last ? 3 : (widths[i] as number);
    const kind: WeightLayer['kind'] = opts.conv && !last ? 'conv1d' : 'dense';
    const kernel: [number, number] = kind === 'dense' ? [shape[0], shape[1]] : [1, 3];
    const outShape: [number, number, number] = kind === 'dense' ? [1, 1, N] : [1, shape[1] - 2, N];
    const n = N * kernel[0] * kernel[1] * shape[2];
    const l: WeightLayer = {
      kind, inShape: shape, outShape, kernel, stride: [1, 1], p,
      tile: Array.from({ length: n / p }, () => (r() < 0.5 ? -1 : 1)),
      alpha: N % p === 0 ? Array.from({ length: p }, () => 0.05 + r()) : [0.05 + r()],
      bias: Array.from({ length: N }, sym),
      activation: last ? 'none' : opts.hidden,
    };
    if (!last) {
      l.bn = {
        gamma: Array.from({ length: N }, () => sym() * 2),
        beta: Array.from({ length: N }, sym),
        mean: Array.from({ length: N }, sym),
        variance: Array.from({ length: N }, () => 0.1 + r()),
        eps: 1e-5,
      };
      if (opts.hidden === 'relu') l.outScale = 0.05;
    }
    layers.push(l);
    shape = outShape;
    if (kind === 'conv1d' && opts.p.length - 2 === i) {
      // Flattened conv output feeds the final dense directly.
    }
  });
  return {
    kind: 'tbn-float-model', version: 1,
    input: { shape: inShape, mean: Array.from({ length: inShape[2] }, sym), std: Array.from({ length: inShape[2] }, () => 0.5 + r()), scale: 0.05 },
    classes: ['a', 'b', 'c'], channels: Array.from({ length: inShape[2] }, (_, i) => `ch${i}`), layers,
  };
}

describe('packModel', () => {
  it('stores each tile so that the expanded weights equal the float model\'s tile repeated p times', () => {
    for (const [seed, p] of [[1, [4, 1]], [2, [2, 2]], [3, [3, 1]], [4, [1, 1]], [5, [6, 3]]] as const) {
      for (const conv of [false, true]) {
        const fm = floatModel(seed, { hidden: 'sign', p: [...p], conv });
        const m = readModel(packModel(fm));
        m.layers.forEach((l, i) => {
          const fl = fm.layers[i] as WeightLayer;
          const w = expandWeights(l);
          const q = fl.tile.length;
          for (let j = 0; j < w.length; j++) expect(w[j]).toBe(fl.tile[j % q]);
          const N = l.outShape[2];
          expect(l.rows).toBe(N % l.p === 0);
          expect(l.reuse).toBe(N % l.p === 0);
        });
      }
    }
  });

  it('hidden sign decisions equal the float computation on int8 inputs (α per tile copy, BN, bias folded)', () => {
    for (let seed = 10; seed < 40; seed++) {
      const fm = floatModel(seed, { hidden: 'sign', p: [seed % 2 ? 4 : 2, 1], conv: seed % 3 === 0 });
      const m = readModel(packModel(fm));
      const l0 = fm.layers[0] as WeightLayer;
      const r = rng(seed * 7);
      for (let k = 0; k < 20; k++) {
        const len = fm.input.shape[0] * fm.input.shape[1] * fm.input.shape[2];
        const q = Int8Array.from({ length: len }, () => Math.floor(r() * 256) - 128);
        let out: Activations | undefined;
        runReference(m, q, { trace: (i, a) => { if (i === 0) out = a; } });
        const [, outW, N] = l0.outShape;
        const K = l0.kernel[1] * l0.inShape[2];
        const n = N * K;
        const per = n / l0.alpha.length;
        for (let ox = 0; ox < outW; ox++) {
          for (let o = 0; o < N; o++) {
            let acc = 0;
            for (let e = 0; e < K; e++) acc += (l0.tile[(o * K + e) % l0.tile.length] as number) * (q[ox * l0.inShape[2] + e] as number) * fm.input.scale;
            const bn = l0.bn!;
            const z = (l0.alpha[Math.floor((o * K) / per)] as number) * acc + (l0.bias![o] as number);
            const y = ((z - (bn.mean[o] as number)) / Math.sqrt((bn.variance[o] as number) + bn.eps)) * (bn.gamma[o] as number) + (bn.beta[o] as number);
            if (Math.abs(y) < 1e-9) continue;
            const words = Math.ceil(N / 32);
            const bit = ((out!.data[ox * words + (o >>> 5)] as number) >>> (o & 31)) & 1;
            expect(bit === 0, `seed ${seed} channel ${o} y ${y}`).toBe(y > 0);
          }
        }
      }
    }
  });

  it('ReLU layers requantise to the outScale step and logits keep the float order', () => {
    let agree = 0;
    let total = 0;
    for (let seed = 50; seed < 70; seed++) {
      const fm = floatModel(seed, { hidden: 'relu', p: [2, 1] });
      const m = readModel(packModel(fm));
      expect(m.layers[0]?.outType).toBe('i8');
      const l0 = fm.layers[0] as WeightLayer;
      const l1 = fm.layers[1] as WeightLayer;
      const r = rng(seed);
      for (let k = 0; k < 20; k++) {
        const q = Int8Array.from({ length: 12 }, () => Math.floor(r() * 256) - 128);
        let hidden: Activations | undefined;
        const res = runReference(m, q, { trace: (i, a) => { if (i === 0) hidden = a; } });
        // Float hidden layer, then its int8 step: each packed value is within 1 step of round(relu(y)/outScale).
        const ys: number[] = [];
        for (let o = 0; o < 8; o++) {
          let acc = 0;
          for (let e = 0; e < 12; e++) acc += (l0.tile[(o * 12 + e) % l0.tile.length] as number) * (q[e] as number) * fm.input.scale;
          const bn = l0.bn!;
          const z = (l0.alpha[Math.floor(o / 4)] as number) * acc + (l0.bias![o] as number);
          const y = Math.max(0, ((z - (bn.mean[o] as number)) / Math.sqrt((bn.variance[o] as number) + bn.eps)) * (bn.gamma[o] as number) + (bn.beta[o] as number));
          const want = Math.min(127, Math.round(y / 0.05));
          expect(Math.abs((hidden!.data[o] as number) - want)).toBeLessThanOrEqual(1);
          ys.push((hidden!.data[o] as number) * 0.05);
        }
        // Float logits from the packed hidden values: the packed argmax matches unless the top two are within 1e-6.
        const logits = [0, 1, 2].map((c) => (l1.alpha[0] as number) * ys.reduce((a, y, e) => a + (l1.tile[c * 8 + e] as number) * y, 0) + (l1.bias![c] as number));
        const sorted = [...logits].sort((x, y) => y - x);
        if ((sorted[0] as number) - (sorted[1] as number) < 1e-3) continue;
        total++;
        if (res.cls === logits.indexOf(sorted[0] as number)) agree++;
      }
    }
    expect(total).toBeGreaterThan(200);
    expect(agree).toBe(total);
  });

  it('--no-reuse gives the same integers without the REUSE flag', () => {
    const fm = floatModel(3, { hidden: 'sign', p: [4, 1] });
    const a = readModel(packModel(fm));
    const b = readModel(packModel(fm, { reuse: false }));
    expect(a.layers[0]?.reuse).toBe(true);
    expect(b.layers[0]?.reuse).toBe(false);
    const x = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 3);
    expect(Array.from(runReference(a, x).logits)).toEqual(Array.from(runReference(b, x).logits));
  });

  it('re-declares a first dense layer\'s 1-channel image input so rows are not padded per pixel', () => {
    const r = rng(9);
    const N = 16;
    const fm: FloatModel = {
      kind: 'tbn-float-model', version: 1,
      input: { shape: [28, 28, 1], mean: [0.3], std: [0.35], scale: 0.02 },
      classes: ['a', 'b'], channels: ['pixel'],
      layers: [
        { kind: 'dense', inShape: [28, 28, 1], outShape: [1, 1, N], kernel: [28, 28], stride: [1, 1], p: 4, tile: Array.from({ length: (784 * N) / 4 }, () => (r() < 0.5 ? -1 : 1)), alpha: [1, 1, 1, 1], activation: 'sign' },
        { kind: 'dense', inShape: [1, 1, N], outShape: [1, 1, 2], kernel: [1, 1], stride: [1, 1], p: 1, tile: Array.from({ length: 2 * N }, () => (r() < 0.5 ? -1 : 1)), alpha: [0.5], activation: 'none' },
      ],
    };
    const m = readModel(packModel(fm));
    expect(m.inShape[0] * m.inShape[1] * m.inShape[2]).toBe(784);
    expect(m.inShape[2]).toBeGreaterThan(1);
    // 4 distinct rows of 784 bits: far below the 4 * 784 words a per-pixel padded row would take.
    expect(m.layers[0]!.tileWords * 32).toBeLessThan(1.2 * 4 * 784);
    const w = expandWeights(m.layers[0]!);
    const tile = (fm.layers[0] as WeightLayer).tile;
    let wrong = 0;
    for (let j = 0; j < w.length; j++) if (w[j] !== tile[j % tile.length]) wrong++;
    expect(wrong).toBe(0);
  });

  it('refuses what it cannot pack, with a clear message', () => {
    const base = floatModel(1, { hidden: 'sign', p: [4, 1] });
    const clone = () => JSON.parse(JSON.stringify(base)) as FloatModel;
    let fm = clone();
    (fm.layers[0] as WeightLayer).floatWeights = new Array(96).fill(0.1);
    expect(() => packModel(fm)).toThrow(/float weights: an FP32 baseline model cannot be packed/);
    fm = clone();
    (fm.layers[0] as WeightLayer).activation = 'relu';
    expect(() => packModel(fm)).toThrow(/ReLU layer without a positive outScale/);
    fm = clone();
    (fm.layers[0] as WeightLayer).activation = 'none';
    expect(() => packModel(fm)).toThrow(/hidden layer without activation/);
    fm = clone();
    (fm.layers[1] as WeightLayer).activation = 'sign';
    expect(() => packModel(fm)).toThrow(/last layer has a sign activation/);
    fm = clone();
    (fm.layers[0] as WeightLayer).bn!.gamma[2] = NaN;
    expect(() => packModel(fm)).toThrow(/non-finite/);
    // p = 3 does not divide N = 8 (STREAM): per-copy α differing inside a channel cannot be folded.
    const s = floatModel(2, { hidden: 'sign', p: [3, 1] });
    (s.layers[0] as WeightLayer).alpha = [0.5, 0.6, 0.7];
    expect(() => packModel(s)).toThrow(/spans tile copies .* different α/);
    (s.layers[0] as WeightLayer).alpha = [0.7];
    expect(readModel(packModel(s)).layers[0]?.rows).toBe(false);
    for (const e of [() => packModel({ ...base, kind: 'x' } as unknown as FloatModel)]) {
      try {
        e();
        throw new Error('accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(TbnError);
      }
    }
  });
});

describe('input re-declaration', () => {
  it('keeps sensor windows (h = 1) and --keep-input-shape models as they are', () => {
    const r = rng(4);
    const dense = (inShape: [number, number, number]): FloatModel => ({
      kind: 'tbn-float-model', version: 1,
      input: { shape: inShape, mean: new Array(inShape[2]).fill(0), std: new Array(inShape[2]).fill(1), scale: 0.05 },
      classes: ['a', 'b'], channels: new Array(inShape[2]).fill('c'),
      layers: [{ kind: 'dense', inShape, outShape: [1, 1, 2], kernel: [inShape[0], inShape[1]], stride: [1, 1], p: 1, tile: Array.from({ length: 2 * inShape[0] * inShape[1] * inShape[2] }, () => (r() < 0.5 ? -1 : 1)), alpha: [1], activation: 'none' }],
    });
    expect(readModel(packModel(dense([1, 32, 6]))).inShape).toEqual([1, 32, 6]);
    expect(readModel(packModel(dense([8, 8, 1]), { reshapeInput: false })).inShape).toEqual([8, 8, 1]);
    expect(readModel(packModel(dense([8, 8, 1]))).inShape).not.toEqual([8, 8, 1]);
  });
});
