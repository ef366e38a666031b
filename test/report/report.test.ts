/**
 * The report library on its own (no browser): cross-validation folds drawn as faint lines, checkpoints
 * written before per-epoch validation loss and selection histories still render (and say what is
 * missing), and the tile helpers read a STREAM-layout tile (p does not divide N) in tensor order.
 */
import { describe, expect, it } from 'vitest';
import { loadSplits } from '../../host/data/select.ts';
import { weightGeometry } from '../../host/format/layout.ts';
import type { FloatModel } from '../../host/model/float-model.ts';
import { packModel } from '../../host/format/pack.ts';
import { readModel } from '../../host/format/reader.ts';
import { isMonitorLog, makeReport, parseMonitorLog } from '../../host/report/index.ts';
import { tileSigns } from '../../host/report/tiles.ts';
import type { Checkpoint } from '../../host/train/checkpoint.ts';
import { trainVariants } from '../../host/train/session.ts';

/** Number of separate line series of a named mark layer in a figure of the page. */
function lineSeries(html: string, figure: string, layer: string): number {
  const start = html.indexOf(`data-figure="${figure}"`);
  const end = html.indexOf('</figure>', start);
  expect(start).toBeGreaterThan(0);
  return html.slice(start, end).split(`role-mark ${layer}_marks"`).length - 1;
}

describe('tbn report library', () => {
  const splits = loadSplits({ data: 'synthetic', limit: 300 }, 2);
  const [cv] = trainVariants(splits, {
    arch: 'conv1d:8x5 gap', variants: ['tbn'], activation: 'sign', alpha: 'weight', p: 2, layerP: [2, 1], minTileSize: 16,
    epochs: 2, batch: 32, lrs: [1e-3, 3e-3], weightDecay: 1e-4, seed: 2, slim: true, refit: true, folds: 2,
  });
  const ckpt = (cv as NonNullable<typeof cv>).checkpoint;

  it('cross-validation: the checkpoint keeps each lr × fold history, drawn as faint lines beside the refit curve', async () => {
    const runs = ckpt.metrics.selection?.runs ?? [];
    expect(runs.map((r) => `${r.lr}/${r.fold}`)).toEqual(['0.001/1', '0.001/2', '0.003/1', '0.003/2']);
    for (const r of runs) expect(r.history.map((h) => h.epoch)).toEqual([1, 2]);
    const html = await makeReport({ command: 'test', models: [{ file: 'cv.ckpt.json', checkpoint: ckpt }], created: 'fixed' });
    expect(lineSeries(html, 'training-loss', 'runs')).toBe(4);
    // The refit model trained on val too, and CV keeps no hold-out run: one curve (train+val).
    expect(lineSeries(html, 'training-loss', 'curves')).toBe(1);
    expect(html).toContain('the 2 cross-validation folds of each lr');
  });

  it('an older checkpoint (no validation loss, no selection histories) renders and says what is missing', async () => {
    const old: Checkpoint = JSON.parse(JSON.stringify(ckpt)) as Checkpoint;
    delete old.metrics.selection?.runs;
    old.history = old.history.map(({ valLoss, ...h }) => ({ ...h, valAccuracy: 0.5 }));
    const html = await makeReport({ command: 'test', models: [{ file: 'old.ckpt.json', checkpoint: old }], created: 'fixed' });
    expect(html).toContain('predates the per-fold histories');
    expect(html).toContain('validation loss was not recorded');
    expect(lineSeries(html, 'training-accuracy', 'curves')).toBe(2);
    expect(lineSeries(html, 'training-loss', 'curves')).toBe(1);
  });

  it('a tbn monitor --json log (board on its own sensor): inference-time histogram, one point per prediction, the counters', async () => {
    const labels = ['SEATED', 'WALKING', 'SEATED', 'TURNING', 'WALKING'];
    const lines = [
      ...labels.map((label, i) => JSON.stringify({ type: 'prediction', t: i * 1.28, cls: i % 3, label, endSeq: 128 + 64 * i, micros: 2000 + 100 * i, intervalMs: i ? 1280 : 0, logits: [1, 2, 3] })),
      JSON.stringify({ type: 'status', t: 5, counters: { framesOk: 0, sensorLost: 0 }, since: { sensorSamples: 320, sensorLost: 0, sensorOverflows: 0, overruns: 0, predictions: 5 } }),
      JSON.stringify({ type: 'summary', seconds: 6.4, sensor: { kind: 'mpu6050', rateHz: 50, mode: 1 }, predictions: 5, classCounts: {}, inferenceMicros: { mean: 2200, max: 2400 }, since: { sensorSamples: 320, sensorLost: 0, sensorOverflows: 0, overruns: 0, predictions: 5 }, counters: { framesOk: 0, sensorLost: 0, sensorSamples: 320 }, errors: [] }),
    ];
    const text = `${lines.join('\n')}\n`;
    expect(isMonitorLog(text)).toBe(true);
    expect(isMonitorLog(JSON.stringify({ classes: [], confusion: [] }))).toBe(false);
    const log = parseMonitorLog(text, 'mon.jsonl');
    const html = await makeReport({ command: 'test', models: [{ file: 'cv.ckpt.json', checkpoint: ckpt }], monitor: { file: 'mon.jsonl', log }, created: 'fixed' });
    const timeline = html.slice(html.indexOf('data-figure="timeline"'), html.indexOf('</figure>', html.indexOf('data-figure="timeline"')));
    expect(timeline.split('role-mark predicted_points_marks"')[1]?.split('</g>')[0]?.match(/<path/g)?.length).toBe(labels.length);
    expect(html).toContain('data-figure="inference-time"');
    expect(html).toMatch(/sensorSamples<\/td><td>320/);
    expect(() => parseMonitorLog('{"type":"prediction","t":"x"}\n{"type":"summary"}\n', 'bad.jsonl')).toThrow('bad.jsonl:1: "t" must be a number in a prediction line');
    expect(() => parseMonitorLog('{"type":"status","t":1,"counters":{}}\n{"type":"odd"}\n', 'bad.jsonl')).toThrow('bad.jsonl:2: unknown line type "odd"');
  });

  it('tileSigns reads a STREAM tile (p = 3 does not divide N = 5) in tensor order', () => {
    // dense 6 -> 5, p = 3: q = 10 bits; tile[j] = -1 where j is prime.
    const tile = Array.from({ length: 10 }, (_, j) => ([2, 3, 5, 7].includes(j) ? -1 : 1));
    const model: FloatModel = {
      kind: 'tbn-float-model', version: 1, input: { shape: [1, 1, 6], mean: [0, 0, 0, 0, 0, 0], std: [1, 1, 1, 1, 1, 1], scale: 16 }, classes: ['a', 'b', 'c', 'd', 'e'], channels: ['x'],
      layers: [{ kind: 'dense', inShape: [1, 1, 6], outShape: [1, 1, 5], kernel: [1, 1], stride: [1, 1], p: 3, tile, alpha: [0.5], activation: 'none', bias: [0, 0, 0, 0, 0] }],
    };
    const packed = readModel(packModel(model));
    const layer = packed.layers[0];
    expect(layer?.rows).toBe(false);
    expect(weightGeometry(6, 5, [1, 1], 3).q).toBe(10);
    expect(Array.from(tileSigns(layer as NonNullable<typeof layer>))).toEqual(tile);
  });
});
