/**
 * The core compiles warning-free (-std=c99 -pedantic -Wall -Wextra -Werror)
 * for every target and needs no division, popcount or 64-bit helper from
 * libgcc (native-modules/build.sh targets).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './harness.ts';

const TARGETS = ['x86-64-gcc', 'x86-64-clang', 'wasm32', 'cortex-m4', 'rv32imc', 'xtensa-lx106', 'xtensa-lx106-int8-only'];

describe('cross-target compile checks', () => {
  it('every target compiles with -Werror and links no forbidden helper', () => {
    const run = spawnSync('bash', [join(repoRoot, 'native-modules/build.sh'), 'targets'], { encoding: 'utf8' });
    const out = `${run.stdout}${run.stderr}`;
    for (const t of TARGETS) expect(out, out).toMatch(new RegExp(`^OK +${t}:`, 'm'));
    expect(out).not.toMatch(/^FAIL/m);
    expect(run.status, out).toBe(0);
    // No helper for division or popcount anywhere; an int8-only lx106 build needs only memcpy/memset.
    expect(out).not.toMatch(/__(u?div|u?mod)[sd]i3|__popcount|__aeabi_[iu]?l?div/);
    expect(out).toMatch(/^OK +xtensa-lx106-int8-only: undefined symbols: memcpy memset\s*$/m);
    expect(out).toMatch(/^OK +cortex-m4: undefined symbols: memcpy memset\s*$/m);
  }, 120_000);
});
