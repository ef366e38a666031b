/** `tbn train`: train FP32, BNN and TBN models side by side and print one comparison table. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { optBool, optInt, optNumber, optString, UsageError, type OptionSpec, type ParsedArgs } from '../cli/args.ts';
import type { CliIO, Command } from '../cli/command.ts';
import { loadSplits } from '../data/select.ts';
import { datasetOptions, datasetOptionsFrom } from './dataset-options.ts';
import { DEFAULT_MIN_TILE_SIZE, type AlphaMode, type HiddenActivation, type Variant } from '../train/arch.ts';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint.ts';
import { defaultGemm } from '../train/kernels.ts';
import { resumeTraining, trainVariants, type VariantResult } from '../train/session.ts';
import { writeFileAtomic } from '../io/files.ts';
import { evaluateForReport, makeReport } from '../report/index.ts';
import { commandLine } from './report.ts';
import type { TrainProgress } from '../train/trainer.ts';

const options: OptionSpec[] = [
  ...datasetOptions,
  { name: 'arch', type: 'string', description: 'har-cnn, mlp:256,256, or layers "conv1d:32x5 conv1d:64x5 maxpool:2 conv1d:64x5 gap" (dense:N, conv2d:NxK[/S] too); a dense classifier is appended (default: har-cnn for windows, mlp:256,256 otherwise)' },
  { name: 'variants', type: 'string', description: 'comma-separated models to train side by side: fp32, bnn, tbn', default: 'fp32,bnn,tbn' },
  { name: 'p', type: 'string', range: { integer: true, min: 1, max: 65535 }, description: 'tbn tiling factor for every layer with at least --min-tile-size weights', default: '4' },
  { name: 'min-tile-size', type: 'string', range: { integer: true, min: 0 }, description: 'layers with fewer weights stay untiled (p = 1)', default: String(DEFAULT_MIN_TILE_SIZE) },
  { name: 'layer-p', type: 'string', range: { integer: true, min: 1, max: 65535, list: true }, description: 'tbn p per weight layer in order, classifier included, e.g. 1,4,4,1 (overrides --p)' },
  { name: 'activation', type: 'string', description: 'hidden activation of bnn/tbn: sign (binary, XNOR-popcount on device) or relu (weight-only); fp32 always uses relu', default: 'sign' },
  { name: 'alpha', type: 'string', description: 'alpha per tile copy from a separate latent W (weight), from the scores (scores), or one per layer from W (single)', default: 'weight' },
  { name: 'epochs', type: 'string', range: { integer: true, min: 1, max: 100000 }, description: 'training epochs', default: '20' },
  { name: 'batch', type: 'string', range: { integer: true, min: 1, max: 1000000 }, description: 'batch size (default: 32 below 10,000 training examples, e.g. HAR windows; else 128)' },
  { name: 'lr', type: 'string', range: { above: 0, max: 10, list: true }, description: 'Adam learning rate(s); several (e.g. 1e-3,3e-3) are each trained and the best on validation is kept', default: '1e-3,3e-3' },
  { name: 'weight-decay', type: 'string', range: { min: 0, max: 1 }, description: 'L2 weight decay on the latent W (the float weights for fp32)', default: '1e-4' },
  { name: 'refit', type: 'boolean', description: 'after choosing the lr on validation, train each model again from scratch on train + val (same seed and epochs) and report and save that model; --no-refit keeps the model trained on train alone', default: 'true' },
  { name: 'folds', type: 'string', range: { integer: true, min: 1, max: 100 }, description: 'with several --lr, choose the lr by K-fold cross-validation on train + val (by subject for har/synthetic): K trainings per lr instead of one, less noisy on small data; needs refit', default: '1' },
  { name: 'seed', type: 'string', range: { integer: true, min: 0, max: 4294967295 }, description: 'seed of initialisation, shuffling and the validation split', default: '1' },
  { name: 'out', short: 'o', type: 'string', description: 'checkpoint path prefix: writes PREFIX-<variant>.ckpt.json; a path ending in .ckpt.json is used as is for one variant (default out/model; with --resume, the resumed file)' },
  { name: 'resume', type: 'string', description: 'continue training this checkpoint up to --epochs in total (give the same data options)' },
  { name: 'slim', type: 'boolean', description: 'save checkpoints without latents and optimizer state (smaller; cannot resume)' },
  { name: 'no-save', type: 'boolean', description: 'do not write checkpoints' },
  { name: 'json', type: 'boolean', description: 'print one JSON object with the results on stdout' },
  { name: 'report', type: 'boolean', description: 'write PREFIX-report.html beside the checkpoints (tbn report of the models trained; none with --no-save); --no-report skips it', default: 'true' },
];

function parseList<T extends string>(text: string, name: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError(`--${name} is empty`);
  for (const i of items) if (!allowed.includes(i as T)) throw new UsageError(`--${name}: unknown value "${i}" (expected ${allowed.join(', ')})`);
  return items as T[];
}

function parseNumbers(text: string, name: string, integer: boolean): number[] {
  return text.split(',').map((s) => {
    const v = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      throw new UsageError(`--${name}: "${s.trim()}" is not a positive ${integer ? 'integer' : 'number'}`);
    }
    return v;
  });
}

function positiveInt(args: ParsedArgs, name: string): number {
  const v = optInt(args, name);
  if (v === undefined || v < 1) throw new UsageError(`--${name} must be a positive integer`);
  return v;
}

/** PREFIX-report.html beside the checkpoints (PREFIX without .ckpt.json). */
export function reportPath(out: string): string {
  return `${out.endsWith('.ckpt.json') ? out.slice(0, -'.ckpt.json'.length) : out}-report.html`;
}

export function checkpointPath(out: string, variant: Variant, single: boolean): string {
  if (out.endsWith('.ckpt.json')) return single ? out : `${out.slice(0, -'.ckpt.json'.length)}-${variant}.ckpt.json`;
  return `${out}-${variant}.ckpt.json`;
}

const pct = (x: number): string => (100 * x).toFixed(2);

export function resultsTable(results: VariantResult[]): string {
  const bnn = results.find((r) => r.variant === 'bnn')?.size.weightBits;
  const lines = [
    '| model | lr | val acc % | trained on | test acc % | test macro-F1 | weight bits | bits per weight | vs BNN |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const vs = bnn ? (r.size.weightBits / bnn).toFixed(3) : '-';
    const trainedOn = r.refit ? `train+val ${r.train.count} (refit)` : `train ${r.train.count}`;
    lines.push(`| ${r.label} | ${r.lr} | ${pct(r.val.accuracy)} | ${trainedOn} | ${pct(r.test.accuracy)} | ${r.test.macroF1.toFixed(3)} | ${r.size.weightBits.toLocaleString('en-US')} | ${r.size.bitsPerWeight.toFixed(3)} | ${vs} |`);
  }
  return lines.join('\n');
}

function progressDrawer(io: CliIO): (label: string, lr: number, p: TrainProgress) => void {
  let last = 0;
  let drawn = false;
  return (label, lr, p) => {
    const now = Date.now();
    const head = `${label} lr ${lr} epoch ${p.epoch}/${p.epochs}`;
    const stats = `loss ${p.loss.toFixed(4)} acc ${pct(p.accuracy)}%${p.valAccuracy !== undefined ? ` val ${pct(p.valAccuracy)}%` : ''}`;
    if (!io.interactive) {
      if (p.epochDone) io.err(`${head} ${stats}`);
      return;
    }
    if (!p.epochDone && now - last < 200) return;
    last = now;
    const width = 24;
    const filled = Math.round((width * p.step) / p.steps);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line = `${head} ${bar} ${p.step}/${p.steps} ${stats}`;
    io.err(`${drawn ? '\x1b[1A\x1b[2K' : ''}${line}`);
    drawn = !p.epochDone;
  };
}

export const command: Command = {
  name: 'train',
  usage: 'tbn train [--data har|fashion-mnist|synthetic|csv:FILE] [--variants fp32,bnn,tbn] [options]',
  summary:
    'Train FP32, BNN (binary weights, p = 1) and TBN (tiled binary weights) models with the same code, choose the\n' +
    'learning rate on the validation split, and print validation/test accuracy with weight bits\n' +
    '(tile bits plus 32 bits per alpha; FP32: 32 bits per weight; BatchNorm and biases not counted).',
  options,
  async run(args: ParsedArgs, io: CliIO): Promise<number> {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const json = optBool(args, 'json');
    const seed = optInt(args, 'seed') ?? 1;
    const epochs = positiveInt(args, 'epochs');
    const batchOption = args.options.batch !== undefined ? positiveInt(args, 'batch') : undefined;
    const slim = optBool(args, 'slim');
    const save = !optBool(args, 'no-save');
    const outOption = optString(args, 'out');
    const out = outOption ?? 'out/model';
    const weightDecay = optNumber(args, 'weight-decay') ?? 0;
    if (weightDecay < 0) throw new UsageError('--weight-decay must not be negative');
    const gemm = defaultGemm();
    const onProgress = progressDrawer(io);
    const splits = loadSplits(datasetOptionsFrom(args), seed);
    if (!json) io.err(splits.description);
    const batch = batchOption ?? (splits.train.count < 10000 ? 32 : 128);

    let results: VariantResult[];
    const resume = optString(args, 'resume');
    if (resume !== undefined) {
      const ckpt = loadCheckpoint(resume);
      results = [resumeTraining(ckpt, resume, splits, epochs, { slim, gemm, onProgress })];
    } else {
      const activation = parseList<HiddenActivation>(optString(args, 'activation') ?? 'sign', 'activation', ['sign', 'relu']);
      const alpha = parseList<AlphaMode>(optString(args, 'alpha') ?? 'weight', 'alpha', ['weight', 'scores', 'single']);
      if (activation.length !== 1) throw new UsageError('--activation takes one value');
      if (alpha.length !== 1) throw new UsageError('--alpha takes one value');
      const layerPText = optString(args, 'layer-p');
      const refit = optBool(args, 'refit');
      const folds = positiveInt(args, 'folds');
      if (folds > 1 && !refit) throw new UsageError('--folds chooses the lr on train + val, so it needs the refit (drop --no-refit)');
      const shape = splits.train.shape;
      const arch = optString(args, 'arch') ?? (shape[0] === 1 && shape[1] >= 32 ? 'har-cnn' : 'mlp:256,256');
      results = trainVariants(splits, {
        arch,
        variants: parseList<Variant>(optString(args, 'variants') ?? 'fp32,bnn,tbn', 'variants', ['fp32', 'bnn', 'tbn']),
        activation: activation[0] as HiddenActivation,
        alpha: alpha[0] as AlphaMode,
        p: positiveInt(args, 'p'),
        ...(layerPText !== undefined ? { layerP: parseNumbers(layerPText, 'layer-p', true) } : {}),
        minTileSize: optInt(args, 'min-tile-size') ?? DEFAULT_MIN_TILE_SIZE,
        epochs,
        batch,
        lrs: parseNumbers(optString(args, 'lr') ?? '1e-3', 'lr', false),
        weightDecay,
        seed,
        slim,
        refit,
        folds,
        gemm,
        onProgress,
      });
    }

    const files: Record<string, string> = {};
    if (save) {
      for (const r of results) {
        const file = resume !== undefined && outOption === undefined ? resume : checkpointPath(out, r.variant, results.length === 1);
        saveCheckpoint(file, r.checkpoint);
        files[r.variant] = path.relative(process.cwd(), path.resolve(file)) || file;
      }
    }
    const warnings = [...new Set(results.flatMap((r) => r.warnings))];
    const reportFile = save && optBool(args, 'report') ? reportPath(resume !== undefined && outOption === undefined ? resume : out) : undefined;
    if (reportFile) {
      const models = results.map((r) => ({ file: files[r.variant] ?? `${r.label} (not saved)`, checkpoint: r.checkpoint }));
      mkdirSync(path.dirname(path.resolve(reportFile)), { recursive: true });
      const evals = splits.test.count > 0 ? { evals: evaluateForReport(models, undefined, splits.test), evalSource: `Evaluated by tbn train on the test split (seed ${seed}): ${splits.description}.` } : {};
      writeFileAtomic(reportFile, await makeReport({ command: commandLine('train', args), models, ...evals }));
    }
    if (json) {
      io.out(
        JSON.stringify({
          data: splits.description,
          engine: gemm.name,
          weightBitsCounting: 'tile bits + 32 bits per alpha (float32); fp32: 32 bits per weight; BatchNorm, biases and input quantisation not counted',
          models: results.map((r) => ({
            variant: r.variant,
            label: r.label,
            lr: r.lr,
            candidates: r.candidates,
            refit: r.refit,
            trainedOn: r.train,
            ...(r.selection ? { selection: r.selection } : {}),
            val: r.val,
            test: r.test,
            size: r.size,
            layerP: r.size.layers.map((l) => l.p),
            seconds: r.seconds,
            checkpoint: files[r.variant],
            warnings: r.warnings,
          })),
          warnings,
          ...(reportFile ? { report: reportFile } : {}),
        }),
      );
      return 0;
    }
    for (const w of warnings) io.err(`warning: ${w}`);
    const lines = [resultsTable(results), ''];
    lines.push('weight bits = tile bits + 32 bits per alpha (float32); FP32 = 32 bits per weight; BatchNorm, biases and the input scale are not counted.');
    if (results.some((r) => r.refit && !r.selection?.folds)) lines.push('val acc = the chosen lr trained on train alone; test acc = the refit model (trained on train+val), which is the one saved.');
    if (results.some((r) => r.selection?.folds)) lines.push('val acc = the chosen lr\'s pooled accuracy over the cross-validation folds of train+val; test acc = the model then trained on all of train+val, which is the one saved.');
    for (const r of results) {
      const how = r.selection?.folds ? `by ${r.selection.folds}-fold cross-validation` : 'on validation';
      const chosen = r.candidates.length > 1 ? ` (lr chosen ${how} from ${r.candidates.map((c) => `${c.lr}: ${pct(c.valAccuracy)}%`).join(', ')})` : '';
      const alone = r.selection?.test ? `; trained on train alone it scored ${pct(r.selection.test.accuracy)}% on test` : '';
      const refitNote = r.selection ? `; refit from scratch on train+val (${r.train.count} examples) with lr ${r.lr}${alone}` : '';
      const tiled = r.size.tiledFractionOfBnn !== undefined ? `; tiled layers store ${(100 * r.size.tiledFractionOfBnn).toFixed(1)}% of their BNN bits` : '';
      lines.push(`${r.label}: p per layer ${r.size.layers.map((l) => l.p).join(',')}${tiled}, ${r.seconds.toFixed(0)} s${chosen}${refitNote}${files[r.variant] ? ` -> ${files[r.variant]}` : ''}`);
    }
    if (reportFile) lines.push(`report: ${reportFile}`);
    io.out(lines.join('\n'));
    return 0;
  },
};
