/*
 * tbn_selftest.c - API edge cases of the kernel that the file-based tests
 * cannot reach: NULL arguments, misaligned model and scratch pointers, short
 * buffers, wrong input length and type, status strings.
 *
 *   tbn_selftest MODEL    (a valid model; prints "ok N checks" or the failures)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tbn.h"
#include "../tbn_format.h"

static int failures, checks;

#define EXPECT(cond)                                                     \
  do {                                                                   \
    checks++;                                                            \
    if (!(cond)) {                                                       \
      failures++;                                                        \
      fprintf(stderr, "tbn_selftest:%d: expected %s\n", __LINE__, #cond); \
    }                                                                    \
  } while (0)

int main(int argc, char **argv) {
  FILE *f;
  long n;
  uint8_t *buf, *shifted;
  uint32_t *scratch;
  int32_t *logits;
  int8_t *input;
  float *finput;
  tbn_model m;
  tbn_info info;
  uint32_t cls = 12345, i;
  int s;
  if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
    fprintf(stderr, "usage: tbn_selftest MODEL\n");
    return 1;
  }
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = (uint8_t *)malloc((size_t)n);
  shifted = (uint8_t *)malloc((size_t)n + 4);
  if (!buf || !shifted || fread(buf, 1, (size_t)n, f) != (size_t)n) return 1;
  fclose(f);

  /* open: arguments and alignment */
  EXPECT(tbn_model_open(NULL, buf, (size_t)n) == TBN_E_ARG);
  EXPECT(tbn_model_open(&m, NULL, (size_t)n) == TBN_E_ARG);
  EXPECT(m.data == NULL && m.bad_layer == -1);
  memcpy(shifted + 1, buf, (size_t)n);
  EXPECT(tbn_model_open(&m, shifted + 1, (size_t)n) == TBN_E_ALIGN);
  EXPECT(tbn_model_open(&m, buf, 0) == TBN_E_TRUNCATED);
  EXPECT(tbn_model_open(&m, buf, (size_t)n) == TBN_OK);
  EXPECT(tbn_model_info(&m, &info) == TBN_OK);
  EXPECT(tbn_model_info(NULL, &info) == TBN_E_ARG);
  EXPECT(tbn_model_info(&m, NULL) == TBN_E_ARG);
  EXPECT(info.file_bytes == (uint32_t)n && info.version == 1);
  EXPECT(info.quant_count == ((uint32_t)buf[TBN_HDR_QUANT_COUNT_U16] |
                              ((uint32_t)buf[TBN_HDR_QUANT_COUNT_U16 + 1u] << 8)));
  EXPECT(tbn_class_label(&m, info.class_count) == NULL);
  EXPECT(tbn_class_label(NULL, 0) == NULL);
  EXPECT(tbn_class_label(&m, 0) != NULL);

  scratch = (uint32_t *)malloc(info.scratch_bytes + 8u);
  logits = (int32_t *)malloc(info.class_count * 4u);
  input = (int8_t *)calloc(info.input_len, 1);
  finput = (float *)calloc(info.input_len, sizeof(float));

  /* run: every argument check, and nothing written on failure */
  s = tbn_run(&m, input, TBN_INPUT_I8, info.input_len, scratch, info.scratch_bytes, logits,
              info.class_count, &cls);
  EXPECT(s == TBN_OK && cls < info.class_count);
  EXPECT(tbn_run(NULL, input, TBN_INPUT_I8, info.input_len, scratch, info.scratch_bytes, logits,
                 info.class_count, &cls) == TBN_E_ARG);
  EXPECT(tbn_run(&m, NULL, TBN_INPUT_I8, info.input_len, scratch, info.scratch_bytes, logits,
                 info.class_count, &cls) == TBN_E_ARG);
  EXPECT(tbn_run(&m, input, (tbn_input_type)7, info.input_len, scratch, info.scratch_bytes,
                 logits, info.class_count, &cls) == TBN_E_ARG);
  EXPECT(tbn_run(&m, input, TBN_INPUT_I8, info.input_len, NULL, info.scratch_bytes, logits,
                 info.class_count, &cls) == TBN_E_ARG);
  EXPECT(tbn_run(&m, input, TBN_INPUT_I8, info.input_len, scratch, info.scratch_bytes, NULL,
                 info.class_count, &cls) == TBN_E_ARG);
  EXPECT(tbn_run(&m, input, TBN_INPUT_I8, info.input_len, (uint8_t *)scratch + 2,
                 info.scratch_bytes, logits, info.class_count, &cls) == TBN_E_ALIGN);
  EXPECT(tbn_run(&m, input, TBN_INPUT_I8, info.input_len + 1u, scratch, info.scratch_bytes,
                 logits, info.class_count, &cls) == TBN_E_INPUT);
  EXPECT(tbn_run(&m, input, TBN_INPUT_I8, info.input_len, scratch, info.scratch_bytes - 1u,
                 logits, info.class_count, &cls) == TBN_E_SCRATCH);
  EXPECT(tbn_run(&m, input, TBN_INPUT_I8, info.input_len, scratch, info.scratch_bytes, logits,
                 info.class_count - 1u, &cls) == TBN_E_OUTPUT);
  EXPECT(tbn_run(&m, finput, TBN_INPUT_F32, info.input_len, scratch, info.scratch_bytes, logits,
                 info.class_count, NULL) == TBN_OK);

  /* int16 input: zero counts with (0, 0, 0) triples equal zero int8 input; NULL pointers, a wrong
   * length and out-of-range triples are refused */
  {
    uint32_t q = info.quant_count, c2 = 0, j;
    int16_t *counts = (int16_t *)calloc(info.input_len + 1u, 2);
    int32_t *prm = (int32_t *)calloc(q * 3u + 1u, 4), *l2 = (int32_t *)malloc(info.class_count * 4u);
    tbn_input_i16 in;
    in.samples = counts;
    in.params = prm;
    in.params_len = q * 3u;
    EXPECT(tbn_run(&m, input, TBN_INPUT_I8, info.input_len, scratch, info.scratch_bytes, logits,
                   info.class_count, &cls) == TBN_OK);
    EXPECT(tbn_run(&m, &in, TBN_INPUT_I16, info.input_len, scratch, info.scratch_bytes, l2,
                   info.class_count, &c2) == TBN_OK);
    EXPECT(c2 == cls && memcmp(l2, logits, info.class_count * 4u) == 0);
    EXPECT(tbn_run(&m, &in, TBN_INPUT_I16, info.input_len + 1u, scratch, info.scratch_bytes, l2,
                   info.class_count, &c2) == TBN_E_INPUT);
    in.params_len = q * 3u - 1u;
    EXPECT(tbn_run(&m, &in, TBN_INPUT_I16, info.input_len, scratch, info.scratch_bytes, l2,
                   info.class_count, &c2) == TBN_E_PARAMS);
    in.params_len = q * 3u;
    for (j = 0; j < q; j++) {
      prm[3u * j + 2u] = 32;
      EXPECT(tbn_run(&m, &in, TBN_INPUT_I16, info.input_len, scratch, info.scratch_bytes, l2,
                     info.class_count, &c2) == TBN_E_PARAMS);
      prm[3u * j + 2u] = 31;
    }
    in.params = NULL;
    EXPECT(tbn_run(&m, &in, TBN_INPUT_I16, info.input_len, scratch, info.scratch_bytes, l2,
                   info.class_count, &c2) == TBN_E_ARG);
    in.params = prm;
    in.samples = NULL;
    EXPECT(tbn_run(&m, &in, TBN_INPUT_I16, info.input_len, scratch, info.scratch_bytes, l2,
                   info.class_count, &c2) == TBN_E_ARG);
    free(counts);
    free(prm);
    free(l2);
  }

  /* float input at an odd address gives the same logits as aligned input */
  {
    uint8_t *odd = (uint8_t *)malloc(info.input_len * 4u + 1u);
    int32_t *l2 = (int32_t *)malloc(info.class_count * 4u);
    uint32_t c2 = 0;
    for (i = 0; i < info.input_len; i++) finput[i] = (float)((int)(i * 37u % 101u) - 50) * 0.731f;
    memcpy(odd + 1, finput, info.input_len * 4u);
    EXPECT(tbn_run(&m, finput, TBN_INPUT_F32, info.input_len, scratch, info.scratch_bytes, logits,
                   info.class_count, &cls) == TBN_OK);
    EXPECT(tbn_run(&m, odd + 1, TBN_INPUT_F32, info.input_len, scratch, info.scratch_bytes, l2,
                   info.class_count, &c2) == TBN_OK);
    EXPECT(c2 == cls && memcmp(l2, logits, info.class_count * 4u) == 0);
    free(odd);
    free(l2);
  }

  /* the model bytes are only read: unchanged after every run above */
  EXPECT(memcmp(buf, shifted + 1, (size_t)n) == 0);

  /* a failed open leaves a handle that run refuses */
  buf[0] ^= 0xffu;
  EXPECT(tbn_model_open(&m, buf, (size_t)n) == TBN_E_MAGIC);
  EXPECT(tbn_run(&m, input, TBN_INPUT_I8, info.input_len, scratch, info.scratch_bytes, logits,
                 info.class_count, &cls) == TBN_E_ARG);

  /* status strings: distinct, non-empty, unknown codes handled */
  for (i = 0; i <= TBN_E_PARAMS; i++) {
    uint32_t j;
    const char *a = tbn_status_string((tbn_status)i);
    EXPECT(a != NULL && a[0] != 0);
    for (j = 0; j < i; j++) EXPECT(strcmp(a, tbn_status_string((tbn_status)j)) != 0);
  }
  EXPECT(strcmp(tbn_status_string((tbn_status)99), "unknown status") == 0);
  EXPECT(strcmp(tbn_status_string(TBN_E_CRC), "model CRC32 mismatch") == 0);

  free(buf);
  free(shifted);
  free(scratch);
  free(logits);
  free(input);
  free(finput);
  if (failures) {
    printf("FAILED %d of %d checks\n", failures, checks);
    return 1;
  }
  printf("ok %d checks\n", checks);
  return 0;
}
