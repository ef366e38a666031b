/**
 * End to end through the real serial path: stream client -> serialport -> socat pty ->
 * simulator -> ES5 bundle in node:vm -> wasm kernel, and back. Every prediction must
 * equal the TypeScript integer reference for the same window, bit for bit, none lost.
 */
import { describe, expect, it } from 'vitest';
import { loadBoard } from '../../host/boards.ts';
import { readModel } from '../../host/format/reader.ts';
import { runReference } from '../../host/reference/infer.ts';
import { defaultHarRoot } from '../../host/data/sp-sw-har.ts';
import { startPtySimulator } from '../../host/sim/serve.ts';
import { readBundle } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { openSerialLink } from '../../host/stream/link.ts';
import { harRecordings, streamRecordings } from '../../host/stream/session.ts';
import { harShapedModel } from './har-model.ts';

describe('tbn stream -> pty -> simulator -> bundle -> wasm kernel', () => {
  it('streams s15-s18 and every prediction equals the integer reference bit for bit', async () => {
    const root = defaultHarRoot();
    if (root === undefined) throw new Error('sp-sw-har data missing: expected ../shared/data/sp-sw-har beside the repository');
    const recordings = harRecordings('s15-s18', root);
    expect(recordings.length).toBeGreaterThanOrEqual(40);
    const modelBytes = harShapedModel(7);
    const reference = readModel(modelBytes);
    const W = reference.inShape[1];
    const C = reference.inShape[2];
    const ps = await startPtySimulator({ board: loadBoard('stm32f405'), bundle: readBundle(), model: modelBytes, tbn: await loadWasmTbnModule() });
    const link = await openSerialLink(ps.hostPath);
    let compared = 0;
    const mismatches: string[] = [];
    try {
      const report = await streamRecordings(link, recordings, {
        mode: 'fast',
        samplesPerFrame: 4,
        onRecording: (rec, result) => {
          const expected = Math.floor((rec.count - W) / (W / 2)) + 1;
          expect(result.missing + result.overruns.length, rec.file).toBe(0);
          expect(result.predictions.map((p) => p.endSeq), rec.file).toEqual(Array.from({ length: expected }, (_, k) => W + (k * W) / 2));
          for (const p of result.predictions) {
            const window = rec.samples.slice((p.endSeq - W) * C, p.endSeq * C);
            const ref = runReference(reference, window);
            if (p.cls !== ref.cls || Array.from(p.logits).join() !== Array.from(ref.logits).join()) {
              mismatches.push(`${rec.file} window ending ${p.endSeq}: device ${p.cls} [${p.logits}] vs reference ${ref.cls} [${ref.logits}]`);
            }
            compared++;
          }
        },
      });
      expect(mismatches).toEqual([]);
      expect(compared).toBe(report.expected);
      expect(report.predictions).toBe(report.expected);
      const c = report.deviceCounters;
      expect(c.predictions).toBe(report.expected);
      expect([c.badCrc, c.badFraming, c.tooLong, c.badPayload, c.seqGaps, c.overruns, c.droppedSamples, c.inferenceErrors]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      expect(report.hostReceiveErrors).toEqual({ badCrc: 0, badFraming: 0, tooLong: 0 });
      expect(c.samples).toBe(recordings.reduce((s, r) => s + r.count, 0));
      expect(ps.sim.appErrors()).toEqual([]);
    } finally {
      await link.close();
      await ps.close();
    }
  });
});
