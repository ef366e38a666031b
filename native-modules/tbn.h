/*
 * tbn.h - public API of the portable TBN kernel (freestanding C99).
 *
 * The kernel runs a packed .tbn model (see tbn_format.h) in place: the model
 * bytes are only read, never copied or written, so they may live in flash.
 * It allocates nothing and keeps no global state: the caller owns the model
 * handle, the one scratch buffer (size from tbn_model_info) and the outputs.
 *
 *   tbn_model m;
 *   tbn_status s = tbn_model_open(&m, bytes, size);   // validates everything
 *   if (s != TBN_OK) puts(tbn_status_string(s));
 *   tbn_info info; tbn_model_info(&m, &info);
 *   // scratch: info.scratch_bytes, 4-byte aligned; logits: info.class_count
 *   uint32_t cls;
 *   s = tbn_run(&m, window, TBN_INPUT_F32, info.input_len,
 *               scratch, info.scratch_bytes, logits, info.class_count, &cls);
 *
 * tbn_model_open checks the header, version, exact size, CRC, alignment and
 * every layer's shapes, types, flags, offsets and section sizes before it
 * returns TBN_OK; tbn_run relies on that and never reads outside the model,
 * the input, or the scratch buffer. The model pointer must be 4-byte aligned
 * (TBN_E_ALIGN otherwise): copy a misaligned blob into aligned memory first.
 *
 * Resources (core/README.md): no heap, no global state, about 1.7 KB of stack
 * at most (tables and accumulators of one layer). Float input may sit at any
 * address. Build option: -DTBN_NO_F32_INPUT drops the float quantisation
 * (cores without soft-float routines); TBN_INPUT_F32 then gives TBN_E_ARG.
 * Sensor counts need no float at all: TBN_INPUT_I16 (tbn_input_i16 below)
 * requantises int16 samples to int8 with integer parameters the caller owns.
 */
#ifndef TBN_H
#define TBN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  TBN_OK = 0,
  TBN_E_ARG = 1,         /* a NULL pointer or an unknown enum value */
  TBN_E_TRUNCATED = 2,   /* buffer shorter than the header or than file_bytes */
  TBN_E_MAGIC = 3,       /* not a .tbn file */
  TBN_E_VERSION = 4,     /* a format version this kernel does not know */
  TBN_E_SIZE = 5,        /* buffer longer than file_bytes, or header sizes wrong */
  TBN_E_CRC = 6,         /* payload CRC32 mismatch: corrupted file */
  TBN_E_ALIGN = 7,       /* model, scratch or a section offset not 4-byte aligned */
  TBN_E_OFFSET = 8,      /* a section lies outside the file */
  TBN_E_LAYER = 9,       /* a layer record with bad kind, type, flags, p or dims */
  TBN_E_CHAIN = 10,      /* a layer's input disagrees with its neighbour's output */
  TBN_E_SCRATCH = 11,    /* scratch buffer smaller than the model needs */
  TBN_E_OUTPUT = 12,     /* logits buffer smaller than the class count */
  TBN_E_INPUT = 13,      /* input length differs from in_h*in_w*in_c */
  TBN_E_LABELS = 14,     /* label table malformed */
  TBN_E_PARAMS = 15      /* int16 input parameters: wrong count or out of range */
} tbn_status;

typedef enum { TBN_INPUT_F32 = 0, TBN_INPUT_I8 = 1, TBN_INPUT_I16 = 2 } tbn_input_type;

/* What `input` points to for TBN_INPUT_I16: raw int16 sensor counts and the
 * per-channel integer requantisation of tbn_format.h (INT16 INPUT). Channel j
 * (element i uses j = i mod quant_count) has params[3j..3j+2] = mult, add,
 * shift with -32768 <= mult <= 32767, |add| < 2^30, 0 <= shift <= 31: then
 * count*mult + add cannot overflow. Other values, or params_len !=
 * 3*quant_count, give TBN_E_PARAMS; NULL pointers TBN_E_ARG. Both arrays
 * must be aligned as their types require (not checked: 4 KB TBN_SMALL
 * budget). No float arithmetic: works under TBN_NO_F32_INPUT (lx106).
 * `input_len` of tbn_run counts samples. host/reference/quantize.ts
 * (int16InputParams) derives the parameters from the model's float pairs and
 * the sensor's count->unit scale. */
typedef struct {
  const int16_t *samples; /* input_len counts, channel-last */
  const int32_t *params;  /* 3 * quant_count values */
  size_t params_len;
} tbn_input_i16;

/* Handle to an opened model. Filled by tbn_model_open; treat as opaque. */
typedef struct {
  const uint8_t *data;
  uint32_t size;
  uint32_t layer_count;
  uint32_t class_count;
  uint32_t scratch_bytes;
  uint32_t activation_bytes; /* size of one ping-pong half */
  uint32_t input_len;        /* in_h * in_w * in_c */
  int32_t bad_layer;         /* on TBN_E_LAYER/TBN_E_CHAIN/TBN_E_OFFSET: the layer index, else -1 */
} tbn_model;

typedef struct {
  uint32_t version;
  uint32_t file_bytes;
  uint32_t layer_count;
  uint32_t class_count;
  uint32_t in_h, in_w, in_c;
  uint32_t quant_count; /* Q input quantisation channels: TBN_INPUT_I16 takes 3*Q params */
  uint32_t input_len;
  uint32_t scratch_bytes;
  uint64_t macs; /* multiply-accumulates of one inference (without reuse) */
} tbn_info;

/* Called before layer `layer` runs and once more with layer == layer_count
 * when the chain is done; lets a harness count instructions per layer.
 * May be NULL. */
typedef void (*tbn_layer_hook)(void *ctx, uint32_t layer);

tbn_status tbn_model_open(tbn_model *model, const void *data, size_t size);
tbn_status tbn_model_info(const tbn_model *model, tbn_info *info);

/* Label of class `index` as a NUL-terminated string inside the model bytes,
 * or NULL if index is out of range. */
const char *tbn_class_label(const tbn_model *model, uint32_t index);

/* Runs one inference. `input` holds input_len float32 or int8 values in
 * channel-last order (TBN_INPUT_I16: points to a tbn_input_i16 over
 * input_len counts); `scratch` is at least scratch_bytes long and 4-byte
 * aligned; `logits` receives class_count int32 values; `class_out` (may be
 * NULL) the argmax. */
tbn_status tbn_run(const tbn_model *model, const void *input, tbn_input_type input_type,
                   size_t input_len, void *scratch, size_t scratch_len, int32_t *logits,
                   size_t logits_len, uint32_t *class_out);

/* tbn_run with an optional per-layer hook; `reuse` = 0 ignores TBN_LF_REUSE
 * (for benchmarks: same result, no row sharing). The hook runs after the
 * input is quantised, before each layer, and once more after the last. */
tbn_status tbn_run_ex(const tbn_model *model, const void *input, tbn_input_type input_type,
                      size_t input_len, void *scratch, size_t scratch_len, int32_t *logits,
                      size_t logits_len, uint32_t *class_out, int reuse, tbn_layer_hook hook,
                      void *hook_ctx);

/* Short English message for a status, e.g. "model CRC32 mismatch". */
const char *tbn_status_string(tbn_status status);

#ifdef __cplusplus
}
#endif

#endif /* TBN_H */
