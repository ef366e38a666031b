/**
 * More samples at once than the app's ring holds (a SAMPLES frame of up to 119 samples, a Bangle
 * batch of up to 39): the app keeps the newest samples, skips the windows over the ones it could
 * not keep (ERROR 1, overruns counted), never writes outside the ring, and predicts on.
 */
import { describe, expect, it } from 'vitest';
import { loadBoard } from '../../host/boards.ts';
import { HAR_CHANNELS } from '../../host/data/sp-sw-har.ts';
import { readModel } from '../../host/format/reader.ts';
import * as F from '../../host/protocol/frames.ts';
import { runReference } from '../../host/reference/infer.ts';
import { VirtualClock } from '../../host/sim/clock.ts';
import type { SensorReplay } from '../../host/sim/sensor-replay.ts';
import { readBundle, Simulator } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { harShapedModel } from '../sim/har-model.ts';
import { sensorConfig, virtualBoard } from '../sensors/helpers.ts';

const predictions = (ms: F.DeviceMessage[]) => ms.filter((m): m is F.PredictionMessage => m.type === 'prediction');
const errors = (ms: F.DeviceMessage[]) => ms.filter((m): m is F.ErrorMessage => m.type === 'error');

// Window 5, stride 2: the ring holds 5 + 16 = 21 samples.
const WINDOW = 5;
const RING = 21;

describe('a SAMPLES frame longer than the ring', () => {
  it('keeps the newest samples, skips the windows over the rest, and predicts on them bit for bit', async () => {
    const packed = harShapedModel(3, { window: WINDOW, channels: 1 });
    const model = readModel(packed);
    const clock = new VirtualClock();
    const reader = new F.FrameReader();
    const messages: F.DeviceMessage[] = [];
    const sim = Simulator.start({ board: loadBoard('stm32f405'), bundle: readBundle(), model: packed, tbn: await loadWasmTbnModule(), clock, transmit: (b) => reader.push(b, (m) => messages.push(m)) });
    try {
      sim.receive(F.hello());
      clock.runFor(10);
      expect(messages.find((m): m is F.InfoMessage => m.type === 'info')).toMatchObject({ window: WINDOW, stride: 2, ring: RING });
      const n = F.maxSamplesPerFrame(1, 'i16');
      expect(n).toBeGreaterThan(RING + 2);
      const samples = new Float32Array(3 * n);
      for (let k = 0; k < samples.length; k++) samples[k] = Math.round(20 * Math.sin(k / 3));
      sim.receive(F.start(1, false));
      for (let f = 0; f < 3; f++) {
        sim.receive(F.encode(F.samplesFrame(1, f * n, samples, 1, f * n, n, 'i16')));
        clock.runFor(100);
      }
      sim.receive(F.statusRequest());
      clock.runFor(10);
      const c = (messages.at(-1) as F.StatusMessage).counters;
      expect(sim.appErrors()).toEqual([]);
      expect(c.badPayload).toBe(0);
      expect(c.samples).toBe(3 * n);
      // Each frame: the windows ending in its last RING samples are inferred, the others skipped.
      const preds = predictions(messages);
      expect(c.overruns).toBeGreaterThan(0);
      expect(c.predictions).toBe(preds.length);
      expect(errors(messages).filter((e) => e.code === F.P.E_OVERRUN)).toHaveLength(c.overruns);
      expect(c.overruns + c.predictions).toBe(Math.floor((3 * n - WINDOW) / 2) + 1);
      expect(preds.length).toBeGreaterThanOrEqual(3 * Math.floor((RING - WINDOW) / 2));
      for (const p of preds) {
        const ref = runReference(model, samples.subarray(p.endSeq - WINDOW, p.endSeq));
        expect([p.cls, ...p.logits], `window ending ${p.endSeq}`).toEqual([ref.cls, ...ref.logits]);
      }
      expect(preds.at(-1)!.endSeq).toBeGreaterThan(2 * n);
    } finally {
      sim.stop();
    }
  });
});

describe('a Bangle batch longer than the ring (1 s poll at 50 Hz: 39 samples)', () => {
  it('RAW frames keep counting, no exception, overruns counted, predictions go on (int16 counts ring)', async () => {
    const packed = harShapedModel(4, { window: WINDOW, channels: 3 });
    const model = readModel(packed);
    const count = 50 * 12;
    const values = new Float64Array(count * 3);
    for (let k = 0; k < count; k++) {
      values[k * 3] = 9.8 * Math.sin(k / 40);
      values[k * 3 + 1] = 9.8 * Math.cos(k / 40);
      values[k * 3 + 2] = 1.5 * Math.sin(k / 7);
    }
    const replay: SensorReplay = { kind: 'bangle', rateHz: 50, units: ['m/s2', 'm/s2', 'm/s2'], values, count, segments: [{ file: 'synthetic', start: 0, count }] };
    const config = { ...sensorConfig('bangle', HAR_CHANNELS.slice(0, 3), { pollMs: 1000, quant: { mul: model.quantMul, add: model.quantAdd } }), mode: 'both' as const };
    expect(config.input16).toBeDefined();
    const board = virtualBoard({ model: packed, tbn: await loadWasmTbnModule(), config, replay });
    try {
      board.clock.runFor(10_000);
      expect(board.sim.appErrors()).toEqual([]);
      const raws = board.messages.filter((m): m is F.RawMessage => m.type === 'raw');
      let next = 0;
      for (const r of raws) {
        expect(r.seq).toBe(next);
        next += r.count;
      }
      expect(next).toBeGreaterThan(8 * 39);
      expect(Math.max(...raws.map((r) => r.count))).toBe(39);
      board.send(F.statusRequest());
      const c = (board.messages.at(-1) as F.StatusMessage).counters;
      expect(c.sensorSamples).toBe(next);
      expect(c.overruns).toBeGreaterThan(0);
      expect(c.predictions).toBeGreaterThan(8 * Math.floor((RING - WINDOW) / 2) - 1);
      expect(predictions(board.messages).every((p) => p.stream === F.P.SENSOR_STREAM)).toBe(true);
    } finally {
      board.stop();
    }
  });
});
