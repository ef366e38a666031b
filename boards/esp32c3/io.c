/* io.c - virt machine I/O: ns16550a UART for output, sifive_test for the exit status. */
#include <stdint.h>

#include "board_io.h"

#define UART_BASE 0x10000000u
#define UART_THR ((volatile uint8_t *)(UART_BASE + 0u))
#define UART_LSR ((volatile uint8_t *)(UART_BASE + 5u))
#define UART_LSR_THRE 0x20u
#define SIFIVE_TEST ((volatile uint32_t *)0x00100000u)

void board_write(const char *text, size_t len) {
  for (size_t i = 0; i < len; i++) {
    /* Wait until the holding register is free, or QEMU drops the byte. */
    while ((*UART_LSR & UART_LSR_THRE) == 0) {
    }
    *UART_THR = (uint8_t)text[i];
  }
}

void board_exit(int status) {
  *SIFIVE_TEST = status == 0 ? 0x5555u : (0x3333u | ((uint32_t)status << 16));
  for (;;) {
  }
}
