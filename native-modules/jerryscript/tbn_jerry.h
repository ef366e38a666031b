/*
 * tbn_jerry.h - the `tbn` module for JerryScript v3.0 (global `tbn`).
 *
 * Implements device/TBN_MODULE.md over the C kernel (native-modules/tbn.h).
 * Needs a JerryScript build with typed arrays (es.next profile or a profile
 * keeping JERRY_BUILTIN_TYPEDARRAY).
 *
 *   jerry_init(JERRY_INIT_EMPTY);
 *   tbn_jerry_init_arraybuffers();   // before any tbn_jerry_external_arraybuffer
 *   tbn_jerry_register();            // defines the global `tbn`
 *
 * The handle's scratch RAM comes from TBN_JERRY_MALLOC/TBN_JERRY_FREE
 * (default malloc/free), not from the engine heap: running out of Jerry heap
 * is fatal in v3.0, whereas a failed malloc becomes a JS Error.
 */
#ifndef TBN_JERRY_H
#define TBN_JERRY_H

#include <stdbool.h>
#include <stdint.h>

#include "jerryscript.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defines the global `tbn` = {open, info, run, close}. False on failure. */
bool tbn_jerry_register(void);

/* Installs the ArrayBuffer free callback that leaves buffers made by
 * tbn_jerry_external_arraybuffer alone (v3.0 would otherwise hand them to
 * its own heap free). Call once after jerry_init(). */
void tbn_jerry_init_arraybuffers(void);

/* Wraps read-only bytes that outlive the engine (a model blob in flash, a
 * file mapped by the host main) as an ArrayBuffer, without copying. Writing
 * to it from JS writes (or faults) on the underlying memory. */
jerry_value_t tbn_jerry_external_arraybuffer(const uint8_t *bytes, uint32_t size);

#ifdef __cplusplus
}
#endif

#endif /* TBN_JERRY_H */
