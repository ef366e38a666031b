/*
 * tbn_port.c - JerryScript v3.0 port functions for bare-metal boards (build
 * JerryScript with --jerry-port=OFF and link this instead). No file system:
 * scripts come from tbn_blobs.c. Time comes from tbn_board_millis().
 * The Linux host main links JerryScript's own default port instead.
 */
#include <stdlib.h>
#include <string.h>

#include "jerryscript-port.h"
#include "tbn_runtime.h"

/* Provided by the board main: report and halt/reset (never returns). */
void tbn_board_fatal(int code) __attribute__((noreturn));

void jerry_port_init(void) {}

void jerry_port_fatal(jerry_fatal_code_t code) {
  /* e.g. ERR_OUT_OF_MEMORY: JerryScript v3.0 has no recoverable heap exhaustion */
  tbn_board_fatal((int)code);
}

void jerry_port_sleep(uint32_t sleep_time) {
  uint32_t start = tbn_board_millis();
  while (tbn_board_millis() - start < sleep_time) {
  }
}

void jerry_port_log(const char *message_p) {
  tbn_board_console_write(message_p, strlen(message_p));
}

void jerry_port_print_buffer(const jerry_char_t *buffer_p, jerry_size_t buffer_size) {
  tbn_board_console_write((const char *)buffer_p, buffer_size);
}

jerry_char_t *jerry_port_line_read(jerry_size_t *out_size_p) {
  *out_size_p = 0;
  return NULL;
}

void jerry_port_line_free(jerry_char_t *buffer_p) {
  (void)buffer_p;
}

/* Module specifiers are used as they are (there are no files to resolve). */
jerry_char_t *jerry_port_path_normalize(const jerry_char_t *path_p, jerry_size_t path_size) {
  jerry_char_t *copy = (jerry_char_t *)malloc(path_size + 1u);
  if (copy == NULL) return NULL;
  memcpy(copy, path_p, path_size);
  copy[path_size] = 0;
  return copy;
}

void jerry_port_path_free(jerry_char_t *path_p) {
  free(path_p);
}

jerry_size_t jerry_port_path_base(const jerry_char_t *path_p) {
  jerry_size_t base = 0;
  for (jerry_size_t i = 0; path_p[i]; i++)
    if (path_p[i] == '/') base = i + 1u;
  return base;
}

jerry_char_t *jerry_port_source_read(const char *file_name_p, jerry_size_t *out_size_p) {
  (void)file_name_p;
  *out_size_p = 0;
  return NULL;
}

void jerry_port_source_free(jerry_char_t *buffer_p) {
  (void)buffer_p;
}

int32_t jerry_port_local_tza(double unix_ms) {
  (void)unix_ms;
  return 0;
}

double jerry_port_current_time(void) {
  return (double)tbn_board_millis();
}
