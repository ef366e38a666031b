/**
 * The BIN -> BIN reuse path's threshold stage (run_reuse_bin, tbn_reuse.h) on
 * every emulated core and level, bit for bit against the TypeScript integer
 * reference: N/p = 1, 16, 31, 32 and 33 distinct rows (33: past the fast
 * path), p = 2..8, rows of 1, 5, 6 and 10 words (5 and 10: the rows that
 * leave 2 * matches on lx106 and RV32 at -O2, the threshold lanes then less
 * kc), batches of windows cut short, and thresholds at the clamp limits
 * (-K - 2 .. -K + 2, K - 2 .. K + 2, far outside) with inputs whose rows all
 * match or all differ (acc = +-K). Mutation checks build wrong variants of
 * the lx106 threshold asm, of the 2 * matches row ends and of the clamp, and
 * require these cases to catch each of them.
 */
import { describe, expect, it } from 'vitest';
import { wordsPerPosition } from '../../host/format/layout.ts';
import type { LayerContent, ModelContent } from '../../host/format/model.ts';
import { rng } from '../../host/format/random-model.ts';
import { writeModel } from '../../host/format/writer.ts';
import { binInputLayer, binTile, lastMask, u32 } from './models.ts';
import { EMULATED_BOARDS, type EmulatedBoard, type ExpectedJobs, jobMismatches, mutantMismatches, referenceWindows, runJobs } from './qemu.ts';

const WINDOWS = 2;
const IN_C = 3;
const CLASSES = 8;

/**
 * int8 -> BIN (c channels, fixed bits) -> conv1d BIN -> BIN (kernel kw, N = p * R, reuse, thresholds at
 * the clamp limits) -> dense BIN -> i32 (8 classes over every output bit).
 */
function model(seed: number, outW: number, c: number, kw: number, R: number, p: number, t16: boolean): ModelContent {
  const r = rng(seed);
  const cw = wordsPerPosition(c);
  const bits = Uint32Array.from({ length: cw }, (_, w) => u32(r) & lastMask(c, w));
  const len = outW + kw - 1;
  const N = p * R;
  const K = kw * c;
  // rows equal to the input (acc = K), its complement (acc = -K) or random
  const tile = binTile(r, c, N, kw, p, bits);
  const limits = [-K - 2, -K - 1, -K, -K + 1, -K + 2, K - 2, K - 1, K, K + 1, K + 2, -30000, 30000];
  const thresholds = Int32Array.from({ length: N }, () => (r() < 0.7 ? limits[Math.floor(r() * limits.length)]! : Math.floor(r() * (2 * K + 1)) - K));
  const l1: LayerContent = {
    kind: 'conv1d', inType: 'bin', outType: 'bin', inShape: [1, len, c], outShape: [1, outW, N], kernel: [1, kw], stride: [1, 1], p, reuse: true,
    t16, shift: 0, tile, thresholds, biases: new Int32Array(0),
    flips: Uint32Array.from({ length: wordsPerPosition(N) }, (_, w) => u32(r) & lastMask(N, w)),
  };
  const l2: LayerContent = {
    kind: 'dense', inType: 'bin', inShape: [1, outW, N], outShape: [1, 1, CLASSES], kernel: [1, outW], stride: [1, 1], p: 1, reuse: false,
    tile: binTile(r, N, CLASSES, outW, 1, null),
    outType: 'i32', thresholds: new Int32Array(CLASSES).fill(1), biases: new Int32Array(CLASSES), shift: 0, flips: new Uint32Array(0), t16: false,
  };
  return {
    inShape: [1, len, IN_C], quantMul: new Float32Array(IN_C).fill(10), quantAdd: new Float32Array(IN_C),
    classes: Array.from({ length: CLASSES }, (_, i) => `c${i}`), layers: [binInputLayer(r, len, IN_C, c, bits), l1, l2],
  };
}

type Cases = ExpectedJobs<{ cls: number; logits: number[] }>;

function buildCases(): Cases {
  const cases: Cases = { jobs: [], expected: [], names: [] };
  let seed = 31000;
  // [kw, c]: rows of 5, 10, 1 and 6 words
  const rows: Array<[number, number]> = [[5, 32], [5, 64], [1, 20], [3, 40]];
  const outWs = [1, 9, 11, 23];
  let i = 0;
  for (const R of [1, 16, 31, 32, 33]) {
    for (let p = 2; p <= 8; p++) {
      for (const [kw, c] of rows) {
        seed++;
        i++;
        const outW = outWs[i % outWs.length]!;
        const bytes = writeModel(model(seed, outW, c, kw, R, p, i % 2 === 0));
        const { inputs, inputLen, expected } = referenceWindows(bytes, seed, WINDOWS);
        cases.jobs.push({ model: bytes, inputs, inputLen, reuse: true });
        cases.expected.push(expected);
        cases.names.push(`R ${R} p ${p} kernel ${kw}x${c} out_w ${outW} (seed ${seed})`);
      }
    }
  }
  return cases;
}

const cases = buildCases();


describe('reuse threshold stage at its edges matches the integer reference bit for bit on emulated cores', () => {
  it('the cases reach accumulators +-K against thresholds at the clamp limits', () => {
    expect(cases.jobs.length).toBe(5 * 7 * 4);
    // the logits differ between windows and models: the output bits are not constant
    expect(new Set(cases.expected.map((e) => e[0]!.logits.join())).size).toBeGreaterThan(cases.jobs.length / 2);
  });
  for (const board of EMULATED_BOARDS) for (const opt of ['O2', 'Os', 'Os-small'] as const) {
    it(`${board} -${opt}`, () => {
      expect(jobMismatches(runJobs(board, cases.jobs, { opt }), cases).slice(0, 10)).toEqual([]);
    });
  }
});

/** Wrong variants: [what, board, header, from, to]; each must change some logits at -O2. */
const MUTANTS: Array<[string, EmulatedBoard, string, string, string]> = [
  ['lx106 threshold asm: lane 1 masked with the wrong register', 'esp8266', 'tbn_reuse.h', '"and a14, a14, a9\\n\\t"', '"and a14, a14, a13\\n\\t"'],
  ['lx106 threshold asm: flips of word 1 not applied', 'esp8266', 'tbn_reuse.h', '"xor a11, a11, a12\\n\\t"', '"or a11, a11, a11\\n\\t"'],
  ['lx106 rows: 5-word row end gives matches, not 2 * matches', 'esp8266', 'tbn_rows_xtensa.h', '"srli a14, a14, 23\\n\\t"', '"srli a14, a14, 24\\n\\t"'],
  ['RV32 rows: 5-word row end gives matches, not 2 * matches', 'esp32c3', 'tbn_rows.h', 'twice ? (v * bytes1) >> 23', 'twice ? (v * bytes1) >> 24'],
  ['clamp: thresholds above K clamped to K', 'esp8266', 'tbn_reuse.h', 'if (t > K + 1) t = K + 1;', 'if (t > K) t = K;'],
];

describe('the reuse threshold cases catch wrong variants', () => {
  it(`${MUTANTS.length} mutated kernels each give wrong logits (-O2)`, () => {
    for (const [what, board, header, from, to] of MUTANTS) {
      expect(mutantMismatches(board, header, from, to, cases).length, `mutant "${what}" is caught`).toBeGreaterThan(0);
    }
  }, 240_000);
});
