/**
 * The instruction counts of our QEMU TCG plugin (boards/plugin/tbn_count.c)
 * are exact: its total equals an independent count (QEMU's -singlestep
 * execution log, one "Trace" line per guest instruction), reruns give the
 * same numbers, and the per-layer counts add up inside the per-inference one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomInput, randomPackedModel } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import { EMULATED_BOARDS, qemuArgs, runJobs } from './qemu.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tbn-counts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bytes = randomPackedModel(4242, { maxMacs: 6000, maxHidden: 3 });
const model = readModel(bytes);
const len = model.inShape.reduce((a, b) => a * b, 1);
const inputs = new Int8Array(2 * len);
inputs.set(randomInput(1, model, 'i8') as Int8Array, 0);
inputs.set(randomInput(2, model, 'i8') as Int8Array, len);

describe('instruction counts', () => {
  for (const board of EMULATED_BOARDS) {
    it(`${board}: plugin total equals the -singlestep execution log; reruns agree; layers add up`, () => {
      const first = runJobs(board, [{ model: bytes, inputs, inputLen: len }], { count: true, keep: true });
      const again = runJobs(board, [{ model: bytes, inputs, inputLen: len }], { count: true });
      expect(again.counts).toEqual(first.counts);
      expect(again.totalInstructions).toBe(first.totalInstructions);

      const { cmd, args } = qemuArgs(board, first.elfPath);
      const log = path.join(tmp, `${board}.log`);
      const r = spawnSync(cmd, ['-singlestep', '-d', 'exec,nochain', '-D', log, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(0);
      const traced = readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('Trace')).length;
      expect(first.totalInstructions).toBe(traced);

      const per = first.counts![0]!;
      expect(per).toHaveLength(2);
      for (const c of per) {
        expect(c.layers).toHaveLength(model.layers.length);
        const sum = c.layers.reduce((a, b) => a + b, 0);
        expect(c.layers.every((n) => n > 0)).toBe(true);
        expect(sum).toBeLessThanOrEqual(c.total);
        expect(c.total).toBeLessThan(first.totalInstructions!);
      }
      rmSync(path.dirname(first.elfPath), { recursive: true, force: true });
    });
  }
});
