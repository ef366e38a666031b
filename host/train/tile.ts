/**
 * Tiled binary weights (tbn-method.md sections 1-2): the tile is
 * sign(sum of the p contiguous chunks of the latent scores S), 0 -> -1,
 * repeated p times; the STE is the identity (each S element receives the
 * gradient of its own position). alpha_i = mean |X| over chunk i of X = W
 * (a separate latent) or X = S; or one alpha for the whole layer.
 */
import type { AlphaMode } from './arch.ts';

/** t_j = +1 if sum_i S[i*q + j] > 0 else -1, with q = n/p. */
export function tileFromScores(s: Float32Array, p: number, out: Float32Array = new Float32Array(s.length / p)): Float32Array {
  const q = s.length / p;
  // chunk by chunk (sequential memory); each sum is still s[j] + s[q + j] + ... in order, in float64
  const sum = new Float64Array(q);
  for (let i = 0; i < p; i++) {
    const base = i * q;
    for (let j = 0; j < q; j++) sum[j] = (sum[j] as number) + (s[base + j] as number);
  }
  for (let j = 0; j < q; j++) out[j] = (sum[j] as number) > 0 ? 1 : -1;
  return out;
}

/** One alpha per tile copy (mean |x| over chunk i), or a single alpha (mean |x| over all). */
export function alphaFrom(x: Float32Array, p: number, mode: AlphaMode, out?: Float32Array): Float32Array {
  const copies = mode === 'single' ? 1 : p;
  const a = out ?? new Float32Array(copies);
  const len = x.length / copies;
  for (let i = 0; i < copies; i++) {
    let sum = 0;
    for (let j = i * len; j < (i + 1) * len; j++) sum += Math.abs(x[j] as number);
    a[i] = sum / len;
  }
  return a;
}

/** Full effective weight: w[j] = alpha[copy of j] * t[j mod q]. */
export function expandTile(tile: Float32Array | number[], alpha: Float32Array | number[], p: number, out?: Float32Array): Float32Array {
  const q = tile.length;
  const n = q * p;
  const w = out ?? new Float32Array(n);
  const per = n / alpha.length;
  for (let j = 0; j < n; j++) w[j] = (alpha[Math.floor(j / per)] as number) * (tile[j % q] as number);
  return w;
}

/**
 * Backward of w = alpha[copy] * t[j mod q]. Adds to gScores (identity STE
 * through the tile) and, through alpha, to gAlphaSource (W or S):
 * d alpha_c = sum over the copy of g[j]*t[j mod q]; d x[j] += d alpha_c * sign(x[j]) / len.
 */
export function tileBackward(
  gW: Float32Array,
  tile: Float32Array,
  alpha: Float32Array,
  gScores: Float32Array,
  alphaSource: Float32Array,
  gAlphaSource: Float32Array,
): void {
  const q = tile.length;
  const n = gW.length;
  const copies = alpha.length;
  const per = n / copies;
  for (let c = 0; c < copies; c++) {
    const a = alpha[c] as number;
    // d alpha_c as four float64 sums (element k of the copy into sum k mod 4), as gemm.c does
    const acc = [0, 0, 0, 0];
    const end = (c + 1) * per;
    let t = (c * per) % q; // tile index of j, wrapping at q
    for (let j = c * per, k = 0; j < end; j++, k = (k + 1) & 3) {
      const g = gW[j] as number;
      gScores[j] = (gScores[j] as number) + g * a;
      acc[k] = (acc[k] as number) + g * (tile[t] as number);
      if (++t === q) t = 0;
    }
    const dAlpha = ((acc[0] as number) + (acc[1] as number)) + ((acc[2] as number) + (acc[3] as number));
    const scale = dAlpha / per;
    for (let j = c * per; j < end; j++) {
      const x = alphaSource[j] as number;
      if (x > 0) gAlphaSource[j] = (gAlphaSource[j] as number) + scale;
      else if (x < 0) gAlphaSource[j] = (gAlphaSource[j] as number) - scale;
    }
  }
}
