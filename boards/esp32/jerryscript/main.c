/*
 * main.c - JerryScript v3.0 + tbn on the ESP32 with ESP-IDF v4.4.
 *
 * Runs the tbn device app from tbn_blobs.c (made by `tbn build --board esp32
 * --engine jerryscript`): its snapshot if one was linked in, else its source.
 *   Serial1  = TBN_SERIAL_UART (default UART0, the USB serial of dev boards), 115200 8N1
 *   console  = stdout (print, errors), dropped while Serial1 shares its UART
 *              (the app's binary protocol owns the port then)
 *   LED1     = TBN_LED_GPIO (default GPIO2, the LED of most DevKit boards)
 *   Storage  = the files of tbn_blobs.c, read in place from memory-mapped flash
 *   timers   = esp_timer (microseconds since boot)
 * JerryScript runs in one FreeRTOS task with a 16 KB stack; the JerryScript heap
 * is a static array sized when JerryScript is built (--mem-heap), the tbn
 * scratch comes from malloc (the IDF heap). Build: CMakeLists.txt, docs/engines.md.
 * Not compiled in this repository's CI: ESP-IDF and its Xtensa toolchain are
 * Espressif downloads that Debian does not package.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/gpio.h"
#include "driver/uart.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "jerryscript.h"
#include "sdkconfig.h"
#include "tbn_blobs.h"
#include "tbn_runtime.h"

#ifndef TBN_SERIAL_UART
#define TBN_SERIAL_UART UART_NUM_0
#endif
#ifndef TBN_LED_GPIO
#define TBN_LED_GPIO GPIO_NUM_2
#endif
#define BAUD 115200

uint32_t tbn_board_millis(void) {
  return (uint32_t)(esp_timer_get_time() / 1000);
}

void tbn_board_serial_write(const uint8_t *bytes, size_t len) {
  uart_write_bytes(TBN_SERIAL_UART, (const char *)bytes, len);
}

void tbn_board_console_write(const char *text, size_t len) {
  if (TBN_SERIAL_UART == CONFIG_ESP_CONSOLE_UART_NUM) return;
  fwrite(text, 1, len, stdout);
  fflush(stdout);
}

void tbn_board_led(bool on) {
  gpio_set_level(TBN_LED_GPIO, on ? 1 : 0);
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

void tbn_board_fatal(int code) {
  printf("JerryScript fatal error %d (e.g. out of heap); restarting\n", code);
  fflush(stdout);
  esp_restart();
}

static void js_task(void *arg) {
  (void)arg;
  jerry_init(JERRY_INIT_EMPTY);
  tbnrt_init();
  if (tbn_app_snapshot_len > 0) {
    /* JerryScript's 16-bit compressed pointers cannot reach a snapshot's literals
     * in flash (verified on the STM32 build): run a RAM copy, kept for good. */
    uint32_t *ram = (uint32_t *)malloc(tbn_app_snapshot_len);
    if (ram == NULL) tbn_board_fatal(10);
    memcpy(ram, tbn_app_snapshot, tbn_app_snapshot_len);
    tbnrt_run_snapshot(ram, tbn_app_snapshot_len);
  } else
    tbnrt_run_source("app.js", tbn_app_source, tbn_app_source_len);
  uint32_t wait = 0;
  for (;;) {
    uint8_t buf[128];
    /* wait for serial input at most until the next timer is due (10 ms granularity) */
    uint32_t ms = wait > 10u ? 10u : wait;
    int n = uart_read_bytes(TBN_SERIAL_UART, buf, sizeof buf, pdMS_TO_TICKS(ms));
    if (n > 0) tbnrt_serial_input(buf, (size_t)n);
    if (tbnrt_poll(tbn_board_millis(), &wait) == 0) wait = 10u;
  }
}

void app_main(void) {
  const uart_config_t cfg = {
      .baud_rate = BAUD,
      .data_bits = UART_DATA_8_BITS,
      .parity = UART_PARITY_DISABLE,
      .stop_bits = UART_STOP_BITS_1,
      .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
      .source_clk = UART_SCLK_APB,
  };
  ESP_ERROR_CHECK(uart_driver_install(TBN_SERIAL_UART, 4096, 0, 0, NULL, 0));
  ESP_ERROR_CHECK(uart_param_config(TBN_SERIAL_UART, &cfg));
  gpio_reset_pin(TBN_LED_GPIO);
  gpio_set_direction(TBN_LED_GPIO, GPIO_MODE_OUTPUT);
  xTaskCreate(js_task, "tbn_js", 16384, NULL, 5, NULL);
}
