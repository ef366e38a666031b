/** `tbn report`: one self-contained HTML page of what a model is, how it trained and how it runs. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { optBool, optInt, optionWords, optString, UsageError, type ParsedArgs } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import { loadSplitForModel } from '../data/select.ts';
import { datasetOptions, datasetOptionsFrom } from './dataset-options.ts';
import { TbnError } from '../errors.ts';
import { isTbnFile, loadPackedFile } from '../format/source.ts';
import { readRegularFile, writeFileAtomic } from '../io/files.ts';
import { shellQuote } from '../io/shell.ts';
import { binaryModel, evaluateForReport, isMonitorLog, makeReport, packBinaryModel, parseBenchJson, parseMonitorLog, parseStreamJson, type ReportModel } from '../report/index.ts';
import { modelLabel } from '../train/size.ts';
import { parseCheckpoint } from '../train/checkpoint.ts';

const MAX_JSON_BYTES = 512 << 20;

function readJson(file: string, what: string): unknown {
  return parseJson(readRegularFile(file, MAX_JSON_BYTES, what).toString('utf8'), file, what);
}

function parseJson(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TbnError('E_INPUT', `${file}: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

/** The command as parsed (defaults written out), for the page: `tbn NAME positionals --option value ...`. */
export function commandLine(name: string, args: ParsedArgs): string {
  return ['tbn', name, ...args.positionals.map(shellQuote), ...optionWords(args)].join(' ');
}

export const command: Command = {
  name: 'report',
  usage: 'tbn report CKPT... [--model m.tbn] [--eval [data options]] [--stream JSON|JSONL] [--bench DIR] [--board NAME] -o report.html',
  summary:
    'Write one self-contained HTML page (no script, nothing loaded from the network): training curves, accuracy and\n' +
    'confusion matrices, per-layer sizes against the board, the learned tiles, device latency and predictions, and\n' +
    'instruction counts per core, each figure with the command, data, split and seed behind it.',
  options: [
    { name: 'model', type: 'string', description: 'the packed .tbn file whose sizes and tiles to show (default: the TBN checkpoint, else the BNN, packed as tbn pack does)' },
    { name: 'eval', type: 'boolean', description: 'evaluate every checkpoint (float) and the packed model on a split for the confusion matrices; give the data options used to train' },
    ...datasetOptions,
    { name: 'split', type: 'string', description: 'split for --eval: test, val or train', default: 'test' },
    { name: 'seed', type: 'string', range: { integer: true, min: 0, max: 4294967295 }, description: 'seed of the validation split for --eval (default: the first checkpoint\'s training seed)' },
    { name: 'stream', type: 'string', description: 'a tbn stream --json report, or a tbn monitor --json log (JSON lines), for the device section' },
    { name: 'bench', type: 'string', description: 'folder holding boards.json from npm run bench boards (or that file) for the cost section' },
    { name: 'board', type: 'string', description: 'board whose flash and RAM budgets to draw', default: 'stm32f405' },
    { name: 'out', short: 'o', type: 'string', description: 'the HTML file to write', default: 'report.html' },
  ],
  async run(args, io) {
    const files = args.positionals;
    const modelFile = optString(args, 'model');
    if (files.length === 0 && modelFile === undefined) throw new UsageError('give one or more checkpoints (and/or --model m.tbn)');
    const models: ReportModel[] = files.map((file) => {
      const bytes = readRegularFile(file, MAX_JSON_BYTES, 'checkpoint');
      if (isTbnFile(bytes)) throw new UsageError(`${file} is a .tbn model: give it with --model, and the checkpoints as arguments`);
      return { file, checkpoint: parseCheckpoint(bytes.toString('utf8'), file) };
    });
    const packed = modelFile !== undefined ? { file: modelFile, model: loadPackedFile(modelFile) } : packBinaryModel(models);

    let evals;
    let evalSource: string | undefined;
    if (optBool(args, 'eval')) {
      const split = optString(args, 'split') ?? 'test';
      if (split !== 'test' && split !== 'val' && split !== 'train') throw new UsageError(`--split must be test, val or train, got "${split}"`);
      const seed = optInt(args, 'seed') ?? models[0]?.checkpoint.train.seed ?? 1;
      // Columns are matched by the names the checkpoints were trained on, never taken in file order.
      const first = models[0];
      const channels = first?.checkpoint.spec.channels ?? [];
      const other = models.find((m) => m.checkpoint.spec.channels.join(',') !== channels.join(','));
      if (first && other) throw new UsageError(`${other.file} was trained on channels ${other.checkpoint.spec.channels.join(',')}, ${first.file} on ${channels.join(',')}: evaluate them separately`);
      const classes = packed?.model.classes ?? first?.checkpoint.spec.classes ?? [];
      const { data, description } = loadSplitForModel(datasetOptionsFrom(args), seed, split, { file: first?.file ?? modelFile ?? '', channels, classes });
      const source = binaryModel(models);
      const packedForEval = packed ? { file: packed.file, model: packed.model, label: source ? modelLabel(source.checkpoint.spec) : packed.file } : undefined;
      evals = evaluateForReport(models, packedForEval, data);
      evalSource = `Evaluated by tbn report --eval on the ${split} split (seed ${seed}): ${description}.`;
    } else if (args.options.data !== undefined) {
      throw new UsageError('data options are for --eval; add --eval to evaluate on them');
    }

    let stream;
    let monitor;
    const streamFile = optString(args, 'stream');
    if (streamFile !== undefined) {
      const text = readRegularFile(streamFile, MAX_JSON_BYTES, 'stream report').toString('utf8');
      if (isMonitorLog(text)) monitor = { file: streamFile, log: parseMonitorLog(text, streamFile) };
      else stream = { file: streamFile, report: parseStreamJson(parseJson(text, streamFile, 'stream report'), streamFile) };
    }

    let bench;
    const benchOption = optString(args, 'bench');
    if (benchOption !== undefined) {
      const file = existsSync(benchOption) && statSync(benchOption).isDirectory() ? path.join(benchOption, 'boards.json') : benchOption;
      bench = { file, json: parseBenchJson(readJson(file, 'bench results'), file) };
    }

    const out = optString(args, 'out') ?? 'report.html';
    const html = await makeReport({
      command: commandLine('report', args),
      models,
      ...(packed ? { packed } : {}),
      board: optString(args, 'board') ?? 'stm32f405',
      ...(evals ? { evals } : {}),
      ...(evalSource ? { evalSource } : {}),
      ...(stream ? { stream } : {}),
      ...(monitor ? { monitor } : {}),
      ...(bench ? { bench } : {}),
    });
    writeFileAtomic(out, html);
    io.out(`wrote ${out} (${Math.round(html.length / 1024)} kB, self-contained)`);
    return 0;
  },
};
