/*
 * tbn_run_layer.h - the weight layer record every run path shares (layer_run),
 * window addressing, inlining attributes.
 * Internal to tbn_run.c (included once, after the headers before it): one
 * translation unit, so the build lists stay tbn_open.c + tbn_run.c.
 */
#ifndef TBN_RUN_LAYER_H
#define TBN_RUN_LAYER_H

#include "tbn_internal.h"

/* Stack-heavy helpers stay out of their callers' frames, so the deepest
 * call chain holds only one of their tables. */
#if defined(__GNUC__)
#define TBN_NOINLINE __attribute__((noinline))
#define TBN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TBN_NOINLINE
#define TBN_ALWAYS_INLINE inline
#endif

/* Loops with two callers: inlined into both at -O2, one shared copy at -Os. */
#if defined(__OPTIMIZE_SIZE__)
#define TBN_SPEED_INLINE TBN_NOINLINE
#else
#define TBN_SPEED_INLINE TBN_ALWAYS_INLINE
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

#endif /* TBN_RUN_LAYER_H */
