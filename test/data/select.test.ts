import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError, parseArgs } from '../../host/cli/args.ts';
import { datasetOptions, datasetOptionsFrom } from '../../host/commands/dataset-options.ts';
import { loadSplits } from '../../host/data/select.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const rows = path.join(here, '../fixtures/data/rows.csv');
const args = (...argv: string[]) => datasetOptionsFrom(parseArgs(argv, datasetOptions));

describe('loadSplits', () => {
  it('har: default subjects, validation by subject from the training subjects', () => {
    const s = loadSplits(args(), 1);
    const train = new Set(s.train.groups);
    const val = new Set(s.val.groups);
    const test = new Set(s.test.groups);
    expect(test).toEqual(new Set(['s15', 's16', 's17', 's18']));
    expect(val.size).toBe(2); // ceil(0.1 * 14)
    expect(train.size).toBe(12);
    for (const g of val) {
      expect(train.has(g)).toBe(false);
      expect(test.has(g)).toBe(false);
    }
    expect(s.train.shape).toEqual([1, 128, 6]);
    expect(s.description).toMatch(/sp-sw-har .*val s\d\d.*by subject.*test s15-s18 \(\d+\); 50 Hz, 128-sample windows, stride 64, 6 channels/);
    // Same seed, same split.
    expect(loadSplits(args(), 1).val.groups).toEqual(s.val.groups);
  });

  it('har: rate, window, overlap, channels and subjects from the command line', () => {
    const s = loadSplits(args('--train', 's01-s04', '--test', 's05', '--sample-rate', '25', '--window-seconds', '2', '--overlap', '0', '--channels', 'z_gyro,x_acc', '--val-fraction', '0.5'), 3);
    expect(s.train.shape).toEqual([1, 50, 2]);
    expect(s.train.channels).toEqual(['z_gyro', 'x_acc']);
    expect(new Set(s.val.groups).size).toBe(2);
    expect(new Set(s.test.groups)).toEqual(new Set(['s05']));
  });

  it('synthetic: same subject interface, clearly labelled', () => {
    const s = loadSplits(args('--data', 'synthetic', '--limit', '100'), 2);
    expect(s.description).toMatch(/^SYNTHETIC/);
    expect(s.train.count + s.val.count).toBe(100);
    expect(s.test.count).toBe(100);
  });

  it('fashion-mnist: 5,000 of the 60,000 training images for validation (proportionally with --limit)', () => {
    const s = loadSplits(args('--data', 'fashion-mnist', '--limit', '1200'), 4);
    expect(s.val.count).toBe(100);
    expect(s.train.count).toBe(1100);
    expect(s.test.count).toBe(1200);
    expect(s.train.shape).toEqual([28, 28, 1]);
  });

  it('csv: a file, held-out test rows, validation from the rest', () => {
    const s = loadSplits(args('--data', `csv:${rows}`, '--channels', 'f1,f2', '--val-fraction', '0.5'), 1);
    expect(s.test.count).toBe(1);
    expect(s.train.count + s.val.count).toBe(4);
    expect(s.train.channels).toEqual(['f1', 'f2']);
    const t = loadSplits(args('--data', `csv:${rows}`, '--channels', 'f1,f2', '--test', rows, '--val-fraction', '0.2'), 1);
    expect(t.test.count).toBe(5);
  });

  it.each([
    [['--data', 'mnist'], /unknown --data "mnist"/],
    [['--train', 's01-s10', '--test', 's10-s12'], /subjects in both --train and --test: s10/],
    [['--train', 's01'], /--train needs at least 2 subjects/],
    [['--train', 's01-s02', '--test', 's30'], /no folder for subject s30/],
    [['--data', 'fashion-mnist', '--train', 's01-s14'], /--train does not apply to --data fashion-mnist/],
    [['--overlap', '1'], /--overlap must be a number at least 0 and below 1, got "1"/],
    [['--val-fraction', '1.5'], /--val-fraction must be a number above 0 and below 1, got "1.5"/],
    [['--sample-rate', '-5'], /--sample-rate must be a number above 0 and at most 100000, got "-5"/],
    [['--limit', '0'], /--limit must be an integer at least 1, got "0"/],
    [['--channels', 'x_acc,,y_acc'], /--channels has an empty name/],
    [['--data', 'har', '--data-root', '/nonexistent/har'], /\/nonexistent\/har: sp-sw-har data folder not found/],
  ])('refuses %j', (argv, message) => {
    expect(() => loadSplits(args(...argv), 1)).toThrow(message);
  });

  it.each([
    [{ overlap: 1 }, /--overlap must be in \[0, 1\)/],
    [{ valFraction: 1.5 }, /--val-fraction must be between 0 and 1/],
    [{ sampleRate: -5 }, /--sample-rate must be positive/],
    [{ limit: 0 }, /--limit must be at least 1/],
    [{ channels: ['x_acc', 'x_acc'] }, /--channels lists a channel twice/],
  ])('the library refuses %j as well', (options, message) => {
    expect(() => loadSplits(options, 1)).toThrow(message);
  });

  it('option mistakes are usage errors', () => {
    expect(() => loadSplits(args('--data', 'mnist'), 1)).toThrow(UsageError);
  });
});
