/*
 * wasm_glue.c - the WebAssembly exports the simulator's `tbn` module uses
 * (host/native/wasm-kernel.ts). The JS side owns the linear memory above
 * __heap_base: it places model bytes, handles, scratch, input and logits
 * there and passes their addresses. No libc: memcpy/memset become
 * memory.copy/memory.fill (-mbulk-memory) or the definitions below.
 */
#include <stddef.h>
#include <stdint.h>

#include "../tbn.h"

#define EXPORT(name) __attribute__((export_name(#name), used))

extern unsigned char __heap_base;

EXPORT(tbnw_heap_base) uint32_t tbnw_heap_base(void) { return (uint32_t)(uintptr_t)&__heap_base; }
EXPORT(tbnw_model_bytes) uint32_t tbnw_model_bytes(void) { return (uint32_t)sizeof(tbn_model); }

EXPORT(tbnw_open) int32_t tbnw_open(tbn_model *model, const void *data, uint32_t size) {
  return (int32_t)tbn_model_open(model, data, size);
}

EXPORT(tbnw_bad_layer) int32_t tbnw_bad_layer(const tbn_model *model) { return model->bad_layer; }

/* Writes 13 uint32 words: version, file_bytes, layer_count, class_count,
 * in_h, in_w, in_c, input_len, scratch_bytes, macs low, macs high,
 * activation_bytes, quant_count. */
EXPORT(tbnw_info) int32_t tbnw_info(const tbn_model *model, uint32_t *out) {
  tbn_info info;
  tbn_status s = tbn_model_info(model, &info);
  if (s != TBN_OK) return (int32_t)s;
  out[0] = info.version;
  out[1] = info.file_bytes;
  out[2] = info.layer_count;
  out[3] = info.class_count;
  out[4] = info.in_h;
  out[5] = info.in_w;
  out[6] = info.in_c;
  out[7] = info.input_len;
  out[8] = info.scratch_bytes;
  out[9] = (uint32_t)info.macs;
  out[10] = (uint32_t)(info.macs >> 32);
  out[11] = model->activation_bytes;
  out[12] = info.quant_count;
  return 0;
}

EXPORT(tbnw_label) uint32_t tbnw_label(const tbn_model *model, uint32_t index) {
  return (uint32_t)(uintptr_t)tbn_class_label(model, index);
}

EXPORT(tbnw_status_string) uint32_t tbnw_status_string(int32_t status) {
  return (uint32_t)(uintptr_t)tbn_status_string((tbn_status)status);
}

/* Returns the status; the class goes to *class_out. */
EXPORT(tbnw_run) int32_t tbnw_run(const tbn_model *model, const void *input, int32_t input_type,
                                  uint32_t input_len, void *scratch, uint32_t scratch_len,
                                  int32_t *logits, uint32_t logits_len, uint32_t *class_out,
                                  int32_t reuse) {
  return (int32_t)tbn_run_ex(model, input, (tbn_input_type)input_type, input_len, scratch,
                             scratch_len, logits, logits_len, class_out, reuse, NULL, NULL);
}

/* TBN_INPUT_I16: int16 counts with their (mult, add, shift) triples (tbn_input_i16). */
EXPORT(tbnw_run_i16) int32_t tbnw_run_i16(const tbn_model *model, const int16_t *samples,
                                          uint32_t input_len, const int32_t *params,
                                          uint32_t params_len, void *scratch, uint32_t scratch_len,
                                          int32_t *logits, uint32_t logits_len, uint32_t *class_out,
                                          int32_t reuse) {
  tbn_input_i16 in;
  in.samples = samples;
  in.params = params;
  in.params_len = params_len;
  return (int32_t)tbn_run_ex(model, &in, TBN_INPUT_I16, input_len, scratch, scratch_len, logits,
                             logits_len, class_out, reuse, NULL, NULL);
}
