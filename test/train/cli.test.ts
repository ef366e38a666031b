import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';
import { loadCheckpoint } from '../../host/train/checkpoint.ts';

async function tbn(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), interactive: false });
  return { code, out, err };
}

describe('tbn train', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-train-cli-'));

  it('--help lists the training options', async () => {
    const r = await tbn(['train', '--help']);
    expect(r.code).toBe(0);
    for (const o of ['--variants', '--layer-p', '--min-tile-size', '--activation', '--alpha', '--resume', '--seed', '--json', '--out']) expect(r.out).toContain(o);
  });

  it('trains FP32, BNN and TBN-4 side by side and reports one JSON object with accuracy and weight bits', async () => {
    const prefix = path.join(dir, 'fm');
    const r = await tbn(['train', '--data', 'fashion-mnist', '--limit', '1200', '--epochs', '1', '--lr', '3e-3', '--json', '-o', prefix]);
    expect(r.code).toBe(0);
    // stdout is exactly one JSON object; progress goes to stderr
    expect(r.out.trim().split('\n').length).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.models.map((m: { label: string }) => m.label)).toEqual(['FP32', 'BNN', 'TBN-4']);
    expect(j.models.map((m: { size: { weightBits: number } }) => m.size.weightBits)).toEqual([8601600, 268896, 69408]);
    expect(j.models.map((m: { layerP: number[] }) => m.layerP)).toEqual([[1, 1, 1], [1, 1, 1], [4, 4, 1]]);
    for (const m of j.models) {
      expect(m.test.accuracy).toBeGreaterThan(0.4); // chance is 0.1
      expect(existsSync(m.checkpoint)).toBe(true);
    }
    expect(loadCheckpoint(`${prefix}-tbn.ckpt.json`).spec.variant).toBe('tbn');
  });

  it('prints the comparison table, then resumes a checkpoint', async () => {
    const file = path.join(dir, 'har-like.ckpt.json');
    const first = await tbn(['train', '--data', 'fashion-mnist', '--limit', '600', '--variants', 'tbn', '--arch', 'dense:64', '--p', '2', '--min-tile-size', '1000', '--epochs', '1', '--lr', '1e-3', '-o', file]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/\| model \| lr \| val acc % \| trained on \| test acc % \|/);
    expect(first.out).toMatch(/\| TBN-2 \| 0.001 \|/);
    expect(first.out).toMatch(/weight bits = tile bits \+ 32 bits per alpha/);
    expect(first.err).toMatch(/epoch 1\/1 loss/);
    const resumed = await tbn(['train', '--data', 'fashion-mnist', '--limit', '600', '--resume', file, '--epochs', '2', '--json']);
    expect(resumed.code).toBe(0);
    expect(loadCheckpoint(file).train.epochsDone).toBe(2);
    expect(loadCheckpoint(file).history.length).toBe(2);
  });

  it('reports bad options clearly', async () => {
    const bad = await tbn(['train', '--data', 'fashion-mnist', '--limit', '300', '--variants', 'tbn', '--layer-p', '4,4,3', '--no-save']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/dense3 has 2560 weights, which p = 3 does not divide/);
    const v = await tbn(['train', '--variants', 'fp16']);
    expect(v.code).toBe(2);
    expect(v.err).toMatch(/--variants: unknown value "fp16"/);
  });
});
