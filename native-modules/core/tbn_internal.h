/*
 * tbn_internal.h - helpers shared by the kernel's translation units
 * (tbn_open.c: validation, tbn_run.c: inference). Not part of the API.
 *
 * Rules kept everywhere in core/: no division or modulo operators (the lx106
 * libgcc has no division helpers; tbn__udiv is a shift-subtract loop used
 * only outside inner loops), all wrapping arithmetic in uint32_t (no
 * signed-overflow UB whatever the file says), no 64-bit multiply.
 */
#ifndef TBN_INTERNAL_H
#define TBN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../tbn.h"
#include "../tbn_format.h"

/* Little-endian field reads by byte offset (the format never relies on
 * struct layout or host byte order). */
static inline uint32_t tbn__rd8(const uint8_t *p, uint32_t off) { return p[off]; }
static inline uint32_t tbn__rd16(const uint8_t *p, uint32_t off) {
  return (uint32_t)p[off] | ((uint32_t)p[off + 1] << 8);
}
static inline uint32_t tbn__rd32(const uint8_t *p, uint32_t off) {
  return (uint32_t)p[off] | ((uint32_t)p[off + 1] << 8) | ((uint32_t)p[off + 2] << 16) |
         ((uint32_t)p[off + 3] << 24);
}

/* One layer record, decoded. */
typedef struct {
  uint32_t kind, in_type, out_type, flags;
  uint32_t in_h, in_w, in_c, out_h, out_w, out_c;
  uint32_t k_h, k_w, s_h, s_w, p, shift;
  uint32_t tile_offset, tile_words, thresh_offset, aux_offset;
} tbn__layer;

void tbn__read_layer(const uint8_t *data, uint32_t index, tbn__layer *layer);

/* Quotient of n / d (d != 0) by restoring shift-subtract division; *rem gets
 * the remainder. 32 iterations; never used per element. */
uint32_t tbn__udiv(uint32_t n, uint32_t d, uint32_t *rem);

/* Words per position of a BIN tensor with c channels: ceil(c / 32). */
static inline uint32_t tbn__cw(uint32_t c) { return (c >> 5) + ((c & 31u) != 0); }

static inline int tbn__is_weight(uint32_t kind) {
  return kind == TBN_KIND_DENSE || kind == TBN_KIND_CONV1D || kind == TBN_KIND_CONV2D;
}

/* Signed comparison a >= b of two's-complement values held in uint32. */
static inline int tbn__ge_s(uint32_t a, uint32_t b) {
  return (a ^ 0x80000000u) >= (b ^ 0x80000000u);
}

/* The int32 with the two's-complement bits of v. Converting an out-of-range
 * unsigned value is implementation-defined in C99 (not undefined): every
 * compiler this kernel targets (GCC, Clang) defines it as modular. */
static inline int32_t tbn__s32(uint32_t v) { return (int32_t)v; }

/* The two's-complement bits of a signed value (int8/int16 operands promote to
 * int32 first). A function, not a cast, because GCC's -Wconversion (which
 * Espruino builds with) flags `(uint32_t)(int32_t)x` as a sign change. */
static inline uint32_t tbn__u32(int32_t v) { return (uint32_t)v; }

/* floor(v / 2^s) of a two's-complement value (s < 32). GCC and Clang
 * define >> of a negative int as the arithmetic shift (one instruction);
 * elsewhere it is written without implementation-defined signed shifts. */
static inline uint32_t tbn__asr(uint32_t v, uint32_t s) {
#if defined(__GNUC__)
  return tbn__u32(tbn__s32(v) >> s);
#else
  return (v & 0x80000000u) ? ~((~v) >> s) : (v >> s);
#endif
}

#endif /* TBN_INTERNAL_H */
