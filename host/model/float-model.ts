/**
 * The trained model as the packer and `tbn eval` see it: frozen tiles, α,
 * BatchNorm statistics and the input quantisation. `tbn train` exports it in
 * every checkpoint; `tbn pack` turns it into a .tbn file
 * (native-modules/tbn_format.h); `floatForward` in host/train runs it in
 * float exactly as training evaluates it.
 *
 * Layouts follow the packed format: activations channel-last (h, w, c);
 * filters (out, kh, kw, in) row-major; dense = one filter over the whole
 * flattened input.
 */
export interface FloatModel {
  /** Format tag of this JSON-able object; bump on incompatible change. */
  kind: 'tbn-float-model';
  version: 1;
  input: {
    shape: [h: number, w: number, c: number];
    /** Standardisation per channel, applied before quantisation: (x - mean) / std. */
    mean: number[];
    std: number[];
    /** int8 step of the standardised input: q = clamp(round(z / scale), -127, 127). */
    scale: number;
    /** Samples per second of the sensor stream the model was trained on (absent: not a stream, or not recorded). */
    rateHz?: number;
  };
  classes: string[];
  channels: string[];
  /** Physical unit per channel ("" unknown); absent when training did not record them. */
  units?: string[];
  layers: FloatLayer[];
}

export type Activation = 'sign' | 'relu' | 'none';

export interface WeightLayer {
  kind: 'dense' | 'conv1d' | 'conv2d';
  inShape: [h: number, w: number, c: number];
  outShape: [h: number, w: number, c: number];
  kernel: [kh: number, kw: number];
  stride: [sh: number, sw: number];
  /** Tiling factor; 1 = plain binary layer. */
  p: number;
  /** The q = n/p tile values, each +1 or -1, row-major over (out, kh, kw, in) flattening. */
  tile: number[];
  /** α per tile copy (length p), or one α for the whole layer (length 1). */
  alpha: number[];
  /** Optional per-output-channel float bias (added before BatchNorm). */
  bias?: number[];
  /** Optional BatchNorm after the layer, in inference form. */
  bn?: { gamma: number[]; beta: number[]; mean: number[]; variance: number[]; eps: number };
  activation: Activation;
  /**
   * For activation 'relu': int8 step of this layer's output on device,
   * chosen from training data (weight-only mode). Unused otherwise.
   */
  outScale?: number;
  /** True when the layer's weights are float (FP32 baseline); such a model cannot be packed. */
  floatWeights?: number[];
}

export interface PoolLayer {
  kind: 'maxpool';
  inShape: [number, number, number];
  outShape: [number, number, number];
  kernel: [number, number];
  stride: [number, number];
}

export interface GapLayer {
  kind: 'gap';
  inShape: [number, number, number];
  outShape: [1, 1, number];
}

export type FloatLayer = WeightLayer | PoolLayer | GapLayer;
