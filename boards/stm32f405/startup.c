/* startup.c - STM32F405 reset, vector table and semihosting I/O (no libc). */
#include <stdint.h>

#include "board_io.h"

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
int harness_main(void);

static int sh_call(int op, void *arg) {
  register int r0 __asm__("r0") = op;
  register void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void board_write(const char *text, size_t len) {
  /* SYS_WRITE0 needs a NUL-terminated string: send in chunks. */
  char chunk[129];
  while (len) {
    size_t n = len < 128 ? len : 128;
    for (size_t i = 0; i < n; i++) chunk[i] = text[i];
    chunk[n] = 0;
    sh_call(0x04, chunk);
    text += n;
    len -= n;
  }
}

void board_exit(int status) {
  /* SYS_EXIT_EXTENDED with ADP_Stopped_ApplicationExit: QEMU exits with `status`. */
  uint32_t block[2] = {0x20026u, (uint32_t)status};
  sh_call(0x20, block);
  for (;;) {
  }
}

void Reset_Handler(void) {
  uint32_t *src = &_sidata, *dst = &_sdata;
  while (dst < &_edata) *dst++ = *src++;
  for (dst = &_sbss; dst < &_ebss; dst++) *dst = 0;
  /* CPACR: full access to CP10/CP11 before any FP instruction. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  board_exit(harness_main());
}

static void Fault_Handler(void) {
  static const char msg[] = "E hard fault\n";
  board_write(msg, sizeof msg - 1);
  board_exit(3);
}

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(&_estack), Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, 0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler,
    Fault_Handler};
