import path from 'node:path';
import { optBool, optInt, optNumber, optString, type ParsedArgs, UsageError } from '../cli/args.ts';
import type { PackedModel } from '../format/model.ts';
import type { SensorConfig } from '../sensors/config.ts';
import { parseAddress, parseI2c, parsePairs, parseSensorChoice, parseSensorMode, sensorConfigForModel } from '../sensors/model-sensor.ts';
import { RAW_CHANNELS } from '../sensors/spec.ts';
import type { Command } from '../cli/command.ts';
import { loadBoard } from '../boards.ts';
import { checkBuildFit, ENGINES, type Engine, fitError, writeArtifacts } from '../build/artifacts.ts';
import { buildDeviceBundle, hasDeviceSources, readBundle } from '../build/bundle.ts';
import { TbnError } from '../errors.ts';
import { FormatError, readModel, readModelFile } from '../format/reader.ts';

const fmt = (n: number) => n.toLocaleString('en-US');

const SENSOR_FLAGS = ['channels', 'sample-rate', 'units', 'accel-range', 'gyro-range', 'dlpf', 'i2c', 'address', 'poll-ms', 'sensor-mode', 'led'];

/** tbn.cfg's content for --sensor mpu6050|bangle; undefined for serial (the app's defaults). */
function sensorConfigFromArgs(args: ParsedArgs, model: PackedModel, modelFile: string): { sensor: SensorConfig } | undefined {
  const kind = parseSensorChoice(optString(args, 'sensor'));
  if (kind === undefined || kind === 'serial') {
    const given = SENSOR_FLAGS.filter((f) => args.options[f] !== undefined);
    if (given.length > 0) throw new UsageError(`--${given[0]} needs --sensor mpu6050 or --sensor bangle`);
    return undefined;
  }
  const accel = optInt(args, 'accel-range');
  const gyro = optInt(args, 'gyro-range');
  const sensor = sensorConfigForModel(model, modelFile, {
    kind,
    ...(optNumber(args, 'sample-rate') !== undefined ? { rateHz: optNumber(args, 'sample-rate') } : {}),
    units: parsePairs(optString(args, 'units'), '--units'),
    overrides: parsePairs(optString(args, 'channels'), '--channels'),
    ...(accel !== undefined || gyro !== undefined ? { ranges: { ...(accel !== undefined ? { accelRangeG: accel } : {}), ...(gyro !== undefined ? { gyroRangeDps: gyro } : {}) } } : {}),
    ...(optInt(args, 'dlpf') !== undefined ? { dlpf: optInt(args, 'dlpf') } : {}),
    ...(optInt(args, 'poll-ms') !== undefined ? { pollMs: optInt(args, 'poll-ms') } : {}),
    ...(parseI2c(optString(args, 'i2c')) ? { i2c: parseI2c(optString(args, 'i2c')) } : {}),
    ...(parseAddress(optString(args, 'address')) !== undefined ? { address: parseAddress(optString(args, 'address')) } : {}),
    ...(parseSensorMode(optString(args, 'sensor-mode')) ? { mode: parseSensorMode(optString(args, 'sensor-mode')) } : {}),
    ...(optString(args, 'led') ? { led: optString(args, 'led') } : {}),
  });
  return { sensor };
}

function sensorSummary(s: SensorConfig): string {
  const raw = RAW_CHANNELS[s.kind];
  const map = s.channels.map((c) => `${c.scale < 0 ? '-' : ''}${raw[c.src]?.name ?? c.src} x ${Math.abs(c.scale).toPrecision(6)}`).join(', ');
  const where = s.kind === 'mpu6050' ? ` on ${s.i2c?.bus} SCL ${s.i2c?.scl} SDA ${s.i2c?.sda} at 0x${(s.address ?? 0).toString(16)}, ±${s.accelRangeG} g, ±${s.gyroRangeDps} deg/s, DLPF ${s.dlpf}` : '';
  const input = s.input16 ? '; int16 counts into the kernel (input16 triples, no float pass)' : '';
  return `  tbn.cfg: ${s.kind}${where}, ${s.rateHz} Hz, boot mode ${s.mode}, polled every ${s.pollMs} ms; model channels <- ${map}${input}`;
}

export const command: Command = {
  name: 'build',
  usage: 'tbn build --board NAME --engine espruino|jerryscript --model model.tbn [--sensor mpu6050|bangle|serial [sensor options]] [-o DIR] [--json]',
  summary: 'bundle the device app, check it and the model against the board budgets, and write the artifacts for flashing',
  options: [
    { name: 'board', type: 'string', description: 'board name (boards/<name>/board.json)' },
    { name: 'engine', type: 'string', description: 'espruino or jerryscript', default: 'espruino' },
    { name: 'model', type: 'string', short: 'm', description: 'packed .tbn model' },
    { name: 'out', type: 'string', short: 'o', description: 'output directory (default out/<board>-<engine>)' },
    { name: 'bundle', type: 'string', description: 'use this app bundle instead of running the device build' },
    { name: 'snapshot', type: 'string', description: 'JerryScript: a jerry-snapshot of app.snapshot.js to link in as well' },
    { name: 'force', type: 'boolean', description: 'write into a non-empty output folder that holds no tbn build' },
    { name: 'sensor', type: 'string', description: 'where samples come from: mpu6050 (I2C), bangle (Bangle.js accelerometer) or serial (streamed by the host, the default); writes tbn.cfg (docs/sensors.md)' },
    { name: 'channels', type: 'string', description: 'map model channels to sensor axes by hand, e.g. x_acc=ax,y_acc=-ay (a leading - flips the axis; default: by name)' },
    { name: 'sample-rate', type: 'string', range: { above: 0, max: 1000 }, description: 'samples per second the model was trained at (default: the rate stored in the model; required when it stores none)' },
    { name: 'units', type: 'string', description: 'units of model channels the model does not store, e.g. x_acc=m/s2,x_gyro=rad/s' },
    { name: 'accel-range', type: 'string', range: { integer: true, min: 2, max: 16 }, description: 'MPU-6050 accelerometer full scale in g: 2, 4, 8 or 16 (default 4)' },
    { name: 'gyro-range', type: 'string', range: { integer: true, min: 250, max: 2000 }, description: 'MPU-6050 gyroscope full scale in deg/s: 250, 500, 1000 or 2000 (default 500)' },
    { name: 'dlpf', type: 'string', range: { integer: true, min: 0, max: 6 }, description: 'MPU-6050 digital low-pass filter setting DLPF_CFG (default 3: 44 Hz accel, 42 Hz gyro)' },
    { name: 'i2c', type: 'string', description: 'MPU-6050 bus and pins BUS:SCL:SDA[:BITRATE] (default I2C1:B6:B7; ESP32: I2C1:D22:D21)' },
    { name: 'address', type: 'string', description: 'MPU-6050 I2C address: 0x68 (AD0 low, default) or 0x69' },
    { name: 'poll-ms', type: 'string', range: { integer: true, min: 5, max: 1000 }, description: 'how often the app reads the sensor (default 100 ms)' },
    { name: 'sensor-mode', type: 'string', description: 'at boot: predict (default), record (raw samples to the host for tbn record), both, or off' },
    { name: 'led', type: 'string', description: 'LED showing predictions, e.g. LED1' },
    { name: 'json', type: 'boolean', description: 'print one JSON object' },
  ],
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`);
    const boardName = optString(args, 'board');
    if (!boardName) throw new UsageError('--board is required');
    const engine = optString(args, 'engine') as Engine;
    if (!ENGINES.includes(engine)) throw new UsageError(`--engine must be espruino or jerryscript, got "${engine}"`);
    const modelFile = optString(args, 'model');
    if (!modelFile) throw new UsageError('--model is required');
    const json = optBool(args, 'json');
    const board = loadBoard(boardName);

    const modelBytes = readModelFile(modelFile);
    let model;
    try {
      model = readModel(modelBytes);
    } catch (e) {
      if (e instanceof FormatError) throw new TbnError('E_INPUT', `${modelFile}: ${e.message}`);
      throw e;
    }
    const config = sensorConfigFromArgs(args, model, modelFile);
    const snapshotFile = optString(args, 'snapshot');
    const snapshot = snapshotFile ? readModelFile(snapshotFile, 'snapshot') : undefined;

    let bundleFile = optString(args, 'bundle');
    if (!bundleFile) {
      if (!json) io.err(hasDeviceSources() ? 'bundling the device app (node device/build.mjs) ...' : 'using the prebuilt device bundle of this package');
      bundleFile = buildDeviceBundle();
    }
    const bundle = readBundle(bundleFile);

    const fit = checkBuildFit({ board, model, modelBytes, bundle, modelFile, ...(config ? { config } : {}) });
    if (!fit.fits) {
      if (json) {
        io.out(JSON.stringify({ ok: false, board: board.name, engine, model: modelFile, problems: fit.problems, fit: fit.rows }));
        return 1;
      }
      throw fitError(board.name, modelFile, fit);
    }
    const outDir = optString(args, 'out') ?? path.join('out', `${board.name}-${engine}`);
    const manifest = writeArtifacts({ board, engine, model, modelBytes, modelFile, bundle, bundleFile, snapshot, outDir, force: optBool(args, 'force'), ...(config ? { config } : {}) }, fit);
    if (json) {
      io.out(JSON.stringify({ ok: true, outDir, ...manifest }));
      return 0;
    }
    const lines = [`built ${board.name} / ${engine} in ${outDir}:`];
    for (const r of fit.rows) lines.push(`  ${r.what.padEnd(30)} ${fmt(r.need).padStart(10)} of ${fmt(r.have).padStart(10)} B`);
    for (const f of manifest.files) lines.push(`  ${f.path.padEnd(16)} ${fmt(f.bytes).padStart(10)} B`);
    if (config) lines.push(sensorSummary(config.sensor));
    lines.push(
      engine === 'espruino'
        ? `next: tbn flash --port /dev/ttyACM0 --dir ${outDir}`
        : `next: link ${path.join(outDir, 'tbn_blobs.c')} into the board firmware (docs/engines.md), or tbn flash --dir ${outDir} for the flasher command`,
    );
    io.out(lines.join('\n'));
    return 0;
  },
};
