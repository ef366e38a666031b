/* io.c - xtensa sim semihosting (simcall): call 4 = write(fd, buf, len), 1 = exit(code). */
#include <stdint.h>

#include "board_io.h"

static int simcall(int nr, int a, int b, int c) {
  register int a2 __asm__("a2") = nr;
  register int a3 __asm__("a3") = a;
  register int a4 __asm__("a4") = b;
  register int a5 __asm__("a5") = c;
  __asm__ volatile("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
  return a2;
}

void board_write(const char *text, size_t len) {
  while (len) {
    int n = simcall(4, 1, (int)(uintptr_t)text, (int)len);
    if (n <= 0) return;
    text += n;
    len -= (size_t)n;
  }
}

void board_exit(int status) {
  simcall(1, status, 0, 0);
  for (;;) {
  }
}
