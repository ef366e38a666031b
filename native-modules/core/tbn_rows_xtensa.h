/*
 * tbn_rows_xtensa.h - the XNOR row loops for rows of 5 and 10 words (HAR's
 * tiled layers; tbn_rows.h: rows_acc_short) on Xtensa with the CALL0 ABI
 * (lx106, ESP8266), registers allocated by hand. Other cores and row
 * lengths keep the C of tbn_rows.h / tbn_popcount.h.
 *
 * Why asm: the lx106 has no popcount, no shifted operands, no and-not and
 * 15 usable registers (a0, a2-a15); GCC's C form of rows5 keeps 5 input words, 3 masks
 * and the loop state live, spills the input words and reloads them for
 * every row (83 instructions per 5-word row at -O2, 0.545 instructions per
 * binary MAC over HAR's XNOR layers as BNN).
 *
 * Counting: a carry-save adder (5 ops) turns three words into ones and
 * twos, so several words reach SWAR as a few weighted words: 5 words give
 * o + 2T + 4F (12 ops), 10 words o + 2T + 4F + 8E (34 ops). Each weighted
 * word gets the SWAR steps to nibble counts (7 ops), o + 2T (and F + 2E)
 * is one ADDX2 (nibbles <= 12), then nibbles to bytes and one ADDX4. The
 * input words are complemented once per call, so the loops count matching
 * bits over all 32 * rw bits (padding bits are 0 on both sides: they match)
 * and K - 2 * mismatches = (K - 64 * rw) + 2 * matches: one ADDX2.
 *
 * Registers: a15 is left alone (GCC's frame pointer at -O0 or with
 * -fno-omit-frame-pointer), the stack operands are addressed off a1 (or
 * a15). 5-word rows (rows5_xt): the five input words, the 0x55../0x33..
 * masks and the row and accumulator pointers stay in registers (a2-a10),
 * a0 and a11-a14 are the temporaries; the end pointer, the 0x0f.. mask, the
 * MULL constant and K come from the stack. MULL by 0x01010101 sums the
 * bytes (<= 160). Two rows per pass at -O2 (the loop branch is out of BNE's
 * range, so the assembler makes it BEQ + J): about 60 instructions per row
 * of 160 MACs. 10-word rows (rows10_xt): one pass, input words 0-3 in
 * registers (a13, a14, a0, a4) and 4-9 on the stack; bytes (<= 80, sum <=
 * 320) summed by shifts and EXTUI: about 113 instructions per row of 320
 * MACs.
 */
#ifndef TBN_ROWS_XTENSA_H
#define TBN_ROWS_XTENSA_H

#include <stdint.h>

#if defined(__GNUC__) && defined(__XTENSA__) && defined(__XTENSA_CALL0_ABI__) && !defined(TBN_SMALL)
#define TBN_XT_ROWS5 1

/* Carry-save add: x + y + o = o' + 2 * x' per bit (x' the twos, o' the
 * ones; y and t clobbered). */
#define TBN_XT_CSA(x, y, o, t)                                                 \
  "xor " t ", " x ", " y "\n\t"                                                \
  "and " x ", " x ", " y "\n\t"                                                \
  "and " y ", " t ", " o "\n\t"                                                \
  "or " x ", " x ", " y "\n\t"                                                 \
  "xor " o ", " t ", " o "\n\t"
/* Nibble counts of v (t clobbered; masks in a9, a10). */
#define TBN_XT_NIBBLES(v, t)                                                   \
  "srli " t ", " v ", 1\n\t"                                                   \
  "and " t ", " t ", a9\n\t"                                                   \
  "sub " v ", " v ", " t "\n\t"                                                \
  "srli " t ", " v ", 2\n\t"                                                   \
  "and " t ", " t ", a10\n\t"                                                  \
  "and " v ", " v ", a10\n\t"                                                  \
  "add " v ", " v ", " t "\n\t"

/* One row: complemented input words in a4-a8, masks 0x55.. in a9 and
 * 0x33.. in a10, the row at a2 + R bytes; leaves the row's byte counts of
 * matching bits in a14 (a0, a11-a14 clobbered). */
#define TBN_XT_BYTES5(R)                                                       \
  "l32i a11, a2, " R "+0\n\t"                                                  \
  "l32i a12, a2, " R "+4\n\t"                                                  \
  "l32i a13, a2, " R "+8\n\t"                                                  \
  "xor a11, a11, a4\n\t"                                                       \
  "xor a12, a12, a5\n\t"                                                       \
  "xor a13, a13, a6\n\t"                                                       \
  /* carry-save add of words 0-2: ones a13, twos a11 */                        \
  TBN_XT_CSA("a11", "a12", "a13", "a14")                                       \
  "l32i a12, a2, " R "+12\n\t"                                                 \
  "l32i a14, a2, " R "+16\n\t"                                                 \
  "xor a12, a12, a7\n\t"                                                       \
  "xor a14, a14, a8\n\t"                                                       \
  /* ones + words 3-4: ones a14, twos a13 */                                   \
  TBN_XT_CSA("a13", "a12", "a14", "a0")                                       \
  /* twos + twos: twos a12, fours a11 */                                       \
  "xor a12, a11, a13\n\t"                                                      \
  "and a11, a11, a13\n\t"                                                      \
  /* nibble counts of ones, twos, fours (each <= 4) */                         \
  TBN_XT_NIBBLES("a14", "a0")                                                 \
  TBN_XT_NIBBLES("a12", "a0")                                                 \
  TBN_XT_NIBBLES("a11", "a0")                                                 \
  /* ones + 2 * twos (nibbles <= 12), to bytes; fours to bytes */              \
  "addx2 a14, a12, a14\n\t"                                                    \
  "l32i a13, %[m4]\n\t"                                                        \
  "srli a0, a14, 4\n\t"                                                       \
  "and a0, a0, a13\n\t"                                                      \
  "and a14, a14, a13\n\t"                                                      \
  "add a14, a14, a0\n\t"                                                      \
  "srli a0, a11, 4\n\t"                                                       \
  "add a11, a11, a0\n\t"                                                      \
  "and a11, a11, a13\n\t"                                                      \
  "addx4 a14, a11, a14\n\t"

/* One call of the loop: mem[0] = the end of acc (acc + n), mem[1..3] =
 * 0x0f0f0f0f, 0x01010101, kc (set once by rows5_xt_windows). */
static TBN_ALWAYS_INLINE void rows5_xt_run(const uint32_t *x, const uint32_t *row, uint32_t *acc,
                                       uint32_t *mem, int twice) {
  register const uint32_t *r_row __asm__("a2") = row;
  register uint32_t *r_acc __asm__("a3") = acc;
  register const uint32_t *r_x __asm__("a4") = x;
  register uint32_t r_m1 __asm__("a9") = 0x55555555u;
  register uint32_t r_m2 __asm__("a10") = 0x33333333u;
#define TBN_XT_PROLOGUE5                                                       \
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
  "xor a4, a4, a11\n\t"
/* bytes <= 40: their sum (<= 160) in the top byte; acc at a3 + A bytes */
#define TBN_XT_END5(A)                                                         \
  "l32i a13, %[mul]\n\t"                                                       \
  "mull a14, a14, a13\n\t"                                                     \
  "srli a14, a14, 24\n\t"                                                      \
  "l32i a13, %[kc]\n\t"                                                        \
  "addx2 a14, a14, a13\n\t"                                                    \
  "s32i a14, a3, " A "\n\t"
/* twice: 2 * matches, bits 23-31 of the product (bytes 0-2 sum to <= 120:
 * bit 23 is 0), kc left out */
#define TBN_XT_END5_TWICE(A)                                                   \
  "l32i a13, %[mul]\n\t"                                                       \
  "mull a14, a14, a13\n\t"                                                     \
  "srli a14, a14, 23\n\t"                                                      \
  "s32i a14, a3, " A "\n\t"
#define TBN_XT_OPERANDS5                                                       \
  : "+r"(r_row), "+r"(r_acc), "+r"(r_x)                                        \
  : "r"(r_m1), "r"(r_m2), [end] "m"(mem[0]), [m4] "m"(mem[1]), [mul] "m"(mem[2]), [kc] "m"(mem[3]) \
  : "a0", "a5", "a6", "a7", "a8", "a11", "a12", "a13", "a14", "memory"
#if defined(__OPTIMIZE_SIZE__)
  (void)twice; /* -Os: one copy, kc always added */
  __asm__ volatile(TBN_XT_PROLOGUE5 "1:\n\t" TBN_XT_BYTES5("0") TBN_XT_END5("0")
                   "addi a3, a3, 4\n\t"
                   "addi a2, a2, 20\n\t"
                   "l32i a11, %[end]\n\t"
                   "bne a3, a11, 1b" TBN_XT_OPERANDS5);
#else
  /* two rows per pass (the loop branch is relaxed to BEQ + J: the body
   * is out of BNE's range); an odd n enters at the second row */
#define TBN_XT_LOOP5(END)                                                      \
  __asm__ volatile(TBN_XT_PROLOGUE5                                            \
                   "l32i a11, %[end]\n\t"                                      \
                   "sub a11, a11, a3\n\t"                                      \
                   "bbci a11, 2, 1f\n\t"                                       \
                   "addi a2, a2, -20\n\t"                                      \
                   "addi a3, a3, -4\n\t"                                       \
                   "j 2f\n"                                                     \
                   "1:\n\t" TBN_XT_BYTES5("0") END("0")                        \
                   "2:\n\t" TBN_XT_BYTES5("20") END("4")                       \
                   "addi a3, a3, 8\n\t"                                        \
                   "addi a2, a2, 40\n\t"                                       \
                   "l32i a11, %[end]\n\t"                                      \
                   "bne a3, a11, 1b" TBN_XT_OPERANDS5)
  if (twice)
    TBN_XT_LOOP5(TBN_XT_END5_TWICE);
  else
    TBN_XT_LOOP5(TBN_XT_END5);
#undef TBN_XT_LOOP5
#endif
#undef TBN_XT_PROLOGUE5
#undef TBN_XT_END5
#undef TBN_XT_END5_TWICE
#undef TBN_XT_OPERANDS5
}

/* acc[k] of `npos` windows x, x + xstep, ..., n >= 1 rows each (n entries
 * per window): the stack constants are stored once. */
static TBN_SPEED_INLINE void rows5_xt_windows(const uint32_t *x, uint32_t xstep, const uint32_t *row,
                                              uint32_t n, uint32_t kc, uint32_t *acc, uint32_t npos,
                                              int twice) {
  /* on the stack: read with l32i off a1 (every other register is taken) */
  uint32_t mem[4];
  mem[1] = 0x0f0f0f0fu;
  mem[2] = 0x01010101u;
  mem[3] = kc;
  for (; npos; npos--, x += xstep, acc += n) {
    mem[0] = (uint32_t)(uintptr_t)(acc + n);
    rows5_xt_run(x, row, acc, mem, twice);
  }
}

/* acc[k] = K - 2 * mismatches for k < n (n >= 1) of the 5 input words at
 * x against the 5-word rows at row, row + 5, ...; kc = K - 320 (mod 2^32),
 * so acc = kc + 2 * matches (2 * matches with twice, -O2 only). */
static TBN_ALWAYS_INLINE void rows5_xt(const uint32_t *x, const uint32_t *row, uint32_t n, uint32_t kc,
                                   uint32_t *acc, int twice) {
  rows5_xt_windows(x, 0u, row, n, kc, acc, 1u, twice);
}

/* rows5_xt for 10-word rows in one pass: the complemented input words
 * (0-3 in a13, a14, a0 and a4, 4-9 on the stack) against each row; the ten
 * XORed words go through a carry-save tree to ones, twos, fours and eights
 * (6 adders, 2 half adders), o + 2T and F + 2E to bytes, bytes (<= 80) summed
 * by shifts and EXTUI (<= 320). kc = K - 640. About 113 instructions per row
 * of 320 binary MACs. */
static TBN_SPEED_INLINE void rows10_xt(const uint32_t *x, const uint32_t *row, uint32_t n, uint32_t kc,
                                       uint32_t *acc, int twice) {
  register const uint32_t *r_row __asm__("a2") = row;
  register uint32_t *r_acc __asm__("a3") = acc;
  register uint32_t r_m1 __asm__("a9") = 0x55555555u;
  register uint32_t r_m2 __asm__("a10") = 0x33333333u;
  uint32_t mem[13], i;
  for (i = 0; i < 10u; i++) mem[i] = ~x[i];
  mem[10] = (uint32_t)(uintptr_t)(acc + n);
  mem[11] = 0x0f0f0f0fu;
  mem[12] = kc;
#define TBN_XT_LOOP10(END) \
  __asm__ volatile( \
      "l32i a13, %[x0]\n\t" \
      "l32i a14, %[x1]\n\t" \
      "l32i a0, %[x2]\n\t" \
      "l32i a4, %[x3]\n" \
      "1:\n\t" \
      "l32i a5, a2, 0\n\t" \
      "l32i a6, a2, 4\n\t" \
      "l32i a7, a2, 8\n\t" \
      "xor a5, a5, a13\n\t" /* ones: word 0 */ \
      "xor a6, a6, a14\n\t" \
      "xor a7, a7, a0\n\t" \
      TBN_XT_CSA("a6", "a7", "a5", "a8") /* twos A: a6 */ \
      "l32i a7, a2, 12\n\t" \
      "l32i a8, a2, 16\n\t" \
      "l32i a11, %[x4]\n\t" \
      "xor a7, a7, a4\n\t" \
      "xor a8, a8, a11\n\t" \
      TBN_XT_CSA("a7", "a8", "a5", "a11") /* twos B: a7 */ \
      "l32i a8, a2, 20\n\t" \
      "l32i a11, %[x5]\n\t" \
      "l32i a12, a2, 24\n\t" \
      "xor a8, a8, a11\n\t" \
      "l32i a11, %[x6]\n\t" \
      "xor a11, a12, a11\n\t" \
      TBN_XT_CSA("a8", "a11", "a5", "a12") /* twos C: a8 */ \
      TBN_XT_CSA("a7", "a8", "a6", "a11")  /* A + B + C: twos a6, fours A: a7 */ \
      "l32i a8, a2, 28\n\t" \
      "l32i a11, %[x7]\n\t" \
      "l32i a12, a2, 32\n\t" \
      "xor a8, a8, a11\n\t" \
      "l32i a11, %[x8]\n\t" \
      "xor a11, a12, a11\n\t" \
      TBN_XT_CSA("a8", "a11", "a5", "a12") /* twos D: a8 */ \
      "l32i a11, a2, 36\n\t" \
      "l32i a12, %[x9]\n\t" \
      "xor a11, a11, a12\n\t" \
      "and a12, a5, a11\n\t" /* word 9: twos E a12, ones a5 */ \
      "xor a5, a5, a11\n\t" \
      TBN_XT_CSA("a8", "a12", "a6", "a11") /* twos a6, fours B: a8 */ \
      "xor a11, a7, a8\n\t" /* fours a11, eights a7 */ \
      "and a7, a7, a8\n\t" \
      TBN_XT_NIBBLES("a5", "a8") \
      TBN_XT_NIBBLES("a6", "a8") \
      TBN_XT_NIBBLES("a11", "a8") \
      TBN_XT_NIBBLES("a7", "a8") \
      "addx2 a5, a6, a5\n\t"   /* o + 2T, nibbles <= 12 */ \
      "addx2 a11, a7, a11\n\t" /* F + 2E */ \
      "l32i a12, %[m4]\n\t" \
      "srli a8, a5, 4\n\t" \
      "and a8, a8, a12\n\t" \
      "and a5, a5, a12\n\t" \
      "add a5, a5, a8\n\t" \
      "srli a8, a11, 4\n\t" \
      "and a8, a8, a12\n\t" \
      "and a11, a11, a12\n\t" \
      "add a11, a11, a8\n\t" \
      "addx4 a5, a11, a5\n\t" /* bytes <= 80 */ \
      /* b0 + b1 and b2 + b3 in bytes 0 and 2 (no carries) */ \
      "srli a8, a5, 8\n\t" \
      "add a5, a5, a8\n\t" \
      "extui a8, a5, 16, 8\n\t" \
      "extui a5, a5, 0, 8\n\t" \
      "add a5, a5, a8\n\t" \
      END \
      "s32i a5, a3, 0\n\t" \
      "addi a3, a3, 4\n\t" \
      "addi a2, a2, 40\n\t" \
      "l32i a12, %[end]\n\t" \
      "bne a3, a12, 1b" \
      : "+r"(r_row), "+r"(r_acc) \
      : "r"(r_m1), "r"(r_m2), [x0] "m"(mem[0]), [x1] "m"(mem[1]), [x2] "m"(mem[2]), [x3] "m"(mem[3]), \
        [x4] "m"(mem[4]), [x5] "m"(mem[5]), [x6] "m"(mem[6]), [x7] "m"(mem[7]), [x8] "m"(mem[8]), \
        [x9] "m"(mem[9]), [end] "m"(mem[10]), [m4] "m"(mem[11]), [kc] "m"(mem[12]) \
      : "a0", "a4", "a5", "a6", "a7", "a8", "a11", "a12", "a13", "a14", "memory")
#if defined(__OPTIMIZE_SIZE__)
  (void)twice; /* -Os: one copy, kc always added */
  TBN_XT_LOOP10("l32i a12, %[kc]\n\taddx2 a5, a5, a12\n\t");
#else
  if (twice) /* 2 * matches, kc left out */
    TBN_XT_LOOP10("add a5, a5, a5\n\t");
  else
    TBN_XT_LOOP10("l32i a12, %[kc]\n\taddx2 a5, a5, a12\n\t");
#endif
#undef TBN_XT_LOOP10
}
#undef TBN_XT_CSA
#undef TBN_XT_NIBBLES
#undef TBN_XT_BYTES5

#else
#define TBN_XT_ROWS5 0
#endif

#endif /* TBN_ROWS_XTENSA_H */
