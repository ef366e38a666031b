/*
 * Float32 matrix products for the trainer (host/train/kernels.ts), compiled
 * to WebAssembly with SIMD128 by build.sh. Row-major, no allocation: the
 * caller places the operands in linear memory and passes byte offsets.
 *   gemm_nt: C[M,N]  = A[M,K] * B[N,K]^T   (forward: inputs x weights)
 *   gemm_nn: C[M,K]  = A[M,N] * B[N,K]     (backward: input gradient)
 *   gemm_tn: C[N,K] += A[M,N]^T * B[M,K]   (backward: weight gradient)
 */
#include <wasm_simd128.h>

static float hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) +
         wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

__attribute__((export_name("gemm_nt")))
void gemm_nt(const float *a, const float *b, float *c, int m, int n, int k) {
  int k4 = k & ~3;
  for (int i = 0; i < m; i++) {
    const float *ar = a + i * k;
    float *cr = c + i * n;
    int j = 0;
    for (; j + 4 <= n; j += 4) {
      const float *b0 = b + j * k, *b1 = b0 + k, *b2 = b1 + k, *b3 = b2 + k;
      v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
      for (int e = 0; e < k4; e += 4) {
        v128_t av = wasm_v128_load(ar + e);
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(av, wasm_v128_load(b0 + e)));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(av, wasm_v128_load(b1 + e)));
        s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(av, wasm_v128_load(b2 + e)));
        s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(av, wasm_v128_load(b3 + e)));
      }
      float t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
      for (int e = k4; e < k; e++) {
        float av = ar[e];
        t0 += av * b0[e];
        t1 += av * b1[e];
        t2 += av * b2[e];
        t3 += av * b3[e];
      }
      cr[j] = t0;
      cr[j + 1] = t1;
      cr[j + 2] = t2;
      cr[j + 3] = t3;
    }
    for (; j < n; j++) {
      const float *br = b + j * k;
      v128_t s = wasm_f32x4_splat(0);
      for (int e = 0; e < k4; e += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(ar + e), wasm_v128_load(br + e)));
      float t = hsum(s);
      for (int e = k4; e < k; e++) t += ar[e] * br[e];
      cr[j] = t;
    }
  }
}

/* c[0..k) += a0*r0 + a1*r1 + a2*r2 + a3*r3 */
static void axpy4(float *c, const float *r0, const float *r1, const float *r2, const float *r3,
                  float a0, float a1, float a2, float a3, int k) {
  int k4 = k & ~3;
  v128_t v0 = wasm_f32x4_splat(a0), v1 = wasm_f32x4_splat(a1), v2 = wasm_f32x4_splat(a2), v3 = wasm_f32x4_splat(a3);
  for (int e = 0; e < k4; e += 4) {
    v128_t s = wasm_v128_load(c + e);
    s = wasm_f32x4_add(s, wasm_f32x4_mul(v0, wasm_v128_load(r0 + e)));
    s = wasm_f32x4_add(s, wasm_f32x4_mul(v1, wasm_v128_load(r1 + e)));
    s = wasm_f32x4_add(s, wasm_f32x4_mul(v2, wasm_v128_load(r2 + e)));
    s = wasm_f32x4_add(s, wasm_f32x4_mul(v3, wasm_v128_load(r3 + e)));
    wasm_v128_store(c + e, s);
  }
  for (int e = k4; e < k; e++) c[e] += a0 * r0[e] + a1 * r1[e] + a2 * r2[e] + a3 * r3[e];
}

static void axpy1(float *c, const float *r0, float a0, int k) {
  int k4 = k & ~3;
  v128_t v0 = wasm_f32x4_splat(a0);
  for (int e = 0; e < k4; e += 4)
    wasm_v128_store(c + e, wasm_f32x4_add(wasm_v128_load(c + e), wasm_f32x4_mul(v0, wasm_v128_load(r0 + e))));
  for (int e = k4; e < k; e++) c[e] += a0 * r0[e];
}

__attribute__((export_name("gemm_nn")))
void gemm_nn(const float *a, const float *b, float *c, int m, int n, int k) {
  for (int i = 0; i < m; i++) {
    float *cr = c + i * k;
    const float *ar = a + i * n;
    for (int e = 0; e < k; e++) cr[e] = 0;
    int j = 0;
    for (; j + 4 <= n; j += 4) {
      float a0 = ar[j], a1 = ar[j + 1], a2 = ar[j + 2], a3 = ar[j + 3];
      if (a0 == 0 && a1 == 0 && a2 == 0 && a3 == 0) continue;
      axpy4(cr, b + j * k, b + (j + 1) * k, b + (j + 2) * k, b + (j + 3) * k, a0, a1, a2, a3, k);
    }
    for (; j < n; j++) if (ar[j] != 0) axpy1(cr, b + j * k, ar[j], k);
  }
}

__attribute__((export_name("gemm_tn")))
void gemm_tn(const float *a, const float *b, float *c, int m, int n, int k) {
  for (int j = 0; j < n; j++) {
    float *cr = c + j * k;
    int i = 0;
    for (; i + 4 <= m; i += 4) {
      float a0 = a[i * n + j], a1 = a[(i + 1) * n + j], a2 = a[(i + 2) * n + j], a3 = a[(i + 3) * n + j];
      if (a0 == 0 && a1 == 0 && a2 == 0 && a3 == 0) continue;
      axpy4(cr, b + i * k, b + (i + 1) * k, b + (i + 2) * k, b + (i + 3) * k, a0, a1, a2, a3, k);
    }
    for (; i < m; i++) if (a[i * n + j] != 0) axpy1(cr, b + i * k, a[i * n + j], k);
  }
}
