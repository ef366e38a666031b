/**
 * Int8 weight layers wider than one subset-sum table (in_c > 64 channels per
 * position: the kernel builds the tables in word-aligned chunks of 64
 * channels) give the TypeScript reference's integers, bit for bit, native
 * (ASan + UBSan) and wasm, reuse on and off. Chunk tails of 1-4 channels (one
 * group), whole words and partial words, dense, conv1d and conv2d windows,
 * ROWS with and without REUSE, more distinct rows than the accumulator
 * chunk, and STREAM.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { weightGeometry, wordsPerPosition } from '../../host/format/layout.ts';
import type { LayerContent, ModelContent, Shape } from '../../host/format/model.ts';
import { randomInput, rng } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import type { TypeName } from '../../host/format/spec.ts';
import { writeModel } from '../../host/format/writer.ts';
import { WasmKernel } from '../../host/native/wasm-kernel.ts';
import { artifact, type BatchCase, referenceResults, runNativeBatch, runWasm } from './harness.ts';

interface Spec {
  kind: 'dense' | 'conv1d' | 'conv2d';
  inShape: Shape;
  kernel: [number, number];
  stride: [number, number];
  outC: number;
  p: number;
  reuse: boolean;
  outType: TypeName; // of the wide layer; a final dense i32 follows unless it is i32
}

function wideModel(seed: number, s: Spec): ModelContent {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const [h, w, c] = s.inShape;
  const outShape: Shape = [Math.floor((h - s.kernel[0]) / s.stride[0]) + 1, Math.floor((w - s.kernel[1]) / s.stride[1]) + 1, s.outC];
  const tileFor = (inC: number, outC: number, kernel: [number, number], p: number): Uint32Array => {
    const g = weightGeometry(inC, outC, kernel, p);
    const tile = Uint32Array.from({ length: g.tileWords }, () => Math.floor(r() * 2 ** 32) >>> 0);
    if (g.rows) {
      const cw = wordsPerPosition(inC);
      if (inC % 32 !== 0) for (let j = cw - 1; j < tile.length; j += cw) tile[j] = ((tile[j] as number) & ((1 << inC % 32) - 1)) >>> 0;
    } else if (g.q % 32 !== 0) {
      tile[tile.length - 1] = ((tile[tile.length - 1] as number) & ((1 << g.q % 32) - 1)) >>> 0;
    }
    return tile;
  };
  const K = s.kernel[0] * s.kernel[1] * c;
  const spread = Math.round(128 * Math.sqrt(K));
  const none = { flips: new Uint32Array(0), biases: new Int32Array(0) };
  const wide: LayerContent = {
    ...none, kind: s.kind, inType: 'i8', outType: s.outType, inShape: s.inShape, outShape, kernel: s.kernel, stride: s.stride,
    p: s.p, reuse: s.reuse, t16: false, shift: 0, tile: tileFor(c, s.outC, s.kernel, s.p), thresholds: new Int32Array(s.outC),
  };
  if (s.outType === 'bin') {
    wide.thresholds = Int32Array.from({ length: s.outC }, () => int(-spread, spread));
    wide.flips = Uint32Array.from({ length: wordsPerPosition(s.outC) }, () => Math.floor(r() * 2 ** 32) >>> 0);
    if (s.outC % 32 !== 0) {
      const last = wide.flips.length - 1;
      wide.flips[last] = ((wide.flips[last] as number) & ((1 << s.outC % 32) - 1)) >>> 0;
    }
    wide.t16 = wide.thresholds.every((t) => t >= -32768 && t <= 32767);
  } else {
    wide.shift = s.outType === 'i8' ? 10 : int(0, 4);
    const mag = s.outType === 'i8' ? Math.max(1, Math.round((1024 * 64) / spread)) : 3;
    wide.thresholds = Int32Array.from({ length: s.outC }, () => int(-mag, mag));
    wide.biases = Int32Array.from({ length: s.outC }, () => int(-(2 ** 16), 2 ** 16));
  }
  const layers = [wide];
  let classes = s.outC;
  if (s.outType !== 'i32') {
    classes = int(2, 10);
    const inC = s.outC;
    const kernel: [number, number] = [outShape[0], outShape[1]];
    layers.push({
      ...none, kind: 'dense', inType: s.outType, outType: 'i32', inShape: outShape, outShape: [1, 1, classes], kernel, stride: [1, 1],
      p: 1, reuse: false, t16: false, shift: 0, tile: tileFor(inC, classes, kernel, 1),
      thresholds: Int32Array.from({ length: classes }, () => int(1, 3)), biases: Int32Array.from({ length: classes }, () => int(-100, 100)),
    });
  }
  return {
    inShape: s.inShape,
    quantMul: Float32Array.from({ length: c }, () => Math.fround(0.5 + r() * 50)),
    quantAdd: Float32Array.from({ length: c }, () => Math.fround((r() - 0.5) * 40)),
    classes: Array.from({ length: classes }, (_, k) => `c${k}`),
    layers,
  };
}

const dense = (inC: number, outC: number, p: number, reuse: boolean, outType: TypeName): Spec => ({
  kind: 'dense', inShape: [1, 1, inC], kernel: [1, 1], stride: [1, 1], outC, p, reuse, outType,
});

const SPECS: Spec[] = [
  dense(784, 256, 4, true, 'bin'), // the Fashion-MNIST first layer's shape
  dense(784, 256, 4, false, 'bin'),
  dense(65, 64, 4, true, 'bin'), // 1-channel tail chunk
  dense(66, 40, 2, true, 'i8'),
  dense(68, 12, 3, false, 'i32'), // 4-channel tail chunk (one whole group)
  dense(69, 30, 5, true, 'bin'),
  dense(96, 64, 1, true, 'i8'), // tail of 32 channels (whole word)
  dense(100, 96, 2, true, 'bin'), // tail of 36 channels (partial second word)
  dense(128, 200, 1, true, 'bin'), // 200 distinct rows: more than one accumulator chunk
  dense(128, 200, 1, false, 'i8'),
  dense(130, 10, 1, false, 'i32'),
  dense(200, 48, 8, true, 'bin'),
  dense(90, 35, 6, false, 'bin'), // STREAM (6 does not divide 35)
  dense(300, 33, 9, false, 'i32'), // STREAM
  { kind: 'dense', inShape: [2, 2, 70], kernel: [2, 2], stride: [1, 1], outC: 32, p: 4, reuse: true, outType: 'bin' },
  { kind: 'conv1d', inShape: [1, 6, 72], kernel: [1, 3], stride: [1, 1], outC: 48, p: 4, reuse: true, outType: 'bin' },
  { kind: 'conv1d', inShape: [1, 7, 97], kernel: [1, 2], stride: [1, 2], outC: 20, p: 2, reuse: false, outType: 'i8' },
  { kind: 'conv2d', inShape: [3, 3, 70], kernel: [2, 2], stride: [1, 1], outC: 64, p: 8, reuse: true, outType: 'bin' },
  { kind: 'conv2d', inShape: [4, 3, 129], kernel: [2, 2], stride: [2, 1], outC: 24, p: 3, reuse: true, outType: 'i8' },
  { kind: 'conv2d', inShape: [3, 3, 80], kernel: [3, 3], stride: [1, 1], outC: 16, p: 1, reuse: false, outType: 'i32' },
];

interface Case {
  name: string;
  bytes: Uint8Array;
  inputs: (Float32Array | Int8Array)[];
  expected: { cls: number; logits: number[] }[];
}

const cases: Case[] = [];

beforeAll(() => {
  artifact('tbn_cli_asan');
  artifact('tbn.wasm');
  SPECS.forEach((s, k) => {
    const bytes = writeModel(wideModel(7000 + k, s));
    const model = readModel(bytes);
    const inputs = [
      randomInput(8000 + k, model, 'i8'), randomInput(9000 + k, model, 'i8'), randomInput(10000 + k, model, 'f32'),
    ];
    const expected = referenceResults(model, inputs);
    cases.push({ name: `${s.kind} ${s.inShape.join('x')} -> ${s.outC} p=${s.p} ${s.reuse ? 'reuse' : 'no reuse'} ${s.outType}`, bytes, inputs, expected });
  });
});

describe('int8 layers wider than 64 channels: C kernel = TypeScript reference, bit for bit', () => {
  it('the models have wide int8 weight layers and distinct logits', () => {
    for (const c of cases) {
      const m = readModel(c.bytes);
      expect(m.layers[0]?.inType, c.name).toBe('i8');
      expect(m.layers[0]?.inShape[2], c.name).toBeGreaterThan(64);
      // the inputs must not all give the same logits (a kernel ignoring the input would pass otherwise)
      expect(new Set(c.expected.map((e) => e.logits.join(','))).size, c.name).toBe(c.inputs.length);
    }
  });

  for (const reuse of [true, false]) {
    it(`native, reuse ${reuse ? 'on' : 'off'}`, () => {
      const batch: BatchCase[] = [];
      for (const c of cases) {
        batch.push({ model: c.bytes, inputs: c.inputs.filter((x) => x instanceof Float32Array) });
        batch.push({ model: c.bytes, inputs: c.inputs.filter((x) => x instanceof Int8Array) });
      }
      const results = runNativeBatch(batch, { reuse });
      cases.forEach((c, k) => {
        const f = results[2 * k];
        const q = results[2 * k + 1];
        expect(f?.status, c.name).toBe(0);
        expect(q?.status, c.name).toBe(0);
        const got = [...(q?.outputs ?? []), ...(f?.outputs ?? [])];
        expect(got, c.name).toEqual(c.expected);
      });
    });

    it(`wasm, reuse ${reuse ? 'on' : 'off'}`, () => {
      for (const c of cases) expect(runWasm(c.bytes, c.inputs, { reuse }), c.name).toEqual(c.expected);
      expect(WasmKernel.load().heapBytesInUse).toBe(0);
    });
  }
});
