/**
 * Weight storage accounting (tbn-method.md section 6): a binary layer stores
 * n/p tile bits plus 32 bits per alpha (alpha is exported as float32); an
 * FP32 layer stores 32 bits per weight. BatchNorm, biases and the input
 * quantisation are not weight bits and are not counted here.
 */
import type { ModelSpec, WeightLayerSpec } from './arch.ts';
import { weightCount } from './arch.ts';

export const ALPHA_BITS = 32;

export interface LayerSize {
  name: string;
  weights: number;
  p: number;
  tileBits: number;
  alphaCount: number;
  /** tile bits + 32 per alpha, or 32 per weight for float weights. */
  weightBits: number;
  /** The same layer stored as a plain BNN (n bits + one alpha). */
  bnnBits: number;
  /** p divides the output channels: the tile is whole filters (device reuse fast path). */
  reuse: boolean;
}

export interface ModelSize {
  layers: LayerSize[];
  weights: number;
  weightBits: number;
  bitsPerWeight: number;
  bnnBits: number;
  /** Weight bits of the tiled layers (p > 1) over the same layers as a BNN; undefined when nothing is tiled. */
  tiledFractionOfBnn: number | undefined;
}

function weightLayers(spec: ModelSpec): WeightLayerSpec[] {
  return spec.layers.filter((l): l is WeightLayerSpec => l.kind === 'dense' || l.kind === 'conv1d' || l.kind === 'conv2d');
}

export function modelSize(spec: ModelSpec): ModelSize {
  const layers = weightLayers(spec).map((l): LayerSize => {
    const n = weightCount(l);
    const alphaCount = spec.weights === 'float' ? 0 : spec.alpha === 'single' ? 1 : l.p;
    const tileBits = spec.weights === 'float' ? 0 : n / l.p;
    return {
      name: l.name,
      weights: n,
      p: l.p,
      tileBits,
      alphaCount,
      weightBits: spec.weights === 'float' ? 32 * n : tileBits + ALPHA_BITS * alphaCount,
      bnnBits: n + ALPHA_BITS,
      reuse: l.outShape[2] % l.p === 0,
    };
  });
  const weights = layers.reduce((s, l) => s + l.weights, 0);
  const weightBits = layers.reduce((s, l) => s + l.weightBits, 0);
  const tiled = layers.filter((l) => l.p > 1);
  return {
    layers,
    weights,
    weightBits,
    bitsPerWeight: weightBits / weights,
    bnnBits: layers.reduce((s, l) => s + l.bnnBits, 0),
    tiledFractionOfBnn: tiled.length > 0 ? tiled.reduce((s, l) => s + l.weightBits, 0) / tiled.reduce((s, l) => s + l.bnnBits, 0) : undefined,
  };
}

/** "FP32", "BNN", "TBN-4", "TBN (p=1,4,8,1)", with " ReLU" for the weight-only binary mode. */
export function modelLabel(spec: ModelSpec): string {
  if (spec.variant === 'fp32') return 'FP32';
  const relu = spec.activation === 'relu' ? ' (ReLU)' : '';
  if (spec.variant === 'bnn') return `BNN${relu}`;
  const ps = weightLayers(spec).map((l) => l.p);
  const tiled = [...new Set(ps.filter((p) => p > 1))];
  const base = tiled.length === 1 ? `TBN-${tiled[0]}` : tiled.length === 0 ? 'TBN-1' : `TBN (p=${ps.join(',')})`;
  return `${base}${relu}`;
}
