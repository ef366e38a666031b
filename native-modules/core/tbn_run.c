/*
 * tbn_run.c - inference over a model validated by tbn_model_open.
 *
 * Activations ping-pong between the two A-byte halves of the caller's
 * scratch buffer; the STREAM gather row lives after them. Weight layers:
 *   ROWS + REUSE  per output position, each of the N/p distinct rows is
 *                 dotted once and compared against its p threshold sets
 *                 (channels r, r + N/p, r + 2N/p, ...);
 *   ROWS          every channel dots its row (o mod N/p) on its own;
 *   STREAM        per channel, its K tile bits starting at (o*K) mod q are
 *                 gathered into a padded row, then dotted at every position.
 * All accumulation wraps in uint32_t, as the format specifies.
 */
#include "tbn_internal.h"
#include "tbn_popcount.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tbn_run.c reads aligned little-endian words directly: port before use on big-endian"
#endif

/* A weight or pooling layer ready to run. */
typedef struct {
  tbn__layer l;
  uint32_t K;        /* filter length k_h*k_w*in_c */
  uint32_t cw_in;    /* words per input position (BIN input) */
  uint32_t cw_out;   /* words per output position (BIN output) */
  uint32_t rw;       /* words per padded filter row */
  uint32_t runs;     /* contiguous runs of a window: k_h, or 1 when k_w == in_w */
  uint32_t run_pos;  /* positions per run */
  const uint32_t *tile;
  const uint8_t *thresh; /* T (BIN out) or M */
  const uint32_t *aux;   /* flip bits (BIN out) or B */
} layer_run;

/* acc of a BIN input window at input position `base` against `row`. */
static uint32_t dot_bin(const layer_run *c, const uint32_t *in, uint32_t base, const uint32_t *row) {
  uint32_t len = c->run_pos * c->cw_in, mism = 0, dy;
  const uint32_t *x = in + base * c->cw_in;
  const uint32_t step = c->l.in_w * c->cw_in;
  for (dy = 0; dy < c->runs; dy++, x += step, row += len) mism += tbn__xor_popcount(x, row, len);
  return c->K - 2u * mism;
}

/* acc of an I8 input window: +x where the weight bit is 0, -x where it is 1. */
static uint32_t dot_i8(const layer_run *c, const int8_t *in, uint32_t base, const uint32_t *row) {
  uint32_t acc = 0, dy, pos, cw, in_c = c->l.in_c;
  const int8_t *x = in + base * in_c;
  for (dy = 0; dy < c->runs; dy++, x += c->l.in_w * in_c) {
    const int8_t *xp = x;
    for (pos = 0; pos < c->run_pos; pos++) {
      uint32_t left = in_c;
      for (cw = 0; cw < c->cw_in; cw++) {
        uint32_t bits = *row++, n = left > 32u ? 32u : left;
        left -= n;
        while (n--) {
          uint32_t m = 0u - (bits & 1u);
          acc += ((uint32_t)(int32_t)*xp++ ^ m) - m;
          bits >>= 1;
        }
      }
    }
  }
  return acc;
}

static uint32_t dot_i32(const layer_run *c, const uint32_t *in, uint32_t base, const uint32_t *row) {
  uint32_t acc = 0, dy, pos, cw, in_c = c->l.in_c;
  const uint32_t *x = in + base * in_c;
  for (dy = 0; dy < c->runs; dy++, x += c->l.in_w * in_c) {
    const uint32_t *xp = x;
    for (pos = 0; pos < c->run_pos; pos++) {
      uint32_t left = in_c;
      for (cw = 0; cw < c->cw_in; cw++) {
        uint32_t bits = *row++, n = left > 32u ? 32u : left;
        left -= n;
        while (n--) {
          uint32_t m = 0u - (bits & 1u);
          acc += (*xp++ ^ m) - m;
          bits >>= 1;
        }
      }
    }
  }
  return acc;
}

static uint32_t dot(const layer_run *c, const void *in, uint32_t base, const uint32_t *row) {
  switch (c->l.in_type) {
    case TBN_TYPE_BIN: return dot_bin(c, (const uint32_t *)in, base, row);
    case TBN_TYPE_I8: return dot_i8(c, (const int8_t *)in, base, row);
    default: return dot_i32(c, (const uint32_t *)in, base, row);
  }
}

/* Writes output channel o of output position `pos` from its accumulator. */
static void emit(const layer_run *c, void *out, uint32_t pos, uint32_t o, uint32_t acc) {
  if (c->l.out_type == TBN_TYPE_BIN) {
    uint32_t t, flip;
    if (c->l.flags & TBN_LF_T16)
      t = (uint32_t)(int32_t)((const int16_t *)(const void *)c->thresh)[o];
    else
      t = ((const uint32_t *)(const void *)c->thresh)[o];
    flip = (c->aux[o >> 5] >> (o & 31u)) & 1u;
    /* bit 1 = -1: set unless (acc >= T) XOR flip */
    if (!(tbn__ge_s(acc, t) ^ flip))
      ((uint32_t *)out)[pos * c->cw_out + (o >> 5)] |= 1u << (o & 31u);
  } else {
    uint32_t mul = ((const uint32_t *)(const void *)c->thresh)[o];
    uint32_t v = tbn__asr(acc * mul + c->aux[o], c->l.shift);
    uint32_t at = pos * c->l.out_c + o;
    if (c->l.out_type == TBN_TYPE_I8)
      ((int8_t *)out)[at] = (int8_t)((v & 0x80000000u) ? 0 : (v > 127u ? 127 : (int)v));
    else
      ((uint32_t *)out)[at] = v;
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

static void run_weight(const uint8_t *model, const layer_run *c, const void *in, void *out,
                       uint32_t *gather, int reuse) {
  const tbn__layer *l = &c->l;
  uint32_t N = l->out_c, oy, ox, o, pos, r;
  uint32_t positions = l->out_h * l->out_w;
  (void)model;
  if (l->out_type == TBN_TYPE_BIN) memset(out, 0, positions * c->cw_out * 4u);

  if (l->flags & TBN_LF_ROWS) {
    uint32_t rows = tbn__udiv(N, l->p, NULL);
    for (oy = 0, pos = 0; oy < l->out_h; oy++) {
      uint32_t base = oy * l->s_h * l->in_w;
      for (ox = 0; ox < l->out_w; ox++, pos++, base += l->s_w) {
        const uint32_t *row = c->tile;
        if (reuse && (l->flags & TBN_LF_REUSE)) {
          for (r = 0; r < rows; r++, row += c->rw) {
            uint32_t acc = dot(c, in, base, row);
            for (o = r; o < N; o += rows) emit(c, out, pos, o, acc);
          }
        } else {
          for (o = 0, r = 0; o < N; o++) {
            emit(c, out, pos, o, dot(c, in, base, row));
            if (++r == rows) {
              r = 0;
              row = c->tile;
            } else {
              row += c->rw;
            }
          }
        }
      }
    }
  } else {
    uint32_t n = c->K * N, k_mod, start = 0;
    uint32_t q = tbn__udiv(n, l->p, NULL);
    tbn__udiv(c->K, q, &k_mod);
    for (o = 0; o < N; o++) {
      gather_row(c, q, start, gather);
      for (oy = 0, pos = 0; oy < l->out_h; oy++) {
        uint32_t base = oy * l->s_h * l->in_w;
        for (ox = 0; ox < l->out_w; ox++, pos++, base += l->s_w)
          emit(c, out, pos, o, dot(c, in, base, gather));
      }
      start += k_mod;
      if (start >= q) start -= q;
    }
  }
}

/* The int8 whose two's-complement low byte v holds (no implementation-defined
 * narrowing conversion). */
static int8_t to_i8(uint32_t v) {
  int b = (int)(v & 0xffu);
  return (int8_t)(b >= 128 ? b - 256 : b);
}

static void run_maxpool(const tbn__layer *l, const void *in, void *out) {
  uint32_t oy, ox, dy, dx, ch, pos = 0;
  uint32_t c = l->in_type == TBN_TYPE_BIN ? tbn__cw(l->in_c) : l->in_c;
  for (oy = 0; oy < l->out_h; oy++) {
    for (ox = 0; ox < l->out_w; ox++, pos++) {
      uint32_t base = oy * l->s_h * l->in_w + ox * l->s_w;
      for (ch = 0; ch < c; ch++) {
        uint32_t first = 1, best = 0;
        for (dy = 0; dy < l->k_h; dy++) {
          for (dx = 0; dx < l->k_w; dx++) {
            uint32_t at = (base + dy * l->in_w + dx) * c + ch;
            if (l->in_type == TBN_TYPE_BIN) {
              /* +1 (bit 0) wins: the output bit is 1 only if all are 1 */
              best = first ? ((const uint32_t *)in)[at] : best & ((const uint32_t *)in)[at];
            } else {
              uint32_t v = l->in_type == TBN_TYPE_I8 ? (uint32_t)(int32_t)((const int8_t *)in)[at]
                                                    : ((const uint32_t *)in)[at];
              if (first || !tbn__ge_s(best, v)) best = v;
            }
            first = 0;
          }
        }
        if (l->in_type == TBN_TYPE_I8)
          ((int8_t *)out)[pos * c + ch] = to_i8(best);
        else
          ((uint32_t *)out)[pos * c + ch] = best;
      }
    }
  }
}

static void run_gap(const tbn__layer *l, const void *in, uint32_t *out) {
  uint32_t positions = l->in_h * l->in_w, pos, ch, c = l->in_c;
  memset(out, 0, c * 4u);
  if (l->in_type == TBN_TYPE_BIN) {
    uint32_t cw = tbn__cw(c);
    const uint32_t *x = (const uint32_t *)in;
    for (pos = 0; pos < positions; pos++, x += cw)
      for (ch = 0; ch < c; ch++) out[ch] += (x[ch >> 5] >> (ch & 31u)) & 1u; /* count -1s */
    for (ch = 0; ch < c; ch++) out[ch] = positions - 2u * out[ch];
  } else if (l->in_type == TBN_TYPE_I8) {
    const int8_t *x = (const int8_t *)in;
    for (pos = 0; pos < positions; pos++)
      for (ch = 0; ch < c; ch++) out[ch] += (uint32_t)(int32_t)*x++;
  } else {
    const uint32_t *x = (const uint32_t *)in;
    for (pos = 0; pos < positions; pos++)
      for (ch = 0; ch < c; ch++) out[ch] += *x++;
  }
}

#ifndef TBN_NO_F32_INPUT
/* int8 quantisation of a float input, exactly as tbn_format.h specifies.
 * Builds for cores whose libgcc lacks soft-float routines (Debian's lx106
 * has no __addsf3/__mulsf3) define TBN_NO_F32_INPUT: float input is then
 * refused with TBN_E_ARG and the caller quantises (Math.fround in JS gives
 * the same f32 arithmetic). */
static void quantise_input(const tbn_model *m, const uint8_t *input, int8_t *out) {
  const uint8_t *quant = m->data + tbn__rd32(m->data, TBN_HDR_QUANT_OFFSET_U32);
  uint32_t in_c = tbn__rd16(m->data, TBN_HDR_IN_C_U16), i, ch = 0;
  for (i = 0; i < m->input_len; i++) {
    float x, mul, add, t, f;
    int32_t q;
    memcpy(&x, input + i * 4u, 4);
    memcpy(&mul, quant + ch * 8u, 4);
    memcpy(&add, quant + ch * 8u + 4u, 4);
    t = x * mul;
    t = t + add;
    if (!(t >= -127.0f)) {
      q = -127;
    } else if (t > 127.0f) {
      q = 127;
    } else {
      q = (int32_t)t;
      f = t - (float)q;
      q = q + (f >= 0.5f) - (f <= -0.5f);
    }
    out[i] = (int8_t)q;
    if (++ch == in_c) ch = 0;
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
      if (c.l.k_w == c.l.in_w) {
        c.runs = 1;
        c.run_pos = c.l.k_h * c.l.k_w;
      } else {
        c.runs = c.l.k_h;
        c.run_pos = c.l.k_w;
      }
      c.tile = (const uint32_t *)(const void *)(m->data + c.l.tile_offset);
      c.thresh = m->data + c.l.thresh_offset;
      c.aux = (const uint32_t *)(const void *)(m->data + c.l.aux_offset);
      run_weight(m->data, &c, cur, out, gather, reuse);
    } else if (c.l.kind == TBN_KIND_MAXPOOL) {
      run_maxpool(&c.l, cur, out);
    } else {
      run_gap(&c.l, cur, (uint32_t *)out);
    }
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
