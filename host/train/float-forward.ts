/**
 * Reference float inference of a FloatModel, written independently of the
 * training engine: input standardised and fake-quantised to int8, binary
 * tile expanded with alpha (or float weights), BatchNorm with running
 * statistics, sign (0 -> -1) or ReLU, max pooling and global average pooling.
 * `tbn eval` compares it with the packed integer model.
 */
import type { FloatModel, WeightLayer } from '../model/float-model.ts';
import { TbnError } from '../errors.ts';
import { roundHalfAway } from './kernels.ts';

/** The layer's full weight tensor (out, kh, kw, in) as floats. */
export function expandedWeights(l: WeightLayer): Float32Array {
  const n = l.outShape[2] * l.kernel[0] * l.kernel[1] * l.inShape[2];
  if (l.floatWeights) return Float32Array.from(l.floatWeights);
  const q = l.tile.length;
  if (q * l.p !== n) throw new TbnError('E_MODEL', `layer ${l.kind}: tile has ${q} values, expected ${n}/${l.p}`);
  const w = new Float32Array(n);
  const per = n / l.alpha.length;
  for (let j = 0; j < n; j++) w[j] = (l.alpha[Math.floor(j / per)] as number) * (l.tile[j % q] as number);
  return w;
}

/** Int8 input quantisation of the model, as the trainer applies it: returns q * scale. */
export function quantizeModelInput(model: FloatModel, x: Float32Array): Float32Array {
  const c = model.input.shape[2];
  const out = new Float32Array(x.length);
  const { mean, std, scale } = model.input;
  for (let i = 0; i < x.length; i++) {
    const ch = i % c;
    const t = ((x[i] as number) - (mean[ch] as number)) / (std[ch] as number) / scale;
    const v = !(t >= -127) ? -127 : t > 127 ? 127 : roundHalfAway(t);
    out[i] = v * scale;
  }
  return out;
}

function weightLayer(l: WeightLayer, w: Float32Array, x: Float32Array, count: number): Float32Array {
  const [inH, inW, inC] = l.inShape;
  const [outH, outW, N] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const K = kh * kw * inC;
  const run = kw * inC;
  const out = new Float32Array(count * outH * outW * N);
  const bn = l.bn;
  let o = 0;
  for (let b = 0; b < count; b++) {
    const xb = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let c = 0; c < N; c++) {
          let acc = 0;
          for (let dy = 0; dy < kh; dy++) {
            const xs = xb + ((oy * sh + dy) * inW + ox * sw) * inC;
            const ws = c * K + dy * run;
            for (let e = 0; e < run; e++) acc += (x[xs + e] as number) * (w[ws + e] as number);
          }
          let v = Math.fround(acc);
          if (l.bias) v += l.bias[c] as number;
          if (bn) v = ((v - (bn.mean[c] as number)) / Math.sqrt((bn.variance[c] as number) + bn.eps)) * (bn.gamma[c] as number) + (bn.beta[c] as number);
          if (l.activation === 'sign') v = v > 0 ? 1 : -1;
          else if (l.activation === 'relu') v = v > 0 ? v : 0;
          out[o++] = v;
        }
      }
    }
  }
  return out;
}

/** Logits (count x classes) of the float model for raw inputs x (count examples, channel-last). */
export function floatForward(model: FloatModel, x: Float32Array, count: number): Float32Array {
  const [h, w, c] = model.input.shape;
  if (x.length < count * h * w * c) throw new TbnError('E_MODEL', `floatForward: ${count} examples of ${h}x${w}x${c} need ${count * h * w * c} values, got ${x.length}`);
  let a = quantizeModelInput(model, x.subarray(0, count * h * w * c));
  for (const l of model.layers) {
    if (l.kind === 'maxpool') {
      const [inH, inW, C] = l.inShape;
      const [outH, outW] = l.outShape;
      const out = new Float32Array(count * outH * outW * C);
      let o = 0;
      for (let b = 0; b < count; b++) {
        for (let oy = 0; oy < outH; oy++) {
          for (let ox = 0; ox < outW; ox++) {
            for (let ch = 0; ch < C; ch++) {
              let m = -Infinity;
              for (let dy = 0; dy < l.kernel[0]; dy++) {
                for (let dx = 0; dx < l.kernel[1]; dx++) {
                  const v = a[((b * inH + oy * l.stride[0] + dy) * inW + ox * l.stride[1] + dx) * C + ch] as number;
                  if (v > m) m = v;
                }
              }
              out[o++] = m;
            }
          }
        }
      }
      a = out;
    } else if (l.kind === 'gap') {
      const [inH, inW, C] = l.inShape;
      const P = inH * inW;
      const out = new Float32Array(count * C);
      for (let b = 0; b < count; b++) {
        for (let ch = 0; ch < C; ch++) {
          let s = 0;
          for (let i = 0; i < P; i++) s += a[(b * P + i) * C + ch] as number;
          out[b * C + ch] = s / P;
        }
      }
      a = out;
    } else {
      a = weightLayer(l, expandedWeights(l), a, count);
    }
  }
  return a;
}

/** Predicted class per example (lowest index on a tie). */
export function floatPredict(model: FloatModel, x: Float32Array, count: number): Int32Array {
  const logits = floatForward(model, x, count);
  const k = model.classes.length;
  const pred = new Int32Array(count);
  for (let b = 0; b < count; b++) {
    let best = 0;
    for (let j = 1; j < k; j++) if ((logits[b * k + j] as number) > (logits[b * k + best] as number)) best = j;
    pred[b] = best;
  }
  return pred;
}
