/*
 * tbn_fuzz.c - libFuzzer target for tbn_model_open + tbn_run_ex.
 *
 * Each input is tried twice: as is (the CRC almost always rejects a
 * mutation), and with file_bytes and the CRC32 patched to match, so the
 * mutations reach the structural checks and, when they pass, inference.
 * Every model that opens is run on an input derived from the fuzz bytes,
 * as float, as int8 and as int16 counts with triples from the fuzz bytes
 * (in range or refused with TBN_E_PARAMS), with reuse on and off; the two
 * must agree (abort otherwise). The kernel must never read outside model, input or scratch,
 * which ASan checks: the model and scratch are copied into exact-size heap
 * blocks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tbn.h"

#define MAX_SCRATCH (1u << 20)
#define MAX_MACS 20000000ull

static uint32_t crc32_bitwise(const uint8_t *p, size_t n) {
  uint32_t crc = 0xffffffffu;
  while (n--) {
    int k;
    crc ^= *p++;
    for (k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void exercise(const uint8_t *bytes, size_t size, const uint8_t *seed, size_t seed_len) {
  tbn_model m;
  tbn_info info;
  uint8_t *model = (uint8_t *)malloc(size ? size : 1u);
  memcpy(model, bytes, size);
  if (tbn_model_open(&m, model, size) == TBN_OK && tbn_model_info(&m, &info) == TBN_OK &&
      info.scratch_bytes <= MAX_SCRATCH && info.macs <= MAX_MACS && info.input_len <= 65536u) {
    void *scratch = malloc(info.scratch_bytes);
    float *fin = (float *)malloc(info.input_len * sizeof(float));
    int8_t *qin = (int8_t *)malloc(info.input_len);
    int32_t *a = (int32_t *)malloc(info.class_count * sizeof(int32_t));
    int32_t *b = (int32_t *)malloc(info.class_count * sizeof(int32_t));
    uint32_t i, ca = 0, cb = 0;
    for (i = 0; i < info.input_len; i++) {
      uint8_t v = seed_len ? seed[i % seed_len] : (uint8_t)i;
      qin[i] = (int8_t)v;
      fin[i] = (float)((int)v - 128) * 0.37f;
    }
    if (info.input_len) fin[0] = (seed_len && seed[0] & 1) ? 1e30f : -0.0f;
    for (i = 0; i < info.class_count; i++) tbn_class_label(&m, i);
    if (tbn_run_ex(&m, fin, TBN_INPUT_F32, info.input_len, scratch, info.scratch_bytes, a,
                   info.class_count, &ca, 1, NULL, NULL) != TBN_OK ||
        tbn_run_ex(&m, fin, TBN_INPUT_F32, info.input_len, scratch, info.scratch_bytes, b,
                   info.class_count, &cb, 0, NULL, NULL) != TBN_OK ||
        ca != cb || memcmp(a, b, info.class_count * sizeof(int32_t)) != 0)
      abort();
    if (tbn_run_ex(&m, qin, TBN_INPUT_I8, info.input_len, scratch, info.scratch_bytes, a,
                   info.class_count, &ca, 1, NULL, NULL) != TBN_OK ||
        tbn_run_ex(&m, qin, TBN_INPUT_I8, info.input_len, scratch, info.scratch_bytes, b,
                   info.class_count, &cb, 0, NULL, NULL) != TBN_OK ||
        ca != cb || memcmp(a, b, info.class_count * sizeof(int32_t)) != 0)
      abort();
    {
      /* int16 input: counts and triples from the fuzz bytes, often out of range (then TBN_E_PARAMS,
       * decided here independently); in range, UBSan would catch any int32 overflow */
      uint32_t q = info.quant_count, j;
      int16_t *cin = (int16_t *)malloc(info.input_len * sizeof(int16_t));
      int32_t *prm = (int32_t *)malloc(3u * q * sizeof(int32_t) + 4u);
      tbn_input_i16 in16;
      int valid = 1;
      tbn_status sa, sb;
      for (i = 0; i < info.input_len; i++) {
        uint8_t lo = seed_len ? seed[(2u * i) % seed_len] : (uint8_t)i;
        uint8_t hi = seed_len ? seed[(2u * i + 1u) % seed_len] : (uint8_t)(i >> 8);
        cin[i] = (int16_t)(uint16_t)((uint32_t)lo | ((uint32_t)hi << 8));
      }
      if (info.input_len) cin[0] = (seed_len && seed[0] & 2) ? -32768 : 32767;
      for (j = 0; j < q; j++) {
        uint32_t r = 0, k;
        for (k = 0; k < 4; k++) r = (r << 8) | (seed_len ? seed[(7u * j + k) % seed_len] : (uint8_t)(j + k));
        /* in range, except one field of about one channel in eight */
        prm[3u * j] = (int32_t)(int16_t)(uint16_t)r;
        prm[3u * j + 1u] = (int32_t)(r ^ 0x5bd1e995u) >> (1u + ((r >> 3) & 7u));
        prm[3u * j + 2u] = (int32_t)((r >> 16) & 31u);
        if ((r >> 29) == 7u) {
          uint32_t which = (r >> 21) & 3u;
          if (which == 0u) prm[3u * j] = (r & 1u) ? 32768 : -32769;
          else if (which == 1u) prm[3u * j + 1u] = (r & 1u) ? 0x40000000 : -0x40000000;
          else prm[3u * j + 2u] = (r & 1u) ? 32 : -1;
        }
        if (prm[3u * j] < -32768 || prm[3u * j] > 32767 || prm[3u * j + 1u] < -0x3fffffff ||
            prm[3u * j + 1u] > 0x3fffffff || prm[3u * j + 2u] < 0 || prm[3u * j + 2u] > 31)
          valid = 0;
      }
      in16.samples = cin;
      in16.params = prm;
      in16.params_len = 3u * q;
      sa = tbn_run_ex(&m, &in16, TBN_INPUT_I16, info.input_len, scratch, info.scratch_bytes, a,
                      info.class_count, &ca, 1, NULL, NULL);
      sb = tbn_run_ex(&m, &in16, TBN_INPUT_I16, info.input_len, scratch, info.scratch_bytes, b,
                      info.class_count, &cb, 0, NULL, NULL);
      if (sa != (valid ? TBN_OK : TBN_E_PARAMS) || sb != sa ||
          (sa == TBN_OK && (ca != cb || memcmp(a, b, info.class_count * sizeof(int32_t)) != 0)))
        abort();
      in16.params_len = 3u * q + 1u; /* a wrong count is refused whatever the values */
      if (tbn_run_ex(&m, &in16, TBN_INPUT_I16, info.input_len, scratch, info.scratch_bytes, a,
                     info.class_count, &ca, 1, NULL, NULL) != TBN_E_PARAMS)
        abort();
      free(cin);
      free(prm);
    }
    free(scratch);
    free(fin);
    free(qin);
    free(a);
    free(b);
  }
  free(model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  exercise(data, size, data, size > 64 ? 64 : size);
  if (size >= 64 && size < (1u << 24)) {
    uint8_t *fixed = (uint8_t *)malloc(size);
    memcpy(fixed, data, size);
    put32(fixed + 8, (uint32_t)size);
    put32(fixed + 12, crc32_bitwise(fixed + 16, size - 16));
    exercise(fixed, size, data + size - (size > 64 ? 64 : size), size > 64 ? 64 : size);
    free(fixed);
  }
  return 0;
}
