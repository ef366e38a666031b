/*
 * host_main.c - a Linux board for JerryScript v3.0 with the tbn module and the
 * runtime of tbn_runtime.h: runs a script (or a snapshot) with an event loop,
 * Serial1 on stdin/stdout or a tty/pty, and Storage files from a directory.
 *
 *   tbn-jerry [--storage DIR] [--port PATH] [--test] [--snapshot] FILE
 *
 * --test: run FILE, drain the timers, then exit 0 iff the global `result` is
 *         truthy (Espruino's test convention), printing PASS/FAIL.
 * --port: Serial1 reads and writes PATH (e.g. a pty from socat) instead of
 *         stdin/stdout. The console (print, errors) goes to stdout when the
 *         serial port is elsewhere, else to stderr.
 * Build: docs/engines.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jerryscript.h"
#include "tbn_runtime.h"

#define MAX_FILES 16

static const char *storage_dir = ".";
static int serial_in = 0;
static int serial_out = 1;
static FILE *console_stream;
static struct {
  char name[32];
  uint8_t *bytes;
  uint32_t len;
} files[MAX_FILES];
static struct timespec start_time;

uint32_t tbn_board_millis(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  int64_t ms = (int64_t)(now.tv_sec - start_time.tv_sec) * 1000 + (now.tv_nsec - start_time.tv_nsec) / 1000000;
  return (uint32_t)ms;
}

void tbn_board_serial_write(const uint8_t *bytes, size_t len) {
  while (len > 0) {
    ssize_t n = write(serial_out, bytes, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes += n;
    len -= (size_t)n;
  }
}

void tbn_board_console_write(const char *text, size_t len) {
  fwrite(text, 1, len, console_stream);
  fflush(console_stream);
}

void tbn_board_led(bool on) {
  (void)on;
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) break;
    uint8_t *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* Files are read once and kept until exit, like blobs in flash. */
bool tbn_board_storage_find(const char *name, const uint8_t **bytes, uint32_t *len) {
  if (!name[0] || strchr(name, '/') || strlen(name) > 28) return false;
  int slot = -1;
  for (int i = 0; i < MAX_FILES; i++) {
    if (files[i].bytes && strcmp(files[i].name, name) == 0) {
      *bytes = files[i].bytes;
      *len = files[i].len;
      return true;
    }
    if (!files[i].bytes && slot < 0) slot = i;
  }
  if (slot < 0) return false;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", storage_dir, name);
  size_t n = 0;
  uint8_t *data = read_file(path, &n);
  if (!data) return false;
  snprintf(files[slot].name, sizeof files[slot].name, "%s", name);
  files[slot].bytes = data;
  files[slot].len = (uint32_t)n;
  *bytes = data;
  *len = (uint32_t)n;
  return true;
}

static int usage(void) {
  fprintf(stderr, "usage: tbn-jerry [--storage DIR] [--port PATH] [--test] [--snapshot] FILE\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *file = NULL, *port = NULL;
  bool test = false, snapshot = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--storage") == 0 && i + 1 < argc)
      storage_dir = argv[++i];
    else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
      port = argv[++i];
    else if (strcmp(argv[i], "--test") == 0)
      test = true;
    else if (strcmp(argv[i], "--snapshot") == 0)
      snapshot = true;
    else if (argv[i][0] == '-' || file)
      return usage();
    else
      file = argv[i];
  }
  if (!file) return usage();
  clock_gettime(CLOCK_MONOTONIC, &start_time);
  if (port) {
    serial_in = serial_out = open(port, O_RDWR | O_NOCTTY);
    if (serial_in < 0) {
      fprintf(stderr, "tbn-jerry: cannot open %s: %s\n", port, strerror(errno));
      return 1;
    }
  }
  console_stream = (port || test) ? stdout : stderr;

  size_t len = 0;
  uint8_t *code = read_file(file, &len);
  if (!code) {
    fprintf(stderr, "tbn-jerry: cannot read %s: %s\n", file, strerror(errno));
    return 1;
  }
  jerry_init(JERRY_INIT_EMPTY);
  tbnrt_init();
  bool ok;
  if (snapshot || (len >= 4 && memcmp(code, "JRRY", 4) == 0)) {
    /* jerry_exec_snapshot needs 4-byte aligned words: malloc'd memory is */
    ok = tbnrt_run_snapshot((const uint32_t *)(void *)code, len);
  } else {
    ok = tbnrt_run_source(file, code, len);
  }
  bool input_open = !test;
  for (;;) {
    uint32_t wait = 0;
    int live = tbnrt_poll(tbn_board_millis(), &wait);
    bool listening = input_open && tbnrt_has_serial_listener();
    if (live == 0 && !listening) break;
    struct pollfd pfd = {.fd = serial_in, .events = POLLIN, .revents = 0};
    int timeout = live ? (int)(wait > 1000000u ? 1000000u : wait) : -1;
    int r = poll(&pfd, listening ? 1 : 0, timeout);
    if (r > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
      uint8_t buf[512];
      ssize_t n = read(serial_in, buf, sizeof buf);
      if (n > 0)
        tbnrt_serial_input(buf, (size_t)n);
      else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        input_open = false;
    }
  }
  int status = ok ? 0 : 1;
  if (test) {
    jerry_value_t global = jerry_current_realm();
    jerry_value_t result = jerry_object_get_sz(global, "result");
    bool pass = ok && !jerry_value_is_exception(result) && jerry_value_to_boolean(result);
    jerry_value_free(result);
    jerry_value_free(global);
    printf("%s %s\n", pass ? "PASS" : "FAIL", file);
    status = pass ? 0 : 1;
  }
  tbnrt_cleanup();
  jerry_cleanup();
  free(code);
  for (int i = 0; i < MAX_FILES; i++) free(files[i].bytes);
  return status;
}
