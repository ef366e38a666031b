/*
 * tbn_rows_xtensa.h - the five-word XNOR row loop (tbn_rows.h: rows5) for
 * Xtensa with the CALL0 ABI (lx106, ESP8266), registers allocated by hand.
 *
 * Why asm: the lx106 has no popcount, no shifted operands and no and-not,
 * and 15 usable registers; GCC's C form of rows5 keeps 5 input words, 3
 * masks and the loop state live, spills the input words and reloads them
 * for every row (83 instructions per 5-word row at -O2). Here the five
 * input words, the 0x55../0x33.. masks, the row and accumulator pointers
 * and the end pointer stay in registers (a0, a2-a10) and a11-a15 are the
 * temporaries; the 0x0f.. mask, the MULL constant and K come from the stack
 * once per row.
 *
 * Per row: a carry-save adder tree turns the five XORed words into ones,
 * twos and fours (o + 2T + 4F, 12 ops), three SWAR steps to nibble counts
 * (7 ops each), o + 2T in one ADDX2 (nibbles <= 12), two nibble-to-byte
 * steps and one ADDX4 give the row's byte counts (<= 40 each); MULL by
 * 0x01010101 sums them (<= 160 < 256). The input words are complemented
 * once per call, so the count is of matching bits over the 32 * 5 bits
 * (padding bits are 0 on both sides: they count as matches) and the
 * accumulator K - 2 * mismatches is (K - 320) + 2 * matches: one ADDX2.
 * About 62 instructions per row of 160 binary MACs.
 *
 * A 10-word row is two passes (as rows5 in C): the first stores the byte
 * counts of words 0-4 in acc, the second adds those of words 5-9 (bytes <=
 * 80, sum <= 320: shifts and EXTUI instead of MULL) and ends the row.
 */
#ifndef TBN_ROWS_XTENSA_H
#define TBN_ROWS_XTENSA_H

#include <stdint.h>

#if defined(__GNUC__) && defined(__XTENSA__) && defined(__XTENSA_CALL0_ABI__)
#define TBN_XT_ROWS5 1

/* rows5_xt modes */
#define TBN_XT_WHOLE 0 /* 5-word rows: acc = K - 2 * mismatches */
#define TBN_XT_FIRST 1 /* words 0-4 of 10-word rows: acc = match byte counts */
#define TBN_XT_LAST 2  /* words 5-9: acc = K - 2 * mismatches over 10 words */

/* One row: complemented input words in a4-a8, masks 0x55.. in a9 and
 * 0x33.. in a10, the row at a2; leaves the row's byte counts of matching
 * bits in a14 (a11-a15 clobbered). */
#define TBN_XT_BYTES5                                                          \
  "l32i a11, a2, 0\n\t"                                                        \
  "l32i a12, a2, 4\n\t"                                                        \
  "l32i a13, a2, 8\n\t"                                                        \
  "xor a11, a11, a4\n\t"                                                       \
  "xor a12, a12, a5\n\t"                                                       \
  "xor a13, a13, a6\n\t"                                                       \
  /* carry-save add of words 0-2: ones a13, twos a11 */                        \
  "xor a14, a11, a12\n\t"                                                      \
  "and a11, a11, a12\n\t"                                                      \
  "and a12, a14, a13\n\t"                                                      \
  "or a11, a11, a12\n\t"                                                       \
  "xor a13, a14, a13\n\t"                                                      \
  "l32i a12, a2, 12\n\t"                                                       \
  "l32i a14, a2, 16\n\t"                                                       \
  "xor a12, a12, a7\n\t"                                                       \
  "xor a14, a14, a8\n\t"                                                       \
  /* ones + words 3-4: ones a14, twos a13 */                                   \
  "xor a15, a13, a12\n\t"                                                      \
  "and a13, a13, a12\n\t"                                                      \
  "and a12, a15, a14\n\t"                                                      \
  "or a13, a13, a12\n\t"                                                       \
  "xor a14, a15, a14\n\t"                                                      \
  /* twos + twos: twos a12, fours a11 */                                       \
  "xor a12, a11, a13\n\t"                                                      \
  "and a11, a11, a13\n\t"                                                      \
  /* nibble counts of ones, twos, fours (each <= 4) */                         \
  "srli a15, a14, 1\n\t"                                                       \
  "and a15, a15, a9\n\t"                                                       \
  "sub a14, a14, a15\n\t"                                                      \
  "srli a15, a14, 2\n\t"                                                       \
  "and a15, a15, a10\n\t"                                                      \
  "and a14, a14, a10\n\t"                                                      \
  "add a14, a14, a15\n\t"                                                      \
  "srli a15, a12, 1\n\t"                                                       \
  "and a15, a15, a9\n\t"                                                       \
  "sub a12, a12, a15\n\t"                                                      \
  "srli a15, a12, 2\n\t"                                                       \
  "and a15, a15, a10\n\t"                                                      \
  "and a12, a12, a10\n\t"                                                      \
  "add a12, a12, a15\n\t"                                                      \
  "srli a15, a11, 1\n\t"                                                       \
  "and a15, a15, a9\n\t"                                                       \
  "sub a11, a11, a15\n\t"                                                      \
  "srli a15, a11, 2\n\t"                                                       \
  "and a15, a15, a10\n\t"                                                      \
  "and a11, a11, a10\n\t"                                                      \
  "add a11, a11, a15\n\t"                                                      \
  /* ones + 2 * twos (nibbles <= 12), to bytes; fours to bytes */              \
  "addx2 a14, a12, a14\n\t"                                                    \
  "l32i a13, %[m4]\n\t"                                                        \
  "srli a15, a14, 4\n\t"                                                       \
  "and a15, a15, a13\n\t"                                                      \
  "and a14, a14, a13\n\t"                                                      \
  "add a14, a14, a15\n\t"                                                      \
  "srli a15, a11, 4\n\t"                                                       \
  "add a11, a11, a15\n\t"                                                      \
  "and a11, a11, a13\n\t"                                                      \
  "addx4 a14, a11, a14\n\t"

/* acc[k] for k < n (n >= 1) of the 5 input words at x against the rows at
 * row, row + rw, ... (mode: above; rw = 5 for WHOLE, 10 otherwise). kc is
 * K - 64 * rw (mod 2^32): K - 2 * mismatches = kc + 2 * matches. */
static TBN_ALWAYS_INLINE void rows5_xt(const uint32_t *x, const uint32_t *row, uint32_t n,
                                       uint32_t kc, uint32_t *acc, int mode) {
  register const uint32_t *r_row __asm__("a2") = row;
  register uint32_t *r_acc __asm__("a3") = acc;
  register const uint32_t *r_x __asm__("a4") = x;
  register uint32_t r_m1 __asm__("a9") = 0x55555555u;
  register uint32_t r_m2 __asm__("a10") = 0x33333333u;
  /* on the stack: read with l32i off a1 (every other register is taken) */
  uint32_t mem[4];
  mem[0] = (uint32_t)(uintptr_t)(acc + n);
  mem[1] = 0x0f0f0f0fu;
  mem[2] = 0x01010101u;
  mem[3] = kc;
#define TBN_XT_PROLOGUE                                                        \
  "l32i a0, %[end]\n\t"                                                        \
  "movi a11, -1\n\t"                                                           \
  "l32i a5, a4, 4\n\t"                                                         \
  "l32i a6, a4, 8\n\t"                                                         \
  "l32i a7, a4, 12\n\t"                                                        \
  "l32i a8, a4, 16\n\t"                                                        \
  "l32i a4, a4, 0\n\t"                                                         \
  "xor a5, a5, a11\n\t"                                                        \
  "xor a6, a6, a11\n\t"                                                        \
  "xor a7, a7, a11\n\t"                                                        \
  "xor a8, a8, a11\n\t"                                                        \
  "xor a4, a4, a11\n"                                                          \
  "1:\n\t" TBN_XT_BYTES5
#define TBN_XT_OPERANDS                                                        \
  : "+r"(r_row), "+r"(r_acc), "+r"(r_x)                                        \
  : "r"(r_m1), "r"(r_m2), [end] "m"(mem[0]), [m4] "m"(mem[1]), [mul] "m"(mem[2]), [kc] "m"(mem[3]) \
  : "a0", "a5", "a6", "a7", "a8", "a11", "a12", "a13", "a14", "a15", "memory"
  if (mode == TBN_XT_WHOLE) {
    __asm__ volatile(TBN_XT_PROLOGUE
                     "l32i a13, %[mul]\n\t"
                     "mull a14, a14, a13\n\t"
                     "srli a14, a14, 24\n\t"
                     "l32i a13, %[kc]\n\t"
                     "addx2 a14, a14, a13\n\t"
                     "s32i a14, a3, 0\n\t"
                     "addi a3, a3, 4\n\t"
                     "addi a2, a2, 20\n\t"
                     "bne a3, a0, 1b" TBN_XT_OPERANDS);
  } else if (mode == TBN_XT_FIRST) {
    __asm__ volatile(TBN_XT_PROLOGUE
                     "s32i a14, a3, 0\n\t"
                     "addi a3, a3, 4\n\t"
                     "addi a2, a2, 40\n\t"
                     "bne a3, a0, 1b" TBN_XT_OPERANDS);
  } else {
    __asm__ volatile(TBN_XT_PROLOGUE
                     "l32i a13, a3, 0\n\t"
                     "add a14, a14, a13\n\t"
                     /* bytes <= 80: b0 + b1 and b2 + b3 in bytes 0 and 2 */
                     "srli a15, a14, 8\n\t"
                     "add a14, a14, a15\n\t"
                     "extui a15, a14, 16, 8\n\t"
                     "extui a14, a14, 0, 8\n\t"
                     "add a14, a14, a15\n\t"
                     "l32i a13, %[kc]\n\t"
                     "addx2 a14, a14, a13\n\t"
                     "s32i a14, a3, 0\n\t"
                     "addi a3, a3, 4\n\t"
                     "addi a2, a2, 40\n\t"
                     "bne a3, a0, 1b" TBN_XT_OPERANDS);
  }
#undef TBN_XT_PROLOGUE
#undef TBN_XT_OPERANDS
}
#else
#define TBN_XT_ROWS5 0
#endif

#endif /* TBN_ROWS_XTENSA_H */
