/*
 * cmsis_har.c - the HAR network run by ARM's CMSIS-NN int8 kernels, the
 * peer row of bench/boards.ts. Our harness only: CMSIS-NN itself is never
 * committed; it is compiled from a checkout named by CMSIS_NN_DIR
 * (`bash boards/build.sh cmsis BOARD OPT DIR`).
 *
 * Same shapes as the TBN model (NHWC, h = 1): conv 6->32 k5, conv 32->64 k5,
 * max pool 2, conv 64->64 k5 (arm_convolve_wrapper_s8 each), average pool
 * over the 56 positions (arm_avgpool_s8), dense 64->5
 * (arm_fully_connected_s8). Every call's status is checked: the first
 * failing call's status is returned (ARM_CMSIS_NN_SUCCESS = 0 otherwise),
 * and the hook marks the same layer boundaries as the TBN kernel's.
 *
 * Weights blob (host-generated random int8, little-endian, 4-byte aligned
 * sections), per conv layer: filter int8 [out][k][in], then bias, per-channel
 * multiplier and shift (int32 [out] each); dense: filter int8 [5][64], bias
 * int32 [5], then multiplier and shift (one int32 each).
 */
#include <stddef.h>
#include <stdint.h>

#include "arm_nnfunctions.h"
#include "tbn.h"

#include "har_shape.h"

int bench_cmsis_run(const uint8_t *weights, uint32_t weight_bytes, const int8_t *input, void *scratch,
                    uint32_t scratch_bytes, int32_t *logits, tbn_layer_hook hook, void *ctx);

static uint32_t align4(uint32_t n) { return (n + 3u) & ~3u; }

static cmsis_nn_dims dims(int32_t n, int32_t w, int32_t c) {
  cmsis_nn_dims d;
  d.n = n;
  d.h = 1;
  d.w = w;
  d.c = c;
  return d;
}

/* One conv layer: its weights at *at (advanced past them), scratch after
 * the activations. */
static arm_cmsis_nn_status conv(const uint8_t *weights, uint32_t weight_bytes, uint32_t *at, const int8_t *x,
                                int32_t t_in, int32_t c_in, int32_t c_out, int8_t *y, void *buf,
                                uint32_t buf_bytes) {
  uint32_t wbytes = align4((uint32_t)(c_out * KW * c_in)), need = wbytes + 12u * (uint32_t)c_out;
  cmsis_nn_conv_params cp;
  cmsis_nn_per_channel_quant_params qp;
  cmsis_nn_context cx;
  cmsis_nn_dims in = dims(1, t_in, c_in), f = dims(c_out, KW, c_in), b = dims(1, 1, c_out);
  cmsis_nn_dims out = dims(1, t_in - KW + 1, c_out);
  int32_t size;
  if (*at > weight_bytes || need > weight_bytes - *at) return ARM_CMSIS_NN_ARG_ERROR;
  cp.input_offset = 0;
  cp.output_offset = 0;
  cp.stride.w = cp.stride.h = 1;
  cp.padding.w = cp.padding.h = 0;
  cp.dilation.w = cp.dilation.h = 1;
  cp.activation.min = -128;
  cp.activation.max = 127;
  qp.multiplier = (int32_t *)(uintptr_t)(weights + *at + wbytes + 4u * (uint32_t)c_out);
  qp.shift = qp.multiplier + c_out;
  size = arm_convolve_wrapper_s8_get_buffer_size(&cp, &in, &f, &out);
  if (size < 0 || (uint32_t)size > buf_bytes) return ARM_CMSIS_NN_ARG_ERROR;
  cx.buf = buf;
  cx.size = size;
  {
    arm_cmsis_nn_status s = arm_convolve_wrapper_s8(&cx, &cp, &qp, &in, x, &f, (const int8_t *)(weights + *at), &b,
                                                    (const int32_t *)(const void *)(weights + *at + wbytes), &out, y);
    *at += need;
    return s;
  }
}

int bench_cmsis_run(const uint8_t *weights, uint32_t weight_bytes, const int8_t *input, void *scratch,
                    uint32_t scratch_bytes, int32_t *logits, tbn_layer_hook hook, void *ctx) {
  int8_t *a = (int8_t *)scratch, *b = a + T2 * C2, *o;
  uint8_t *buf = (uint8_t *)scratch + 2u * T2 * C2;
  uint32_t at = 0, buf_bytes;
  arm_cmsis_nn_status s;
  int8_t cls[NCLS];
  if (scratch_bytes < 2u * T2 * C2 + 4096u) return ARM_CMSIS_NN_ARG_ERROR;
  buf_bytes = scratch_bytes - 2u * T2 * C2;

  hook(ctx, 0);
  if ((s = conv(weights, weight_bytes, &at, input, T0, C0, C1, a, buf, buf_bytes)) != ARM_CMSIS_NN_SUCCESS) return s;
  hook(ctx, 1);
  if ((s = conv(weights, weight_bytes, &at, a, T1, C1, C2, b, buf, buf_bytes)) != ARM_CMSIS_NN_SUCCESS) return s;
  hook(ctx, 2);
  {
    cmsis_nn_pool_params pp;
    cmsis_nn_context cx;
    cmsis_nn_dims in = dims(1, T2, C2), f = dims(1, 2, 1), out = dims(1, T3, C2);
    pp.stride.w = 2;
    pp.stride.h = 1;
    pp.padding.w = pp.padding.h = 0;
    pp.activation.min = -128;
    pp.activation.max = 127;
    f.h = 1;
    cx.buf = NULL;
    cx.size = 0;
    if ((s = arm_max_pool_s8(&cx, &pp, &in, b, &f, &out, a)) != ARM_CMSIS_NN_SUCCESS) return s;
  }
  hook(ctx, 3);
  if ((s = conv(weights, weight_bytes, &at, a, T3, C2, C3, b, buf, buf_bytes)) != ARM_CMSIS_NN_SUCCESS) return s;
  hook(ctx, 4);
  {
    cmsis_nn_pool_params pp;
    cmsis_nn_context cx;
    cmsis_nn_dims in = dims(1, T4, C3), f = dims(1, T4, 1), out = dims(1, 1, C3);
    int32_t size = arm_avgpool_s8_get_buffer_size(1, C3);
    pp.stride.w = pp.stride.h = 1;
    pp.padding.w = pp.padding.h = 0;
    pp.activation.min = -128;
    pp.activation.max = 127;
    if (size < 0 || (uint32_t)size > buf_bytes) return ARM_CMSIS_NN_ARG_ERROR;
    cx.buf = buf;
    cx.size = size;
    if ((s = arm_avgpool_s8(&cx, &pp, &in, b, &f, &out, a)) != ARM_CMSIS_NN_SUCCESS) return s;
  }
  hook(ctx, 5);
  {
    uint32_t wbytes = align4(NCLS * C3), need = wbytes + 4u * NCLS + 8u;
    cmsis_nn_fc_params fp;
    cmsis_nn_per_tensor_quant_params qp;
    cmsis_nn_context cx;
    cmsis_nn_dims in = dims(1, 1, C3), f = dims(C3, 1, NCLS), bd = dims(1, 1, NCLS), out = dims(1, 1, NCLS);
    int32_t size;
    const int32_t *q;
    if (at > weight_bytes || need > weight_bytes - at) return ARM_CMSIS_NN_ARG_ERROR;
    in.n = 1;
    in.w = 1;
    in.c = C3;
    f.n = C3; /* accumulation depth */
    f.h = f.w = 1;
    f.c = NCLS;
    q = (const int32_t *)(const void *)(weights + at + wbytes + 4u * NCLS);
    fp.input_offset = 0;
    fp.filter_offset = 0;
    fp.output_offset = 0;
    fp.activation.min = -128;
    fp.activation.max = 127;
    qp.multiplier = q[0];
    qp.shift = q[1];
    size = arm_fully_connected_s8_get_buffer_size(&f);
    if (size < 0 || (uint32_t)size > buf_bytes) return ARM_CMSIS_NN_ARG_ERROR;
    cx.buf = buf;
    cx.size = size;
    o = cls;
    if ((s = arm_fully_connected_s8(&cx, &fp, &qp, &in, a, &f, (const int8_t *)(weights + at), &bd,
                                    (const int32_t *)(const void *)(weights + at + wbytes), &out, o)) != ARM_CMSIS_NN_SUCCESS)
      return s;
  }
  hook(ctx, 6);
  for (int i = 0; i < NCLS; i++) logits[i] = cls[i];
  return ARM_CMSIS_NN_SUCCESS;
}
