/**
 * Dense layers over int32 input (after a global average pool) with whole
 * 32-channel words: the Cortex-M4 table path (LDM/STM sign tables, run
 * without run_weight) and its fallbacks, on every emulated core and level,
 * bit for bit against the TypeScript integer reference. In channels 32..96,
 * out channels 1..70 (beyond the 64-accumulator chunk), p dividing N with
 * reuse on and off, int8 and int32 outputs, sensible and wrapping
 * requantisation.
 */
import { describe, expect, it } from 'vitest';
import { weightGeometry } from '../../host/format/layout.ts';
import type { LayerContent, ModelContent } from '../../host/format/model.ts';
import { rng } from '../../host/format/random-model.ts';
import { writeModel } from '../../host/format/writer.ts';
import { EMULATED_BOARDS, type Job, jobMismatches, referenceWindows, runJobs } from './qemu.ts';

const WINDOWS = 2;

function denseModel(seed: number, inC: number, outC: number, p: number, outType: 'i8' | 'i32', wild: boolean): ModelContent {
  const r = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const words = (n: number, bits = 32): Uint32Array =>
    Uint32Array.from({ length: n }, () => (Math.floor(r() * 2 ** 32) >>> 0) & (bits === 32 ? 0xffffffff : (1 << bits) - 1));
  const base = { stride: [1, 1] as [number, number], t16: false, shift: 0, biases: new Int32Array(0), flips: new Uint32Array(0) };
  const len = int(3, 9);
  const l0: LayerContent = { ...base, kind: 'conv1d', inType: 'i8', outType: 'bin', inShape: [1, len, 4], outShape: [1, len, inC], kernel: [1, 1], p: 1, reuse: false,
    tile: words(inC, 4), thresholds: Int32Array.from({ length: inC }, () => int(-40, 40)), flips: words(inC / 32) };
  const l1: LayerContent = { ...base, stride: [0, 0], kind: 'gap', inType: 'bin', outType: 'i32', inShape: [1, len, inC], outShape: [1, 1, inC], kernel: [0, 0], p: 0, reuse: false,
    tile: new Uint32Array(0), thresholds: new Int32Array(0) };
  const shift = wild ? int(0, 31) : int(2, 8);
  const mag = wild ? 2 ** 31 - 1 : 50;
  const l2: LayerContent = { ...base, kind: 'dense', inType: 'i32', outType, inShape: [1, 1, inC], outShape: [1, 1, outC], kernel: [1, 1], p, reuse: r() < 0.7,
    tile: words(weightGeometry(inC, outC, [1, 1], p).tileWords), shift,
    thresholds: Int32Array.from({ length: outC }, () => int(-mag, mag)), biases: Int32Array.from({ length: outC }, () => int(-mag, mag)) };
  const layers = [l0, l1, l2];
  let classes = outC;
  if (outType === 'i8') {
    // the logits must be int32: an int8 dense output feeds a last small dense (rows masked to outC bits)
    classes = 3;
    const cw = Math.ceil(outC / 32);
    const tile = words(weightGeometry(outC, classes, [1, 1], 1).tileWords);
    if (outC % 32 !== 0) for (let j = cw - 1; j < tile.length; j += cw) tile[j] = ((tile[j] as number) & ((1 << outC % 32) - 1)) >>> 0;
    layers.push({ ...base, kind: 'dense', inType: 'i8', outType: 'i32', inShape: [1, 1, outC], outShape: [1, 1, classes], kernel: [1, 1], p: 1, reuse: false, tile, shift: 0,
      thresholds: Int32Array.from({ length: classes }, () => int(1, 3)), biases: Int32Array.from({ length: classes }, () => int(-100, 100)) });
  }
  return { inShape: [1, len, 4], quantMul: new Float32Array(4).fill(10), quantAdd: new Float32Array(4), classes: Array.from({ length: classes }, (_, i) => `c${i}`), layers };
}

function buildCases(): { jobs: Job[]; expected: { cls: number; logits: number[] }[][]; names: string[] } {
  const jobs: Job[] = [];
  const expected: { cls: number; logits: number[] }[][] = [];
  const names: string[] = [];
  let seed = 4100;
  for (const inC of [32, 64, 96])
    for (const outC of [1, 2, 5, 12, 40, 70])
      for (const p of [1, 2, 5].filter((d) => outC % d === 0))
        for (const outType of ['i32', 'i8'] as const) {
          seed++;
          const content = denseModel(seed, inC, outC, p, outType, seed % 3 === 0);
          const bytes = writeModel(content);
          const { inputs, inputLen, expected: windows } = referenceWindows(bytes, seed, WINDOWS);
          for (const reuse of [true, false]) {
            jobs.push({ model: bytes, inputs, inputLen, reuse });
            expected.push(windows);
            names.push(`dense ${inC}->${outC} p${p} ${outType} (file reuse ${content.layers[2]!.reuse}, run reuse ${reuse}, seed ${seed})`);
          }
        }
  return { jobs, expected, names };
}

const cases = buildCases();

describe('int32-input dense layers on emulated cores match the integer reference bit for bit', () => {
  it('covers whole-word inputs, outputs past one accumulator chunk, p > 1 and both output types', () => {
    expect(cases.jobs.length).toBeGreaterThan(60);
  });
  for (const board of EMULATED_BOARDS) for (const opt of ['O2', 'Os', 'Os-small'] as const) {
    it(`${board} -${opt}`, () => {
      const out = runJobs(board, cases.jobs, { opt });
      const mismatches = jobMismatches(out, cases);
      expect(mismatches.slice(0, 10)).toEqual([]);
    });
  }
});
