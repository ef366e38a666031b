/**
 * `tbn sim --sensor` from the command line, watched by `tbn monitor` over the pty: a packed model
 * (so the sensor ring holds int16 counts and the kernel gets sensor.input16's parameters) on a
 * kernel made slow with --slow-kernel still predicts, and the FIFO overflows as documented.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';
import { harFixture } from '../sensors/helpers.ts';
import { captureIO } from '../cli/cli-io.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tbn-sim-sensor-'));

/** A slowly turning wrist at 50 Hz in the sp-sw-har column names, labelled. */
function syntheticCsv(file: string, count: number): void {
  const rows = ['x_acc,y_acc,z_acc,x_gyro,y_gyro,z_gyro,label'];
  for (let k = 0; k < count; k++) {
    rows.push([9.8 * Math.sin(k / 40), 9.8 * Math.cos(k / 40), 1.5 * Math.sin(k / 7), 0.8 * Math.sin(k / 8), 0.8 * Math.sin(k / 9), 0.8 * Math.sin(k / 10)].map((v) => v.toFixed(4)).join(',') + ',WALKING');
  }
  writeFileSync(file, rows.join('\n'));
}

describe('tbn sim --sensor with a packed model', () => {
  it('--slow-kernel: the board predicts on its sensor (input16 parameters reach the kernel) and the FIFO overflows', async () => {
    const model = path.join(dir, 'har.tbn');
    writeFileSync(model, harFixture());
    const csv = path.join(dir, 'walk.csv');
    syntheticCsv(csv, 50 * 120);
    const link = path.join(dir, 'port');
    const simIo = captureIO();
    const running = main(['sim', '--sensor', 'mpu6050', '--model', model, '--replay', csv, '--loop', '--slow-kernel', '2500', '--speed', '20', '--link', link, '--seconds', '7'], simIo);
    for (let i = 0; i < 200 && simIo.stdout.length === 0; i++) await new Promise((r) => setTimeout(r, 30));
    expect(simIo.stdout[0]).toBe(link);
    try {
      const io = captureIO();
      const code = await main(['monitor', '--port', link, '--seconds', '4', '--json'], io);
      expect(io.stderr).toEqual([]);
      expect(code).toBe(0);
      const lines = io.stdout.map((l) => JSON.parse(l));
      const summary = lines.at(-1);
      expect(summary.type).toBe('summary');
      expect(summary.predictions).toBeGreaterThan(3);
      // 2.5 s per inference: longer than the 1,024-byte FIFO holds at 50 Hz (1.7 s), so it overflows.
      expect(summary.since.sensorOverflows).toBeGreaterThan(0);
      expect(summary.since.sensorLost).toBeGreaterThan(0);
      expect(summary.errors.filter((e: { code: number }) => e.code !== 1)).toEqual([]);
    } finally {
      expect(await running).toBe(0);
    }
    expect(simIo.stderr.join('\n')).toMatch(/, 0 app errors/);
  }, 60_000);
});
