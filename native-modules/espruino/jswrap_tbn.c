/*
 * jswrap_tbn.c - the `tbn` library for Espruino: require("tbn").
 *
 * Implements device/TBN_MODULE.md over the C kernel (native-modules/tbn.h).
 * Built into Espruino (tested with 2v29) by adding this file to
 * WRAPPERSOURCES and the kernel sources (native-modules/core) to SOURCES; see docs/engines.md
 * and the board files in boards/<board>/espruino/.
 *
 * A model handle is a plain object holding hidden children:
 *   "\xFFtbs"  the caller's bytes when they are used in place (zero copy:
 *              a flash-resident String from require("Storage").read, or a
 *              contiguous, 4-byte aligned ArrayBuffer/typed array);
 *   "\xFFtbc"  otherwise a flat-string copy (non-contiguous or misaligned bytes);
 *   "\xFFtbm"  a flat string with the tbn_model struct, the kernel scratch
 *              and a class_count int32 logits area (no malloc: STM32 builds
 *              have none, and the RAM is counted by process.memory()).
 * Data pointers are looked up again on every call because E.defrag() may
 * move flat strings.
 */
#include "jswrap_tbn.h"

#include <string.h>

#include "jsinteractive.h"
#include "jswrap_arraybuffer.h"
#include "jsparse.h"
#include "jsutils.h"
#include "jsvar.h"
#include "jsvariterator.h"
#include "tbn.h"

#define TBN_KEY_SRC JS_HIDDEN_CHAR_STR "tbs"
#define TBN_KEY_COPY JS_HIDDEN_CHAR_STR "tbc"
#define TBN_KEY_STATE JS_HIDDEN_CHAR_STR "tbm"

/*JSON{
  "type" : "library",
  "class" : "tbn"
}
Tiled Bit Network inference: `var tbn = require("tbn")`. See device/TBN_MODULE.md.
*/

static uint8_t *tbn_align4(void *p) {
  return (uint8_t *)(((size_t)p + 3u) & ~(size_t)3u);
}

static bool tbn_is_bytes(JsVar *v) {
  return jsvIsString(v) || jsvIsArrayBuffer(v);
}

/* Byte length of a String, ArrayBuffer or typed array (Espruino keeps view
 * lengths in elements). */
static size_t tbn_byte_length(JsVar *v) {
  if (jsvIsArrayBuffer(v))
    return jsvGetArrayBufferLength(v) * JSV_ARRAYBUFFER_GET_SIZE(v->varData.arraybuffer.type);
  return jsvGetStringLength(v);
}

/* Pointer to the bytes if they are contiguous in memory, else NULL
 * (jsvGetDataPointer returns 0 for fragmented strings and external flash). */
static uint8_t *tbn_bytes_pointer(JsVar *v, size_t *len) {
  size_t n = 0;
  char *p = jsvGetDataPointer(v, &n);
  if (!p) return NULL;
  *len = tbn_byte_length(v);
  return (uint8_t *)p;
}

/* Copies the first n raw bytes of a String/ArrayBuffer/view, whatever its
 * storage (the generic iterators would convert elements, not copy bytes). */
static void tbn_copy_bytes(JsVar *v, uint8_t *dst, size_t n) {
  uint32_t offset = 0;
  JsVar *s = jsvIsArrayBuffer(v) ? jsvGetArrayBufferBackingString(v, &offset) : jsvLockAgain(v);
  JsvStringIterator it;
  jsvStringIteratorNew(&it, s, offset);
  for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)jsvStringIteratorGetCharAndNext(&it);
  jsvStringIteratorFree(&it);
  jsvUnLock(s);
}

static void tbn_throw_status(tbn_status s, const tbn_model *m) {
  if ((s == TBN_E_LAYER || s == TBN_E_CHAIN || s == TBN_E_OFFSET) && m->bad_layer >= 0)
    jsExceptionHere(JSET_ERROR, "tbn: %s (layer %d)", tbn_status_string(s), (int)m->bad_layer);
  else
    jsExceptionHere(JSET_ERROR, "tbn: %s", tbn_status_string(s));
}

/*JSON{
  "type" : "staticmethod",
  "class" : "tbn",
  "name" : "open",
  "generate" : "jswrap_tbn_open",
  "params" : [
    ["bytes","JsVar","The .tbn file: a String (e.g. require(\"Storage\").read(name), used in place), an ArrayBuffer, a typed array or a DataView"]
  ],
  "return" : ["JsVar","A model handle"]
}
Validates the whole model and returns a handle that owns its scratch RAM.
*/
static JsVar *tbn_open_bytes(JsVar *bytes);

JsVar *jswrap_tbn_open(JsVar *bytes) {
  if (!jsvIsObject(bytes) || !jsvIsInstanceOf(bytes, "DataView")) return tbn_open_bytes(bytes);
  /* Espruino's DataView is an object over an ArrayBuffer: open a Uint8Array view of its range */
  JsVar *buffer = jsvObjectGetChildIfExists(bytes, "buffer");
  JsVar *view = jsvIsArrayBuffer(buffer)
                    ? jswrap_typedarray_constructor(ARRAYBUFFERVIEW_UINT8, buffer, jsvObjectGetIntegerChild(bytes, "byteOffset"),
                                                    jsvObjectGetIntegerChild(bytes, "byteLength"))
                    : 0;
  jsvUnLock(buffer);
  if (!view) {
    if (!jspHasError()) jsExceptionHere(JSET_TYPEERROR, "tbn: open() got a DataView without a usable ArrayBuffer");
    return 0;
  }
  JsVar *handle = tbn_open_bytes(view);
  jsvUnLock(view);
  return handle;
}

static JsVar *tbn_open_bytes(JsVar *bytes) {
  if (!tbn_is_bytes(bytes)) {
    jsExceptionHere(JSET_TYPEERROR, "tbn: open() needs a String, ArrayBuffer or typed array, got %t", bytes);
    return 0;
  }
  size_t len = tbn_byte_length(bytes);
  size_t plen = 0;
  uint8_t *data = tbn_bytes_pointer(bytes, &plen);
  JsVar *copy = 0;
  if (!data || ((size_t)data & 3u)) {
    /* fragmented or misaligned: the kernel needs flat, 4-byte aligned bytes */
    copy = jsvNewFlatStringOfLength((unsigned int)(len + 3u));
    if (!copy) {
      jsExceptionHere(JSET_ERROR, "tbn: out of memory copying the %d-byte model into flat aligned RAM", (int)len);
      return 0;
    }
    uint8_t *dst = tbn_align4(jsvGetFlatStringPointer(copy));
    if (data)
      memcpy(dst, data, len);
    else
      tbn_copy_bytes(bytes, dst, len);
    data = dst;
  }
  tbn_model m;
  tbn_status s = tbn_model_open(&m, data, len);
  if (s != TBN_OK) {
    jsvUnLock(copy);
    tbn_throw_status(s, &m);
    return 0;
  }
  tbn_info info;
  tbn_model_info(&m, &info);
  size_t state_len = sizeof(tbn_model) + 3u + info.scratch_bytes + 4u * info.class_count;
  JsVar *state = jsvNewFlatStringOfLength((unsigned int)state_len);
  if (!state) {
    jsvUnLock(copy);
    jsExceptionHere(JSET_ERROR, "tbn: out of memory allocating %d bytes of scratch RAM", (int)state_len);
    return 0;
  }
  memcpy(jsvGetFlatStringPointer(state), &m, sizeof m);
  JsVar *handle = jsvNewObject();
  if (!handle) {
    jsvUnLock2(copy, state);
    jsExceptionHere(JSET_ERROR, "tbn: out of memory");
    return 0;
  }
  if (copy)
    jsvObjectSetChildAndUnLock(handle, TBN_KEY_COPY, copy);
  else
    jsvObjectSetChild(handle, TBN_KEY_SRC, bytes); /* keeps the bytes alive */
  jsvObjectSetChildAndUnLock(handle, TBN_KEY_STATE, state);
  return handle;
}

/* Loads the handle's model with a fresh data pointer; returns the start of
 * its state flat string, or NULL after raising an exception. */
static uint8_t *tbn_load(JsVar *handle, tbn_model *m) {
  JsVar *state = jsvIsObject(handle) ? jsvObjectGetChildIfExists(handle, TBN_KEY_STATE) : 0;
  if (!jsvIsFlatString(state) || jsvGetStringLength(state) < sizeof(tbn_model)) {
    /* close() leaves a boolean marker, so a closed handle is told apart */
    jsExceptionHere(JSET_ERROR, jsvIsBoolean(state) ? "tbn: the model handle is closed" : "tbn: not a model handle from tbn.open");
    jsvUnLock(state);
    return NULL;
  }
  /* the handle keeps the flat string alive; nothing below allocates */
  uint8_t *st = (uint8_t *)jsvGetFlatStringPointer(state);
  jsvUnLock(state);
  memcpy(m, st, sizeof *m);
  const uint8_t *data = NULL;
  size_t len = 0;
  JsVar *copy = jsvObjectGetChildIfExists(handle, TBN_KEY_COPY);
  if (jsvIsFlatString(copy)) {
    data = tbn_align4(jsvGetFlatStringPointer(copy));
    len = jsvGetStringLength(copy) - 3u;
  } else {
    JsVar *src = jsvObjectGetChildIfExists(handle, TBN_KEY_SRC);
    if (tbn_is_bytes(src)) data = tbn_bytes_pointer(src, &len);
    jsvUnLock(src);
  }
  jsvUnLock(copy);
  if (!data || len != m->size || ((size_t)data & 3u)) {
    jsExceptionHere(JSET_ERROR, "tbn: the model bytes were resized or moved since tbn.open()");
    return NULL;
  }
  m->data = data;
  return st;
}

/*JSON{
  "type" : "staticmethod",
  "class" : "tbn",
  "name" : "info",
  "generate" : "jswrap_tbn_info",
  "params" : [
    ["model","JsVar","A handle from tbn.open()"]
  ],
  "return" : ["JsVar","{version, fileBytes, layers, classes, inH, inW, inC, inputLen, scratchBytes, labels}"]
}
Describes an opened model.
*/
JsVar *jswrap_tbn_info(JsVar *model) {
  tbn_model m;
  if (!tbn_load(model, &m)) return 0;
  tbn_info info;
  tbn_model_info(&m, &info);
  JsVar *o = jsvNewObject();
  JsVar *labels = jsvNewEmptyArray();
  if (!o || !labels) {
    jsvUnLock2(o, labels);
    jsExceptionHere(JSET_ERROR, "tbn: out of memory");
    return 0;
  }
  jsvObjectSetIntChild(o, "version", (JsVarInt)info.version);
  jsvObjectSetIntChild(o, "fileBytes", (JsVarInt)info.file_bytes);
  jsvObjectSetIntChild(o, "layers", (JsVarInt)info.layer_count);
  jsvObjectSetIntChild(o, "classes", (JsVarInt)info.class_count);
  jsvObjectSetIntChild(o, "inH", (JsVarInt)info.in_h);
  jsvObjectSetIntChild(o, "inW", (JsVarInt)info.in_w);
  jsvObjectSetIntChild(o, "inC", (JsVarInt)info.in_c);
  jsvObjectSetIntChild(o, "inputLen", (JsVarInt)info.input_len);
  jsvObjectSetIntChild(o, "scratchBytes", (JsVarInt)info.scratch_bytes);
  for (uint32_t i = 0; i < info.class_count; i++) {
    const char *label = tbn_class_label(&m, i);
    jsvArrayPushAndUnLock(labels, jsvNewFromString(label ? label : ""));
  }
  jsvObjectSetChildAndUnLock(o, "labels", labels);
  return o;
}

/*JSON{
  "type" : "staticmethod",
  "class" : "tbn",
  "name" : "run",
  "generate" : "jswrap_tbn_run",
  "params" : [
    ["model","JsVar","A handle from tbn.open()"],
    ["input","JsVar","Float32Array, Int8Array or Int16Array (sensor counts) of exactly info.inputLen elements, channel-last"],
    ["logits","JsVar","[optional] Int32Array of at least info.classes elements that receives the integer logits"],
    ["params","JsVar","Int16Array input only: Int32Array of (mult, add, shift) per input channel (tbn_format.h INT16 INPUT)"]
  ],
  "return" : ["JsVar","The class index (argmax of the logits, lowest index on a tie)"]
}
Runs one inference.
*/
JsVar *jswrap_tbn_run(JsVar *model, JsVar *input, JsVar *logits, JsVar *params) {
  tbn_model m;
  uint8_t *st = tbn_load(model, &m);
  if (!st) return 0;
  tbn_info info;
  tbn_model_info(&m, &info);
  JsVarDataArrayBufferViewType in_type =
      jsvIsArrayBuffer(input) ? input->varData.arraybuffer.type : ARRAYBUFFERVIEW_UNDEFINED;
  if (in_type != ARRAYBUFFERVIEW_FLOAT32 && in_type != ARRAYBUFFERVIEW_INT8 && in_type != ARRAYBUFFERVIEW_INT16) {
    jsExceptionHere(JSET_TYPEERROR, "tbn: input must be a Float32Array, Int8Array or Int16Array, got %t", input);
    return 0;
  }
  bool i16 = in_type == ARRAYBUFFERVIEW_INT16;
  if (i16 && (!jsvIsArrayBuffer(params) || params->varData.arraybuffer.type != ARRAYBUFFERVIEW_INT32)) {
    jsExceptionHere(JSET_TYPEERROR, "tbn: an Int16Array input needs its parameters as an Int32Array (4th argument), got %t", params);
    return 0;
  }
  if (!i16 && !jsvIsUndefined(params)) {
    jsExceptionHere(JSET_TYPEERROR, "tbn: parameters are for Int16Array input only");
    return 0;
  }
  size_t n = jsvGetArrayBufferLength(input);
  if (n != info.input_len) {
    jsExceptionHere(JSET_TYPEERROR, "tbn: input has %d elements, the model needs %d", (int)n, (int)info.input_len);
    return 0;
  }
  bool want_logits = !jsvIsUndefined(logits);
  if (want_logits &&
      (!jsvIsArrayBuffer(logits) || logits->varData.arraybuffer.type != ARRAYBUFFERVIEW_INT32 ||
       jsvGetArrayBufferLength(logits) < info.class_count)) {
    jsExceptionHere(JSET_TYPEERROR, "tbn: logits must be an Int32Array of at least %d elements", (int)info.class_count);
    return 0;
  }
  size_t in_bytes = n * JSV_ARRAYBUFFER_GET_SIZE(in_type);
  size_t plen = 0;
  const void *in = tbn_bytes_pointer(input, &plen);
  if (!in || (in_type == ARRAYBUFFERVIEW_FLOAT32 && ((size_t)in & 3u)) || (i16 && ((size_t)in & 1u))) {
    /* fragmented, or misaligned floats/counts: copy to the stack for this call */
    if (in_bytes + 256u > jsuGetFreeStack()) {
      jsExceptionHere(JSET_ERROR, "tbn: not enough stack to copy the %d-byte input (pass a flat, aligned array)", (int)in_bytes);
      return 0;
    }
    uint8_t *tmp = (uint8_t *)alloca(in_bytes + 3u);
    tmp = tbn_align4(tmp);
    tbn_copy_bytes(input, tmp, in_bytes);
    in = tmp;
  }
  uint8_t *scratch = tbn_align4(st + sizeof(tbn_model));
  int32_t *out = (int32_t *)(void *)(scratch + info.scratch_bytes);
  uint32_t cls = 0;
  tbn_input_i16 in16;
  tbn_input_type type = in_type == ARRAYBUFFERVIEW_INT8 ? TBN_INPUT_I8 : TBN_INPUT_F32;
  if (i16) {
    /* the kernel checks the count (3 per channel) and every value's range */
    size_t pn = jsvGetArrayBufferLength(params), pbytes = 4u * pn;
    const void *pp = tbn_bytes_pointer(params, &plen);
    if (!pp || ((size_t)pp & 3u)) {
      if (pbytes + 256u > jsuGetFreeStack()) {
        jsExceptionHere(JSET_ERROR, "tbn: not enough stack to copy the %d-byte parameters", (int)pbytes);
        return 0;
      }
      uint8_t *tmp = (uint8_t *)alloca(pbytes + 3u);
      tmp = tbn_align4(tmp);
      tbn_copy_bytes(params, tmp, pbytes);
      pp = tmp;
    }
    in16.samples = (const int16_t *)in;
    in16.params = (const int32_t *)pp;
    in16.params_len = pn;
    in = &in16;
    type = TBN_INPUT_I16;
  }
  tbn_status s = tbn_run(&m, in, type, n, scratch, info.scratch_bytes, out, info.class_count, &cls);
  if (s != TBN_OK) {
    tbn_throw_status(s, &m);
    return 0;
  }
  if (want_logits) {
    size_t llen = 0;
    uint8_t *lp = tbn_bytes_pointer(logits, &llen);
    if (lp) {
      memcpy(lp, out, 4u * info.class_count);
    } else {
      JsvArrayBufferIterator it;
      jsvArrayBufferIteratorNew(&it, logits, 0);
      for (uint32_t i = 0; i < info.class_count; i++) {
        jsvArrayBufferIteratorSetIntegerValue(&it, (JsVarInt)out[i]);
        jsvArrayBufferIteratorNext(&it);
      }
      jsvArrayBufferIteratorFree(&it);
    }
  }
  return jsvNewFromInteger((JsVarInt)cls);
}

/*JSON{
  "type" : "staticmethod",
  "class" : "tbn",
  "name" : "close",
  "generate" : "jswrap_tbn_close",
  "params" : [
    ["model","JsVar","A handle from tbn.open()"]
  ]
}
Releases the handle's scratch RAM; later use of the handle (close included) throws.
*/
void jswrap_tbn_close(JsVar *model) {
  tbn_model m;
  if (!tbn_load(model, &m)) return; /* throws for closed and foreign handles */
  jsvObjectSetChildAndUnLock(model, TBN_KEY_STATE, jsvNewFromBool(true));
  jsvObjectRemoveChild(model, TBN_KEY_COPY);
  jsvObjectRemoveChild(model, TBN_KEY_SRC);
}
