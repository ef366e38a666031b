/**
 * int16 sensor counts (TBN_INPUT_I16, tbn_format.h INT16 INPUT) on the three emulated cores at -O2, -Os
 * and -Os with the size-first kernel, bit for bit against the TypeScript reference: random models
 * (int8 conv1d first layers with 1-16 channels among them), random counts with -32768/32767, random
 * triples with their bounds, reuse on and off; and out-of-range triples or wrong counts, which every
 * core must refuse with TBN_E_PARAMS. lx106 has no FPU: int16 counts spare it the soft-float f32 input path.
 */
import { describe, expect, it } from 'vitest';
import { randomInt16Input, randomInt16Params, randomPackedModel } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import { STATUS_NAMES } from '../../host/native/wasm-kernel.ts';
import { runReferenceInt16 } from '../../host/reference/infer.ts';
import { badInt16Params } from '../kernel/harness.ts';
import { EMULATED_BOARDS, type ExpectedJobs, jobMismatches, runJobs } from './qemu.ts';

const MODELS = 60;
const WINDOWS = 2;
const PARAMS_STATUS = STATUS_NAMES.indexOf('TBN_E_PARAMS');

function buildCases(): ExpectedJobs {
  const { jobs, expected, names }: ExpectedJobs = { jobs: [], expected: [], names: [] };
  for (let i = 0; i < MODELS; i++) {
    const seed = 61000 + i;
    const bytes = randomPackedModel(seed, i % 2 === 0 ? { i8Conv1dFirst: true, maxHidden: 2 } : {});
    const model = readModel(bytes);
    const len = model.inShape[0] * model.inShape[1] * model.inShape[2];
    const params = randomInt16Params(seed, model.quantMul.length);
    const inputs = new Int16Array(len * WINDOWS);
    const windows: { cls: number; logits: number[] }[] = [];
    for (let w = 0; w < WINDOWS; w++) {
      const x = randomInt16Input(seed * 4 + w, model);
      inputs.set(x, w * len);
      const r = runReferenceInt16(model, x, params);
      windows.push({ cls: r.cls, logits: Array.from(r.logits) });
    }
    for (const reuse of i % 3 === 0 ? [true, false] : [true]) {
      jobs.push({ model: bytes, inputs, inputLen: len, params, reuse });
      expected.push(windows);
      names.push(`seed ${seed} (${model.layers.map((l) => l.kind).join(' ')}, Q ${model.quantMul.length}, reuse ${reuse})`);
    }
  }
  // Refused triples: each core must give TBN_E_PARAMS, never run on them.
  const bytes = randomPackedModel(61000, { i8Conv1dFirst: true, maxHidden: 2 });
  const model = readModel(bytes);
  const q = model.quantMul.length;
  const len = model.inShape[0] * model.inShape[1] * model.inShape[2];
  const bad = badInt16Params(randomInt16Params(1, q));
  for (const [what, p] of bad) {
    jobs.push({ model: bytes, inputs: randomInt16Input(5, model), inputLen: len, params: p });
    expected.push([{ status: PARAMS_STATUS }]);
    names.push(`refused: ${what}`);
  }
  return { jobs, expected, names };
}

const cases = buildCases();

describe('int16 counts on emulated cores match the integer reference bit for bit', () => {
  for (const board of EMULATED_BOARDS) for (const opt of ['O2', 'Os', 'Os-small'] as const) {
    it(`${board} -${opt}: ${MODELS} random models on int16 counts, reuse on and off, refused triples`, () => {
      const out = runJobs(board, cases.jobs, { opt });
      const mismatches = jobMismatches(out, cases);
      const ran = out.jobs.reduce((n, job, i) => n + job.windows.filter((_, k) => { const e = cases.expected[i]![k]; return e && !('status' in e); }).length, 0);
      expect(mismatches.slice(0, 10)).toEqual([]);
      expect(ran).toBeGreaterThanOrEqual(MODELS * WINDOWS);
    });
  }
});
