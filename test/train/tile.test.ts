import { describe, expect, it } from 'vitest';
import { buildModelSpec, parseArch, weightCount, type WeightLayerSpec } from '../../host/train/arch.ts';
import { alphaFrom, expandTile, tileBackward, tileFromScores } from '../../host/train/tile.ts';
import { modelSize } from '../../host/train/size.ts';
import { TbnError } from '../../host/errors.ts';

const f32 = (a: number[]): Float32Array => Float32Array.from(a);

describe('tile forward', () => {
  it('sums the p contiguous chunks, then takes the sign with 0 -> -1', () => {
    // n = 8, p = 2, q = 4: chunks [1, -2, 0.5, 0] and [-3, 1, -0.5, 0]
    const s = f32([1, -2, 0.5, 0, -3, 1, -0.5, 0]);
    // sums: -2, -1, 0, 0 -> all -1 (0 maps to -1)
    expect(Array.from(tileFromScores(s, 2))).toEqual([-1, -1, -1, -1]);
    const s2 = f32([2, -2, 0.5, 1e-6, -1, 1, 0.25, 0]);
    // sums: 1, -1, 0.75, 1e-6 -> +1, -1, +1, +1
    expect(Array.from(tileFromScores(s2, 2))).toEqual([1, -1, 1, 1]);
  });

  it('p = 1 is a plain sign of S', () => {
    expect(Array.from(tileFromScores(f32([0.3, -0.1, 0, 2]), 1))).toEqual([1, -1, -1, 1]);
  });

  it('repeats the tile p times, each copy scaled by its own alpha', () => {
    const w = expandTile(f32([1, -1, 1]), f32([0.5, 2, 3]), 3);
    expect(Array.from(w)).toEqual([0.5, -0.5, 0.5, 2, -2, 2, 3, -3, 3]);
    expect(Array.from(expandTile(f32([1, -1]), f32([0.25]), 2))).toEqual([0.25, -0.25, 0.25, -0.25]);
  });

  it('alpha is the mean |x| over each chunk, or over everything for a single alpha', () => {
    const w = f32([1, -3, 2, -2, 0.5, 0.5]);
    expect(Array.from(alphaFrom(w, 3, 'weight'))).toEqual([2, 2, 0.5]);
    expect(alphaFrom(w, 3, 'single')[0]).toBeCloseTo(9 / 6, 6);
  });

  it('backward: identity STE to every S element (times alpha), alpha grad to its source via sign/len', () => {
    const tile = f32([1, -1]);
    const alpha = f32([2, 3]);
    const gW = f32([0.1, 0.2, -0.3, 0.4]);
    const gS = new Float32Array(4);
    const src = f32([1, -1, 0, -2]);
    const gSrc = new Float32Array(4);
    tileBackward(gW, tile, alpha, gS, src, gSrc);
    expect(Array.from(gS).map((v) => +v.toFixed(6))).toEqual([0.2, 0.4, -0.9, 1.2]);
    // d alpha_0 = 0.1*1 + 0.2*-1 = -0.1 -> /2 * sign; d alpha_1 = -0.3 - 0.4 = -0.7 -> /2 * sign (0 gets 0)
    expect(Array.from(gSrc).map((v) => +v.toFixed(6))).toEqual([-0.05, 0.05, 0, 0.35]);
  });
});

describe('choosing p', () => {
  const base = { inputShape: [28, 28, 1] as [number, number, number], classes: Array.from({ length: 10 }, (_, i) => `c${i}`), channels: ['pixel'] };
  const ps = (spec: { layers: unknown[] }): number[] => (spec.layers as WeightLayerSpec[]).filter((l) => 'p' in l).map((l) => l.p);

  it('applies the global p only to layers with at least 64,000 weights by default', () => {
    const { spec, warnings } = buildModelSpec({ ...base, arch: 'mlp:256,256', variant: 'tbn', p: 4 });
    expect(ps(spec)).toEqual([4, 4, 1]);
    expect(warnings).toEqual([]);
    const lower = buildModelSpec({ ...base, arch: 'mlp:256,256', variant: 'tbn', p: 2, minTileSize: 2560 });
    expect(ps(lower.spec)).toEqual([2, 2, 2]);
    const higher = buildModelSpec({ ...base, arch: 'mlp:256,256', variant: 'tbn', p: 4, minTileSize: 65537 });
    expect(ps(higher.spec)).toEqual([4, 1, 1]);
  });

  it('takes explicit per-layer overrides and checks their count', () => {
    const { spec } = buildModelSpec({ ...base, arch: 'mlp:256,256', variant: 'tbn', layerP: [8, 2, 1] });
    expect(ps(spec)).toEqual([8, 2, 1]);
    expect(() => buildModelSpec({ ...base, arch: 'mlp:256,256', variant: 'tbn', layerP: [4, 4] })).toThrow(/3 weight layers/);
  });

  it('refuses a p that does not divide the weight count, naming the layer', () => {
    // dense3: 256 x 10 = 2560 weights; 3 does not divide it
    expect(() => buildModelSpec({ ...base, arch: 'mlp:256,256', variant: 'tbn', layerP: [4, 4, 3] })).toThrow(TbnError);
    expect(() => buildModelSpec({ ...base, arch: 'mlp:256,256', variant: 'tbn', layerP: [4, 4, 3] })).toThrow(/dense3 has 2560 weights.*p = 3/);
  });

  it('warns when p does not divide the output channels (no reuse fast path)', () => {
    // dense2: 256 x 250 = 64000 weights, p = 16 divides 64000 but not 250 output channels
    const { spec, warnings } = buildModelSpec({ ...base, arch: 'mlp:256,250', variant: 'tbn', p: 16 });
    expect(ps(spec)).toEqual([16, 16, 1]);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/dense2.*250 output channels.*no reuse/);
    expect(modelSize(spec).layers.map((l) => l.reuse)).toEqual([true, false, true]);
  });

  it('warns when the size rule tiles nothing (the HAR CNN has no 64,000-weight layer)', () => {
    const { spec, warnings } = buildModelSpec({ arch: 'har-cnn', variant: 'tbn', p: 4, inputShape: [1, 128, 6], classes: ['a', 'b', 'c', 'd', 'e'], channels: ['x'] });
    expect(ps(spec)).toEqual([1, 1, 1, 1]);
    expect(warnings.join('\n')).toMatch(/no layer is tiled.*largest: 20480.*--layer-p \(e.g. 1,4,4,1\)/);
  });

  it('bnn and fp32 have p = 1 everywhere', () => {
    expect(ps(buildModelSpec({ ...base, arch: 'mlp:256,256', variant: 'bnn', p: 4 }).spec)).toEqual([1, 1, 1]);
    expect(buildModelSpec({ ...base, arch: 'mlp:256,256', variant: 'fp32', activation: 'sign' }).spec.activation).toBe('relu');
  });
});

describe('architectures and storage', () => {
  it('builds the HAR CNN of reference-accuracy.md with valid convolutions', () => {
    const { spec } = buildModelSpec({ arch: 'har-cnn', variant: 'tbn', inputShape: [1, 128, 6], classes: ['a', 'b', 'c', 'd', 'e'], channels: ['x'], layerP: [1, 4, 4, 1] });
    const shapes = spec.layers.map((l) => `${l.kind}:${l.outShape.join('x')}`);
    expect(shapes).toEqual(['conv1d:1x124x32', 'conv1d:1x120x64', 'maxpool:1x60x64', 'conv1d:1x56x64', 'gap:1x1x64', 'dense:1x1x5']);
    const w = spec.layers.filter((l): l is WeightLayerSpec => 'p' in l);
    expect(w.map(weightCount)).toEqual([960, 10240, 20480, 320]);
    // reference-accuracy.md: BNN 32,128 bits, TBN-4 9,280 bits, FP32 1,024,000
    expect(modelSize(spec).weightBits).toBe(9280);
    expect(modelSize(buildModelSpec({ arch: 'har-cnn', variant: 'bnn', inputShape: [1, 128, 6], classes: ['a', 'b', 'c', 'd', 'e'], channels: ['x'] }).spec).weightBits).toBe(32128);
    expect(modelSize(buildModelSpec({ arch: 'har-cnn', variant: 'fp32', inputShape: [1, 128, 6], classes: ['a', 'b', 'c', 'd', 'e'], channels: ['x'] }).spec).weightBits).toBe(1024000);
  });

  it('Fashion-MNIST MLP TBN-4 stores at most 26% of the BNN bits in its tiled layers', () => {
    const opts = { arch: 'mlp:256,256', inputShape: [28, 28, 1] as [number, number, number], classes: Array.from({ length: 10 }, (_, i) => `${i}`), channels: ['pixel'] };
    const tbn = modelSize(buildModelSpec({ ...opts, variant: 'tbn', p: 4 }).spec);
    const bnn = modelSize(buildModelSpec({ ...opts, variant: 'bnn' }).spec);
    expect(bnn.weightBits).toBe(268896);
    expect(tbn.weightBits).toBe(69408);
    expect(tbn.tiledFractionOfBnn).toBeLessThanOrEqual(0.26);
  });

  it('parses the layer syntax and rejects bad layers with the offending token', () => {
    expect(parseArch('conv2d:8x3/2 maxpool:2 dense:16').map((t) => t.kind)).toEqual(['conv2d', 'maxpool', 'dense']);
    expect(() => parseArch('conv1d:32')).toThrow(/cannot read layer "conv1d:32"/);
    expect(() => parseArch('mlp:256,x')).toThrow(/positive integer/);
    expect(() => buildModelSpec({ arch: 'conv1d:8x5', variant: 'bnn', inputShape: [28, 28, 1], classes: ['a', 'b'], channels: ['p'] })).toThrow(/conv1d needs a 1-D input/);
    expect(() => buildModelSpec({ arch: 'conv1d:8x200', variant: 'bnn', inputShape: [1, 128, 6], classes: ['a', 'b'], channels: ['p'] })).toThrow(/does not fit/);
  });
});
