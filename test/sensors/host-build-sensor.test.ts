/**
 * `tbn build --sensor`: the sensor entry of tbn.cfg written next to the model in the build output
 * and the manifest, with per-channel scales checked against numbers computed here from the
 * MPU-6050 datasheet (register map rev 4.2, ACCEL_CONFIG / GYRO_CONFIG sensitivities) and the
 * Bangle.js count convention; refusals name what the sensor cannot provide; `tbn flash` uploads it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeviceBundle } from '../../host/build/bundle.ts';
import { main } from '../../host/cli.ts';
import type { InputChannel } from '../../host/format/model.ts';
import { quantizeInt16, quantizeSample } from '../../host/reference/quantize.ts';
import { readModel } from '../../host/format/reader.ts';
import { writeModel } from '../../host/format/writer.ts';
import { openPtyPair } from '../../host/sim/pty.ts';
import { startFakeEspruino } from '../contract/fake-espruino.ts';
import { harShapedModel } from '../sim/har-model.ts';
import { captureIO } from '../cli/cli-io.ts';
import { loadBoard } from '../../host/boards.ts';
import type { SensorConfig } from '../../host/sensors/config.ts';
import { VirtualClock } from '../../host/sim/clock.ts';
import { createSimSensor } from '../../host/sim/sensor-sim.ts';
import { Simulator } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';

// Datasheet numbers, written out: sensitivity per full-scale setting.
const G = 9.80665; // m/s² per g (standard gravity)
const DEG = Math.PI / 180; // rad per degree
const ACCEL_LSB_PER_G: Record<number, number> = { 2: 16384, 4: 8192, 8: 4096, 16: 2048 };
const GYRO_LSB_PER_DPS: Record<number, number> = { 250: 131, 500: 65.5, 1000: 32.8, 2000: 16.4 };

const HAR: InputChannel[] = [
  { name: 'x_acc', unit: 'm/s2' }, { name: 'y_acc', unit: 'm/s2' }, { name: 'z_acc', unit: 'm/s2' },
  { name: 'x_gyro', unit: 'rad/s' }, { name: 'y_gyro', unit: 'rad/s' }, { name: 'z_gyro', unit: 'rad/s' },
];

let tmp: string;
let bundle: string;
const file = (name: string, bytes: Uint8Array) => {
  const f = path.join(tmp, name);
  writeFileSync(f, bytes);
  return f;
};
/** A HAR-shaped model (1 x 128 x C) with the given channel table and rate. */
function model(name: string, channels?: InputChannel[], rateHz?: number): string {
  const base = readModel(harShapedModel(3, { channels: channels?.length ?? 6 }));
  return file(name, writeModel({ ...base, ...(channels ? { channels } : {}), ...(rateHz !== undefined ? { rateHz } : {}) }));
}
async function build(args: string[]): Promise<{ code: number; out: string; err: string; dir: string }> {
  const dir = mkdtempSync(path.join(tmp, 'out-'));
  rmSync(dir, { recursive: true });
  const io = captureIO();
  const code = await main(['build', '--board', 'stm32f405', '--bundle', bundle, '-o', dir, ...args], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n'), dir };
}
const cfgOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'tbn.cfg'), 'latin1')) as { sensor: Record<string, unknown> & { channels: { src: number; scale: number }[] } };

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'tbn-build-sensor-'));
  bundle = buildDeviceBundle();
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tbn build --sensor mpu6050', () => {
  it('writes tbn.cfg with the datasheet scales (default ±4 g, ±500 deg/s), listed in the manifest', async () => {
    const r = await build(['--model', model('har.tbn', HAR, 50), '--sensor', 'mpu6050']);
    expect(r.code, r.err).toBe(0);
    const cfg = cfgOf(r.dir);
    const s = cfg.sensor;
    expect(s.kind).toBe('mpu6050');
    expect(s.rateHz).toBe(50);
    expect(s.mode).toBe('predict');
    expect(s.i2c).toEqual({ bus: 'I2C1', scl: 'B6', sda: 'B7', bitrate: 400000 });
    expect(s.address).toBe(0x68);
    expect([s.accelRangeG, s.gyroRangeDps, s.dlpf, s.pollMs]).toEqual([4, 500, 3, 100]);
    expect(s.channels.map((c) => c.src)).toEqual([0, 1, 2, 3, 4, 5]);
    const want = [G / 8192, G / 8192, G / 8192, DEG / 65.5, DEG / 65.5, DEG / 65.5];
    s.channels.forEach((c, i) => expect(c.scale / (want[i] as number)).toBeCloseTo(1, 12));
    // 1 g on the accelerometer at ±4 g reads 8192 counts: that is 9.80665 m/s².
    expect(8192 * s.channels[0]!.scale).toBeCloseTo(G, 10);
    const manifest = JSON.parse(readFileSync(path.join(r.dir, 'manifest.json'), 'utf8')) as { config: { storageName: string; content: unknown }; files: { path: string }[] };
    expect(manifest.config.storageName).toBe('tbn.cfg');
    expect(manifest.config.content).toEqual(cfg);
    expect(manifest.files.map((f) => f.path)).toContain('tbn.cfg');
    expect(r.out).toMatch(/tbn\.cfg: mpu6050 on I2C1 SCL B6 SDA B7 at 0x68/);
    expect(r.out).toMatch(/int16 counts into the kernel/);
  }, 60_000);

  it('ranges, flipped and swapped axes, pins and address from the flags', async () => {
    const modelFile = model('har2.tbn', HAR, 50);
    const r = await build([
      '--model', modelFile, '--sensor', 'mpu6050', '--accel-range', '16', '--gyro-range', '2000',
      '--channels', 'x_acc=-ay,y_acc=ax,z_gyro=-gz', '--i2c', 'I2C1:D22:D21', '--address', '0x69', '--dlpf', '0', '--poll-ms', '40', '--sensor-mode', 'both',
    ]);
    expect(r.code, r.err).toBe(0);
    const s = cfgOf(r.dir).sensor;
    expect(s.channels.map((c) => c.src)).toEqual([1, 0, 2, 3, 4, 5]);
    const want = [-G / ACCEL_LSB_PER_G[16]!, G / 2048, G / 2048, DEG / GYRO_LSB_PER_DPS[2000]!, DEG / 16.4, -DEG / 16.4];
    s.channels.forEach((c, i) => expect(c.scale / (want[i] as number)).toBeCloseTo(1, 12));
    expect(s.i2c).toEqual({ bus: 'I2C1', scl: 'D22', sda: 'D21', bitrate: 400000 });
    expect([s.address, s.dlpf, s.pollMs, s.mode, s.accelRangeG, s.gyroRangeDps]).toEqual([0x69, 0, 40, 'both', 16, 2000]);
    // input16: the int16 path's triples, one per model channel, sign and range folded in: a count requantised
    // with them is within one int8 step of the float path on count * scale
    const packed = readModel(readFileSync(modelFile));
    const p16 = Int32Array.from(s.input16 as number[]);
    expect(p16.length).toBe(18);
    expect(p16[0]!).toBeLessThan(0); // x_acc = -ay
    for (const c of [-32768, -12345, -1, 0, 1, 777, 32767]) {
      const q = quantizeInt16(Int16Array.from({ length: 6 }, () => c), p16, 6);
      s.channels.forEach((ch, j) => {
        const f = quantizeSample(c * ch.scale, packed.quantMul[j]!, packed.quantAdd[j]!);
        expect(Math.abs(Math.max(q[j]!, -127) - f), `count ${c} channel ${j}`).toBeLessThanOrEqual(1);
      });
    }
  }, 60_000);

  it('a model with units in g and deg/s gets 1/LSB scales', async () => {
    const units: InputChannel[] = HAR.map((c) => ({ name: c.name, unit: c.unit === 'm/s2' ? 'g' : 'deg/s' }));
    const r = await build(['--model', model('gdps.tbn', units, 100), '--sensor', 'mpu6050', '--accel-range', '2', '--gyro-range', '250']);
    expect(r.code, r.err).toBe(0);
    const s = cfgOf(r.dir).sensor;
    [1 / 16384, 1 / 16384, 1 / 16384, 1 / 131, 1 / 131, 1 / 131].forEach((w, i) => expect(s.channels[i]!.scale / w).toBeCloseTo(1, 12));
    expect(s.rateHz).toBe(100);
  }, 60_000);
});

describe('tbn build --sensor: the fit check is the simulator\'s', () => {
  it('counts the sensor code in JS variables as tbn sim --sensor does (build accepts <=> sim runs)', async () => {
    const f = model('fit.tbn', HAR, 50);
    const jsVars = (out: string) => (JSON.parse(out) as { fit: { rows: { what: string; need: number }[] } }).fit.rows.find((r) => r.what === 'JS variables')!.need;
    const withSensor = await build(['--model', f, '--sensor', 'mpu6050', '--json']);
    const serial = await build(['--model', f, '--json']);
    expect(withSensor.code, withSensor.err).toBe(0);
    expect(serial.code, serial.err).toBe(0);
    // The same bundle, model and tbn.cfg in the simulator: the JS variables it counts before it starts the app.
    const board = loadBoard('stm32f405');
    const packed = new Uint8Array(readFileSync(f));
    const scratchVars = 1 + Math.ceil(readModel(packed).scratchBytes / board.jsVarBytes);
    const sensor = createSimSensor({ config: cfgOf(withSensor.dir).sensor as unknown as SensorConfig, replay: { kind: 'mpu6050', rateHz: 50, units: ['m/s2', 'm/s2', 'm/s2', 'rad/s', 'rad/s', 'rad/s'], values: new Float64Array(0), count: 0, segments: [] }, clock: new VirtualClock() });
    const sim = Simulator.start({ board, bundle: readFileSync(bundle, 'latin1'), model: packed, tbn: await loadWasmTbnModule(), clock: new VirtualClock(), sensor, transmit: () => {} });
    try {
      expect(jsVars(withSensor.out)).toBe(sim.limits.jsVarsUsed + scratchVars);
    } finally {
      sim.stop();
    }
    // The sensor code is created only with a sensor configured: the serial build counts less.
    expect(jsVars(serial.out)).toBeLessThan(jsVars(withSensor.out));
  }, 60_000);
});

describe('tbn build --sensor bangle', () => {
  it('refuses a 6-channel model on the 3-channel Bangle.js accelerometer, naming the channels it lacks', async () => {
    const r = await build(['--model', model('har6.tbn', HAR, 50), '--sensor', 'bangle']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/the bangle cannot provide model input channels x_gyro, y_gyro, z_gyro \(it has ax, ay, az/);
  }, 60_000);

  it('maps a 3-channel accelerometer model with 1/8192 g counts', async () => {
    const r = await build(['--model', model('acc.tbn', HAR.slice(0, 3), 25), '--sensor', 'bangle']);
    expect(r.code, r.err).toBe(0);
    const s = cfgOf(r.dir).sensor;
    expect(s.kind).toBe('bangle');
    expect(s.i2c).toBeUndefined();
    expect(s.channels.map((c) => c.src)).toEqual([0, 1, 2]);
    s.channels.forEach((c) => expect(c.scale / (G / 8192)).toBeCloseTo(1, 12));
  }, 60_000);

  it('refuses MPU-6050 flags for the Bangle', async () => {
    const r = await build(['--model', model('acc2.tbn', HAR.slice(0, 3), 25), '--sensor', 'bangle', '--gyro-range', '500']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--gyro-range is for --sensor mpu6050/);
  }, 60_000);
});

describe('tbn build --sensor: what it refuses', () => {
  it('a model without stored channel names, a rate missing or contradicted, units missing, bad flag values', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--model', model('nochan.tbn'), '--sensor', 'mpu6050', '--sample-rate', '50'], /stores no input channel names/],
      [['--model', model('norate.tbn', HAR), '--sensor', 'mpu6050'], /stores no sample rate: give the rate it was trained at with --sample-rate HZ/],
      [['--model', model('rate50.tbn', HAR, 50), '--sensor', 'mpu6050', '--sample-rate', '25'], /--sample-rate 25 differs from the 50 Hz/],
      [['--model', model('nounit.tbn', HAR.map((c, i) => (i === 4 ? { ...c, unit: '' } : c)), 50), '--sensor', 'mpu6050'], /no unit for input channel y_gyro: give them with --units y_gyro=UNIT/],
      [['--model', model('kelvin.tbn', HAR.map((c, i) => (i === 0 ? { ...c, unit: 'K' } : c)), 50), '--sensor', 'mpu6050'], /x_acc is in "K"/],
      [['--model', model('h.tbn', HAR, 50), '--sensor', 'mpu6050', '--accel-range', '3'], /--accel-range must be one of 2, 4, 8, 16 g, got 3/],
      [['--model', model('h.tbn', HAR, 50), '--sensor', 'mpu6050', '--address', '0x70'], /--address must be 0x68 or 0x69/],
      [['--model', model('h.tbn', HAR, 50), '--sensor', 'mpu6050', '--i2c', 'B6:B7'], /--i2c must be BUS:SCL:SDA/],
      [['--model', model('h.tbn', HAR, 50), '--sensor', 'mpu6050', '--channels', 'x_acc=mx'], /--channels x_acc=mx: the mpu6050 has no channel mx/],
      [['--model', model('h.tbn', HAR, 50), '--sensor', 'mpu6050', '--channels', 'speed=ax'], /--channels names speed, which is not an input channel/],
      [['--model', model('h.tbn', HAR, 50), '--sensor', 'gps'], /--sensor must be one of mpu6050, bangle, serial/],
      [['--model', model('h.tbn', HAR, 50), '--accel-range', '4'], /--accel-range needs --sensor mpu6050 or --sensor bangle/],
    ];
    for (const [args, message] of cases) {
      const r = await build(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.err, args.join(' ')).toMatch(message);
    }
  }, 120_000);

  it('--units fills units the model lacks; --sensor serial writes no tbn.cfg', async () => {
    const noUnits = HAR.map((c) => ({ name: c.name, unit: '' }));
    const r = await build(['--model', model('u.tbn', noUnits, 50), '--sensor', 'mpu6050', '--units', 'x_acc=m/s2,y_acc=m/s2,z_acc=m/s2,x_gyro=rad/s,y_gyro=rad/s,z_gyro=deg/s']);
    expect(r.code, r.err).toBe(0);
    expect(cfgOf(r.dir).sensor.channels[5]!.scale / (1 / 65.5)).toBeCloseTo(1, 12);
    const serial = await build(['--model', model('s.tbn', HAR, 50), '--sensor', 'serial']);
    expect(serial.code, serial.err).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(serial.dir, 'manifest.json'), 'utf8')) as { config?: unknown; files: { path: string }[] };
    expect(manifest.config).toBeUndefined();
    expect(manifest.files.map((f) => f.path)).not.toContain('tbn.cfg');
  }, 60_000);

  it('JerryScript builds link tbn.cfg into the firmware as a second Storage file', async () => {
    const r = await build(['--model', model('j.tbn', HAR, 50), '--sensor', 'mpu6050', '--engine', 'jerryscript']);
    expect(r.code, r.err).toBe(0);
    const blobs = readFileSync(path.join(r.dir, 'tbn_blobs.c'), 'utf8');
    expect(blobs).toMatch(/\{"tbn\.cfg", tbn_config_blob, \d+u\}/);
    expect(blobs).toContain('tbn_storage_file_count = 2u;');
  }, 60_000);
});

describe('tbn flash uploads tbn.cfg with the model', () => {
  it('the fake Espruino receives tbn.cfg byte for byte', async () => {
    const r = await build(['--model', model('f.tbn', HAR, 50), '--sensor', 'mpu6050']);
    expect(r.code, r.err).toBe(0);
    const pty = await openPtyPair();
    const fake = await startFakeEspruino(pty.devicePath);
    const io = captureIO();
    let code: number;
    try {
      code = await main(['flash', '--port', pty.hostPath, '--dir', r.dir], io);
    } finally {
      await fake.close();
      await pty.close();
    }
    expect(code, io.stderr.join('\n')).toBe(0);
    const prefix = 'require("Storage").write("tbn.cfg",';
    const parts = fake.lines().filter((l) => l.startsWith(prefix)).map((line) => vm.runInNewContext(`[${line.slice(prefix.length).replace(/\);?$/, '')}]`, {
      atob: (s: string) => Buffer.from(s, 'base64').toString('latin1'),
    }) as [string, number]);
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.map((p) => p[0]).join('')).toBe(readFileSync(path.join(r.dir, 'tbn.cfg'), 'latin1'));
    expect(io.stdout.join('\n')).toMatch(/tbn\.cfg -> Storage "tbn\.cfg"/);
  }, 120_000);
});
