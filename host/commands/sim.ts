import { readFileSync } from 'node:fs';
import { optInt, optString, UsageError } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import { loadBoard } from '../boards.ts';
import { TbnError } from '../errors.ts';
import { startPtySimulator } from '../sim/serve.ts';
import { defaultBundlePath, readBundle } from '../sim/simulator.ts';
import { loadWasmTbnModule } from '../sim/tbn-module.ts';

export const command: Command = {
  name: 'sim',
  usage: 'tbn sim --board stm32f405 --model model.tbn [--link PATH] [--stride N]',
  summary: 'run the device bundle in the host simulator behind a pseudo-terminal (stop with Ctrl-C)',
  options: [
    { name: 'board', type: 'string', description: 'board whose limits apply (boards/<name>)', default: 'stm32f405' },
    { name: 'model', type: 'string', description: 'packed .tbn model, stored as model.tbn' },
    { name: 'bundle', type: 'string', description: 'device bundle (default build/device/app.js)' },
    { name: 'link', type: 'string', description: 'create the host end of the pty at this path' },
    { name: 'stride', type: 'string', description: 'samples between inferences (default half the window)' },
    { name: 'seconds', type: 'string', description: 'stop after this many seconds (default: run until interrupted)' },
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
    const tbn = await loadWasmTbnModule();
    const ps = await startPtySimulator({
      board,
      bundle,
      model,
      tbn,
      config: stride !== undefined ? { stride } : undefined,
      link: optString(args, 'link'),
      onAppError: (e) => io.err(`app error: ${(e as Error).message ?? String(e)}`),
    });
    const l = ps.sim.limits;
    io.err(`simulating ${board.name}: model ${l.modelBytes} B, scratch ${l.scratchBytes} B, bundle ${l.bundleBytes} B, ~${l.jsVarsUsed} of ${board.jsVars} JS variables`);
    for (const row of l.fit.rows) io.err(`  ${row.what}: ${row.need} of ${row.have}`);
    io.out(ps.hostPath);
    io.err(`serial port ready: tbn stream --port ${ps.hostPath} --har-subjects s15-s18`);
    const seconds = optInt(args, 'seconds');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (seconds !== undefined) setTimeout(stop, seconds * 1000);
    });
    const t = ps.traffic();
    await ps.close();
    io.err(`stopped: received ${t.rxBytes} B, sent ${t.txBytes} B, ${ps.sim.appErrors().length} app errors`);
    return 0;
  },
};
