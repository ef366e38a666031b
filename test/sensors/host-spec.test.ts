/**
 * host/sensors/spec.ts and config.ts against the MPU-6050 datasheet (product specification rev 3.4,
 * sections 6.1/6.2, and register map rev 4.2, ACCEL_CONFIG AFS_SEL / GYRO_CONFIG FS_SEL): every
 * expected number is written out here from those tables and unit definitions, not taken from spec.ts.
 */
import { describe, expect, it } from 'vitest';
import { buildSensorConfig } from '../../host/sensors/config.ts';
import { countsPerNative, mapChannels, parseChannelName, toCount, unitsPerCount, type ModelChannel } from '../../host/sensors/spec.ts';

const G = 9.80665; // m/s² per g
const RAD_PER_DEG = Math.PI / 180;
const rel = (got: number, want: number) => expect(got / want).toBeCloseTo(1, 12);

const HAR: ModelChannel[] = [
  { name: 'x_acc', unit: 'm/s2' }, { name: 'y_acc', unit: 'm/s2' }, { name: 'z_acc', unit: 'm/s2' },
  { name: 'x_gyro', unit: 'rad/s' }, { name: 'y_gyro', unit: 'rad/s' }, { name: 'z_gyro', unit: 'rad/s' },
];

describe('MPU-6050 sensitivity (datasheet)', () => {
  it('accelerometer: 16384, 8192, 4096, 2048 LSB/g at ±2, ±4, ±8, ±16 g', () => {
    expect([2, 4, 8, 16].map((g) => countsPerNative('mpu6050', 'accel', { accelRangeG: g, gyroRangeDps: 250 }))).toEqual([16384, 8192, 4096, 2048]);
    // full scale = 32768 counts: range g * LSB/g = 32768 for every setting
    for (const g of [2, 4, 8, 16]) expect(g * countsPerNative('mpu6050', 'accel', { accelRangeG: g, gyroRangeDps: 250 })).toBe(32768);
  });

  it('gyroscope: 131, 65.5, 32.8, 16.4 LSB/(deg/s) at ±250, ±500, ±1000, ±2000 deg/s', () => {
    expect([250, 500, 1000, 2000].map((d) => countsPerNative('mpu6050', 'gyro', { accelRangeG: 2, gyroRangeDps: d }))).toEqual([131, 65.5, 32.8, 16.4]);
  });

  it('refuses ranges the chip does not have, naming the flag', () => {
    expect(() => countsPerNative('mpu6050', 'accel', { accelRangeG: 3, gyroRangeDps: 250 })).toThrow(/--accel-range must be one of 2, 4, 8, 16 g, got 3/);
    expect(() => countsPerNative('mpu6050', 'gyro', { accelRangeG: 2, gyroRangeDps: 300 })).toThrow(/--gyro-range must be one of 250, 500, 1000, 2000 deg\/s, got 300/);
  });

  it('model units per count: m/s2, g, rad/s, deg/s', () => {
    const r2 = { accelRangeG: 2, gyroRangeDps: 250 };
    rel(unitsPerCount('mpu6050', 'm/s2', r2), G / 16384);
    rel(unitsPerCount('mpu6050', 'g', r2), 1 / 16384);
    rel(unitsPerCount('mpu6050', 'rad/s', r2), RAD_PER_DEG / 131);
    rel(unitsPerCount('mpu6050', 'deg/s', r2), 1 / 131);
    const r16 = { accelRangeG: 16, gyroRangeDps: 2000 };
    rel(unitsPerCount('mpu6050', 'm/s2', r16), G / 2048);
    rel(unitsPerCount('mpu6050', 'rad/s', r16), RAD_PER_DEG / 16.4);
    // defaults: ±4 g, ±500 deg/s
    rel(unitsPerCount('mpu6050', 'm/s2'), G / 8192);
    rel(unitsPerCount('mpu6050', 'rad/s'), RAD_PER_DEG / 65.5);
  });

  it('quantises like the chip: 1 g at ±2 g is 16384 counts, 1 rad/s at ±250 deg/s is 131 * 57.2958 counts, saturating at int16', () => {
    const r2 = { accelRangeG: 2, gyroRangeDps: 250 };
    expect(toCount(G, 'mpu6050', 'm/s2', r2)).toBe(16384);
    expect(toCount(-G / 2, 'mpu6050', 'm/s2', r2)).toBe(-8192);
    expect(toCount(1, 'mpu6050', 'rad/s', r2)).toBe(Math.round(131 * (180 / Math.PI))); // 7506
    expect(toCount(1, 'mpu6050', 'rad/s', r2)).toBe(7506);
    expect(toCount(100, 'mpu6050', 'm/s2', r2)).toBe(32767); // about 10 g: past ±2 g
    expect(toCount(-100, 'mpu6050', 'm/s2', r2)).toBe(-32768);
    expect(toCount(Number.NaN, 'mpu6050', 'g', r2)).toBe(0);
    // count -> value -> count is the identity inside the range
    for (const c of [-32768, -1, 0, 1, 12345, 32767]) expect(toCount(c * unitsPerCount('mpu6050', 'm/s2', r2), 'mpu6050', 'm/s2', r2)).toBe(c);
  });
});

describe('Bangle.js accelerometer', () => {
  it('counts of 1/8192 g (its ±4 g range), no gyroscope', () => {
    expect(countsPerNative('bangle', 'accel')).toBe(8192);
    rel(unitsPerCount('bangle', 'g'), 1 / 8192);
    rel(unitsPerCount('bangle', 'm/s2'), G / 8192);
    expect(toCount(1, 'bangle', 'g')).toBe(8192);
    expect(() => unitsPerCount('bangle', 'rad/s')).toThrow(/no gyroscope/);
  });
});

describe('channel names and mapping', () => {
  it('recognises the usual spellings and nothing else', () => {
    const cases: Array<[string, string | undefined]> = [
      ['x_acc', 'accel x'], ['acc_y', 'accel y'], ['accZ', 'accel z'], ['AX', 'accel x'], ['x_gyro', 'gyro x'], ['gyro_y', 'gyro y'],
      ['gz', 'gyro z'], ['Accelerometer X', 'accel x'], ['temperature', undefined], ['x', undefined], ['mag_x', undefined],
    ];
    for (const [name, want] of cases) {
      const p = parseChannelName(name);
      expect(p ? `${p.quantity} ${p.axis}` : undefined, name).toBe(want);
    }
  });

  it('maps the sp-sw-har channels to the FIFO order ax ay az gx gy gz with their scales', () => {
    const m = mapChannels('mpu6050', HAR);
    expect(m.map((c) => c.src)).toEqual([0, 1, 2, 3, 4, 5]);
    [G / 8192, G / 8192, G / 8192, RAD_PER_DEG / 65.5, RAD_PER_DEG / 65.5, RAD_PER_DEG / 65.5].forEach((w, i) => rel(m[i]!.scale, w));
  });

  it('overrides swap and flip axes', () => {
    const m = mapChannels('mpu6050', HAR, { accelRangeG: 8, gyroRangeDps: 1000 }, { x_acc: 'az', z_acc: '-ax', y_gyro: '-gy' });
    expect(m.map((c) => c.src)).toEqual([2, 1, 0, 3, 4, 5]);
    rel(m[2]!.scale, -G / 4096);
    rel(m[4]!.scale, -RAD_PER_DEG / 32.8);
  });

  it('names every channel the sensor cannot provide, and a unit of the wrong quantity', () => {
    expect(() => mapChannels('bangle', HAR)).toThrow(/the bangle cannot provide model input channels x_gyro, y_gyro, z_gyro/);
    expect(() => mapChannels('mpu6050', [{ name: 'pressure', unit: 'g' }, { name: 'temp', unit: 'g' }])).toThrow(/cannot provide model input channels pressure, temp/);
    expect(() => mapChannels('mpu6050', [{ name: 'x_acc', unit: 'rad/s' }])).toThrow(/x_acc is in rad\/s, but mpu6050 channel ax measures acceleration/);
  });
});

describe('buildSensorConfig', () => {
  it('MPU-6050 defaults: I2C1 B6/B7 at 400 kHz, address 0x68, DLPF 3, poll 100 ms, predict', () => {
    const c = buildSensorConfig({ kind: 'mpu6050', channels: HAR, rateHz: 50 });
    expect({ ...c, channels: c.channels.length }).toEqual({
      kind: 'mpu6050', mode: 'predict', rateHz: 50, pollMs: 100, channels: 6,
      i2c: { bus: 'I2C1', scl: 'B6', sda: 'B7', bitrate: 400000 }, address: 0x68, accelRangeG: 4, gyroRangeDps: 500, dlpf: 3,
    });
  });

  it('Bangle: no I2C, address or ranges', () => {
    const c = buildSensorConfig({ kind: 'bangle', channels: HAR.slice(0, 3), rateHz: 12.5, mode: 'record', pollMs: 80 });
    expect(Object.keys(c).sort()).toEqual(['channels', 'kind', 'mode', 'pollMs', 'rateHz']);
    rel(c.channels[1]!.scale, G / 8192);
  });

  it('refuses out-of-range settings naming them', () => {
    expect(() => buildSensorConfig({ kind: 'mpu6050', channels: HAR, rateHz: 0 })).toThrow(/rate must be in \(0, 1000\] Hz, got 0/);
    expect(() => buildSensorConfig({ kind: 'mpu6050', channels: HAR, rateHz: 2000 })).toThrow(/rate must be in/);
    expect(() => buildSensorConfig({ kind: 'mpu6050', channels: HAR, rateHz: 50, pollMs: 2 })).toThrow(/--poll-ms must be an integer in 5\.\.1000, got 2/);
    expect(() => buildSensorConfig({ kind: 'mpu6050', channels: HAR, rateHz: 50, dlpf: 7 })).toThrow(/--dlpf must be an integer in 0\.\.6, got 7/);
    expect(() => buildSensorConfig({ kind: 'mpu6050', channels: HAR, rateHz: 50, address: 0x70 })).toThrow(/--address must be 0x68 or 0x69/);
  });
});
