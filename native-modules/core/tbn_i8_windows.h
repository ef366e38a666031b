/*
 * tbn_i8_windows.h - int8-input 1-D layers (the first layer of sensor
 * models): subset-sum tables per input position, shared by every window that
 * covers it (a ring) and by every row; two output positions per 32-bit word
 * (paired tables) where the shape allows.
 * Internal to tbn_run.c (included once, after the headers before it): one
 * translation unit, so the build lists stay tbn_open.c + tbn_run.c.
 */
#ifndef TBN_I8_WINDOWS_H
#define TBN_I8_WINDOWS_H

#include "tbn_epilogue.h"
#include "tbn_rows.h"

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
  uint32_t v[6] = {0, 0, 0, 0, 0, 0}, sum = 0, ch, l0, l1, l2, l3, l4, l5, l6, l7;
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
  /* each group of channels 3.. subtracts its sum from the 8 sums of 0-2 */
#define TBN_PAIR_GROUP(j, d)  \
  t[8 * (j)] = l0 - (d);      \
  t[8 * (j) + 1] = l1 - (d);  \
  t[8 * (j) + 2] = l2 - (d);  \
  t[8 * (j) + 3] = l3 - (d);  \
  t[8 * (j) + 4] = l4 - (d);  \
  t[8 * (j) + 5] = l5 - (d);  \
  t[8 * (j) + 6] = l6 - (d);  \
  t[8 * (j) + 7] = l7 - (d);
  TBN_PAIR_GROUP(0, 0u)
  if (groups > 1u) {
    TBN_PAIR_GROUP(1, v[3])
    if (groups > 2u) {
      TBN_PAIR_GROUP(2, v[4])
      TBN_PAIR_GROUP(3, v[3] + v[4])
      if (groups > 4u) {
        TBN_PAIR_GROUP(4, v[5])
        TBN_PAIR_GROUP(5, v[3] + v[5])
        TBN_PAIR_GROUP(6, v[4] + v[5])
        TBN_PAIR_GROUP(7, v[3] + v[4] + v[5])
      }
    }
  }
#undef TBN_PAIR_GROUP
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

/* Rows and lane compares fused, for layers whose N channels (a multiple of
 * 16) each have their own row: per 16 channels one word whose bits 0-15 and
 * 16-31 are acc >= T for positions x and x + 1, written into w0 and w1
 * (low or high half of each output word). */
TBN_NOINLINE static void pair_bits(const uint32_t *const *tabs, const uint32_t *tile, uint32_t rw,
                                   uint32_t N, const uint32_t *cmp, uint32_t *w0, uint32_t *w1, uint32_t kw) {
  const uint32_t *row = tile;
  const uint32_t *t0 = tabs[0], *t1 = tabs[kw > 1u ? 1 : 0], *t2 = tabs[kw > 2u ? 2 : 0];
  uint32_t o0, i, d;
  for (o0 = 0; o0 < N; o0 += 16u) {
    uint32_t b = 0;
    if (kw == 5u) {
      const uint32_t *t3 = tabs[3], *t4 = tabs[4];
      for (i = 0; i < 16u; i++, row += rw, cmp++)
        b = (b >> 1) | ((t0[row[0]] + t1[row[1]] + t2[row[2]] + t3[row[3]] + t4[row[4]] - *cmp) & 0x80008000u);
    } else if (kw == 3u) {
      for (i = 0; i < 16u; i++, row += rw, cmp++)
        b = (b >> 1) | ((t0[row[0]] + t1[row[1]] + t2[row[2]] - *cmp) & 0x80008000u);
    } else {
      for (i = 0; i < 16u; i++, row += rw, cmp++) {
        uint32_t s = 0;
        for (d = 0; d < kw; d++) s += tabs[d][row[d]];
        b = (b >> 1) | ((s - *cmp) & 0x80008000u);
      }
    }
    if (o0 & 16u) {
      w0[o0 >> 5] |= b << 16;
      w1[o0 >> 5] |= b & 0xffff0000u;
    } else {
      w0[o0 >> 5] = b & 0xffffu;
      w1[o0 >> 5] = b >> 16;
    }
  }
}

TBN_NOINLINE static void run_i8_pairs_bin(const layer_run *c, const int8_t *in, uint8_t *out_pos,
                                          uint32_t pos_bytes, int reuse) {
  uint32_t ring[TBN_PAIR_ENTRIES];
  uint32_t sums[TBN_PAIR_BIN_MAX], cmp[TBN_PAIR_BIN_MAX];
  const uint32_t *tabs[TBN_PAIR_MAX_KW];
  uint32_t N = c->l.out_c, out_w = c->l.out_w, next = 0, slot = 0, x, o, o0;
  uint32_t n = reuse && (c->l.flags & TBN_LF_REUSE) ? c->rows : N, cw = c->cw_out, spare[2];
  int32_t bound = (int32_t)(c->K << 7) + 1;
  int fused = c->rows == N && (N & 15u) == 0;
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
    if (fused) {
      /* the last odd position's neighbour goes to a spare buffer */
      pair_bits(tabs, c->tile, c->rw, N, cmp, w0, x + 1u < out_w ? w1 : spare, c->l.k_w);
    } else {
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

#endif /* TBN_I8_WINDOWS_H */
