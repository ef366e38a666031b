/**
 * The training network: channel-last activations (batch, h, w, c), filters
 * (out, kh, kw, in) row-major, dense = one filter over the flattened input.
 * Every op has a hand-written backward pass; matrix products go through
 * kernels.ts (wasm SIMD or JS).
 */
import type { LayerSpec, ModelSpec, Shape, WeightLayerSpec } from './arch.ts';
import { shapeSize, weightCount } from './arch.ts';
import { ACT_CODE, defaultGemm, jsGemm, type Gemm, type Geometry } from './kernels.ts';
import { Rng } from './rng.ts';
import { expandTile } from './tile.ts';

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;
/** Examples per chunk of an evaluation-mode forward pass (bounds the layer buffers; results do not depend on it). */
export const EVAL_CHUNK = 64;
const ONE = new Float32Array([1]);

export interface Param {
  name: string;
  value: Float32Array;
  grad: Float32Array;
  /** Weight decay applies (the latent W only). */
  decay: boolean;
  /** Not updated (W when alpha comes from the scores). */
  frozen: boolean;
}

export interface InputQuant {
  mean: Float32Array;
  std: Float32Array;
  /** int8 step of the standardised input. */
  scale: number;
}

abstract class Layer {
  abstract readonly spec: LayerSpec;
  /** Set by the network to its engine's allocator and kernels. */
  alloc: Alloc = plainAlloc;
  kernels: Gemm = jsGemm;
  /** Output of the last forward pass, (batch, h, w, c). */
  out: Float32Array = new Float32Array(0);
  /** Gradient with respect to the input of the last forward pass. */
  gradIn: Float32Array = new Float32Array(0);
  abstract forward(x: Float32Array, batch: number, training: boolean): Float32Array;
  abstract backward(gradOut: Float32Array, batch: number, needGradIn: boolean): Float32Array;
}

/** Allocates float buffers (in the engine's memory for the wasm engine, so kernels use them in place). */
type Alloc = (n: number) => Float32Array;
const plainAlloc: Alloc = (n) => new Float32Array(n);

function grow(a: Float32Array, n: number, alloc: Alloc): Float32Array {
  return a.length >= n ? a : alloc(n);
}

export class WeightLayer extends Layer {
  readonly spec: WeightLayerSpec;
  readonly K: number;
  readonly N: number;
  readonly n: number;
  readonly p: number;
  readonly binary: boolean;
  readonly alphaMode: ModelSpec['alpha'];
  /** Latent scores S (binary only). */
  readonly scores: Param | undefined;
  /** Latent W: alpha source (binary) or the float weights (fp32). */
  readonly weight: Param;
  readonly bias: Param | undefined;
  readonly gamma: Param | undefined;
  readonly beta: Param | undefined;
  readonly runMean: Float32Array;
  readonly runVar: Float32Array;
  readonly tile: Float32Array;
  readonly alpha: Float32Array;
  /** Effective weight used by the last forward pass (N x K). */
  readonly weff: Float32Array;
  private readonly gWeff: Float32Array;
  private input: Float32Array = new Float32Array(0);
  /** Product (M, N or N/p), BN-normalised output and pre-activation, (M, N). */
  private d: Float32Array = new Float32Array(0);
  private tileRows: Float32Array = new Float32Array(0);
  private alphaCopies: Float32Array = new Float32Array(0);
  private xhat: Float32Array = new Float32Array(0);
  private pre: Float32Array = new Float32Array(0);
  private invStd: Float32Array;
  private gPre: Float32Array = new Float32Array(0);
  private readonly gemm: Gemm;
  /** Set by the network once per step so the tile is built once. */
  weightsDirty = true;
  /** Multiply only the N/p distinct rows of a tiled layer (off: all N rows, for comparison). */
  reuse = true;

  constructor(spec: WeightLayerSpec, model: ModelSpec, rng: Rng, gemm: Gemm) {
    super();
    this.spec = spec;
    this.gemm = gemm;
    this.alloc = gemm.alloc;
    const zeros = gemm.alloc;
    // initial values are made in JS, then copied into the engine's memory
    const placed = (a: Float32Array): Float32Array => {
      const v = zeros(a.length);
      v.set(a);
      return v;
    };
    this.N = spec.outShape[2];
    this.K = spec.kernel[0] * spec.kernel[1] * spec.inShape[2];
    this.n = weightCount(spec);
    this.p = spec.p;
    this.binary = model.weights === 'binary';
    this.alphaMode = model.alpha;
    const param = (suffix: string, value: Float32Array, decay = false, frozen = false): Param => ({
      name: `${spec.name}.${suffix}`,
      value: placed(value),
      grad: zeros(value.length),
      decay,
      frozen,
    });
    if (this.binary) {
      const bound = 1 / Math.sqrt(this.K); // kaiming_uniform(a = sqrt 5)
      const s = new Float32Array(this.n);
      for (let i = 0; i < this.n; i++) s[i] = rng.uniform(-bound, bound);
      this.scores = param('scores', s);
    }
    const std = Math.sqrt(2 / this.K); // kaiming_normal(fan_in, relu)
    const w = new Float32Array(this.n);
    for (let i = 0; i < this.n; i++) w[i] = rng.normal() * std;
    this.weight = param('weight', w, true, this.binary && model.alpha === 'scores');
    if (spec.bias) this.bias = param('bias', new Float32Array(this.N));
    if (spec.bn) {
      this.gamma = param('gamma', new Float32Array(this.N).fill(1));
      this.beta = param('beta', new Float32Array(this.N));
    }
    this.runMean = zeros(this.N);
    this.runVar = zeros(this.N).fill(1);
    this.invStd = zeros(this.N);
    this.tile = zeros(this.n / this.p);
    this.alpha = zeros(model.alpha === 'single' ? 1 : this.p);
    this.weff = zeros(this.n);
    this.gWeff = zeros(this.n);
  }

  params(): Param[] {
    return [this.scores, this.weight, this.bias, this.gamma, this.beta].filter((p): p is Param => p !== undefined);
  }

  /** Rebuilds tile, alpha and the effective weight from the latents. */
  refreshWeights(): void {
    if (!this.binary) {
      this.weff.set(this.weight.value);
      return;
    }
    const s = (this.scores as Param).value;
    this.gemm.tileRefresh(s, this.p, this.tile, this.alphaMode === 'scores' ? s : this.weight.value, this.alpha.length, this.alpha);
    if (!this.alphaAfter) expandTile(this.tile, this.alpha, this.p, this.weff);
  }

  private rows(batch: number): number {
    return batch * this.spec.outShape[0] * this.spec.outShape[1];
  }

  /** Convolution geometry for a batch (a dense layer is one output position). */
  private geometry(batch: number): Geometry {
    const s = this.spec;
    return [batch, s.inShape[0], s.inShape[1], s.inShape[2], s.outShape[0], s.outShape[1], s.kernel[0], s.kernel[1], s.stride[0], s.stride[1]];
  }

  /**
   * Binary layer whose p tile copies are whole blocks of N/p output channels: its product is
   * computed with the ±1 tile and alpha applied afterwards, and with `reuse` only N/p rows are
   * multiplied (tbn-method.md section 5). Other layers multiply by the effective weight.
   */
  private get alphaAfter(): boolean {
    return this.binary && this.N % this.p === 0;
  }

  /** Alpha per tile copy (a single alpha repeated p times). */
  private alphaPerCopy(): Float32Array {
    if (this.alpha.length === this.p) return this.alpha;
    this.alphaCopies = this.alphaCopies.length === this.p ? this.alphaCopies : new Float32Array(this.p);
    this.alphaCopies.fill(this.alpha[0] as number);
    return this.alphaCopies;
  }

  /** The ±1 rows the product uses: the tile (N/p rows) with reuse, else the tile repeated p times (N rows). */
  private signRows(): Float32Array {
    if (this.reuse || this.p === 1) return this.tile;
    if (this.tileRows.length !== this.n) this.tileRows = new Float32Array(this.n);
    const q = this.tile.length;
    for (let c = 0; c < this.p; c++) this.tileRows.set(this.tile, c * q);
    return this.tileRows;
  }

  forward(x: Float32Array, batch: number, training: boolean): Float32Array {
    if (this.weightsDirty) {
      this.refreshWeights();
      this.weightsDirty = false;
    }
    const M = this.rows(batch);
    const N = this.N;
    this.input = x;
    const geom = this.geometry(batch);
    let dCols = N;
    let aBlock = N;
    let alpha: Float32Array = ONE;
    if (this.alphaAfter) {
      dCols = this.reuse ? N / this.p : N;
      aBlock = N / this.p;
      alpha = this.alphaPerCopy();
      this.d = grow(this.d, M * dCols, this.alloc);
      this.gemm.layerForward(x, this.signRows(), this.d, dCols, geom);
    } else {
      this.d = grow(this.d, M * N, this.alloc);
      this.gemm.layerForward(x, this.weff, this.d, N, geom);
    }
    const d = this.d;
    this.pre = grow(this.pre, M * N, this.alloc);
    this.out = grow(this.out, M * N, this.alloc);
    const pre = this.pre;
    const out = this.out;
    const act = ACT_CODE[this.spec.activation];
    if (this.gamma && this.beta) {
      this.xhat = grow(this.xhat, M * N, this.alloc);
      this.gemm.bnForward({
        d, dCols, alpha, aBlock, M, N,
        gamma: this.gamma.value, beta: this.beta.value, runMean: this.runMean, runVar: this.runVar, invStd: this.invStd,
        xhat: this.xhat, pre, out, act, training, momentum: BN_MOMENTUM, eps: BN_EPS,
      });
      return out;
    }
    const b = this.bias?.value;
    for (let r = 0; r < M; r++) {
      for (let c = 0; c < N; c++) {
        let z = (alpha[Math.floor(c / aBlock)] as number) * (d[r * dCols + (c % dCols)] as number);
        if (b) z = Math.fround(z + (b[c] as number));
        pre[r * N + c] = z;
      }
    }
    for (let i = 0; i < M * N; i++) {
      const v = pre[i] as number;
      out[i] = act === ACT_CODE.sign ? (v > 0 ? 1 : -1) : act === ACT_CODE.relu ? (v > 0 ? v : 0) : v;
    }
    return out;
  }

  /** Pre-activation values of the last forward pass (BN output), (M, N). */
  preActivation(batch: number): Float32Array {
    return this.pre.subarray(0, this.rows(batch) * this.N);
  }

  backward(gradOut: Float32Array, batch: number, needGradIn: boolean): Float32Array {
    const M = this.rows(batch);
    const N = this.N;
    this.gPre = grow(this.gPre, M * N, this.alloc);
    const g = this.gPre;
    const act = ACT_CODE[this.spec.activation];
    if (this.gamma && this.beta) {
      this.gemm.bnBackward({
        go: gradOut, pre: this.pre, xhat: this.xhat, M, N, gamma: this.gamma.value, invStd: this.invStd, act,
        gGamma: this.gamma.grad, gBeta: this.beta.grad, g,
      });
    } else {
      const pre = this.pre;
      for (let i = 0; i < M * N; i++) {
        const v = pre[i] as number;
        const go = gradOut[i] as number;
        g[i] = act === ACT_CODE.sign ? (v >= -1 && v <= 1 ? go : 0) : act === ACT_CODE.relu ? (v > 0 ? go : 0) : go;
      }
    }
    if (this.bias) {
      const gb = this.bias.grad;
      for (let r = 0; r < M; r++) for (let c = 0; c < N; c++) gb[c] = (gb[c] as number) + (g[r * N + c] as number);
    }
    const geom = this.geometry(batch);
    // every latent element has its own gradient (identity STE, Adam per element), so this product keeps all N rows
    this.gemm.layerWeightGrad(g, this.input, this.gWeff, N, geom);
    if (this.binary) {
      const s = this.scores as Param;
      const src = this.alphaMode === 'scores' ? s : this.weight;
      this.gemm.tileBackward(this.gWeff, this.tile, this.alpha, s.grad, src.value, src.grad);
    } else {
      const gw = this.weight.grad;
      for (let i = 0; i < this.n; i++) gw[i] = (gw[i] as number) + (this.gWeff[i] as number);
    }
    if (!needGradIn) return this.gradIn;
    this.gradIn = grow(this.gradIn, batch * shapeSize(this.spec.inShape), this.alloc);
    if (this.alphaAfter) {
      // with reuse the p copies of a row share the tile row: their alpha-scaled gradients are summed first
      const Nq = N / this.p;
      this.gemm.layerInputGrad(g, N, this.alphaPerCopy(), Nq, this.reuse ? Nq : N, this.signRows(), this.gradIn, geom);
    } else {
      this.gemm.layerInputGrad(g, N, ONE, N, N, this.weff, this.gradIn, geom);
    }
    return this.gradIn;
  }
}

export class MaxPoolLayer extends Layer {
  readonly spec: LayerSpec & { kind: 'maxpool' };
  private argmax: Int32Array = new Int32Array(0);
  constructor(spec: LayerSpec & { kind: 'maxpool' }) {
    super();
    this.spec = spec;
  }
  forward(x: Float32Array, batch: number): Float32Array {
    const [inH, inW, C] = this.spec.inShape;
    const [outH, outW] = this.spec.outShape;
    const [kh, kw] = this.spec.kernel;
    const [sh, sw] = this.spec.stride;
    const outSize = batch * outH * outW * C;
    this.out = grow(this.out, outSize, this.alloc);
    if (this.argmax.length < outSize) {
      const f = this.alloc(outSize);
      this.argmax = new Int32Array(f.buffer, f.byteOffset, outSize);
    }
    this.kernels.maxPoolForward(x, [batch, inH, inW, C, outH, outW, kh, kw, sh, sw], this.out, this.argmax);
    return this.out;
  }
  backward(gradOut: Float32Array, batch: number): Float32Array {
    const inSize = batch * shapeSize(this.spec.inShape);
    this.gradIn = grow(this.gradIn, inSize, this.alloc);
    this.kernels.maxPoolBackward(gradOut, this.argmax, batch * shapeSize(this.spec.outShape), this.gradIn, inSize);
    return this.gradIn;
  }
}

export class GapLayer extends Layer {
  readonly spec: LayerSpec & { kind: 'gap' };
  constructor(spec: LayerSpec & { kind: 'gap' }) {
    super();
    this.spec = spec;
  }
  forward(x: Float32Array, batch: number): Float32Array {
    const [h, w, C] = this.spec.inShape;
    const P = h * w;
    this.out = grow(this.out, batch * C, this.alloc);
    this.kernels.gapForward(x, batch, P, C, this.out);
    return this.out;
  }
  backward(gradOut: Float32Array, batch: number): Float32Array {
    const [h, w, C] = this.spec.inShape;
    const P = h * w;
    this.gradIn = grow(this.gradIn, batch * P * C, this.alloc);
    const gi = this.gradIn;
    for (let b = 0; b < batch; b++) {
      const row = gi.subarray(b * P * C, b * P * C + C);
      for (let c = 0; c < C; c++) row[c] = (gradOut[b * C + c] as number) / P;
      for (let i = 1; i < P; i++) gi.copyWithin((b * P + i) * C, b * P * C, b * P * C + C);
    }
    return gi;
  }
}

export class Network {
  readonly spec: ModelSpec;
  readonly layers: Layer[];
  readonly weightLayers: WeightLayer[];
  input: InputQuant;
  private qin: Float32Array = new Float32Array(0);
  private logits: Float32Array = new Float32Array(0);
  private readonly alloc: (n: number) => Float32Array;
  readonly gemm: Gemm;

  constructor(spec: ModelSpec, seed: number, gemm: Gemm = defaultGemm()) {
    this.spec = spec;
    // wasm: a memory of its own holding this network's parameters, Adam state, activations and gradients, so
    // the kernels work on them in place instead of copying them in and out at every call
    this.gemm = gemm.workspace ? gemm.workspace() : gemm;
    gemm = this.gemm;
    const rng = new Rng(seed);
    this.layers = spec.layers.map((l) => {
      if (l.kind === 'maxpool') return new MaxPoolLayer(l);
      if (l.kind === 'gap') return new GapLayer(l);
      return new WeightLayer(l, spec, rng, gemm);
    });
    this.weightLayers = this.layers.filter((l): l is WeightLayer => l instanceof WeightLayer);
    this.alloc = gemm.alloc;
    for (const l of this.layers) {
      l.alloc = gemm.alloc;
      l.kernels = gemm;
    }
    const c = spec.inputShape[2];
    this.input = { mean: new Float32Array(c), std: new Float32Array(c).fill(1), scale: 1 / 127 };
  }

  params(): Param[] {
    return this.weightLayers.flatMap((l) => l.params());
  }

  /** Hands the engine's workspace back for reuse: the network and every buffer it holds must not be used after. */
  release(): void {
    this.gemm.release?.();
  }

  /** Marks tiles/alpha stale after a parameter update. */
  invalidateWeights(): void {
    for (const l of this.weightLayers) l.weightsDirty = true;
  }

  /**
   * Logits (batch x classes) for raw inputs. In evaluation mode every example is computed on its own (BatchNorm
   * uses the running statistics), so a large batch runs in chunks of EVAL_CHUNK examples with the same result and
   * the layer buffers stay the size of a chunk; the layers' `out` then hold the last chunk.
   */
  forward(x: Float32Array, batch: number, training: boolean): Float32Array {
    if (training || batch <= EVAL_CHUNK) return this.forwardBatch(x, batch, training);
    const size = shapeSize(this.spec.inputShape);
    const classes = this.spec.classes.length;
    this.logits = grow(this.logits, batch * classes, plainAlloc);
    for (let start = 0; start < batch; start += EVAL_CHUNK) {
      const n = Math.min(EVAL_CHUNK, batch - start);
      const out = this.forwardBatch(x.subarray(start * size, (start + n) * size), n, false);
      this.logits.set(out.subarray(0, n * classes), start * classes);
    }
    return this.logits.subarray(0, batch * classes);
  }

  private forwardBatch(x: Float32Array, batch: number, training: boolean): Float32Array {
    const size = batch * shapeSize(this.spec.inputShape);
    this.qin = grow(this.qin, size, this.alloc);
    const q = this.qin.subarray(0, size);
    this.gemm.quantizeInput(this.input, x.subarray(0, size), this.spec.inputShape[2], q);
    let a: Float32Array = q;
    for (const l of this.layers) a = l.forward(a, batch, training);
    return a;
  }

  backward(gradLogits: Float32Array, batch: number): void {
    let g = gradLogits;
    for (let i = this.layers.length - 1; i >= 0; i--) g = (this.layers[i] as Layer).backward(g, batch, i > 0);
  }

  zeroGrads(): void {
    for (const p of this.params()) p.grad.fill(0);
  }
}

/** Mean softmax cross-entropy; writes d loss / d logits into grad and returns loss and correct count. */
export function softmaxCrossEntropy(
  logits: Float32Array,
  labels: Int32Array,
  offset: number,
  batch: number,
  classes: number,
  grad: Float32Array,
): { loss: number; correct: number } {
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    const row = b * classes;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      const v = logits[row + c] as number;
      if (v > max) {
        max = v;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp((logits[row + c] as number) - max);
    const y = labels[offset + b] as number;
    if (arg === y) correct++;
    loss += Math.log(sum) - ((logits[row + y] as number) - max);
    for (let c = 0; c < classes; c++) {
      const pr = Math.exp((logits[row + c] as number) - max) / sum;
      grad[row + c] = (pr - (c === y ? 1 : 0)) / batch;
    }
  }
  return { loss: loss / batch, correct };
}

export type { Shape };
