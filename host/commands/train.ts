/** `tbn train`: train FP32, BNN and TBN models side by side and print one comparison table. */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { optBool, optInt, optionWords, optNumber, optString, UsageError, type OptionSpec, type ParsedArgs } from '../cli/args.ts';
import type { CliIO, Command } from '../cli/command.ts';
import { loadSplits } from '../data/select.ts';
import { datasetOptions, datasetOptionsFrom } from './dataset-options.ts';
import { DEFAULT_MIN_TILE_SIZE, type AlphaMode, type HiddenActivation, type Variant } from '../train/arch.ts';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../train/checkpoint.ts';
import type { JobEvents, TrainJob } from '../train/jobs.ts';
import { defaultGemm } from '../train/kernels.ts';
import { defaultJobs, PoolClosedError, WorkerPool } from '../train/pool.ts';
import { ProgressBoard } from '../train/progress.ts';
import { planSession, resumeSampleEpochs, resumeTrainingWith, trainVariantsWith, type SessionEvents, type SessionOptions, type VariantResult } from '../train/session.ts';
import { writeFileAtomic } from '../io/files.ts';
import { evaluateForReport, makeReport } from '../report/index.ts';
import { commandLine } from './report.ts';

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
  { name: 'jobs', short: 'j', type: 'string', range: { integer: true, min: 1 }, description: `trainings run in parallel on worker threads (default: the number of cores, here ${defaultJobs()}); the results are the same for every value` },
  { name: 'json', type: 'boolean', description: 'print one JSON object with the results on stdout' },
  { name: 'report', type: 'boolean', description: 'write PREFIX-report.html beside the checkpoints (tbn report of the models trained; none with --no-save); --no-report skips it', default: 'true' },
];

function parseList<T extends string>(text: string, name: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError(`--${name} is empty`);
  for (const i of items) if (!allowed.includes(i as T)) throw new UsageError(`--${name}: unknown value "${i}" (expected ${allowed.join(', ')})`);
  const twice = items.find((i, k) => items.indexOf(i) !== k);
  if (twice !== undefined) throw new UsageError(`--${name} lists "${twice}" twice`);
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

/** The partial (epoch) checkpoint beside a final one: out/model-tbn.partial.ckpt.json. */
export function partialPath(file: string): string {
  return file.endsWith('.ckpt.json') ? `${file.slice(0, -'.ckpt.json'.length)}.partial.ckpt.json` : `${file}.partial`;
}

/** The final file a partial checkpoint stands for (itself when it is not a partial one). */
export function finalPathOf(file: string): string {
  return file.endsWith('.partial.ckpt.json') ? `${file.slice(0, -'.partial.ckpt.json'.length)}.ckpt.json` : file;
}

/**
 * Progress of all trainings on stderr. In a terminal: one updating line per running training plus an overall
 * line with the ETA, redrawn in place; a finished training leaves one summary line. Otherwise: a plain line
 * per finished epoch and per finished training.
 */
function progressView(io: CliIO, board: ProgressBoard, quiet: boolean): { events(job: TrainJob): JobEvents; clear(): void } {
  let drawn = 0;
  let last = 0;
  const erase = (): string => (drawn > 0 ? `\x1b[${drawn}A\x1b[0J` : '');
  const redraw = (force: boolean, above?: string): void => {
    if (quiet || !io.interactive) return;
    const now = Date.now();
    if (!force && now - last < 200) return;
    last = now;
    const lines = [...board.active.keys()].map((j) => board.line(j));
    lines.push(board.overall());
    io.err(`${erase()}${above !== undefined ? `${above}\n` : ''}${lines.join('\n')}`);
    drawn = lines.length;
  };
  return {
    events(job) {
      return {
        progress(p) {
          if (!board.active.has(job)) {
            board.start(job);
            redraw(true);
          }
          board.update(job, p);
          if (quiet) return;
          if (io.interactive) redraw(p.epochDone && p.epoch === p.epochs);
          else if (p.epochDone) io.err(board.epochLine(job, p));
          if (p.epochDone && p.epoch === p.epochs) {
            const summary = board.end(job);
            if (io.interactive) redraw(true, summary);
            else io.err(summary);
          }
        },
      };
    },
    clear() {
      if (drawn > 0 && io.interactive) io.err(`${erase()}`);
      drawn = 0;
    },
  };
}

/** The data options as given, to repeat in the resume hint. */
function dataArgs(args: ParsedArgs): string {
  return optionWords(args, [...datasetOptions.map((o) => o.name), 'batch', 'seed']).join(' ');
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
    const jobs = args.options.jobs !== undefined ? positiveInt(args, 'jobs') : defaultJobs();
    const slim = optBool(args, 'slim');
    const save = !optBool(args, 'no-save');
    const outOption = optString(args, 'out');
    const out = outOption ?? 'out/model';
    const weightDecay = optNumber(args, 'weight-decay') ?? 0;
    if (weightDecay < 0) throw new UsageError('--weight-decay must not be negative');
    const resume = optString(args, 'resume');
    // everything about the plan is checked before the data loads and before the first epoch
    let session: Omit<SessionOptions, 'batch'> | undefined;
    if (resume === undefined) {
      const activation = parseList<HiddenActivation>(optString(args, 'activation') ?? 'sign', 'activation', ['sign', 'relu']);
      const alpha = parseList<AlphaMode>(optString(args, 'alpha') ?? 'weight', 'alpha', ['weight', 'scores', 'single']);
      if (activation.length !== 1) throw new UsageError('--activation takes one value');
      if (alpha.length !== 1) throw new UsageError('--alpha takes one value');
      const layerPText = optString(args, 'layer-p');
      const refit = optBool(args, 'refit');
      const folds = positiveInt(args, 'folds');
      if (folds > 1 && !refit) throw new UsageError('--folds chooses the lr on train + val, so it needs the refit (drop --no-refit)');
      session = {
        arch: optString(args, 'arch') ?? '',
        variants: parseList<Variant>(optString(args, 'variants') ?? 'fp32,bnn,tbn', 'variants', ['fp32', 'bnn', 'tbn']),
        activation: activation[0] as HiddenActivation,
        alpha: alpha[0] as AlphaMode,
        p: positiveInt(args, 'p'),
        ...(layerPText !== undefined ? { layerP: parseNumbers(layerPText, 'layer-p', true) } : {}),
        minTileSize: optInt(args, 'min-tile-size') ?? DEFAULT_MIN_TILE_SIZE,
        epochs,
        lrs: parseNumbers(optString(args, 'lr') ?? '1e-3', 'lr', false),
        weightDecay,
        seed,
        slim,
        refit,
        folds,
      };
    }
    const resumed = resume !== undefined ? loadCheckpoint(resume) : undefined;
    const gemm = defaultGemm();
    const splits = loadSplits(datasetOptionsFrom(args), seed, json ? undefined : (line) => io.err(line));
    const batch = batchOption ?? (splits.train.count < 10000 ? 32 : 128);
    const folds = session?.folds ?? 1;
    let description = splits.description;
    if (folds > 1 && session && session.lrs.length > 1) description = describeFolds(description, splits, folds);
    if (!json) io.err(description);

    let plan: ReturnType<typeof planSession> | undefined;
    let options: SessionOptions | undefined;
    if (session) {
      const shape = splits.train.shape;
      options = { ...session, arch: session.arch || (shape[0] === 1 && shape[1] >= 32 ? 'har-cnn' : 'mlp:256,256'), batch };
      plan = planSession(splits, options);
      if (!json) for (const w of [...new Set(plan.variants.flatMap((v) => v.warnings))]) io.err(`warning: ${w}`);
    }

    // where each variant's model goes; older files with these names are moved aside first
    const targets = new Map<Variant, string>();
    if (save) {
      if (resume !== undefined) targets.set(resumed!.spec.variant, outOption === undefined ? finalPathOf(resume) : checkpointPath(out, resumed!.spec.variant, true));
      else for (const v of session!.variants) targets.set(v, checkpointPath(out, v, session!.variants.length === 1));
      for (const file of targets.values()) {
        for (const f of [file, partialPath(file)]) {
          if (f === resume || !existsSync(f)) continue;
          renameSync(f, `${f}.old`);
          if (!json) io.err(`moved the older ${f} aside to ${f}.old, so it is not mistaken for this run's`);
        }
      }
    }
    const rel = (f: string): string => path.relative(process.cwd(), path.resolve(f)) || f;
    const files: Record<string, string> = {};
    const partial = new Map<Variant, { file: string; epoch: number; epochs: number }>();
    const partialFailed = new Set<string>();
    const board = new ProgressBoard(plan?.trainings ?? 1, plan?.sampleEpochs ?? resumeSampleEpochs(resumed!, splits, epochs));
    const view = progressView(io, board, json);
    const events: SessionEvents = {
      events(job) {
        const shown = view.events(job);
        return {
          progress: shown.progress,
          epoch(ckpt: Checkpoint) {
            const file = targets.get(job.variant);
            if (!file || !job.epochCheckpoints) return;
            const pf = resume !== undefined && resume.endsWith('.partial.ckpt.json') && outOption === undefined ? resume : partialPath(file);
            try {
              saveCheckpoint(pf, ckpt);
              partial.set(job.variant, { file: pf, epoch: ckpt.train.epochsDone, epochs: job.config.epochs });
            } catch (e) {
              // training goes on; the final checkpoint is written (or its failure reported) at the end
              if (!partialFailed.has(pf)) io.err(`warning: ${(e as Error).message}; no epoch checkpoint for ${job.variant}`);
              partialFailed.add(pf);
            }
          },
        };
      },
      variantDone(r) {
        const file = targets.get(r.variant);
        if (!file) return;
        saveCheckpoint(file, r.checkpoint);
        files[r.variant] = rel(file);
        const p = partial.get(r.variant);
        if (p) rmSync(p.file, { force: true });
        partial.delete(r.variant);
      },
    };

    const pool = new WorkerPool(jobs);
    let interrupted = false;
    const onSigint = (): void => {
      interrupted = true;
      void pool.close();
    };
    process.on('SIGINT', onSigint);
    let results: VariantResult[];
    try {
      if (resumed && resume !== undefined) results = [await resumeTrainingWith(resumed, resume, splits, epochs, pool, events, slim)];
      else results = await trainVariantsWith(splits, options as SessionOptions, pool, events, plan);
    } catch (e) {
      if (!(interrupted && e instanceof PoolClosedError)) throw e;
      view.clear();
      const lines = ['interrupted (Ctrl-C).'];
      for (const [v, f] of Object.entries(files)) lines.push(`saved ${v}: ${f} (finished)`);
      for (const [v, p] of partial) {
        lines.push(`saved ${v}: ${rel(p.file)} at epoch ${p.epoch} of ${p.epochs}; resume with: tbn train --resume ${rel(p.file)} --epochs ${p.epochs}${dataArgs(args) ? ` ${dataArgs(args)}` : ''}`);
      }
      for (const v of targets.keys()) if (!files[v] && !partial.has(v)) lines.push(`nothing saved for ${v}: it had not reached the training of its final model`);
      if (!save) lines.push('nothing saved (--no-save)');
      io.err(lines.join('\n'));
      return 130;
    } finally {
      process.off('SIGINT', onSigint);
      await pool.close();
    }
    view.clear();

    const warnings = [...new Set(results.flatMap((r) => r.warnings))];
    const reportFile = save && optBool(args, 'report') ? reportPath(resume !== undefined && outOption === undefined ? finalPathOf(resume) : out) : undefined;
    if (reportFile) {
      const models = results.map((r) => ({ file: files[r.variant] ?? `${r.label} (not saved)`, checkpoint: r.checkpoint }));
      mkdirSync(path.dirname(path.resolve(reportFile)), { recursive: true });
      const evals = splits.test.count > 0 ? { evals: evaluateForReport(models, undefined, splits.test), evalSource: `Evaluated by tbn train on the test split (seed ${seed}): ${splits.description}.` } : {};
      writeFileAtomic(reportFile, await makeReport({ command: commandLine('train', args), models, ...evals }));
    }
    if (json) {
      io.out(
        JSON.stringify({
          data: description,
          engine: gemm.name,
          jobs,
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
    if (resumed) for (const w of warnings) io.err(`warning: ${w}`);
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
    lines.push(`${board.overall().replace(/ · ETA.*$/, '')}; ${jobs} parallel job${jobs === 1 ? '' : 's'}, engine ${gemm.name}`);
    io.out(lines.join('\n'));
    return 0;
  },
};

/** With --folds, the hold-out validation split is not used on its own: say what is trained on instead. */
function describeFolds(description: string, splits: { train: { count: number }; val: { count: number } }, folds: number): string {
  const all = splits.train.count + splits.val.count;
  const har = /train (\S+) \((\d+) windows\), val (\S+) \((\d+), by subject, seed \d+\)/;
  const how = `the lr is chosen by ${folds}-fold cross-validation on all of it, then the model is trained on all of it`;
  if (har.test(description)) {
    return description.replace(har, (_m, tr: string, _n, va: string) => `train ${mergeSubjects(tr, va)} (${all} windows; ${how})`);
  }
  return `${description}; with --folds ${folds} the validation split is not held out: train+val (${all} examples) is used, ${how}`;
}

function mergeSubjects(a: string, b: string): string {
  const ids = new Set<number>();
  for (const part of `${a},${b}`.split(',')) {
    const m = /^s(\d+)(?:-s(\d+))?$/.exec(part.trim());
    if (!m) return `${a},${b}`;
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    for (let i = from; i <= to; i++) ids.add(i);
  }
  const sorted = [...ids].sort((x, y) => x - y);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    const f = (n: number): string => `s${String(n).padStart(2, '0')}`;
    runs.push(i === j ? f(sorted[i] as number) : `${f(sorted[i] as number)}-${f(sorted[j] as number)}`);
    i = j + 1;
  }
  return runs.join(',');
}
