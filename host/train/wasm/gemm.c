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

/* Row r of a row-major operand: src + r * ld, or src + off[r] when a row-offset table is given (the rows of a
 * convolution's column matrix read straight from its input, see columns()). */
#define ROW(src, ld, off, r) ((off) ? (src) + (off)[r] : (src) + (size_t)(r) * (size_t)(ld))

/* Packs rows r0.. of the logical LHS (R x Ln) into MR-interleaved panels: dst[(panel*Ln + l)*MR + i].
 * trans = 0: lhs(r, l) = src[r * ld + l]; trans = 1: lhs(r, l) = src[l * ld + r]. Missing rows are 0. */
static void pack_lhs(const float *src, float *dst, int R, int Ln, int ld, int trans, const int *off) {
  int panels = (R + MR - 1) / MR;
  for (int pnl = 0; pnl < panels; pnl++) {
    float *d = dst + (size_t)pnl * (size_t)Ln * MR;
    int r0 = pnl * MR;
    if (!trans) {
      for (int i = 0; i < MR; i++) {
        int r = r0 + i;
        if (r < R) {
          const float *s = ROW(src, ld, off, r);
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
static void pack_rhs(const float *src, float *dst, int Ln, int Cc, int ld, int trans, const int *off) {
  int panels = (Cc + NR - 1) / NR;
  for (int pnl = 0; pnl < panels; pnl++) {
    float *d = dst + (size_t)pnl * (size_t)Ln * NR;
    int c0 = pnl * NR;
    if (!trans) {
      if (c0 + NR <= Cc) {
        for (int l = 0; l < Ln; l++) {
          const float *s = ROW(src, ld, off, l) + c0;
          wasm_v128_store(d + l * NR, wasm_v128_load(s));
          wasm_v128_store(d + l * NR + 4, wasm_v128_load(s + 4));
        }
      } else {
        for (int l = 0; l < Ln; l++)
          for (int j = 0; j < NR; j++) d[l * NR + j] = c0 + j < Cc ? ROW(src, ld, off, l)[c0 + j] : 0;
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

/* C block (MR x NR at c, row stride ldc, rows/cols limited to rr/cc) = lhs (MR rows a0..a3, each advancing
 * by ls per l) * packed b (Ln x NR). The lhs is read in place: no packing pass over it. */
static void micro(const float *a0, const float *a1, const float *a2, const float *a3, int ls, const float *b, float *c,
                  int Ln, int ldc, int rr, int cc) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int l = 0; l < Ln; l++) {
    v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    v128_t x0 = wasm_v128_load32_splat(a0), x1 = wasm_v128_load32_splat(a1);
    v128_t x2 = wasm_v128_load32_splat(a2), x3 = wasm_v128_load32_splat(a3);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
    a0 += ls;
    a1 += ls;
    a2 += ls;
    a3 += ls;
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

/* C[R,Cc] = lhs * rhs; scratch holds ceil(R/MR)*MR*Ln + ceil(Cc/NR)*NR*Ln floats. The rhs is packed; a
 * transposed lhs is packed too (its MR values per l are then contiguous), a row-major lhs is read in place
 * (measured faster: packing it cost as much as the product when Cc is small), except a last partial block. */
static void product(const float *lhs, int lhsLd, int lhsTrans, const int *lhsOff, const float *rhs, int rhsLd, int rhsTrans,
                    const int *rhsOff, float *c, int R, int Ln, int Cc, float *scratch) {
  int rPanels = (R + MR - 1) / MR, rFull = R / MR, cPanels = (Cc + NR - 1) / NR;
  float *pa = scratch;
  float *pb = scratch + (size_t)rPanels * MR * (size_t)Ln;
  pack_rhs(rhs, pb, Ln, Cc, rhsLd, rhsTrans, rhsOff);
  if (lhsTrans) pack_lhs(lhs, pa, R, Ln, lhsLd, 1, 0);
  else if (R % MR) {
    int r0 = rFull * MR;
    pack_lhs(lhsOff ? lhs : lhs + (size_t)r0 * (size_t)lhsLd, pa + (size_t)r0 * (size_t)Ln, R - r0, Ln, lhsLd, 0, lhsOff ? lhsOff + r0 : 0);
  }
  /* Column panels outside: one packed rhs panel stays in cache while the lhs rows stream. */
  for (int jp = 0; jp < cPanels; jp++) {
    const float *b = pb + (size_t)jp * (size_t)Ln * NR;
    int c0 = jp * NR, cc = Cc - c0 < NR ? Cc - c0 : NR;
    for (int ip = 0; ip < rPanels; ip++) {
      int rr = R - ip * MR < MR ? R - ip * MR : MR;
      float *cp = c + (size_t)(ip * MR) * (size_t)Cc + c0;
      if (lhsTrans || rr < MR) {
        const float *a = pa + (size_t)ip * MR * (size_t)Ln;
        micro(a, a + 1, a + 2, a + 3, MR, b, cp, Ln, Cc, rr, cc);
      } else {
        int r = ip * MR;
        micro(ROW(lhs, lhsLd, lhsOff, r), ROW(lhs, lhsLd, lhsOff, r + 1), ROW(lhs, lhsLd, lhsOff, r + 2), ROW(lhs, lhsLd, lhsOff, r + 3), 1, b, cp, Ln, Cc, rr, cc);
      }
    }
  }
}

__attribute__((export_name("gemm_nt")))
void gemm_nt(const float *a, const float *b, float *c, int m, int n, int k, float *scratch) {
  product(a, k, 0, 0, b, k, 1, 0, c, m, k, n, scratch);
}

__attribute__((export_name("gemm_nn")))
void gemm_nn(const float *a, const float *b, float *c, int m, int n, int k, float *scratch) {
  product(a, n, 0, 0, b, k, 0, 0, c, m, n, k, scratch);
}

__attribute__((export_name("gemm_tn")))
void gemm_tn(const float *a, const float *b, float *c, int m, int n, int k, float *scratch) {
  product(a, n, 1, 0, b, k, 0, 0, c, n, m, k, scratch);
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
  int n4 = N & ~3;
  for (int n = 0; n < N; n++) mean[n] = sq[n] = 0;
  /* z into pre; in training, each channel's sum over the rows (in row order) in the same pass */
  for (int m = 0; m < M; m++) {
    const float *dr = d + (size_t)m * (size_t)dCols;
    float *zr = pre + (size_t)m * (size_t)N;
    /* n / aBlock and n % dCols as counters (no integer division per element) */
    int c = 0, left = aBlock, dn = 0;
    if (vec) {
      v128_t a = wasm_f32x4_splat(alpha[0]);
      for (int n = 0; n < N; n += 4) {
        v128_t z = wasm_f32x4_mul(a, wasm_v128_load(dr + dn));
        wasm_v128_store(zr + n, z);
        if (training) wasm_v128_store(mean + n, wasm_f32x4_add(wasm_v128_load(mean + n), z));
        if ((dn += 4) == dCols) dn = 0;
        if ((left -= 4) == 0 && n + 4 < N) {
          a = wasm_f32x4_splat(alpha[++c]);
          left = aBlock;
        }
      }
    } else {
      for (int n = 0; n < N; n++) {
        zr[n] = alpha[c] * dr[dn];
        if (training) mean[n] += zr[n];
        if (++dn == dCols) dn = 0;
        if (--left == 0) {
          c++;
          left = aBlock;
        }
      }
    }
  }
  if (training) {
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

/*
 * One Adam step (L2 decay added to the gradient, bias corrections c1/c2 given) over n values, in float32.
 * host/train/kernels.ts jsAdam holds the same steps in JS (Math.fround), so both engines give identical bits.
 */
__attribute__((export_name("adam")))
void adam(float *w, const float *g, float *m, float *v, int n, float lr, float b1, float b2, float c1, float c2,
          float eps, float wd) {
  float ob1 = 1.0f - b1, ob2 = 1.0f - b2;
  int n4 = n & ~3;
  v128_t vb1 = wasm_f32x4_splat(b1), vb2 = wasm_f32x4_splat(b2), vob1 = wasm_f32x4_splat(ob1), vob2 = wasm_f32x4_splat(ob2);
  v128_t vlr = wasm_f32x4_splat(lr), vc1 = wasm_f32x4_splat(c1), vc2 = wasm_f32x4_splat(c2), veps = wasm_f32x4_splat(eps), vwd = wasm_f32x4_splat(wd);
  int i = 0;
  for (; i < n4; i += 4) {
    v128_t wi = wasm_v128_load(w + i);
    v128_t gi = wasm_f32x4_add(wasm_v128_load(g + i), wasm_f32x4_mul(vwd, wi));
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(vb1, wasm_v128_load(m + i)), wasm_f32x4_mul(vob1, gi));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(vb2, wasm_v128_load(v + i)), wasm_f32x4_mul(wasm_f32x4_mul(vob2, gi), gi));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    v128_t step = wasm_f32x4_div(wasm_f32x4_mul(vlr, wasm_f32x4_div(mi, vc1)), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, vc2)), veps));
    wasm_v128_store(w + i, wasm_f32x4_sub(wi, step));
  }
  for (; i < n; i++) {
    float gi = g[i] + wd * w[i];
    float mi = b1 * m[i] + ob1 * gi;
    float vi = b2 * v[i] + ob2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] - (lr * (mi / c1)) / (__builtin_sqrtf(vi / c2) + eps);
  }
}

/*
 * Layer-level products with the im2col done here (no copy of the column matrix to JS).
 * Geometry g[10]: batch, inH, inW, inC, outH, outW, kh, kw, sh, sw. Rows of the column matrix are
 * output positions (M = batch*outH*outW), K = kh*kw*inC, each row the kh runs of kw*inC inputs.
 */
static int dense_like(const int *g) { return g[4] == 1 && g[5] == 1 && g[6] == g[1] && g[7] == g[2]; }

static void im2col(const float *x, float *cols, const int *g) {
  int batch = g[0], inH = g[1], inW = g[2], inC = g[3], outH = g[4], outW = g[5], kh = g[6], kw = g[7], sh = g[8], sw = g[9];
  int run = kw * inC, K = kh * run;
  size_t r = 0;
  for (int b = 0; b < batch; b++) {
    const float *xb = x + (size_t)b * (size_t)(inH * inW * inC);
    for (int oy = 0; oy < outH; oy++)
      for (int ox = 0; ox < outW; ox++, r++)
        for (int dy = 0; dy < kh; dy++)
          __builtin_memcpy(cols + r * (size_t)K + (size_t)(dy * run), xb + (size_t)(((oy * sh + dy) * inW + ox * sw) * inC), (size_t)run * sizeof(float));
  }
}

static void col2im(const float *cols, float *x, const int *g) {
  int batch = g[0], inH = g[1], inW = g[2], inC = g[3], outH = g[4], outW = g[5], kh = g[6], kw = g[7], sh = g[8], sw = g[9];
  int run = kw * inC, K = kh * run, run4 = run & ~3;
  __builtin_memset(x, 0, (size_t)batch * (size_t)(inH * inW * inC) * sizeof(float));
  size_t r = 0;
  for (int b = 0; b < batch; b++) {
    float *xb = x + (size_t)b * (size_t)(inH * inW * inC);
    for (int oy = 0; oy < outH; oy++)
      for (int ox = 0; ox < outW; ox++, r++)
        for (int dy = 0; dy < kh; dy++) {
          float *dst = xb + (size_t)(((oy * sh + dy) * inW + ox * sw) * inC);
          const float *src = cols + r * (size_t)K + (size_t)(dy * run);
          int e = 0;
          for (; e < run4; e += 4) wasm_v128_store(dst + e, wasm_f32x4_add(wasm_v128_load(dst + e), wasm_v128_load(src + e)));
          for (; e < run; e++) dst[e] += src[e];
        }
  }
}

static int geom_rows(const int *g) { return g[0] * g[4] * g[5]; }
static int geom_k(const int *g) { return g[6] * g[7] * g[3]; }

/*
 * The layer's input as a column matrix [M, K]: x itself for dense-like layers. When each row of the column matrix is
 * one contiguous run of x (kh == 1, or kw == inW: the kh runs of a row are adjacent), the rows are read from x in
 * place through a table of row offsets (*off, built in *scratch); otherwise im2col into *scratch. *scratch is
 * advanced past what it holds.
 */
static const float *columns(const float *x, const int *g, float **scratch, const int **off) {
  *off = 0;
  if (dense_like(g)) return x;
  int batch = g[0], inH = g[1], inW = g[2], inC = g[3], outH = g[4], outW = g[5], kh = g[6], kw = g[7], sh = g[8], sw = g[9];
  if (kh == 1 || kw == inW) {
    int *t = (int *)*scratch, r = 0;
    for (int b = 0; b < batch; b++)
      for (int oy = 0; oy < outH; oy++)
        for (int ox = 0; ox < outW; ox++) t[r++] = b * inH * inW * inC + (oy * sh * inW + ox * sw) * inC;
    *scratch += r;
    *off = t;
    return x;
  }
  float *cols = *scratch;
  im2col(x, cols, g);
  *scratch += (size_t)geom_rows(g) * (size_t)geom_k(g);
  return cols;
}

/* d[M, n] = cols(x) * rows[n, K]^T. scratch: the column matrix or row table (unless dense), then the packed panels. */
__attribute__((export_name("layer_forward")))
void layer_forward(const float *x, const float *rows, float *d, int n, const int *g, float *scratch) {
  int M = geom_rows(g), K = geom_k(g);
  const int *off;
  const float *cols = columns(x, g, &scratch, &off);
  product(cols, K, 0, off, rows, K, 1, 0, d, M, K, n, scratch);
}

/* G[N, K] = gz[M, N]^T * cols(x). */
__attribute__((export_name("layer_weight_grad")))
void layer_weight_grad(const float *gz, const float *x, float *G, int N, const int *g, float *scratch) {
  int M = geom_rows(g), K = geom_k(g);
  const int *off;
  const float *cols = columns(x, g, &scratch, &off);
  product(gz, N, 1, 0, cols, K, 0, off, G, N, M, K, scratch);
}

/*
 * Input gradient: gs[m, j] = sum over n with n % dCols == j, in order, of alpha[n / aBlock] * gz[m, n]
 * (the p copies of a reused row summed first), then gcols = gs * rows[dCols, K], then col2im into gx.
 */
__attribute__((export_name("layer_input_grad")))
void layer_input_grad(const float *gz, int N, const float *alpha, int aBlock, int dCols, const float *rows, float *gx,
                      const int *g, float *scratch) {
  int M = geom_rows(g), K = geom_k(g);
  float *gs = scratch;
  scratch += (size_t)M * (size_t)dCols;
  int vec = dCols % 4 == 0 && aBlock % 4 == 0;
  for (int m = 0; m < M; m++) {
    const float *gr = gz + (size_t)m * (size_t)N;
    float *sr = gs + (size_t)m * (size_t)dCols;
    for (int j = 0; j < dCols; j++) sr[j] = 0;
    /* (n0 + j) / aBlock as a counter (no integer division per element) */
    int c = 0, left = aBlock;
    for (int n0 = 0; n0 < N; n0 += dCols) {
      if (vec) {
        for (int j = 0; j < dCols; j += 4) {
          wasm_v128_store(sr + j, wasm_f32x4_add(wasm_v128_load(sr + j), wasm_f32x4_mul(wasm_f32x4_splat(alpha[c]), wasm_v128_load(gr + n0 + j))));
          if ((left -= 4) == 0) {
            c++;
            left = aBlock;
          }
        }
      } else {
        for (int j = 0; j < dCols; j++) {
          sr[j] += alpha[c] * gr[n0 + j];
          if (--left == 0) {
            c++;
            left = aBlock;
          }
        }
      }
    }
  }
  if (dense_like(g)) {
    product(gs, dCols, 0, 0, rows, K, 0, 0, gx, M, dCols, K, scratch);
    return;
  }
  float *gcols = scratch;
  scratch += (size_t)M * (size_t)K;
  product(gs, dCols, 0, 0, rows, K, 0, 0, gcols, M, dCols, K, scratch);
  col2im(gcols, gx, g);
}

/*
 * Tile and alpha from the latents, and the backward of w = alpha[copy] * t[j mod q], in float64 steps exactly as
 * host/train/tile.ts does them (so both engines give identical bits).
 *   tile[j] = sign(sum over i of s[i*q + j]) (0 -> -1); alpha[c] = mean |x| over copy c (copies = p or 1).
 */
__attribute__((export_name("tile_refresh")))
void tile_refresh(const float *s, int p, int q, float *tile, const float *x, int copies, float *alpha, double *sum) {
  int q2 = q & ~1;
  for (int j = 0; j < q; j++) sum[j] = 0;
  for (int i = 0; i < p; i++) {
    const float *si = s + (size_t)i * (size_t)q;
    int j = 0;
    for (; j < q2; j += 2) wasm_v128_store(sum + j, wasm_f64x2_add(wasm_v128_load(sum + j), wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(si + j))));
    for (; j < q; j++) sum[j] += (double)si[j];
  }
  for (int j = 0; j < q; j++) tile[j] = sum[j] > 0 ? 1.0f : -1.0f;
  int n = p * q, len = n / copies, c = 0;
  /* copies in fours and pairs: independent float64 chains side by side, each still summed in order */
  for (; c + 4 <= copies; c += 4) {
    v128_t a = wasm_f64x2_splat(0), b = a;
    const float *x0 = x + (size_t)c * (size_t)len, *x1 = x0 + len, *x2 = x1 + len, *x3 = x2 + len;
    for (int j = 0; j < len; j++) {
      a = wasm_f64x2_add(a, wasm_f64x2_make((double)__builtin_fabsf(x0[j]), (double)__builtin_fabsf(x1[j])));
      b = wasm_f64x2_add(b, wasm_f64x2_make((double)__builtin_fabsf(x2[j]), (double)__builtin_fabsf(x3[j])));
    }
    alpha[c] = (float)(wasm_f64x2_extract_lane(a, 0) / (double)len);
    alpha[c + 1] = (float)(wasm_f64x2_extract_lane(a, 1) / (double)len);
    alpha[c + 2] = (float)(wasm_f64x2_extract_lane(b, 0) / (double)len);
    alpha[c + 3] = (float)(wasm_f64x2_extract_lane(b, 1) / (double)len);
  }
  for (; c + 2 <= copies; c += 2) {
    v128_t a = wasm_f64x2_splat(0);
    const float *x0 = x + (size_t)c * (size_t)len, *x1 = x0 + len;
    for (int j = 0; j < len; j++)
      a = wasm_f64x2_add(a, wasm_f64x2_make((double)__builtin_fabsf(x0[j]), (double)__builtin_fabsf(x1[j])));
    alpha[c] = (float)(wasm_f64x2_extract_lane(a, 0) / (double)len);
    alpha[c + 1] = (float)(wasm_f64x2_extract_lane(a, 1) / (double)len);
  }
  for (; c < copies; c++) {
    double a = 0;
    const float *xc = x + (size_t)c * (size_t)len;
    for (int j = 0; j < len; j++) a += (double)__builtin_fabsf(xc[j]);
    alpha[c] = (float)(a / (double)len);
  }
}

/* gScores[j] += gW[j] * alpha[c]; d alpha_c = sum gW[j] * t[j mod q]; gSrc[j] += sign(src[j]) * d alpha_c / len.
 * d alpha_c is four float64 sums (element k of the copy goes to sum k mod 4), added as (s0 + s1) + (s2 + s3):
 * independent chains instead of one, the same in tile.ts. */
__attribute__((export_name("tile_backward")))
void tile_backward(const float *gW, const float *tile, int q, const float *alpha, int copies, int n, float *gScores,
                   const float *src, float *gSrc) {
  int per = n / copies;
  for (int c = 0; c < copies; c++) {
    double a = (double)alpha[c];
    double acc[4] = {0, 0, 0, 0};
    int start = c * per, end = start + per, t = start % q;
    int j = start;
    if (t == 0 && per % 4 == 0 && q % 4 == 0) {
      v128_t va = wasm_f64x2_splat(a), s01 = wasm_f64x2_splat(0), s23 = s01;
      for (; j < end; j += 4) {
        v128_t g = wasm_v128_load(gW + j), tv = wasm_v128_load(tile + t);
        v128_t glo = wasm_f64x2_promote_low_f32x4(g), ghi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(g, g, 2, 3, 0, 1));
        v128_t tlo = wasm_f64x2_promote_low_f32x4(tv), thi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(tv, tv, 2, 3, 0, 1));
        v128_t gs = wasm_v128_load(gScores + j);
        v128_t slo = wasm_f64x2_add(wasm_f64x2_promote_low_f32x4(gs), wasm_f64x2_mul(glo, va));
        v128_t shi = wasm_f64x2_add(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(gs, gs, 2, 3, 0, 1)), wasm_f64x2_mul(ghi, va));
        v128_t lo = wasm_f32x4_demote_f64x2_zero(slo), hi = wasm_f32x4_demote_f64x2_zero(shi);
        wasm_v128_store(gScores + j, wasm_i32x4_shuffle(lo, hi, 0, 1, 4, 5));
        s01 = wasm_f64x2_add(s01, wasm_f64x2_mul(glo, tlo));
        s23 = wasm_f64x2_add(s23, wasm_f64x2_mul(ghi, thi));
        t += 4;
        if (t == q) t = 0;
      }
      acc[0] = wasm_f64x2_extract_lane(s01, 0);
      acc[1] = wasm_f64x2_extract_lane(s01, 1);
      acc[2] = wasm_f64x2_extract_lane(s23, 0);
      acc[3] = wasm_f64x2_extract_lane(s23, 1);
    } else {
      for (int k = 0; j < end; j++, k = (k + 1) & 3) {
        double g = (double)gW[j];
        gScores[j] = (float)((double)gScores[j] + g * a);
        acc[k] += g * (double)tile[t];
        if (++t == q) t = 0;
      }
    }
    double dAlpha = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    double scale = dAlpha / (double)per;
    j = start;
    if (start % 4 == 0) {
      /* branchless: both float64 sums rounded to float, chosen by the sign of src (0 or NaN keeps gSrc as is) */
      v128_t vs = wasm_f64x2_splat(scale), zero = wasm_f32x4_splat(0.0f);
      for (; j + 4 <= end; j += 4) {
        v128_t x = wasm_v128_load(src + j), g = wasm_v128_load(gSrc + j);
        v128_t glo = wasm_f64x2_promote_low_f32x4(g), ghi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(g, g, 2, 3, 0, 1));
        v128_t plus = wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(wasm_f64x2_add(glo, vs)), wasm_f32x4_demote_f64x2_zero(wasm_f64x2_add(ghi, vs)), 0, 1, 4, 5);
        v128_t minus = wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(wasm_f64x2_sub(glo, vs)), wasm_f32x4_demote_f64x2_zero(wasm_f64x2_sub(ghi, vs)), 0, 1, 4, 5);
        v128_t r = wasm_v128_bitselect(plus, g, wasm_f32x4_gt(x, zero));
        wasm_v128_store(gSrc + j, wasm_v128_bitselect(minus, r, wasm_f32x4_lt(x, zero)));
      }
    }
    for (; j < end; j++) {
      float x = src[j];
      if (x > 0) gSrc[j] = (float)((double)gSrc[j] + scale);
      else if (x < 0) gSrc[j] = (float)((double)gSrc[j] - scale);
    }
  }
}

/*
 * The trainer's int8 fake quantisation of the input (host/train/kernels.ts jsQuantizeInput), in the same float64
 * steps: t = ((x - mean[c]) / std[c]) / scale, -127 when !(t >= -127), 127 when t > 127, else rounded half away
 * from zero; out = (float)(v * scale). Channel c = i % channels; meanD/stdD hold the float64 mean and std for
 * `period` positions (channels, or 2 * channels when channels is odd) so two neighbours share one vector.
 */
__attribute__((export_name("quantize_input")))
void quantize_input(const float *x, int n, const double *meanD, const double *stdD, int period, double scale, float *out) {
  v128_t vs = wasm_f64x2_splat(scale), lo = wasm_f64x2_splat(-127.0), hi = wasm_f64x2_splat(127.0);
  v128_t half = wasm_f64x2_splat(0.5), mhalf = wasm_f64x2_splat(-0.5), one = wasm_f64x2_splat(1.0);
  int i = 0, k = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xv = wasm_v128_load(x + i);
    v128_t r[2];
    for (int h = 0; h < 2; h++) {
      v128_t xd = wasm_f64x2_promote_low_f32x4(h ? wasm_i32x4_shuffle(xv, xv, 2, 3, 0, 1) : xv);
      v128_t t = wasm_f64x2_div(wasm_f64x2_div(wasm_f64x2_sub(xd, wasm_v128_load(meanD + k)), wasm_v128_load(stdD + k)), vs);
      k += 2;
      if (k == period) k = 0;
      v128_t w = wasm_f64x2_trunc(t);
      v128_t f = wasm_f64x2_sub(t, w);
      v128_t v = wasm_f64x2_sub(wasm_f64x2_add(w, wasm_v128_and(wasm_f64x2_ge(f, half), one)), wasm_v128_and(wasm_f64x2_le(f, mhalf), one));
      v = wasm_v128_bitselect(v, lo, wasm_f64x2_ge(t, lo));
      v = wasm_v128_bitselect(hi, v, wasm_f64x2_gt(t, hi));
      r[h] = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_mul(v, vs));
    }
    wasm_v128_store(out + i, wasm_i32x4_shuffle(r[0], r[1], 0, 1, 4, 5));
  }
  for (; i < n; i++) {
    double t = ((double)x[i] - meanD[k]) / stdD[k] / scale, v;
    if (++k == period) k = 0;
    if (!(t >= -127.0)) v = -127.0;
    else if (t > 127.0) v = 127.0;
    else {
      double w = __builtin_trunc(t), f = t - w;
      v = w + (f >= 0.5 ? 1.0 : 0.0) - (f <= -0.5 ? 1.0 : 0.0);
    }
    out[i] = (float)(v * scale);
  }
}

/*
 * Max pooling, channel-last, over g (geometry as above: kh x kw windows, strides sh, sw). For each channel the
 * window is scanned in (dy, dx) order and the first strictly larger value wins; a window with no value above
 * -infinity keeps -infinity and index -1. arg holds the index into x of each output's winner.
 */
__attribute__((export_name("maxpool_forward")))
void maxpool_forward(const float *x, const int *g, float *out, int *arg) {
  int batch = g[0], inH = g[1], inW = g[2], C = g[3], outH = g[4], outW = g[5], kh = g[6], kw = g[7], sh = g[8], sw = g[9];
  float ninf = -__builtin_inff();
  size_t o = 0;
  for (int b = 0; b < batch; b++) {
    int xb = b * inH * inW * C;
    for (int oy = 0; oy < outH; oy++)
      for (int ox = 0; ox < outW; ox++, o += (size_t)C) {
        int c = 0;
        for (; c + 4 <= C; c += 4) {
          v128_t best = wasm_f32x4_splat(ninf), at = wasm_i32x4_splat(-1);
          for (int dy = 0; dy < kh; dy++)
            for (int dx = 0; dx < kw; dx++) {
              int i0 = xb + ((oy * sh + dy) * inW + ox * sw + dx) * C + c;
              v128_t v = wasm_v128_load(x + i0), gt = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, gt);
              at = wasm_v128_bitselect(wasm_i32x4_make(i0, i0 + 1, i0 + 2, i0 + 3), at, gt);
            }
          wasm_v128_store(out + o + c, best);
          wasm_v128_store(arg + o + c, at);
        }
        for (; c < C; c++) {
          float best = ninf;
          int at = -1;
          for (int dy = 0; dy < kh; dy++)
            for (int dx = 0; dx < kw; dx++) {
              int i = xb + ((oy * sh + dy) * inW + ox * sw + dx) * C + c;
              if (x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          out[o + c] = best;
          arg[o + c] = at;
        }
      }
  }
}

/* gradIn = 0, then gradIn[arg[o]] += gradOut[o] for o in order (an index of -1 takes nothing). */
__attribute__((export_name("maxpool_backward")))
void maxpool_backward(const float *gradOut, const int *arg, int outSize, float *gradIn, int inSize) {
  __builtin_memset(gradIn, 0, (size_t)inSize * sizeof(float));
  for (int o = 0; o < outSize; o++) {
    int i = arg[o];
    if (i >= 0) gradIn[i] += gradOut[o];
  }
}

/* Global average pooling: out[b, c] = (float)(float64 sum over the P positions in order / P); sums holds C doubles. */
__attribute__((export_name("gap_forward")))
void gap_forward(const float *x, int batch, int P, int C, float *out, double *sums) {
  for (int b = 0; b < batch; b++) {
    for (int c = 0; c < C; c++) sums[c] = 0;
    for (int i = 0; i < P; i++) {
      const float *r = x + ((size_t)b * (size_t)P + (size_t)i) * (size_t)C;
      for (int c = 0; c < C; c++) sums[c] += (double)r[c];
    }
    for (int c = 0; c < C; c++) out[(size_t)b * (size_t)C + (size_t)c] = (float)(sums[c] / (double)P);
  }
}
