/*
 * tbn_reuse.h - BIN -> BIN tiled layers with reuse: the N/p distinct rows
 * once per position, each accumulator compared with its p thresholds in
 * 16-bit lanes.
 * Internal to tbn_run.c (included once, after the headers before it): one
 * translation unit, so the build lists stay tbn_open.c + tbn_run.c.
 */
#ifndef TBN_REUSE_H
#define TBN_REUSE_H

#include "tbn_rows.h"

#ifndef TBN_SMALL
/* BIN -> BIN with reuse and at most 32 distinct rows (R = N/p): channel
 * r + k*R compares row r's accumulator with T[r + k*R], so a position's R
 * accumulators meet p thresholds each, two at a time in 16-bit lanes of one
 * word, with plain 32-bit subtraction: the accumulator lane is
 * 0x8000 | (0x4000 + acc) (guard bit and offset), the threshold lane
 * 0x4000 + T with T clamped to [-K, K+1] (the same decisions). For
 * K <= 16382 both fit 15 bits, so no lane borrows from the next and bit 15
 * of a lane difference is acc >= T: the output bit before the flip,
 * inverted. The thresholds are laid out once per layer in reading order:
 * per group of 4 segments (the last padded with lanes 0: never set), per
 * row r, the lanes T[r+kR], T[r+(k+1)R] | T[r+(k+2)R], T[r+(k+3)R] in one
 * entry of two words. Sixteen rows shift into one word per pair of segments.
 * Where the rows leave acc - base (rows_batch_base: 2 * matches on lx106
 * and RV32 at -O2), the threshold lanes are T - base. Windows go in
 * batches, so per-call setup is shared: the accumulators take the room the
 * table leaves. */
#define TBN_RB_ENTRIES 64u /* table entries: 512 bytes of stack */
#define TBN_RB_ACC 64u     /* accumulators of a batch at the least: 256 bytes */
#define TBN_RB_GUARD 0x80008000u

static int reuse_bin_fits(const layer_run *c, int reuse) {
  return reuse && (c->l.flags & TBN_LF_REUSE) && c->l.in_type == TBN_TYPE_BIN &&
         c->l.out_type == TBN_TYPE_BIN && c->rows <= 32u && c->K <= 16382u &&
         c->rows * ((c->l.p + 3u) >> 2) <= TBN_RB_ENTRIES;
}

/* One row (accumulator a[i], threshold lanes t[i]) into the pair buffers:
 * shift right, acc >= T in at bits 15 and 31. The table holds each lane word
 * minus 0xc000c000, so acc * dup - t, dup = 0x10001, is the lane difference
 * of 0xc000 + acc (guard bit and offset) and 0x4000 + T. dup comes in as a
 * run-time value: one multiply, where a known constant becomes shift + add
 * on RV32 and Xtensa. */
#define TBN_RB_ROW4(i)                                                   \
  do {                                                                   \
    uint32_t v_ = a[i] * dup;                                            \
    b0 = (b0 >> 1) | ((v_ - t[2u * (i)]) & TBN_RB_GUARD);                \
    b1 = (b1 >> 1) | ((v_ - t[2u * (i) + 1u]) & TBN_RB_GUARD);           \
  } while (0)
#define TBN_RB_ROW2(i) b0 = (b0 >> 1) | ((a[i] * dup - t[2u * (i)]) & TBN_RB_GUARD)
#if defined(__OPTIMIZE_SIZE__)
#define TBN_RB_X16(M) for (i_ = 0; i_ < 16u; i_++) M(i_) /* -Os: a loop */
#else
#define TBN_RB_X16(M) \
  M(0); M(1); M(2); M(3); M(4); M(5); M(6); M(7); M(8); M(9); M(10); M(11); M(12); M(13); M(14); M(15)
#endif

/* Sixteen rows against four segments (k, k+1 | k+2, k+3): two output words,
 * for each of `npos` positions (accumulators 16 apart, outputs `wstep`
 * words apart). */
TBN_NOINLINE static void words16x4(const uint32_t *a, const uint32_t *t, uint32_t *w,
                                   const uint32_t *flips, uint32_t dup, uint32_t npos,
                                   uint32_t wstep) {
  for (; npos; npos--, a += 16, w += wstep) {
    uint32_t b0 = 0, b1 = 0, i_;
#if defined(__riscv)
    /* opaque per position: GCC would otherwise copy the 32 table words to
     * the stack once per call and read them from there */
    __asm__("" : "+r"(t));
#endif
    TBN_RB_X16(TBN_RB_ROW4);
    (void)i_;
    w[0] = ~(b0 ^ flips[0]);
    w[1] = ~(b1 ^ flips[1]);
  }
}

#if TBN_XT_ROWS5 && !defined(__OPTIMIZE_SIZE__)
/* words16x4 on lx106 at -O2 (registers by hand: GCC copies the 32 table
 * words to the stack per call and spills): 12 instructions per row of 4
 * outputs, the first row's shift and OR left out; -Os keeps the C (the
 * unrolled asm is 0.6 KB). */
#define TBN_XT_RB_ROW(A, T)                                                    \
  "l32i a12, a2, " A "\n\t"                                                    \
  "mull a12, a12, a6\n\t"                                                      \
  "l32i a13, a3, " T "\n\t"                                                    \
  "l32i a14, a3, " T "+4\n\t"                                                  \
  "sub a13, a12, a13\n\t"                                                      \
  "sub a14, a12, a14\n\t"                                                      \
  "and a13, a13, a9\n\t"                                                       \
  "and a14, a14, a9\n\t"                                                       \
  "srli a10, a10, 1\n\t"                                                       \
  "srli a11, a11, 1\n\t"                                                       \
  "or a10, a10, a13\n\t"                                                       \
  "or a11, a11, a14\n\t"
TBN_NOINLINE static void words16x4_xt(const uint32_t *a, const uint32_t *t, uint32_t *w,
                                      const uint32_t *flips, uint32_t dup, uint32_t npos,
                                      uint32_t wstep) {
  register const uint32_t *r_a __asm__("a2") = a;
  register const uint32_t *r_t __asm__("a3") = t;
  register uint32_t *r_w __asm__("a4") = w;
  register uint32_t r_nf0 __asm__("a5") = ~flips[0];
  register uint32_t r_dup __asm__("a6") = dup;
  register const uint32_t *r_end __asm__("a7") = a + 16u * npos;
  register uint32_t r_wstep __asm__("a8") = wstep * 4u;
  register uint32_t r_guard __asm__("a9") = TBN_RB_GUARD;
  uint32_t nf1 = ~flips[1];
  if (!npos) return;
  __asm__ volatile(
      "1:\n\t"
      "l32i a12, a2, 0\n\t"
      "mull a12, a12, a6\n\t"
      "l32i a13, a3, 0\n\t"
      "l32i a14, a3, 4\n\t"
      "sub a13, a12, a13\n\t"
      "sub a14, a12, a14\n\t"
      "and a10, a13, a9\n\t"
      "and a11, a14, a9\n\t"
      TBN_XT_RB_ROW("4", "8") TBN_XT_RB_ROW("8", "16") TBN_XT_RB_ROW("12", "24")
      TBN_XT_RB_ROW("16", "32") TBN_XT_RB_ROW("20", "40") TBN_XT_RB_ROW("24", "48")
      TBN_XT_RB_ROW("28", "56") TBN_XT_RB_ROW("32", "64") TBN_XT_RB_ROW("36", "72")
      TBN_XT_RB_ROW("40", "80") TBN_XT_RB_ROW("44", "88") TBN_XT_RB_ROW("48", "96")
      TBN_XT_RB_ROW("52", "104") TBN_XT_RB_ROW("56", "112") TBN_XT_RB_ROW("60", "120")
      "l32i a12, %[nf1]\n\t"
      "xor a10, a10, a5\n\t"
      "xor a11, a11, a12\n\t"
      "s32i a10, a4, 0\n\t"
      "s32i a11, a4, 4\n\t"
      "add a4, a4, a8\n\t"
      "addi a2, a2, 64\n\t"
      "bne a2, a7, 1b"
      : "+r"(r_a), "+r"(r_w)
      : "r"(r_t), "r"(r_nf0), "r"(r_dup), "r"(r_end), "r"(r_wstep), "r"(r_guard), [nf1] "m"(nf1)
      : "a10", "a11", "a12", "a13", "a14", "memory");
}
#undef TBN_XT_RB_ROW
#define TBN_WORDS16X4 words16x4_xt
#else
#define TBN_WORDS16X4 words16x4
#endif

/* Sixteen rows against two segments: one output word. */
TBN_NOINLINE static void words16x2(const uint32_t *a, const uint32_t *t, uint32_t *w,
                                   const uint32_t *flips, uint32_t dup) {
  uint32_t b0 = 0, i_;
  TBN_RB_X16(TBN_RB_ROW2);
  (void)i_;
  w[0] = ~(b0 ^ flips[0]);
}

/* Appends the low n bits of v to the output words: *nb bits pend in *buf;
 * a full word is XORed with its flips. */
static void put_bits(uint32_t **w, const uint32_t **flips, uint32_t *buf, uint32_t *nb, uint32_t v,
                     uint32_t n) {
  *buf |= v << *nb;
  *nb += n;
  if (*nb >= 32u) {
    *(*w)++ = *buf ^ *(*flips)++;
    *nb -= 32u;
    *buf = *nb ? v >> (n - *nb) : 0u;
  }
}

/* A threshold clamped to [-K, K+1], as a lane for accumulators less
 * `base` (rows_batch_base: then acc - base and T - base are in [0, 64 * rw + 1]). */
static inline uint32_t lane_t(int32_t t, int32_t K, uint32_t base) {
  if (t > K + 1) t = K + 1;
  if (t < -K) t = -K;
  return 0x4000u + (uint32_t)t - base;
}

TBN_NOINLINE static void run_reuse_bin(const layer_run *c, const void *in, uint8_t *out_pos,
                                       uint32_t pos_bytes) {
  /* the table (2 words per entry), then the accumulators in the rest */
  uint32_t space[2u * TBN_RB_ENTRIES + TBN_RB_ACC], *tab = space, *acc, batch;
  uint32_t R = c->rows, p = c->l.p, oy, ox, k0, r, o, t16 = c->l.flags & TBN_LF_T16;
  uint32_t *e;
  int32_t K = (int32_t)c->K;
  uint32_t short_rows = c->runs == 1u && c->rw <= 31u, win_step = c->l.s_w * c->cw_in;
  uint32_t dup = 0x10001u | (c->K >> 16); /* 0x10001 (K <= 16382), opaque to constant folding */
  uint32_t base = short_rows ? rows_batch_base(c->rw, c->K) : 0u;
  /* lane j of entry (k0/4)*R + r is channel r + (k0 + j)*R; padding lanes
   * (k0 + j >= p) are 0: never set */
  for (k0 = 0, e = tab; k0 < p; k0 += 4u) {
    uint32_t nl = p - k0 < 4u ? p - k0 : 4u, j;
    for (r = 0; r < R; r++, e += 2) {
      uint32_t lanes[4] = {0, 0, 0, 0};
      for (j = 0, o = r + k0 * R; j < nl; j++, o += R)
        lanes[j] = lane_t(t16 ? (int32_t)((const int16_t *)(const void *)c->thresh)[o]
                              : tbn__s32(((const uint32_t *)(const void *)c->thresh)[o]),
                          K, base);
      e[0] = (lanes[0] | (lanes[1] << 16)) - 0xc000c000u;
      e[1] = (lanes[2] | (lanes[3] << 16)) - 0xc000c000u;
    }
  }

  /* windows per batch: as many as fit the accumulators' room (at least
   * TBN_RB_ACC words) */
  acc = e;
  for (batch = 1; (batch + 1u) * R <= (uint32_t)(space + 2u * TBN_RB_ENTRIES + TBN_RB_ACC - acc); batch++) {}
  for (oy = 0; oy < c->l.out_h; oy++) {
    const uint32_t *row_win = (const uint32_t *)window_at(c, in, oy, 0);
    for (ox = 0; ox < c->l.out_w; ox += batch) {
      const uint32_t *win = row_win + ox * win_step;
      uint32_t m = c->l.out_w - ox < batch ? c->l.out_w - ox : batch, q, k;
      if (short_rows)
        rows_acc_bin_batch(win, c->tile, c->rw, c->K, R, m, win_step, acc);
      else
        for (q = 0; q < m; q++)
          for (k = 0; k < R; k++) acc[q * R + k] = dot_bin(c, win + q * win_step, c->tile + k * c->rw);
      if (R == 16u && p == 4u) { /* the common case: two whole output words */
        TBN_WORDS16X4(acc, tab, (uint32_t *)(void *)out_pos, c->aux, dup, m, pos_bytes >> 2);
        out_pos += m * pos_bytes;
        continue;
      }
      for (q = 0; q < m; q++, out_pos += pos_bytes) {
        const uint32_t *pa = acc + q * R, *flips = c->aux;
        uint32_t *w = (uint32_t *)(void *)out_pos, buf = 0, nb = 0;
        const uint32_t *t = tab;
        if (R == 16u) { /* each pair of segments is a whole output word */
          for (k0 = 0; k0 < p; k0 += 4u, t += 32, w += 2, flips += 2) {
            if (p - k0 >= 3u) {
              words16x4(pa, t, w, flips, dup, 1u, 0u);
            } else {
              words16x2(pa, t, w, flips, dup);
              break;
            }
          }
          continue;
        }
        for (k0 = 0; k0 < p; k0 += 4u) {
          uint32_t pair4 = p - k0 >= 3u, seg[4] = {0, 0, 0, 0}, r0;
          for (r0 = 0; r0 < R; r0 += 16u) {
            uint32_t n = R - r0 > 16u ? 16u : R - r0, b0 = 0, b1 = 0, i, i_;
            const uint32_t *a = pa + r0;
            if (n == 16u && pair4) {
              TBN_RB_X16(TBN_RB_ROW4);
            } else if (n == 16u) {
              TBN_RB_X16(TBN_RB_ROW2);
            } else {
              for (i = 0; i < n; i++) TBN_RB_ROW4(i);
            }
            (void)i_;
            t += 2u * n;
            /* the pair lanes hold rows r0.. at bits 16-n.. and 32-n.. */
            seg[0] |= ((b0 & 0xffffu) >> (16u - n)) << r0;
            seg[1] |= (b0 >> (32u - n)) << r0;
            seg[2] |= ((b1 & 0xffffu) >> (16u - n)) << r0;
            seg[3] |= (b1 >> (32u - n)) << r0;
          }
          for (k = 0; k < 4u && k0 + k < p; k++)
            put_bits(&w, &flips, &buf, &nb, ~seg[k] & (0xffffffffu >> (32u - R)), R);
        }
        if (nb) *w = buf ^ *flips;
      }
    }
  }
}
#endif /* !TBN_SMALL */

#endif /* TBN_REUSE_H */
