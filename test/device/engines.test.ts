/**
 * The same bundle on real engines built for Linux, when TBN_ESPRUINO_BIN / TBN_JERRY_BIN name
 * one (as the contract suite does; docs/engines.md builds them): streamed over a socat pty, every
 * prediction equals the integer reference, and garbage does not stop the app.
 */
import { describe, expect, it } from 'vitest';
import { readModel } from '../../host/format/reader.ts';
import { runReference } from '../../host/reference/infer.ts';
import { defaultHarRoot } from '../../host/data/sp-sw-har.ts';
import { startEngineDevice, type EngineKind } from '../../host/sim/engine.ts';
import { readBundle } from '../../host/sim/simulator.ts';
import { DeviceClient } from '../../host/stream/client.ts';
import { dequantiseI16 } from '../../host/protocol/frames.ts';
import { openSerialLink } from '../../host/stream/link.ts';
import { harRecordings } from '../../host/stream/session.ts';
import { syntheticRecordings } from '../../host/demo/run-demo.ts';
import { harShapedModel } from '../sim/har-model.ts';

const engines: Array<[EngineKind, string | undefined]> = [
  ['espruino', process.env.TBN_ESPRUINO_BIN],
  ['jerryscript', process.env.TBN_JERRY_BIN],
];

for (const [kind, bin] of engines) {
  describe.runIf(bin)(`device bundle on ${kind} (${bin})`, () => {
    it('streams recordings bit-exact with the reference and survives garbage', async () => {
      const modelBytes = harShapedModel(5);
      const reference = readModel(modelBytes);
      const root = defaultHarRoot();
      const recordings = (root ? harRecordings('s15', root) : syntheticRecordings(['s15'])).slice(0, 2);
      const dev = await startEngineDevice(kind, bin as string, readBundle(), modelBytes);
      const link = await openSerialLink(dev.hostPath);
      try {
        const client = new DeviceClient(link);
        const info = await client.hello();
        expect(info.modelOk, dev.output()).toBe(true);
        await client.reset();
        let predictions = 0;
        for (const rec of recordings) {
          const r = await client.stream(rec.samples, 6, { mode: 'fast', samplesPerFrame: 4, maxInFlight: 8, stallMs: 20000 });
          const expected = Math.floor((rec.count - 128) / 64) + 1;
          expect(r.predictions.length).toBe(expected);
          for (const p of r.predictions) {
            const ref = runReference(reference, rec.samples.subarray((p.endSeq - 128) * 6, p.endSeq * 6));
            expect([p.cls, ...p.logits]).toEqual([ref.cls, ...ref.logits]);
          }
          predictions += r.predictions.length;
        }
        // int16 samples: the engine scales them by 2^-shift exactly as the host does.
        const rec = recordings[0]!;
        const r16 = await client.stream(rec.samples, 6, { mode: 'fast', format: 'i16', shift: 8, samplesPerFrame: 8, maxInFlight: 8, stallMs: 20000 });
        const x16 = dequantiseI16(rec.samples, 8);
        for (const p of r16.predictions) {
          const ref = runReference(reference, x16.subarray((p.endSeq - 128) * 6, p.endSeq * 6));
          expect([p.cls, ...p.logits]).toEqual([ref.cls, ...ref.logits]);
        }
        predictions += r16.predictions.length;
        link.write(Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 0xff));
        const after = await client.hello();
        expect(after.modelOk).toBe(true);
        const status = await client.status();
        expect(status.counters.predictions).toBe(predictions);
        expect(status.counters.badCrc! + status.counters.badFraming! + status.counters.tooLong!).toBeGreaterThan(0);
      } finally {
        await link.close();
        await dev.close();
      }
    }, 60_000);
  });
}
