/** The dataset options shared by `tbn train` and `tbn eval`, and the train/val/test splits they select. */
import { type OptionSpec, type ParsedArgs, UsageError, optInt, optNumber, optString } from '../cli/args.ts';
import type { Dataset } from './dataset.ts';
import { FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.ts';
import { loadGenericCsv } from './generic-csv.ts';
import { DEFAULT_OVERLAP, DEFAULT_WINDOW_SECONDS, windowGeometry } from './recording.ts';
import { DEFAULT_RATE, HAR_CHANNELS, defaultHarRoot, loadSpSwHar } from './sp-sw-har.ts';
import { splitValidation, subset, shuffled } from './split.ts';
import { formatSubjects, parseSubjects } from './subjects.ts';
import { synthesizeHarDataset } from './synthetic.ts';

export const DEFAULT_TRAIN_SUBJECTS = 's01-s14';
export const DEFAULT_TEST_SUBJECTS = 's15-s18';
export const DEFAULT_VAL_FRACTION = 0.1;
/** Fashion-MNIST holds out 5,000 of its 60,000 training images for validation. */
export const FASHION_VAL_IMAGES = 5000;
const FASHION_TRAIN_IMAGES = 60000;

// Defaults are stated in the descriptions, not as `default`, so loadSplits can tell what the user set.
export const datasetOptions: OptionSpec[] = [
  { name: 'data', type: 'string', description: 'dataset: har (sp-sw-har recordings), fashion-mnist, synthetic (generated HAR-like motion) or csv:FILE (default har)' },
  { name: 'data-root', type: 'string', description: `folder of the data (default: har ../shared/data/sp-sw-har beside the repo, fashion-mnist ${FASHION_MNIST_DIR})` },
  { name: 'train', type: 'string', description: `training subjects, e.g. s01-s14,s16 (default ${DEFAULT_TRAIN_SUBJECTS}); har and synthetic only` },
  { name: 'test', type: 'string', description: `test subjects (default ${DEFAULT_TEST_SUBJECTS}); with csv:FILE a second CSV file (default: 20% of the rows, at random)` },
  { name: 'val-fraction', type: 'string', description: `validation share of the training set, by subject for har/synthetic (default ${DEFAULT_VAL_FRACTION}; fashion-mnist: ${FASHION_VAL_IMAGES} images)` },
  { name: 'rate', type: 'string', description: `resampling rate in Hz (default ${DEFAULT_RATE}); for csv the rows' own rate` },
  { name: 'window-seconds', type: 'string', description: `window length in seconds (default ${DEFAULT_WINDOW_SECONDS}); for csv, windows the rows as a stream (default: one row per example)` },
  { name: 'overlap', type: 'string', description: `overlap of consecutive windows, in [0, 1) (default ${DEFAULT_OVERLAP})` },
  { name: 'channels', type: 'string', description: `comma-separated channels to use (default ${HAR_CHANNELS.join(',')}; csv: every numeric column)` },
  { name: 'label-column', type: 'string', description: 'label column of a csv file (default label)' },
  { name: 'limit', type: 'string', description: 'use at most N examples of the training and of the test set (quick runs)' },
];

export interface Splits {
  train: Dataset;
  val: Dataset;
  test: Dataset;
  /** One line for people: what was loaded and how it was split. */
  description: string;
}

function parseChannels(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim());
  if (list.some((s) => s === '')) throw new UsageError(`--channels has an empty name in "${v}"`);
  if (new Set(list).size !== list.length) throw new UsageError(`--channels lists a channel twice in "${v}"`);
  return list;
}

function positiveNumber(args: ParsedArgs, name: string): number | undefined {
  const v = optNumber(args, name);
  if (v !== undefined && !(v > 0)) throw new UsageError(`--${name} must be positive, got ${v}`);
  return v;
}

function limitTo(d: Dataset, limit: number | undefined, seed: number): Dataset {
  if (limit === undefined || d.count <= limit) return d;
  const keep = shuffled(Array.from({ length: d.count }, (_, i) => i), seed).slice(0, limit).sort((a, b) => a - b);
  return subset(d, keep, `${d.name} (${limit} at random)`);
}

function rejectOptions(args: ParsedArgs, names: string[], data: string): void {
  for (const n of names) if (args.options[n] !== undefined) throw new UsageError(`--${n} does not apply to --data ${data}`);
}

function countLine(s: Omit<Splits, 'description'>): string {
  return `train ${s.train.count}, val ${s.val.count}, test ${s.test.count}`;
}

export function loadSplits(args: ParsedArgs, seed: number): Splits {
  const data = optString(args, 'data') ?? 'har';
  const valFraction = optNumber(args, 'val-fraction');
  if (valFraction !== undefined && !(valFraction > 0 && valFraction < 1)) throw new UsageError(`--val-fraction must be between 0 and 1 (exclusive), got ${valFraction}`);
  const limit = optInt(args, 'limit');
  if (limit !== undefined && limit < 1) throw new UsageError(`--limit must be at least 1, got ${limit}`);
  const rate = positiveNumber(args, 'rate') ?? DEFAULT_RATE;
  const windowSeconds = positiveNumber(args, 'window-seconds');
  const overlap = optNumber(args, 'overlap');
  if (overlap !== undefined && !(overlap >= 0 && overlap < 1)) throw new UsageError(`--overlap must be in [0, 1), got ${overlap}`);
  const channels = parseChannels(optString(args, 'channels'));

  if (data === 'fashion-mnist') {
    rejectOptions(args, ['train', 'test', 'rate', 'window-seconds', 'overlap', 'channels', 'label-column'], data);
    const dir = optString(args, 'data-root') ?? FASHION_MNIST_DIR;
    const all = loadFashionMnist({ dir, split: 'train', limit });
    const test = loadFashionMnist({ dir, split: 'test', limit });
    const fraction = valFraction ?? FASHION_VAL_IMAGES / FASHION_TRAIN_IMAGES;
    const { train, val } = splitValidation(all, fraction, seed);
    return {
      train,
      val,
      test,
      description: `Fashion-MNIST (${dir}): ${countLine({ train, val, test })} images; validation = ${val.count} random training images (seed ${seed}), test = the official test set`,
    };
  }

  if (data === 'har' || data === 'synthetic') {
    rejectOptions(args, ['label-column'], data);
    const trainSubjects = parseSubjects(optString(args, 'train') ?? DEFAULT_TRAIN_SUBJECTS);
    const testSubjects = parseSubjects(optString(args, 'test') ?? DEFAULT_TEST_SUBJECTS);
    const both = trainSubjects.filter((s) => testSubjects.includes(s));
    if (both.length > 0) throw new UsageError(`subjects in both --train and --test: ${formatSubjects(both)} (windows of one subject would leak into the test)`);
    if (trainSubjects.length < 2) throw new UsageError(`--train needs at least 2 subjects so one can be held out for validation, got ${formatSubjects(trainSubjects)}`);
    const geometry = windowGeometry(rate, { windowSeconds, overlap });
    let all: Dataset;
    let test: Dataset;
    let source: string;
    if (data === 'har') {
      const root = optString(args, 'data-root') ?? defaultHarRoot();
      if (root === undefined) {
        throw new UsageError('sp-sw-har not found: expected ../shared/data/sp-sw-har beside the repo; give --data-root DIR, or use --data synthetic');
      }
      const opts = { root, rate, windowSeconds, overlap, channels };
      all = loadSpSwHar({ ...opts, subjects: trainSubjects });
      test = loadSpSwHar({ ...opts, subjects: testSubjects });
      source = `sp-sw-har (${root}; Matey-Sanz et al. 2023, CC BY 4.0)`;
    } else {
      rejectOptions(args, ['data-root'], data);
      const opts = { rate, windowSeconds, overlap, channels };
      all = synthesizeHarDataset({ ...opts, subjects: trainSubjects });
      test = synthesizeHarDataset({ ...opts, subjects: testSubjects });
      source = 'SYNTHETIC HAR-like motion (generated, not recorded)';
    }
    all = limitTo(all, limit, seed);
    test = limitTo(test, limit, seed + 1);
    const { train, val } = splitValidation(all, valFraction ?? DEFAULT_VAL_FRACTION, seed, true);
    const valSubjects = [...new Set(val.groups)].sort();
    const trainLeft = [...new Set(train.groups)].sort();
    return {
      train,
      val,
      test,
      description:
        `${source}: train ${formatSubjects(trainLeft)} (${train.count} windows), val ${formatSubjects(valSubjects)} (${val.count}, by subject, seed ${seed}), ` +
        `test ${formatSubjects(testSubjects)} (${test.count}); ${rate} Hz, ${geometry.length}-sample windows, stride ${geometry.stride}, ${all.channels.length} channels (${all.channels.join(',')})`,
    };
  }

  if (data.startsWith('csv:')) {
    rejectOptions(args, ['train', 'data-root'], 'csv:FILE');
    const file = data.slice(4);
    if (file === '') throw new UsageError('--data csv:FILE needs a file name');
    const labelColumn = optString(args, 'label-column') ?? 'label';
    const window = windowSeconds !== undefined ? Math.round(windowSeconds * rate) : undefined;
    if (window === undefined && overlap !== undefined) throw new UsageError('--overlap needs --window-seconds for csv data');
    const base = { labelColumn, featureColumns: channels, window, overlap: window !== undefined ? (overlap ?? DEFAULT_OVERLAP) : undefined, rate };
    let all = loadGenericCsv({ ...base, file });
    const testFile = optString(args, 'test');
    let test: Dataset;
    let testHow: string;
    if (testFile !== undefined) {
      test = loadGenericCsv({ ...base, featureColumns: all.channels, classes: all.classes, file: testFile });
      testHow = `test ${testFile}`;
    } else {
      const held = splitValidation(all, 0.2, seed ^ 0x5eed);
      all = held.train;
      test = held.val;
      testHow = `test = 20% of ${file} at random (seed ${seed})`;
    }
    all = limitTo(all, limit, seed);
    test = limitTo(test, limit, seed + 1);
    const { train, val } = splitValidation(all, valFraction ?? DEFAULT_VAL_FRACTION, seed);
    const shape = window !== undefined ? `${window}-row windows` : 'one row per example';
    return {
      train,
      val,
      test,
      description: `CSV ${file}: ${countLine({ train, val, test })}; ${testHow}; validation at random; ${shape}, ${all.channels.length} features (${all.channels.join(',')}), ${all.classes.length} classes`,
    };
  }

  throw new UsageError(`unknown --data "${data}": expected har, fashion-mnist, synthetic or csv:FILE`);
}
