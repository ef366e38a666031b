/*
 * tbn_jerry.c - the `tbn` module for JerryScript v3.0 (see tbn_jerry.h).
 *
 * A handle is a JS object with a native pointer (tbn_jerry_handle). The
 * native struct holds a GC-marked reference to the caller's ArrayBuffer, so
 * bytes used in place stay alive as long as the handle; strings and
 * misaligned bytes are copied into aligned memory owned by the handle.
 */
#include "tbn_jerry.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tbn.h"

#ifndef TBN_JERRY_MALLOC
#define TBN_JERRY_MALLOC(n) malloc(n)
#define TBN_JERRY_FREE(p) free(p)
#endif

typedef struct {
  tbn_model model;
  uint8_t *owned;         /* aligned copy of the bytes (malloc'd), or NULL when used in place */
  uint8_t *scratch;       /* scratch_bytes, then class_count int32 logits */
  uint32_t scratch_bytes; /* kernel scratch, without the logits area */
  jerry_value_t bytes;    /* the caller's ArrayBuffer (GC-marked reference) */
} tbn_jerry_handle;

static void tbn_jerry_handle_free(void *native_p, jerry_object_native_info_t *info_p);

static const jerry_object_native_info_t tbn_jerry_handle_info = {
    .free_cb = tbn_jerry_handle_free,
    .number_of_references = 1,
    .offset_of_references = (uint16_t)offsetof(tbn_jerry_handle, bytes),
};

/* Tag of ArrayBuffers wrapping memory the engine must not free. */
static int tbn_jerry_external_tag;

static void tbn_jerry_release(tbn_jerry_handle *h) {
  if (h->owned) TBN_JERRY_FREE(h->owned);
  if (h->scratch) TBN_JERRY_FREE(h->scratch);
  h->owned = NULL;
  h->scratch = NULL;
}

static void tbn_jerry_handle_free(void *native_p, jerry_object_native_info_t *info_p) {
  tbn_jerry_handle *h = (tbn_jerry_handle *)native_p;
  tbn_jerry_release(h);
  jerry_native_ptr_free(native_p, info_p);
  TBN_JERRY_FREE(h);
}

static void tbn_jerry_arraybuffer_free(jerry_arraybuffer_type_t type, uint8_t *buffer_p, uint32_t size,
                                       void *arraybuffer_user_p, void *user_p) {
  (void)type;
  (void)user_p;
  if (arraybuffer_user_p == &tbn_jerry_external_tag) return;
  jerry_heap_free(buffer_p, size);
}

void tbn_jerry_init_arraybuffers(void) {
  /* NULL allocator: the engine keeps allocating from its heap. */
  jerry_arraybuffer_allocator(NULL, tbn_jerry_arraybuffer_free, NULL);
}

jerry_value_t tbn_jerry_external_arraybuffer(const uint8_t *bytes, uint32_t size) {
  return jerry_arraybuffer_external((uint8_t *)(uintptr_t)bytes, size, &tbn_jerry_external_tag);
}

/* ---- messages without stdio (snprintf pulls a lot into bare-metal builds) ---- */

typedef struct {
  char text[200];
  size_t len;
} tbn_msg;

static void msg_str(tbn_msg *m, const char *s) {
  while (*s && m->len + 1 < sizeof m->text) m->text[m->len++] = *s++;
  m->text[m->len] = 0;
}

/* Decimal without division (some Xtensa libgcc builds lack the helpers). */
static void msg_num(tbn_msg *m, uint32_t v) {
  static const uint32_t powers[] = {1000000000u, 100000000u, 10000000u, 1000000u, 100000u, 10000u, 1000u, 100u, 10u, 1u};
  int started = 0;
  for (size_t i = 0; i < sizeof powers / sizeof powers[0]; i++) {
    char d = '0';
    while (v >= powers[i]) {
      v -= powers[i];
      d++;
    }
    if (d != '0' || started || powers[i] == 1u) {
      started = 1;
      if (m->len + 1 < sizeof m->text) m->text[m->len++] = d;
    }
  }
  m->text[m->len] = 0;
}

static jerry_value_t throw_msg(jerry_error_t type, tbn_msg *m) {
  return jerry_throw_sz(type, m->text);
}

static jerry_value_t throw_status(tbn_status s, const tbn_model *model) {
  tbn_msg m = {{0}, 0};
  msg_str(&m, "tbn: ");
  msg_str(&m, tbn_status_string(s));
  if ((s == TBN_E_LAYER || s == TBN_E_CHAIN || s == TBN_E_OFFSET) && model->bad_layer >= 0) {
    msg_str(&m, " (layer ");
    msg_num(&m, (uint32_t)model->bad_layer);
    msg_str(&m, ")");
  }
  return throw_msg(JERRY_ERROR_COMMON, &m);
}

/* ---- byte views ---- */

/* The ArrayBuffer behind an ArrayBuffer, typed array or DataView, with the
 * view's byte range; undefined (and nothing set) for anything else. */
static jerry_value_t buffer_of(jerry_value_t v, jerry_size_t *offset, jerry_size_t *length) {
  if (jerry_value_is_arraybuffer(v)) {
    *offset = 0;
    *length = jerry_arraybuffer_size(v);
    return jerry_value_copy(v);
  }
  if (jerry_value_is_typedarray(v)) return jerry_typedarray_buffer(v, offset, length);
  if (jerry_value_is_dataview(v)) return jerry_dataview_buffer(v, offset, length);
  return jerry_undefined();
}

/* Copies a binary string (every character <= 0xFF) into aligned memory. */
static jerry_value_t string_bytes(jerry_value_t s, uint8_t **out, size_t *out_len) {
  jerry_size_t cesu_len = jerry_string_size(s, JERRY_ENCODING_CESU8);
  uint8_t *buf = (uint8_t *)TBN_JERRY_MALLOC(cesu_len ? cesu_len : 1u);
  if (!buf) return jerry_throw_sz(JERRY_ERROR_COMMON, "tbn: out of memory copying the model string");
  jerry_string_to_buffer(s, JERRY_ENCODING_CESU8, buf, cesu_len);
  size_t n = 0;
  for (size_t i = 0; i < cesu_len;) {
    uint8_t c = buf[i];
    if (c < 0x80u) {
      buf[n++] = c;
      i++;
    } else if ((c & 0xE0u) == 0xC0u && i + 1 < cesu_len && (c & 0x1Fu) <= 0x03u) {
      buf[n++] = (uint8_t)(((c & 0x03u) << 6) | (buf[i + 1] & 0x3Fu));
      i += 2;
    } else {
      TBN_JERRY_FREE(buf);
      return jerry_throw_sz(JERRY_ERROR_TYPE, "tbn: the model string has a character above 0xFF (not binary data)");
    }
  }
  *out = buf;
  *out_len = n;
  return jerry_undefined();
}

static tbn_jerry_handle *handle_of(jerry_value_t v, jerry_value_t *error) {
  tbn_jerry_handle *h =
      jerry_value_is_object(v) ? (tbn_jerry_handle *)jerry_object_get_native_ptr(v, &tbn_jerry_handle_info) : NULL;
  if (!h || !h->scratch) {
    *error = jerry_throw_sz(JERRY_ERROR_COMMON, h ? "tbn: the model handle is closed" : "tbn: not a model handle from tbn.open");
    return NULL;
  }
  if (!h->owned && !jerry_arraybuffer_data(h->bytes)) {
    *error = jerry_throw_sz(JERRY_ERROR_COMMON, "tbn: the model's ArrayBuffer was detached");
    return NULL;
  }
  return h;
}

/* ---- tbn.open(bytes) ---- */

static jerry_value_t tbn_open_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  jerry_value_t arg = argc > 0 ? args[0] : jerry_undefined();
  const uint8_t *data = NULL;
  size_t len = 0;
  uint8_t *owned = NULL;
  jerry_value_t keep = jerry_undefined();
  if (jerry_value_is_string(arg)) {
    jerry_value_t r = string_bytes(arg, &owned, &len);
    if (jerry_value_is_exception(r)) return r;
    data = owned;
  } else {
    jerry_size_t off = 0, n = 0;
    keep = buffer_of(arg, &off, &n);
    if (jerry_value_is_exception(keep)) return keep;
    if (!jerry_value_is_arraybuffer(keep)) {
      jerry_value_free(keep);
      return jerry_throw_sz(JERRY_ERROR_TYPE, "tbn: open() needs a String, ArrayBuffer, typed array or DataView");
    }
    uint8_t *base = jerry_arraybuffer_data(keep);
    if (!base && n > 0) {
      jerry_value_free(keep);
      return jerry_throw_sz(JERRY_ERROR_TYPE, "tbn: the ArrayBuffer is detached");
    }
    data = base ? base + off : NULL;
    len = n;
    if (data && ((uintptr_t)data & 3u)) {
      /* the kernel needs 4-byte aligned model bytes: copy */
      owned = (uint8_t *)TBN_JERRY_MALLOC(len ? len : 1u);
      if (!owned) {
        jerry_value_free(keep);
        return jerry_throw_sz(JERRY_ERROR_COMMON, "tbn: out of memory copying the misaligned model");
      }
      memcpy(owned, data, len);
      data = owned;
    }
  }
  tbn_model model;
  static const uint8_t empty[4] = {0, 0, 0, 0};
  tbn_status s = tbn_model_open(&model, data ? data : empty, len);
  if (s != TBN_OK) {
    if (owned) TBN_JERRY_FREE(owned);
    jerry_value_free(keep);
    return throw_status(s, &model);
  }
  tbn_info info;
  tbn_model_info(&model, &info);
  tbn_jerry_handle *h = (tbn_jerry_handle *)TBN_JERRY_MALLOC(sizeof *h);
  uint8_t *scratch = (uint8_t *)TBN_JERRY_MALLOC(info.scratch_bytes + 4u * info.class_count);
  if (!h || !scratch) {
    if (h) TBN_JERRY_FREE(h);
    if (scratch) TBN_JERRY_FREE(scratch);
    if (owned) TBN_JERRY_FREE(owned);
    jerry_value_free(keep);
    tbn_msg m = {{0}, 0};
    msg_str(&m, "tbn: out of memory allocating ");
    msg_num(&m, info.scratch_bytes + 4u * info.class_count);
    msg_str(&m, " bytes of scratch RAM");
    return throw_msg(JERRY_ERROR_COMMON, &m);
  }
  h->model = model;
  h->owned = owned;
  h->scratch = scratch;
  h->scratch_bytes = info.scratch_bytes;
  jerry_native_ptr_init(h, &tbn_jerry_handle_info);
  jerry_value_t obj = jerry_object();
  jerry_object_set_native_ptr(obj, &tbn_jerry_handle_info, h);
  if (!owned) jerry_native_ptr_set(&h->bytes, keep);
  jerry_value_free(keep);
  return obj;
}

/* ---- tbn.info(model) ---- */

static void set_num(jerry_value_t obj, const char *key, uint32_t v) {
  jerry_value_t n = jerry_number((double)v);
  jerry_value_free(jerry_object_set_sz(obj, key, n));
  jerry_value_free(n);
}

static jerry_value_t tbn_info_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  jerry_value_t err = 0;
  tbn_jerry_handle *h = handle_of(argc > 0 ? args[0] : jerry_undefined(), &err);
  if (!h) return err;
  tbn_info info;
  tbn_model_info(&h->model, &info);
  jerry_value_t o = jerry_object();
  set_num(o, "version", info.version);
  set_num(o, "fileBytes", info.file_bytes);
  set_num(o, "layers", info.layer_count);
  set_num(o, "classes", info.class_count);
  set_num(o, "inH", info.in_h);
  set_num(o, "inW", info.in_w);
  set_num(o, "inC", info.in_c);
  set_num(o, "inputLen", info.input_len);
  set_num(o, "scratchBytes", info.scratch_bytes);
  jerry_value_t labels = jerry_array(info.class_count);
  for (uint32_t i = 0; i < info.class_count; i++) {
    const char *label = tbn_class_label(&h->model, i);
    jerry_size_t n = label ? (jerry_size_t)strlen(label) : 0u;
    jerry_value_t str = (label && jerry_validate_string((const jerry_char_t *)label, n, JERRY_ENCODING_UTF8))
                            ? jerry_string((const jerry_char_t *)label, n, JERRY_ENCODING_UTF8)
                            : jerry_string_sz("");
    jerry_value_free(jerry_object_set_index(labels, i, str));
    jerry_value_free(str);
  }
  jerry_value_free(jerry_object_set_sz(o, "labels", labels));
  jerry_value_free(labels);
  return o;
}

/* ---- tbn.run(model, input, logits?, params?) ---- */

static jerry_value_t tbn_run_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  jerry_value_t err = 0;
  tbn_jerry_handle *h = handle_of(argc > 0 ? args[0] : jerry_undefined(), &err);
  if (!h) return err;
  tbn_info info;
  tbn_model_info(&h->model, &info);
  jerry_value_t input = argc > 1 ? args[1] : jerry_undefined();
  jerry_typedarray_type_t type = jerry_value_is_typedarray(input) ? jerry_typedarray_type(input) : JERRY_TYPEDARRAY_INVALID;
  if (type != JERRY_TYPEDARRAY_FLOAT32 && type != JERRY_TYPEDARRAY_INT8 && type != JERRY_TYPEDARRAY_INT16)
    return jerry_throw_sz(JERRY_ERROR_TYPE, "tbn: input must be a Float32Array, Int8Array or Int16Array");
  jerry_value_t params = argc > 3 ? args[3] : jerry_undefined();
  int i16 = type == JERRY_TYPEDARRAY_INT16;
  if (i16 && (!jerry_value_is_typedarray(params) || jerry_typedarray_type(params) != JERRY_TYPEDARRAY_INT32))
    return jerry_throw_sz(JERRY_ERROR_TYPE, "tbn: an Int16Array input needs its parameters as an Int32Array (4th argument)");
  if (!i16 && !jerry_value_is_undefined(params))
    return jerry_throw_sz(JERRY_ERROR_TYPE, "tbn: parameters are for Int16Array input only");
  jerry_length_t n = jerry_typedarray_length(input);
  if (n != info.input_len) {
    tbn_msg m = {{0}, 0};
    msg_str(&m, "tbn: input has ");
    msg_num(&m, n);
    msg_str(&m, " elements, the model needs ");
    msg_num(&m, info.input_len);
    return throw_msg(JERRY_ERROR_TYPE, &m);
  }
  jerry_value_t logits = argc > 2 ? args[2] : jerry_undefined();
  int want_logits = !jerry_value_is_undefined(logits);
  if (want_logits && (!jerry_value_is_typedarray(logits) || jerry_typedarray_type(logits) != JERRY_TYPEDARRAY_INT32 ||
                      jerry_typedarray_length(logits) < info.class_count)) {
    tbn_msg m = {{0}, 0};
    msg_str(&m, "tbn: logits must be an Int32Array of at least ");
    msg_num(&m, info.class_count);
    msg_str(&m, " elements");
    return throw_msg(JERRY_ERROR_TYPE, &m);
  }
  jerry_size_t off = 0, blen = 0;
  jerry_value_t ab = jerry_typedarray_buffer(input, &off, &blen);
  uint8_t *base = jerry_arraybuffer_data(ab);
  jerry_value_free(ab);
  if (!base) return jerry_throw_sz(JERRY_ERROR_TYPE, "tbn: the input's ArrayBuffer is detached");
  int32_t *out = (int32_t *)(void *)(h->scratch + h->scratch_bytes);
  uint32_t cls = 0;
  const void *in = base + off;
  tbn_input_i16 in16;
  tbn_input_type in_type = type == JERRY_TYPEDARRAY_INT8 ? TBN_INPUT_I8 : TBN_INPUT_F32;
  if (i16) {
    /* the kernel checks the count (3 per channel) and every value's range */
    jerry_size_t poff = 0, plen = 0;
    jerry_value_t pab = jerry_typedarray_buffer(params, &poff, &plen);
    uint8_t *pbase = jerry_arraybuffer_data(pab);
    jerry_value_free(pab);
    if (!pbase) return jerry_throw_sz(JERRY_ERROR_TYPE, "tbn: the parameters' ArrayBuffer is detached");
    in16.samples = (const int16_t *)in;
    in16.params = (const int32_t *)(const void *)(pbase + poff);
    in16.params_len = jerry_typedarray_length(params);
    in = &in16;
    in_type = TBN_INPUT_I16;
  }
  tbn_status s = tbn_run(&h->model, in, in_type, n, h->scratch, h->scratch_bytes, out, info.class_count, &cls);
  if (s != TBN_OK) return throw_status(s, &h->model);
  if (want_logits) {
    ab = jerry_typedarray_buffer(logits, &off, &blen);
    uint8_t *lp = jerry_arraybuffer_data(ab);
    jerry_value_free(ab);
    if (!lp) return jerry_throw_sz(JERRY_ERROR_TYPE, "tbn: the logits' ArrayBuffer is detached");
    memcpy(lp + off, out, 4u * info.class_count);
  }
  return jerry_number((double)cls);
}

/* ---- tbn.close(model) ---- */

static jerry_value_t tbn_close_handler(const jerry_call_info_t *call, const jerry_value_t args[], const jerry_length_t argc) {
  (void)call;
  jerry_value_t err = 0;
  tbn_jerry_handle *h = handle_of(argc > 0 ? args[0] : jerry_undefined(), &err);
  if (!h) return err; /* closed or foreign handles throw, as in the other implementations */
  /* keep the (now empty) native struct attached so later use says "closed" */
  tbn_jerry_release(h);
  jerry_native_ptr_set(&h->bytes, jerry_undefined());
  return jerry_undefined();
}

bool tbn_jerry_register(void) {
  static const struct {
    const char *name;
    jerry_external_handler_t fn;
  } fns[] = {{"open", tbn_open_handler}, {"info", tbn_info_handler}, {"run", tbn_run_handler}, {"close", tbn_close_handler}};
  bool ok = true;
  jerry_value_t tbn = jerry_object();
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    jerry_value_t f = jerry_function_external(fns[i].fn);
    jerry_value_t r = jerry_object_set_sz(tbn, fns[i].name, f);
    ok = ok && !jerry_value_is_exception(r);
    jerry_value_free(r);
    jerry_value_free(f);
  }
  jerry_value_t realm = jerry_current_realm();
  jerry_value_t r = jerry_object_set_sz(realm, "tbn", tbn);
  ok = ok && !jerry_value_is_exception(r);
  jerry_value_free(r);
  jerry_value_free(realm);
  jerry_value_free(tbn);
  return ok;
}
