/**
 * The trained HAR model (test/fixtures/models/har-tbn4.ckpt.json, packed by
 * host/format/pack.ts) over the checkpoint's test subjects (s15-s18, 294
 * windows of float sensor data) on the three emulated cores: logits and
 * classes bit for bit equal to the TypeScript integer reference, with row
 * reuse on (as packed) and off.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../host/data/dataset.ts';
import { readModel } from '../../host/format/reader.ts';
import { runReference } from '../../host/reference/infer.ts';
import { harPacked, harTestWindows } from './models.ts';
import { EMULATED_BOARDS, runJobs } from './qemu.ts';

let data: Dataset;
let model: Uint8Array;
let expected: { cls: number; logits: string }[];
let len: number;

beforeAll(() => {
  data = harTestWindows();
  model = harPacked();
  const m = readModel(model);
  len = data.shape[0] * data.shape[1] * data.shape[2];
  expected = [];
  for (let i = 0; i < data.count; i++) {
    const r = runReference(m, data.x.subarray(i * len, (i + 1) * len));
    expected.push({ cls: r.cls, logits: Array.from(r.logits).join(',') });
  }
});

describe('trained HAR model on emulated cores', () => {
  it('has at least 200 test windows and a model that uses tiling with reuse', () => {
    expect(data.count).toBeGreaterThanOrEqual(200);
    const m = readModel(model);
    expect(m.layers.some((l) => l.p > 1 && l.reuse)).toBe(true);
  });

  for (const board of EMULATED_BOARDS) {
    it(`${board}: every window's logits equal the reference, reuse on and off, and with the size-first kernel`, () => {
      // Two images: 294 float windows (903 KB) nearly fill the 1 MB of flash.
      const jobs = [
        runJobs(board, [{ model, inputs: data.x, inputLen: len, reuse: true }]).jobs[0]!,
        runJobs(board, [{ model, inputs: data.x.subarray(0, 40 * len), inputLen: len, reuse: false }]).jobs[0]!,
        // the size-first kernel (-DTBN_SMALL -Os)
        runJobs(board, [{ model, inputs: data.x.subarray(0, 40 * len), inputLen: len, reuse: true }], { opt: 'Os-small' }).jobs[0]!,
      ];
      const out = { jobs };
      const bad: string[] = [];
      out.jobs.forEach((job, j) => {
        expect(job.openStatus).toBe(0);
        job.windows.forEach((w, i) => {
          const e = expected[i]!;
          if (w.status !== 0 || w.cls !== e.cls || w.logits.join(',') !== e.logits)
            bad.push(`job ${j} window ${i}: status ${w.status} class ${w.cls} [${w.logits}] expected ${e.cls} [${e.logits}]`);
        });
      });
      expect(out.jobs[0]!.windows.length).toBe(data.count);
      expect(out.jobs[1]!.windows.length).toBe(40);
      expect(out.jobs[2]!.windows.length).toBe(40);
      expect(bad.slice(0, 5)).toEqual([]);
    });
  }
});
