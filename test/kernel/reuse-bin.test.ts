/**
 * The kernel's BIN -> BIN reuse path (run_reuse_bin in tbn_reuse.h: at most 32
 * distinct rows, thresholds compared two at a time as int16 lanes) against
 * the TypeScript integer reference, bit for bit, on random models whose
 * hidden layers all have N = p * R channels (host/format/random-model.ts,
 * option binReuse): R = 16 (whole output words), R = 32, other R (bits
 * spanning words), R > 32 (the general path), p = 2..8, T16 and T32,
 * thresholds beyond +-K, conv2d windows of several runs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomInput, randomPackedModel } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import type { PackedModel } from '../../host/format/model.ts';
import { artifact, type BatchCase, referenceResults, runNativeBatch, runWasm } from './harness.ts';

const MODELS = 160;

interface Case {
  seed: number;
  bytes: Uint8Array;
  model: PackedModel;
  inputs: Int8Array[];
  expected: { cls: number; logits: number[] }[];
}

const cases: Case[] = [];

beforeAll(() => {
  artifact('tbn_cli_asan');
  artifact('tbn.wasm');
  for (let seed = 1; seed <= MODELS; seed++) {
    const bytes = randomPackedModel(seed, { binReuse: true, maxHidden: 3 });
    const model = readModel(bytes);
    const inputs = [randomInput(seed, model, 'i8'), randomInput(seed + 7777, model, 'i8')] as Int8Array[];
    const expected = referenceResults(model, inputs);
    cases.push({ seed, bytes, model, inputs, expected });
  }
});

describe('BIN -> BIN layers with reuse: C kernel = TypeScript reference', () => {
  it('covers the shapes of the fast path and its edges', () => {
    const seen = new Set<string>();
    for (const c of cases) {
      for (const l of c.model.layers) {
        if (!(l.p > 1 && l.reuse && l.inType === 'bin' && l.outType === 'bin')) continue;
        const R = l.outShape[2] / l.p;
        const K = l.kernel[0] * l.kernel[1] * l.inShape[2];
        seen.add(R === 16 ? (l.p >= 3 ? 'R16-p>=3' : 'R16-p2') : R === 32 ? 'R32' : R > 32 ? 'R>32' : 'R-other');
        if (R < 32 && R !== 16 && l.p % 4 !== 0) seen.add('R-other-p-odd-group');
        seen.add(l.t16 ? 't16' : 't32');
        if (Array.from(l.thresholds).some((t) => t > K + 1 || t < -K)) seen.add('clamped');
        if (l.kernel[1] < l.inShape[1] && l.kernel[0] > 1) seen.add('several-runs');
        if (l.outShape[2] % 32 !== 0) seen.add('partial-word');
      }
    }
    for (const k of ['R16-p>=3', 'R16-p2', 'R32', 'R>32', 'R-other', 'R-other-p-odd-group', 't16', 't32', 'clamped', 'several-runs', 'partial-word']) {
      expect(seen, k).toContain(k);
    }
  });

  it('native (ASan + UBSan), reuse on and off', () => {
    for (const reuse of [true, false]) {
      const batch: BatchCase[] = cases.map((c) => ({ model: c.bytes, inputs: c.inputs }));
      const results = runNativeBatch(batch, { reuse });
      cases.forEach((c, k) => {
        expect(results[k]?.status, `seed ${c.seed}`).toBe(0);
        expect(results[k]?.outputs, `seed ${c.seed} reuse ${reuse}`).toEqual(c.expected);
      });
    }
  });

  it('wasm', () => {
    for (const c of cases) expect(runWasm(c.bytes, c.inputs), `seed ${c.seed}`).toEqual(c.expected);
  });
});
