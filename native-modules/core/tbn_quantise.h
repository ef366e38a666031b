/*
 * tbn_quantise.h - float -> int8 input quantisation (tbn_format.h).
 * Internal to tbn_run.c (included once, after the headers before it): one
 * translation unit, so the build lists stay tbn_open.c + tbn_run.c.
 */
#ifndef TBN_QUANTISE_H
#define TBN_QUANTISE_H

#include "tbn_run_layer.h"

#ifndef TBN_NO_F32_INPUT
/* int8 quantisation of a float input, exactly as tbn_format.h specifies.
 * Builds for cores whose libgcc lacks soft-float routines (Debian's lx106
 * has no __addsf3/__mulsf3) define TBN_NO_F32_INPUT: float input is then
 * refused with TBN_E_ARG and the caller quantises (Math.fround in JS gives
 * the same f32 arithmetic). */
/* The float with the bits of the little-endian word at p (a union, not
 * memcpy: freestanding builds would call a library memcpy per value). */
static float f32_at(const uint8_t *p, int aligned) {
  union {
    uint32_t u;
    float f;
  } v;
  v.u = aligned ? *(const uint32_t *)(const void *)p : tbn__rd32(p, 0);
  return v.f;
}

/* The int8 of x under one scale/offset pair (q: 8 bytes, 4-byte aligned). */
static TBN_ALWAYS_INLINE uint8_t quantise_one(float x, const uint8_t *q) {
  union {
    float f;
    uint32_t u;
  } t;
  t.f = x * f32_at(q, 1);
  t.f = t.f + f32_at(q + 4, 1);
  if ((t.u & 0x7fffffffu) <= 0x42fe0000u) { /* |t| <= 127.0f (NaN is above) */
    /* round half away from zero: v = trunc(2t) is exact (2t is) and lies in
     * [-254, 254]; q = (v + 1) >> 1 for v >= 0, v >> 1 for v < 0 (floor
     * shifts), computed on v + 256 > 0; the byte of q - 128 is that ^ 0x80 */
    uint32_t v = tbn__u32((int32_t)(t.f + t.f));
    return (uint8_t)(((v + 257u - (v >> 31)) >> 1) ^ 0x80u);
  }
  return (uint8_t)(t.f > 127.0f ? 127 : 0x81); /* -127 below the range and for NaN */
}

static void quantise_input(const tbn_model *m, const uint8_t *input, int8_t *out) {
  const uint8_t *quant = m->data + tbn__rd32(m->data, TBN_HDR_QUANT_OFFSET_U32);
  const uint8_t *quant_end = quant + tbn__rd16(m->data, TBN_HDR_QUANT_COUNT_U16) * 8u, *qp = quant;
  uint8_t *o = (uint8_t *)out, *end = o + m->input_len;
#ifdef TBN_SMALL
  int aligned = (((uintptr_t)input) & 3u) == 0;
  for (; o < end; o++, input += 4) {
    *o = quantise_one(f32_at(input, aligned), qp);
    qp += 8;
    if (qp == quant_end) qp = quant;
  }
#else
  if ((((uintptr_t)input) & 3u) == 0) {
    const float *x = (const float *)(const void *)input;
    for (; o < end; o++, x++) {
      *o = quantise_one(*x, qp);
      qp += 8;
      if (qp == quant_end) qp = quant;
    }
  } else {
    for (; o < end; o++, input += 4) {
      *o = quantise_one(f32_at(input, 0), qp);
      qp += 8;
      if (qp == quant_end) qp = quant;
    }
  }
#endif
}
#endif

/* One int16 count -> int8 under a checked triple (the bounds make every step
 * overflow-free: signed int32 arithmetic, no wrap). */
static TBN_ALWAYS_INLINE int8_t requant_i16(int32_t c, int32_t mult, int32_t add, uint32_t shift) {
  int32_t v = tbn__s32(tbn__asr(tbn__u32(c * mult + add), shift)); /* GCC, Clang: one ASR */
#if defined(__ARM_FEATURE_SAT) && defined(__GNUC__)
  __asm__("ssat %0, #8, %1" : "=r"(v) : "r"(v)); /* GCC's own SSAT match fails in the kernel's context */
#else
  v = v < -128 ? -128 : v > 127 ? 127 : v;
#endif
  return (int8_t)v;
}

/* int16 counts -> int8 (tbn_format.h, INT16 INPUT): channel by channel, so
 * the triple stays in registers; the default build takes two positions per
 * iteration (Cortex-M4: LDRSH, MLA, ASR, SSAT, STRB each, then one add,
 * compare and branch: 6.5 per element). TBN_E_PARAMS on a bad triple. */
#ifdef TBN_SMALL
static tbn_status quantise_i16(const tbn_model *m, const tbn_input_i16 *in, int8_t *out) {
#else
TBN_NOINLINE static tbn_status quantise_i16(const tbn_model *m, const tbn_input_i16 *in, int8_t *out) {
#endif
  uint32_t q = tbn__rd16(m->data, TBN_HDR_QUANT_COUNT_U16), len = m->input_len, j, i;
  const int32_t *prm = in->params;
  const int16_t *x = in->samples;
  if (!x || !prm) return TBN_E_ARG;
  if (in->params_len != (size_t)q * TBN_I16_PARAMS_PER_CHANNEL) return TBN_E_PARAMS;
  for (j = 0; j < q; j++, prm += TBN_I16_PARAMS_PER_CHANNEL) {
    int32_t mult = prm[0], add = prm[1];
    uint32_t shift = tbn__u32(prm[2]);
    if (mult < -(int32_t)TBN_I16_MULT_MAX - 1 || mult > (int32_t)TBN_I16_MULT_MAX ||
        add < -(int32_t)TBN_I16_ADD_MAX || add > (int32_t)TBN_I16_ADD_MAX || shift > TBN_I16_SHIFT_MAX)
      return TBN_E_PARAMS;
    i = j;
#if !defined(TBN_SMALL) && !defined(__XTENSA__) /* lx106: pairs measured slower (13.3 vs 12.2 per element) */
    {
      /* x1/o1: the second position of each pair (len is a multiple of q, so q <= len) */
      const int16_t *x1 = x + q;
      int8_t *o1 = out + q;
      uint32_t pairs_end = len - q, step = 2u * q;
      for (; i < pairs_end; i += step) {
        out[i] = requant_i16(x[i], mult, add, shift);
        o1[i] = requant_i16(x1[i], mult, add, shift);
      }
    }
#endif
    for (; i < len; i += q) out[i] = requant_i16(x[i], mult, add, shift);
  }
  return TBN_OK;
}

#endif /* TBN_QUANTISE_H */
