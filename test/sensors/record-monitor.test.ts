/**
 * tbn record and tbn monitor through the real serial path (socat pty) against the simulator whose
 * board reads its emulated MPU-6050, on a virtual clock running 20x real time: recordings written in
 * the sp-sw-har layout load with the sp-sw-har reader with the same samples the board measured; a
 * FIFO overflow is a gap in the timestamps and an entry in the gaps file; monitor shows the loss.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';
import { loadBoard } from '../../host/boards.ts';
import { defaultHarRoot, HAR_CHANNELS, loadRecording, loadSpSwHar } from '../../host/data/sp-sw-har.ts';
import { toCount, unitsPerCount } from '../../host/sensors/spec.ts';
import { VirtualClock } from '../../host/sim/clock.ts';
import { replayFromRecordings } from '../../host/sim/sensor-replay.ts';
import { createSimSensor } from '../../host/sim/sensor-sim.ts';
import { startPtySimulator } from '../../host/sim/serve.ts';
import { readBundle } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule, type TbnModuleLike } from '../../host/sim/tbn-module.ts';
import { harRecordings } from '../../host/stream/session.ts';
import { harFixture, sensorConfig } from './helpers.ts';
import { captureIO } from '../cli/cli-io.ts';

const root = defaultHarRoot();

/** The simulator behind a pty, its board reading an emulated MPU-6050 replaying `subjects`, 20x real time. */
async function ptyBoard(o: { mode: 'record' | 'both' | 'predict'; subjects: string; model?: Uint8Array; slowKernelMs?: number; whoAmI?: number }) {
  const clock = new VirtualClock();
  const recordings = harRecordings(o.subjects, root, 50);
  const replay = replayFromRecordings('mpu6050', recordings, 50);
  const config = { ...sensorConfig('mpu6050', HAR_CHANNELS), mode: o.mode };
  const sensor = createSimSensor({ config, replay, clock, whoAmI: o.whoAmI });
  const real = await loadWasmTbnModule();
  const tbn: TbnModuleLike = o.slowKernelMs ? { ...real, run: (...a) => { clock.busy(o.slowKernelMs as number); return real.run(...a); } } : real;
  const ps = await startPtySimulator({ board: loadBoard('stm32f405'), bundle: readBundle(), model: o.model ?? new Uint8Array(0), tbn, clock, sensor });
  clock.pace(20);
  return { ps, clock, sensor, replay, config };
}

describe.skipIf(root === undefined)('tbn record and tbn monitor on the emulated sensor (skipped: sp-sw-har data missing)', () => {
  it('tbn record writes sNN_EE_sw.csv that the sp-sw-har reader loads with the samples the board measured', async () => {
    const b = await ptyBoard({ mode: 'record', subjects: 's16' });
    const dir = mkdtempSync(path.join(tmpdir(), 'tbn-record-'));
    try {
      const io = captureIO();
      const code = await main(['record', '--port', b.ps.hostPath, '--label', 'WALKING', '--seconds', '8', '--subject', 's03', '--data-root', dir], io);
      expect(io.stderr.join('\n')).toMatch(/wrote .*s03_01_sw\.csv: 400 samples of WALKING \(8\.00 s at 50 Hz from the mpu6050\)/);
      expect(io.stderr.join('\n')).toMatch(/no samples lost/);
      expect(code).toBe(0);
      // A second take gets the next execution number.
      const io2 = captureIO();
      expect(await main(['record', '--port', b.ps.hostPath, '--label', 'SEATED', '--seconds', '3', '--subject', 's03', '--data-root', dir, '--json'], io2)).toBe(0);
      expect(JSON.parse(io2.stdout[0] as string)).toMatchObject({ rows: 150, lostSamples: 0, gapList: [] });
      expect(readdirSync(path.join(dir, 's03')).sort()).toEqual(['s03_01_sw.csv', 's03_01_sw.gaps.json', 's03_02_sw.csv', 's03_02_sw.gaps.json']);

      const file = path.join(dir, 's03', 's03_01_sw.csv');
      const loaded = loadRecording(file, { rate: 50 });
      expect(loaded.count).toBe(400);
      expect(new Set(loaded.labels)).toEqual(new Set([2])); // WALKING
      // The board started recording somewhere in the replay: find where, then compare every value with the emulated counts in model units.
      const scale = (c: number) => unitsPerCount('mpu6050', c < 3 ? 'm/s2' : 'rad/s');
      const expectedAt = (k: number, c: number) => Math.fround(toCount(b.replay.values[k * 6 + c] as number, 'mpu6050', c < 3 ? 'm/s2' : 'rad/s') * scale(c));
      let start = -1;
      for (let k = 0; k + 400 <= b.replay.count && start < 0; k++) {
        let same = true;
        for (let c = 0; c < 6 && same; c++) same = expectedAt(k, c) === loaded.samples[c];
        if (same) start = k;
      }
      expect(start).toBeGreaterThanOrEqual(0);
      const diffs: string[] = [];
      for (let r = 0; r < 400; r++) for (let c = 0; c < 6; c++) if (loaded.samples[r * 6 + c] !== expectedAt(start + r, c)) diffs.push(`row ${r} ${HAR_CHANNELS[c]}`);
      expect(diffs).toEqual([]);
      // tbn train's reader takes the folder as a data root.
      const windows = loadSpSwHar({ root: dir, subjects: ['s03'] });
      expect(windows.count).toBe(Math.floor((400 - 128) / 64) + 1 + Math.floor((150 - 128) / 64) + 1);
      expect(JSON.parse(readFileSync(path.join(dir, 's03', 's03_01_sw.gaps.json'), 'utf8'))).toMatchObject({ rows: 400, lostSamples: 0, gaps: [], rateHz: 50, units: { x_acc: 'm/s2', x_gyro: 'rad/s' } });
      expect(b.ps.sim.appErrors()).toEqual([]);
    } finally {
      await b.ps.close();
      b.clock.stop();
    }
  }, 60_000);

  it('a recording with a gap (FIFO overflow while a slow model runs): timestamps skip the lost samples, the gaps file lists them', async () => {
    const b = await ptyBoard({ mode: 'both', subjects: 's17', model: harFixture(), slowKernelMs: 2500 });
    b.sensor.mpu!.logSamples = true;
    const dir = mkdtempSync(path.join(tmpdir(), 'tbn-record-gap-'));
    try {
      const io = captureIO();
      const code = await main(['record', '--port', b.ps.hostPath, '--label', 'TURNING', '--seconds', '12', '--subject', 's09', '--data-root', dir, '--json'], io);
      expect(io.stderr).toEqual([]);
      expect(code).toBe(0);
      const summary = JSON.parse(io.stdout[0] as string);
      expect(summary.lostSamples).toBeGreaterThan(0);
      expect(summary.rows + summary.lostSamples).toBe(600);
      const gaps = JSON.parse(readFileSync(summary.gaps, 'utf8'));
      expect(gaps.lostSamples).toBe(summary.lostSamples);
      expect(gaps.gaps.length).toBeGreaterThan(0);
      expect(gaps.gaps.every((g: { cause: string }) => g.cause === 'fifo-overflow')).toBe(true);
      expect(gaps.gaps.reduce((n: number, g: { lostSamples: number }) => n + g.lostSamples, 0)).toBe(summary.lostSamples);
      // The CSV: a row per sample read, the timestamps jump over each gap by exactly its lost samples.
      const lines = readFileSync(summary.csv, 'utf8').trim().split('\n').slice(1);
      expect(lines.length).toBe(summary.rows);
      const ts = lines.map((l) => Number(l.split(',')[6]));
      const jumps = ts.slice(1).map((t, i) => t - (ts[i] as number)).filter((d) => d !== 20);
      // (A gap at the very end has no row after it, so no jump.)
      const inner = gaps.gaps.filter((g: { afterRow: number }) => g.afterRow < summary.rows);
      expect(jumps).toEqual(inner.map((g: { lostSamples: number }) => 20 * (g.lostSamples + 1)));
      for (const g of inner) expect(ts[g.afterRow] as number).toBe(g.toMs);
      // Loadable; the rows are the emulated counts in model units, each at its place in the sensor's sequence.
      const loaded = loadRecording(summary.csv, { rate: 50 });
      expect(loaded.count).toBe(600 - (gaps.gaps.at(-1).afterRow === summary.rows ? gaps.gaps.at(-1).lostSamples : 0));
      const mpu = b.sensor.mpu!;
      const rows = lines.map((l) => l.split(',').slice(0, 6).map(Number));
      const t0 = ts[0] as number;
      let start = -1;
      for (let k = 0; k < mpu.log.length / 6 && start < 0; k++) {
        if ([0, 1, 2, 3, 4, 5].every((c) => Math.fround(mpu.log[k * 6 + c]! * unitsPerCount('mpu6050', c < 3 ? 'm/s2' : 'rad/s')) === Math.fround(rows[0]![c]!))) start = k;
      }
      expect(start).toBeGreaterThanOrEqual(0);
      const bad: number[] = [];
      rows.forEach((row, r) => {
        const k = start + ((ts[r] as number) - t0) / 20;
        if (!row.every((v, c) => Math.fround(v) === Math.fround(mpu.log[k * 6 + c]! * unitsPerCount('mpu6050', c < 3 ? 'm/s2' : 'rad/s')))) bad.push(r);
      });
      expect(bad).toEqual([]);
    } finally {
      await b.ps.close();
      b.clock.stop();
    }
  }, 60_000);

  it('tbn monitor and tbn record say why the sensor does not run (wrong WHO_AM_I), and fail', async () => {
    const b = await ptyBoard({ mode: 'predict', subjects: 's15', model: harFixture(), whoAmI: 0x70 });
    const dir = mkdtempSync(path.join(tmpdir(), 'tbn-record-none-'));
    try {
      for (const argv of [['monitor', '--port', b.ps.hostPath, '--seconds', '1'], ['record', '--port', b.ps.hostPath, '--label', 'X', '--seconds', '1', '--subject', 's01', '--data-root', dir]]) {
        const io = captureIO();
        expect(await main(argv, io)).toBe(1);
        expect(io.stderr).toEqual([`tbn ${argv[0]}: the board's mpu6050 does not run: WHO_AM_I is 0x70, an MPU-6050 says 0x68`]);
      }
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await b.ps.close();
      b.clock.stop();
    }
  }, 60_000);

  it('tbn stream still works on a board whose sensor predicts: the host stream takes the ring over', async () => {
    const b = await ptyBoard({ mode: 'predict', subjects: 's18', model: harFixture() });
    try {
      const io = captureIO();
      const rec = path.join(root as string, 's15', 's15_01_sw.csv');
      const code = await main(['stream', '--port', b.ps.hostPath, '--recording', rec, '--json'], io);
      expect(io.stderr).toEqual([]);
      expect(code).toBe(0);
      const r = JSON.parse(io.stdout[0] as string);
      expect(r.predictions).toBe(r.expected);
      expect(r.expected).toBeGreaterThan(0);
      expect(b.ps.sim.appErrors()).toEqual([]);
    } finally {
      await b.ps.close();
      b.clock.stop();
    }
  }, 60_000);

  it('tbn monitor shows live predictions and the samples a too-slow model loses', async () => {
    const b = await ptyBoard({ mode: 'predict', subjects: 's15-s16', model: harFixture(), slowKernelMs: 2500 });
    try {
      const io = captureIO();
      const code = await main(['monitor', '--port', b.ps.hostPath, '--seconds', '4', '--json'], io);
      expect(io.stderr).toEqual([]);
      expect(code).toBe(0);
      const lines = io.stdout.map((l) => JSON.parse(l));
      const preds = lines.filter((l) => l.type === 'prediction');
      const summary = lines.at(-1);
      expect(summary.type).toBe('summary');
      expect(preds.length).toBeGreaterThan(3);
      expect(preds.every((p: { label: string }) => ['SEATED', 'STANDING_UP', 'WALKING', 'TURNING', 'SITTING_DOWN'].includes(p.label))).toBe(true);
      expect(summary.since.sensorOverflows).toBeGreaterThan(0);
      expect(summary.since.sensorLost).toBeGreaterThan(0);
      expect(summary.predictions).toBe(preds.length);
      expect(lines.some((l) => l.type === 'status' && l.since.sensorLost > 0)).toBe(true);
      // The text view says LOSSES.
      const io2 = captureIO();
      expect(await main(['monitor', '--port', b.ps.hostPath, '--count', '2'], io2)).toBe(0);
      expect(io2.stdout.length).toBe(2);
      expect(io2.stderr.at(-1)).toMatch(/^LOSSES: \d+ samples, [1-9]\d* lost in [1-9]\d* FIFO overflows/);
      expect(b.ps.sim.appErrors()).toEqual([]);
    } finally {
      await b.ps.close();
      b.clock.stop();
    }
  }, 60_000);
});
