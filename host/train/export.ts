/** Checkpoint -> FloatModel (host/model/float-model.ts), the packer's and `tbn eval`'s view of a trained model. */
import type { FloatLayer, FloatModel, WeightLayer as FloatWeightLayer } from '../model/float-model.ts';
import { TbnError } from '../errors.ts';
import { weightCount } from './arch.ts';
import { checkpointTensor, type Checkpoint } from './checkpoint.ts';
import { BN_EPS } from './network.ts';

export function exportFloatModel(ckpt: Checkpoint, file = 'checkpoint'): FloatModel {
  const spec = ckpt.spec;
  const layers: FloatLayer[] = spec.layers.map((l): FloatLayer => {
    if (l.kind === 'maxpool') return { kind: 'maxpool', inShape: [...l.inShape], outShape: [...l.outShape], kernel: [...l.kernel], stride: [...l.stride] };
    if (l.kind === 'gap') return { kind: 'gap', inShape: [...l.inShape], outShape: [1, 1, l.outShape[2]] };
    const n = weightCount(l);
    const N = l.outShape[2];
    const out: FloatWeightLayer = {
      kind: l.kind,
      inShape: [...l.inShape],
      outShape: [...l.outShape],
      kernel: [...l.kernel],
      stride: [...l.stride],
      p: l.p,
      tile: [],
      alpha: [1],
      activation: l.activation,
    };
    if (spec.weights === 'binary') {
      out.tile = Array.from(checkpointTensor(ckpt, `${l.name}.tile`, n / l.p, file));
      out.alpha = Array.from(checkpointTensor(ckpt, `${l.name}.alpha`, spec.alpha === 'single' ? 1 : l.p, file));
      if (out.tile.some((t) => t !== 1 && t !== -1)) throw new TbnError('E_CHECKPOINT', `${file}: tile of ${l.name} holds values other than +1/-1`);
    } else {
      out.floatWeights = Array.from(checkpointTensor(ckpt, `${l.name}.weight`, n, file));
    }
    if (l.bias) out.bias = Array.from(checkpointTensor(ckpt, `${l.name}.bias`, N, file));
    if (l.bn) {
      out.bn = {
        gamma: Array.from(checkpointTensor(ckpt, `${l.name}.gamma`, N, file)),
        beta: Array.from(checkpointTensor(ckpt, `${l.name}.beta`, N, file)),
        mean: Array.from(checkpointTensor(ckpt, `${l.name}.runMean`, N, file)),
        variance: Array.from(checkpointTensor(ckpt, `${l.name}.runVar`, N, file)),
        eps: BN_EPS,
      };
    }
    if (l.activation === 'relu') {
      const s = ckpt.outScales[l.name];
      if (s !== undefined) out.outScale = s;
    }
    return out;
  });
  return {
    kind: 'tbn-float-model',
    version: 1,
    input: { shape: [...spec.inputShape], mean: [...ckpt.input.mean], std: [...ckpt.input.std], scale: ckpt.input.scale, ...(spec.rateHz !== undefined ? { rateHz: spec.rateHz } : {}) },
    classes: [...spec.classes],
    channels: [...spec.channels],
    ...(spec.units ? { units: [...spec.units] } : {}),
    layers,
  };
}
