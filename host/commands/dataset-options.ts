/** The dataset flags shared by `tbn train` and `tbn eval`, turned into the data layer's typed DatasetOptions. */
import { type OptionSpec, type ParsedArgs, optInt, optNumber, optString } from '../cli/args.ts';
import { FASHION_MNIST_DIR } from '../data/fashion-mnist.ts';
import { DEFAULT_OVERLAP, DEFAULT_WINDOW_SECONDS } from '../data/recording.ts';
import { DEFAULT_TEST_SUBJECTS, DEFAULT_TRAIN_SUBJECTS, DEFAULT_VAL_FRACTION, FASHION_VAL_IMAGES, type DatasetOptions } from '../data/select.ts';
import { DEFAULT_RATE, HAR_CHANNELS } from '../data/sp-sw-har.ts';

// Defaults are stated in the descriptions, not as `default`, so loadSplits can tell what the user set.
export const datasetOptions: OptionSpec[] = [
  { name: 'data', type: 'string', description: 'dataset: har (sp-sw-har recordings), fashion-mnist, synthetic (generated HAR-like motion) or csv:FILE (default har)' },
  { name: 'data-root', type: 'string', description: `folder of the data (default: har ../shared/data/sp-sw-har beside the repo, fashion-mnist ${FASHION_MNIST_DIR})` },
  { name: 'train', type: 'string', description: `training subjects, e.g. s01-s14,s16 (default ${DEFAULT_TRAIN_SUBJECTS}); har and synthetic only` },
  { name: 'test', type: 'string', description: `test subjects (default ${DEFAULT_TEST_SUBJECTS}); with csv:FILE a second CSV file (default: 20% of the rows, at random)` },
  { name: 'val-fraction', type: 'string', range: { above: 0, below: 1 }, description: `validation share of the training set, by subject for har/synthetic (default ${DEFAULT_VAL_FRACTION}; fashion-mnist: ${FASHION_VAL_IMAGES} images)` },
  { name: 'sample-rate', type: 'string', aliases: ['rate'], range: { above: 0, max: 100000 }, description: `resampling rate in Hz (default ${DEFAULT_RATE}); for csv the rows' own rate` },
  { name: 'window-seconds', type: 'string', range: { above: 0, max: 3600 }, description: `window length in seconds (default ${DEFAULT_WINDOW_SECONDS}); for csv, windows the rows as a stream (default: one row per example)` },
  { name: 'overlap', type: 'string', range: { min: 0, below: 1 }, description: `overlap of consecutive windows, in [0, 1) (default ${DEFAULT_OVERLAP})` },
  { name: 'channels', type: 'string', description: `comma-separated channels to use (default ${HAR_CHANNELS.join(',')}; csv: every column except the label and timestamp)` },
  { name: 'label-column', type: 'string', description: 'label column of a csv file (default label)' },
  { name: 'limit', type: 'string', range: { integer: true, min: 1 }, description: 'use at most N examples of the training and of the test set (quick runs)' },
];

/** The parsed dataset flags as the data layer's options. */
export function datasetOptionsFrom(args: ParsedArgs): DatasetOptions {
  const channels = optString(args, 'channels');
  return {
    data: optString(args, 'data'),
    dataRoot: optString(args, 'data-root'),
    train: optString(args, 'train'),
    test: optString(args, 'test'),
    valFraction: optNumber(args, 'val-fraction'),
    sampleRate: optNumber(args, 'sample-rate'),
    windowSeconds: optNumber(args, 'window-seconds'),
    overlap: optNumber(args, 'overlap'),
    channels: channels === undefined ? undefined : channels.split(',').map((c) => c.trim()),
    labelColumn: optString(args, 'label-column'),
    limit: optInt(args, 'limit'),
  };
}
