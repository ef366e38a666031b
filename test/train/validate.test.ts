/**
 * Issue 16 findings 17, 18 and 20 for training: the plan and the format's limits are checked before the first
 * epoch, edited checkpoints are refused with the field that is wrong, and the messages say what happens.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.ts';
import { parseCheckpoint } from '../../host/train/checkpoint.ts';

const tbn = runCli;

const dir = mkdtempSync(path.join(tmpdir(), 'tbn-validate-'));
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/models/har-tbn4.ckpt.json');
const SYNTH = ['--data', 'synthetic', '--train', 's01-s04', '--test', 's05', '--limit', '120', '--batch', '16', '--lr', '1e-3'];

/** A CSV of `rows` examples with two features and the given labels, cycled. */
function csv(name: string, labels: string[], rows: number): string {
  const file = path.join(dir, name);
  const lines = ['f1,f2,label'];
  for (let i = 0; i < rows; i++) lines.push(`${(i % 7) / 7},${(i % 5) / 5},${labels[i % labels.length]}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('#20: the whole plan is validated before the first epoch', () => {
  it('a --layer-p that does not divide a layer is refused before FP32 and BNN train', async () => {
    const r = await tbn(['train', ...SYNTH, '--arch', 'dense:16', '--layer-p', '1,3', '--epochs', '1', '--no-save']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/dense2 has 80 weights, which p = 3 does not divide/);
    expect(r.err).not.toMatch(/epoch/);
  });

  it('the "no layer is tiled" warning comes before the first epoch', async () => {
    const r = await tbn(['train', ...SYNTH, '--variants', 'tbn', '--epochs', '1', '--no-save']);
    expect(r.code, r.err).toBe(0);
    const warning = r.err.indexOf('warning: no layer is tiled');
    expect(warning).toBeGreaterThan(-1);
    expect(warning).toBeLessThan(r.err.indexOf('epoch 1/1'));
    // printed once
    expect(r.err.split('warning: no layer is tiled').length).toBe(2);
  });
});

describe('#17: train checks the format limits that pack would refuse', () => {
  it('refuses a label longer than a packed model can store, naming it, before training', async () => {
    const long = 'x'.repeat(100);
    const r = await tbn(['train', '--data', `csv:${csv('long.csv', ['a', long], 60)}`, '--variants', 'tbn', '--epochs', '1', '--lr', '1e-3', '--no-save']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/class label 1 "x{40}\.\.\." is 100 UTF-8 bytes; a packed model stores at most 63/);
    expect(r.err).not.toMatch(/epoch/);
  });

  it('refuses more classes than the format holds', async () => {
    const labels = Array.from({ length: 1100 }, (_, i) => `c${i}`);
    const r = await tbn(['train', '--data', `csv:${csv('many.csv', labels, 2200)}`, '--variants', 'tbn', '--epochs', '1', '--lr', '1e-3', '--no-save']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/1100 classes, but a packed model holds at most 1024/);
  });

  it('refuses a label holding a NUL character', async () => {
    const r = await tbn(['train', '--data', `csv:${csv('nul.csv', ['a', 'b\u0000c'], 60)}`, '--variants', 'tbn', '--epochs', '1', '--lr', '1e-3', '--no-save']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NUL/);
    expect(r.err).not.toMatch(/epoch/);
  });

  it('warns when the data has only one class', async () => {
    const r = await tbn(['train', '--data', `csv:${csv('one.csv', ['only'], 60)}`, '--variants', 'tbn', '--epochs', '1', '--lr', '1e-3', '--no-save']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/warning: .* has only one class \("only"\)/);
  });
});

describe('#18: smaller training items', () => {
  const text = readFileSync(FIXTURE, 'utf8');
  const edited = (edit: (c: { spec: { layers: Record<string, unknown>[] } }) => void): string => {
    const c = JSON.parse(text);
    edit(c);
    return JSON.stringify(c);
  };

  for (const p of [3, 0, -4, 2.5]) {
    it(`an edited checkpoint with p = ${p} is refused naming the layer and p (no fractional value counts)`, () => {
      const t = edited((c) => (c.spec.layers[1]!.p = p));
      expect(() => parseCheckpoint(t, 'edited.ckpt.json')).toThrow(p > 0 && Number.isInteger(p) ? /edited\.ckpt\.json: conv1d2 has p = 3, which does not divide its 10240 weights/ : /edited\.ckpt\.json: conv1d2 has p = -?[0-9.]+; p must be a positive integer/);
      expect(() => parseCheckpoint(t, 'edited.ckpt.json')).not.toThrow(/values/);
    });
  }

  it('an unknown activation ("tanh") is refused by name, not reported as "without activation"', () => {
    const t = edited((c) => (c.spec.layers[0]!.activation = 'tanh'));
    expect(() => parseCheckpoint(t, 'edited.ckpt.json')).toThrow(/conv1d1 has activation "tanh"; tbn knows sign, relu, none/);
  });

  it('--variants tbn,tbn is refused instead of training twice', async () => {
    const r = await tbn(['train', ...SYNTH, '--variants', 'tbn,tbn', '--epochs', '1', '--no-save']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--variants lists "tbn" twice/);
  });

  it('with --folds, the data line does not announce a hold-out split that is not used', async () => {
    const r = await tbn(['train', ...SYNTH, '--variants', 'tbn', '--arch', 'dense:8', '--epochs', '1', '--lr', '1e-3,3e-3', '--folds', '2', '--no-save']);
    expect(r.code, r.err).toBe(0);
    const first = r.err.split('\n')[0]!;
    expect(first).not.toMatch(/, val s/);
    expect(first).toMatch(/train s01-s04 \(\d+ windows; the lr is chosen by 2-fold cross-validation on all of it/);
  });
});

describe('computeInputQuant (issue 16 #10: non-finite statistics are refused anywhere in training)', () => {
  it('refuses a dataset whose statistics are not finite, naming the channel, instead of training at chance', async () => {
    const { computeInputQuant } = await import('../../host/train/trainer.ts');
    const x = new Float32Array([1, 2, 3, Number.NaN, 5, 6]);
    const d = { name: 'lib.csv', x, y: new Int32Array([0, 1, 0]), count: 3, shape: [1, 1, 2] as [number, number, number], classes: ['a', 'b'], channels: ['left', 'right'] };
    expect(() => computeInputQuant(d)).toThrow(/lib\.csv: input channel right has non-finite statistics/);
    x[3] = 4;
    const q = computeInputQuant(d);
    expect(Array.from(q.mean)).toEqual([3, 4]);
  });
});
