/**
 * The int8 first layer of sensor models (conv1d, 1..16 channels, kernel
 * 1..9, stride 1 mostly): the kernel's paired subset-sum tables (in_c <= 6,
 * stride 1; BIN output through the lane compares, fused with the rows when
 * every channel has its own row, other outputs unpacked),
 * the 7-8 channel ring and the general tables, bit for bit against the
 * TypeScript integer reference, native (ASan + UBSan) and wasm, reuse on and
 * off.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomInput, randomPackedModel } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import type { PackedModel } from '../../host/format/model.ts';
import { artifact, type BatchCase, referenceResults, runNativeBatch, runWasm } from './harness.ts';

const MODELS = 320;

interface Case {
  seed: number;
  bytes: Uint8Array;
  model: PackedModel;
  inputs: (Float32Array | Int8Array)[];
  expected: { cls: number; logits: number[] }[];
}

const cases: Case[] = [];

beforeAll(() => {
  artifact('tbn_cli_asan');
  artifact('tbn.wasm');
  for (let seed = 1; seed <= MODELS; seed++) {
    const bytes = randomPackedModel(70000 + seed, { i8Conv1dFirst: true, maxHidden: 2 });
    const model = readModel(bytes);
    const inputs = [randomInput(seed, model, 'i8'), randomInput(seed + 1000, model, 'i8'), randomInput(seed + 2000, model, 'f32')];
    const expected = referenceResults(model, inputs);
    cases.push({ seed, bytes, model, inputs, expected });
  }
});

describe('int8 conv1d first layers: C kernel = TypeScript reference', () => {
  it('covers 1..16 channels, kernels 1..9, strides > 1 and the paired-table paths', () => {
    const seen = new Set<string>();
    for (const c of cases) {
      const l = c.model.layers[0]!;
      expect(l.kind).toBe('conv1d');
      expect(l.inType).toBe('i8');
      seen.add(`c${l.inShape[2]}`);
      seen.add(`k${l.kernel[1]}`);
      if (l.stride[1] > 1) seen.add('stride>1');
      const pairs = l.rows && l.inShape[2] <= 6 && l.stride[1] === 1;
      if (pairs && l.outType === 'bin' && l.outShape[2] <= 64) seen.add('pairs-bin');
      if (pairs && l.outType === 'bin' && l.p === 1 && l.outShape[2] % 16 === 0 && l.outShape[2] <= 64) {
        seen.add('pairs-fused');
        if (l.outShape[1] % 2 === 1) seen.add('pairs-fused-odd-width');
        if (l.outShape[2] % 32 === 16) seen.add('pairs-fused-half-word');
      }
      if (pairs && l.outType === 'bin' && l.reuse && l.p > 1) seen.add('pairs-bin-reuse');
      if (pairs && l.outType !== 'bin') seen.add('pairs-unpacked');
      if (pairs && l.outShape[1] % 2 === 1) seen.add('pairs-odd-width');
      if (l.t16) seen.add('t16');
    }
    for (let ch = 1; ch <= 16; ch++) expect(seen, `channels ${ch}`).toContain(`c${ch}`);
    for (let k = 1; k <= 9; k++) expect(seen, `kernel ${k}`).toContain(`k${k}`);
    for (const k of ['stride>1', 'pairs-bin', 'pairs-bin-reuse', 'pairs-fused', 'pairs-fused-odd-width', 'pairs-fused-half-word', 'pairs-unpacked', 'pairs-odd-width', 't16']) expect(seen, k).toContain(k);
  });

  for (const reuse of [true, false]) {
    it(`native (ASan + UBSan), reuse ${reuse ? 'on' : 'off'}`, () => {
      const batch: BatchCase[] = [];
      for (const c of cases) {
        batch.push({ model: c.bytes, inputs: c.inputs.slice(0, 2) });
        batch.push({ model: c.bytes, inputs: c.inputs.slice(2) });
      }
      const results = runNativeBatch(batch, { reuse });
      cases.forEach((c, k) => {
        const a = results[2 * k];
        const b = results[2 * k + 1];
        expect(a?.status, `seed ${c.seed}`).toBe(0);
        expect(b?.status, `seed ${c.seed}`).toBe(0);
        expect([...(a?.outputs ?? []), ...(b?.outputs ?? [])], `seed ${c.seed}`).toEqual(c.expected);
      });
    });

    it(`wasm, reuse ${reuse ? 'on' : 'off'}`, () => {
      for (const c of cases) expect(runWasm(c.bytes, c.inputs, { reuse }), `seed ${c.seed}`).toEqual(c.expected);
    });
  }
});
