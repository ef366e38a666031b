import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readModel } from '../../host/format/reader.ts';
import { randomPackedModel } from '../../host/format/random-model.ts';
import { runCli } from '../cli/cli-io.ts';

const HAR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/models/har-tbn4.ckpt.json');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tbn-format-'));

describe('tbn pack / inspect / eval', () => {
  const model = path.join(tmp, 'har.tbn');

  it('pack writes a valid .tbn and reports it', async () => {
    const r = await runCli(['pack', HAR, '-o', model]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const m = readModel(new Uint8Array(readFileSync(model)));
    expect(r.out).toContain(`wrote ${model}: ${m.fileBytes} B`);
    const j = await runCli(['pack', HAR, '-o', path.join(tmp, 'har-noreuse.tbn'), '--no-reuse', '--json']);
    const obj = JSON.parse(j.out) as { fileBytes: number; layers: number };
    expect(obj.layers).toBe(m.layers.length);
    expect(readModel(new Uint8Array(readFileSync(path.join(tmp, 'har-noreuse.tbn')))).layers.some((l) => l.reuse)).toBe(false);
  });

  it('inspect prints the per-layer table and JSON with consistent totals', async () => {
    await runCli(['pack', HAR, '-o', model]);
    const t = await runCli(['inspect', model]);
    expect(t.code).toBe(0);
    for (const word of ['layer', 'tile bits', 'α (folded)', 'MACs', 'reuse', 'FP32', 'int8', 'BNN', 'scratch RAM']) expect(t.out).toContain(word);
    const j = JSON.parse((await runCli(['inspect', model, '--json'])).out) as {
      fileBytes: number; scratchBytes: number; layers: { tileBytes: number; threshBytes: number; auxBytes: number; p: number }[];
      totals: { tileBytes: number; perChannelBytes: number; overheadBytes: number; tiledRatioToBnn: number };
    };
    const m = readModel(new Uint8Array(readFileSync(model)));
    expect(j.fileBytes).toBe(m.fileBytes);
    expect(j.scratchBytes).toBe(m.scratchBytes);
    expect(j.totals.tileBytes + j.totals.perChannelBytes + j.totals.overheadBytes).toBe(m.fileBytes);
    expect(j.layers.reduce((a, l) => a + l.tileBytes, 0)).toBe(m.layers.reduce((a, l) => a + 4 * l.tileWords, 0));
    expect(j.totals.tiledRatioToBnn).toBeLessThanOrEqual(0.26);
  });

  it('inspect names the file and the problem for a corrupted or truncated model, without a stack trace', async () => {
    const good = randomPackedModel(3);
    const bad = good.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    const f = path.join(tmp, 'bad.tbn');
    writeFileSync(f, bad);
    let r = await runCli(['inspect', f]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${f}: CRC32 mismatch`);
    expect(r.err).not.toMatch(/\n\s+at /);
    writeFileSync(f, good.slice(0, 100));
    r = await runCli(['inspect', f]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('truncated');
    writeFileSync(f, Uint8Array.of(1, 2, 3, 4, 5));
    r = await runCli(['inspect', f]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('neither a .tbn model (it starts with 01 02 03 04');
    r = await runCli(['inspect', path.join(tmp, 'nope.tbn')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read');
  });

  it('pack refuses an FP32 model and bad arguments with clear messages', async () => {
    const fm = {
      kind: 'tbn-float-model', version: 1, input: { shape: [1, 1, 2], mean: [0, 0], std: [1, 1], scale: 0.1 }, classes: ['a', 'b'], channels: ['x', 'y'],
      layers: [{ kind: 'dense', inShape: [1, 1, 2], outShape: [1, 1, 2], kernel: [1, 1], stride: [1, 1], p: 1, tile: [], alpha: [1], activation: 'none', floatWeights: [1, 2, 3, 4] }],
    };
    const f = path.join(tmp, 'fp32.json');
    writeFileSync(f, JSON.stringify(fm));
    let r = await runCli(['pack', f, '-o', path.join(tmp, 'x.tbn')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('FP32 baseline model cannot be packed');
    r = await runCli(['pack', f]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('-o model.tbn is required');
    writeFileSync(f, '{"format":"something-else"}');
    r = await runCli(['pack', f, '-o', path.join(tmp, 'x.tbn')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('not a tbn training checkpoint');
  });

  it('eval compares float and packed accuracy on the same split, with a confusion matrix', async () => {
    const r = await runCli(['eval', HAR, '--json']);
    expect(r.err).toBe('');
    const j = JSON.parse(r.out) as { count: number; floatAccuracy: number; packedAccuracy: number; differencePoints: number; confusion: number[][]; classes: string[] };
    expect(j.count).toBeGreaterThan(100);
    expect(Math.abs(j.differencePoints)).toBeLessThanOrEqual(0.5);
    expect(j.confusion.length).toBe(j.classes.length);
    const correct = j.confusion.reduce((a, row, i) => a + (row[i] as number), 0);
    expect(correct / j.count).toBeCloseTo(j.packedAccuracy, 10);
    expect(j.confusion.flat().reduce((a, b) => a + b, 0)).toBe(j.count);
    await runCli(['pack', HAR, '-o', model]);
    const t = await runCli(['eval', model]);
    expect(t.code).toBe(0);
    expect(t.out).toContain('packed accuracy');
    expect(t.out).toContain('confusion matrix');
  });
});
