import { optBool, optInt, optString, UsageError } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import { listNames } from '../data/csv.ts';
import { loadSplitForModel } from '../data/select.ts';
import { datasetOptions, datasetOptionsFrom } from './dataset-options.ts';
import { TbnError } from '../errors.ts';
import type { FloatModel } from '../model/float-model.ts';
import { packModel } from '../format/pack.ts';
import { readModel, readModelFile } from '../format/reader.ts';
import { isTbnFile, loadPackedFile } from '../format/source.ts';
import { loadFloatModel } from '../train/load-model.ts';
import { confusionMatrix, evaluatePacked, formatConfusion } from '../reference/evaluate.ts';
import { floatPredict } from '../train/float-forward.ts';

export const command: Command = {
  name: 'eval',
  usage: 'tbn eval CHECKPOINT|MODEL.tbn [--data har|fashion-mnist|...] [--split test] [--json]',
  summary: 'compare float and packed integer accuracy on the same data split, with a confusion matrix',
  options: [
    ...datasetOptions,
    { name: 'split', type: 'string', description: 'which split to evaluate: test, val or train', default: 'test' },
    { name: 'seed', type: 'string', range: { integer: true, min: 0, max: 4294967295 }, description: 'seed of the validation split (default: the checkpoint\'s training seed, else 1)' },
    { name: 'json', type: 'boolean', description: 'print one JSON object' },
  ],
  async run(args, io) {
    const [file, ...extra] = args.positionals;
    if (!file) throw new UsageError('give a checkpoint or a .tbn file');
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const split = optString(args, 'split') ?? 'test';
    if (split !== 'test' && split !== 'val' && split !== 'train') throw new UsageError(`--split must be test, val or train, got "${split}"`);
    const bytes = readModelFile(file);
    let float: FloatModel | undefined;
    let seed = optInt(args, 'seed');
    let packed;
    if (isTbnFile(bytes)) packed = loadPackedFile(file, bytes);
    else {
      float = loadFloatModel(file, bytes);
      packed = readModel(packModel(float));
      if (seed === undefined) {
        try {
          const s = (JSON.parse(new TextDecoder().decode(bytes)) as { train?: { seed?: unknown } }).train?.seed;
          if (typeof s === 'number' && Number.isInteger(s)) seed = s;
        } catch {
          // Not JSON with a seed: use the default.
        }
      }
    }
    // Columns are matched by the names the checkpoint was trained on, never taken in file order.
    const json = optBool(args, 'json');
    const { data, description } = loadSplitForModel(datasetOptionsFrom(args), seed ?? 1, split, { file, channels: float?.channels ?? [], classes: packed.classes }, json ? undefined : (line) => io.err(line));
    const exampleLen = data.shape[0] * data.shape[1] * data.shape[2];
    const modelLen = packed.inShape[0] * packed.inShape[1] * packed.inShape[2];
    if (exampleLen !== modelLen) {
      throw new TbnError('E_INPUT', `${data.name}: examples are ${data.shape.join('x')} (${exampleLen} values) but ${file} takes ${packed.inShape.join('x')} (${modelLen})`);
    }
    if (data.classes.join('\u0000') !== packed.classes.join('\u0000')) {
      throw new TbnError('E_INPUT', `${data.name}: classes (${listNames(data.classes)}) differ from the model's (${listNames(packed.classes)})`);
    }
    if (data.count === 0) throw new TbnError('E_INPUT', `${data.name}: the ${split} split is empty`);
    const packedPred = evaluatePacked(packed, data.x, data.count);
    const floatPred = float ? floatPredict(float, data.x, data.count) : undefined;
    const acc = (pred: Int32Array) => pred.reduce((a, p, i) => a + (p === data.y[i] ? 1 : 0), 0) / data.count;
    const packedAcc = acc(packedPred);
    const floatAcc = floatPred ? acc(floatPred) : undefined;
    const agreement = floatPred ? floatPred.reduce((a, p, i) => a + (p === packedPred[i] ? 1 : 0), 0) / data.count : undefined;
    const confusion = confusionMatrix(data.y, packedPred, data.classes.length);
    const diff = floatAcc !== undefined ? 100 * (packedAcc - floatAcc) : undefined;
    if (optBool(args, 'json')) {
      io.out(JSON.stringify({
        model: file, data: data.name, split, count: data.count, classes: data.classes,
        floatAccuracy: floatAcc ?? null, packedAccuracy: packedAcc, differencePoints: diff ?? null, agreement: agreement ?? null,
        confusion, floatConfusion: floatPred ? confusionMatrix(data.y, floatPred, data.classes.length) : null,
        description,
      }));
      return 0;
    }
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    const lines = [`${file} on ${data.name} (${split}, ${data.count} examples)`, description];
    if (floatAcc !== undefined && diff !== undefined && agreement !== undefined) {
      lines.push(`float accuracy:  ${pct(floatAcc)}`);
      lines.push(`packed accuracy: ${pct(packedAcc)} (integer reference)`);
      lines.push(`difference: ${diff >= 0 ? '+' : ''}${diff.toFixed(2)} points; same prediction on ${pct(agreement)} of examples${Math.abs(diff) > 0.5 ? '  (MORE THAN 0.5 POINTS)' : ''}`);
    } else {
      lines.push(`packed accuracy: ${pct(packedAcc)} (integer reference; a .tbn file has no float model to compare, give the checkpoint for both)`);
    }
    lines.push('', 'confusion matrix of the packed model (rows: true class, columns: predicted):', formatConfusion(confusion, data.classes));
    io.out(lines.join('\n'));
    return 0;
  },
};
