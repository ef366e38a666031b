/**
 * int16 sensor counts straight into the kernel (tbn_format.h, INT16 INPUT): the C kernel, native
 * (ASan+UBSan) and wasm, equals the TypeScript reference bit for bit on random models, random counts
 * (the extremes included) and random triples (their bounds included); out-of-range triples and wrong
 * counts are refused with TBN_E_PARAMS everywhere; the reference's requantisation itself is checked
 * against an exact BigInt evaluation of the formula and, with derived triples, against the float path.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomInt16Input, randomInt16Params, randomPackedModel } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import { TBN } from '../../host/format/spec.ts';
import { KernelError, STATUS_NAMES, WasmKernel } from '../../host/native/wasm-kernel.ts';
import { runReferenceInt16 } from '../../host/reference/infer.ts';
import { checkInt16Params, int16InputParams, quantizeInt16, quantizeSample } from '../../host/reference/quantize.ts';
import { rng } from '../../host/format/random-model.ts';
import { TbnError } from '../../host/errors.ts';
import { artifact, badInt16Params, type BatchCase, runNativeBatch } from './harness.ts';

const MODELS = 200;
const ADD_MAX = TBN.TBN_I16_ADD_MAX;
const PARAMS_STATUS = STATUS_NAMES.indexOf('TBN_E_PARAMS');

/** The formula with unbounded integers: floor((c*mult + add) / 2^shift) clamped to int8. */
function exact(c: number, mult: number, add: number, shift: number): number {
  const v = BigInt(c) * BigInt(mult) + BigInt(add);
  // BigInt >> is floor division by 2^shift for negative values too
  const q = v >> BigInt(shift);
  return Number(q < -128n ? -128n : q > 127n ? 127n : q);
}

describe('reference requantisation of int16 counts', () => {
  it('equals the exact formula at the bounds of counts and triples', () => {
    const counts = [-32768, -32767, -1, 0, 1, 32766, 32767];
    const mults = [-32768, -32767, -1, 0, 1, 32767];
    const adds = [-ADD_MAX, -1, 0, 1, ADD_MAX];
    const shifts = [0, 1, 15, 30, 31];
    let checked = 0;
    for (const mult of mults) for (const add of adds) for (const shift of shifts) {
      const got = quantizeInt16(Int16Array.from(counts), Int32Array.from([mult, add, shift]), 1);
      counts.forEach((c, i) => expect(got[i], `c=${c} mult=${mult} add=${add} shift=${shift}`).toBe(exact(c, mult, add, shift)));
      checked += counts.length;
    }
    expect(checked).toBe(7 * 6 * 5 * 5);
  });

  it('refuses out-of-range triples and wrong counts with TBN_E_PARAMS', () => {
    const bad: Array<[string, Int32Array, number]> = [
      ...badInt16Params(Int32Array.of(1, 0, 0)).map(([what, p]): [string, Int32Array, number] => [what, p, 1]),
      ['one triple for two channels', Int32Array.of(1, 0, 0), 2],
    ];
    for (const [what, p, channels] of bad) {
      expect(() => checkInt16Params(p, channels), what).toThrow(TbnError);
      try {
        checkInt16Params(p, channels);
      } catch (e) {
        expect((e as TbnError).code, what).toBe('TBN_E_PARAMS');
      }
    }
  });

  it('derived triples reproduce the float path on count * unit to within one step, mostly exactly', () => {
    const r = rng(4242);
    let total = 0;
    let equal = 0;
    for (let k = 0; k < 200; k++) {
      // a sensor: 2^-15..2^-8 units per count; a model: mul, add as the packer writes them
      const unit = 2 ** -(8 + r() * 7);
      const mul = Math.fround(127 / (2 ** (r() * 6) * 32768 * unit));
      const add = Math.fround((r() - 0.5) * 60);
      const params = int16InputParams([mul], [add], [unit]);
      expect(params[2], 'shift').toBeGreaterThan(0);
      const counts = Int16Array.from({ length: 256 }, () => Math.floor(r() * 65536) - 32768);
      const q = quantizeInt16(counts, params, 1);
      counts.forEach((c, i) => {
        const f = quantizeSample(c * unit, mul, add);
        // the int path saturates at -128 where the float path stops at -127
        const d = Math.abs(Math.max(q[i] as number, -127) - f);
        expect(d, `c=${c} unit=${unit} mul=${mul} add=${add}`).toBeLessThanOrEqual(1);
        total++;
        if (d === 0) equal++;
      });
    }
    // mult has 15 significant bits and add about 23: a value differs only within ~2^-8 of a rounding tie
    // or by the f32 rounding of the float path, so ties are rare.
    expect(equal / total).toBeGreaterThan(0.99);
  });

  it('refuses a scale no triple can express', () => {
    expect(() => int16InputParams([1], [0], [40000])).toThrow(/cannot be expressed/);
    expect(() => int16InputParams([1], [NaN], [1])).toThrow(/not finite/);
  });
});

describe('C kernel on int16 counts = reference, bit for bit', () => {
  interface Case {
    bytes: Uint8Array;
    inputs: Int16Array[];
    params: Int32Array;
    expected: { cls: number; logits: number[] }[];
  }
  const cases: Case[] = [];

  beforeAll(() => {
    artifact('tbn_cli_asan');
    artifact('tbn.wasm');
    for (let seed = 1; seed <= MODELS; seed++) {
      const opts = seed % 4 === 0 ? { i8Conv1dFirst: true, maxHidden: 2 } : {};
      const bytes = randomPackedModel(50000 + seed, opts);
      const model = readModel(bytes);
      const params = randomInt16Params(seed, model.quantMul.length);
      const inputs = [randomInt16Input(seed, model), randomInt16Input(seed + 7777, model)];
      const expected = inputs.map((x) => {
        const r = runReferenceInt16(model, x, params);
        return { cls: r.cls, logits: Array.from(r.logits) };
      });
      cases.push({ bytes, inputs, params, expected });
    }
  });

  it('uses parameters at their bounds and counts at the extremes', () => {
    const all = cases.flatMap((c) => Array.from(c.params));
    for (const v of [-32768, 32767, ADD_MAX, -ADD_MAX, 31, 0]) expect(all, String(v)).toContain(v);
    const counts = cases.flatMap((c) => c.inputs.flatMap((x) => Array.from(x)));
    expect(counts).toContain(-32768);
    expect(counts).toContain(32767);
  });

  for (const reuse of [true, false]) {
    it(`native ASan build, reuse ${reuse}`, () => {
      const results = runNativeBatch(cases.map((c): BatchCase => ({ model: c.bytes, inputs: c.inputs, params: c.params })), { reuse });
      const bad: string[] = [];
      results.forEach((res, k) => {
        expect(res.status).toBe(0);
        res.outputs.forEach((o, w) => {
          const e = cases[k]!.expected[w]!;
          if (o.cls !== e.cls || o.logits.join() !== e.logits.join()) bad.push(`case ${k} window ${w}: ${o.cls} [${o.logits}] vs ${e.cls} [${e.logits}]`);
        });
      });
      expect(bad.slice(0, 5)).toEqual([]);
    });
  }

  it('wasm build', () => {
    const kernel = WasmKernel.load();
    const bad: string[] = [];
    cases.forEach((c, k) => {
      const m = kernel.open(c.bytes);
      try {
        c.inputs.forEach((x, w) => {
          const logits = new Int32Array(m.info.classes);
          const cls = m.runInt16(x, c.params, logits);
          const e = c.expected[w]!;
          if (cls !== e.cls || Array.from(logits).join() !== e.logits.join()) bad.push(`case ${k} window ${w}`);
        });
      } finally {
        m.close();
      }
    });
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('refuses bad triples and wrong counts with TBN_E_PARAMS (native, wasm, reference)', () => {
    const bytes = randomPackedModel(50004, { i8Conv1dFirst: true, maxHidden: 2 });
    const model = readModel(bytes);
    const q = model.quantMul.length;
    const good = randomInt16Params(3, q);
    const x = randomInt16Input(3, model);
    const variants: Array<[string, Int32Array]> = [...badInt16Params(good), ['none', new Int32Array(0)]];
    const native = runNativeBatch(variants.map(([, p]) => ({ model: bytes, inputs: [x], params: p, allowErrors: true })));
    const m = WasmKernel.load().open(bytes);
    try {
      variants.forEach(([what, p], k) => {
        expect(native[k]!.outputs[0]?.status, `native: ${what}`).toBe(PARAMS_STATUS);
        let status = 0;
        try {
          m.runInt16(x, p);
        } catch (e) {
          status = (e as KernelError).status;
        }
        expect(status, `wasm: ${what}`).toBe(PARAMS_STATUS);
        expect(() => runReferenceInt16(model, x, p), `reference: ${what}`).toThrow(/int16 input parameters/);
      });
      expect(WasmKernel.load().statusString(PARAMS_STATUS)).toMatch(/int16 input parameters/);
      // and the good triple runs
      expect(m.runInt16(x, good)).toBe(runReferenceInt16(model, x, good).cls);
    } finally {
      m.close();
    }
  });
});
