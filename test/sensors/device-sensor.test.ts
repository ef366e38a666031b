/**
 * The device app on its own sensor, in the simulator on a virtual clock: no sensor or a wrong
 * WHO_AM_I, FIFO overflow under a throttled kernel, the prediction event for user code, RAW frames in
 * record mode, and INFO with labels too long for one frame (issue 16, finding 2).
 */
import { describe, expect, it } from 'vitest';
import { loadBoard } from '../../host/boards.ts';
import { defaultHarRoot, HAR_CHANNELS } from '../../host/data/sp-sw-har.ts';
import { readModel } from '../../host/format/reader.ts';
import * as F from '../../host/protocol/frames.ts';
import { runReference } from '../../host/reference/infer.ts';
import { startInProcess } from '../../host/sim/in-process.ts';
import { replayFromRecordings, sensorActualRate, type SensorReplay } from '../../host/sim/sensor-replay.ts';
import { readBundle } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule, type TbnModuleLike } from '../../host/sim/tbn-module.ts';
import { DeviceClient } from '../../host/stream/client.ts';
import { harRecordings } from '../../host/stream/session.ts';
import { harShapedModel } from '../sim/har-model.ts';
import { modelChannels } from '../../host/sim/sensor-setup.ts';
import { harFixture, sensorConfig, virtualBoard } from './helpers.ts';

const root = defaultHarRoot();
const errors = (ms: F.DeviceMessage[]) => ms.filter((m): m is F.ErrorMessage => m.type === 'error');
const predictions = (ms: F.DeviceMessage[]) => ms.filter((m): m is F.PredictionMessage => m.type === 'prediction');

/** A few seconds of a slowly turning wrist, for tests that need no real data. */
function syntheticReplay(kind: 'mpu6050' | 'bangle', count: number): SensorReplay {
  const R = kind === 'mpu6050' ? 6 : 3;
  const values = new Float64Array(count * R);
  for (let k = 0; k < count; k++) {
    values[k * R] = 9.8 * Math.sin(k / 40);
    values[k * R + 1] = 9.8 * Math.cos(k / 40);
    values[k * R + 2] = 1.5 * Math.sin(k / 7);
    if (R === 6) for (let c = 3; c < 6; c++) values[k * R + c] = 0.8 * Math.sin(k / (5 + c));
  }
  return { kind, rateHz: 50, units: kind === 'mpu6050' ? ['m/s2', 'm/s2', 'm/s2', 'rad/s', 'rad/s', 'rad/s'] : ['m/s2', 'm/s2', 'm/s2'], values, count, segments: [{ file: 'synthetic', start: 0, count }] };
}

describe('no sensor, or not an MPU-6050: ERROR 6, and nothing runs', () => {
  const cases = [
    { name: 'nothing on the bus (the bus throws)', whoAmI: 'absent' as const, absentBus: 'throw' as const, arg: 0xffffffff, text: 'no MPU-6050 answered at I2C address 0x68' },
    { name: 'nothing on the bus (pull-ups read 0xFF)', whoAmI: 'absent' as const, absentBus: 'ones' as const, arg: 0xff, text: 'WHO_AM_I is 0xff, an MPU-6050 says 0x68' },
    { name: 'an MPU-6500 (WHO_AM_I 0x70)', whoAmI: 0x70, absentBus: 'throw' as const, arg: 0x70, text: 'WHO_AM_I is 0x70, an MPU-6050 says 0x68' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const board = virtualBoard({ model: harShapedModel(1), tbn: await loadWasmTbnModule(), config: sensorConfig('mpu6050', HAR_CHANNELS), replay: syntheticReplay('mpu6050', 2000), whoAmI: c.whoAmI, absentBus: c.absentBus });
      try {
        board.clock.runFor(1000);
        const e = errors(board.messages);
        expect(e.map((x) => [x.code, x.arg, x.message])).toEqual([[F.P.E_SENSOR, c.arg, c.text]]);
        const busUse = board.sensor.bus!.transactions;
        board.send(F.sensorMode(F.P.MODE_BOTH));
        board.clock.runFor(10_000);
        // Asking again gives the same error; the bus is not touched again, nothing is sampled or predicted.
        expect(errors(board.messages).at(-1)?.message).toBe(c.text);
        expect(board.sensor.bus!.transactions).toBe(busUse);
        expect(predictions(board.messages)).toEqual([]);
        expect(board.messages.some((m) => m.type === 'raw')).toBe(false);
        board.send(F.sensorRequest());
        const s = board.messages.at(-1) as F.SensorMessage;
        expect(s).toMatchObject({ type: 'sensor', kindName: 'mpu6050', ok: false, mode: 0, error: c.text });
        board.send(F.statusRequest());
        const st = board.messages.at(-1) as F.StatusMessage;
        expect([st.counters.sensorSamples, st.counters.predictions]).toEqual([0, 0]);
        expect(board.sim.appErrors()).toEqual([]);
      } finally {
        board.stop();
      }
    });
  }

  it('a board without the configured bus', async () => {
    const config = sensorConfig('mpu6050', HAR_CHANNELS, { i2c: { bus: 'I2C2', scl: 'B10', sda: 'B11', bitrate: 400000 } });
    const board = virtualBoard({ model: harShapedModel(1), tbn: await loadWasmTbnModule(), config, replay: syntheticReplay('mpu6050', 100), busGlobal: 'I2C1' });
    try {
      board.clock.runFor(500);
      expect(errors(board.messages).map((e) => [e.code, e.arg, e.message])).toEqual([[F.P.E_SENSOR, 0xffffffff, 'no I2C bus I2C2 on this board']]);
    } finally {
      board.stop();
    }
  });
});

describe('a bad sensor.input16 in tbn.cfg', () => {
  it('is one model error naming tbn.cfg at start-up, not an error per window', async () => {
    const packed = harFixture();
    const model = readModel(packed);
    const config = sensorConfig('mpu6050', HAR_CHANNELS, { quant: { mul: model.quantMul, add: model.quantAdd } });
    const bad = [...config.input16!];
    bad[2] = 40; // channel 0's shift: above the format's limit (31)
    const board = virtualBoard({ model: packed, tbn: await loadWasmTbnModule(), config: { ...config, input16: bad, mode: 'predict' }, replay: syntheticReplay('mpu6050', 3000) });
    try {
      board.clock.runFor(20_000);
      const e = errors(board.messages);
      expect(e.map((x) => x.code)).toEqual([F.P.E_MODEL]);
      expect(e[0]!.message).toMatch(/^tbn\.cfg sensor\.input16: .*int16 input parameters/);
      expect(predictions(board.messages)).toEqual([]);
      board.send(F.statusRequest());
      const st = board.messages.at(-1) as F.StatusMessage;
      expect(st.counters.inferenceErrors).toBe(0);
      expect(board.sim.appErrors()).toEqual([]);
    } finally {
      board.stop();
    }
  });
});

describe('record mode', () => {
  it('sends every sample as RAW frames with the emulated sensor\'s counts, in order, none lost', async () => {
    const replay = syntheticReplay('mpu6050', 1500);
    const board = virtualBoard({ model: new Uint8Array(0), tbn: await loadWasmTbnModule(), config: { ...sensorConfig('mpu6050', HAR_CHANNELS), mode: 'record' }, replay });
    board.sensor.mpu!.logSamples = true;
    try {
      board.clock.runFor(35_000);
      // No model: the app says so once (ERROR 2), and records anyway.
      expect(errors(board.messages).map((e) => e.code)).toEqual([F.P.E_MODEL]);
      const raws = board.messages.filter((m): m is F.RawMessage => m.type === 'raw');
      let next = 0;
      const counts: number[] = [];
      for (const r of raws) {
        expect(r.seq).toBe(next);
        expect([r.kind, r.channels, r.lost]).toEqual([F.P.KIND_MPU6050, 6, 0]);
        next += r.count;
        counts.push(...r.samples);
      }
      expect(next).toBe(1500);
      expect(counts).toEqual(board.sensor.mpu!.log);
      board.send(F.sensorRequest());
      expect(board.messages.at(-1)).toMatchObject({ type: 'sensor', ok: true, mode: F.P.MODE_RECORD, channels: 6, rateHz: 50, accelRangeG: 4, gyroRangeDps: 500, pollMs: 100, seq: 1500 });
    } finally {
      board.stop();
    }
  });
});

describe('overrun: a kernel too slow for the sample rate', () => {
  it('the FIFO overflows; the device counts the lost samples, keeps predicting on fresh windows, never crashes', async () => {
    const packed = harShapedModel(5);
    const model = readModel(packed);
    const W = model.inShape[1];
    const real = await loadWasmTbnModule();
    let busyMs = 0;
    const board = virtualBoard({ model: packed, tbn: { ...real, run: (...a) => { board.clock.busy(busyMs); return real.run(...a); } } as TbnModuleLike, config: sensorConfig('mpu6050', HAR_CHANNELS), replay: syntheticReplay('mpu6050', 60 * 50) });
    const mpu = board.sensor.mpu!;
    mpu.logSamples = true;
    busyMs = 2500; // one inference takes longer than the 1,024-byte FIFO holds at 50 Hz x 12 bytes (1.7 s)
    try {
      board.clock.runFor(61_000);
      board.send(F.statusRequest());
      const c = (board.messages.at(-1) as F.StatusMessage).counters;
      const preds = predictions(board.messages);
      console.log(`overrun: ${mpu.stats.produced} samples produced, device: ${c.sensorSamples} read, ${c.sensorLost} lost in ${c.sensorOverflows} overflows (emulator: ${mpu.stats.overflows} overflows), ${preds.length} predictions`);
      expect(mpu.stats.overflows).toBeGreaterThan(5);
      expect(c.sensorOverflows).toBe(mpu.stats.overflows);
      expect(c.sensorLost).toBeGreaterThan(0);
      // Every sample produced is either read or counted lost (the loss is estimated from the sensor's clock: at most 1 off per overflow).
      expect(Math.abs(c.sensorSamples + c.sensorLost - mpu.stats.produced)).toBeLessThanOrEqual(c.sensorOverflows);
      expect(preds.length).toBeGreaterThan(5);
      // Fresh windows only: each predicted window lies within one run of samples read without a loss, and equals the reference on those counts.
      for (const p of preds) {
        const x = new Float32Array(W * 6);
        const cfg = board.sensor.config;
        for (let k = 0; k < W; k++) {
          const s = p.endSeq - W + k;
          for (let ch = 0; ch < 6; ch++) x[k * 6 + ch] = (mpu.log[s * 6 + cfg.channels[ch]!.src] as number) * cfg.channels[ch]!.scale;
        }
        const ref = runReference(model, x);
        expect([p.cls, ...p.logits], `window ending ${p.endSeq}`).toEqual([ref.cls, ...ref.logits]);
      }
      expect(board.sim.appErrors()).toEqual([]);
    } finally {
      board.stop();
    }
  });
});

describe('reporting to user code', () => {
  it("E.on('tbn', fn) receives each prediction with its label", async () => {
    const packed = harShapedModel(2);
    const labels = readModel(packed).classes;
    const board = virtualBoard({ model: packed, tbn: await loadWasmTbnModule(), config: sensorConfig('mpu6050', HAR_CHANNELS), replay: syntheticReplay('mpu6050', 1000) });
    try {
      board.sim.run("var seen = []; E.on('tbn', function (p) { seen.push(p.label + '@' + p.endSeq + '/' + p.cls); });");
      board.clock.runFor(21_000);
      const preds = predictions(board.messages);
      expect(preds.length).toBe(Math.floor((1000 - 128) / 64) + 1);
      expect(board.sim.run('seen.join()')).toBe(preds.map((p) => `${labels[p.cls]}@${p.endSeq}/${p.cls}`).join());
      expect(board.sim.ledToggles()).toBe(preds.length);
    } finally {
      board.stop();
    }
  });
});

describe('INFO with long labels (issue 16, finding 2)', () => {
  it('8 labels of 231 bytes in all: INFO arrives with the labels cut to fit the frame', async () => {
    const classes = Array.from({ length: 8 }, (_, i) => `activity_number_${i}_`.padEnd(28, String.fromCharCode(97 + i)) + (i < 7 ? '' : 'xxxxxxx'));
    expect(classes.join('').length).toBe(231);
    const { link } = startInProcess({ board: loadBoard('stm32f405'), bundle: readBundle(), model: harShapedModel(1, { classes }), tbn: await loadWasmTbnModule() });
    try {
      const client = new DeviceClient(link);
      const info = await client.hello();
      const text = classes.join('\n');
      const sent = info.labels.join('\n');
      expect(sent.length).toBe(F.P.MAX_FRAME - F.P.CRC_BYTES - 29);
      expect(text.startsWith(sent)).toBe(true);
      const status = await client.status();
      expect(status.counters.txDropped).toBe(0);
      expect(status.counters.txFrames).toBe(2); // the INFO at start and the one asked for (a STATUS counts itself after it is built)
    } finally {
      await link.close();
    }
  });
});

describe.skipIf(root === undefined)('Bangle.js replay setup (skipped: sp-sw-har data missing)', () => {
  it('the sensor rate for 50 Hz is 50 Hz on both sensors', () => {
    expect(sensorActualRate('bangle', 50)).toBe(50);
    expect(sensorActualRate('mpu6050', 50, 3)).toBe(50);
    const recs = harRecordings('s15', root, 50).slice(0, 1);
    const r = replayFromRecordings('bangle', recs, 50);
    expect(r.units).toEqual(['m/s2', 'm/s2', 'm/s2']);
    expect(r.count).toBe(recs[0]!.count);
  });
});

describe('the model channels tbn sim --sensor maps', () => {
  const packed = (inC: number, channels?: { name: string; unit: string }[]) => ({ ...readModel(harShapedModel(1, { channels: inC })), ...(channels ? { channels } : {}) });
  it('uses the names and units a model stores', () => {
    const m = packed(3, [{ name: 'ax', unit: 'g' }, { name: 'ay', unit: 'g' }, { name: 'gz', unit: 'deg/s' }]);
    expect(modelChannels(m)).toEqual({ channels: [{ name: 'ax', unit: 'g' }, { name: 'ay', unit: 'g' }, { name: 'gz', unit: 'deg/s' }] });
  });
  it('assumes the sp-sw-har channels for 6 or 3 unnamed inputs, and says so', () => {
    expect(modelChannels(packed(6)).channels.map((c) => `${c.name}:${c.unit}`)).toEqual(['x_acc:m/s2', 'y_acc:m/s2', 'z_acc:m/s2', 'x_gyro:rad/s', 'y_gyro:rad/s', 'z_gyro:rad/s']);
    expect(modelChannels(packed(6)).assumption).toMatch(/stores no channel names: assuming sp-sw-har/);
    expect(modelChannels(packed(3)).channels.map((c) => c.name)).toEqual(['x_acc', 'y_acc', 'z_acc']);
  });
  it('refuses what a sensor cannot give, naming it', () => {
    expect(() => modelChannels(packed(4))).toThrow('the model stores no channel names and has 4 inputs');
    expect(() => modelChannels(packed(2, [{ name: 'temp', unit: 'C' }, { name: 'ax', unit: 'm/s2' }]))).toThrow('model input channel temp is in "C"');
  });
  it('assumes units by name when the model stores names without units, and says so', () => {
    const r = modelChannels(packed(2, [{ name: 'x_acc', unit: '' }, { name: 'gyro_z', unit: 'deg/s' }]));
    expect(r.channels).toEqual([{ name: 'x_acc', unit: 'm/s2' }, { name: 'gyro_z', unit: 'deg/s' }]);
    expect(r.assumption).toMatch(/stores no units for x_acc \(m\/s2\)/);
  });
});

describe('the Bangle.js rate the app reports', () => {
  it('is the rate the watch samples at when the poll interval is clamped to 10 ms (200 Hz asked: 100 Hz), so RAW timestamps are right', async () => {
    const board = virtualBoard({ model: new Uint8Array(0), tbn: await loadWasmTbnModule(), config: { ...sensorConfig('bangle', HAR_CHANNELS.slice(0, 3), { rateHz: 200 }), mode: 'record' }, replay: syntheticReplay('bangle', 3000) });
    try {
      board.clock.runFor(10_000);
      const produced = board.sensor.bangle!.stats.produced;
      expect(board.sensor.bangle!.pollMs).toBe(10);
      // 10 s at the watch's real 100 Hz.
      expect(Math.abs(produced - 1000)).toBeLessThanOrEqual(2);
      board.send(F.sensorRequest());
      const info = board.messages.at(-1) as F.SensorMessage;
      expect(info).toMatchObject({ type: 'sensor', ok: true, mode: F.P.MODE_RECORD, rateHz: 100 });
      expect(board.sim.appErrors()).toEqual([]);
    } finally {
      board.stop();
    }
  });
});
