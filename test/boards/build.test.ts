/**
 * Cross-builds and static properties of the kernel on every emulated core:
 * warning-free with -Wall -Wextra -Werror at -O2 and -Os, no heap, no division
 * helpers (Debian's lx106 libgcc has none), no global state, bounded stack;
 * our lx106 soft-float helpers equal the host FPU bit for bit.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelFootprint } from './footprint.ts';
import { BOARDS_BUILD, EMULATED_BOARDS, REPO_ROOT, requireBoard } from './qemu.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tbn-boards-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KERNEL_DIR = path.join(REPO_ROOT, 'native-modules', 'core');
const HARNESS_SOURCES = ['boards/harness/harness.c', 'boards/harness/libc_min.c'];
const BOARD_SOURCES: Record<string, string[]> = {
  stm32f405: ['boards/stm32f405/startup.c'],
  esp32c3: ['boards/esp32c3/io.c'],
  esp8266: ['boards/esp8266/io.c', 'boards/esp8266/softfloat.c'],
};

/** What the kernel may take from outside itself: string.h, and libgcc helpers that exist on every target. */
const ALLOWED_EXTERNALS = new Set([
  'memcpy', 'memset', 'memmove', 'memcmp',
  '__popcountsi2', '__mulsi3', '__clzsi2', '__ctzsi2',
  '__addsf3', '__subsf3', '__mulsf3', '__floatsisf', '__floatunsisf', '__fixsfsi', '__fixunssfsi',
  '__eqsf2', '__nesf2', '__gesf2', '__gtsf2', '__lesf2', '__ltsf2', '__unordsf2',
]);

describe('kernel cross-builds', () => {
  for (const board of EMULATED_BOARDS) {
    it(`${board}: kernel and harness compile warning-free with -Werror at -O2 and -Os`, () => {
      requireBoard(board);
      const flags = execFileSync('bash', [path.join(REPO_ROOT, 'boards', 'build.sh'), 'flags', board], { encoding: 'utf8' }).trim().split(/\s+/);
      const [cc, ...cflags] = flags;
      expect(cflags).toEqual(expect.arrayContaining(['-Wall', '-Wextra', '-Werror', '-ffp-contract=off']));
      const kernel = readdirSync(KERNEL_DIR).filter((f) => f.endsWith('.c')).map((f) => path.join(KERNEL_DIR, f));
      expect(kernel.length).toBeGreaterThan(0);
      const sources = [...kernel, ...[...HARNESS_SOURCES, ...BOARD_SOURCES[board]!].map((s) => path.join(REPO_ROOT, s))];
      for (const opt of ['-O2', '-Os']) {
        for (const src of sources) {
          const r = spawnSync(cc!, [...cflags, opt, `-I${path.join(REPO_ROOT, 'native-modules')}`, `-I${path.join(REPO_ROOT, 'boards', 'harness')}`,
            '-isystem', path.join(REPO_ROOT, 'boards', 'harness', 'include'), '-c', src, '-o', path.join(tmp, `${board}-${path.basename(src)}${opt}.o`)], { encoding: 'utf8' });
          expect({ src: path.relative(REPO_ROOT, src), opt, status: r.status, stderr: r.stderr }).toEqual({ src: path.relative(REPO_ROOT, src), opt, status: 0, stderr: '' });
        }
      }
    });

    it(`${board}: kernel uses no heap, no division helpers, no global state, and a bounded stack`, () => {
      for (const opt of ['O2', 'Os'] as const) {
        const f = kernelFootprint(board, opt);
        const foreign = f.undefinedSymbols.filter((s) => !ALLOWED_EXTERNALS.has(s));
        expect({ opt, foreign }).toEqual({ opt, foreign: [] });
        expect(f.undefinedSymbols.filter((s) => /alloc|free|sbrk|div|mod/.test(s))).toEqual([]);
        expect({ opt, data: f.data, bss: f.bss }).toEqual({ opt, data: 0, bss: 0 });
        expect(f.stackDynamic).toBe(false);
        expect(f.stackBytes).toBeGreaterThan(0);
        expect(f.text).toBeGreaterThan(0);
      }
    });
  }

  it('lx106 soft-float helpers equal the host FPU bit for bit (add, sub, mul, int to float)', () => {
    const exe = path.join(BOARDS_BUILD, 'softfloat_check');
    execFileSync('gcc', ['-O2', '-ffp-contract=off', '-Wall', '-Wextra', '-Werror', '-o', exe, path.join(REPO_ROOT, 'test', 'boards', 'softfloat_check.c'), '-lm']);
    const r = spawnSync(exe, { encoding: 'utf8' });
    expect(r.stdout.trim()).toMatch(/^ok \d{7,}$/);
    expect(r.status).toBe(0);
  });
});
