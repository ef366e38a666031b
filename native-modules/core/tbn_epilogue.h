/*
 * tbn_epilogue.h - the per-channel epilogue: thresholds and flip bits (BIN
 * output), requantisation (I8/I32 output: (acc * M + B) >> shift).
 * Internal to tbn_run.c (included once, after the headers before it): one
 * translation unit, so the build lists stay tbn_open.c + tbn_run.c.
 */
#ifndef TBN_EPILOGUE_H
#define TBN_EPILOGUE_H

#include "tbn_run_layer.h"

/* Sets output bit o of a zeroed BIN position from its accumulator. */
static void emit_bit(const layer_run *c, uint32_t *out_pos, uint32_t o, uint32_t acc) {
  uint32_t t = (c->l.flags & TBN_LF_T16)
                   ? tbn__u32(((const int16_t *)(const void *)c->thresh)[o])
                   : ((const uint32_t *)(const void *)c->thresh)[o];
  uint32_t flip = (c->aux[o >> 5] >> (o & 31u)) & 1u;
  out_pos[o >> 5] |= (uint32_t)(!tbn__ge_s(acc, t) ^ flip) << (o & 31u);
}

/* Writes output channels [o, o + count) of one position from accumulators
 * acc[idx], acc[idx + 1], ... (wrapping to acc[0] at `wrap`). For BIN output
 * o is a multiple of 32 and whole words are written. */
static void emit_run(const layer_run *c, void *out_pos, uint32_t *acc, uint32_t o,
                     uint32_t count, uint32_t idx, uint32_t wrap) {
  uint32_t end = o + count;
#ifdef TBN_SMALL
  if (c->l.out_type == TBN_TYPE_BIN) {
    /* one bit at a time into the output run_weight zeroed */
    for (; o < end; o++) {
      emit_bit(c, (uint32_t *)out_pos, o, acc[idx]);
      if (++idx == wrap) idx = 0;
    }
  } else
#else
  if (c->l.out_type == TBN_TYPE_BIN) {
    /* Here idx is 0, o a multiple of 32 and channel o + i uses acc[i mod
     * wrap]. A word whose 32 accumulators cross the wrap first extends acc
     * periodically (acc has room for TBN_ACC_CHUNK + 32), so every word reads
     * consecutive entries; bit i is set where acc < T (-1 before the flip),
     * with a constant mask per bit, and the flips are XORed once per word. */
    uint32_t *w = (uint32_t *)out_pos + (o >> 5);
    const uint32_t *flips = c->aux + (o >> 5);
    uint32_t start = 0, filled = wrap, b;
    (void)idx;
    while (o < end) {
      uint32_t word = 0, n = end - o > 32u ? 32u : end - o;
      const uint32_t *a = acc + start;
      for (; filled < start + n; filled++) acc[filled] = acc[filled - wrap];
      /* bit i = acc < T, T read by TBN_T(i) from t (int16 or int32 thresholds) */
#define TBN_LT(v, i) if (tbn__s32(a[i]) < TBN_T(i)) v |= (uint32_t)1u << (i);
#define TBN_LTx4(v, i) TBN_LT(v, i) TBN_LT(v, i + 1) TBN_LT(v, i + 2) TBN_LT(v, i + 3)
#if defined(__OPTIMIZE_SIZE__)
#define TBN_LT32BITS                                                    \
  for (b = 0; b < 32u; b += 8u, a += 8, t += 8) { /* -Os: 8 bits per pass */ \
    uint32_t byte = 0;                                                  \
    TBN_LTx4(byte, 0) TBN_LTx4(byte, 4)                                 \
    word |= byte << b;                                                  \
  }
#else
#define TBN_LT32BITS                                                           \
  TBN_LTx4(word, 0) TBN_LTx4(word, 4) TBN_LTx4(word, 8) TBN_LTx4(word, 12)     \
  TBN_LTx4(word, 16) TBN_LTx4(word, 20) TBN_LTx4(word, 24) TBN_LTx4(word, 28)
#endif
#define TBN_LT_WORD                                                   \
  if (n == 32u) {                                                     \
    TBN_LT32BITS                                                      \
  } else {                                                            \
    for (b = 0; b < n; b++)                                           \
      if (tbn__s32(a[b]) < TBN_T(b)) word |= (uint32_t)1u << b;       \
  }
      if (c->l.flags & TBN_LF_T16) {
        const int16_t *t = (const int16_t *)(const void *)c->thresh + o;
#define TBN_T(i) ((int32_t)t[i])
        TBN_LT_WORD
#undef TBN_T
      } else {
        const uint32_t *t = (const uint32_t *)(const void *)c->thresh + o;
#define TBN_T(i) tbn__s32(t[i])
        TBN_LT_WORD
#undef TBN_T
      }
#undef TBN_LT_WORD
#undef TBN_LT32BITS
#undef TBN_LTx4
#undef TBN_LT
      *w++ = word ^ *flips++;
      o += n;
      start += 32u;
      while (start >= wrap) start -= wrap;
    }
  } else
#endif
  {
    /* layer fields in locals: the output stores may alias them */
    const uint32_t *mul = (const uint32_t *)(const void *)c->thresh, *add = c->aux;
    uint32_t shift = c->l.shift;
    if (c->l.out_type == TBN_TYPE_I8) {
      for (; o < end; o++) {
        uint32_t v = tbn__asr(acc[idx] * mul[o] + add[o], shift);
        if (++idx == wrap) idx = 0;
        ((int8_t *)out_pos)[o] = (int8_t)((v & 0x80000000u) ? 0 : (v > 127u ? 127 : (int)v));
      }
    } else if (wrap - idx >= count) {
      /* no wrap (a dense layer's logits): pointers only */
      const uint32_t *a = acc + idx, *m = mul + o, *ad = add + o;
      uint32_t *out = (uint32_t *)out_pos + o, *out_end = out + count;
      while (out != out_end) *out++ = tbn__asr(*a++ * *m++ + *ad++, shift);
    } else {
      for (; o < end; o++) {
        ((uint32_t *)out_pos)[o] = tbn__asr(acc[idx] * mul[o] + add[o], shift);
        if (++idx == wrap) idx = 0;
      }
    }
  }
}

#endif /* TBN_EPILOGUE_H */
