/**
 * The CMSIS-NN peer of the board benchmark (boards/bench/cmsis_har.c around
 * ARM's kernels), opt-in like the real engines: CMSIS_NN_DIR names a
 * checkout of ARM-software/CMSIS-NN, compiled under build/ and never
 * committed. Every CMSIS-NN call must return ARM_CMSIS_NN_SUCCESS on the HAR
 * windows, the network must compute something (logits differ between
 * windows), and a truncated weight blob must come back as
 * ARM_CMSIS_NN_ARG_ERROR (-1), so a failing call cannot pass as a count.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModel } from '../../host/format/reader.ts';
import { quantizeInput } from '../../host/reference/quantize.ts';
import { cmsisWeights } from './baselines.ts';
import { harPacked, harTestWindows } from './models.ts';
import { BOARDS_BUILD, type EmulatedBoard, REPO_ROOT, runJobs } from './qemu.ts';

const CMSIS_NN_DIR = process.env.CMSIS_NN_DIR;
const BOARDS: EmulatedBoard[] = ['stm32f405', 'esp32c3'];
const WINDOWS = 3;

describe.skipIf(!CMSIS_NN_DIR)('CMSIS-NN peer (opt-in: runs only when CMSIS_NN_DIR names a CMSIS-NN checkout)', () => {
  const tbn = readModel(harPacked());
  const data = harTestWindows();
  const len = data.shape[0] * data.shape[1] * data.shape[2];
  const xi8 = new Int8Array(WINDOWS * len);
  for (let w = 0; w < WINDOWS; w++) xi8.set(quantizeInput(data.x.subarray(w * len, (w + 1) * len), tbn.quantMul, tbn.quantAdd), w * len);
  const blob = cmsisWeights();

  for (const board of BOARDS) {
    it(`${board}: every call succeeds on the HAR windows; a short weight blob is an argument error`, async () => {
      // asynchronous: the compile takes a minute and must not block the test worker
      await promisify(execFile)('bash', [path.join(REPO_ROOT, 'boards', 'build.sh'), 'cmsis', board, 'O2', CMSIS_NN_DIR!], { maxBuffer: 16 << 20 });
      const dir = path.join(BOARDS_BUILD, board, 'O2-cmsis');
      const objs = readdirSync(dir).filter((f) => f.endsWith('.o')).map((f) => path.join(dir, f));
      const out = runJobs(board, [
        { model: blob, inputs: xi8, inputLen: len, kernel: 'cmsis' },
        { model: blob.subarray(0, blob.length - 64), inputs: xi8.subarray(0, len), inputLen: len, kernel: 'cmsis' },
      ], { count: true, extraObjects: objs });
      const ok = out.jobs[0]!.windows;
      expect(ok.map((w) => w.status)).toEqual(Array(WINDOWS).fill(0));
      expect(new Set(ok.map((w) => w.logits.join())).size).toBeGreaterThan(1);
      expect(out.jobs[1]!.windows[0]!.status).toBe(-1);
      // six layer hooks between the markers: the per-layer table has one count per layer
      expect(out.counts![0]![0]!.layers).toHaveLength(6);
    }, 300_000);
  }
});
