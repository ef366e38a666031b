/*
 * Float32 matrix products and fused per-channel passes for the trainer
 * (host/train/kernels.ts), compiled to WebAssembly SIMD128 by build.sh.
 * Row-major, no allocation: the caller places the operands in linear memory
 * and passes byte offsets plus a scratch area for the packed panels.
 *
 * One register-blocked micro-kernel computes C[R,Cc] = L[R,Ln] * P[Ln,Cc]
 * on packed panels (MR rows of L interleaved, NR columns of P interleaved).
 * Every output element is one sequential float32 sum over l = 0..Ln-1,
 * whatever its position in the block, so the three products below give the
 * same value for the same row and column wherever they sit (needed for the
 * tile reuse to match the unreused path) and results do not depend on sizes.
 *   gemm_nt: C[M,N] = A[M,K] * B[N,K]^T   (forward)
 *   gemm_nn: C[M,K] = A[M,N] * B[N,K]     (input gradient)
 *   gemm_tn: C[N,K] = A[M,N]^T * B[M,K]   (weight gradient)
 * No fused multiply-add: relaxed SIMD is not enabled in Node 20 without a flag.
 */
#include <stddef.h>
#include <wasm_simd128.h>

#define MR 4
#define NR 8

/* Packs rows r0.. of the logical LHS (R x Ln) into MR-interleaved panels: dst[(panel*Ln + l)*MR + i].
 * trans = 0: lhs(r, l) = src[r * ld + l]; trans = 1: lhs(r, l) = src[l * ld + r]. Missing rows are 0. */
static void pack_lhs(const float *src, float *dst, int R, int Ln, int ld, int trans) {
  int panels = (R + MR - 1) / MR;
  for (int pnl = 0; pnl < panels; pnl++) {
    float *d = dst + (size_t)pnl * (size_t)Ln * MR;
    int r0 = pnl * MR;
    if (!trans) {
      for (int i = 0; i < MR; i++) {
        int r = r0 + i;
        if (r < R) {
          const float *s = src + (size_t)r * (size_t)ld;
          for (int l = 0; l < Ln; l++) d[l * MR + i] = s[l];
        } else {
          for (int l = 0; l < Ln; l++) d[l * MR + i] = 0;
        }
      }
    } else if (r0 + MR <= R) {
      for (int l = 0; l < Ln; l++) wasm_v128_store(d + l * MR, wasm_v128_load(src + (size_t)l * (size_t)ld + r0));
    } else {
      for (int l = 0; l < Ln; l++)
        for (int i = 0; i < MR; i++) d[l * MR + i] = r0 + i < R ? src[(size_t)l * (size_t)ld + r0 + i] : 0;
    }
  }
}

/* Packs columns of the logical RHS (Ln x Cc) into NR-interleaved panels: dst[(panel*Ln + l)*NR + j].
 * trans = 0: rhs(l, c) = src[l * ld + c]; trans = 1: rhs(l, c) = src[c * ld + l]. Missing columns are 0. */
static void pack_rhs(const float *src, float *dst, int Ln, int Cc, int ld, int trans) {
  int panels = (Cc + NR - 1) / NR;
  for (int pnl = 0; pnl < panels; pnl++) {
    float *d = dst + (size_t)pnl * (size_t)Ln * NR;
    int c0 = pnl * NR;
    if (!trans) {
      if (c0 + NR <= Cc) {
        for (int l = 0; l < Ln; l++) {
          const float *s = src + (size_t)l * (size_t)ld + c0;
          wasm_v128_store(d + l * NR, wasm_v128_load(s));
          wasm_v128_store(d + l * NR + 4, wasm_v128_load(s + 4));
        }
      } else {
        for (int l = 0; l < Ln; l++)
          for (int j = 0; j < NR; j++) d[l * NR + j] = c0 + j < Cc ? src[(size_t)l * (size_t)ld + c0 + j] : 0;
      }
    } else {
      for (int j = 0; j < NR; j++) {
        int c = c0 + j;
        if (c < Cc) {
          const float *s = src + (size_t)c * (size_t)ld;
          for (int l = 0; l < Ln; l++) d[l * NR + j] = s[l];
        } else {
          for (int l = 0; l < Ln; l++) d[l * NR + j] = 0;
        }
      }
    }
  }
}

/* C block (MR x NR at c, row stride ldc, rows/cols limited to rr/cc) = packed a (Ln x MR) * packed b (Ln x NR). */
static void micro(const float *a, const float *b, float *c, int Ln, int ldc, int rr, int cc) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int l = 0; l < Ln; l++) {
    v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    v128_t a0 = wasm_v128_load32_splat(a), a1 = wasm_v128_load32_splat(a + 1);
    v128_t a2 = wasm_v128_load32_splat(a + 2), a3 = wasm_v128_load32_splat(a + 3);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
    a += MR;
    b += NR;
  }
  if (rr == MR && cc == NR) {
    wasm_v128_store(c, c00);
    wasm_v128_store(c + 4, c01);
    wasm_v128_store(c + ldc, c10);
    wasm_v128_store(c + ldc + 4, c11);
    wasm_v128_store(c + 2 * ldc, c20);
    wasm_v128_store(c + 2 * ldc + 4, c21);
    wasm_v128_store(c + 3 * ldc, c30);
    wasm_v128_store(c + 3 * ldc + 4, c31);
    return;
  }
  float t[MR * NR];
  wasm_v128_store(t, c00);
  wasm_v128_store(t + 4, c01);
  wasm_v128_store(t + 8, c10);
  wasm_v128_store(t + 12, c11);
  wasm_v128_store(t + 16, c20);
  wasm_v128_store(t + 20, c21);
  wasm_v128_store(t + 24, c30);
  wasm_v128_store(t + 28, c31);
  for (int i = 0; i < rr; i++)
    for (int j = 0; j < cc; j++) c[i * ldc + j] = t[i * NR + j];
}

/* C[R,Cc] = lhs * rhs; scratch holds ceil(R/MR)*MR*Ln + ceil(Cc/NR)*NR*Ln floats. */
static void product(const float *lhs, int lhsLd, int lhsTrans, const float *rhs, int rhsLd, int rhsTrans,
                    float *c, int R, int Ln, int Cc, float *scratch) {
  int rPanels = (R + MR - 1) / MR, cPanels = (Cc + NR - 1) / NR;
  float *pa = scratch;
  float *pb = scratch + (size_t)rPanels * MR * (size_t)Ln;
  pack_lhs(lhs, pa, R, Ln, lhsLd, lhsTrans);
  pack_rhs(rhs, pb, Ln, Cc, rhsLd, rhsTrans);
  /* Column panels outside: one packed rhs panel stays in L1/L2 while the lhs panels stream. */
  for (int jp = 0; jp < cPanels; jp++) {
    const float *b = pb + (size_t)jp * (size_t)Ln * NR;
    int c0 = jp * NR, cc = Cc - c0 < NR ? Cc - c0 : NR;
    for (int ip = 0; ip < rPanels; ip++) {
      int r0 = ip * MR, rr = R - r0 < MR ? R - r0 : MR;
      micro(pa + (size_t)ip * (size_t)Ln * MR, b, c + (size_t)r0 * (size_t)Cc + c0, Ln, Cc, rr, cc);
    }
  }
}

__attribute__((export_name("gemm_nt")))
void gemm_nt(const float *a, const float *b, float *c, int m, int n, int k, float *scratch) {
  product(a, k, 0, b, k, 1, c, m, k, n, scratch);
}

__attribute__((export_name("gemm_nn")))
void gemm_nn(const float *a, const float *b, float *c, int m, int n, int k, float *scratch) {
  product(a, n, 0, b, k, 0, c, m, n, k, scratch);
}

__attribute__((export_name("gemm_tn")))
void gemm_tn(const float *a, const float *b, float *c, int m, int n, int k, float *scratch) {
  product(a, n, 1, b, k, 0, c, n, m, k, scratch);
}

/*
 * Fused per-channel passes of a weight layer with BatchNorm (rows M, channels N):
 * z[m,n] = alpha[n / aBlock] * d[m * dCols + n % dCols] (the tile-reuse expansion;
 * aBlock = dCols = N and alpha = {1} without tiling), BatchNorm (batch statistics
 * and running averages when training), then the activation (0 none, 1 sign, 2 relu).
 * Writes xhat, pre (BN output) and out (activation); scratch holds 2N floats.
 * Each channel's sums run over the rows in order, so results do not depend on N.
 */
__attribute__((export_name("bn_forward")))
void bn_forward(const float *d, int dCols, const float *alpha, int aBlock, int M, int N,
                const float *gamma, const float *beta, float *runMean, float *runVar, float *invStd,
                float *xhat, float *pre, float *out, int act, int training, float momentum, float eps,
                float *scratch) {
  float *mean = scratch, *sq = scratch + N;
  int vec = (N % 4 == 0) && (dCols % 4 == 0) && (aBlock % 4 == 0);
  /* z into pre */
  for (int m = 0; m < M; m++) {
    const float *dr = d + (size_t)m * (size_t)dCols;
    float *zr = pre + (size_t)m * (size_t)N;
    if (vec) {
      for (int n = 0; n < N; n += 4)
        wasm_v128_store(zr + n, wasm_f32x4_mul(wasm_f32x4_splat(alpha[n / aBlock]), wasm_v128_load(dr + n % dCols)));
    } else {
      for (int n = 0; n < N; n++) zr[n] = alpha[n / aBlock] * dr[n % dCols];
    }
  }
  int n4 = N & ~3;
  if (training) {
    for (int n = 0; n < N; n++) mean[n] = sq[n] = 0;
    for (int m = 0; m < M; m++) {
      const float *zr = pre + (size_t)m * (size_t)N;
      int n = 0;
      for (; n < n4; n += 4) wasm_v128_store(mean + n, wasm_f32x4_add(wasm_v128_load(mean + n), wasm_v128_load(zr + n)));
      for (; n < N; n++) mean[n] += zr[n];
    }
    for (int n = 0; n < N; n++) mean[n] /= (float)M;
    for (int m = 0; m < M; m++) {
      const float *zr = pre + (size_t)m * (size_t)N;
      int n = 0;
      for (; n < n4; n += 4) {
        v128_t t = wasm_f32x4_sub(wasm_v128_load(zr + n), wasm_v128_load(mean + n));
        wasm_v128_store(sq + n, wasm_f32x4_add(wasm_v128_load(sq + n), wasm_f32x4_mul(t, t)));
      }
      for (; n < N; n++) {
        float t = zr[n] - mean[n];
        sq[n] += t * t;
      }
    }
    for (int n = 0; n < N; n++) {
      float v = sq[n] / (float)M;
      invStd[n] = 1.0f / __builtin_sqrtf(v + eps);
      float unbiased = M > 1 ? sq[n] / (float)(M - 1) : v;
      runMean[n] = (1.0f - momentum) * runMean[n] + momentum * mean[n];
      runVar[n] = (1.0f - momentum) * runVar[n] + momentum * unbiased;
    }
  } else {
    for (int n = 0; n < N; n++) {
      mean[n] = runMean[n];
      invStd[n] = 1.0f / __builtin_sqrtf(runVar[n] + eps);
    }
  }
  v128_t one = wasm_f32x4_splat(1.0f), mone = wasm_f32x4_splat(-1.0f), zero = wasm_f32x4_splat(0.0f);
  for (int m = 0; m < M; m++) {
    size_t o = (size_t)m * (size_t)N;
    int n = 0;
    for (; n < n4; n += 4) {
      v128_t h = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(pre + o + n), wasm_v128_load(mean + n)), wasm_v128_load(invStd + n));
      v128_t y = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(gamma + n), h), wasm_v128_load(beta + n));
      wasm_v128_store(xhat + o + n, h);
      wasm_v128_store(pre + o + n, y);
      v128_t a = act == 1 ? wasm_v128_bitselect(one, mone, wasm_f32x4_gt(y, zero))
               : act == 2 ? wasm_v128_and(y, wasm_f32x4_gt(y, zero)) : y;
      wasm_v128_store(out + o + n, a);
    }
    for (; n < N; n++) {
      float h = (pre[o + n] - mean[n]) * invStd[n];
      float y = gamma[n] * h + beta[n];
      xhat[o + n] = h;
      pre[o + n] = y;
      out[o + n] = act == 1 ? (y > 0 ? 1.0f : -1.0f) : act == 2 ? (y > 0 ? y : 0.0f) : y;
    }
  }
}

/*
 * Backward of bn_forward (training mode): g = activation STE (sign: |pre| <= 1; relu: pre > 0) of go,
 * then BatchNorm. Adds to gGamma and gBeta, writes the gradient of z into g. scratch holds 3N floats.
 */
__attribute__((export_name("bn_backward")))
void bn_backward(const float *go, const float *pre, const float *xhat, int M, int N, const float *gamma,
                 const float *invStd, int act, float *gGamma, float *gBeta, float *g, float *scratch) {
  float *sumG = scratch, *sumGX = scratch + N, *k = scratch + 2 * N;
  for (int n = 0; n < N; n++) sumG[n] = sumGX[n] = 0;
  int n4 = N & ~3;
  v128_t one = wasm_f32x4_splat(1.0f), mone = wasm_f32x4_splat(-1.0f), zero = wasm_f32x4_splat(0.0f);
  for (int m = 0; m < M; m++) {
    size_t o = (size_t)m * (size_t)N;
    int n = 0;
    for (; n < n4; n += 4) {
      v128_t y = wasm_v128_load(pre + o + n), gi = wasm_v128_load(go + o + n);
      if (act == 1) gi = wasm_v128_and(gi, wasm_v128_and(wasm_f32x4_ge(y, mone), wasm_f32x4_le(y, one)));
      else if (act == 2) gi = wasm_v128_and(gi, wasm_f32x4_gt(y, zero));
      wasm_v128_store(g + o + n, gi);
      wasm_v128_store(sumG + n, wasm_f32x4_add(wasm_v128_load(sumG + n), gi));
      wasm_v128_store(sumGX + n, wasm_f32x4_add(wasm_v128_load(sumGX + n), wasm_f32x4_mul(gi, wasm_v128_load(xhat + o + n))));
    }
    for (; n < N; n++) {
      float y = pre[o + n], gi = go[o + n];
      if (act == 1) gi = (y >= -1.0f && y <= 1.0f) ? gi : 0.0f;
      else if (act == 2) gi = y > 0 ? gi : 0.0f;
      g[o + n] = gi;
      sumG[n] += gi;
      sumGX[n] += gi * xhat[o + n];
    }
  }
  for (int n = 0; n < N; n++) {
    gGamma[n] += sumGX[n];
    gBeta[n] += sumG[n];
    k[n] = gamma[n] * invStd[n] / (float)M;
  }
  v128_t vm = wasm_f32x4_splat((float)M);
  for (int m = 0; m < M; m++) {
    size_t o = (size_t)m * (size_t)N;
    int n = 0;
    for (; n < n4; n += 4) {
      v128_t t = wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(vm, wasm_v128_load(g + o + n)), wasm_v128_load(sumG + n)),
                                wasm_f32x4_mul(wasm_v128_load(xhat + o + n), wasm_v128_load(sumGX + n)));
      wasm_v128_store(g + o + n, wasm_f32x4_mul(wasm_v128_load(k + n), t));
    }
    for (; n < N; n++) g[o + n] = k[n] * ((float)M * g[o + n] - sumG[n] - xhat[o + n] * sumGX[n]);
  }
}
