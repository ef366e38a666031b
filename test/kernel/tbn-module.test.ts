/** The simulator's `tbn` module (host/native/tbn-module.ts) against device/TBN_MODULE.md. */
import { describe, expect, it } from 'vitest';
import { randomInput, randomPackedModel } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import { createTbnModule } from '../../host/native/tbn-module.ts';
import { WasmKernel } from '../../host/native/wasm-kernel.ts';
import { runReference } from '../../host/reference/infer.ts';

const bytes = randomPackedModel(11);
const model = readModel(bytes);
const input = randomInput(3, model, 'f32') as Float32Array;
const expected = runReference(model, input);

describe('tbn module (wasm kernel)', () => {
  const kernel = WasmKernel.loadFresh();
  const tbn = createTbnModule(kernel);

  it('opens every byte container the API lists and runs bit-exactly', () => {
    const str = String.fromCharCode(...bytes);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const sources: unknown[] = [
      bytes,
      str,
      bytes.slice().buffer,
      new Uint8Array(shifted.buffer, 3, bytes.length), // unaligned view: copied, honours byteOffset
      new DataView(shifted.buffer, 3, bytes.length),
    ];
    for (const src of sources) {
      const h = tbn.open(src);
      const logits = new Int32Array(model.classes.length);
      expect(tbn.run(h, input, logits)).toBe(expected.cls);
      expect(Array.from(logits)).toEqual(Array.from(expected.logits));
      tbn.close(h);
    }
  });

  it('info has exactly the documented fields', () => {
    const h = tbn.open(bytes);
    expect(tbn.info(h)).toEqual({
      version: 1, fileBytes: bytes.length, layers: model.layers.length, classes: model.classes.length,
      inH: model.inShape[0], inW: model.inShape[1], inC: model.inShape[2],
      inputLen: model.inShape[0] * model.inShape[1] * model.inShape[2], scratchBytes: model.scratchBytes,
      labels: model.classes,
    });
    tbn.close(h);
  });

  it('runs int8 input, logits optional, and allocates nothing per call', () => {
    const h = tbn.open(bytes);
    const q = randomInput(5, model, 'i8') as Int8Array;
    const ref = runReference(model, q);
    const before = kernel.heapBytesInUse;
    for (let k = 0; k < 50; k++) expect(tbn.run(h, q)).toBe(ref.cls);
    expect(kernel.heapBytesInUse).toBe(before);
    const longer = new Int32Array(model.classes.length + 5).fill(77);
    tbn.run(h, q, longer);
    expect(Array.from(longer.subarray(0, model.classes.length))).toEqual(Array.from(ref.logits));
    expect(longer[model.classes.length]).toBe(77);
    tbn.close(h);
  });

  it('bad files throw Error("tbn: <status string>")', () => {
    const bad = bytes.slice();
    bad[bad.length - 1] ^= 1;
    expect(() => tbn.open(bad)).toThrowError(new Error('tbn: model CRC32 mismatch'));
    expect(() => tbn.open(bytes.slice(0, 10))).toThrowError(/^tbn: model truncated/);
    try {
      tbn.open(new Uint8Array(64));
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect(e).not.toBeInstanceOf(TypeError);
      expect((e as Error).message).toBe('tbn: not a .tbn model (bad magic)');
    }
  });

  it('wrong argument types and lengths throw TypeError("tbn: ...")', () => {
    const h = tbn.open(bytes);
    const n = input.length;
    expect(() => tbn.open(42)).toThrow(TypeError);
    expect(() => tbn.open('\u0100abc')).toThrow(TypeError);
    expect(() => tbn.run(h, new Float64Array(n))).toThrow(TypeError);
    expect(() => tbn.run(h, Array.from(input))).toThrow(TypeError);
    expect(() => tbn.run(h, new Float32Array(n + 1))).toThrowError(/^tbn: input has/);
    expect(() => tbn.run(h, new Int8Array(n - 1))).toThrow(TypeError);
    expect(() => tbn.run(h, input, new Int32Array(model.classes.length - 1))).toThrow(TypeError);
    expect(() => tbn.run(h, input, new Float32Array(model.classes.length))).toThrow(TypeError);
    for (const f of [() => tbn.open(42), () => tbn.run(h, new Float64Array(n))]) {
      try {
        f();
      } catch (e) {
        expect((e as Error).message).toMatch(/^tbn: /);
      }
    }
    tbn.close(h);
  });

  it('closed and foreign handles throw Error, and close frees the memory', () => {
    const before = kernel.heapBytesInUse;
    const h = tbn.open(bytes);
    expect(kernel.heapBytesInUse).toBeGreaterThan(before + model.scratchBytes);
    tbn.close(h);
    expect(kernel.heapBytesInUse).toBe(before);
    expect(() => tbn.run(h, input)).toThrowError(/^tbn: .*closed/);
    expect(() => tbn.info(h)).toThrow(Error);
    expect(() => tbn.close(h)).toThrow(Error);
    expect(() => tbn.run({}, input)).toThrowError(/^tbn: not a model handle/);
    expect(() => tbn.info(null)).toThrow(Error);
  });

  it('many models open at once stay independent', () => {
    const seeds = [21, 22, 23, 24, 25, 26];
    const handles = seeds.map((s) => tbn.open(randomPackedModel(s)));
    seeds.forEach((s, k) => {
      const m = readModel(randomPackedModel(s));
      const x = randomInput(s, m, 'f32') as Float32Array;
      expect(tbn.run(handles[k], x)).toBe(runReference(m, x).cls);
    });
    for (const h of handles) tbn.close(h);
    expect(kernel.heapBytesInUse).toBe(0);
  });
});

describe('tbn module with typed arrays from another realm (the device bundle runs in node:vm)', () => {
  it('accepts vm-realm Float32Array/Int8Array/Int32Array/ArrayBuffer and still rejects other types', async () => {
    const vm = await import('node:vm');
    const tbn = createTbnModule(WasmKernel.loadFresh());
    const ctx = vm.createContext({ tbn, bytes: Array.from(bytes), x: Array.from(input) });
    const out = vm.runInContext(`
      var b = new Uint8Array(bytes.length); for (var i = 0; i < bytes.length; i++) b[i] = bytes[i];
      var m = tbn.open(b.buffer);
      var xs = new Float32Array(x.length); for (var j = 0; j < x.length; j++) xs[j] = x[j];
      var logits = new Int32Array(tbn.info(m).classes);
      var cls = tbn.run(m, xs, logits);
      var typeError = false;
      try { tbn.run(m, new Float64Array(x.length)); } catch (e) { typeError = e instanceof TypeError || e.name === 'TypeError'; }
      tbn.close(m);
      ({ cls: cls, logits: Array.prototype.slice.call(logits), typeError: typeError });
    `, ctx) as { cls: number; logits: number[]; typeError: boolean };
    expect(out.cls).toBe(expected.cls);
    expect(out.logits).toEqual(Array.from(expected.logits));
    expect(out.typeError).toBe(true);
  });
});
