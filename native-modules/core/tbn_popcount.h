/*
 * tbn_popcount.h - XOR-popcount over 32-bit words, chosen per core.
 *
 * Never __builtin_popcount unless the target has a popcount instruction:
 * elsewhere it becomes a libgcc call (__popcountsi2), ~3x slower on
 * Cortex-M4 and absent from some libgcc builds.
 *
 *   wasm32            i32.popcnt is a native instruction: __builtin_popcount
 *                     compiles to it. With SIMD128, 4 words per step with
 *                     i8x16.popcnt and one widening sum per 31 steps.
 *   x86-64 + POPCNT   popcnt instruction (only when built with -mpopcnt).
 *   RISC-V + Zbb      cpop instruction.
 *   everything else   (Cortex-M4 ARMv7E-M, Cortex-M0/M3, RV32IMC of the
 *                     ESP32-C3, Xtensa lx106/LX6, plain x86-64): SWAR that
 *                     stops at per-byte counts (7 ALU ops + the XOR; on
 *                     Thumb-2 the 0x55../0x33../0x0f.. masks are modified
 *                     immediates and the shifts fold into SUB/ADD operands)
 *                     and accumulates the bytes of up to 31 words (31*8 =
 *                     248 < 256) before one horizontal sum: USAD8 on cores
 *                     with the DSP extension (one instruction), shifts and
 *                     adds elsewhere. No multiply, no table, no libcall.
 *   rows of >= 32 words (tbn_rows.h: rows_acc_bin_long) on RV32 without
 *                     Zbb, Xtensa and Cortex-M3/M4, except TBN_SMALL: a
 *                     Harley-Seal loop of carry-save adders over 16-word
 *                     blocks (tbn__xor_popcount_csa), the rest as above.
 */
#ifndef TBN_POPCOUNT_H
#define TBN_POPCOUNT_H

#include <stdint.h>
#include <string.h>

#if defined(__wasm__) || (defined(__x86_64__) && defined(__POPCNT__)) || \
    (defined(__riscv) && defined(__riscv_zbb))
#define TBN_HW_POPCOUNT 1
#else
#define TBN_HW_POPCOUNT 0
#endif

#if defined(__wasm__) && defined(__wasm_simd128__)
#define TBN_WASM_SIMD 1
typedef signed char tbn__i8x16 __attribute__((vector_size(16)));
typedef unsigned char tbn__u8x16 __attribute__((vector_size(16)));
typedef unsigned short tbn__u16x8 __attribute__((vector_size(16)));
typedef unsigned int tbn__u32x4 __attribute__((vector_size(16)));
#else
#define TBN_WASM_SIMD 0
#endif

/* Per-byte bit counts of x (each byte 0..8). */
static inline uint32_t tbn__byte_counts(uint32_t x) {
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  return (x + (x >> 4)) & 0x0f0f0f0fu;
}

/* Sum of the four bytes of x. */
static inline uint32_t tbn__byte_sum(uint32_t x) {
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  uint32_t r;
  __asm__("usad8 %0, %1, %2" : "=r"(r) : "r"(x), "r"(0u));
  return r;
#else
  x = (x & 0x00ff00ffu) + ((x >> 8) & 0x00ff00ffu);
  return (x + (x >> 16)) & 0xffffu;
#endif
}

static inline uint32_t tbn__popcount32(uint32_t x) {
#if TBN_HW_POPCOUNT
  return (uint32_t)__builtin_popcount(x);
#else
  return tbn__byte_sum(tbn__byte_counts(x));
#endif
}

/* Per-nibble bit counts of x (each nibble 0..4). Written so that Thumb-2
 * needs one op per line part: BIC/AND with modified-immediate masks and
 * SUB/ADD with a shifted operand (x & 0xAA.. = BIC x, #0x55..). */
static inline uint32_t tbn__nibble_counts(uint32_t x) {
  x = x - ((x & 0xaaaaaaaau) >> 1);
  return (x & 0x33333333u) + ((x & 0xccccccccu) >> 2);
}

/* Nibble counts (each <= 8, the sum of two words) folded to byte counts. */
static inline uint32_t tbn__nibbles_to_bytes(uint32_t y) {
  return (y & 0x0f0f0f0fu) + ((y & 0xf0f0f0f0u) >> 4);
}

/* Byte counts of two XORed word pairs, x = a0^b0 and y = a1^b1 (each byte
 * <= 16). On ARMv7-M/ARMv7E-M (Cortex-M3/M4/M7, Thumb-2) GCC turns the C
 * form back into shift-then-mask pairs and runs out of registers, so the 13
 * single-cycle ops are spelled out: BIC/AND take the masks as modified
 * immediates and SUB/ADD take the shifted operand for free. */
static inline uint32_t tbn__pair_byte_counts(uint32_t x, uint32_t y) {
#if defined(__GNUC__) && defined(__thumb2__) && \
    (defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_8M_MAIN__))
  uint32_t t;
  __asm__(
      "bic %[t], %[x], #0x55555555\n\t"
      "sub %[x], %[x], %[t], lsr #1\n\t"
      "bic %[t], %[y], #0x55555555\n\t"
      "sub %[y], %[y], %[t], lsr #1\n\t"
      "bic %[t], %[x], #0x33333333\n\t"
      "and %[x], %[x], #0x33333333\n\t"
      "add %[x], %[x], %[t], lsr #2\n\t"
      "bic %[t], %[y], #0x33333333\n\t"
      "and %[y], %[y], #0x33333333\n\t"
      "add %[y], %[y], %[t], lsr #2\n\t"
      "add %[x], %[x], %[y]\n\t"
      "bic %[t], %[x], #0x0f0f0f0f\n\t"
      "and %[x], %[x], #0x0f0f0f0f\n\t"
      "add %[x], %[x], %[t], lsr #4"
      : [x] "+r"(x), [y] "+r"(y), [t] "=&r"(t));
  return x;
#else
  return tbn__nibbles_to_bytes(tbn__nibble_counts(x) + tbn__nibble_counts(y));
#endif
}

/* Byte counts of three XORed words (nibble counts <= 12 fit a nibble, so
 * the three share one nibble-to-byte step; each byte <= 24). */
static inline uint32_t tbn__triple_byte_counts(uint32_t x, uint32_t y, uint32_t z) {
  return tbn__nibbles_to_bytes(tbn__nibble_counts(x) + tbn__nibble_counts(y) + tbn__nibble_counts(z));
}

/* Long rows on cores without a popcount instruction: a Harley-Seal loop of
 * carry-save adders (a + b + c = lo + 2 * hi per bit, 5 ops) folds 16
 * XORed words into ones, twos, fours and eights carried from block to block
 * and one sixteens word per block, so a block costs 15 adders and one SWAR
 * byte count instead of 16 word counts (a 64-word row: 0.33-0.36
 * instructions per bit on RV32, lx106 and Cortex-M4, was 0.47-0.55).
 * Chosen here per core: RV32 without Zbb, Xtensa,
 * ARMv7(E)-M; not TBN_SMALL (size first). */
#if !(TBN_WASM_SIMD || TBN_HW_POPCOUNT) && !defined(TBN_SMALL) && \
    (defined(__riscv) || defined(__XTENSA__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_7M__))
#define TBN_POPCOUNT_CSA 1
#else
#define TBN_POPCOUNT_CSA 0
#endif

/* Carry-save adder: a + b + c = lo + 2 * hi per bit (here and in tbn_rows.h's
 * rows5_csa/rows10_csa). */
#define TBN__CSA(hi, lo, a, b, c)                                                                  \
  do {                                                                                             \
    uint32_t u_ = (a) ^ (b), c_ = (c);                                                             \
    hi = ((a) & (b)) | (u_ & c_);                                                                  \
    lo = u_ ^ c_;                                                                                  \
  } while (0)

#if TBN_POPCOUNT_CSA
#define TBN_CSA_BLOCK 16u
/* -Os: the byte-count masks made in each block (held across the loop they
 * spill); -O2 keeps them in registers */
#if defined(__OPTIMIZE_SIZE__)
#define TBN_CSA_REMAT 1
#else
#define TBN_CSA_REMAT 0
#endif
/* no load moves across it: GCC's -O2 scheduler would hoist the 32 loads
 * of a block and spill (lx106: 104 stack accesses per block) */
#define TBN__ORDER() __asm__ __volatile__("" ::: "memory")
/* Differing bits of a[0..16 * blocks) and b (blocks >= 1). */
static inline uint32_t tbn__xor_popcount_csa(const uint32_t *a, const uint32_t *b, uint32_t blocks) {
  uint32_t ones = 0, twos = 0, fours = 0, eights = 0, total = 0, v, f;
  while (blocks) {
    /* byte counts of the sixteens: <= 8 per block, 31 blocks <= 248 */
    uint32_t chunk = blocks > 31u ? 31u : blocks, s16 = 0;
    blocks -= chunk;
    do {
      uint32_t ta, tb, fa, fb, ea, eb, s;
      TBN__CSA(ta, ones, ones, a[0] ^ b[0], a[1] ^ b[1]);
      TBN__CSA(tb, ones, ones, a[2] ^ b[2], a[3] ^ b[3]);
      TBN__CSA(fa, twos, twos, ta, tb);
      TBN__ORDER();
      TBN__CSA(ta, ones, ones, a[4] ^ b[4], a[5] ^ b[5]);
      TBN__CSA(tb, ones, ones, a[6] ^ b[6], a[7] ^ b[7]);
      TBN__CSA(fb, twos, twos, ta, tb);
      TBN__ORDER();
      TBN__CSA(ea, fours, fours, fa, fb);
      TBN__CSA(ta, ones, ones, a[8] ^ b[8], a[9] ^ b[9]);
      TBN__CSA(tb, ones, ones, a[10] ^ b[10], a[11] ^ b[11]);
      TBN__CSA(fa, twos, twos, ta, tb);
      TBN__ORDER();
      TBN__CSA(ta, ones, ones, a[12] ^ b[12], a[13] ^ b[13]);
      TBN__CSA(tb, ones, ones, a[14] ^ b[14], a[15] ^ b[15]);
      TBN__CSA(fb, twos, twos, ta, tb);
      TBN__ORDER();
      TBN__CSA(eb, fours, fours, fa, fb);
      TBN__CSA(s, eights, eights, ea, eb);
#if TBN_CSA_REMAT
      {
        uint32_t m1 = 0x55555555u, m2 = 0x33333333u, m4 = 0x0f0f0f0fu;
        __asm__ __volatile__("" : "+r"(m1), "+r"(m2), "+r"(m4));
        s = s - ((s >> 1) & m1);
        s = (s & m2) + ((s >> 2) & m2);
        s16 += (s + (s >> 4)) & m4;
      }
#else
      s16 += tbn__byte_counts(s);
#endif
      a += 16;
      b += 16;
    } while (--chunk);
    total += tbn__byte_sum(s16) << 4;
  }
  /* ones + 2 twos and fours + 2 eights: nibbles <= 12; bytes <= 24 + 4 * 24 */
  v = tbn__nibble_counts(ones) + 2u * tbn__nibble_counts(twos);
  f = tbn__nibble_counts(fours) + 2u * tbn__nibble_counts(eights);
  return total + tbn__byte_sum(tbn__nibbles_to_bytes(v) + 4u * tbn__nibbles_to_bytes(f));
}
#undef TBN__ORDER
#else
#define TBN_CSA_BLOCK 0u
#endif

/* Number of differing bits between a[0..n) and b[0..n). */
static inline uint32_t tbn__xor_popcount(const uint32_t *a, const uint32_t *b, uint32_t n) {
  uint32_t total = 0;
#if TBN_WASM_SIMD
  while (n >= 4u) {
    uint32_t steps = n >> 2;
    tbn__u8x16 bytes = {0};
    if (steps > 31u) steps = 31u;
    n -= steps << 2;
    do {
      tbn__u8x16 va, vb;
      memcpy(&va, a, 16);
      memcpy(&vb, b, 16);
      bytes += (tbn__u8x16)__builtin_wasm_popcnt_i8x16((tbn__i8x16)(va ^ vb));
      a += 4;
      b += 4;
    } while (--steps);
    {
      tbn__u16x8 h = (tbn__u16x8)__builtin_wasm_extadd_pairwise_i8x16_u_i16x8(bytes);
      tbn__u32x4 w = (tbn__u32x4)__builtin_wasm_extadd_pairwise_i16x8_u_i32x4(h);
      total += w[0] + w[1] + w[2] + w[3];
    }
  }
#endif
#if TBN_HW_POPCOUNT
  while (n--) total += (uint32_t)__builtin_popcount(*a++ ^ *b++);
#else
#ifdef TBN_SMALL
  /* one word per step: per-byte counts of up to 31 words (<= 248) */
  while (n) {
    uint32_t chunk = n > 31u ? 31u : n, bytes = 0;
    n -= chunk;
    do {
      bytes += tbn__byte_counts(*a++ ^ *b++);
    } while (--chunk);
    total += tbn__byte_sum(bytes);
  }
#else
  while (n) {
    uint32_t chunk = n > 30u ? 30u : n, bytes = 0, k = chunk;
    n -= chunk;
    for (; k >= 2u; k -= 2u, a += 2, b += 2) bytes += tbn__pair_byte_counts(a[0] ^ b[0], a[1] ^ b[1]);
    if (k) bytes += tbn__byte_counts(*a++ ^ *b++);
    total += tbn__byte_sum(bytes);
  }
#endif
#endif
  return total;
}

/* tbn__xor_popcount for 1 <= n <= 31 words (one filter row of most
 * layers): two words share the nibble-to-byte step (nibbles <= 8), bytes
 * accumulate (<= 15*16 + 8 = 248) and one horizontal sum ends the row:
 * about 10.5 ALU ops + 2 loads per 32 binary MACs on Cortex-M4. */
static inline uint32_t tbn__xor_popcount_short(const uint32_t *a, const uint32_t *b, uint32_t n) {
#if TBN_WASM_SIMD || TBN_HW_POPCOUNT
  return tbn__xor_popcount(a, b, n);
#else
  uint32_t bytes = 0;
  for (; n >= 2u; n -= 2u, a += 2, b += 2)
    bytes += tbn__pair_byte_counts(a[0] ^ b[0], a[1] ^ b[1]);
  if (n) bytes += tbn__byte_counts(a[0] ^ b[0]);
  return tbn__byte_sum(bytes);
#endif
}

#endif /* TBN_POPCOUNT_H */
