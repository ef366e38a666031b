/* Minimal <string.h> for libc-free builds (wasm32, bare rv32/lx106 checks): declarations only; the
 * compiler lowers these calls to memory.copy/memory.fill (-mbulk-memory) or
 * to the definitions in wasm_glue.c. */
#ifndef TBN_WASM_STRING_H
#define TBN_WASM_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif
