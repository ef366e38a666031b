/**
 * The sensor code on real engines built for Linux, opt-in like test/contract (TBN_ESPRUINO_BIN,
 * TBN_JERRY_BIN): the same bundle, with an ES5 MPU-6050 stand-in as I2C1, boots in record + predict
 * mode; every RAW count is the stand-in's, and every prediction equals the integer reference on
 * those counts in model units.
 */
import { describe, expect, it } from 'vitest';
import { HAR_CHANNELS } from '../../host/data/sp-sw-har.ts';
import { readModel } from '../../host/format/reader.ts';
import * as F from '../../host/protocol/frames.ts';
import { runReference } from '../../host/reference/infer.ts';
import { startEngineDevice, type EngineKind } from '../../host/sim/engine.ts';
import { MPU6050_STANDIN_JS, standInCount } from '../../host/sim/mpu6050-standin.ts';
import { readBundle } from '../../host/sim/simulator.ts';
import { openSerialLink } from '../../host/stream/link.ts';
import { harShapedModel } from '../sim/har-model.ts';
import { sensorConfig } from './helpers.ts';

const engines: Array<[EngineKind, string | undefined]> = [
  ['espruino', process.env.TBN_ESPRUINO_BIN],
  ['jerryscript', process.env.TBN_JERRY_BIN],
];

for (const [kind, bin] of engines) {
  describe.skipIf(!bin)(`sensor code on ${kind} (skipped unless TBN_${kind === 'espruino' ? 'ESPRUINO' : 'JERRY'}_BIN names a Linux build)`, () => {
    it('reads the MPU-6050 stand-in: RAW counts and predictions exact', async () => {
      const modelBytes = harShapedModel(9);
      const model = readModel(modelBytes);
      const W = model.inShape[1];
      const config = { ...sensorConfig('mpu6050', HAR_CHANNELS), mode: 'both' as const };
      const dev = await startEngineDevice(kind, bin as string, MPU6050_STANDIN_JS + readBundle(), modelBytes, { config: { sensor: config } });
      const link = await openSerialLink(dev.hostPath);
      const messages: F.DeviceMessage[] = [];
      const reader = new F.FrameReader();
      link.onData((b) => reader.push(b, (m) => messages.push(m)));
      try {
        await new Promise((r) => setTimeout(r, 7000));
        const errors = messages.filter((m) => m.type === 'error');
        expect(errors, dev.output()).toEqual([]);
        const raws = messages.filter((m): m is F.RawMessage => m.type === 'raw');
        // Frames sent before the host opened its end of the pty are gone: start at the first one seen.
        let next = raws[0]?.seq ?? 0;
        const first = next;
        const bad: string[] = [];
        for (const r of raws) {
          expect(r.seq).toBe(next);
          for (let i = 0; i < r.count; i++) for (let c = 0; c < 6; c++) if (r.samples[i * 6 + c] !== standInCount(r.seq + i, c)) bad.push(`${r.seq + i}/${c}`);
          next += r.count;
        }
        expect(bad).toEqual([]);
        expect(next - first, `${messages.length} messages: ${JSON.stringify(messages.slice(0, 5))}\n${dev.output()}`).toBeGreaterThan(250);
        const preds = messages.filter((m): m is F.PredictionMessage => m.type === 'prediction');
        expect(preds.length).toBeGreaterThanOrEqual(2);
        for (const p of preds) {
          const x = new Float32Array(W * 6);
          for (let k = 0; k < W; k++) for (let c = 0; c < 6; c++) x[k * 6 + c] = standInCount(p.endSeq - W + k, config.channels[c]!.src) * config.channels[c]!.scale;
          const ref = runReference(model, x);
          expect([p.stream, p.cls, ...p.logits]).toEqual([F.P.SENSOR_STREAM, ref.cls, ...ref.logits]);
        }
        console.log(`${kind}: ${next - first} samples read from the stand-in in ${raws.length} RAW frames, ${preds.length} predictions, all exact`);
      } finally {
        await link.close();
        await dev.close();
      }
    }, 30_000);
  });
}
