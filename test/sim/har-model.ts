/** A HAR-shaped packed model for the simulator tests: conv1d (BIN) -> gap -> dense logits, random weights. */
import { weightGeometry, wordsPerPosition } from '../../host/format/layout.ts';
import type { LayerContent, Shape } from '../../host/format/model.ts';
import { rng } from '../../host/format/random-model.ts';
import { writeModel } from '../../host/format/writer.ts';

export function harShapedModel(seed: number, opts: { window?: number; channels?: number; classes?: string[]; hidden?: number } = {}): Uint8Array {
  const r = rng(seed);
  const W = opts.window ?? 128;
  const C = opts.channels ?? 6;
  const classes = opts.classes ?? ['SEATED', 'STANDING_UP', 'WALKING', 'TURNING', 'SITTING_DOWN'];
  const H = opts.hidden ?? 16;
  const empty = { tile: new Uint32Array(0), thresholds: new Int32Array(0), flips: new Uint32Array(0), biases: new Int32Array(0) };
  const tile = (g: ReturnType<typeof weightGeometry>, inC: number) => {
    const t = new Uint32Array(g.tileWords);
    for (let j = 0; j < t.length; j++) t[j] = Math.floor(r() * 2 ** 32) >>> 0;
    const cw = wordsPerPosition(inC);
    if (inC % 32 !== 0) for (let j = cw - 1; j < t.length; j += cw) t[j] = ((t[j] as number) & ((1 << inC % 32) - 1)) >>> 0;
    return t;
  };
  const k = 5;
  const outW = Math.floor((W - k) / 2) + 1;
  const convIn: Shape = [1, W, C];
  const g1 = weightGeometry(C, H, [1, k], 4);
  const thresholds = new Int32Array(H);
  for (let o = 0; o < H; o++) thresholds[o] = Math.floor((r() - 0.5) * 60);
  const conv: LayerContent = {
    kind: 'conv1d', inType: 'i8', outType: 'bin', inShape: convIn, outShape: [1, outW, H], kernel: [1, k], stride: [1, 2], p: 4, reuse: true, t16: true, shift: 0,
    tile: tile(g1, C), thresholds, flips: Uint32Array.of(0b1010), biases: new Int32Array(0),
  };
  const gap: LayerContent = { kind: 'gap', inType: 'bin', outType: 'i32', inShape: [1, outW, H], outShape: [1, 1, H], kernel: [0, 0], stride: [0, 0], p: 0, reuse: false, t16: false, shift: 0, ...empty };
  const N = classes.length;
  const g2 = weightGeometry(H, N, [1, 1], 1);
  const mul = new Int32Array(N);
  const bias = new Int32Array(N);
  for (let o = 0; o < N; o++) {
    mul[o] = 1 + Math.floor(r() * 8);
    bias[o] = Math.floor((r() - 0.5) * 2000);
  }
  const dense: LayerContent = {
    kind: 'dense', inType: 'i32', outType: 'i32', inShape: [1, 1, H], outShape: [1, 1, N], kernel: [1, 1], stride: [1, 1], p: 1, reuse: false, t16: false, shift: 2,
    tile: tile(g2, H), thresholds: mul, flips: new Uint32Array(0), biases: bias,
  };
  const quantMul = new Float32Array(C).fill(8);
  const quantAdd = new Float32Array(C);
  return writeModel({ inShape: convIn, quantMul, quantAdd, classes, layers: [conv, gap, dense] });
}
