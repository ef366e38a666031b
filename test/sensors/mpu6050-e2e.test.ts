/**
 * End to end through the emulated MPU-6050: every s15-s18 recording replayed at the sensor's own
 * rate on a virtual clock, the device bundle reading the FIFO over the emulated I2C bus and predicting
 * on its own, twice:
 * - int16 path (tbn.cfg with sensor.input16, what `tbn build --sensor` writes): a ring of raw counts
 *   requantised by the kernel (TBN_INPUT_I16); every prediction equals the reference's int16 path on
 *   the same counts and triples, bit for bit;
 * - float path (a tbn.cfg without input16, as older builds wrote): counts converted to model units
 *   (Math.fround(count * scale)); every prediction equals the reference on those floats, bit for bit.
 * Accuracy within one point of `tbn eval`'s (float samples, same windows) for both: the int16
 * requantisation differs from the float one by at most one int8 step, on fewer than 1% of elements
 * (test/kernel/int16-input.test.ts), so only windows whose logits nearly tie can change class.
 */
import { describe, expect, it } from 'vitest';
import { defaultHarRoot, HAR_CHANNELS } from '../../host/data/sp-sw-har.ts';
import { readModel } from '../../host/format/reader.ts';
import * as F from '../../host/protocol/frames.ts';
import { runReference, runReferenceInt16 } from '../../host/reference/infer.ts';
import { toCount, type Unit } from '../../host/sensors/spec.ts';
import { replayFromRecordings, sensorActualRate } from '../../host/sim/sensor-replay.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { harRecordings } from '../../host/stream/session.ts';
import { harFixture, sensorConfig, virtualBoard } from './helpers.ts';

const root = defaultHarRoot();

const classesByPath = new Map<string, number[]>();

describe.skipIf(root === undefined)('MPU-6050 end to end (skipped: sp-sw-har data not at ../shared/data/sp-sw-har)', () => {
  for (const path of ['int16', 'float'] as const)
  it(`${path} path: replays s15-s18 through the emulated FIFO: predictions = reference bit for bit, accuracy = tbn eval within 1 point`, async () => {
    const packed = harFixture();
    const model = readModel(packed);
    const W = model.inShape[1];
    const C = model.inShape[2];
    const stride = W / 2;
    const config = sensorConfig('mpu6050', HAR_CHANNELS, path === 'int16' ? { quant: { mul: model.quantMul, add: model.quantAdd } } : {});
    expect(config.input16 !== undefined).toBe(path === 'int16');
    // the triples tbn build writes (the float-path run compares against them only to show the paths differ)
    const params = Int32Array.from(sensorConfig('mpu6050', HAR_CHANNELS, { quant: { mul: model.quantMul, add: model.quantAdd } }).input16!);
    const rate = sensorActualRate('mpu6050', config.rateHz, config.dlpf);
    expect(rate).toBe(50);
    const recordings = harRecordings('s15-s18', root, rate);
    const replay = replayFromRecordings('mpu6050', recordings, rate);
    const board = virtualBoard({ model: packed, tbn: await loadWasmTbnModule(), config: { ...config, mode: 'off' }, replay });
    const { clock, messages } = board;
    clock.runFor(200); // reset and configuration
    const ranges = { accelRangeG: config.accelRangeG as number, gyroRangeDps: config.gyroRangeDps as number };
    const units: Unit[] = HAR_CHANNELS.map((n) => (n.endsWith('_acc') ? 'm/s2' : 'rad/s'));
    let compared = 0;
    let deviceCorrect = 0;
    let evalCorrect = 0;
    let windows = 0;
    let pathsDiffer = 0;
    const mismatches: string[] = [];
    try {
      for (const [i, seg] of replay.segments.entries()) {
        const rec = recordings[i]!;
        board.send(F.sensorMode(F.P.MODE_OFF));
        board.sensor.cursor.select(seg.start, seg.count);
        const from = messages.length;
        board.send(F.sensorMode(F.P.MODE_PREDICT));
        clock.runFor((seg.count / rate) * 1000 + 400);
        const got = messages.slice(from);
        expect(got.filter((m) => m.type === 'error'), rec.file).toEqual([]);
        const preds = got.filter((m): m is F.PredictionMessage => m.type === 'prediction');
        const expected = Math.floor((seg.count - W) / stride) + 1;
        expect(preds.map((p) => p.endSeq), rec.file).toEqual(Array.from({ length: expected }, (_, k) => W + k * stride));
        for (const p of preds) {
          expect(p.stream).toBe(F.P.SENSOR_STREAM);
          // The reference input: the recording's values as int16 counts at the configured range, times the config's scale, in float32.
          const x = new Float32Array(W * C);
          const counts = new Int16Array(W * C);
          const xf = new Float32Array(W * C);
          for (let k = 0; k < W; k++) {
            const s = p.endSeq - W + k;
            for (let c = 0; c < C; c++) {
              const m = config.channels[c]!;
              const v = rec.samples[s * 6 + m.src] as number;
              counts[k * C + c] = toCount(v, 'mpu6050', units[m.src]!, ranges);
              x[k * C + c] = counts[k * C + c]! * m.scale;
              xf[k * C + c] = rec.samples[s * C + c] as number;
            }
          }
          const ref = path === 'int16' ? runReferenceInt16(model, counts, params) : runReference(model, x);
          classesByPath.set(path, [...(classesByPath.get(path) ?? []), p.cls]);
          // the two paths' logits differ (other int8 values): matching one of them says which path ran
          if (Array.from(runReference(model, x).logits).join() !== Array.from(runReferenceInt16(model, counts, params).logits).join()) pathsDiffer++;
          if (p.cls !== ref.cls || Array.from(p.logits).join() !== Array.from(ref.logits).join()) {
            mismatches.push(`${rec.file} window ending ${p.endSeq}: device ${p.cls} [${p.logits}] vs reference ${ref.cls} [${ref.logits}]`);
          }
          compared++;
          const truth = rec.labels[p.endSeq - W + (W >> 1)];
          if (p.cls === truth) deviceCorrect++;
          // tbn eval's view of the same window: the float samples, unquantised.
          if (runReference(model, xf).cls === truth) evalCorrect++;
          windows++;
        }
      }
      const devAcc = deviceCorrect / windows;
      const evalAcc = evalCorrect / windows;
      console.log(`MPU-6050 replay of s15-s18, ${path} path: ${windows} windows, device (int16 counts at ±${ranges.accelRangeG} g / ±${ranges.gyroRangeDps} deg/s) ${(100 * devAcc).toFixed(2)}%, tbn eval (float) ${(100 * evalAcc).toFixed(2)}%`);
      const other = classesByPath.get(path === 'int16' ? 'float' : 'int16');
      const mine = classesByPath.get(path)!;
      if (other && other.length === mine.length) console.log(`  int16 and float device paths disagree on ${mine.filter((c, k) => c !== other[k]).length} of ${mine.length} windows`);
      expect(mismatches).toEqual([]);
      // ~30% of windows (93 of 294 when written): enough that bit-exactness pins which path ran
      expect(pathsDiffer, 'windows whose float-path and int16-path logits differ').toBeGreaterThanOrEqual(10);
      expect(compared).toBe(windows);
      expect(Math.abs(devAcc - evalAcc)).toBeLessThanOrEqual(0.01);
      board.send(F.statusRequest());
      const status = messages.at(-1) as F.StatusMessage;
      expect(status.type).toBe('status');
      expect(status.counters.sensorLost).toBe(0);
      expect(status.counters.sensorOverflows).toBe(0);
      expect(status.counters.sensorSamples).toBe(replay.count);
      expect(board.sensor.mpu!.stats.emptyReads).toBe(0);
      expect(board.sim.appErrors()).toEqual([]);
    } finally {
      board.stop();
    }
  });
});
