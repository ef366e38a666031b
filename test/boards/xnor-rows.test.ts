/**
 * XNOR rows at the edges of the row loops, on every emulated core and level,
 * bit for bit against the TypeScript integer reference: rows of 1..33 words
 * (5 and 10: the five-word register paths; on lx106 the hand-allocated
 * Xtensa asm of native-modules/core/tbn_rows_xtensa.h, on RV32 the
 * carry-save C of tbn_rows.h), 15-17, 31-33, 47-49, 64 and 65 words (rows of
 * >= 32 words: the 16-word Harley-Seal blocks of tbn_popcount.h and their
 * rest, on RV32, lx106 and Cortex-M4 except TBN_SMALL), 1..70 rows (odd
 * counts, one accumulator chunk of 64 and past it), p > 1 with the rows
 * wrapping, reuse on and off, and BIN -> BIN reuse layers (batched windows).
 * The weight layer under test is mostly the last one, so its accumulators
 * are the logits. A third of the cases have a fixed input pattern and rows
 * equal to it or to its complement: all bits match or none do (the largest
 * byte counts). Mutation checks build wrong variants of the lx106 asm and of
 * the Harley-Seal loop and require these cases to catch each of them.
 */
import { describe, expect, it } from 'vitest';
import { wordsPerPosition } from '../../host/format/layout.ts';
import type { LayerContent, ModelContent } from '../../host/format/model.ts';
import { rng } from '../../host/format/random-model.ts';
import { writeModel } from '../../host/format/writer.ts';
import { binInputLayer, binTile, lastMask, u32 } from './models.ts';
import { EMULATED_BOARDS, type ExpectedJobs, jobMismatches, mutantMismatches, referenceWindows, runJobs } from './qemu.ts';

const WINDOWS = 2;
const IN_C = 3;

/** An I32-output layer whose outputs are its accumulators (multiplier 1, bias 0, shift 0). */
function identityOut(outC: number): Pick<LayerContent, 'outType' | 'thresholds' | 'biases' | 'shift' | 'flips' | 't16'> {
  return { outType: 'i32', thresholds: new Int32Array(outC).fill(1), biases: new Int32Array(outC), shift: 0, flips: new Uint32Array(0), t16: false };
}

/** int8 input -> BIN (c channels, len positions) -> dense BIN -> i32 over all of it: rows of len * ceil(c / 32) words. */
function denseModel(seed: number, len: number, c: number, outC: number, p: number, reuse: boolean, fixed: boolean): ModelContent {
  const r = rng(seed);
  // every position's input bits (fixed: l0 thresholds far outside its range), or null for data-dependent bits
  const bits = fixed ? Uint32Array.from({ length: wordsPerPosition(c) }, (_, w) => u32(r) & lastMask(c, w)) : null;
  const l0 = binInputLayer(r, len, IN_C, c, bits);
  const l1: LayerContent = {
    kind: 'dense', inType: 'bin', inShape: [1, len, c], outShape: [1, 1, outC], kernel: [1, len], stride: [1, 1], p, reuse,
    tile: binTile(r, c, outC, len, p, bits), ...identityOut(outC),
  };
  return { inShape: [1, len, IN_C], quantMul: new Float32Array(IN_C).fill(10), quantAdd: new Float32Array(IN_C), classes: Array.from({ length: outC }, (_, i) => `c${i}`), layers: [l0, l1] };
}

/** int8 -> BIN (c channels) -> conv1d BIN -> BIN (kernel kw, N = p * R, reuse) -> dense BIN -> i32 (5 classes). */
function convModel(seed: number, len: number, c: number, kw: number, R: number, p: number, fixed: boolean): ModelContent {
  const r = rng(seed);
  // every position's input bits (fixed: l0 thresholds far outside its range), or null for data-dependent bits
  const bits = fixed ? Uint32Array.from({ length: wordsPerPosition(c) }, (_, w) => u32(r) & lastMask(c, w)) : null;
  const l0 = binInputLayer(r, len, IN_C, c, bits);
  const N = p * R;
  const outLen = len - kw + 1;
  const K = kw * c;
  const l1: LayerContent = {
    kind: 'conv1d', inType: 'bin', outType: 'bin', inShape: [1, len, c], outShape: [1, outLen, N], kernel: [1, kw], stride: [1, 1], p, reuse: true,
    t16: false, shift: 0, tile: binTile(r, c, N, kw, p, bits), biases: new Int32Array(0),
    // thresholds within the accumulator range (-K..K, step 2) so both outputs occur
    thresholds: Int32Array.from({ length: N }, () => Math.floor(r() * (K + 1)) - (K >> 1)),
    flips: Uint32Array.from({ length: wordsPerPosition(N) }, (_, w) => u32(r) & lastMask(N, w)),
  };
  const classes = 5;
  const l2: LayerContent = {
    kind: 'dense', inType: 'bin', inShape: [1, outLen, N], outShape: [1, 1, classes], kernel: [1, outLen], stride: [1, 1], p: 1, reuse: false,
    tile: binTile(r, N, classes, outLen, 1, null), ...identityOut(classes),
  };
  return { inShape: [1, len, IN_C], quantMul: new Float32Array(IN_C).fill(10), quantAdd: new Float32Array(IN_C), classes: Array.from({ length: classes }, (_, i) => `c${i}`), layers: [l0, l1, l2] };
}

interface Cases extends ExpectedJobs {
  rowWords: Set<number>;
}

function buildCases(): Cases {
  const cases: Cases = { jobs: [], expected: [], names: [], rowWords: new Set() };
  let seed = 15000;
  const add = (content: ModelContent, name: string, runReuse: boolean[]): void => {
    const bytes = writeModel(content);
    const { model, inputs, inputLen, expected } = referenceWindows(bytes, seed, WINDOWS);
    for (const reuse of runReuse) {
      cases.jobs.push({ model: bytes, inputs, inputLen, reuse });
      cases.expected.push(expected);
      cases.names.push(`${name} (seed ${seed}, run reuse ${reuse})`);
    }
    for (const l of model.layers) if (l.inType === 'bin' && l.kernel[0] > 0) cases.rowWords.add(l.kernel[0] * l.kernel[1] * wordsPerPosition(l.inShape[2]));
  };
  // [positions, channels]: rows of 1, 2, 4, 5, 6, 9, 10, 11, 15, 31, 32, 33, ... 65 words, with and without padding bits
  const shapes: Array<[number, number]> = [[1, 7], [1, 32], [2, 32], [4, 20], [5, 20], [5, 32], [1, 160], [3, 64], [9, 17], [10, 32], [5, 50], [5, 64],
    [2, 160], [11, 3], [15, 32], [31, 9], [32, 1], [11, 96],
    // long rows (the 16-word carry-save blocks of rows >= 32 words and their rest): 16, 17, 47, 48, 49, 64, 65 words
    [16, 32], [17, 20], [47, 32], [16, 95], [7, 224], [8, 256], [13, 160]];
  const counts = [1, 2, 3, 5, 16, 31, 63, 64, 65, 70];
  shapes.forEach(([len, c], i) => {
    for (let k = 0; k < 4; k++) {
      const outC = counts[(i * 3 + k * 7) % counts.length]!;
      const ps = [1, 2, 3, 5].filter((d) => outC % d === 0);
      const p = ps[(i + k) % ps.length]!;
      const fixed = (i + k) % 3 === 0;
      seed++;
      add(denseModel(seed, len, c, outC, p, p > 1 && k % 2 === 0, fixed), `dense ${len}x${c} -> ${outC} p${p}${fixed ? ' fixed input' : ''}`, p > 1 ? [true, false] : [true]);
    }
  });
  // BIN -> BIN reuse layers (run_reuse_bin, batched windows) with rows of 1, 5, 10, 11, 31 words
  const convs: Array<[number, number]> = [[1, 32], [5, 20], [5, 32], [5, 64], [10, 32], [11, 9], [1, 160], [31, 4], [8, 256], [13, 160]];
  convs.forEach(([kw, c], i) => {
    for (const [R, p] of [[16, 4], [5, 3], [16, 1], [33, 2]] as const) {
      seed++;
      const fixed = (i + R) % 3 === 0;
      add(convModel(seed, kw + 3 + (i % 5) * 4, c, kw, R, p, fixed), `conv ${kw}x${c} -> ${p}x${R}${fixed ? ' fixed input' : ''}`, [true, false]);
    }
  });
  return cases;
}

const cases = buildCases();


describe('XNOR rows at the loop edges match the integer reference bit for bit on emulated cores', () => {
  it('covers rows of 1, 5, 10, 15-17, 31-33, 47-49, 64 and 65 words', () => {
    for (const w of [1, 5, 10, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 65]) expect(cases.rowWords.has(w), `${w}-word rows`).toBe(true);
    expect(cases.jobs.length).toBeGreaterThan(100);
  });
  for (const board of EMULATED_BOARDS) for (const opt of ['O2', 'Os', 'Os-small'] as const) {
    it(`${board} -${opt}`, () => {
      expect(jobMismatches(runJobs(board, cases.jobs, { opt }), cases).slice(0, 10)).toEqual([]);
    });
  }
});

/** Wrong variants of the lx106 asm (tbn_rows_xtensa.h): each must change some logits. */
const MUTANTS: Array<[string, string, string]> = [
  ['5-word rows: fours weighted 2 instead of 4', 'addx4 a14, a11, a14', 'addx2 a14, a11, a14'],
  ['5-word rows: input word 4 read from word 3', 'l32i a8, a4, 16', 'l32i a8, a4, 12'],
  ['10-word rows: byte sum b2 + b3 to 7 bits', 'extui a8, a5, 16, 8', 'extui a8, a5, 16, 7'],
  ['10-word rows: eights weighted 4 instead of 8', 'addx2 a11, a7, a11', 'add a11, a7, a11'],
];

describe('the lx106 asm row loop: the cases above catch wrong variants', () => {
  it(`${MUTANTS.length} mutated asm kernels each give wrong logits (lx106 -O2)`, () => {
    for (const [what, from, to] of MUTANTS) expect(mutantMismatches('esp8266', 'tbn_rows_xtensa.h', from, to, cases).length, `mutant "${what}" is caught`).toBeGreaterThan(0);
  }, 120_000);
});

/** Wrong variants of the Harley-Seal loop of long rows (tbn_popcount.h): each must change some logits on every core. */
const CSA_MUTANTS: Array<[string, string, string]> = [
  ['word 15 of a block read from word 14', 'a[14] ^ b[14], a[15] ^ b[15]', 'a[14] ^ b[14], a[15] ^ b[14]'],
  ['eights weighted 4 instead of 8', 'f = tbn__nibble_counts(fours) + 2u * tbn__nibble_counts(eights);', 'f = tbn__nibble_counts(fours) + tbn__nibble_counts(eights);'],
  ['sixteens weighted 8 instead of 16', 'total += tbn__byte_sum(s16) << 4;', 'total += tbn__byte_sum(s16) << 3;'],
];

describe('the long-row carry-save loop: the cases above catch wrong variants', () => {
  for (const board of EMULATED_BOARDS) {
    it(`${CSA_MUTANTS.length} mutated loops each give wrong logits (${board} -O2)`, () => {
      for (const [what, from, to] of CSA_MUTANTS) expect(mutantMismatches(board, 'tbn_popcount.h', from, to, cases).length, `mutant "${what}" is caught`).toBeGreaterThan(0);
    }, 120_000);
  }
});
