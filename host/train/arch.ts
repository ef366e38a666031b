/**
 * Model architecture: a small layer-spec syntax, presets, and the per-layer
 * choice of the tiling factor p (tbn-method.md section 3).
 */
import { TbnError } from '../errors.ts';

export type Shape = [h: number, w: number, c: number];
export type Variant = 'fp32' | 'bnn' | 'tbn';
export type AlphaMode = 'weight' | 'scores' | 'single';
export type HiddenActivation = 'sign' | 'relu';
export type WeightKind = 'dense' | 'conv1d' | 'conv2d';

export interface WeightLayerSpec {
  kind: WeightKind;
  /** e.g. "dense1", "conv1d2": kind plus 1-based index among weight layers. */
  name: string;
  inShape: Shape;
  outShape: Shape;
  kernel: [number, number];
  stride: [number, number];
  p: number;
  bias: boolean;
  bn: boolean;
  activation: HiddenActivation | 'none';
}

export interface PoolLayerSpec {
  kind: 'maxpool';
  inShape: Shape;
  outShape: Shape;
  kernel: [number, number];
  stride: [number, number];
}

export interface GapLayerSpec {
  kind: 'gap';
  inShape: Shape;
  outShape: Shape;
}

export type LayerSpec = WeightLayerSpec | PoolLayerSpec | GapLayerSpec;

/** Everything needed to rebuild a network; stored in checkpoints. */
export interface ModelSpec {
  arch: string;
  variant: Variant;
  /** 'float' only for the fp32 variant. */
  weights: 'float' | 'binary';
  activation: HiddenActivation;
  alpha: AlphaMode;
  inputShape: Shape;
  classes: string[];
  channels: string[];
  /** Physical unit per input channel ("" unknown), when the data stated them; `tbn pack` stores them. */
  units?: string[];
  /** Sample rate of the sensor stream the windows came from; `tbn pack` stores it. */
  rateHz?: number;
  layers: LayerSpec[];
}

export const ARCH_PRESETS: Record<string, string> = {
  'har-cnn': 'conv1d:32x5 conv1d:64x5 maxpool:2 conv1d:64x5 gap',
  'mlp': 'dense:256 dense:256',
};

type Token =
  | { kind: 'dense'; out: number }
  | { kind: 'conv1d'; out: number; k: number; s: number }
  | { kind: 'conv2d'; out: number; kh: number; kw: number; s: number }
  | { kind: 'maxpool'; k: number; s: number }
  | { kind: 'gap' };

function posInt(text: string, what: string, arch: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1) {
    throw new TbnError('E_ARCH', `--arch "${arch}": ${what} must be a positive integer, got "${text}"`);
  }
  return n;
}

/**
 * Hidden layers of an architecture string. Presets: "har-cnn", "mlp" and
 * "mlp:256,256". Otherwise tokens separated by spaces or ';':
 * dense:N, conv1d:NxK[/S], conv2d:NxK[xK2][/S], maxpool:K[/S], gap.
 * A dense classifier with one output per class is always appended.
 */
export function parseArch(arch: string): Token[] {
  let text = arch.trim();
  if (ARCH_PRESETS[text] !== undefined) text = ARCH_PRESETS[text] as string;
  else if (text.startsWith('mlp:')) {
    const sizes = text.slice(4).split(',').filter((s) => s.length > 0);
    if (sizes.length === 0) throw new TbnError('E_ARCH', `--arch "${arch}": mlp needs hidden sizes, e.g. mlp:256,256`);
    return sizes.map((s) => ({ kind: 'dense', out: posInt(s.trim(), 'an mlp layer size', arch) }));
  }
  const tokens: Token[] = [];
  for (const raw of text.split(/[\s;]+/).filter((t) => t.length > 0)) {
    const [name, argText = ''] = raw.split(':', 2) as [string, string?];
    const [body = '', strideText] = argText.split('/');
    const s = strideText !== undefined ? posInt(strideText, `stride of "${raw}"`, arch) : undefined;
    const parts = body.split('x');
    if (name === 'dense' && parts.length === 1) tokens.push({ kind: 'dense', out: posInt(parts[0] as string, `size of "${raw}"`, arch) });
    else if (name === 'conv1d' && parts.length === 2) {
      tokens.push({ kind: 'conv1d', out: posInt(parts[0] as string, `channels of "${raw}"`, arch), k: posInt(parts[1] as string, `kernel of "${raw}"`, arch), s: s ?? 1 });
    } else if (name === 'conv2d' && (parts.length === 2 || parts.length === 3)) {
      const kh = posInt(parts[1] as string, `kernel of "${raw}"`, arch);
      const kw = parts.length === 3 ? posInt(parts[2] as string, `kernel of "${raw}"`, arch) : kh;
      tokens.push({ kind: 'conv2d', out: posInt(parts[0] as string, `channels of "${raw}"`, arch), kh, kw, s: s ?? 1 });
    } else if (name === 'maxpool' && parts.length === 1 && body !== '') {
      const k = posInt(body, `window of "${raw}"`, arch);
      tokens.push({ kind: 'maxpool', k, s: s ?? k });
    } else if (name === 'gap' && argText === '') tokens.push({ kind: 'gap' });
    else {
      throw new TbnError('E_ARCH', `--arch "${arch}": cannot read layer "${raw}" (expected dense:N, conv1d:NxK[/S], conv2d:NxK[xK][/S], maxpool:K[/S] or gap, or a preset: ${Object.keys(ARCH_PRESETS).join(', ')}, mlp:N,N)`);
    }
  }
  if (tokens.length === 0) throw new TbnError('E_ARCH', `--arch "${arch}" has no layers`);
  return tokens;
}

export function weightCount(l: WeightLayerSpec): number {
  return l.outShape[2] * l.kernel[0] * l.kernel[1] * l.inShape[2];
}

export function shapeSize(s: Shape): number {
  return s[0] * s[1] * s[2];
}

export interface BuildOptions {
  arch: string;
  variant: Variant;
  inputShape: Shape;
  classes: string[];
  channels: string[];
  units?: string[];
  rateHz?: number;
  activation?: HiddenActivation;
  alpha?: AlphaMode;
  /** Global p for the tbn variant, applied to layers with at least minTileSize weights. */
  p?: number;
  minTileSize?: number;
  /** Explicit p per weight layer (tbn variant), in order, classifier included. */
  layerP?: number[];
}

/** Builds the layer list with shapes and p; throws TbnError on impossible shapes or p. */
export function buildModelSpec(o: BuildOptions): { spec: ModelSpec; warnings: string[] } {
  const tokens = parseArch(o.arch);
  const warnings: string[] = [];
  const layers: LayerSpec[] = [];
  let shape: Shape = [...o.inputShape];
  let weightIndex = 0;
  const activation: HiddenActivation = o.variant === 'fp32' ? 'relu' : (o.activation ?? 'sign');
  const fail = (msg: string): never => {
    throw new TbnError('E_ARCH', `--arch "${o.arch}": ${msg}`);
  };
  const all: Token[] = [...tokens, { kind: 'dense', out: o.classes.length }];
  all.forEach((t, i) => {
    const last = i === all.length - 1;
    if (t.kind === 'maxpool') {
      const kernel: [number, number] = shape[0] === 1 ? [1, t.k] : [t.k, t.k];
      const stride: [number, number] = shape[0] === 1 ? [1, t.s] : [t.s, t.s];
      if (shape[0] < kernel[0] || shape[1] < kernel[1]) fail(`maxpool:${t.k} needs an input of at least ${kernel.join('x')}, got ${shape.join('x')}`);
      const out: Shape = [Math.floor((shape[0] - kernel[0]) / stride[0]) + 1, Math.floor((shape[1] - kernel[1]) / stride[1]) + 1, shape[2]];
      layers.push({ kind: 'maxpool', inShape: shape, outShape: out, kernel, stride });
      shape = out;
      return;
    }
    if (t.kind === 'gap') {
      const out: Shape = [1, 1, shape[2]];
      layers.push({ kind: 'gap', inShape: shape, outShape: out });
      shape = out;
      return;
    }
    weightIndex++;
    let kernel: [number, number];
    let stride: [number, number];
    if (t.kind === 'dense') {
      kernel = [shape[0], shape[1]];
      stride = [1, 1];
    } else if (t.kind === 'conv1d') {
      if (shape[0] !== 1) fail(`conv1d needs a 1-D input (h = 1), got ${shape.join('x')}; use conv2d`);
      kernel = [1, t.k];
      stride = [1, t.s];
    } else {
      kernel = [t.kh, t.kw];
      stride = [t.s, t.s];
    }
    if (shape[0] < kernel[0] || shape[1] < kernel[1]) fail(`${t.kind} kernel ${kernel.join('x')} does not fit its input ${shape.join('x')}`);
    const out: Shape = [Math.floor((shape[0] - kernel[0]) / stride[0]) + 1, Math.floor((shape[1] - kernel[1]) / stride[1]) + 1, t.out];
    layers.push({
      kind: t.kind,
      name: `${t.kind}${weightIndex}`,
      inShape: shape,
      outShape: out,
      kernel,
      stride,
      p: 1,
      bias: last,
      bn: !last,
      activation: last ? 'none' : activation,
    });
    shape = out;
  });
  const weightLayers = layers.filter((l): l is WeightLayerSpec => l.kind !== 'maxpool' && l.kind !== 'gap');
  resolveP(weightLayers, o, warnings);
  return {
    spec: {
      arch: o.arch,
      variant: o.variant,
      weights: o.variant === 'fp32' ? 'float' : 'binary',
      activation,
      alpha: o.alpha ?? 'weight',
      inputShape: [...o.inputShape],
      classes: [...o.classes],
      channels: [...o.channels],
      ...(o.units ? { units: [...o.units] } : {}),
      ...(o.rateHz !== undefined ? { rateHz: o.rateHz } : {}),
      layers,
    },
    warnings,
  };
}

export const DEFAULT_MIN_TILE_SIZE = 64000;

function resolveP(layers: WeightLayerSpec[], o: BuildOptions, warnings: string[]): void {
  if (o.variant !== 'tbn') {
    for (const l of layers) l.p = 1;
    return;
  }
  if (o.layerP !== undefined) {
    if (o.layerP.length !== layers.length) {
      throw new TbnError('E_P', `--layer-p lists ${o.layerP.length} values but the model has ${layers.length} weight layers (${layers.map((l) => l.name).join(', ')})`);
    }
    layers.forEach((l, i) => {
      const p = o.layerP?.[i] as number;
      if (!Number.isInteger(p) || p < 1) throw new TbnError('E_P', `--layer-p: p of ${l.name} must be a positive integer, got ${p}`);
      l.p = p;
    });
  } else {
    const p = o.p ?? 4;
    const min = o.minTileSize ?? DEFAULT_MIN_TILE_SIZE;
    if (!Number.isInteger(p) || p < 1) throw new TbnError('E_P', `--p must be a positive integer, got ${p}`);
    for (const l of layers) l.p = weightCount(l) >= min ? p : 1;
    if (p > 1 && layers.every((l) => l.p === 1)) {
      warnings.push(`no layer is tiled: every weight layer has fewer than --min-tile-size ${min} weights (largest: ${Math.max(...layers.map(weightCount))}), so this TBN equals a BNN; lower --min-tile-size or set --layer-p (e.g. ${layers.map((l) => (l.outShape[2] % p === 0 && weightCount(l) >= 4096 ? p : 1)).join(',')})`);
    }
  }
  for (const l of layers) {
    const n = weightCount(l);
    if (n % l.p !== 0) {
      throw new TbnError('E_P', `layer ${l.name} has ${n} weights, which p = ${l.p} does not divide; choose a p that divides ${n}`);
    }
    if (l.p > 1 && l.outShape[2] % l.p !== 0) {
      warnings.push(`layer ${l.name}: p = ${l.p} does not divide its ${l.outShape[2]} output channels, so the tile is not a block of whole filters and the device cannot reuse rows (no reuse fast path)`);
    }
  }
}
