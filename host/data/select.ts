/** Which data to load and how to split it (the options of `tbn train` and `tbn eval`), and the train/val/test splits they select. */
import { TbnError, UsageError } from '../errors.ts';
import { listNames, type LoadProgress } from './csv.ts';
import { checkFiniteData, type Dataset } from './dataset.ts';
import { FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.ts';
import { loadGenericCsv } from './generic-csv.ts';
import { DEFAULT_OVERLAP, DEFAULT_WINDOW_SECONDS, windowGeometry } from './recording.ts';
import { DEFAULT_RATE, HAR_CHANNELS, defaultHarRoot, listRecordings, loadSpSwHar, recordingClasses } from './sp-sw-har.ts';
import { splitValidation, subset, shuffled } from './split.ts';
import { formatSubjects, parseSubjects } from './subjects.ts';
import { synthesizeHarDataset } from './synthetic.ts';

export const DEFAULT_TRAIN_SUBJECTS = 's01-s14';
export const DEFAULT_TEST_SUBJECTS = 's15-s18';
export const DEFAULT_VAL_FRACTION = 0.1;
/** Fashion-MNIST holds out 5,000 of its 60,000 training images for validation. */
export const FASHION_VAL_IMAGES = 5000;
const FASHION_TRAIN_IMAGES = 60000;

/**
 * What to load and how to split it. Every field is optional; the defaults are the ones `tbn train --help` states.
 * The command-line flag of each field is its kebab-case name (`dataRoot` is `--data-root`).
 */
export interface DatasetOptions {
  /** har (sp-sw-har recordings), fashion-mnist, synthetic (generated HAR-like motion) or csv:FILE (default har). */
  data?: string;
  /** Folder of the data (har: ../shared/data/sp-sw-har beside the repo; fashion-mnist: FASHION_MNIST_DIR). */
  dataRoot?: string;
  /** Training subjects, e.g. "s01-s14,s16" (har and synthetic). */
  train?: string;
  /** Test subjects; with csv:FILE a second CSV file (default: 20% of the rows, at random). */
  test?: string;
  /** Validation share of the training set, in (0, 1). */
  valFraction?: number;
  /** Resampling rate in Hz (for csv, the rows' own rate). */
  sampleRate?: number;
  /** Window length in seconds; for csv, windows the rows as a stream. */
  windowSeconds?: number;
  /** Overlap of consecutive windows, in [0, 1). */
  overlap?: number;
  /** Channels (har) or feature columns (csv) to use, in this order. */
  channels?: string[];
  /** Label column of a csv file (default label). */
  labelColumn?: string;
  /** Use at most this many examples of the training and of the test set. */
  limit?: number;
}

/** The command-line flag of each option, for error messages. */
const FLAG: Record<keyof DatasetOptions, string> = {
  data: 'data',
  dataRoot: 'data-root',
  train: 'train',
  test: 'test',
  valFraction: 'val-fraction',
  sampleRate: 'sample-rate',
  windowSeconds: 'window-seconds',
  overlap: 'overlap',
  channels: 'channels',
  labelColumn: 'label-column',
  limit: 'limit',
};

export interface Splits {
  train: Dataset;
  val: Dataset;
  test: Dataset;
  /** One line for people: what was loaded and how it was split. */
  description: string;
}

function checkChannels(list: string[] | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  if (list.some((s) => s.trim() === '')) throw new UsageError(`--channels has an empty name in "${list.join(',')}"`);
  if (new Set(list).size !== list.length) throw new UsageError(`--channels lists a channel twice in "${list.join(',')}"`);
  return list;
}

function positiveNumber(value: number | undefined, key: keyof DatasetOptions): number | undefined {
  if (value !== undefined && !(value > 0 && Number.isFinite(value))) throw new UsageError(`--${FLAG[key]} must be positive, got ${value}`);
  return value;
}

function limitTo(d: Dataset, limit: number | undefined, seed: number): Dataset {
  if (limit === undefined || d.count <= limit) return d;
  const keep = shuffled(Array.from({ length: d.count }, (_, i) => i), seed).slice(0, limit).sort((a, b) => a - b);
  return subset(d, keep, `${d.name} (${limit} at random)`);
}

function rejectOptions(o: DatasetOptions, keys: Array<keyof DatasetOptions>, data: string): void {
  for (const k of keys) if (o[k] !== undefined) throw new UsageError(`--${FLAG[k]} does not apply to --data ${data}`);
}

function countLine(s: Omit<Splits, 'description'>): string {
  return `train ${s.train.count}, val ${s.val.count}, test ${s.test.count}`;
}

/** Every split, checked for values (and statistics) that would make training silently NaN. */
export function loadSplits(o: DatasetOptions, seed: number, progress?: LoadProgress): Splits {
  const s = loadSplitsUnchecked(o, seed, progress);
  for (const d of [s.train, s.val, s.test]) checkFiniteData(d);
  return s;
}

/** What a model was trained on, as far as evaluating it needs: channel names (empty when unknown, e.g. a .tbn file) and class order. */
export interface TrainedOn {
  /** The model's file, for messages. */
  file: string;
  channels: readonly string[];
  classes: readonly string[];
}

/** The data with its labels renumbered to the model's class order when both name the same classes (else unchanged, for the caller to refuse with both lists). */
export function byModelClasses(d: Dataset, classes: readonly string[]): Dataset {
  if (d.classes.join('\u0000') === classes.join('\u0000')) return d;
  if (d.classes.length !== classes.length || !d.classes.every((c) => classes.includes(c))) return d;
  const to = d.classes.map((c) => classes.indexOf(c));
  return { ...d, y: d.y.map((k) => to[k] as number), classes: [...classes] };
}

/**
 * One split to evaluate a model on: columns matched by the names of the channels the model was trained on, never
 * taken in file order, and labels renumbered to the model's class order. Fashion-MNIST has no channel names.
 */
export function loadSplitForModel(
  o: DatasetOptions,
  seed: number,
  split: 'train' | 'val' | 'test',
  model: TrainedOn,
  progress?: LoadProgress,
): { data: Dataset; description: string } {
  const trainedOn = model.channels;
  const byName = trainedOn.length > 0 && (o.data ?? 'har') !== 'fashion-mnist';
  const options: DatasetOptions = { ...o };
  if (byName) {
    if (o.channels === undefined) options.channels = [...trainedOn];
    else if (o.channels.join(',') !== trainedOn.join(',')) {
      throw new UsageError(`--channels ${o.channels.join(',')} differs from the channels ${model.file} was trained on, in order: ${trainedOn.join(',')}`);
    }
  }
  const splits = loadSplits(options, seed, progress);
  const loaded = splits[split];
  if (byName && loaded.channels.join(',') !== trainedOn.join(',')) {
    throw new TbnError('E_INPUT', `${loaded.name}: channels ${listNames(loaded.channels)} differ from the ${listNames([...trainedOn])} ${model.file} was trained on`);
  }
  return { data: byModelClasses(loaded, model.classes), description: splits.description };
}

function loadSplitsUnchecked(o: DatasetOptions, seed: number, progress: LoadProgress | undefined): Splits {
  const data = o.data ?? 'har';
  const valFraction = o.valFraction;
  if (valFraction !== undefined && !(valFraction > 0 && valFraction < 1)) throw new UsageError(`--val-fraction must be between 0 and 1 (exclusive), got ${valFraction}`);
  const limit = o.limit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new UsageError(`--limit must be at least 1, got ${limit}`);
  const rate = positiveNumber(o.sampleRate, 'sampleRate') ?? DEFAULT_RATE;
  const windowSeconds = positiveNumber(o.windowSeconds, 'windowSeconds');
  const overlap = o.overlap;
  if (overlap !== undefined && !(overlap >= 0 && overlap < 1)) throw new UsageError(`--overlap must be in [0, 1), got ${overlap}`);
  const channels = checkChannels(o.channels);

  if (data === 'fashion-mnist') {
    rejectOptions(o, ['train', 'test', 'sampleRate', 'windowSeconds', 'overlap', 'channels', 'labelColumn'], data);
    const dir = o.dataRoot ?? FASHION_MNIST_DIR;
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
    rejectOptions(o, ['labelColumn'], data);
    const trainSubjects = parseSubjects(o.train ?? DEFAULT_TRAIN_SUBJECTS);
    const testSubjects = parseSubjects(o.test ?? DEFAULT_TEST_SUBJECTS);
    const both = trainSubjects.filter((s) => testSubjects.includes(s));
    if (both.length > 0) throw new UsageError(`subjects in both --train and --test: ${formatSubjects(both)} (windows of one subject would leak into the test)`);
    if (trainSubjects.length < 2) throw new UsageError(`--train needs at least 2 subjects so one can be held out for validation, got ${formatSubjects(trainSubjects)}`);
    const geometry = windowGeometry(rate, { windowSeconds, overlap });
    let all: Dataset;
    let test: Dataset;
    let source: string;
    if (data === 'har') {
      const root = o.dataRoot ?? defaultHarRoot();
      if (root === undefined) {
        throw new UsageError('sp-sw-har not found: expected ../shared/data/sp-sw-har beside the repo; give --data-root DIR, or use --data synthetic');
      }
      // The classes of every selected recording, so recordings of one's own (tbn record) with other labels train too.
      const classes = recordingClasses(listRecordings(root, [...trainSubjects, ...testSubjects]));
      const opts = { root, rate, windowSeconds, overlap, channels, classes };
      all = loadSpSwHar({ ...opts, subjects: trainSubjects });
      test = loadSpSwHar({ ...opts, subjects: testSubjects });
      source = `sp-sw-har (${root}; Matey-Sanz et al. 2023, CC BY 4.0)`;
    } else {
      rejectOptions(o, ['dataRoot'], data);
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
        `test ${formatSubjects(testSubjects)} (${test.count}); ${rate} Hz, ${geometry.length}-sample windows, stride ${geometry.stride}, ${all.channels.length} channels (${listNames(all.channels, 12, ',')})`,
    };
  }

  if (data.startsWith('csv:')) {
    rejectOptions(o, ['train', 'dataRoot'], 'csv:FILE');
    const file = data.slice(4);
    if (file === '') throw new UsageError('--data csv:FILE needs a file name');
    const labelColumn = o.labelColumn ?? 'label';
    const window = windowSeconds !== undefined ? Math.round(windowSeconds * rate) : undefined;
    if (window === undefined && overlap !== undefined) throw new UsageError('--overlap needs --window-seconds for csv data');
    const base = { labelColumn, featureColumns: channels, window, overlap: window !== undefined ? (overlap ?? DEFAULT_OVERLAP) : undefined, progress, rate };
    let all = loadGenericCsv({ ...base, file });
    const testFile = o.test;
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
      description: `CSV ${file}: ${countLine({ train, val, test })}; ${testHow}; validation at random; ${shape}, ${all.channels.length} features (${listNames(all.channels, 12, ',')}), ${all.classes.length} classes`,
    };
  }

  throw new UsageError(`unknown --data "${data}": expected har, fashion-mnist, synthetic or csv:FILE`);
}
