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
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { weightGeometry, wordsPerPosition } from '../../host/format/layout.ts';
import type { LayerContent, ModelContent } from '../../host/format/model.ts';
import { rng } from '../../host/format/random-model.ts';
import { writeModel } from '../../host/format/writer.ts';
import { EMULATED_BOARDS, type EmulatedBoard, type ExpectedJobs, jobMismatches, mutantMismatches, referenceWindows, runJobs } from './qemu.ts';

const WINDOWS = 2;
const IN_C = 3;
const CLASSES = 8;

type Rand = () => number;
const u32 = (r: Rand): number => Math.floor(r() * 2 ** 32) >>> 0;
const mask = (bits: number): number => (bits >= 32 ? 0xffffffff : (1 << bits) - 1) >>> 0;
const lastMask = (c: number, w: number): number => (w === wordsPerPosition(c) - 1 && c % 32 !== 0 ? mask(c % 32) : 0xffffffff);

/** conv1d int8 -> BIN, kernel 1, c channels: every position's bits fixed to `bits` (thresholds far outside the range). */
function fixedBinLayer(r: Rand, len: number, c: number, bits: Uint32Array): LayerContent {
  const g = weightGeometry(IN_C, c, [1, 1], 1);
  return {
    kind: 'conv1d', inType: 'i8', outType: 'bin', inShape: [1, len, IN_C], outShape: [1, len, c], kernel: [1, 1], stride: [1, 1],
    p: 1, reuse: false, t16: false, shift: 0, tile: Uint32Array.from({ length: g.tileWords }, () => u32(r) & mask(IN_C)),
    thresholds: Int32Array.from({ length: c }, (_, o) => ((((bits[o >>> 5] as number) >>> (o & 31)) & 1) ? -100000 : 100000)),
    flips: new Uint32Array(wordsPerPosition(c)), biases: new Int32Array(0),
  };
}

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
  const g = weightGeometry(c, N, [1, kw], p);
  const rw = cw * kw;
  // rows equal to the input (acc = K), its complement (acc = -K) or random
  const tile = new Uint32Array(g.tileWords);
  for (let row = 0; row < tile.length / rw; row++) {
    const style = Math.floor(r() * 3);
    for (let j = 0; j < rw; j++) {
      const w = j % cw;
      const x = bits[w] as number;
      tile[row * rw + j] = (style === 0 ? x : style === 1 ? ~x : u32(r)) & lastMask(c, w);
    }
  }
  const limits = [-K - 2, -K - 1, -K, -K + 1, -K + 2, K - 2, K - 1, K, K + 1, K + 2, -30000, 30000];
  const thresholds = Int32Array.from({ length: N }, () => (r() < 0.7 ? limits[Math.floor(r() * limits.length)]! : Math.floor(r() * (2 * K + 1)) - K));
  const l1: LayerContent = {
    kind: 'conv1d', inType: 'bin', outType: 'bin', inShape: [1, len, c], outShape: [1, outW, N], kernel: [1, kw], stride: [1, 1], p, reuse: true,
    t16, shift: 0, tile, thresholds, biases: new Int32Array(0),
    flips: Uint32Array.from({ length: wordsPerPosition(N) }, (_, w) => u32(r) & lastMask(N, w)),
  };
  const g2 = weightGeometry(N, CLASSES, [1, outW], 1);
  const l2: LayerContent = {
    kind: 'dense', inType: 'bin', inShape: [1, outW, N], outShape: [1, 1, CLASSES], kernel: [1, outW], stride: [1, 1], p: 1, reuse: false,
    tile: Uint32Array.from({ length: g2.tileWords }, (_, i) => u32(r) & lastMask(N, i % wordsPerPosition(N))),
    outType: 'i32', thresholds: new Int32Array(CLASSES).fill(1), biases: new Int32Array(CLASSES), shift: 0, flips: new Uint32Array(0), t16: false,
  };
  return {
    inShape: [1, len, IN_C], quantMul: new Float32Array(IN_C).fill(10), quantAdd: new Float32Array(IN_C),
    classes: Array.from({ length: CLASSES }, (_, i) => `c${i}`), layers: [fixedBinLayer(r, len, c, bits), l1, l2],
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
