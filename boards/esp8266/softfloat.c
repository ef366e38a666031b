/*
 * softfloat.c - IEEE 754 single-precision add, subtract, multiply and int to
 * float conversion (round to nearest, ties to even) for the lx106 harness.
 *
 * Debian's gcc-xtensa-lx106 libgcc lacks __addsf3, __subsf3, __mulsf3,
 * __floatsisf and __floatunsisf (and the division and 64-bit multiply
 * helpers), while it has the comparisons and __fixsfsi. The kernel's input
 * quantisation (t = x*mul + add, two rounded f32 operations) needs them, so
 * the harness provides them here, written with 32-bit integer operations
 * only. NaN results are the default quiet NaN (payloads never matter to the
 * quantiser: any NaN maps to -127). Tested bit for bit against the host FPU
 * by test/boards/softfloat.test.ts.
 *
 * Internal convention: a significand `sig` with its leading 1 at bit 30 and
 * an exponent `exp` one less than the biased exponent of the result, so that
 * pack(sign, exp, sig >> 7) = sign<<31 + exp<<23 + (sig >> 7) carries the
 * leading bit into the exponent field.
 */
#include <stdint.h>

#ifndef SF_NAME
#define SF_NAME(n) n
#endif

typedef union {
  float f;
  uint32_t u;
} sf_bits;

#define SF_DEFAULT_NAN 0x7FC00000u

static uint32_t sf_pack(uint32_t sign, uint32_t exp, uint32_t sig) { return (sign << 31) + (exp << 23) + sig; }

static uint32_t sf_clz(uint32_t v) { return v ? (uint32_t)__builtin_clz(v) : 32u; }

/* v >> dist, with any bit shifted out ORed into bit 0 ("sticky"). */
static uint32_t sf_shift_right_jam(uint32_t v, uint32_t dist) {
  if (dist == 0) return v;
  if (dist < 32) return (v >> dist) | ((v << (32 - dist)) != 0);
  return v != 0;
}

static uint32_t sf_round_pack(uint32_t sign, int32_t exp, uint32_t sig) {
  uint32_t round_bits = sig & 0x7Fu;
  if ((uint32_t)exp >= 0xFDu) {
    if (exp < 0) {
      sig = sf_shift_right_jam(sig, (uint32_t)-exp);
      exp = 0;
      round_bits = sig & 0x7Fu;
    } else if (exp > 0xFD || sig + 0x40u >= 0x80000000u) {
      return sf_pack(sign, 0xFFu, 0);
    }
  }
  sig = (sig + 0x40u) >> 7;
  if (round_bits == 0x40u) sig &= ~1u; /* tie: to even */
  if (sig == 0) exp = 0;
  return sf_pack(sign, (uint32_t)exp, sig);
}

static uint32_t sf_norm_round_pack(uint32_t sign, int32_t exp, uint32_t sig) {
  uint32_t dist = sf_clz(sig) - 1;
  exp -= (int32_t)dist;
  if (dist >= 7 && (uint32_t)exp < 0xFDu) return sf_pack(sign, sig ? (uint32_t)exp : 0, sig << (dist - 7));
  return sf_round_pack(sign, exp, sig << dist);
}

static uint32_t sf_add_mags(uint32_t a, uint32_t b, uint32_t sign) {
  int32_t exp_a = (int32_t)((a >> 23) & 0xFFu), exp_b = (int32_t)((b >> 23) & 0xFFu);
  uint32_t sig_a = a & 0x7FFFFFu, sig_b = b & 0x7FFFFFu;
  int32_t diff = exp_a - exp_b, exp;
  uint32_t sig;
  if (diff == 0) {
    if (exp_a == 0) return a + sig_b; /* both subnormal or zero: exact, may carry into normal */
    if (exp_a == 0xFF) return (sig_a | sig_b) ? SF_DEFAULT_NAN : a;
    exp = exp_a;
    sig = 0x01000000u + sig_a + sig_b;
    if ((sig & 1u) == 0 && exp < 0xFE) return sf_pack(sign, (uint32_t)exp, sig >> 1);
    sig <<= 6;
  } else {
    sig_a <<= 6;
    sig_b <<= 6;
    if (diff < 0) {
      if (exp_b == 0xFF) return sig_b ? SF_DEFAULT_NAN : sf_pack(sign, 0xFFu, 0);
      exp = exp_b;
      sig_a += exp_a ? 0x20000000u : sig_a;
      sig_a = sf_shift_right_jam(sig_a, (uint32_t)-diff);
    } else {
      if (exp_a == 0xFF) return sig_a ? SF_DEFAULT_NAN : a;
      exp = exp_a;
      sig_b += exp_b ? 0x20000000u : sig_b;
      sig_b = sf_shift_right_jam(sig_b, (uint32_t)diff);
    }
    sig = 0x20000000u + sig_a + sig_b;
    if (sig < 0x40000000u) {
      exp--;
      sig <<= 1;
    }
  }
  return sf_round_pack(sign, exp, sig);
}

static uint32_t sf_sub_mags(uint32_t a, uint32_t b, uint32_t sign) {
  int32_t exp_a = (int32_t)((a >> 23) & 0xFFu), exp_b = (int32_t)((b >> 23) & 0xFFu);
  uint32_t sig_a = a & 0x7FFFFFu, sig_b = b & 0x7FFFFFu;
  int32_t diff = exp_a - exp_b;
  if (diff == 0) {
    if (exp_a == 0xFF) return SF_DEFAULT_NAN; /* NaN, or inf - inf */
    uint32_t d = sig_a - sig_b;
    if (d == 0) return 0; /* exact zero is +0 in round to nearest */
    if (exp_a) exp_a--;
    if (d & 0x80000000u) {
      sign ^= 1u;
      d = 0u - d;
    }
    int32_t dist = (int32_t)sf_clz(d) - 8;
    int32_t exp = exp_a - dist;
    if (exp < 0) {
      dist = exp_a;
      exp = 0;
    }
    return sf_pack(sign, (uint32_t)exp, d << dist);
  }
  uint32_t sig_x, sig_y;
  int32_t exp;
  sig_a <<= 7;
  sig_b <<= 7;
  if (diff < 0) {
    sign ^= 1u;
    if (exp_b == 0xFF) return sig_b ? SF_DEFAULT_NAN : sf_pack(sign, 0xFFu, 0);
    exp = exp_b - 1;
    sig_x = sig_b | 0x40000000u;
    sig_y = sig_a + (exp_a ? 0x40000000u : sig_a);
    diff = -diff;
  } else {
    if (exp_a == 0xFF) return sig_a ? SF_DEFAULT_NAN : a;
    exp = exp_a - 1;
    sig_x = sig_a | 0x40000000u;
    sig_y = sig_b + (exp_b ? 0x40000000u : sig_b);
  }
  return sf_norm_round_pack(sign, exp, sig_x - sf_shift_right_jam(sig_y, (uint32_t)diff));
}

static uint32_t sf_add(uint32_t a, uint32_t b) {
  uint32_t sa = a >> 31, sb = b >> 31;
  return sa == sb ? sf_add_mags(a, b, sa) : sf_sub_mags(a, b, sa);
}

/* High word of a 32x32 -> 64-bit product, with the low word's bits ORed
 * into bit 0 (sticky), from 16-bit halves: no 64-bit multiply helper. */
static uint32_t sf_mul_hi_jam(uint32_t a, uint32_t b) {
  uint32_t al = a & 0xFFFFu, ah = a >> 16, bl = b & 0xFFFFu, bh = b >> 16;
  uint32_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  uint32_t mid = (ll >> 16) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  uint32_t lo = (ll & 0xFFFFu) | (mid << 16);
  uint32_t hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
  return hi | (lo != 0);
}

static uint32_t sf_mul(uint32_t a, uint32_t b) {
  uint32_t sign = (a ^ b) >> 31;
  int32_t exp_a = (int32_t)((a >> 23) & 0xFFu), exp_b = (int32_t)((b >> 23) & 0xFFu);
  uint32_t sig_a = a & 0x7FFFFFu, sig_b = b & 0x7FFFFFu;
  if (exp_a == 0xFF || exp_b == 0xFF) {
    if ((exp_a == 0xFF && sig_a) || (exp_b == 0xFF && sig_b)) return SF_DEFAULT_NAN;
    uint32_t other = exp_a == 0xFF ? ((uint32_t)exp_b | sig_b) : ((uint32_t)exp_a | sig_a);
    return other ? sf_pack(sign, 0xFFu, 0) : SF_DEFAULT_NAN; /* inf * 0 is invalid */
  }
  if (exp_a == 0) {
    if (sig_a == 0) return sf_pack(sign, 0, 0);
    uint32_t d = sf_clz(sig_a) - 8;
    sig_a <<= d;
    exp_a = 1 - (int32_t)d;
  }
  if (exp_b == 0) {
    if (sig_b == 0) return sf_pack(sign, 0, 0);
    uint32_t d = sf_clz(sig_b) - 8;
    sig_b <<= d;
    exp_b = 1 - (int32_t)d;
  }
  int32_t exp = exp_a + exp_b - 0x7F;
  sig_a = (sig_a | 0x00800000u) << 7;
  sig_b = (sig_b | 0x00800000u) << 8;
  uint32_t sig = sf_mul_hi_jam(sig_a, sig_b);
  if (sig < 0x40000000u) {
    exp--;
    sig <<= 1;
  }
  return sf_round_pack(sign, exp, sig);
}

float SF_NAME(__addsf3)(float a, float b);
float SF_NAME(__subsf3)(float a, float b);
float SF_NAME(__mulsf3)(float a, float b);
float SF_NAME(__floatsisf)(int32_t a);
float SF_NAME(__floatunsisf)(uint32_t a);

float SF_NAME(__addsf3)(float a, float b) {
  sf_bits x, y, z;
  x.f = a;
  y.f = b;
  z.u = sf_add(x.u, y.u);
  return z.f;
}

float SF_NAME(__subsf3)(float a, float b) {
  sf_bits x, y, z;
  x.f = a;
  y.f = b;
  z.u = sf_add(x.u, y.u ^ 0x80000000u);
  return z.f;
}

float SF_NAME(__mulsf3)(float a, float b) {
  sf_bits x, y, z;
  x.f = a;
  y.f = b;
  z.u = sf_mul(x.u, y.u);
  return z.f;
}

float SF_NAME(__floatsisf)(int32_t a) {
  sf_bits z;
  uint32_t u = (uint32_t)a, sign = u >> 31;
  if (u == 0) z.u = 0;
  else if (u == 0x80000000u) z.u = 0xCF000000u; /* -2^31 */
  else z.u = sf_norm_round_pack(sign, 0x9C, sign ? 0u - u : u);
  return z.f;
}

float SF_NAME(__floatunsisf)(uint32_t a) {
  sf_bits z;
  if (a == 0) z.u = 0;
  else if (a & 0x80000000u) z.u = sf_round_pack(0, 0x9D, (a >> 1) | (a & 1u));
  else z.u = sf_norm_round_pack(0, 0x9C, a);
  return z.f;
}
