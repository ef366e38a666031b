/** Input quantisation of tbn_format.h (INPUT), in IEEE single precision with no fused multiply-add. */

const f = Math.fround;

/** q = clamp(round-half-away(f32(f32(x*mul) + add)), -127, 127); NaN -> -127. */
export function quantizeSample(x: number, mul: number, add: number): number {
  const t = f(f(f(x) * f(mul)) + f(add));
  if (!(t >= -127)) return -127;
  if (t > 127) return 127;
  const i = Math.trunc(t);
  const frac = t - i;
  return i + (frac >= 0.5 ? 1 : 0) - (frac <= -0.5 ? 1 : 0);
}

/** Quantises a channel-last f32 input of `c` channels. */
export function quantizeInput(x: Float32Array, mul: Float32Array, add: Float32Array): Int8Array {
  const c = mul.length;
  const q = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) q[i] = quantizeSample(x[i] as number, mul[i % c] as number, add[i % c] as number);
  return q;
}
