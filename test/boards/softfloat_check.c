/* softfloat_check.c - compares boards/esp8266/softfloat.c, built for the host,
 * bit for bit against the host's IEEE 754 single precision (SSE, round to
 * nearest even). Prints "ok <cases>" or the first mismatches; exit 1 on any. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SF_NAME(n) host_##n
#include "../../boards/esp8266/softfloat.c"

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint32_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (uint32_t)(state >> 32);
}

static float from(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static const uint32_t specials[] = {0, 0x80000000u, 1, 0x80000001u, 0x007FFFFFu, 0x00800000u, 0x3F800000u, 0xBF800000u,
                                    0x7F7FFFFFu, 0xFF7FFFFFu, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x7F800001u,
                                    0x4B000000u, 0x3F000000u, 0x3EFFFFFFu, 0x42FE0000u, 0xC2FE0000u};

/* A random float: mostly nearby exponents to a reference, sometimes anything. */
static uint32_t pick(uint32_t ref) {
  uint32_t r = next(), k = next() & 15u;
  if (k == 0) return specials[next() % (sizeof specials / sizeof specials[0])];
  if (k < 4) return r;
  int32_t e = (int32_t)((ref >> 23) & 0xFF) + (int32_t)(next() % 9) - 4;
  if (e < 0) e = 0;
  if (e > 254) e = 254;
  if (k < 6) r &= 0xFFFFFF00u | (next() & 1u) << 7; /* many trailing zeros: ties */
  return (r & 0x807FFFFFu) | ((uint32_t)e << 23);
}

static int bad;
static void check(const char *op, uint32_t a, uint32_t b, float got, float want) {
  if (isnan(got) && isnan(want)) return;
  if (bits(got) == bits(want)) return;
  if (bad++ < 10) printf("%s %08x %08x: got %08x want %08x\n", op, a, b, bits(got), bits(want));
}

int main(void) {
  volatile float va, vb; /* keep the host from folding */
  long cases = 0;
  for (long i = 0; i < 3000000; i++) {
    uint32_t a = i < 400 ? specials[(i / 20) % 19] : next();
    uint32_t b = i < 400 ? specials[i % 19] : pick(a);
    if (i >= 400 && (next() & 7u) == 0) a = pick(0x3F800000u);
    va = from(a);
    vb = from(b);
    check("add", a, b, host___addsf3(from(a), from(b)), va + vb);
    check("sub", a, b, host___subsf3(from(a), from(b)), va - vb);
    check("mul", a, b, host___mulsf3(from(a), from(b)), va * vb);
    int32_t n = (int32_t)next() >> (next() & 31u);
    check("i2f", (uint32_t)n, 0, host___floatsisf(n), (float)n);
    uint32_t un = next() >> (next() & 31u);
    check("u2f", un, 0, host___floatunsisf(un), (float)un);
    cases += 5;
  }
  check("i2f", 0x80000000u, 0, host___floatsisf(INT32_MIN), (float)INT32_MIN);
  if (bad) {
    printf("%d mismatches in %ld cases\n", bad, cases);
    return 1;
  }
  printf("ok %ld\n", cases);
  return 0;
}
