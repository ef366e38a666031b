/*
 * tbn_run.c - inference over a model validated by tbn_model_open.
 *
 * Activations ping-pong between the two A-byte halves of the caller's
 * scratch buffer; the STREAM gather row lives after them. Weight layers:
 *   ROWS + REUSE  per output position, each of the N/p distinct rows is
 *                 dotted once into a stack array of accumulators, then the
 *                 N outputs are written in channel order (channel o reads
 *                 accumulator o mod N/p);
 *   ROWS          every channel dots its row (o mod N/p) on its own, in
 *                 chunks of TBN_ACC_CHUNK channels;
 *   STREAM        per channel, its K tile bits starting at (o*K) mod q are
 *                 gathered into a padded row, then dotted at every position.
 * A dot is XOR-popcount for BIN input (tbn_popcount.h), subset-sum table
 * lookups for I8 input (4 channels per lookup), add/subtract for I32 input.
 * All accumulation wraps in uint32_t, as the format specifies.
 */
#include "tbn_internal.h"
#include "tbn_popcount.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tbn_run.c reads aligned little-endian words directly: port before use on big-endian"
#endif

/* Stack-heavy helpers stay out of their callers' frames, so the deepest
 * call chain holds only one of their tables. */
#if defined(__GNUC__)
#define TBN_NOINLINE __attribute__((noinline))
#define TBN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TBN_NOINLINE
#define TBN_ALWAYS_INLINE inline
#endif

/* Accumulators kept on the stack for one output position (256 bytes): the
 * outputs of a position are then written in channel order, a whole BIN
 * output word at a time. */
#define TBN_ACC_CHUNK 64u

/* A weight layer ready to run. */
typedef struct {
  tbn__layer l;
  uint32_t K;        /* filter length k_h*k_w*in_c */
  uint32_t cw_in;    /* words per input position (BIN input) */
  uint32_t cw_out;   /* words per output position (BIN output) */
  uint32_t rw;       /* words per padded filter row */
  uint32_t rows;     /* distinct rows N/p (ROWS layout) */
  uint32_t runs;     /* contiguous runs of a window: k_h, or 1 when k_w == in_w */
  uint32_t run_pos;  /* positions per run */
  uint32_t step;     /* input elements (I8/I32) or words (BIN) between runs */
  const uint32_t *tile;
  const uint8_t *thresh; /* T (BIN out) or M */
  const uint32_t *aux;   /* flip bits (BIN out) or B */
} layer_run;

/* acc of a BIN input window starting at x against `row`:
 * K - 2 * mismatches (padding bits are 0 on both sides). */
static uint32_t dot_bin(const layer_run *c, const uint32_t *x, const uint32_t *row) {
  uint32_t len = c->run_pos * c->cw_in, mism = 0, dy;
  for (dy = 0; dy < c->runs; dy++, x += c->step, row += len) mism += tbn__xor_popcount(x, row, len);
  return c->K - 2u * mism;
}

#ifdef TBN_SMALL
/* acc of an I8 or I32 input window against `row`: the sum of the window's
 * values, negated where the weight bit is 1 (-1). */
static uint32_t dot_int(const layer_run *c, const void *x, const uint32_t *row) {
  uint32_t acc = 0, dy, pos, cw, i = 0, in_c = c->l.in_c, i8 = c->l.in_type == TBN_TYPE_I8;
  for (dy = 0; dy < c->runs; dy++, i += c->step) {
    uint32_t e = i;
    for (pos = 0; pos < c->run_pos; pos++) {
      uint32_t left = in_c;
      for (cw = 0; cw < c->cw_in; cw++) {
        uint32_t bits = *row++, n = left > 32u ? 32u : left;
        left -= n;
        for (; n; n--, e++, bits >>= 1) {
          uint32_t v = i8 ? tbn__u32(((const int8_t *)x)[e]) : ((const uint32_t *)x)[e];
          acc += (bits & 1u) ? 0u - v : v;
        }
      }
    }
  }
  return acc;
}
#else
/* Sum of the window's values where the weight bit is 1 (weight -1); the
 * accumulator is then sum(window) - 2 * this. */
static uint32_t neg_sum_i8(const layer_run *c, const int8_t *x, const uint32_t *row) {
  uint32_t neg = 0, dy, pos, cw, in_c = c->l.in_c;
  for (dy = 0; dy < c->runs; dy++, x += c->step) {
    const int8_t *xp = x;
    for (pos = 0; pos < c->run_pos; pos++) {
      uint32_t left = in_c;
      for (cw = 0; cw < c->cw_in; cw++) {
        uint32_t bits = *row++, n = left > 32u ? 32u : left;
        left -= n;
        /* 0u - bit is 0 or all ones: adds x only where the weight is -1 */
#ifndef TBN_SMALL
        for (; n >= 4u; n -= 4u, xp += 4, bits >>= 4) {
          neg += tbn__u32(xp[0]) & (0u - (bits & 1u));
          neg += tbn__u32(xp[1]) & (0u - ((bits >> 1) & 1u));
          neg += tbn__u32(xp[2]) & (0u - ((bits >> 2) & 1u));
          neg += tbn__u32(xp[3]) & (0u - ((bits >> 3) & 1u));
        }
#endif
        while (n--) {
          neg += tbn__u32(*xp++) & (0u - (bits & 1u));
          bits >>= 1;
        }
      }
    }
  }
  return neg;
}

static uint32_t neg_sum_i32(const layer_run *c, const uint32_t *x, const uint32_t *row) {
  uint32_t neg = 0, dy, pos, cw, in_c = c->l.in_c;
  for (dy = 0; dy < c->runs; dy++, x += c->step) {
    const uint32_t *xp = x;
    for (pos = 0; pos < c->run_pos; pos++) {
      uint32_t left = in_c;
      for (cw = 0; cw < c->cw_in; cw++) {
        uint32_t bits = *row++, n = left > 32u ? 32u : left;
        left -= n;
        while (n--) {
          neg += *xp++ & (0u - (bits & 1u));
          bits >>= 1;
        }
      }
    }
  }
  return neg;
}

/* Sum of all values of the window (shared by every row at this position). */
static uint32_t window_sum(const layer_run *c, const void *window) {
  uint32_t sum = 0, dy, i, len = c->run_pos * c->l.in_c;
  if (c->l.in_type == TBN_TYPE_I8) {
    const int8_t *x = (const int8_t *)window;
    for (dy = 0; dy < c->runs; dy++, x += c->step)
      for (i = 0; i < len; i++) sum += tbn__u32(x[i]);
  } else {
    const uint32_t *x = (const uint32_t *)window;
    for (dy = 0; dy < c->runs; dy++, x += c->step)
      for (i = 0; i < len; i++) sum += x[i];
  }
  return sum;
}

#ifndef TBN_SMALL
#endif /* TBN_SMALL */

/* Subset-sum tables for I8 input: channels go in aligned groups of 4, so a
 * group's weight bits are one nibble of a row word, and entry m of the
 * group's 16-entry table is the sum of its values whose bit is set in m. One
 * lookup then replaces 4 multiply-accumulates of every row at this window.
 * TBN_LUT_ENTRIES int16 entries (512 bytes of stack) hold 16 groups at a
 * time; in_c <= TBN_LUT_MAX_C keeps one position's groups in the table. */
#define TBN_LUT_ENTRIES 256u
#define TBN_LUT_MAX_C 64u

/* The 2^size subset sums of v[0..size) (size <= 6). */
static void build_group(int16_t *t, const int8_t *v, uint32_t size) {
  if (size == 4u) {
    int a = v[0], b = v[1], c = v[2], d = v[3];
    t[0] = 0;
    t[1] = (int16_t)a;
    t[2] = (int16_t)b;
    t[3] = (int16_t)(a + b);
    t[4] = (int16_t)c;
    t[5] = (int16_t)(a + c);
    t[6] = (int16_t)(b + c);
    t[7] = (int16_t)(a + b + c);
    t[8] = (int16_t)d;
    t[9] = (int16_t)(a + d);
    t[10] = (int16_t)(b + d);
    t[11] = (int16_t)(a + b + d);
    t[12] = (int16_t)(c + d);
    t[13] = (int16_t)(a + c + d);
    t[14] = (int16_t)(b + c + d);
    t[15] = (int16_t)(a + b + c + d);
  } else {
    uint32_t ch, m;
    t[0] = 0;
    for (ch = 0; ch < size; ch++) {
      uint32_t half = 1u << ch;
      for (m = 0; m < half; m++) t[half + m] = (int16_t)(t[m] + v[ch]);
    }
  }
}

/* Tables of all channel groups of one position (in_c values at v). */
static void build_position(int16_t *t, const int8_t *v, uint32_t in_c) {
  uint32_t g;
  for (g = 0; g < in_c; g += 4u, t += 16, v += 4) build_group(t, v, in_c - g > 4u ? 4u : in_c - g);
}

/* Sum over `np` positions of the table entries a row selects; t holds the
 * positions' tables back to back, w the row words (cw per position). Row
 * padding bits are 0 (validated), so a short last group indexes only the
 * entries it filled. */
static uint32_t lookup_row(const int16_t *t, const uint32_t *w, uint32_t np, uint32_t groups,
                           uint32_t cw) {
  uint32_t s = 0, j;
  if (groups == 1u) {
    for (j = 0; j < np; j++, t += 16, w += cw) s += tbn__u32(t[*w]);
    return s;
  }
  if ((groups & 7u) == 0) {
    /* whole words of 8 groups (in_c a multiple of 32): unrolled nibbles */
    uint32_t words = np * cw;
    for (j = 0; j < words; j++, t += 128) {
      uint32_t b = w[j];
      s += (uint32_t)((int32_t)t[b & 15u] + t[16u + ((b >> 4) & 15u)] + t[32u + ((b >> 8) & 15u)] +
                      t[48u + ((b >> 12) & 15u)] + t[64u + ((b >> 16) & 15u)] +
                      t[80u + ((b >> 20) & 15u)] + t[96u + ((b >> 24) & 15u)] + t[112u + (b >> 28)]);
    }
    return s;
  }
  for (j = 0; j < np; j++, w += cw) {
    const uint32_t *wp = w;
    uint32_t left = groups;
    while (left) {
      uint32_t bits = *wp++, m = left > 8u ? 8u : left;
      left -= m;
      do {
        s += tbn__u32(t[bits & 15u]);
        bits >>= 4;
        t += 16;
      } while (--m);
    }
  }
  return s;
}

/* Wide positions (in_c > TBN_LUT_MAX_C): each position's channels go in
 * word-aligned chunks of TBN_LUT_MAX_C (16 groups fill the table); every
 * chunk's tables are built once and every row adds its lookups. */
static void rows_acc_i8_wide(const layer_run *c, const int8_t *x, const uint32_t *base,
                             uint32_t r0, uint32_t n, uint32_t wrap, uint32_t *acc,
                             int16_t *lut) {
  uint32_t in_c = c->l.in_c, positions = c->runs * c->run_pos, j, ch0, k, dy = 0, dx = 0;
  uint32_t cw = c->cw_in;
  for (j = 0; j < positions; j++) {
    const int8_t *xp = x + dy * c->step + dx * in_c;
    for (ch0 = 0; ch0 < in_c; ch0 += TBN_LUT_MAX_C) {
      uint32_t nc = in_c - ch0 > TBN_LUT_MAX_C ? TBN_LUT_MAX_C : in_c - ch0;
      uint32_t groups = (nc + 3u) >> 2, r = r0, off = j * cw + (ch0 >> 5);
      const uint32_t *row = base + r0 * c->rw + off;
      build_position(lut, xp + ch0, nc);
      /* one position: lookup_row reads (groups + 7) / 8 words */
      for (k = 0; k < n; k++) {
        acc[k] += lookup_row(lut, row, 1u, groups, (groups + 7u) >> 3);
        if (++r == wrap) {
          r = 0;
          row = base + off;
        } else {
          row += c->rw;
        }
      }
    }
    if (++dx == c->run_pos) {
      dx = 0;
      dy++;
    }
  }
}

TBN_NOINLINE static void rows_acc_i8_lut(const layer_run *c, const int8_t *x, uint32_t sum,
                                         const uint32_t *base, uint32_t r0, uint32_t n,
                                         uint32_t wrap, uint32_t *acc) {
  int16_t lut[TBN_LUT_ENTRIES];
  uint32_t in_c = c->l.in_c, groups = (in_c + 3u) >> 2, per_pos = groups << 4, per_chunk = 0;
  uint32_t positions = c->runs * c->run_pos, p0, k, u, dy = 0, dx = 0, cw = c->cw_in;
  for (k = 0; k < n; k++) acc[k] = 0;
  if (in_c > TBN_LUT_MAX_C) {
    rows_acc_i8_wide(c, x, base, r0, n, wrap, acc, lut);
    for (k = 0; k < n; k++) acc[k] = sum - 2u * acc[k];
    return;
  }
  for (u = per_pos; u <= TBN_LUT_ENTRIES; u += per_pos) per_chunk++;
  for (p0 = 0; p0 < positions; p0 += per_chunk) {
    uint32_t np = positions - p0 > per_chunk ? per_chunk : positions - p0, j, r = r0;
    const uint32_t *row = base + r0 * c->rw + p0 * cw;
    for (j = 0; j < np; j++) {
      build_position(lut + j * per_pos, x + dy * c->step + dx * in_c, in_c);
      if (++dx == c->run_pos) {
        dx = 0;
        dy++;
      }
    }
    for (k = 0; k < n; k++) {
      acc[k] += lookup_row(lut, row, np, groups, cw);
      if (++r == wrap) {
        r = 0;
        row = base + p0 * cw;
      } else {
        row += c->rw;
      }
    }
  }
  for (k = 0; k < n; k++) acc[k] = sum - 2u * acc[k];
}

/* I32 input (the dense layer after GAP): per aligned group of 4 channels,
 * the 16 signed sums +-a+-b+-c+-d (entry m negates the values whose weight
 * bit is set in m), built once per window word into 128 words of stack and
 * shared by the n rows: a row then costs one lookup per 4 channels. */
static TBN_ALWAYS_INLINE void build_signed16(uint32_t *t, const uint32_t *v, uint32_t size) {
  uint32_t a = v[0], b = size > 1u ? v[1] : 0u, cc = size > 2u ? v[2] : 0u, d = size > 3u ? v[3] : 0u;
  uint32_t t0 = a + b + cc + d, t1 = t0 - 2u * a, t2 = t0 - 2u * b, t3 = t1 - 2u * b;
  uint32_t t4 = t0 - 2u * cc, t5 = t1 - 2u * cc, t6 = t2 - 2u * cc, t7 = t3 - 2u * cc;
  d <<= 1;
  t[0] = t0;
  t[1] = t1;
  t[2] = t2;
  t[3] = t3;
  t[4] = t4;
  t[5] = t5;
  t[6] = t6;
  t[7] = t7;
  t[8] = t0 - d;
  t[9] = t1 - d;
  t[10] = t2 - d;
  t[11] = t3 - d;
  t[12] = t4 - d;
  t[13] = t5 - d;
  t[14] = t6 - d;
  t[15] = t7 - d;
}

TBN_NOINLINE static void rows_acc_i32(const layer_run *c, const uint32_t *x, const uint32_t *base,
                                      uint32_t r0, uint32_t n, uint32_t wrap, uint32_t *acc) {
  uint32_t tab[128];
  uint32_t in_c = c->l.in_c, positions = c->runs * c->run_pos, j, w, k, dy = 0, dx = 0;
  for (k = 0; k < n; k++) acc[k] = 0;
  for (j = 0; j < positions; j++) {
    const uint32_t *xp = x + dy * c->step + dx * in_c;
    for (w = 0; w < c->cw_in; w++) {
      uint32_t nc = in_c - (w << 5) > 32u ? 32u : in_c - (w << 5), groups = (nc + 3u) >> 2, g, r = r0;
      const uint32_t *row = base + r0 * c->rw + j * c->cw_in + w;
      for (g = 0; g < groups; g++) build_signed16(tab + (g << 4), xp + (w << 5) + (g << 2), nc - (g << 2));
      for (k = 0; k < n; k++) {
        uint32_t b = *row, s;
        if (groups == 8u) {
          s = tab[b & 15u] + tab[16u + ((b >> 4) & 15u)] + tab[32u + ((b >> 8) & 15u)] +
              tab[48u + ((b >> 12) & 15u)] + tab[64u + ((b >> 16) & 15u)] + tab[80u + ((b >> 20) & 15u)] +
              tab[96u + ((b >> 24) & 15u)] + tab[112u + (b >> 28)];
        } else {
          const uint32_t *t = tab;
          for (s = 0, g = 0; g < groups; g++, t += 16, b >>= 4) s += t[b & 15u];
        }
        acc[k] += s;
        if (++r == wrap) {
          r = 0;
          row = base + j * c->cw_in + w;
        } else {
          row += c->rw;
        }
      }
    }
    if (++dx == c->run_pos) {
      dx = 0;
      dy++;
    }
  }
}

#if !(TBN_WASM_SIMD || TBN_HW_POPCOUNT)
/* Five input words stay in registers while each of the n rows (rw words
 * apart) passes over them: one load per weight word, and the five words'
 * nibble counts share two nibble-to-byte steps (a pair and a triple). A row
 * of 10 words is two calls: the first leaves byte counts (<= 40 per byte)
 * in acc, the second adds them and ends the row. */
static TBN_ALWAYS_INLINE void rows5(const uint32_t *x, const uint32_t *row, uint32_t rw, uint32_t K,
                                    uint32_t n, uint32_t *acc, int first, int last) {
  const uint32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4];
  uint32_t k;
  for (k = 0; k < n; k++, row += rw) {
    uint32_t b = tbn__pair_byte_counts(x0 ^ row[0], x1 ^ row[1]) +
                 tbn__triple_byte_counts(x2 ^ row[2], x3 ^ row[3], x4 ^ row[4]);
    if (!first) b += acc[k];
    acc[k] = last ? K - 2u * tbn__byte_sum(b) : b;
  }
}
#endif

/* acc[k] = K - 2 * mismatches of x against n consecutive rows of rw <= 31
 * words. Its callers are kept apart (and small) so the compiler keeps
 * everything in registers around the popcount sequence. */
static TBN_ALWAYS_INLINE void rows_acc_short(const uint32_t *x, const uint32_t *row, uint32_t rw,
                                             uint32_t K, uint32_t n, uint32_t *acc) {
#if !(TBN_WASM_SIMD || TBN_HW_POPCOUNT)
  if (rw == 5u) {
    rows5(x, row, 5u, K, n, acc, 1, 1);
    return;
  }
  if (rw == 10u) {
    rows5(x, row, 10u, K, n, acc, 1, 0);
    rows5(x + 5, row + 5, 10u, K, n, acc, 0, 1);
    return;
  }
  /* two rows per pass: each input word is loaded once for both */
  for (; n >= 2u; n -= 2u, row += 2u * rw, acc += 2) {
    const uint32_t *a = row, *b = row + rw, *xp = x;
    uint32_t i = rw, ba = 0, bb = 0;
    for (; i >= 2u; i -= 2u, xp += 2, a += 2, b += 2) {
      uint32_t x0 = xp[0], x1 = xp[1];
      ba += tbn__pair_byte_counts(x0 ^ a[0], x1 ^ a[1]);
      bb += tbn__pair_byte_counts(x0 ^ b[0], x1 ^ b[1]);
    }
    if (i) {
      ba += tbn__byte_counts(xp[0] ^ a[0]);
      bb += tbn__byte_counts(xp[0] ^ b[0]);
    }
    acc[0] = K - 2u * tbn__byte_sum(ba);
    acc[1] = K - 2u * tbn__byte_sum(bb);
  }
#endif
  while (n--) {
    *acc++ = K - 2u * tbn__xor_popcount_short(x, row, rw);
    row += rw;
  }
}

TBN_NOINLINE static void rows_acc_bin_short(const uint32_t *x, const uint32_t *row, uint32_t rw,
                                            uint32_t K, uint32_t n, uint32_t *acc) {
  rows_acc_short(x, row, rw, K, n, acc);
}

/* acc[k] of `npos` windows x, x + xstep, ... against the n rows, n entries
 * per window (run_reuse_bin): several windows per call spread the call's
 * setup (the SWAR masks, saved registers) over more rows. */
TBN_NOINLINE static void rows_acc_bin_batch(const uint32_t *x, const uint32_t *row, uint32_t rw,
                                            uint32_t K, uint32_t n, uint32_t npos, uint32_t xstep,
                                            uint32_t *acc) {
  for (; npos; npos--, x += xstep, acc += n) rows_acc_short(x, row, rw, K, n, acc);
}

#endif /* !TBN_SMALL */

/* acc[k], k < n, of rows r0, r0 + 1, ... (wrapping to row 0 at `wrap`) of
 * the rows at `base`, for the window `win`; `sum` is window_sum for I8/I32. */
static void rows_acc(const layer_run *c, const void *win, uint32_t sum, const uint32_t *base,
                     uint32_t r0, uint32_t n, uint32_t wrap, uint32_t *acc) {
  const uint32_t *row = base + r0 * c->rw;
  uint32_t k, r = r0;
#ifndef TBN_SMALL
  if (c->l.in_type == TBN_TYPE_BIN && c->runs == 1u && c->rw <= 31u) {
    /* the common binary case: one contiguous run of at most 31 words;
     * rows r0.. up to the wrap, then from row 0 */
    uint32_t first = wrap - r0 < n ? wrap - r0 : n;
    rows_acc_bin_short((const uint32_t *)win, row, c->rw, c->K, first, acc);
    for (k = first; k < n; k += wrap)
      rows_acc_bin_short((const uint32_t *)win, base, c->rw, c->K, n - k < wrap ? n - k : wrap, acc + k);
    return;
  }
  if (c->l.in_type == TBN_TYPE_I8 && n >= 2u) {
    rows_acc_i8_lut(c, (const int8_t *)win, sum, base, r0, n, wrap, acc);
    return;
  }
  if (c->l.in_type == TBN_TYPE_I32 && n >= 2u) {
    rows_acc_i32(c, (const uint32_t *)win, base, r0, n, wrap, acc);
    return;
  }
#endif
  for (k = 0; k < n; k++) {
    if (c->l.in_type == TBN_TYPE_BIN)
      acc[k] = dot_bin(c, (const uint32_t *)win, row);
#ifdef TBN_SMALL
    else
      acc[k] = dot_int(c, win, row);
    (void)sum;
#else
    else if (c->l.in_type == TBN_TYPE_I8)
      acc[k] = sum - 2u * neg_sum_i8(c, (const int8_t *)win, row);
    else
      acc[k] = window_sum(c, win) - 2u * neg_sum_i32(c, (const uint32_t *)win, row);
#endif
    if (++r == wrap) {
      r = 0;
      row = base;
    } else {
      row += c->rw;
    }
  }
}

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
    const uint32_t *mul = (const uint32_t *)(const void *)c->thresh;
    for (; o < end; o++) {
      uint32_t v = tbn__asr(acc[idx] * mul[o] + c->aux[o], c->l.shift);
      if (++idx == wrap) idx = 0;
      if (c->l.out_type == TBN_TYPE_I8)
        ((int8_t *)out_pos)[o] = (int8_t)((v & 0x80000000u) ? 0 : (v > 127u ? 127 : (int)v));
      else
        ((uint32_t *)out_pos)[o] = v;
    }
  }
}

/* Copies the K tile bits starting at bit `start` (wrapping at q) of a STREAM
 * tile into `row` in the padded ROWS layout. */
static void gather_row(const layer_run *c, uint32_t q, uint32_t start, uint32_t *row) {
  uint32_t j = start, kpos, ch, positions = c->l.k_h * c->l.k_w;
  memset(row, 0, c->rw * 4u);
  for (kpos = 0; kpos < positions; kpos++, row += c->cw_in) {
    for (ch = 0; ch < c->l.in_c; ch++) {
      row[ch >> 5] |= ((c->tile[j >> 5] >> (j & 31u)) & 1u) << (ch & 31u);
      if (++j == q) j = 0;
    }
  }
}

/* Start of the window of output position (oy, ox) in the input tensor. */
static const void *window_at(const layer_run *c, const void *in, uint32_t oy, uint32_t ox) {
  uint32_t base = oy * c->l.s_h * c->l.in_w + ox * c->l.s_w;
  switch (c->l.in_type) {
    case TBN_TYPE_BIN: return (const uint32_t *)in + base * c->cw_in;
    case TBN_TYPE_I8: return (const int8_t *)in + base * c->l.in_c;
    default: return (const uint32_t *)in + base * c->l.in_c;
  }
}

/* Bytes of one output position. */
static uint32_t out_pos_bytes(const layer_run *c) {
  if (c->l.out_type == TBN_TYPE_BIN) return c->cw_out * 4u;
  return c->l.out_type == TBN_TYPE_I8 ? c->l.out_c : c->l.out_c * 4u;
}

#ifndef TBN_SMALL
/* Int8 input, 1-D windows (in_h = 1), in_c <= 8, ROWS layout: each input
 * position gets a subset-sum table once (entry m = sum of its values whose
 * weight bit is set in m: 2^in_c entries for in_c <= 6, else two 16-entry
 * tables for channels 0-3 and 4-7), kept in a ring of k_w slots that every
 * window covering the position reuses. A row at one position then costs one
 * (or two) lookups instead of in_c multiply-accumulates. The ring lives on
 * the stack: 320 int16 entries (640 bytes) and at most 16 slots. */
#define TBN_RING_ENTRIES 320u
#define TBN_RING_MAX_KW 16u

static uint32_t ring_per_pos(uint32_t in_c) { return in_c <= 6u ? 1u << in_c : 32u; }

/* Whether run_i8_ring handles this layer (called instead of run_weight, so
 * the two stack frames never nest). */
static int ring_fits(const layer_run *c, int reuse) {
  return c->l.in_type == TBN_TYPE_I8 && c->l.in_h == 1u && c->l.in_c <= 8u &&
         (c->l.flags & TBN_LF_ROWS) && c->l.k_w <= TBN_RING_MAX_KW &&
         c->l.k_w * ring_per_pos(c->l.in_c) <= TBN_RING_ENTRIES &&
         (!(reuse && (c->l.flags & TBN_LF_REUSE)) || c->rows <= TBN_ACC_CHUNK);
}

/* acc[k] for rows r0.. (wrapping at `wrap`) of the window whose first input
 * position's tables are in slot `first` of the ring. */
static void ring_rows(const layer_run *c, const int16_t *ring, uint32_t first, uint32_t sum,
                      uint32_t r0, uint32_t n, uint32_t wrap, uint32_t *acc) {
  const int16_t *tables[TBN_RING_MAX_KW];
  uint32_t k_w = c->l.k_w, per_pos = ring_per_pos(c->l.in_c), k, dx, r = r0, slot = first;
  const uint32_t *row = c->tile + r0 * c->rw;
  /* the window's tables in window order (the ring starts at `first`) */
  for (dx = 0; dx < k_w; dx++) {
    tables[dx] = ring + slot * per_pos;
    if (++slot == k_w) slot = 0;
  }
  for (k = 0; k < n; k++) {
    uint32_t s = 0;
    const int16_t *const *tp = tables;
    const uint32_t *w = row, *end = row + k_w;
    /* row words hold only in_c low bits (padding validated to be 0) */
    if (c->l.in_c <= 6u) {
      while (w < end) s += tbn__u32((*tp++)[*w++]);
    } else {
      while (w < end) {
        const int16_t *t = *tp++;
        uint32_t bits = *w++;
        s += tbn__u32(t[bits & 15u]) + tbn__u32(t[16u + (bits >> 4)]);
      }
    }
    acc[k] = sum - 2u * s;
    if (++r == wrap) {
      r = 0;
      row = c->tile;
    } else {
      row += c->rw;
    }
  }
}

TBN_NOINLINE static void run_i8_ring(const layer_run *c, const int8_t *in, uint8_t *out_pos, uint32_t pos_bytes,
                        int reuse) {
  int16_t ring[TBN_RING_ENTRIES];
  uint32_t acc[TBN_ACC_CHUNK + 32u];
  uint32_t k_w = c->l.k_w, in_c = c->l.in_c, per_pos = ring_per_pos(in_c), N = c->l.out_c;
  uint32_t next = 0, slot = 0, ox, i;
  for (ox = 0; ox < c->l.out_w; ox++, out_pos += pos_bytes) {
    uint32_t start = ox * c->l.s_w, sum = 0;
    const int8_t *win = in + start * in_c;
    while (next < start) { /* stride > k_w: skip positions no window uses */
      next++;
      if (++slot == k_w) slot = 0;
    }
    for (; next < start + k_w; next++) {
      if (in_c <= 6u)
        build_group(ring + slot * per_pos, in + next * in_c, in_c);
      else
        build_position(ring + slot * per_pos, in + next * in_c, in_c);
      if (++slot == k_w) slot = 0;
    }
    /* now slot == start mod k_w: the window's first position */
    for (i = 0; i < k_w * in_c; i++) sum += tbn__u32(win[i]);
    if (reuse && (c->l.flags & TBN_LF_REUSE) && c->rows <= TBN_ACC_CHUNK) {
      ring_rows(c, ring, slot, sum, 0, c->rows, c->rows, acc);
      emit_run(c, out_pos, acc, 0, N, 0, c->rows);
    } else {
      uint32_t o0, r = 0;
      for (o0 = 0; o0 < N; o0 += TBN_ACC_CHUNK) {
        uint32_t n = N - o0 > TBN_ACC_CHUNK ? TBN_ACC_CHUNK : N - o0;
        ring_rows(c, ring, slot, sum, r, n, c->rows, acc);
        r += n;
        while (r >= c->rows) r -= c->rows;
        emit_run(c, out_pos, acc, o0, n, 0, n);
      }
    }
  }
}


/* Int8 input, 1-D, stride 1, in_c <= 6, ROWS layout: two output positions
 * per pass, in the two 16-bit halves of one 32-bit word. Each input
 * position y gets one table for the pair (y, y + 1): entry m holds
 * S(y, m) + 65536 * S(y + 1, m), S(y, m) = sum of the position's values,
 * negated where m (the weight bits) is 1. With wrapping uint32 arithmetic
 * that is the exact integer lo + 65536 * hi, so the k_w lookups of a row add
 * up to acc(x) + 65536 * acc(x + 1) (|acc| <= K * 128 < 2^15): one load and
 * one add per position for two outputs. Tables of 3 channels or fewer have
 * 8 entries (unused bits are 0 in every row), more channels 8 << (in_c - 3);
 * a ring of k_w slots (384 words, 1.5 KB of stack) keeps the tables the next
 * window shares. */
#define TBN_PAIR_ENTRIES 384u
#define TBN_PAIR_MAX_KW 9u

static uint32_t pair_per_pos(uint32_t in_c) { return in_c <= 3u ? 8u : 8u << (in_c - 3u); }

static int pairs_fit(const layer_run *c, int reuse) {
  return c->l.in_type == TBN_TYPE_I8 && c->l.in_h == 1u && c->l.in_c <= 6u && c->l.s_w == 1u &&
         (c->l.flags & TBN_LF_ROWS) && c->l.k_w <= TBN_PAIR_MAX_KW &&
         c->l.k_w * pair_per_pos(c->l.in_c) <= TBN_PAIR_ENTRIES &&
         (!(reuse && (c->l.flags & TBN_LF_REUSE)) || c->rows <= TBN_ACC_CHUNK);
}

/* The pair table of positions a and b (b = NULL past the input: hi lanes 0).
 * Channels 0-2 give 8 subset sums kept in registers; each combination of
 * channels 3.. subtracts its own sum from all 8. */
static void build_pair(uint32_t *t, const int8_t *a, const int8_t *b, uint32_t in_c) {
  uint32_t v[6] = {0, 0, 0, 0, 0, 0}, sum = 0, ch, j, h[8], l0, l1, l2, l3, l4, l5, l6, l7;
  uint32_t groups = in_c > 3u ? 1u << (in_c - 3u) : 1u;
  for (ch = 0; ch < in_c; ch++) {
    v[ch] = tbn__u32(a[ch]) + (b ? tbn__u32(b[ch]) << 16 : 0u);
    sum += v[ch];
    v[ch] <<= 1;
  }
  l0 = sum;
  l1 = l0 - v[0];
  l2 = l0 - v[1];
  l3 = l1 - v[1];
  l4 = l0 - v[2];
  l5 = l1 - v[2];
  l6 = l2 - v[2];
  l7 = l3 - v[2];
  h[0] = 0;
  h[1] = v[3];
  h[2] = v[4];
  h[3] = v[3] + v[4];
  h[4] = v[5];
  h[5] = v[3] + v[5];
  h[6] = v[4] + v[5];
  h[7] = h[3] + v[5];
  for (j = 0; j < groups; j++, t += 8) {
    uint32_t d = h[j];
    t[0] = l0 - d;
    t[1] = l1 - d;
    t[2] = l2 - d;
    t[3] = l3 - d;
    t[4] = l4 - d;
    t[5] = l5 - d;
    t[6] = l6 - d;
    t[7] = l7 - d;
  }
}

/* The low and high lanes of a pair sum as two's-complement values. */
static TBN_ALWAYS_INLINE uint32_t lane_lo(uint32_t a) { return ((a & 0xffffu) ^ 0x8000u) - 0x8000u; }

/* acc0[k], acc1[k] (positions x, x + 1) for rows r0.. (wrapping at
 * `wrap`); tabs[d] is the pair table of position x + d. The common window
 * lengths are spelled out so the tables stay in registers: per row and
 * position one load of the weight bits, one of the entry and one add. */
#define TBN_PAIR_ROWS(SUM)                              \
  for (; k < m; k++, row += rw) {                       \
    uint32_t s;                                         \
    SUM;                                                \
    if (raw) {                                          \
      acc0[k] = s;                                      \
    } else {                                            \
      uint32_t lo = lane_lo(s);                         \
      acc0[k] = lo;                                     \
      acc1[k] = tbn__asr(s - lo, 16u);                  \
    }                                                   \
  }

static TBN_ALWAYS_INLINE void pair_rows_body(const uint32_t *const *tabs, const uint32_t *tile,
                                             uint32_t rw, uint32_t r0, uint32_t n, uint32_t wrap,
                                             uint32_t *acc0, uint32_t *acc1, uint32_t kw, int raw) {
  const uint32_t *row = tile + r0 * rw;
  const uint32_t *t0 = tabs[0], *t1 = tabs[kw > 1u ? 1 : 0], *t2 = tabs[kw > 2u ? 2 : 0];
  uint32_t k = 0, m = wrap - r0 < n ? wrap - r0 : n;
  /* rows r0 .. wrap - 1, then from row 0 again */
  while (k < n) {
    if (kw == 5u) {
      const uint32_t *t3 = tabs[3], *t4 = tabs[4];
      TBN_PAIR_ROWS(s = t0[row[0]] + t1[row[1]] + t2[row[2]] + t3[row[3]] + t4[row[4]])
    } else if (kw == 3u) {
      TBN_PAIR_ROWS(s = t0[row[0]] + t1[row[1]] + t2[row[2]])
    } else {
      uint32_t d;
      TBN_PAIR_ROWS(for (s = 0, d = 0; d < kw; d++) s += tabs[d][row[d]])
    }
    row = tile;
    m = n - k < wrap ? n : k + wrap;
  }
}
#undef TBN_PAIR_ROWS

/* Unpacked: acc0[k] and acc1[k] for positions x and x + 1. */
TBN_NOINLINE static void pair_rows(const uint32_t *const *tabs, const uint32_t *tile, uint32_t rw,
                                   uint32_t r0, uint32_t n, uint32_t wrap, uint32_t *acc0,
                                   uint32_t *acc1, uint32_t kw) {
  pair_rows_body(tabs, tile, rw, r0, n, wrap, acc0, acc1, kw, 0);
}

/* Packed: sums[k] = acc(x) + 65536 * acc(x + 1). */
TBN_NOINLINE static void pair_sums(const uint32_t *const *tabs, const uint32_t *tile, uint32_t rw,
                                   uint32_t r0, uint32_t n, uint32_t wrap, uint32_t *sums, uint32_t kw) {
  pair_rows_body(tabs, tile, rw, r0, n, wrap, sums, NULL, kw, 1);
}

/* Builds the ring's tables up to the window at x (next: the next position
 * to build, *slot its slot) and points tabs[d] at position x + d's. */
static TBN_ALWAYS_INLINE void pair_window(const layer_run *c, const int8_t *in, uint32_t *ring,
                                          uint32_t x, uint32_t *next, uint32_t *slot,
                                          const uint32_t **tabs) {
  uint32_t k_w = c->l.k_w, in_c = c->l.in_c, in_w = c->l.in_w, per_pos = pair_per_pos(in_c), d, s;
  for (; *next < x + k_w; ++*next) {
    build_pair(ring + *slot * per_pos, in + *next * in_c,
               *next + 1u < in_w ? in + (*next + 1u) * in_c : NULL, in_c);
    if (++*slot == k_w) *slot = 0;
  }
  /* *slot is now x mod k_w: the window's first position */
  for (d = 0, s = *slot; d < k_w; d++) {
    tabs[d] = ring + s * per_pos;
    if (++s == k_w) s = 0;
  }
}

/* BIN output of at most 64 channels, straight from the packed sums: with
 * C[o] = T'[o] * 65537 - 0x80008000 (T' = T clamped to [-128K-1, 128K+1],
 * the same decisions), sums - C[o] holds (acc - T' + 0x8000) in both lanes;
 * no lane borrows (|acc - T'| < 2^15 for K <= 127), so bits 15 and 31 are
 * acc >= T for x and x + 1: 3 instructions per two outputs. */
#define TBN_PAIR_BIN_MAX 64u

static int pairs_bin_fit(const layer_run *c, int reuse) {
  return c->l.out_type == TBN_TYPE_BIN && c->l.out_c <= TBN_PAIR_BIN_MAX && c->K <= 127u &&
         (!(reuse && (c->l.flags & TBN_LF_REUSE)) || c->rows <= TBN_PAIR_BIN_MAX);
}

TBN_NOINLINE static void run_i8_pairs_bin(const layer_run *c, const int8_t *in, uint8_t *out_pos,
                                          uint32_t pos_bytes, int reuse) {
  uint32_t ring[TBN_PAIR_ENTRIES];
  uint32_t sums[TBN_PAIR_BIN_MAX], cmp[TBN_PAIR_BIN_MAX];
  const uint32_t *tabs[TBN_PAIR_MAX_KW];
  uint32_t N = c->l.out_c, out_w = c->l.out_w, next = 0, slot = 0, x, o, o0;
  uint32_t n = reuse && (c->l.flags & TBN_LF_REUSE) ? c->rows : N, cw = c->cw_out;
  int32_t bound = (int32_t)(c->K << 7) + 1;
  for (o = 0; o < N; o++) {
    int32_t t = (c->l.flags & TBN_LF_T16) ? (int32_t)((const int16_t *)(const void *)c->thresh)[o]
                                          : tbn__s32(((const uint32_t *)(const void *)c->thresh)[o]);
    if (t > bound) t = bound;
    if (t < -bound) t = -bound;
    cmp[o] = tbn__u32(t) * 65537u - 0x80008000u;
  }
  for (x = 0; x < out_w; x += 2u, out_pos += 2u * pos_bytes) {
    uint32_t *w0 = (uint32_t *)(void *)out_pos, *w1 = (uint32_t *)(void *)(out_pos + pos_bytes), i;
    pair_window(c, in, ring, x, &next, &slot, tabs);
    pair_sums(tabs, c->tile, c->rw, 0, n, c->rows, sums, c->l.k_w);
    for (o = n; o < N; o++) sums[o] = sums[o - n]; /* reuse: channel o uses row o mod N/p */
    for (i = 0; i < cw; i++) w0[i] = 0;
    for (o0 = 0; o0 < N; o0 += 16u) {
      uint32_t m = N - o0 > 16u ? 16u : N - o0, b = 0, sh = o0 & 16u;
      const uint32_t *sp = sums + o0, *cp = cmp + o0;
      if (m == 16u) {
        for (i = 0; i < 16u; i++) b = (b >> 1) | ((sp[i] - cp[i]) & 0x80008000u);
      } else {
        for (i = 0; i < m; i++) b = (b >> 1) | ((sp[i] - cp[i]) & 0x80008000u);
        b = (b >> (16u - m)) & (((1u << m) - 1u) * 0x10001u);
      }
      w0[o0 >> 5] |= (b & 0xffffu) << sh;
      if (x + 1u < out_w) {
        if (!sh) w1[o0 >> 5] = 0;
        w1[o0 >> 5] |= (b >> 16) << sh;
      }
    }
    /* set bits are acc >= T: the output is their complement, flipped */
    for (i = 0; i < cw; i++) {
      uint32_t valid = (N - (i << 5)) >= 32u ? 0xffffffffu : (1u << (N - (i << 5))) - 1u;
      w0[i] = (~w0[i] ^ c->aux[i]) & valid;
      if (x + 1u < out_w) w1[i] = (~w1[i] ^ c->aux[i]) & valid;
    }
  }
}

TBN_NOINLINE static void run_i8_pairs(const layer_run *c, const int8_t *in, uint8_t *out_pos,
                                      uint32_t pos_bytes, int reuse) {
  uint32_t ring[TBN_PAIR_ENTRIES];
  uint32_t acc0[TBN_ACC_CHUNK + 32u], acc1[TBN_ACC_CHUNK + 32u];
  const uint32_t *tabs[TBN_PAIR_MAX_KW];
  uint32_t N = c->l.out_c, out_w = c->l.out_w, next = 0, slot = 0, x;
  int shared = reuse && (c->l.flags & TBN_LF_REUSE);
  for (x = 0; x < out_w; x += 2u, out_pos += 2u * pos_bytes) {
    uint32_t two = out_w - x > 1u;
    pair_window(c, in, ring, x, &next, &slot, tabs);
    if (shared) {
      pair_rows(tabs, c->tile, c->rw, 0, c->rows, c->rows, acc0, acc1, c->l.k_w);
      emit_run(c, out_pos, acc0, 0, N, 0, c->rows);
      if (two) emit_run(c, out_pos + pos_bytes, acc1, 0, N, 0, c->rows);
    } else {
      uint32_t o0, r = 0;
      for (o0 = 0; o0 < N; o0 += TBN_ACC_CHUNK) {
        uint32_t n = N - o0 > TBN_ACC_CHUNK ? TBN_ACC_CHUNK : N - o0;
        pair_rows(tabs, c->tile, c->rw, r, n, c->rows, acc0, acc1, c->l.k_w);
        r += n;
        while (r >= c->rows) r -= c->rows;
        emit_run(c, out_pos, acc0, o0, n, 0, n);
        if (two) emit_run(c, out_pos + pos_bytes, acc1, o0, n, 0, n);
      }
    }
  }
}

#endif /* !TBN_SMALL */

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
 * row r, the lanes T[r+kR], T[r+(k+1)R], T[r+(k+2)R], T[r+(k+3)R] in one
 * 64-bit entry. Sixteen rows shift into one word per pair of segments.
 * Windows go in batches, so per-call setup is shared. */
#define TBN_RB_ENTRIES 64u /* 512 bytes of stack */
#define TBN_RB_ACC 64u     /* accumulators of a batch of windows: 256 bytes */
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
    uint64_t t_ = t[i];                                                  \
    uint32_t v_ = a[i] * dup;                                            \
    b0 = (b0 >> 1) | ((v_ - (uint32_t)t_) & TBN_RB_GUARD);               \
    b1 = (b1 >> 1) | ((v_ - (uint32_t)(t_ >> 32)) & TBN_RB_GUARD);       \
  } while (0)
#define TBN_RB_ROW2(i) b0 = (b0 >> 1) | ((a[i] * dup - (uint32_t)t[i]) & TBN_RB_GUARD)
#if defined(__OPTIMIZE_SIZE__)
#define TBN_RB_X16(M) for (i_ = 0; i_ < 16u; i_++) M(i_) /* -Os: a loop */
#else
#define TBN_RB_X16(M) \
  M(0); M(1); M(2); M(3); M(4); M(5); M(6); M(7); M(8); M(9); M(10); M(11); M(12); M(13); M(14); M(15)
#endif

/* Sixteen rows against four segments (k, k+1 | k+2, k+3): two output words,
 * for each of `npos` positions (accumulators 16 apart, outputs `wstep`
 * words apart). */
TBN_NOINLINE static void words16x4(const uint32_t *a, const uint64_t *t, uint32_t *w,
                                   const uint32_t *flips, uint32_t dup, uint32_t npos,
                                   uint32_t wstep) {
  for (; npos; npos--, a += 16, w += wstep) {
    uint32_t b0 = 0, b1 = 0, i_;
    TBN_RB_X16(TBN_RB_ROW4);
    (void)i_;
    w[0] = ~(b0 ^ flips[0]);
    w[1] = ~(b1 ^ flips[1]);
  }
}

/* Sixteen rows against two segments: one output word. */
TBN_NOINLINE static void words16x2(const uint32_t *a, const uint64_t *t, uint32_t *w,
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

/* A threshold clamped to [-K, K+1], as a lane. */
static inline uint32_t lane_t(int32_t t, int32_t K) {
  if (t > K + 1) t = K + 1;
  if (t < -K) t = -K;
  return 0x4000u + (uint32_t)t;
}

TBN_NOINLINE static void run_reuse_bin(const layer_run *c, const void *in, uint8_t *out_pos,
                                       uint32_t pos_bytes) {
  uint64_t tab[TBN_RB_ENTRIES];
  uint32_t acc[TBN_RB_ACC], batch;
  uint32_t R = c->rows, p = c->l.p, oy, ox, k0, r, o, t16 = c->l.flags & TBN_LF_T16;
  uint64_t *e;
  int32_t K = (int32_t)c->K;
  uint32_t short_rows = c->runs == 1u && c->rw <= 31u, win_step = c->l.s_w * c->cw_in;
  uint32_t dup = 0x10001u | (c->K >> 16); /* 0x10001 (K <= 16382), opaque to constant folding */
  /* lane j of entry (k0/4)*R + r is channel r + (k0 + j)*R; padding lanes
   * (k0 + j >= p) are 0: never set */
  for (k0 = 0, e = tab; k0 < p; k0 += 4u) {
    for (r = 0; r < R; r++, e++) {
      uint32_t j, lanes[4] = {0, 0, 0, 0};
      for (j = 0; j < 4u && k0 + j < p; j++) {
        o = r + (k0 + j) * R;
        lanes[j] = lane_t(t16 ? (int32_t)((const int16_t *)(const void *)c->thresh)[o]
                              : tbn__s32(((const uint32_t *)(const void *)c->thresh)[o]),
                          K);
      }
      *e = (uint64_t)((lanes[0] | (lanes[1] << 16)) - 0xc000c000u) |
           ((uint64_t)((lanes[2] | (lanes[3] << 16)) - 0xc000c000u) << 32);
    }
  }

  /* windows per batch: as many as fit TBN_RB_ACC accumulators */
  for (batch = 1; (batch + 1u) * R <= TBN_RB_ACC; batch++) {}
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
        words16x4(acc, tab, (uint32_t *)(void *)out_pos, c->aux, dup, m, pos_bytes >> 2);
        out_pos += m * pos_bytes;
        continue;
      }
      for (q = 0; q < m; q++, out_pos += pos_bytes) {
        const uint32_t *pa = acc + q * R, *flips = c->aux;
        uint32_t *w = (uint32_t *)(void *)out_pos, buf = 0, nb = 0;
        const uint64_t *t = tab;
        if (R == 16u) { /* each pair of segments is a whole output word */
          for (k0 = 0; k0 < p; k0 += 4u, t += 16, w += 2, flips += 2) {
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
            t += n;
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

/* window_sum for I8/I32 input (TBN_SMALL dots sum signed values instead) */
#ifdef TBN_SMALL
#define WINDOW_SUM(c, win) 0u
#else
/* I8 only: I32 rows take group tables (rows_acc_i32) or sum the window in rows_acc */
#define WINDOW_SUM(c, win) ((c)->l.in_type == TBN_TYPE_I8 ? window_sum((c), (win)) : 0u)
#endif

#ifndef TBN_SMALL
TBN_NOINLINE static void run_weight(const layer_run *c, const void *in, void *out, uint32_t *gather, int reuse) {
  const tbn__layer *l = &c->l;
  uint32_t N = l->out_c, oy, ox, o, r;
  uint32_t pos_bytes = out_pos_bytes(c);
  uint32_t acc[TBN_ACC_CHUNK + 32u];
  uint8_t *out_pos = (uint8_t *)out;

  if (!(l->flags & TBN_LF_ROWS)) {
    /* STREAM: one gathered row per channel, applied at every position */
    uint32_t n = c->K * N, k_mod, start = 0;
    uint32_t q = tbn__udiv(n, l->p, NULL);
    tbn__udiv(c->K, q, &k_mod);
    if (l->out_type == TBN_TYPE_BIN) memset(out, 0, l->out_h * l->out_w * pos_bytes);
    for (o = 0; o < N; o++) {
      gather_row(c, q, start, gather);
      out_pos = (uint8_t *)out;
      for (oy = 0; oy < l->out_h; oy++) {
        for (ox = 0; ox < l->out_w; ox++, out_pos += pos_bytes) {
          const void *win = window_at(c, in, oy, ox);
          uint32_t a;
          rows_acc(c, win, WINDOW_SUM(c, win), gather, 0, 1, 1, &a);
          if (l->out_type == TBN_TYPE_BIN)
            emit_bit(c, (uint32_t *)(void *)out_pos, o, a);
          else
            emit_run(c, out_pos, &a, o, 1, 0, 1);
        }
      }
      start += k_mod;
      if (start >= q) start -= q;
    }
    return;
  }

  for (oy = 0; oy < l->out_h; oy++) {
    for (ox = 0; ox < l->out_w; ox++, out_pos += pos_bytes) {
      const void *win = window_at(c, in, oy, ox);
      uint32_t sum = WINDOW_SUM(c, win);
      if (reuse && (l->flags & TBN_LF_REUSE) && c->rows <= TBN_ACC_CHUNK) {
        /* each distinct row once, then all N channels in order */
        rows_acc(c, win, sum, c->tile, 0, c->rows, c->rows, acc);
        emit_run(c, out_pos, acc, 0, N, 0, c->rows);
#ifndef TBN_SMALL
      } else if (reuse && (l->flags & TBN_LF_REUSE)) {
        /* many distinct rows: each once, its p channels written one by one */
        if (l->out_type == TBN_TYPE_BIN) memset(out_pos, 0, pos_bytes);
        for (r = 0; r < c->rows; r++) {
          uint32_t a;
          rows_acc(c, win, sum, c->tile, r, 1, c->rows, &a);
          for (o = r; o < N; o += c->rows) {
            if (l->out_type == TBN_TYPE_BIN)
              emit_bit(c, (uint32_t *)(void *)out_pos, o, a);
            else
              emit_run(c, out_pos, &a, o, 1, 0, 1);
          }
        }
#endif
      } else {
        /* every channel on its own, in chunks of TBN_ACC_CHUNK */
        uint32_t o0;
        r = 0;
        for (o0 = 0; o0 < N; o0 += TBN_ACC_CHUNK) {
          uint32_t n = N - o0 > TBN_ACC_CHUNK ? TBN_ACC_CHUNK : N - o0;
          rows_acc(c, win, sum, c->tile, r, n, c->rows, acc);
          r += n;
          while (r >= c->rows) r -= c->rows;
          emit_run(c, out_pos, acc, o0, n, 0, n);
        }
      }
    }
  }
}
#else
/* Size-first: one dot per distinct row and output position, applied to
 * every channel that uses the row: with reuse the N/p rows of the tile
 * (channel o uses row o mod N/p: channels g, g + N/p, ...), else each
 * channel on its own (STREAM: its gathered row). The output is zeroed
 * first, so BIN bits are ORed in whatever the channel order. */
TBN_NOINLINE static void run_weight(const layer_run *c, const void *in, void *out, uint32_t *gather, int reuse) {
  const tbn__layer *l = &c->l;
  uint32_t N = l->out_c, pos_bytes = out_pos_bytes(c), oy, ox, o, g, r = 0, start = 0, q = 0, k_mod = 0;
  uint32_t share = reuse && (l->flags & TBN_LF_REUSE) ? c->rows : N;
  const uint32_t *row = gather;
  if (!(l->flags & TBN_LF_ROWS)) {
    q = tbn__udiv(c->K * N, l->p, NULL);
    tbn__udiv(c->K, q, &k_mod);
  }
  memset(out, 0, l->out_h * l->out_w * pos_bytes);
  for (g = 0; g < share; g++) {
    uint8_t *out_pos = (uint8_t *)out;
    if (l->flags & TBN_LF_ROWS) {
      row = c->tile + r * c->rw;
      if (++r == c->rows) r = 0;
    } else {
      /* channel g's K bits start at (g*K) mod q */
      gather_row(c, q, start, gather);
      start += k_mod;
      if (start >= q) start -= q;
    }
    for (oy = 0; oy < l->out_h; oy++) {
      for (ox = 0; ox < l->out_w; ox++, out_pos += pos_bytes) {
        uint32_t a;
        rows_acc(c, window_at(c, in, oy, ox), 0, row, 0, 1, 1, &a);
        for (o = g; o < N; o += share) emit_run(c, out_pos, &a, o, 1, 0, 1);
      }
    }
  }
}
#endif /* TBN_SMALL */


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
}
#endif

tbn_status tbn_run_ex(const tbn_model *m, const void *input, tbn_input_type input_type,
                      size_t input_len, void *scratch, size_t scratch_len, int32_t *logits,
                      size_t logits_len, uint32_t *class_out, int reuse, tbn_layer_hook hook,
                      void *hook_ctx) {
  uint8_t *half[2];
  uint32_t *gather, i, best;
  const void *cur;
  if (!m || !m->data || !input || !scratch || !logits) return TBN_E_ARG;
  if (input_type != TBN_INPUT_F32 && input_type != TBN_INPUT_I8) return TBN_E_ARG;
  if (((uintptr_t)scratch) & (TBN_ALIGN - 1u)) return TBN_E_ALIGN;
  if (input_len != (size_t)m->input_len) return TBN_E_INPUT;
  if (scratch_len < (size_t)m->scratch_bytes) return TBN_E_SCRATCH;
  if (logits_len < (size_t)m->class_count) return TBN_E_OUTPUT;

  half[0] = (uint8_t *)scratch;
  half[1] = half[0] + m->activation_bytes;
  gather = (uint32_t *)(void *)(half[1] + m->activation_bytes);
  if (input_type == TBN_INPUT_F32)
#ifdef TBN_NO_F32_INPUT
    return TBN_E_ARG;
#else
    quantise_input(m, (const uint8_t *)input, (int8_t *)half[0]);
#endif
  else
    memcpy(half[0], input, m->input_len);

  cur = half[0];
  for (i = 0; i < m->layer_count; i++) {
    layer_run c;
    void *out = half[(i + 1u) & 1u];
    if (hook) hook(hook_ctx, i);
    tbn__read_layer(m->data, i, &c.l);
    if (tbn__is_weight(c.l.kind)) {
      c.K = c.l.k_h * c.l.k_w * c.l.in_c;
      c.cw_in = tbn__cw(c.l.in_c);
      c.cw_out = tbn__cw(c.l.out_c);
      c.rw = c.l.k_h * c.l.k_w * c.cw_in;
      c.rows = c.l.p == 1u ? c.l.out_c : tbn__udiv(c.l.out_c, c.l.p, NULL);
      if (c.l.k_w == c.l.in_w) {
        c.runs = 1;
        c.run_pos = c.l.k_h * c.l.k_w;
      } else {
        c.runs = c.l.k_h;
        c.run_pos = c.l.k_w;
      }
      c.step = c.l.in_w * (c.l.in_type == TBN_TYPE_BIN ? c.cw_in : c.l.in_c);
      c.tile = (const uint32_t *)(const void *)(m->data + c.l.tile_offset);
      c.thresh = m->data + c.l.thresh_offset;
      c.aux = (const uint32_t *)(const void *)(m->data + c.l.aux_offset);
#ifndef TBN_SMALL
      if (reuse_bin_fits(&c, reuse))
        run_reuse_bin(&c, cur, (uint8_t *)out, out_pos_bytes(&c));
      else if (pairs_fit(&c, reuse) && pairs_bin_fit(&c, reuse))
        run_i8_pairs_bin(&c, (const int8_t *)cur, (uint8_t *)out, out_pos_bytes(&c), reuse);
      else if (pairs_fit(&c, reuse))
        run_i8_pairs(&c, (const int8_t *)cur, (uint8_t *)out, out_pos_bytes(&c), reuse);
      else if (ring_fits(&c, reuse))
        run_i8_ring(&c, (const int8_t *)cur, (uint8_t *)out, out_pos_bytes(&c), reuse);
      else
#endif
        run_weight(&c, cur, out, gather, reuse);
#ifdef TBN_SMALL
    } else {
      run_pool(&c.l, cur, out);
    }
#else
    } else if (c.l.kind == TBN_KIND_MAXPOOL) {
      run_maxpool(&c.l, cur, out);
    } else {
      run_gap(&c.l, cur, (uint32_t *)out);
    }
#endif
    cur = out;
  }
  if (hook) hook(hook_ctx, m->layer_count);

  best = 0;
  for (i = 0; i < m->class_count; i++) {
    uint32_t v = ((const uint32_t *)cur)[i];
    memcpy(&logits[i], &v, 4);
    if (i && !tbn__ge_s(((const uint32_t *)cur)[best], v)) best = i;
  }
  if (class_out) *class_out = best;
  return TBN_OK;
}

tbn_status tbn_run(const tbn_model *m, const void *input, tbn_input_type input_type,
                   size_t input_len, void *scratch, size_t scratch_len, int32_t *logits,
                   size_t logits_len, uint32_t *class_out) {
  return tbn_run_ex(m, input, input_type, input_len, scratch, scratch_len, logits, logits_len,
                    class_out, 1, NULL, NULL);
}
