/**
 * The size-first kernel variant (-DTBN_SMALL: no subset-sum tables, no
 * two-row or unrolled passes, one loop per layer kind) gives the TypeScript
 * reference's integers, bit for bit, on random models with reuse on and off
 * (native harness, ASan + UBSan), and compiles warning-free for Cortex-M4,
 * RV32IMC and lx106 without division/popcount helpers. The test builds the
 * variant itself (build/native/small/).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomInput, randomPackedModel } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import { type BatchCase, nativeDir, referenceResults, repoRoot, runNativeBatch } from './harness.ts';

const MODELS = 520; // the seeds whose coverage random-models.test.ts asserts

interface Case {
  seed: number;
  batch: BatchCase[];
  expected: { cls: number; logits: number[] }[][];
}

const cases: Case[] = [];
const CORE = ['native-modules/core/tbn_open.c', 'native-modules/core/tbn_run.c'];
const WARN = ['-std=c99', '-pedantic', '-Wall', '-Wextra', '-Werror', '-ffp-contract=off', '-DTBN_SMALL'];
const binary = 'small/tbn_cli_asan';

function compile(cc: string, args: string[]): string {
  const run = spawnSync(cc, args, { cwd: repoRoot, encoding: 'utf8' });
  if (run.error) throw new Error(`${cc} not found (${run.error.message})`);
  if (run.status !== 0) throw new Error(`${cc} ${args.join(' ')} failed:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

beforeAll(() => {
  mkdirSync(join(nativeDir, 'small'), { recursive: true });
  compile('clang', ['-O1', '-g', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
    ...WARN, ...CORE, 'native-modules/host/tbn_cli.c', '-o', join(nativeDir, binary)]);
  for (let seed = 1; seed <= MODELS; seed++) {
    const bytes = randomPackedModel(seed);
    const model = readModel(bytes);
    const f32 = [randomInput(seed + 300000, model, 'f32')] as Float32Array[];
    const i8 = [randomInput(seed + 400000, model, 'i8'), randomInput(seed + 500000, model, 'i8')] as Int8Array[];
    cases.push({
      seed,
      batch: [{ model: bytes, inputs: f32 }, { model: bytes, inputs: i8 }],
      expected: [referenceResults(model, f32), referenceResults(model, i8)],
    });
  }
});

describe('TBN_SMALL kernel = TypeScript reference, bit for bit', () => {
  it('compiles warning-free for Cortex-M4, RV32IMC and lx106 and needs only memcpy/memset (int8 input)', () => {
    const targets: [string, string, string[]][] = [
      ['arm-none-eabi-gcc', 'arm-none-eabi-nm', ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16', '-DTBN_NO_F32_INPUT']],
      ['riscv64-unknown-elf-gcc', 'riscv64-unknown-elf-nm', ['-march=rv32imc', '-mabi=ilp32', '-ffreestanding', '-isystem', 'native-modules/host/freestanding-include', '-DTBN_NO_F32_INPUT']],
      ['xtensa-lx106-elf-gcc', 'xtensa-lx106-elf-nm', ['-mlongcalls', '-ffreestanding', '-isystem', 'native-modules/host/freestanding-include', '-DTBN_NO_F32_INPUT']],
    ];
    for (const [cc, nm, flags] of targets) {
      const objs = CORE.map((src) => {
        const obj = join(nativeDir, 'small', `${cc}-${src.split('/').pop()}.o`);
        compile(cc, [...flags, ...WARN, '-Os', '-c', src, '-o', obj]);
        return obj;
      });
      const defined = new Set(compile(nm, ['--defined-only', ...objs]).split('\n').map((l) => l.trim().split(/\s+/)[2]).filter(Boolean));
      const undefinedSyms = new Set(compile(nm, ['-u', ...objs]).split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '')
        .filter((x) => x && !x.endsWith(':') && !defined.has(x)));
      expect([...undefinedSyms].sort(), cc).toEqual(['memcpy', 'memset']);
    }
  }, 60_000);

  for (const reuse of [true, false]) {
    it(`native, reuse ${reuse ? 'on' : 'off'}`, () => {
      const results = runNativeBatch(cases.flatMap((c) => c.batch), { reuse, binary });
      cases.forEach((c, k) => {
        for (let j = 0; j < 2; j++) {
          const r = results[2 * k + j];
          expect(r?.status, `seed ${c.seed}`).toBe(0);
          expect(r?.outputs, `seed ${c.seed}`).toEqual(c.expected[j]);
        }
      });
    });
  }
});
