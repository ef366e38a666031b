/**
 * Random models on the three emulated cores, bit for bit against the
 * TypeScript integer reference: ≥ 100 models per core with random shapes, p,
 * layouts and flags; f32 inputs (NaN, infinities, rounding ties) and int8
 * inputs; with and without row reuse; plus corrupted files that every core
 * must reject with the reader's status. At -O2, -Os, and -Os with the
 * size-first kernel (-DTBN_SMALL).
 */
import { describe, expect, it } from 'vitest';
import { FormatError, readModel } from '../../host/format/reader.ts';
import { randomInput, randomPackedModel } from '../../host/format/random-model.ts';
import { runReference } from '../../host/reference/infer.ts';
import { writeModel } from '../../host/format/writer.ts';
import { STATUS_NAMES } from '../../host/native/status.ts';
import { wideXnorModel } from './models.ts';
import { EMULATED_BOARDS, type Job, runJobs } from './qemu.ts';

const MODELS = 120;
const WINDOWS = 2;
const FIRST_SEED = 7001;

interface Expected {
  open: number;
  windows: { cls: number; logits: number[] }[];
}

function buildCases(): { jobs: Job[]; expected: Expected[]; describe: string[] } {
  const jobs: Job[] = [];
  const expected: Expected[] = [];
  const names: string[] = [];
  // 120 small random models, 8 larger ones, 16 with wide BIN -> BIN reuse layers, and one with a 64-word XNOR row
  // (the popcount's 31-word chunking).
  const sources: Array<{ seed: number; bytes: Uint8Array }> = [];
  for (let i = 0; i < MODELS; i++) sources.push({ seed: FIRST_SEED + i, bytes: randomPackedModel(FIRST_SEED + i) });
  for (let i = 0; i < 8; i++) sources.push({ seed: 9001 + i, bytes: randomPackedModel(9001 + i, { maxMacs: 300000, maxHidden: 3 }) });
  // BIN -> BIN layers with N = p * R channels: the lane-compare reuse path (R = 16, 32, others) on every core and level.
  for (let i = 0; i < 16; i++) sources.push({ seed: 9101 + i, bytes: randomPackedModel(9101 + i, { binReuse: true, maxHidden: 3 }) });
  // int8 conv1d first layers, 1..16 channels, kernel 1..9: the paired-table and ring paths.
  for (let i = 0; i < 40; i++) sources.push({ seed: 9201 + i, bytes: randomPackedModel(9201 + i, { i8Conv1dFirst: true, maxHidden: 2 }) });
  sources.push({ seed: 0, bytes: writeModel(wideXnorModel()) });
  for (let i = 0; i < sources.length; i++) {
    const { seed, bytes } = sources[i]!;
    const model = readModel(bytes);
    const len = model.inShape[0] * model.inShape[1] * model.inShape[2];
    const kind = i % 2 === 0 ? 'f32' : 'i8';
    const inputs = kind === 'f32' ? new Float32Array(len * WINDOWS) : new Int8Array(len * WINDOWS);
    const windows: Expected['windows'] = [];
    for (let w = 0; w < WINDOWS; w++) {
      const x = randomInput(seed * 16 + w, model, kind);
      inputs.set(x as never, w * len);
      const r = runReference(model, x);
      windows.push({ cls: r.cls, logits: Array.from(r.logits) });
    }
    // Every model once with its flags as packed; a third again with reuse off.
    for (const reuse of i % 3 === 0 ? [true, false] : [true]) {
      jobs.push({ model: bytes, inputs, inputLen: len, reuse });
      expected.push({ open: 0, windows });
      names.push(`seed ${seed} (${model.layers.map((l) => `${l.kind}${l.p ? `/p${l.p}` : ''}`).join(' ')}, ${kind}, reuse ${reuse})`);
    }
  }
  // Corrupted files: the kernel must refuse them with the status the reader gives.
  const base = randomPackedModel(FIRST_SEED);
  const corruptions: Array<[string, Uint8Array]> = [
    ['payload byte flipped', Uint8Array.from(base, (b, k) => (k === base.length - 3 ? b ^ 0x10 : b))],
    ['magic changed', Uint8Array.from(base, (b, k) => (k === 0 ? b ^ 1 : b))],
    ['4 bytes cut off', base.slice(0, base.length - 4)],
    ['4 bytes appended', Uint8Array.from([...base, 0, 0, 0, 0])],
    ['header only', base.slice(0, 64)],
  ];
  const len0 = readModel(base).inShape.reduce((a, b) => a * b, 1);
  for (const [what, bytes] of corruptions) {
    let name = 'TBN_OK';
    try {
      readModel(bytes);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      name = e.status;
    }
    const code = STATUS_NAMES.indexOf(name); // the C API header's code (the contract)
    if (code <= 0) throw new Error(`corruption "${what}" was not rejected by the reader (${name})`);
    jobs.push({ model: bytes, inputs: new Int8Array(len0), inputLen: len0 });
    expected.push({ open: code, windows: [] });
    names.push(`corrupted: ${what} -> ${name}`);
  }
  return { jobs, expected, describe: names };
}

const cases = buildCases();

function readModelSafe(bytes: Uint8Array) {
  try {
    return readModel(bytes).layers;
  } catch {
    return [];
  }
}

describe('random models on emulated cores match the integer reference bit for bit', () => {
  it(`uses at least 100 distinct random models and one with rows longer than 31 words`, () => {
    expect(new Set(cases.jobs.filter((_, i) => cases.expected[i]!.open === 0).map((j) => j.model)).size).toBeGreaterThanOrEqual(100);
    const longest = Math.max(...cases.jobs.map((j) => Math.max(0, ...readModelSafe(j.model).map((l) => (l.inType === 'bin' ? l.kernel[1] * Math.ceil(l.inShape[2] / 32) : 0)))));
    expect(longest).toBeGreaterThan(31);
  });

  // Os-small: the size-first kernel (-DTBN_SMALL), the one that meets the 4 KB text goal.
  for (const board of EMULATED_BOARDS) for (const opt of ['O2', 'Os', 'Os-small'] as const) {
    it(`${board} -${opt}: ${MODELS} random models, f32 and int8 windows, reuse on and off, corrupted files`, () => {
      const out = runJobs(board, cases.jobs, { opt });
      const mismatches: string[] = [];
      out.jobs.forEach((job, i) => {
        const exp = cases.expected[i]!;
        const name = cases.describe[i]!;
        if (job.openStatus !== exp.open) {
          mismatches.push(`${name}: tbn_model_open status ${job.openStatus}, expected ${exp.open}`);
          return;
        }
        if (exp.open !== 0) return;
        if (job.windows.length !== exp.windows.length) mismatches.push(`${name}: ${job.windows.length} windows ran`);
        job.windows.forEach((w, k) => {
          const e = exp.windows[k]!;
          if (w.status !== 0) mismatches.push(`${name} window ${k}: status ${w.status}`);
          else if (w.cls !== e.cls || w.logits.join(',') !== e.logits.join(','))
            mismatches.push(`${name} window ${k}: got ${w.cls} [${w.logits}] expected ${e.cls} [${e.logits}]`);
        });
      });
      expect(mismatches.slice(0, 10)).toEqual([]);
    });
  }
});
