import { existsSync } from 'node:fs';
import { optBool, optInt, optList, optNumber, optString, UsageError } from '../cli/args.ts';
import { type CliIO, type Command, waitForStop } from '../cli/command.ts';
import { loadBoard } from '../boards.ts';
import { TbnError } from '../errors.ts';
import type { PackedModel } from '../format/model.ts';
import { readModelFile } from '../format/reader.ts';
import { loadPackedFile } from '../format/source.ts';
import { HAR_CHANNELS, HAR_CLASSES } from '../data/sp-sw-har.ts';
import { startEngineDevice } from '../sim/engine.ts';
import { referenceTbnModule } from '../sim/reference-tbn.ts';
import { startPtySimulator } from '../sim/serve.ts';
import { defaultBundlePath, estimateLimits } from '../sim/simulator.ts';
import { readBundle } from '../build/bundle.ts';
import { loadWasmTbnModule, type TbnModuleLike } from '../sim/tbn-module.ts';
import type { BoardDefinition } from '../boards.ts';
import type { SensorMode } from '../sensors/config.ts';
import type { SensorKind } from '../sensors/spec.ts';
import { RealClock, type SimClock, VirtualClock } from '../sim/clock.ts';
import { planSimSensor } from '../sim/sensor-setup.ts';
import { parsePairs } from '../sensors/model-sensor.ts';
import { createSimSensor, type SimSensor } from '../sim/sensor-sim.ts';

/**
 * What to stream: the sp-sw-har test subjects only for a model that takes their 6 channels and
 * classes (at any window length); anything else needs the user's own recordings.
 */
export function streamCommandHint(m: PackedModel): string {
  const harShaped = m.inShape[0] === 1 && m.inShape[2] === HAR_CHANNELS.length && m.classes.length === HAR_CLASSES.length && m.classes.every((c) => HAR_CLASSES.includes(c));
  return harShaped ? '--har-subjects s15-s18' : `--recording FILE.csv (${m.inShape[2]} channel columns and a label column)`;
}

export const command: Command = {
  name: 'sim',
  usage: 'tbn sim --board stm32f405 --model model.tbn [--link PATH] [--stride N] [--sensor mpu6050|bangle --replay FILE | --har-subjects s15-s18]',
  summary: 'run the device bundle in the host simulator behind a pseudo-terminal (stop with Ctrl-C)',
  options: [
    { name: 'board', type: 'string', description: 'board whose limits apply (boards/<name>)', default: 'stm32f405' },
    { name: 'model', type: 'string', description: 'packed .tbn model, stored as model.tbn' },
    { name: 'bundle', type: 'string', description: 'device bundle (default build/device/app.js)' },
    { name: 'link', type: 'string', description: 'create the host end of the pty at this path' },
    { name: 'stride', type: 'string', range: { integer: true, min: 1, max: 65535 }, description: 'samples between inferences (default half the window)' },
    { name: 'baud', type: 'string', range: { integer: true, min: 50, max: 4000000 }, description: 'baud rate of the simulated UART', default: '115200' },
    { name: 'throttle', type: 'boolean', description: 'limit the link to the UART rate (baud/10 bytes per second each way) instead of pty speed' },
    { name: 'seconds', type: 'string', range: { integer: true, min: 1, max: 31536000 }, description: 'stop after this many seconds (default: run until interrupted)' },
    { name: 'kernel', type: 'string', description: 'the `tbn` module behind require("tbn"): wasm (the C kernel) or reference (the TypeScript integer reference, for debugging)', default: 'wasm' },
    { name: 'engine', type: 'string', description: 'run the bundle on a real engine built for Linux instead of node:vm: espruino or jerryscript' },
    { name: 'engine-bin', type: 'string', description: 'the engine binary (Espruino LINUX build with the tbn module, or tbn-jerry)' },
    { name: 'sensor', type: 'string', description: 'give the board its own emulated sensor: mpu6050 (on I2C1) or bangle (the Bangle.js 2 accelerometer)' },
    { name: 'replay', type: 'string', repeat: true, description: 'recording the emulated sensor replays (sp-sw-har layout, tbn record output or labelled CSV); repeatable' },
    { name: 'har-subjects', type: 'string', description: 'replay every sp-sw-har recording of these subjects, e.g. s15-s18' },
    { name: 'data-root', type: 'string', description: 'sp-sw-har folder (default ../shared/data/sp-sw-har)' },
    { name: 'mode', type: 'string', description: 'the sensor\'s boot mode: predict, record, both or off', default: 'predict' },
    { name: 'sample-rate', type: 'string', range: { above: 0, max: 1000 }, description: 'the model\'s rate in Hz (default: stored in the model, else 50)' },
    { name: 'accel-range', type: 'string', range: { integer: true, min: 2, max: 16 }, description: 'MPU-6050 accelerometer full scale in g: 2, 4, 8 or 16', default: '4' },
    { name: 'gyro-range', type: 'string', range: { integer: true, min: 250, max: 2000 }, description: 'MPU-6050 gyroscope full scale in deg/s: 250, 500, 1000 or 2000', default: '500' },
    { name: 'dlpf', type: 'string', range: { integer: true, min: 0, max: 6 }, description: 'MPU-6050 digital low-pass filter setting (CONFIG.DLPF_CFG)', default: '3' },
    { name: 'poll-ms', type: 'string', range: { integer: true, min: 5, max: 1000 }, description: 'how often the app reads the sensor FIFO, ms', default: '100' },
    { name: 'channels', type: 'string', description: 'map model channels to sensor channels: NAME=RAW,... (RAW is ax..gz, -RAW flips the axis)' },
    { name: 'units', type: 'string', description: 'units of model channels the model stores none for: NAME=UNIT,... (m/s2, g, rad/s, deg/s)' },
    { name: 'loop', type: 'boolean', description: 'replay again from the start at the end (default: the sensor goes quiet)' },
    { name: 'speed', type: 'string', range: { above: 0, max: 1000 }, description: 'run the board on a virtual clock this many times faster than real time (sensor and timers together)' },
    { name: 'slow-kernel', type: 'string', range: { min: 0, max: 60000 }, description: 'make every inference take this many more ms (to try FIFO overflow)' },
    { name: 'who-am-i', type: 'string', description: 'what the emulated MPU-6050 answers to WHO_AM_I (e.g. 0x70), or "absent" for no sensor on the bus' },
  ],
  async run(args, io) {
    const modelFile = optString(args, 'model');
    const sensorKind = optString(args, 'sensor');
    if (sensorKind !== undefined && sensorKind !== 'mpu6050' && sensorKind !== 'bangle') throw new UsageError(`--sensor must be mpu6050 or bangle, got "${sensorKind}"`);
    if (!modelFile && !sensorKind) throw new UsageError('--model is required (without one, only --sensor with --mode record runs)');
    let model: Uint8Array = new Uint8Array(0);
    let packed: PackedModel | undefined;
    if (modelFile) {
      model = readModelFile(modelFile);
      // Validated here so a bad file (CRC, truncation) is named in the message; the kernel would only say why.
      packed = loadPackedFile(modelFile, model);
    }
    const streamHint = packed ? streamCommandHint(packed) : '--recording FILE.csv';
    const board = loadBoard(optString(args, 'board') ?? 'stm32f405');
    // A regular, ASCII file under a cap (the check tbn build applies): --bundle /dev/zero is refused, not read.
    const bundleFile = optString(args, 'bundle') ?? defaultBundlePath();
    if (!existsSync(bundleFile)) throw new TbnError('E_BUNDLE', `device bundle ${bundleFile} not found; build it with: node device/build.mjs`);
    const bundle = readBundle(bundleFile);
    const stride = optInt(args, 'stride');
    const kernel = optString(args, 'kernel') ?? 'wasm';
    if (kernel !== 'wasm' && kernel !== 'reference') throw new UsageError(`--kernel must be wasm or reference, got "${kernel}"`);
    const realTbn = kernel === 'wasm' ? await loadWasmTbnModule() : referenceTbnModule();
    const engine = optString(args, 'engine');
    if (engine !== undefined) {
      if (sensorKind) throw new UsageError('--sensor runs in the simulator only (not with --engine)');
      return runEngine(engine, optString(args, 'engine-bin'), { board, bundle, model, tbn: realTbn, stride, link: optString(args, 'link'), seconds: optInt(args, 'seconds'), streamHint }, io);
    }
    const speed = optNumber(args, 'speed');
    const clock: SimClock = speed !== undefined ? new VirtualClock() : new RealClock();
    const slowMs = optNumber(args, 'slow-kernel') ?? 0;
    const tbn: TbnModuleLike = slowMs > 0 ? { ...realTbn, run: (...a) => { busyFor(clock, slowMs); return realTbn.run(...a); } } : realTbn;
    let sensor: SimSensor | undefined;
    if (sensorKind) {
      const mode = optString(args, 'mode') ?? 'predict';
      if (!['predict', 'record', 'both', 'off'].includes(mode)) throw new UsageError(`--mode must be predict, record, both or off, got "${mode}"`);
      if (!modelFile && mode !== 'record' && mode !== 'off') throw new UsageError(`--mode ${mode} needs --model (without a model the board can only record)`);
      const plan = planSimSensor({
        kind: sensorKind as SensorKind,
        model: packed,
        mode: mode as SensorMode,
        rateHz: optNumber(args, 'sample-rate'),
        ranges: { accelRangeG: optInt(args, 'accel-range') ?? 4, gyroRangeDps: optInt(args, 'gyro-range') ?? 500 },
        dlpf: optInt(args, 'dlpf') ?? 3,
        pollMs: optInt(args, 'poll-ms') ?? 100,
        overrides: parsePairs(optString(args, 'channels'), '--channels'),
        units: parsePairs(optString(args, 'units'), '--units'),
        replayFiles: optList(args, 'replay'),
        harSubjects: optString(args, 'har-subjects'),
        dataRoot: optString(args, 'data-root'),
      });
      for (const n of plan.notes) io.err(`note: ${n}`);
      const who = optString(args, 'who-am-i');
      let whoAmI: number | 'absent' | undefined;
      if (who !== undefined) {
        whoAmI = who === 'absent' ? 'absent' : Number(who);
        if (whoAmI !== 'absent' && !(Number.isInteger(whoAmI) && whoAmI >= 0 && whoAmI <= 255)) throw new UsageError(`--who-am-i must be a byte (e.g. 0x70) or "absent", got "${who}"`);
      }
      sensor = createSimSensor({ config: plan.config, replay: plan.replay, clock, loop: optBool(args, 'loop'), whoAmI });
    }
    const ps = await startPtySimulator({
      board,
      bundle,
      model,
      tbn,
      config: stride !== undefined ? { stride } : undefined,
      link: optString(args, 'link'),
      baudRate: optInt(args, 'baud') ?? 115200,
      throttle: optBool(args, 'throttle'),
      onAppError: (e) => io.err(`app error: ${(e as Error).message ?? String(e)}`),
      clock,
      sensor,
    });
    if (clock instanceof VirtualClock) clock.pace(speed as number);
    const l = ps.sim.limits;
    io.err(`simulating ${board.name}: model ${l.modelBytes} B, scratch ${l.scratchBytes} B, bundle ${l.bundleBytes} B, ~${l.jsVarsUsed} of ${board.jsVars} JS variables`);
    for (const row of l.fit.rows) io.err(`  ${row.what}: ${row.need} of ${row.have}`);
    io.out(ps.hostPath);
    if (sensor) {
      const m = sensor.config.mode;
      io.err(`serial port ready: the board ${m === 'record' ? 'records' : m === 'off' ? 'waits (sensor off)' : 'predicts'} on its own emulated ${sensor.config.kind}${speed !== undefined ? ` at ${speed}x real time` : ''}: ` +
        (m === 'record' ? `tbn record --port ${ps.hostPath} --label NAME --seconds 10 --subject s01` : `tbn monitor --port ${ps.hostPath}`));
    } else io.err(`serial port ready: tbn stream --port ${ps.hostPath} ${streamHint}`);
    await waitForStop(optInt(args, 'seconds'));
    const t = ps.traffic();
    await ps.close();
    const played = sensor ? `, sensor replayed ${sensor.cursor.index} of ${sensor.cursor.replay.count} samples` : '';
    io.err(`stopped: received ${t.rxBytes} B, sent ${t.txBytes} B${played}, ${ps.sim.appErrors().length} app errors`);
    return 0;
  },
};

/** An inference that takes ms longer: the virtual clock jumps; real time blocks the thread, as a slow board would. */
function busyFor(clock: SimClock, ms: number): void {
  if (clock instanceof VirtualClock) clock.busy(ms);
  else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}



async function runEngine(
  engine: string,
  bin: string | undefined,
  o: { board: BoardDefinition; bundle: string; model: Uint8Array; tbn: TbnModuleLike; stride?: number; link?: string; seconds?: number; streamHint: string },
  io: CliIO,
): Promise<number> {
  if (engine !== 'espruino' && engine !== 'jerryscript') throw new UsageError(`--engine must be espruino or jerryscript, got "${engine}"`);
  if (!bin) throw new UsageError('--engine needs --engine-bin PATH');
  let info;
  try {
    const h = o.tbn.open(o.model);
    info = o.tbn.info(h);
    o.tbn.close(h);
  } catch (e) {
    throw new TbnError('E_MODEL', `the model does not open: ${(e as Error).message}`);
  }
  const config = o.stride !== undefined ? { stride: o.stride } : undefined;
  const limits = estimateLimits(o.board, o.bundle.length, o.model.length, info, config);
  if (!limits.fit.fits) throw new TbnError('E_FIT', `the model does not fit the ${o.board.name}:\n  ${limits.fit.problems.join('\n  ')}`);
  const dev = await startEngineDevice(engine, bin, o.bundle, o.model, { link: o.link, config });
  io.out(dev.hostPath);
  io.err(`${engine} (${bin}) runs the bundle; serial port ready: tbn stream --port ${dev.hostPath} ${o.streamHint}`);
  await waitForStop(o.seconds);
  await dev.close();
  return 0;
}
