/* string.h - the freestanding subset the kernel may use, for cross toolchains
 * that ship no C library (Debian's riscv64-unknown-elf and xtensa-lx106 gcc).
 * Implemented in boards/harness/libc_min.c. */
#ifndef TBN_BOARDS_STRING_H
#define TBN_BOARDS_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif
