/**
 * Bit-exact agreement of the C kernel, native (ASan+UBSan) and wasm, with the
 * TypeScript integer reference on 520 random models (every layer kind, type,
 * layout, flag, tail width and p of host/format/random-model.ts), with reuse
 * on and off.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomInput, randomPackedModel } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import type { PackedModel } from '../../host/format/model.ts';
import { asBnn } from '../../host/native/repack.ts';
import { WasmKernel } from '../../host/native/wasm-kernel.ts';
import { writeModel } from '../../host/format/writer.ts';
import { artifact, type BatchCase, referenceResults, runNativeBatch, runWasm } from './harness.ts';

const MODELS = 520;

interface Case {
  seed: number;
  bytes: Uint8Array;
  model: PackedModel;
  f32: Float32Array[];
  i8: Int8Array[];
  expected: { cls: number; logits: number[] }[]; // f32 inputs first, then i8
}

const cases: Case[] = [];

beforeAll(() => {
  artifact('tbn_cli_asan');
  artifact('tbn.wasm');
  for (let seed = 1; seed <= MODELS; seed++) {
    const bytes = randomPackedModel(seed);
    const model = readModel(bytes);
    const f32 = [randomInput(seed, model, 'f32'), randomInput(seed + 100000, model, 'f32')] as Float32Array[];
    const i8 = [randomInput(seed + 200000, model, 'i8')] as Int8Array[];
    const expected = referenceResults(model, [...f32, ...i8]);
    cases.push({ seed, bytes, model, f32, i8, expected });
  }
});

describe('random models: C kernel = TypeScript reference, bit for bit', () => {
  it('covers the format: kinds, types, layouts, reuse, T16, tails', () => {
    const seen = new Set<string>();
    for (const c of cases) {
      for (const l of c.model.layers) {
        seen.add(`kind:${l.kind}`);
        if (l.p === 0) seen.add(`${l.kind}:${l.inType}`);
        seen.add(`in:${l.inType}`);
        seen.add(`out:${l.outType}`);
        if (l.p > 0) seen.add(l.rows ? (l.reuse ? 'rows+reuse' : 'rows') : 'stream');
        if (l.t16) seen.add('t16');
        if (l.inType === 'bin' && l.inShape[2] % 32 !== 0) seen.add('bin-tail');
        if (l.inType === 'bin' && l.inShape[2] > 32) seen.add('bin-multiword');
        if (l.p > 1) seen.add('p>1');
        // The int8 sliding-table path (in_h = 1, in_c <= 8, ROWS) and its stride > kernel skip.
        if (l.inType === 'i8' && l.p > 0 && l.rows && l.inShape[0] === 1 && l.inShape[2] <= 8) {
          seen.add(l.inShape[2] > 6 ? 'i8-ring-2groups' : 'i8-ring-single');
          if (l.stride[1] > l.kernel[1]) seen.add('i8-ring-skip');
        }
        if (l.inType === 'i8' && l.p > 0 && (l.inShape[0] > 1 || l.inShape[2] > 8)) seen.add('i8-general');
        if (l.inType === 'i8' && l.p > 0 && l.inShape[2] % 32 === 0 && l.inShape[2] <= 64) seen.add('i8-lut-whole-words');
        // wider than one table: chunks of 64 channels per position (wide-i8.test.ts covers the shapes in depth)
        if (l.inType === 'i8' && l.p > 0 && l.rows && l.inShape[2] > 64) seen.add('i8-lut-wide');
      }
    }
    for (const k of ['kind:dense', 'kind:conv1d', 'kind:conv2d', 'kind:maxpool', 'kind:gap', 'in:bin', 'in:i8', 'in:i32',
      'out:bin', 'out:i8', 'out:i32', 'rows', 'rows+reuse', 'stream', 't16', 'bin-tail', 'bin-multiword', 'p>1',
      'i8-ring-single', 'i8-ring-2groups', 'i8-ring-skip', 'i8-general', 'i8-lut-whole-words', 'i8-lut-wide',
      'maxpool:bin', 'maxpool:i8', 'maxpool:i32', 'gap:bin', 'gap:i8', 'gap:i32']) {
      expect(seen, k).toContain(k);
    }
  });

  for (const reuse of [true, false]) {
    it(`native, reuse ${reuse ? 'on' : 'off'}`, () => {
      const batch: BatchCase[] = [];
      for (const c of cases) {
        batch.push({ model: c.bytes, inputs: c.f32 });
        batch.push({ model: c.bytes, inputs: c.i8 });
      }
      const results = runNativeBatch(batch, { reuse });
      cases.forEach((c, k) => {
        const f = results[2 * k];
        const q = results[2 * k + 1];
        expect(f?.status, `seed ${c.seed}`).toBe(0);
        expect(q?.status, `seed ${c.seed}`).toBe(0);
        const got = [...(f?.outputs ?? []), ...(q?.outputs ?? [])];
        expect(got, `seed ${c.seed}`).toEqual(c.expected);
      });
    });

    it(`wasm, reuse ${reuse ? 'on' : 'off'}`, () => {
      for (const c of cases) expect(runWasm(c.bytes, [...c.f32, ...c.i8], { reuse }), `seed ${c.seed}`).toEqual(c.expected);
      expect(WasmKernel.load().heapBytesInUse).toBe(0);
    });
  }

  it('wasm info agrees with the reader (scratch, input length, labels, MACs)', () => {
    const kernel = WasmKernel.load();
    for (const c of cases.slice(0, 100)) {
      const m = kernel.open(c.bytes);
      expect(m.info.scratchBytes).toBe(c.model.scratchBytes);
      expect(m.info.activationBytes).toBe(c.model.activationBytes);
      expect(m.info.fileBytes).toBe(c.bytes.length);
      expect(m.info.inputLen).toBe(c.model.inShape[0] * c.model.inShape[1] * c.model.inShape[2]);
      expect(m.labels).toEqual(c.model.classes);
      let macs = 0;
      for (const l of c.model.layers) {
        if (l.p > 0) macs += l.outShape[0] * l.outShape[1] * l.outShape[2] * l.kernel[0] * l.kernel[1] * l.inShape[2];
      }
      expect(m.info.macs).toBe(macs);
      m.close();
    }
  });
});

describe('BNN repacking (host/native/repack.ts) keeps the integers', () => {
  it('every random model repacked as p = 1 gives the same logits on the kernel', () => {
    const kernel = WasmKernel.load();
    let tiled = 0;
    for (const c of cases.slice(0, 200)) {
      const bnn = writeModel(asBnn(c.model));
      const rm = readModel(bnn);
      expect(rm.layers.every((l) => l.p === 0 || l.p === 1)).toBe(true);
      if (c.model.layers.some((l) => l.p > 1)) tiled++;
      const m = kernel.open(bnn);
      [...c.f32, ...c.i8].forEach((x, k) => {
        const logits = new Int32Array(m.info.classes);
        const cls = m.run(x, logits);
        expect({ cls, logits: Array.from(logits) }, `seed ${c.seed}`).toEqual(c.expected[k]);
      });
      m.close();
    }
    expect(tiled).toBeGreaterThan(50);
  });
});
