/* libc_min.c - the few <string.h> routines GCC and the kernel may call in a
 * -nostdlib build. Built with -fno-tree-loop-distribute-patterns so the loops
 * are not turned back into calls to themselves. */
#include <stddef.h>
#include <stdint.h>

/* A word at a time when both pointers are 4-byte aligned (as a release
 * libc's memcpy does; CMSIS-NN's im2col copies rely on it), else bytes. */
void *memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0) {
    for (; n >= 4; n -= 4, d += 4, s += 4) *(uint32_t *)(void *)d = *(const uint32_t *)(const void *)s;
  }
  while (n--) *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  uint8_t *d = dst;
  if ((((uintptr_t)d) & 3u) == 0) {
    uint32_t w = (uint8_t)c * 0x01010101u;
    for (; n >= 4; n -= 4, d += 4) *(uint32_t *)(void *)d = w;
  }
  while (n--) *d++ = (uint8_t)c;
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (; n; n--, x++, y++) {
    if (*x != *y) return (int)*x - (int)*y;
  }
  return 0;
}
