import path from 'node:path';
import { existsSync } from 'node:fs';
import { optBool, optInt, optString, UsageError } from '../cli/args.ts';
import { type Command, waitForStop } from '../cli/command.ts';
import { buildDeviceBundle, DEFAULT_BUNDLE } from '../build/bundle.ts';
import { buildFirmware, defaultOutDir, type FirmwareOptions, previousBuild } from '../firmware/build.ts';
import { ENGINE_NAMES, type EngineName } from '../firmware/engines.ts';
import { runLinuxFirmware, runQemuStm32, type RunningFirmware } from '../firmware/run.ts';
import { readModelFile } from '../format/reader.ts';
import { loadPackedFile } from '../format/source.ts';
import { streamCommandHint } from './sim.ts';

export const command: Command = {
  name: 'firmware',
  usage: 'tbn firmware --engine espruino|jerryscript --engine-dir PATH --board NAME [--model m.tbn] [-o DIR] [--run]',
  summary: 'build Espruino or JerryScript with the tbn module from your engine checkout (never downloads); --run starts it behind a pty',
  options: [
    { name: 'engine', type: 'string', description: 'espruino or jerryscript' },
    { name: 'engine-dir', type: 'string', description: 'your git checkout of the engine (Espruino c5ff787b, JerryScript v3.0.0)' },
    { name: 'board', type: 'string', description: 'linux, stm32f405, stm32f401, esp32, or an Espruino board file name such as PICO_R1_3_TBN' },
    { name: 'model', type: 'string', short: 'm', description: 'packed .tbn model (JerryScript on stm32f405: linked in; with --run: loaded into Storage)' },
    { name: 'out', type: 'string', short: 'o', description: 'output directory (default out/firmware/<board>-<engine>)' },
    { name: 'bundle', type: 'string', description: 'app bundle (default build/device/app.js from the device build)' },
    { name: 'snapshot', type: 'boolean', description: 'JerryScript on stm32f405: link a snapshot of the app (made by the matching jerry-snapshot) instead of its source' },
    { name: 'run', type: 'boolean', description: 'start the firmware (Linux, or the stm32f405 in QEMU) with the app and model, Serial1 on a pty for tbn stream' },
    { name: 'rebuild', type: 'boolean', description: 'with --run: build even when the output directory holds an up-to-date build' },
    { name: 'link', type: 'string', description: 'with --run: create the host end of the pty at this path' },
    { name: 'seconds', type: 'string', range: { integer: true, min: 1, max: 31_536_000 }, description: 'with --run: stop after this many seconds (default: until Ctrl-C)' },
    { name: 'jobs', type: 'string', short: 'j', range: { integer: true, min: 1, max: 256 }, description: 'parallel compile jobs', default: '2' },
    { name: 'timeout', type: 'string', range: { integer: true, min: 1, max: 1440 }, description: 'give up on a build step after this many minutes', default: '60' },
    { name: 'allow-other-version', type: 'boolean', description: 'build a checkout at another commit than the tested one (untested)' },
    { name: 'json', type: 'boolean', description: 'print one JSON object (not with --run)' },
  ],
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`);
    const engine = optString(args, 'engine') as EngineName | undefined;
    if (!engine || !ENGINE_NAMES.includes(engine)) throw new UsageError(`--engine must be espruino or jerryscript${engine ? `, got "${engine}"` : ''}`);
    const engineDir = optString(args, 'engine-dir');
    if (!engineDir) throw new UsageError('--engine-dir is required: the path of your engine checkout');
    const board = optString(args, 'board');
    if (!board) throw new UsageError('--board is required');
    const run = optBool(args, 'run');
    const json = optBool(args, 'json');
    if (run && json) throw new UsageError('--json cannot be combined with --run');
    const modelFile = optString(args, 'model');
    if (run && !modelFile) throw new UsageError('--run needs --model (the model the app loads)');
    const jobs = optInt(args, 'jobs') as number;
    const timeoutMin = optInt(args, 'timeout') as number;
    const seconds = optInt(args, 'seconds');
    const outDir = optString(args, 'out') ?? defaultOutDir(engine, board);

    const options: FirmwareOptions = {
      engine,
      engineDir,
      board,
      outDir,
      modelFile,
      bundleFile: optString(args, 'bundle'),
      snapshot: optBool(args, 'snapshot'),
      jobs,
      timeoutMs: timeoutMin * 60_000,
      allowOtherVersion: optBool(args, 'allow-other-version'),
      onProgress: json ? undefined : (line) => io.err(line),
    };
    const previous = run && !optBool(args, 'rebuild') ? previousBuild(options) : null;
    if (previous) io.err(`${previous.image} is up to date (same engine commit, board and model; newer than our sources): not rebuilt (--rebuild forces it)`);
    const result = previous ?? (await buildFirmware(options));
    if (json) {
      io.out(JSON.stringify({ ok: true, engine, board: result.target.board, commit: result.checkout.commit, outDir: result.outDir, image: result.image, elf: result.elf, size: result.size, snapshotTool: result.snapshotTool }));
      return 0;
    }
    if (!result.checkout.pinned) io.err(`warning: ${result.checkout.dir} is at ${result.checkout.commit.slice(0, 8)}, not the tested version (--allow-other-version)`);
    io.out(`${previous ? 'up to date' : 'built'} ${result.image}\n${result.size.line}`);
    if (!run) {
      if (result.manifest) io.out(`app and model: ${result.outDir} (tbn flash --dir ${result.outDir}${engine === 'espruino' ? ' --port PORT' : ''})`);
      return 0;
    }

    // What to stream, named before the firmware starts: HAR subjects only for a HAR-shaped model.
    const streamHint = streamCommandHint(loadPackedFile(modelFile as string, readModelFile(modelFile as string)));
    let running: RunningFirmware;
    if (result.target.runnable === 'linux') {
      const bundle = optString(args, 'bundle') ?? (existsSync(DEFAULT_BUNDLE) ? DEFAULT_BUNDLE : buildDeviceBundle());
      running = await runLinuxFirmware(engine, result.image, bundle, modelFile as string, optString(args, 'link'));
    } else if (result.target.runnable === 'qemu' && result.elf) {
      running = await runQemuStm32(result.elf, path.join(result.outDir, 'console.txt'), { link: optString(args, 'link') });
    } else {
      throw new UsageError(`--run starts the Linux builds and the stm32f405 JerryScript firmware (in QEMU); flash the ${result.target.board} image to a board instead`);
    }
    io.out(running.hostPath);
    io.err(`${engine} firmware runs the app with ${modelFile}; serial port ready: tbn stream --port ${running.hostPath} ${streamHint}`);
    await waitForStop(seconds);
    await running.close();
    io.err('stopped');
    return 0;
  },
};

