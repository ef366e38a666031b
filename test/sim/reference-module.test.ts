import { describe, expect, it } from 'vitest';
import { referenceTbnModule } from '../../host/sim/reference-tbn.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { harShapedModel } from './har-model.ts';

describe('reference-backed tbn module (tbn sim --kernel reference)', () => {
  it('follows TBN_MODULE.md like the wasm module: String input, info, logits, close', async () => {
    const ref = referenceTbnModule();
    const wasm = await loadWasmTbnModule();
    const bytes = harShapedModel(9);
    const asString = Buffer.from(bytes).toString('latin1'); // what Espruino's Storage.read gives
    const a = ref.open(asString);
    const b = wasm.open(bytes);
    expect(ref.info(a)).toEqual(wasm.info(b));
    const x = Float32Array.from({ length: 768 }, (_, i) => Math.sin(i * 0.7) * 12);
    const la = new Int32Array(5);
    const lb = new Int32Array(5);
    expect(ref.run(a, x, la)).toBe(wasm.run(b, x, lb));
    expect(Array.from(la)).toEqual(Array.from(lb));
    expect(() => ref.run(a, new Float32Array(10), la)).toThrow(new TypeError('tbn: input has 10 values, the model takes 768'));
    expect(() => ref.run(a, x, new Int32Array(2))).toThrow(TypeError);
    ref.close(a);
    expect(() => ref.run(a, x, la)).toThrow(/closed/);
    const bad = bytes.slice();
    bad[100] = (bad[100] as number) ^ 1;
    expect(() => ref.open(bad)).toThrow(/^tbn: /);
    wasm.close(b);
  });
});
