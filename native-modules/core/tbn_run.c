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

#include "tbn_run_layer.h"
#include "tbn_rows.h"
#include "tbn_epilogue.h"
#include "tbn_i8_windows.h"
#include "tbn_reuse.h"
#include "tbn_pool.h"
#include "tbn_quantise.h"

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

#if TBN_SIGNED16_WORD
/* A dense layer over whole words of I32 input (after the global average
 * pool), non-BIN output: its rows straight into the table kernel, then the
 * requantisation, as run_weight would (reuse: the N/p rows; else all N
 * rows without a wrap), without its per-position dispatch. Returns 0 (and
 * does nothing) for any other layer. */
TBN_NOINLINE static int run_dense_i32(const layer_run *c, const void *in, void *out, int reuse) {
  const tbn__layer *l = &c->l;
  uint32_t acc[TBN_ACC_CHUNK], nrows;
  if (l->in_type != TBN_TYPE_I32 || l->out_type == TBN_TYPE_BIN || !(l->flags & TBN_LF_ROWS) ||
      l->out_h != 1u || l->out_w != 1u || c->runs * c->run_pos != 1u || (l->in_c & 31u))
    return 0;
  nrows = reuse && (l->flags & TBN_LF_REUSE) && c->rows <= TBN_ACC_CHUNK ? c->rows : l->out_c;
  if (nrows > TBN_ACC_CHUNK || nrows > c->rows) return 0;
  dense_i32_words(c, (const uint32_t *)in, c->tile, nrows, acc);
  emit_run(c, out, acc, 0, l->out_c, 0, nrows);
  return 1;
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
  if ((uint32_t)input_type > (uint32_t)TBN_INPUT_I16) return TBN_E_ARG; /* F32, I8, I16 */
  if (((uintptr_t)scratch) & (TBN_ALIGN - 1u)) return TBN_E_ALIGN;
  if (input_len != (size_t)m->input_len) return TBN_E_INPUT;
  if (scratch_len < (size_t)m->scratch_bytes) return TBN_E_SCRATCH;
  if (logits_len < (size_t)m->class_count) return TBN_E_OUTPUT;

  half[0] = (uint8_t *)scratch;
  half[1] = half[0] + m->activation_bytes;
  gather = (uint32_t *)(void *)(half[1] + m->activation_bytes);
  if (input_type == TBN_INPUT_I16) {
    tbn_status s = quantise_i16(m, (const tbn_input_i16 *)input, (int8_t *)half[0]);
    if (s != TBN_OK) return s;
  } else if (input_type == TBN_INPUT_F32) {
#ifdef TBN_NO_F32_INPUT
    return TBN_E_ARG;
#else
    quantise_input(m, (const uint8_t *)input, (int8_t *)half[0]);
#endif
  } else {
    memcpy(half[0], input, m->input_len);
  }

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
#if TBN_SIGNED16_WORD
      else if (run_dense_i32(&c, cur, out, reuse)) {
      }
#endif
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
