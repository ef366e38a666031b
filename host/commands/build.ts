import path from 'node:path';
import { optBool, optString, UsageError } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import { loadBoard } from '../boards.ts';
import { checkBuildFit, ENGINES, type Engine, fitError, writeArtifacts } from '../build/artifacts.ts';
import { buildDeviceBundle, hasDeviceSources, readBundle } from '../build/bundle.ts';
import { TbnError } from '../errors.ts';
import { FormatError, readModel, readModelFile } from '../format/reader.ts';

const fmt = (n: number) => n.toLocaleString('en-US');

export const command: Command = {
  name: 'build',
  usage: 'tbn build --board NAME --engine espruino|jerryscript --model model.tbn [-o DIR] [--json]',
  summary: 'bundle the device app, check it and the model against the board budgets, and write the artifacts for flashing',
  options: [
    { name: 'board', type: 'string', description: 'board name (boards/<name>/board.json)' },
    { name: 'engine', type: 'string', description: 'espruino or jerryscript', default: 'espruino' },
    { name: 'model', type: 'string', short: 'm', description: 'packed .tbn model' },
    { name: 'out', type: 'string', short: 'o', description: 'output directory (default out/<board>-<engine>)' },
    { name: 'bundle', type: 'string', description: 'use this app bundle instead of running the device build' },
    { name: 'snapshot', type: 'string', description: 'JerryScript: a jerry-snapshot of app.snapshot.js to link in as well' },
    { name: 'force', type: 'boolean', description: 'write into a non-empty output folder that holds no tbn build' },
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
    const snapshotFile = optString(args, 'snapshot');
    const snapshot = snapshotFile ? readModelFile(snapshotFile, 'snapshot') : undefined;

    let bundleFile = optString(args, 'bundle');
    if (!bundleFile) {
      if (!json) io.err(hasDeviceSources() ? 'bundling the device app (node device/build.mjs) ...' : 'using the prebuilt device bundle of this package');
      bundleFile = buildDeviceBundle();
    }
    const bundle = readBundle(bundleFile);

    const fit = checkBuildFit({ board, model, modelBytes, bundle, modelFile });
    if (!fit.fits) {
      if (json) {
        io.out(JSON.stringify({ ok: false, board: board.name, engine, model: modelFile, problems: fit.problems, fit: fit.rows }));
        return 1;
      }
      throw fitError(board.name, modelFile, fit);
    }
    const outDir = optString(args, 'out') ?? path.join('out', `${board.name}-${engine}`);
    const manifest = writeArtifacts({ board, engine, model, modelBytes, modelFile, bundle, bundleFile, snapshot, outDir, force: optBool(args, 'force') }, fit);
    if (json) {
      io.out(JSON.stringify({ ok: true, outDir, ...manifest }));
      return 0;
    }
    const lines = [`built ${board.name} / ${engine} in ${outDir}:`];
    for (const r of fit.rows) lines.push(`  ${r.what.padEnd(30)} ${fmt(r.need).padStart(10)} of ${fmt(r.have).padStart(10)} B`);
    for (const f of manifest.files) lines.push(`  ${f.path.padEnd(16)} ${fmt(f.bytes).padStart(10)} B`);
    lines.push(
      engine === 'espruino'
        ? `next: tbn flash --port /dev/ttyACM0 --dir ${outDir}`
        : `next: link ${path.join(outDir, 'tbn_blobs.c')} into the board firmware (docs/engines.md), or tbn flash --dir ${outDir} for the flasher command`,
    );
    io.out(lines.join('\n'));
    return 0;
  },
};
