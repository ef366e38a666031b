/*
 * har_baselines.c - straightforward int8 and float32 kernels for the HAR
 * network's shapes, the baselines of bench/boards.ts. Same layers as the TBN
 * model: conv1d 6->32 k5, conv1d 32->64 k5, maxpool 2, conv1d 64->64 k5,
 * global sum pool, dense 64->5; weights are the model's expanded +1/-1 tiles
 * (int8 +-1, or float +-alpha), activations int8 (requantised with a per-
 * channel multiplier and shift, ReLU) or float (scale and bias, ReLU).
 * Plain nested loops with an int32 (or float) accumulator: what a
 * non-specialised port does, not CMSIS-NN.
 *
 * Weights blob (host-generated, little-endian, 4-byte aligned sections), per
 * weight layer in order: w[out][k][in] (int8 or float), then M[out] and
 * B[out] (int32 for int8, float scale/bias for float32). int8 requantisation:
 * clamp((acc * M + B) >> 16, 0, 127); logits are acc * M + B (int32).
 */
#include <stddef.h>
#include <stdint.h>

#include "tbn.h"

#include "har_shape.h"
#define ACT_MAX (T2 * C2) /* largest activation, elements */

int bench_int8_run(const uint8_t *weights, uint32_t weight_bytes, const int8_t *input, void *scratch,
                   uint32_t scratch_bytes, int32_t *logits, tbn_layer_hook hook, void *ctx);
int bench_f32_run(const uint8_t *weights, uint32_t weight_bytes, const float *input, void *scratch,
                  uint32_t scratch_bytes, int32_t *logits, tbn_layer_hook hook, void *ctx);

static uint32_t align4(uint32_t n) { return (n + 3u) & ~3u; }

/* ---------------- int8 ---------------- */

static uint32_t conv_i8(const int8_t *x, uint32_t t_in, uint32_t c_in, const uint8_t *wb, uint32_t c_out,
                        int8_t *y) {
  const int8_t *w = (const int8_t *)wb;
  uint32_t wbytes = align4(c_out * KW * c_in);
  const int32_t *mul = (const int32_t *)(wb + wbytes);
  const int32_t *bias = mul + c_out;
  uint32_t t_out = t_in - KW + 1;
  for (uint32_t t = 0; t < t_out; t++) {
    for (uint32_t o = 0; o < c_out; o++) {
      const int8_t *wo = w + o * KW * c_in;
      const int8_t *xt = x + t * c_in;
      int32_t acc = 0;
      for (uint32_t e = 0; e < KW * c_in; e++) acc += (int32_t)wo[e] * (int32_t)xt[e];
      int32_t v = (int32_t)((uint32_t)acc * (uint32_t)mul[o] + (uint32_t)bias[o]) >> 16;
      y[t * c_out + o] = (int8_t)(v < 0 ? 0 : v > 127 ? 127 : v);
    }
  }
  return wbytes + 8u * c_out;
}

int bench_int8_run(const uint8_t *weights, uint32_t weight_bytes, const int8_t *input, void *scratch,
                   uint32_t scratch_bytes, int32_t *logits, tbn_layer_hook hook, void *ctx) {
  if (scratch_bytes < 2u * ACT_MAX || ((uintptr_t)weights & 3u)) return -1;
  int8_t *a = scratch, *b = (int8_t *)scratch + ACT_MAX;
  uint32_t off = 0;
  hook(ctx, 0);
  off += conv_i8(input, T0, C0, weights + off, C1, a);
  hook(ctx, 1);
  off += conv_i8(a, T1, C1, weights + off, C2, b);
  hook(ctx, 2);
  for (uint32_t t = 0; t < T3; t++)
    for (uint32_t c = 0; c < C2; c++) {
      int8_t p = b[(2 * t) * C2 + c], q = b[(2 * t + 1) * C2 + c];
      a[t * C2 + c] = p > q ? p : q;
    }
  hook(ctx, 3);
  off += conv_i8(a, T3, C2, weights + off, C3, b);
  hook(ctx, 4);
  int32_t *sum = (int32_t *)a;
  for (uint32_t c = 0; c < C3; c++) sum[c] = 0;
  for (uint32_t t = 0; t < T4; t++)
    for (uint32_t c = 0; c < C3; c++) sum[c] += b[t * C3 + c];
  hook(ctx, 5);
  const int8_t *w = (const int8_t *)(weights + off);
  const int32_t *mul = (const int32_t *)(weights + off + align4(NCLS * C3));
  const int32_t *bias = mul + NCLS;
  for (uint32_t o = 0; o < NCLS; o++) {
    int32_t acc = 0;
    for (uint32_t c = 0; c < C3; c++) acc += (int32_t)w[o * C3 + c] * sum[c];
    logits[o] = (int32_t)((uint32_t)acc * (uint32_t)mul[o] + (uint32_t)bias[o]);
  }
  off += align4(NCLS * C3) + 8u * NCLS;
  hook(ctx, 6);
  return off == weight_bytes ? 0 : -2;
}

/* ---------------- float32 ---------------- */

static uint32_t conv_f32(const float *x, uint32_t t_in, uint32_t c_in, const uint8_t *wb, uint32_t c_out, float *y) {
  const float *w = (const float *)wb;
  const float *scale = w + c_out * KW * c_in;
  const float *bias = scale + c_out;
  uint32_t t_out = t_in - KW + 1;
  for (uint32_t t = 0; t < t_out; t++) {
    for (uint32_t o = 0; o < c_out; o++) {
      const float *wo = w + o * KW * c_in;
      const float *xt = x + t * c_in;
      float acc = 0.0f;
      for (uint32_t e = 0; e < KW * c_in; e++) acc += wo[e] * xt[e];
      float v = acc * scale[o] + bias[o];
      y[t * c_out + o] = v > 0.0f ? v : 0.0f;
    }
  }
  return 4u * (c_out * KW * c_in + 2u * c_out);
}

int bench_f32_run(const uint8_t *weights, uint32_t weight_bytes, const float *input, void *scratch,
                  uint32_t scratch_bytes, int32_t *logits, tbn_layer_hook hook, void *ctx) {
  if (scratch_bytes < 8u * ACT_MAX || ((uintptr_t)weights & 3u)) return -1;
  float *a = scratch, *b = (float *)scratch + ACT_MAX;
  uint32_t off = 0;
  hook(ctx, 0);
  off += conv_f32(input, T0, C0, weights + off, C1, a);
  hook(ctx, 1);
  off += conv_f32(a, T1, C1, weights + off, C2, b);
  hook(ctx, 2);
  for (uint32_t t = 0; t < T3; t++)
    for (uint32_t c = 0; c < C2; c++) {
      float p = b[(2 * t) * C2 + c], q = b[(2 * t + 1) * C2 + c];
      a[t * C2 + c] = p > q ? p : q;
    }
  hook(ctx, 3);
  off += conv_f32(a, T3, C2, weights + off, C3, b);
  hook(ctx, 4);
  float *sum = a;
  for (uint32_t c = 0; c < C3; c++) sum[c] = 0.0f;
  for (uint32_t t = 0; t < T4; t++)
    for (uint32_t c = 0; c < C3; c++) sum[c] += b[t * C3 + c];
  hook(ctx, 5);
  const float *w = (const float *)(weights + off);
  const float *scale = w + NCLS * C3;
  const float *bias = scale + NCLS;
  for (uint32_t o = 0; o < NCLS; o++) {
    float acc = 0.0f;
    for (uint32_t c = 0; c < C3; c++) acc += w[o * C3 + c] * sum[c];
    union {
      float f;
      int32_t i;
    } u;
    u.f = acc * scale[o] + bias[o];
    logits[o] = u.i; /* the float's bits: the host compares them exactly */
  }
  off += 4u * (NCLS * C3 + 2u * NCLS);
  hook(ctx, 6);
  return off == weight_bytes ? 0 : -2;
}
