/**
 * End to end through the emulated Bangle.js accelerometer: a small 3-channel model trained here on
 * the accelerometer columns of sp-sw-har, s15-s18 replayed through Bangle.on('accel') at 50 Hz on a
 * virtual clock, on the int16 path (tbn.cfg with sensor.input16, as `tbn build --sensor bangle` writes
 * it: a ring of raw counts the kernel requantises). Every prediction equals the integer reference's
 * int16 path on the same counts (1/8192 g) and triples; accuracy within one point of the float
 * samples' on the same windows (the requantisation is within one int8 step of the float path's).
 */
import { describe, expect, it } from 'vitest';
import { defaultHarRoot, loadSpSwHar } from '../../host/data/sp-sw-har.ts';
import { packModel } from '../../host/format/pack.ts';
import { readModel } from '../../host/format/reader.ts';
import * as F from '../../host/protocol/frames.ts';
import { runReference, runReferenceInt16 } from '../../host/reference/infer.ts';
import { toCount } from '../../host/sensors/spec.ts';
import { replayFromRecordings, sensorActualRate } from '../../host/sim/sensor-replay.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { harRecordings } from '../../host/stream/session.ts';
import { exportFloatModel } from '../../host/train/export.ts';
import { trainVariants } from '../../host/train/session.ts';
import { sensorConfig, virtualBoard } from './helpers.ts';

const root = defaultHarRoot();
const ACC = ['x_acc', 'y_acc', 'z_acc'];

describe.skipIf(root === undefined)('Bangle.js accelerometer end to end (skipped: sp-sw-har data not at ../shared/data/sp-sw-har)', () => {
  it('a 3-channel model on the watch: predictions = reference bit for bit, accuracy = float within 1 point', async () => {
    const subjects = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => `s${String(a + i).padStart(2, '0')}`);
    const load = (s: string[]) => loadSpSwHar({ root: root as string, subjects: s, channels: ACC });
    const splits = { train: load(subjects(1, 11)), val: load(subjects(12, 13)), test: load(subjects(15, 18)) };
    const [trained] = trainVariants(splits, {
      arch: 'conv1d:16x5/2 conv1d:32x5/2 gap', variants: ['bnn'], activation: 'sign', alpha: 'weight', p: 1, minTileSize: 64000,
      epochs: 4, batch: 32, lrs: [3e-3], weightDecay: 1e-4, seed: 1,
    });
    const packed = packModel(exportFloatModel(trained!.checkpoint));
    const model = readModel(packed);
    const W = model.inShape[1];
    expect(model.inShape[2]).toBe(3);
    const stride = W / 2;

    const config = sensorConfig('bangle', ACC, { quant: { mul: model.quantMul, add: model.quantAdd } });
    const params = Int32Array.from(config.input16!);
    expect(params.length).toBe(9);
    const rate = sensorActualRate('bangle', config.rateHz);
    const recordings = harRecordings('s15-s18', root, rate);
    const replay = replayFromRecordings('bangle', recordings, rate);
    const board = virtualBoard({ model: packed, tbn: await loadWasmTbnModule(), config: { ...config, mode: 'off' }, replay, board: 'stm32f405' });
    const { clock, messages } = board;
    let windows = 0;
    let deviceCorrect = 0;
    let floatCorrect = 0;
    const mismatches: string[] = [];
    try {
      clock.runFor(100);
      for (const [i, seg] of replay.segments.entries()) {
        const rec = recordings[i]!;
        const from = messages.length;
        board.sensor.cursor.select(seg.start, seg.count);
        board.send(F.sensorMode(F.P.MODE_PREDICT));
        clock.runFor((seg.count / rate) * 1000 + 300);
        board.send(F.sensorMode(F.P.MODE_OFF));
        const got = messages.slice(from);
        expect(got.filter((m) => m.type === 'error'), rec.file).toEqual([]);
        const preds = got.filter((m): m is F.PredictionMessage => m.type === 'prediction');
        expect(preds.map((p) => p.endSeq), rec.file).toEqual(Array.from({ length: Math.floor((seg.count - W) / stride) + 1 }, (_, k) => W + k * stride));
        for (const p of preds) {
          const counts = new Int16Array(W * 3);
          const xf = new Float32Array(W * 3);
          for (let k = 0; k < W; k++) {
            const s = p.endSeq - W + k;
            for (let c = 0; c < 3; c++) {
              const m = config.channels[c]!;
              counts[k * 3 + c] = toCount(rec.samples[s * 6 + m.src] as number, 'bangle', 'm/s2');
              xf[k * 3 + c] = rec.samples[s * 6 + c] as number;
            }
          }
          const ref = runReferenceInt16(model, counts, params);
          if (p.cls !== ref.cls || Array.from(p.logits).join() !== Array.from(ref.logits).join()) mismatches.push(`${rec.file} @${p.endSeq}: ${p.cls} [${p.logits}] vs ${ref.cls} [${ref.logits}]`);
          const truth = rec.labels[p.endSeq - W + (W >> 1)];
          if (p.cls === truth) deviceCorrect++;
          if (runReference(model, xf).cls === truth) floatCorrect++;
          windows++;
        }
      }
      const dev = deviceCorrect / windows;
      const flt = floatCorrect / windows;
      console.log(`Bangle.js replay of s15-s18 (3-channel BNN, 4 epochs; trainer's test accuracy ${(100 * trained!.test.accuracy).toFixed(2)}%): ${windows} windows, device (counts of 1/8192 g) ${(100 * dev).toFixed(2)}%, tbn eval (float) ${(100 * flt).toFixed(2)}%`);
      expect(mismatches).toEqual([]);
      expect(windows).toBe(splits.test.count);
      expect(Math.abs(dev - flt)).toBeLessThanOrEqual(0.01);
      expect(board.sensor.bangle!.pollMs).toBe(20);
      expect(12.5 * 2 ** board.sensor.bangle!.odrCode).toBeGreaterThanOrEqual(50);
      expect(board.sim.appErrors()).toEqual([]);
    } finally {
      board.stop();
    }
  });
});
