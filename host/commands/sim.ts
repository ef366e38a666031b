import { readFileSync } from 'node:fs';
import { optBool, optInt, optString, UsageError } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import { loadBoard } from '../boards.ts';
import { TbnError } from '../errors.ts';
import { startEngineDevice } from '../sim/engine.ts';
import { referenceTbnModule } from '../sim/reference-tbn.ts';
import { startPtySimulator } from '../sim/serve.ts';
import { defaultBundlePath, estimateLimits, readBundle } from '../sim/simulator.ts';
import { loadWasmTbnModule, type TbnModuleLike } from '../sim/tbn-module.ts';
import type { BoardDefinition } from '../boards.ts';
import type { CliIO } from '../cli/command.ts';

export const command: Command = {
  name: 'sim',
  usage: 'tbn sim --board stm32f405 --model model.tbn [--link PATH] [--stride N]',
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
  ],
  async run(args, io) {
    const modelFile = optString(args, 'model');
    if (!modelFile) throw new UsageError('--model is required');
    let model: Uint8Array;
    try {
      model = new Uint8Array(readFileSync(modelFile));
    } catch (e) {
      throw new TbnError('E_INPUT', `${modelFile}: cannot read the model (${(e as Error).message})`);
    }
    const board = loadBoard(optString(args, 'board') ?? 'stm32f405');
    const bundle = readBundle(optString(args, 'bundle') ?? defaultBundlePath());
    const stride = optInt(args, 'stride');
    const kernel = optString(args, 'kernel') ?? 'wasm';
    if (kernel !== 'wasm' && kernel !== 'reference') throw new UsageError(`--kernel must be wasm or reference, got "${kernel}"`);
    const tbn = kernel === 'wasm' ? await loadWasmTbnModule() : referenceTbnModule();
    const engine = optString(args, 'engine');
    if (engine !== undefined) return runEngine(engine, optString(args, 'engine-bin'), { board, bundle, model, tbn, stride, link: optString(args, 'link'), seconds: optInt(args, 'seconds') }, io);
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
    });
    const l = ps.sim.limits;
    io.err(`simulating ${board.name}: model ${l.modelBytes} B, scratch ${l.scratchBytes} B, bundle ${l.bundleBytes} B, ~${l.jsVarsUsed} of ${board.jsVars} JS variables`);
    for (const row of l.fit.rows) io.err(`  ${row.what}: ${row.need} of ${row.have}`);
    io.out(ps.hostPath);
    io.err(`serial port ready: tbn stream --port ${ps.hostPath} --har-subjects s15-s18`);
    await waitForStop(optInt(args, 'seconds'));
    const t = ps.traffic();
    await ps.close();
    io.err(`stopped: received ${t.rxBytes} B, sent ${t.txBytes} B, ${ps.sim.appErrors().length} app errors`);
    return 0;
  },
};

function waitForStop(seconds: number | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (timer) clearTimeout(timer);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (seconds !== undefined) timer = setTimeout(stop, seconds * 1000);
  });
}

async function runEngine(
  engine: string,
  bin: string | undefined,
  o: { board: BoardDefinition; bundle: string; model: Uint8Array; tbn: TbnModuleLike; stride?: number; link?: string; seconds?: number },
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
  io.err(`${engine} (${bin}) runs the bundle; serial port ready: tbn stream --port ${dev.hostPath} --har-subjects s15-s18`);
  await waitForStop(o.seconds);
  await dev.close();
  return 0;
}
