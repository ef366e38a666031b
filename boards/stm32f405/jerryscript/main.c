/*
 * main.c - JerryScript v3.0 + tbn on a bare STM32F405/F407 (STM32F4DISCOVERY,
 * Olimex H405, or QEMU's netduinoplus2), no RTOS and no vendor HAL.
 *
 * Runs the tbn device app from tbn_blobs.c (made by `tbn build --engine
 * jerryscript`): its snapshot if one was linked in, else its source.
 *   Serial1  = USART2 (PA2 TX, PA3 RX), 115200 8N1, RX by interrupt into a ring
 *   console  = USART1 (PA9 TX) for print() and errors   (TBN_CONSOLE_UART=2: same as Serial1)
 *   LED1     = PD12 (the Discovery's green LED)
 *   Storage  = the files of tbn_blobs.c, in flash, zero copy
 *   timers   = SysTick at 1 kHz from the 16 MHz HSI (the reset clock; no PLL set-up)
 * In QEMU: qemu-system-arm -M netduinoplus2 -kernel firmware.elf -nographic
 *          -serial file:console.txt -serial pty   (USART1, then USART2)
 * Build: Makefile beside this file, docs/engines.md.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jerryscript.h"
#include "tbn_blobs.h"
#include "tbn_runtime.h"

#ifndef TBN_CONSOLE_UART
#define TBN_CONSOLE_UART 1
#endif
#define HSI_HZ 16000000u
#define BAUD 115200u

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB1ENR REG(0x40023840u)
#define RCC_APB2ENR REG(0x40023844u)
#define GPIOA 0x40020000u
#define GPIOD 0x40020C00u
#define GPIO_MODER(g) REG((g) + 0x00u)
#define GPIO_ODR(g) REG((g) + 0x14u)
#define GPIO_AFRL(g) REG((g) + 0x20u)
#define GPIO_AFRH(g) REG((g) + 0x24u)
#define USART1 0x40011000u
#define USART2 0x40004400u
#define USART_SR(u) REG((u) + 0x00u)
#define USART_DR(u) REG((u) + 0x04u)
#define USART_BRR(u) REG((u) + 0x08u)
#define USART_CR1(u) REG((u) + 0x0Cu)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define SR_ORE (1u << 3)
#define NVIC_ISER1 REG(0xE000E104u)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

static volatile uint32_t millis;
static volatile uint8_t rx_ring[1024];
static volatile uint32_t rx_head, rx_tail, rx_dropped;

uint32_t tbn_board_millis(void) {
  return millis;
}

static void uart_put(uint32_t uart, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    while (!(USART_SR(uart) & SR_TXE)) {
    }
    USART_DR(uart) = p[i];
  }
}

void tbn_board_serial_write(const uint8_t *bytes, size_t len) {
  uart_put(USART2, bytes, len);
}

void tbn_board_console_write(const char *text, size_t len) {
  uart_put(TBN_CONSOLE_UART == 1 ? USART1 : USART2, (const uint8_t *)text, len);
}

void tbn_board_led(bool on) {
  if (on)
    GPIO_ODR(GPIOD) |= 1u << 12;
  else
    GPIO_ODR(GPIOD) &= ~(1u << 12);
}

bool tbn_board_storage_find(const char *name, const uint8_t **bytes, uint32_t *len) {
  for (uint32_t i = 0; i < tbn_storage_file_count; i++) {
    if (strcmp(tbn_storage_files[i].name, name) == 0) {
      *bytes = tbn_storage_files[i].bytes;
      *len = tbn_storage_files[i].len;
      return true;
    }
  }
  return false;
}

#ifdef TBN_QEMU_TEST
static void semihost_exit(int status);
#endif

/* code: a jerry_fatal_code_t (e.g. 10 = out of heap), or -1 for a CPU fault */
void tbn_board_fatal(int code) {
  static const char cpu[] = "\r\nCPU fault; ", js[] = "\r\nJerryScript fatal error ";
  if (code < 0) {
    tbn_board_console_write(cpu, sizeof cpu - 1);
  } else {
    char digits[4] = {(char)('0' + (code / 100) % 10), (char)('0' + (code / 10) % 10), (char)('0' + code % 10), ' '};
    tbn_board_console_write(js, sizeof js - 1);
    tbn_board_console_write(digits, sizeof digits);
  }
#ifdef TBN_QEMU_TEST
  semihost_exit(3);
#endif
  static const char reset[] = "resetting\r\n";
  tbn_board_console_write(reset, sizeof reset - 1);
  REG(0xE000ED0Cu) = 0x05FA0004u; /* AIRCR SYSRESETREQ */
  for (;;) {
  }
}

/* ---- interrupts ---- */

void SysTick_Handler(void) {
  millis++;
}

void USART2_IRQHandler(void) {
  uint32_t sr = USART_SR(USART2);
  if (sr & (SR_RXNE | SR_ORE)) {
    uint8_t b = (uint8_t)USART_DR(USART2); /* reading DR also clears ORE */
    uint32_t next = (rx_head + 1u) % sizeof rx_ring;
    if (next == rx_tail)
      rx_dropped++;
    else {
      rx_ring[rx_head] = b;
      rx_head = next;
    }
  }
}

/* ---- newlib hooks: malloc (tbn handles' scratch) from the RAM after .bss; our own rand ---- */

extern uint8_t _ebss, _heap_end;
void *_sbrk(ptrdiff_t incr) {
  static uint8_t *brk = &_ebss;
  if (brk + incr > &_heap_end) {
    errno = ENOMEM;
    return (void *)-1;
  }
  uint8_t *old = brk;
  brk += incr;
  return old;
}

/* newlib's rand() drags in its reentrancy/stdio machinery: a small xorshift instead (Math.random). */
static uint32_t rand_state = 2463534242u;
int rand(void) {
  rand_state ^= rand_state << 13;
  rand_state ^= rand_state >> 17;
  rand_state ^= rand_state << 5;
  return (int)(rand_state & 0x7FFFFFFFu);
}
void srand(unsigned seed) {
  rand_state = seed ? seed : 2463534242u;
}

/* ---- start-up ---- */

static void hardware_init(void) {
  RCC_AHB1ENR |= (1u << 0) | (1u << 3); /* GPIOA, GPIOD */
  RCC_APB1ENR |= 1u << 17;              /* USART2 */
  RCC_APB2ENR |= 1u << 4;               /* USART1 */
  /* PA2/PA3 (USART2) and PA9/PA10 (USART1): alternate function 7 */
  GPIO_MODER(GPIOA) = (GPIO_MODER(GPIOA) & ~((3u << 4) | (3u << 6) | (3u << 18) | (3u << 20))) |
                      (2u << 4) | (2u << 6) | (2u << 18) | (2u << 20);
  GPIO_AFRL(GPIOA) = (GPIO_AFRL(GPIOA) & ~((0xFu << 8) | (0xFu << 12))) | (7u << 8) | (7u << 12);
  GPIO_AFRH(GPIOA) = (GPIO_AFRH(GPIOA) & ~((0xFu << 4) | (0xFu << 8))) | (7u << 4) | (7u << 8);
  GPIO_MODER(GPIOD) = (GPIO_MODER(GPIOD) & ~(3u << 24)) | (1u << 24); /* PD12 output */
  USART_BRR(USART1) = (HSI_HZ + BAUD / 2u) / BAUD;
  USART_BRR(USART2) = (HSI_HZ + BAUD / 2u) / BAUD;
  USART_CR1(USART1) = (1u << 13) | (1u << 3);                         /* UE, TE */
  USART_CR1(USART2) = (1u << 13) | (1u << 3) | (1u << 2) | (1u << 5); /* UE, TE, RE, RXNEIE */
  NVIC_ISER1 = 1u << (38u - 32u);                                     /* USART2 IRQ 38 */
  SYST_RVR = HSI_HZ / 1000u - 1u;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* processor clock, interrupt, enable */
}

#ifdef TBN_QEMU_TEST
static void semihost_exit(int status) {
  uint32_t block[2] = {0x20026u, (uint32_t)status}; /* ADP_Stopped_ApplicationExit */
  register uint32_t r0 __asm__("r0") = 0x20u;       /* SYS_EXIT_EXTENDED */
  register void *r1 __asm__("r1") = block;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
}

/* Test firmware (make EXTRA_CFLAGS=-DTBN_QEMU_TEST): once no timer is left,
 * prints PASS/FAIL from the global `result` (Espruino's test convention) and
 * ends QEMU with that status through semihosting (qemu ... -semihosting). */
static void finish_test(bool ran) {
  jerry_value_t global = jerry_current_realm();
  jerry_value_t result = jerry_object_get_sz(global, "result");
  bool pass = ran && !jerry_value_is_exception(result) && jerry_value_to_boolean(result);
  jerry_value_free(result);
  jerry_value_free(global);
  static const char ok[] = "\r\nPASS\r\n", bad[] = "\r\nFAIL\r\n";
  tbn_board_console_write(pass ? ok : bad, pass ? sizeof ok - 1 : sizeof bad - 1);
  semihost_exit(pass ? 0 : 1);
}
#endif

int main(void) {
  hardware_init();
  jerry_init(JERRY_INIT_EMPTY);
  tbnrt_init();
  bool ran;
  if (tbn_app_snapshot_len > 0) {
    /* With 16-bit compressed pointers JerryScript refers to a snapshot's literals
     * by heap-relative pointers, so executing it in place from flash fails; a
     * RAM copy above the heap works (and is kept for the engine's lifetime). */
    uint32_t *ram = (uint32_t *)malloc(tbn_app_snapshot_len);
    if (ram == NULL) tbn_board_fatal(10);
    memcpy(ram, tbn_app_snapshot, tbn_app_snapshot_len);
    ran = tbnrt_run_snapshot(ram, tbn_app_snapshot_len);
  } else
    ran = tbnrt_run_source("app.js", tbn_app_source, tbn_app_source_len);
  (void)ran;
  for (;;) {
    uint8_t buf[64];
    size_t n = 0;
    while (rx_tail != rx_head && n < sizeof buf) {
      buf[n++] = rx_ring[rx_tail];
      rx_tail = (rx_tail + 1u) % sizeof rx_ring;
    }
    if (n > 0) tbnrt_serial_input(buf, n);
    uint32_t wait = 0;
    int live = tbnrt_poll(tbn_board_millis(), &wait);
#ifdef TBN_QEMU_TEST
    if (live == 0) finish_test(ran);
#else
    (void)live;
#endif
    if (n == 0 && wait > 0 && rx_tail == rx_head) __asm__ volatile("wfi");
  }
}

/* ---- vector table and reset ---- */

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss;
void Reset_Handler(void);

static void Default_Handler(void) {
  tbn_board_fatal(-1);
}

void Reset_Handler(void) {
  uint32_t *src = &_sidata, *dst = &_sdata;
  while (dst < &_edata) *dst++ = *src++;
  for (dst = &_sbss; dst < (uint32_t *)(void *)&_ebss; dst++) *dst = 0;
  REG(0xE000ED88u) |= 0xFu << 20; /* CPACR: enable the FPU before any float instruction */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  main();
  for (;;) {
  }
}

/* 16 system exceptions + 82 STM32F405 interrupts; SysTick = 15, USART2 = 16 + 38. */
__attribute__((section(".isr_vector"), used)) static void (*const vectors[16 + 82])(void) = {
    [0] = (void (*)(void))(&_estack),
    [1] = Reset_Handler,
    [2] = Default_Handler,
    [3] = Default_Handler,
    [4] = Default_Handler,
    [5] = Default_Handler,
    [6] = Default_Handler,
    [11] = Default_Handler,
    [14] = Default_Handler,
    [15] = SysTick_Handler,
    [16 + 38] = USART2_IRQHandler,
};
