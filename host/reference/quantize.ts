/** Input quantisation of tbn_format.h: INPUT (f32, IEEE single precision, no fused multiply-add) and INT16 INPUT. */
import { TbnError } from '../errors.ts';
import { TBN } from '../format/spec.ts';

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

// ---- INT16 INPUT of tbn_format.h: sensor counts -> int8 with an integer triple per channel ----

const I16_MULT_MAX = TBN.TBN_I16_MULT_MAX;
const I16_MULT_MIN = -I16_MULT_MAX - 1;

/** Why a triple is out of range (the kernel's TBN_E_PARAMS), or undefined when it is valid. */
function tripleProblem(mult: number, add: number, shift: number): string | undefined {
  if (!Number.isInteger(mult) || mult < I16_MULT_MIN || mult > I16_MULT_MAX) return `mult ${mult} is not in ${I16_MULT_MIN}..${I16_MULT_MAX}`;
  if (!Number.isInteger(add) || Math.abs(add) > TBN.TBN_I16_ADD_MAX) return `add ${add} is not in ±${TBN.TBN_I16_ADD_MAX}`;
  if (!Number.isInteger(shift) || shift < 0 || shift > TBN.TBN_I16_SHIFT_MAX) return `shift ${shift} is not in 0..${TBN.TBN_I16_SHIFT_MAX}`;
  return undefined;
}

/** Throws TbnError('TBN_E_PARAMS') unless `params` holds one valid (mult, add, shift) per channel of `channels`. */
export function checkInt16Params(params: ArrayLike<number>, channels: number): void {
  const per = TBN.TBN_I16_PARAMS_PER_CHANNEL;
  if (params.length !== channels * per) {
    throw new TbnError('TBN_E_PARAMS', `int16 input parameters: ${params.length} values, the model has ${channels} input channels (${per} each: mult, add, shift)`);
  }
  for (let j = 0; j < channels; j++) {
    const why = tripleProblem(params[per * j] as number, params[per * j + 1] as number, params[per * j + 2] as number);
    if (why) throw new TbnError('TBN_E_PARAMS', `int16 input parameters of channel ${j}: ${why}`);
  }
}

/** q = clamp(floor((c*mult + add) / 2^shift), -128, 127) per element, channel i mod (params.length / 3). */
export function quantizeInt16(counts: Int16Array, params: Int32Array, channels: number): Int8Array {
  checkInt16Params(params, channels);
  const per = TBN.TBN_I16_PARAMS_PER_CHANNEL;
  const q = new Int8Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const j = (i % channels) * per;
    // |c*mult| <= 2^30 and |add| < 2^30: exact in a double and inside int32, so `>>` is the arithmetic shift.
    const v = ((counts[i] as number) * (params[j] as number) + (params[j + 1] as number)) >> (params[j + 2] as number);
    q[i] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
  return q;
}

/**
 * The int16 input triples of a model whose float pairs are (mul, add), for a sensor whose channel j gives
 * unitPerCount[j] training units per count: q ~ round(c * unitPerCount[j] * mul[j] + add[j]). Each channel
 * takes the largest shift at which mult = round(s * 2^shift) and add = round(add * 2^shift + 2^(shift-1))
 * (the 0.5 of rounding folded into the floor) stay in range: the most precise triple the kernel accepts.
 */
export function int16InputParams(mul: ArrayLike<number>, add: ArrayLike<number>, unitPerCount: ArrayLike<number>): Int32Array {
  const channels = mul.length;
  if (add.length !== channels || unitPerCount.length !== channels) {
    throw new TbnError('TBN_E_PARAMS', `int16 input parameters: ${channels} quantisation pairs, ${add.length} offsets and ${unitPerCount.length} count scales must agree`);
  }
  const per = TBN.TBN_I16_PARAMS_PER_CHANNEL;
  const out = new Int32Array(channels * per);
  for (let j = 0; j < channels; j++) {
    const s = f(mul[j] as number) * (unitPerCount[j] as number);
    const o = f(add[j] as number);
    if (!Number.isFinite(s) || !Number.isFinite(o)) throw new TbnError('TBN_E_PARAMS', `int16 input parameters of channel ${j}: scale ${s} or offset ${o} is not finite`);
    let found = false;
    for (let shift = TBN.TBN_I16_SHIFT_MAX; shift >= 0 && !found; shift--) {
      const m = Math.round(s * 2 ** shift);
      const b = shift === 0 ? Math.floor(o + 0.5) : Math.round(o * 2 ** shift + 2 ** (shift - 1));
      if (tripleProblem(m, b, shift) === undefined) {
        out.set([m, b, shift], j * per);
        found = true;
      }
    }
    if (!found) {
      throw new TbnError('TBN_E_PARAMS', `int16 input parameters of channel ${j}: ${s} int8 steps per count (offset ${o}) cannot be expressed (|mult| <= ${I16_MULT_MAX} at shift 0)`);
    }
  }
  return out;
}
