/*
 * tbn_runtime.c - timers, Serial1, Storage, getTime, process.memory, LED1 and
 * print for JerryScript v3.0 (see tbn_runtime.h). Values the runtime keeps
 * (timer callbacks, the serial listener) are owned copies released by
 * tbnrt_cleanup().
 */
#include "tbn_runtime.h"

#include <string.h>

#include "jerryscript-snapshot.h"
#include "tbn_jerry.h"

#ifndef TBNRT_SNAPSHOT_FLAGS
#define TBNRT_SNAPSHOT_FLAGS 0u
#endif

typedef struct {
  uint32_t id;     /* 0 = free slot */
  uint32_t due;    /* tbn_board_millis() time */
  uint32_t period; /* 0 = setTimeout */
  jerry_value_t fn;
} tbnrt_timer;

static tbnrt_timer timers[TBNRT_MAX_TIMERS];
static uint32_t next_timer_id = 1;
static jerry_value_t serial_listener;
static bool have_serial_listener;
static jerry_value_t storage_object;
static bool have_storage_object;

/* ---- helpers ---- */

static jerry_value_t arg(const jerry_value_t args[], jerry_length_t argc, jerry_length_t i) {
  return i < argc ? args[i] : jerry_undefined();
}

static void set_fn(jerry_value_t obj, const char *name, jerry_external_handler_t handler) {
  jerry_value_t f = jerry_function_external(handler);
  jerry_value_free(jerry_object_set_sz(obj, name, f));
  jerry_value_free(f);
}

static void set_value(jerry_value_t obj, const char *name, jerry_value_t v) {
  jerry_value_free(jerry_object_set_sz(obj, name, v));
  jerry_value_free(v);
}

/* Writes a value as bytes: typed arrays/ArrayBuffers raw, strings as
 * characters 0..255 (Espruino's binary strings), numbers as one byte. */
typedef void (*byte_sink)(const uint8_t *bytes, size_t len);

static void write_value(jerry_value_t v, byte_sink sink) {
  if (jerry_value_is_typedarray(v) || jerry_value_is_arraybuffer(v) || jerry_value_is_dataview(v)) {
    jerry_size_t off = 0, len = 0;
    jerry_value_t ab;
    if (jerry_value_is_arraybuffer(v)) {
      ab = jerry_value_copy(v);
      len = jerry_arraybuffer_size(v);
    } else if (jerry_value_is_typedarray(v)) {
      ab = jerry_typedarray_buffer(v, &off, &len);
    } else {
      ab = jerry_dataview_buffer(v, &off, &len);
    }
    uint8_t *p = jerry_arraybuffer_data(ab);
    if (p) sink(p + off, len);
    jerry_value_free(ab);
    return;
  }
  if (jerry_value_is_number(v)) {
    uint8_t b = (uint8_t)jerry_value_as_uint32(v);
    sink(&b, 1);
    return;
  }
  jerry_value_t s = jerry_value_to_string(v);
  if (jerry_value_is_exception(s)) {
    jerry_value_free(s);
    return;
  }
  jerry_length_t n = jerry_string_length(s);
  {
    /* 32 characters at a time through the stack (no heap), each code unit
     * truncated to 8 bits like Espruino's binary strings */
    jerry_length_t start = 0;
    while (start < n) {
      jerry_length_t end = start + 32u < n ? start + 32u : n;
      jerry_value_t part = jerry_string_substr(s, start, end);
      uint8_t cesu[96];
      jerry_size_t m = jerry_string_to_buffer(part, JERRY_ENCODING_CESU8, cesu, sizeof cesu);
      jerry_value_free(part);
      uint8_t out[32];
      size_t k = 0;
      for (jerry_size_t i = 0; i < m && k < sizeof out;) {
        uint8_t c = cesu[i];
        if (c < 0x80u) {
          out[k++] = c;
          i++;
        } else if ((c & 0xE0u) == 0xC0u && i + 1 < m) {
          out[k++] = (uint8_t)(((c & 0x1Fu) << 6) | (cesu[i + 1] & 0x3Fu));
          i += 2;
        } else {
          out[k++] = (uint8_t)'?';
          i += ((c & 0xF0u) == 0xE0u) ? 3u : 1u;
        }
      }
      sink(out, k);
      start = end;
    }
  }
  jerry_value_free(s);
}

static void serial_sink(const uint8_t *bytes, size_t len) {
  tbn_board_serial_write(bytes, len);
}

static void console_sink(const uint8_t *bytes, size_t len) {
  tbn_board_console_write((const char *)bytes, len);
}

/* ---- print / console.log ---- */

static jerry_value_t print_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  for (jerry_length_t i = 0; i < argc; i++) {
    if (i) tbn_board_console_write(" ", 1);
    jerry_value_t s = jerry_value_to_string(args[i]);
    if (!jerry_value_is_exception(s)) write_value(s, console_sink);
    jerry_value_free(s);
  }
  tbn_board_console_write("\n", 1);
  return jerry_undefined();
}

/* ---- timers ---- */

static jerry_value_t add_timer(const jerry_value_t args[], jerry_length_t argc, bool repeat) {
  jerry_value_t fn = arg(args, argc, 0);
  if (!jerry_value_is_function(fn)) return jerry_throw_sz(JERRY_ERROR_TYPE, "setTimeout/setInterval needs a function");
  double ms = jerry_value_is_number(arg(args, argc, 1)) ? jerry_value_as_number(arg(args, argc, 1)) : 0.0;
  if (!(ms >= 0.0)) ms = 0.0;
  if (ms > 2147483647.0) ms = 2147483647.0;
  for (int i = 0; i < TBNRT_MAX_TIMERS; i++) {
    if (timers[i].id == 0) {
      timers[i].id = next_timer_id++;
      if (next_timer_id == 0) next_timer_id = 1;
      timers[i].period = repeat ? ((uint32_t)ms ? (uint32_t)ms : 1u) : 0u;
      timers[i].due = tbn_board_millis() + (uint32_t)ms;
      timers[i].fn = jerry_value_copy(fn);
      return jerry_number((double)timers[i].id);
    }
  }
  return jerry_throw_sz(JERRY_ERROR_COMMON, "too many timers (TBNRT_MAX_TIMERS)");
}

static jerry_value_t set_timeout_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  return add_timer(args, argc, false);
}

static jerry_value_t set_interval_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  return add_timer(args, argc, true);
}

static void free_timer(tbnrt_timer *t) {
  jerry_value_free(t->fn);
  t->id = 0;
  t->fn = 0;
}

static jerry_value_t clear_timer_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  uint32_t id = jerry_value_as_uint32(arg(args, argc, 0));
  for (int i = 0; i < TBNRT_MAX_TIMERS; i++)
    if (id != 0 && timers[i].id == id) free_timer(&timers[i]);
  return jerry_undefined();
}

int tbnrt_poll(uint32_t now_ms, uint32_t *wait_ms) {
  for (int i = 0; i < TBNRT_MAX_TIMERS; i++) {
    tbnrt_timer *t = &timers[i];
    if (t->id == 0 || (int32_t)(now_ms - t->due) < 0) continue;
    uint32_t id = t->id;
    jerry_value_t fn = jerry_value_copy(t->fn);
    if (t->period)
      t->due += t->period;
    else
      free_timer(t);
    jerry_value_t global = jerry_current_realm();
    jerry_value_t r = jerry_call(fn, global, NULL, 0);
    jerry_value_free(global);
    jerry_value_free(fn);
    if (jerry_value_is_exception(r)) {
      tbnrt_report_exception(r);
      /* Espruino stops an interval whose callback throws; do the same */
      for (int j = 0; j < TBNRT_MAX_TIMERS; j++)
        if (timers[j].id == id) free_timer(&timers[j]);
    } else {
      jerry_value_free(r);
    }
  }
  jerry_value_t jobs = jerry_run_jobs();
  if (jerry_value_is_exception(jobs))
    tbnrt_report_exception(jobs);
  else
    jerry_value_free(jobs);
  int live = 0;
  uint32_t wait = 0xFFFFFFFFu;
  now_ms = tbn_board_millis();
  for (int i = 0; i < TBNRT_MAX_TIMERS; i++) {
    if (timers[i].id == 0) continue;
    live++;
    int32_t d = (int32_t)(timers[i].due - now_ms);
    uint32_t w = d > 0 ? (uint32_t)d : 0u;
    if (w < wait) wait = w;
  }
  if (wait_ms) *wait_ms = wait;
  return live;
}

/* ---- getTime, process.memory ---- */

static jerry_value_t get_time_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  (void)args;
  (void)argc;
  return jerry_number((double)tbn_board_millis() / 1000.0);
}

/* Espruino's shape: {free, usage, total, blocksize}; here in bytes of the
 * Jerry heap (blocksize 1). Like Espruino, collects garbage first unless
 * called with false. Needs --mem-stats=ON, else free = total = 0. */
static jerry_value_t memory_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  jerry_value_t gc = arg(args, argc, 0);
  if (jerry_value_is_undefined(gc) || jerry_value_to_boolean(gc)) jerry_heap_gc(JERRY_GC_PRESSURE_HIGH);
  jerry_heap_stats_t st;
  memset(&st, 0, sizeof st);
  bool ok = jerry_heap_stats(&st);
  jerry_value_t o = jerry_object();
  set_value(o, "free", jerry_number(ok ? (double)(st.size - st.allocated_bytes) : 0.0));
  set_value(o, "usage", jerry_number(ok ? (double)st.allocated_bytes : 0.0));
  set_value(o, "total", jerry_number(ok ? (double)st.size : 0.0));
  set_value(o, "peak", jerry_number(ok ? (double)st.peak_allocated_bytes : 0.0));
  set_value(o, "blocksize", jerry_number(1.0));
  return o;
}

/* ---- Serial1 ---- */

static jerry_value_t serial_write_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  for (jerry_length_t i = 0; i < argc; i++) write_value(args[i], serial_sink);
  return jerry_undefined();
}

static jerry_value_t serial_println_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  if (argc > 0) write_value(args[0], serial_sink);
  tbn_board_serial_write((const uint8_t *)"\r\n", 2);
  return jerry_undefined();
}

static jerry_value_t serial_on_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  jerry_value_t ev = arg(args, argc, 0), fn = arg(args, argc, 1);
  char name[8] = {0};
  if (jerry_value_is_string(ev)) jerry_string_to_buffer(ev, JERRY_ENCODING_CESU8, (jerry_char_t *)name, sizeof name - 1);
  if (strcmp(name, "data") != 0 || !jerry_value_is_function(fn))
    return jerry_throw_sz(JERRY_ERROR_TYPE, "Serial1.on: only on('data', function) is supported");
  if (have_serial_listener) jerry_value_free(serial_listener);
  serial_listener = jerry_value_copy(fn);
  have_serial_listener = true;
  return jerry_undefined();
}

static jerry_value_t noop_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  (void)args;
  (void)argc;
  return jerry_undefined();
}

bool tbnrt_has_serial_listener(void) {
  return have_serial_listener;
}

void tbnrt_serial_input(const uint8_t *bytes, size_t len) {
  if (!have_serial_listener || len == 0) return;
  jerry_value_t data = jerry_typedarray(JERRY_TYPEDARRAY_UINT8, (jerry_length_t)len);
  jerry_size_t off = 0, blen = 0;
  jerry_value_t ab = jerry_typedarray_buffer(data, &off, &blen);
  uint8_t *p = jerry_arraybuffer_data(ab);
  if (p) memcpy(p + off, bytes, len);
  jerry_value_free(ab);
  jerry_value_t fn = jerry_value_copy(serial_listener);
  jerry_value_t r = jerry_call(fn, jerry_undefined(), &data, 1);
  jerry_value_free(fn);
  jerry_value_free(data);
  if (jerry_value_is_exception(r))
    tbnrt_report_exception(r);
  else
    jerry_value_free(r);
}

/* ---- LED1 ---- */

static jerry_value_t led_write_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  tbn_board_led(jerry_value_to_boolean(arg(args, argc, 0)));
  return jerry_undefined();
}

/* ---- require("Storage"), require("tbn") ---- */

static jerry_value_t storage_read_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  jerry_value_t name = arg(args, argc, 0);
  char buf[32] = {0};
  if (!jerry_value_is_string(name) || jerry_string_size(name, JERRY_ENCODING_CESU8) >= sizeof buf)
    return jerry_throw_sz(JERRY_ERROR_TYPE, "Storage.read: the name must be a string of at most 28 characters");
  jerry_string_to_buffer(name, JERRY_ENCODING_CESU8, (jerry_char_t *)buf, sizeof buf - 1);
  const uint8_t *bytes = NULL;
  uint32_t len = 0;
  if (!tbn_board_storage_find(buf, &bytes, &len)) return jerry_undefined(); /* Espruino: undefined when absent */
  /* an ArrayBuffer over the stored bytes, not a string: Jerry strings are not binary-safe */
  return tbn_jerry_external_arraybuffer(bytes, len);
}

static jerry_value_t require_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  jerry_value_t name = arg(args, argc, 0);
  char buf[16] = {0};
  if (jerry_value_is_string(name) && jerry_string_size(name, JERRY_ENCODING_CESU8) < sizeof buf)
    jerry_string_to_buffer(name, JERRY_ENCODING_CESU8, (jerry_char_t *)buf, sizeof buf - 1);
  jerry_value_t global = jerry_current_realm();
  jerry_value_t r;
  if (strcmp(buf, "Storage") == 0)
    r = jerry_value_copy(storage_object);
  else if (strcmp(buf, "tbn") == 0)
    r = jerry_object_get_sz(global, "tbn");
  else
    r = jerry_throw_sz(JERRY_ERROR_COMMON, "require: module not found (this board has Storage and tbn)");
  jerry_value_free(global);
  return r;
}

/* ---- set-up ---- */

void tbnrt_init(void) {
  memset(timers, 0, sizeof timers);
  tbn_jerry_init_arraybuffers();
  tbn_jerry_register();
  jerry_value_t global = jerry_current_realm();
  set_fn(global, "print", print_handler);
  set_fn(global, "setTimeout", set_timeout_handler);
  set_fn(global, "setInterval", set_interval_handler);
  set_fn(global, "clearTimeout", clear_timer_handler);
  set_fn(global, "clearInterval", clear_timer_handler);
  set_fn(global, "getTime", get_time_handler);
  set_fn(global, "require", require_handler);

  jerry_value_t console = jerry_object();
  set_fn(console, "log", print_handler);
  set_value(global, "console", console);

  jerry_value_t process = jerry_object();
  set_fn(process, "memory", memory_handler);
  set_value(global, "process", process);

  jerry_value_t serial = jerry_object();
  set_fn(serial, "write", serial_write_handler);
  set_fn(serial, "print", serial_write_handler);
  set_fn(serial, "println", serial_println_handler);
  set_fn(serial, "on", serial_on_handler);
  set_fn(serial, "setup", noop_handler);
  set_value(global, "Serial1", serial);

  jerry_value_t led = jerry_object();
  set_fn(led, "write", led_write_handler);
  set_value(global, "LED1", led);

  storage_object = jerry_object();
  have_storage_object = true;
  set_fn(storage_object, "read", storage_read_handler);
  set_fn(storage_object, "readArrayBuffer", storage_read_handler);
  jerry_value_free(global);
}

void tbnrt_cleanup(void) {
  for (int i = 0; i < TBNRT_MAX_TIMERS; i++)
    if (timers[i].id) free_timer(&timers[i]);
  if (have_serial_listener) jerry_value_free(serial_listener);
  have_serial_listener = false;
  if (have_storage_object) jerry_value_free(storage_object);
  have_storage_object = false;
}

void tbnrt_report_exception(jerry_value_t exception) {
  jerry_value_t v = jerry_exception_value(exception, true);
  jerry_value_t s = jerry_value_to_string(v);
  tbn_board_console_write("Uncaught ", 9);
  if (!jerry_value_is_exception(s)) write_value(s, console_sink);
  tbn_board_console_write("\n", 1);
  jerry_value_free(s);
  jerry_value_free(v);
}

bool tbnrt_run_source(const char *name, const uint8_t *source, size_t len) {
  jerry_parse_options_t opts;
  memset(&opts, 0, sizeof opts);
  opts.options = JERRY_PARSE_HAS_SOURCE_NAME;
  opts.source_name = jerry_string_sz(name);
  jerry_value_t fn = jerry_parse(source, len, &opts);
  jerry_value_free(opts.source_name);
  if (jerry_value_is_exception(fn)) {
    tbnrt_report_exception(fn);
    return false;
  }
  jerry_value_t r = jerry_run(fn);
  jerry_value_free(fn);
  if (jerry_value_is_exception(r)) {
    tbnrt_report_exception(r);
    return false;
  }
  jerry_value_free(r);
  return true;
}

bool tbnrt_run_snapshot(const uint32_t *snapshot, size_t bytes) {
  jerry_value_t r = jerry_exec_snapshot(snapshot, bytes, 0, TBNRT_SNAPSHOT_FLAGS, NULL);
  if (jerry_value_is_exception(r)) {
    tbnrt_report_exception(r);
    return false;
  }
  jerry_value_free(r);
  return true;
}
