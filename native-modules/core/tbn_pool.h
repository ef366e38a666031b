/*
 * tbn_pool.h - max pooling and global average pooling.
 * Internal to tbn_run.c (included once, after the headers before it): one
 * translation unit, so the build lists stay tbn_open.c + tbn_run.c.
 */
#ifndef TBN_POOL_H
#define TBN_POOL_H

#include "tbn_run_layer.h"

#ifdef TBN_SMALL
/* Max pooling and GAP in one loop: GAP is a pool whose window is the whole
 * input, summing instead of taking the maximum. Per output position and
 * element (a channel; a word for BIN max pooling, whose AND keeps -1 only
 * where the whole window is -1), fold the window's elements: BIN GAP adds
 * +1/-1 per bit, I8/I32 GAP add values, max pooling keeps the signed
 * maximum. Out of line: smaller than inlined into tbn_run_ex. */
TBN_NOINLINE static void run_pool(const tbn__layer *l, const void *in, void *out) {
  uint32_t type = l->in_type, gap = l->kind == TBN_KIND_GAP, cw = tbn__cw(l->in_c);
  uint32_t c = type == TBN_TYPE_BIN ? cw : l->in_c, n = gap ? l->in_c : c;
  uint32_t k_h = gap ? l->in_h : l->k_h, k_w = gap ? l->in_w : l->k_w, oy, ox, dy, dx, ch, pos = 0;
  for (oy = 0; oy < l->out_h; oy++) {
    for (ox = 0; ox < l->out_w; ox++, pos++) {
      uint32_t base = oy * l->s_h * l->in_w + ox * l->s_w;
      for (ch = 0; ch < n; ch++) {
        uint32_t m = 0, first = 1;
        for (dy = 0; dy < k_h; dy++) {
          for (dx = 0; dx < k_w; dx++, first = 0) {
            uint32_t at = (base + dy * l->in_w + dx) * c, v;
            if (type == TBN_TYPE_BIN)
              v = gap ? 1u - (((((const uint32_t *)in)[at + (ch >> 5)] >> (ch & 31u)) & 1u) << 1)
                      : ((const uint32_t *)in)[at + ch];
            else if (type == TBN_TYPE_I8)
              v = tbn__u32(((const int8_t *)in)[at + ch]);
            else
              v = ((const uint32_t *)in)[at + ch];
            if (gap)
              m += v;
            else if (first || (type == TBN_TYPE_BIN ? 1 : !tbn__ge_s(m, v)))
              m = type == TBN_TYPE_BIN && !first ? m & v : v;
          }
        }
        if (type == TBN_TYPE_I8 && !gap)
          ((int8_t *)out)[pos * c + ch] = (int8_t)tbn__s32(m);
        else
          ((uint32_t *)out)[pos * n + ch] = m;
      }
    }
  }
}
#else
static void run_maxpool(const tbn__layer *l, const void *in, void *out) {
  uint32_t oy, ox, dy, dx, ch;
  uint32_t c = l->in_type == TBN_TYPE_BIN ? tbn__cw(l->in_c) : l->in_c;
  /* The first window element initialises the output position, every other
   * one folds in: BIN ANDs words (+1 = bit 0 wins: the result bit is 1 only
   * if all are 1), I8/I32 keep the signed maximum. */
  for (oy = 0; oy < l->out_h; oy++) {
    for (ox = 0; ox < l->out_w; ox++) {
      uint32_t base = oy * l->s_h * l->in_w + ox * l->s_w, pos = oy * l->out_w + ox;
      for (dy = 0; dy < l->k_h; dy++) {
        for (dx = 0; dx < l->k_w; dx++) {
          uint32_t at = (base + dy * l->in_w + dx) * c, first = dy == 0 && dx == 0;
          if (l->in_type == TBN_TYPE_BIN) {
            const uint32_t *x = (const uint32_t *)in + at;
            uint32_t *o = (uint32_t *)out + pos * c;
            if (first)
              for (ch = 0; ch < c; ch++) o[ch] = x[ch];
            else
              for (ch = 0; ch < c; ch++) o[ch] &= x[ch];
          } else if (l->in_type == TBN_TYPE_I8) {
            const int8_t *x = (const int8_t *)in + at;
            int8_t *o = (int8_t *)out + pos * c;
            if (first)
              for (ch = 0; ch < c; ch++) o[ch] = x[ch];
            else
              for (ch = 0; ch < c; ch++)
                if (x[ch] > o[ch]) o[ch] = x[ch];
          } else {
            const uint32_t *x = (const uint32_t *)in + at;
            uint32_t *o = (uint32_t *)out + pos * c;
            if (first)
              for (ch = 0; ch < c; ch++) o[ch] = x[ch];
            else
              for (ch = 0; ch < c; ch++)
                if (!tbn__ge_s(o[ch], x[ch])) o[ch] = x[ch];
          }
        }
      }
    }
  }
}

static void run_gap(const tbn__layer *l, const void *in, uint32_t *out) {
  uint32_t positions = l->in_h * l->in_w, pos, ch, c = l->in_c;
  memset(out, 0, c * 4u);
  if (l->in_type == TBN_TYPE_BIN) {
    /* Count the -1s (set bits) of each channel with 32 bit-sliced counters
     * per word: counter bit k of the 32 channels lives in word cnt[k], and
     * adding a position is a ripple of half adders (about two ops per word
     * on average). Batches of at most 2^16 - 1 positions fit 16 bits. */
    uint32_t cw = tbn__cw(c), w, p0;
    for (w = 0; w < cw; w++) {
      for (p0 = 0; p0 < positions; p0 += 0xffffu) {
        uint32_t cnt[16], batch = positions - p0 > 0xffffu ? 0xffffu : positions - p0, k, b, bits = 0;
        const uint32_t *x = (const uint32_t *)in + p0 * cw + w;
        memset(cnt, 0, sizeof cnt);
        for (pos = 0; pos < batch; pos++, x += cw) {
          uint32_t carry = *x;
          for (k = 0; carry; k++) {
            uint32_t t = cnt[k] & carry;
            cnt[k] ^= carry;
            carry = t;
          }
        }
        while (bits < 16u && (1u << bits) <= batch) bits++;
        for (b = 0; b < 32u && (w << 5) + b < c; b++) {
          uint32_t ones = 0;
          for (k = 0; k < bits; k++) ones |= ((cnt[k] >> b) & 1u) << k;
          out[(w << 5) + b] += ones;
        }
      }
    }
    for (ch = 0; ch < c; ch++) out[ch] = positions - 2u * out[ch];
  } else if (l->in_type == TBN_TYPE_I8) {
    const int8_t *x = (const int8_t *)in;
    for (pos = 0; pos < positions; pos++)
      for (ch = 0; ch < c; ch++) out[ch] += tbn__u32(*x++);
  } else {
    const uint32_t *x = (const uint32_t *)in;
    for (pos = 0; pos < positions; pos++)
      for (ch = 0; ch < c; ch++) out[ch] += *x++;
  }
}

#endif /* TBN_SMALL */

#endif /* TBN_POOL_H */
