/*
 * tbn_runtime.h - the globals JerryScript lacks and the tbn device app uses:
 * setTimeout/setInterval/clearTimeout/clearInterval, Serial1 (on('data'),
 * write, print, println, setup), require("Storage").read/readArrayBuffer,
 * require("tbn"), getTime(), process.memory(), LED1, print/console.log.
 *
 * Board-independent: each main (host_main.c, boards/<b>/jerryscript/main.c)
 * implements the tbn_board_* hooks below and drives the event loop:
 *
 *   jerry_init(JERRY_INIT_EMPTY);
 *   tbnrt_init();                          // also registers `tbn`
 *   tbnrt_run_source(name, src, len) or tbnrt_run_snapshot(words, bytes);
 *   for (;;) { feed tbnrt_serial_input(bytes); tbnrt_poll(now_ms()); }
 */
#ifndef TBN_RUNTIME_H
#define TBN_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jerryscript.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- provided by the board main ---- */
/* Milliseconds since start (wraps after 49 days). */
uint32_t tbn_board_millis(void);
/* Writes bytes to the serial port the app talks on (Serial1). */
void tbn_board_serial_write(const uint8_t *bytes, size_t len);
/* Writes text to the console (print, console.log, uncaught errors). */
void tbn_board_console_write(const char *text, size_t len);
/* Finds a stored file: returns true and its bytes (which must outlive the
 * engine, e.g. a const array in flash) or false. */
bool tbn_board_storage_find(const char *name, const uint8_t **bytes, uint32_t *len);
/* Sets the LED (LED1.write). */
void tbn_board_led(bool on);

/* ---- the runtime ---- */
#define TBNRT_MAX_TIMERS 16

/* Registers the globals and `tbn`. Call after jerry_init(). */
void tbnrt_init(void);
/* Releases every value the runtime holds. Call before jerry_cleanup(). */
void tbnrt_cleanup(void);

/* Parses and runs a script; prints an uncaught exception. True on success. */
bool tbnrt_run_source(const char *name, const uint8_t *source, size_t len);
/* Runs a snapshot made by jerry-snapshot (same engine version and profile).
 * The words must stay valid while the engine runs (e.g. const in flash). */
bool tbnrt_run_snapshot(const uint32_t *snapshot, size_t bytes);

/* Delivers received serial bytes to Serial1's 'data' listener (as a Uint8Array). */
void tbnrt_serial_input(const uint8_t *bytes, size_t len);
/* Runs the timers due at now_ms and pending promise jobs. Returns the number
 * of live timers; *wait_ms gets the time until the next one (if any). */
int tbnrt_poll(uint32_t now_ms, uint32_t *wait_ms);
/* True once Serial1.on('data') has a listener. */
bool tbnrt_has_serial_listener(void);
/* Prints an exception value (and frees it). */
void tbnrt_report_exception(jerry_value_t exception);

#ifdef __cplusplus
}
#endif

#endif /* TBN_RUNTIME_H */
