/*
 * tbn_rows.h - dense/conv rows: the dot products of a window against
 * filter rows. BIN: XOR-popcount (tbn_popcount.h chooses the sequence per
 * core); I8: subset-sum tables per group of 4 channels; I32: signed group
 * tables. rows_acc picks among them.
 * Internal to tbn_run.c (included once, after the headers before it): one
 * translation unit, so the build lists stay tbn_open.c + tbn_run.c.
 */
#ifndef TBN_ROWS_H
#define TBN_ROWS_H

#include "tbn_popcount.h"
#include "tbn_run_layer.h"
#include "tbn_rows_xtensa.h"

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

#if defined(__thumb2__) && defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
/* The 128 signed sums of a full 32-channel word: build_signed16 for 8
 * groups, with one LDM for the 4 inputs and two STMs for the 16 sums of
 * a group (GCC stores them one or two at a time). */
#define TBN_SIGNED16_WORD 1
/* its own function: the clobbers leave an inlining caller too few registers */
#if defined(__OPTIMIZE_SIZE__)
#define TBN_S16_CALLS 8 /* -Os: one group per pass (0.55 KB less text) */
#define TBN_S16_REPT "1"
#else
#define TBN_S16_CALLS 1
#define TBN_S16_REPT "8"
#endif
TBN_NOINLINE static void build_signed16_word(uint32_t *t, const uint32_t *v) {
  int i;
  for (i = 0; i < TBN_S16_CALLS; i++) __asm__ volatile(
      ".rept " TBN_S16_REPT "\n\t"
      "ldmia %[v]!, {r1, r2, r12, lr}\n\t"
      "add r0, r1, r2\n\t"
      "add r0, r0, r12\n\t"
      "add r0, r0, lr\n\t"
      "sub r1, r0, r1, lsl #1\n\t"
      "sub r3, r1, r2, lsl #1\n\t"
      "sub r2, r0, r2, lsl #1\n\t"
      "sub r4, r0, r12, lsl #1\n\t"
      "sub r5, r1, r12, lsl #1\n\t"
      "sub r6, r2, r12, lsl #1\n\t"
      "sub r7, r3, r12, lsl #1\n\t"
      "stmia %[t]!, {r0, r1, r2, r3, r4, r5, r6, r7}\n\t"
      "sub r0, r0, lr, lsl #1\n\t"
      "sub r1, r1, lr, lsl #1\n\t"
      "sub r2, r2, lr, lsl #1\n\t"
      "sub r3, r3, lr, lsl #1\n\t"
      "sub r4, r4, lr, lsl #1\n\t"
      "sub r5, r5, lr, lsl #1\n\t"
      "sub r6, r6, lr, lsl #1\n\t"
      "sub r7, r7, lr, lsl #1\n\t"
      "stmia %[t]!, {r0, r1, r2, r3, r4, r5, r6, r7}\n\t"
      ".endr"
      : [v] "+r"(v), [t] "+r"(t)
      :
      : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r12", "lr", "memory");
}
#else
#define TBN_SIGNED16_WORD 0
#endif

/* The signed sum of a full word's 8 nibble groups from its 128-entry table. */
static TBN_ALWAYS_INLINE uint32_t lookup_signed16_word(const uint32_t *tp, uint32_t b) {
  return tp[b & 15u] + (tp + 16)[(b >> 4) & 15u] + (tp + 32)[(b >> 8) & 15u] +
         (tp + 48)[(b >> 12) & 15u] + (tp + 64)[(b >> 16) & 15u] + (tp + 80)[(b >> 20) & 15u] +
         (tp + 96)[(b >> 24) & 15u] + (tp + 112)[b >> 28];
}

#if TBN_SIGNED16_WORD
/* acc[k], k < n, of the n consecutive rows at `row` for one window of
 * whole 32-channel words (a dense layer): per word its 128-entry table,
 * then one lookup per row; the first word's sums start the accumulators. */
TBN_NOINLINE static void dense_i32_words(const layer_run *c, const uint32_t *x, const uint32_t *row0,
                                         uint32_t n, uint32_t *acc) {
  uint32_t tab[128], rw = c->rw, w, k;
  const uint32_t *tp = tab; /* a pointer register: GCC otherwise rebuilds sp + offset per load */
  __asm__("" : "+r"(tp));
  for (w = 0; w < c->cw_in; w++) {
    const uint32_t *row = row0 + w;
    build_signed16_word(tab, x + (w << 5));
    if (w == 0u)
      for (k = 0; k < n; k++, row += rw) acc[k] = lookup_signed16_word(tp, *row);
    else
      for (k = 0; k < n; k++, row += rw) acc[k] += lookup_signed16_word(tp, *row);
  }
}
#endif

TBN_NOINLINE static void rows_acc_i32(const layer_run *c, const uint32_t *x, const uint32_t *base,
                                      uint32_t r0, uint32_t n, uint32_t wrap, uint32_t *acc) {
  uint32_t tab[128];
  uint32_t in_c = c->l.in_c, positions = c->runs * c->run_pos, j, w, k, dy = 0, dx = 0;
#if TBN_SIGNED16_WORD
  if (positions == 1u && !(in_c & 31u) && n <= wrap - r0) {
    dense_i32_words(c, x, base + r0 * c->rw, n, acc);
    return;
  }
#endif
  for (k = 0; k < n; k++) acc[k] = 0;
  for (j = 0; j < positions; j++) {
    const uint32_t *xp = x + dy * c->step + dx * in_c;
    for (w = 0; w < c->cw_in; w++) {
      uint32_t nc = in_c - (w << 5) > 32u ? 32u : in_c - (w << 5), groups = (nc + 3u) >> 2, g, r = r0;
      const uint32_t *row = base + r0 * c->rw + j * c->cw_in + w;
#if TBN_SIGNED16_WORD
      if (nc == 32u)
        build_signed16_word(tab, xp + (w << 5));
      else
#endif
        for (g = 0; g < groups; g++) build_signed16(tab + (g << 4), xp + (w << 5) + (g << 2), nc - (g << 2));
      for (k = 0; k < n; k++) {
        uint32_t b = *row, s;
        if (groups == 8u) {
          const uint32_t *tp = tab; /* as above */
#if defined(__GNUC__)
          __asm__("" : "+r"(tp));
#endif
          s = lookup_signed16_word(tp, b);
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

/* 5- and 10-word rows: asm on lx106 (tbn_rows_xtensa.h), carry-save C on
 * RV32 (rows5_csa below), rows5 elsewhere */
#if defined(__riscv) && !TBN_HW_POPCOUNT && !defined(TBN_SMALL)
#define TBN_ROWS_CSA 1
#else
#define TBN_ROWS_CSA 0
#endif

#if !(TBN_WASM_SIMD || TBN_HW_POPCOUNT) && !TBN_XT_ROWS5 && !TBN_ROWS_CSA
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

/* RV32IMC (no shifted operands, 31 registers, MUL): the carry-save form of
 * tbn_rows_xtensa.h in C. Adders fold 5 (10) XORed words into 3 (4)
 * weighted words before the SWAR steps, the input words are complemented
 * once (matching bits are counted: acc = K - 64 * rw + 2 * matches). One
 * copy of each loop at -Os, inlined into both callers at -O2. */
#if TBN_ROWS_CSA
static TBN_SPEED_INLINE void rows5_csa(const uint32_t *x, const uint32_t *row, uint32_t K, uint32_t n,
                                       uint32_t *acc, int twice) {
  uint32_t x0 = ~x[0], x1 = ~x[1], x2 = ~x[2], x3 = ~x[3], x4 = ~x[4], kc = K - 320u, k;
  uint32_t bytes1 = 0x01010101u;
  /* opaque: GCC would move the complements back into the loop as NOTs and
   * expand the multiply into shifts and adds */
  __asm__("" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(bytes1));
  for (k = 0; k < n; k++, row += 5) {
    uint32_t o, t1, t2, v, f;
    TBN__CSA(t1, o, x0 ^ row[0], x1 ^ row[1], x2 ^ row[2]);
    TBN__CSA(t2, o, o, x3 ^ row[3], x4 ^ row[4]);
    /* o + 2 * (t1 ^ t2) + 4 * (t1 & t2): nibbles <= 12, bytes <= 40, sum <= 160 */
    v = tbn__nibble_counts(o) + 2u * tbn__nibble_counts(t1 ^ t2);
    f = tbn__nibble_counts(t1 & t2);
    v = (v & 0x0f0f0f0fu) + ((v >> 4) & 0x0f0f0f0fu) + 4u * ((f + (f >> 4)) & 0x0f0f0f0fu);
    /* twice: 2 * matches from bits 23-31 (bytes 0-2 sum to <= 120: bit 23 is 0) */
    acc[k] = twice ? (v * bytes1) >> 23 : kc + 2u * ((v * bytes1) >> 24);
  }
}

static TBN_SPEED_INLINE void rows10_csa(const uint32_t *x, const uint32_t *row, uint32_t K, uint32_t n,
                                        uint32_t *acc, int twice) {
  uint32_t x0 = ~x[0], x1 = ~x[1], x2 = ~x[2], x3 = ~x[3], x4 = ~x[4], kc = K - 640u, k;
  uint32_t x5 = ~x[5], x6 = ~x[6], x7 = ~x[7], x8 = ~x[8], x9 = ~x[9];
  __asm__("" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4));
  __asm__("" : "+r"(x5), "+r"(x6), "+r"(x7), "+r"(x8), "+r"(x9));
  for (k = 0; k < n; k++, row += 10) {
    uint32_t o, ta, tb, tc, td, te, t, fa, fb, w9, v, f;
    TBN__CSA(ta, o, x0 ^ row[0], x1 ^ row[1], x2 ^ row[2]);
    TBN__CSA(tb, o, o, x3 ^ row[3], x4 ^ row[4]);
    TBN__CSA(tc, o, o, x5 ^ row[5], x6 ^ row[6]);
    TBN__CSA(fa, t, ta, tb, tc);
    TBN__CSA(td, o, o, x7 ^ row[7], x8 ^ row[8]);
    w9 = x9 ^ row[9];
    te = o & w9;
    o ^= w9;
    TBN__CSA(fb, t, t, td, te);
    /* o + 2t + 4 (fa ^ fb) + 8 (fa & fb): bytes <= 80, sum <= 320 */
    v = tbn__nibble_counts(o) + 2u * tbn__nibble_counts(t);
    f = tbn__nibble_counts(fa ^ fb) + 2u * tbn__nibble_counts(fa & fb);
    v = (v & 0x0f0f0f0fu) + ((v >> 4) & 0x0f0f0f0fu) + 4u * ((f & 0x0f0f0f0fu) + ((f >> 4) & 0x0f0f0f0fu));
    v += v >> 8;
    acc[k] = (twice ? 0u : kc) + 2u * ((v & 0xffu) + ((v >> 16) & 0xffu));
  }
}
#endif

/* acc[k] = K - 2 * mismatches of x against n consecutive rows of rw <= 31
 * words. Its callers are kept apart (and small) so the compiler keeps
 * everything in registers around the popcount sequence. */
static TBN_ALWAYS_INLINE void rows_acc_short(const uint32_t *x, const uint32_t *row, uint32_t rw,
                                             uint32_t K, uint32_t n, uint32_t *acc, int twice) {
#if !(TBN_WASM_SIMD || TBN_HW_POPCOUNT)
#if TBN_XT_ROWS5
  /* tbn_rows_xtensa.h; kc = K - 64 * rw: the loops count matching bits */
  if (rw == 5u) {
    if (n) rows5_xt(x, row, n, K - 320u, acc, twice);
    return;
  }
  if (rw == 10u) {
    if (n) rows10_xt(x, row, n, K - 640u, acc, twice);
    return;
  }
#elif TBN_ROWS_CSA
  if (rw == 5u) {
    rows5_csa(x, row, K, n, acc, twice);
    return;
  }
  if (rw == 10u) {
    rows10_csa(x, row, K, n, acc, twice);
    return;
  }
#else
  if (rw == 5u) {
    rows5(x, row, 5u, K, n, acc, 1, 1);
    return;
  }
  if (rw == 10u) {
    rows5(x, row, 10u, K, n, acc, 1, 0);
    rows5(x + 5, row + 5, 10u, K, n, acc, 0, 1);
    return;
  }
#endif
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
  (void)twice;
  while (n--) {
    *acc++ = K - 2u * tbn__xor_popcount_short(x, row, rw);
    row += rw;
  }
}

TBN_NOINLINE static void rows_acc_bin_short(const uint32_t *x, const uint32_t *row, uint32_t rw,
                                            uint32_t K, uint32_t n, uint32_t *acc) {
  rows_acc_short(x, row, rw, K, n, acc, 0);
}

/* lx106 and RV32 at -O2: the 5- and 10-word loops can leave 2 * matches =
 * acc - kc (kc = K - 64 * rw) and save the add of kc; rows_batch_base says
 * what rows_acc_bin_batch subtracted. */
#if (TBN_XT_ROWS5 || TBN_ROWS_CSA) && !defined(__OPTIMIZE_SIZE__)
#define TBN_ROWS_TWICE 1
#else
#define TBN_ROWS_TWICE 0
#endif
static uint32_t rows_batch_base(uint32_t rw, uint32_t K) {
  return TBN_ROWS_TWICE && (rw == 5u || rw == 10u) ? K - 64u * rw : 0u;
}

/* acc[k] - rows_batch_base(rw, K) of `npos` windows x, x + xstep, ...
 * against the n rows, n entries per window (run_reuse_bin): several windows
 * per call spread the call's setup (the SWAR masks, saved registers) over
 * more rows. */
TBN_NOINLINE static void rows_acc_bin_batch(const uint32_t *x, const uint32_t *row, uint32_t rw,
                                            uint32_t K, uint32_t n, uint32_t npos, uint32_t xstep,
                                            uint32_t *acc) {
#if TBN_XT_ROWS5
  if (rw == 5u) { /* the window loop around the asm: its constants stored once */
    if (n) rows5_xt_windows(x, xstep, row, n, K - 320u, acc, npos, TBN_ROWS_TWICE);
    return;
  }
#endif
  for (; npos; npos--, x += xstep, acc += n) rows_acc_short(x, row, rw, K, n, acc, TBN_ROWS_TWICE);
}

/* Rows of at least TBN_LONG_ROW words (one contiguous run) on cores with
 * the Harley-Seal loop (tbn_popcount.h: TBN_POPCOUNT_CSA): whole blocks of
 * 16 words through it, the rest through the short path; one call for n
 * rows keeps the masks and saved registers out of the per-row cost. */
#if TBN_POPCOUNT_CSA
#define TBN_LONG_ROW 32u
TBN_NOINLINE static void rows_acc_bin_long(const uint32_t *x, const uint32_t *row, uint32_t rw,
                                           uint32_t K, uint32_t n, uint32_t *acc) {
  uint32_t whole = rw & ~(TBN_CSA_BLOCK - 1u), rest = rw - whole;
  for (; n; n--, row += rw) {
    uint32_t mism = tbn__xor_popcount_csa(x, row, whole / TBN_CSA_BLOCK);
    if (rest) mism += tbn__xor_popcount_short(x + whole, row + whole, rest);
    *acc++ = K - 2u * mism;
  }
}
#else
#define TBN_LONG_ROW 0xffffffffu
#endif

/* Binary rows r0.. up to the wrap, then from row 0, through `rows` (a
 * constant at each call: inlined, the calls stay direct). */
static TBN_ALWAYS_INLINE void rows_acc_bin_wrapped(void (*rows)(const uint32_t *, const uint32_t *, uint32_t,
                                                                uint32_t, uint32_t, uint32_t *),
                                                   const layer_run *c, const uint32_t *x, const uint32_t *base,
                                                   uint32_t r0, uint32_t n, uint32_t wrap, uint32_t *acc) {
  uint32_t first = wrap - r0 < n ? wrap - r0 : n, k;
  rows(x, base + r0 * c->rw, c->rw, c->K, first, acc);
  for (k = first; k < n; k += wrap) rows(x, base, c->rw, c->K, n - k < wrap ? n - k : wrap, acc + k);
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
    /* the common binary case: one contiguous run of at most 31 words */
    rows_acc_bin_wrapped(rows_acc_bin_short, c, (const uint32_t *)win, base, r0, n, wrap, acc);
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
#if TBN_POPCOUNT_CSA
  /* long rows: after the I8/I32 tests, so those paths keep their cost */
  if (c->l.in_type == TBN_TYPE_BIN && c->runs == 1u && c->rw >= TBN_LONG_ROW) {
    rows_acc_bin_wrapped(rows_acc_bin_long, c, (const uint32_t *)win, base, r0, n, wrap, acc);
    return;
  }
#endif
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

#endif /* TBN_ROWS_H */
