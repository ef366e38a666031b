/*
 * tbn_cli.c - native test harness for the kernel (host only: libc allowed).
 *
 *   tbn_cli open  MODEL               status line: "<code> <bad_layer> <message>"
 *   tbn_cli info  MODEL               one JSON object
 *   tbn_cli run   MODEL INPUTS [--i8] [--no-reuse]
 *        INPUTS: raw little-endian float32 (or int8 with --i8) values, any
 *        number of whole inputs back to back; one line per input:
 *        "<class> <logit0> <logit1> ..."
 *   tbn_cli batch FILE [--no-reuse]   many models in one process, FILE =
 *        records of { u32 model_bytes, model (padded to 4), u32 input_type
 *        (0 f32, 1 i8, 2 i16), u32 count, [i16 only: u32 params_len, params_len
 *        int32 (tbn_input_i16)], count inputs (padded to 4) }; per record
 *        "M <status> <bad_layer>" then one line per input as for run.
 *   tbn_cli profile MODEL INPUTS [--i8] [--no-reuse] [--repeat N]
 *        runs N inferences of the first input, calling tbn_cli_layer_mark
 *        before each layer (for valgrind --dump-before=tbn_cli_layer_mark).
 *
 * Exit status: 0 ok, 1 usage or I/O error, 2 the kernel returned an error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tbn.h"

static void *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  long n;
  if (!f) {
    fprintf(stderr, "tbn_cli: cannot open %s\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  /* malloc is 16-byte aligned: the kernel needs a 4-byte aligned model */
  buf = (uint8_t *)malloc(n > 0 ? (size_t)n : 1u);
  if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
    fprintf(stderr, "tbn_cli: cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  *size = (size_t)n;
  return buf;
}

static int has_flag(int argc, char **argv, const char *flag) {
  int i;
  for (i = 1; i < argc; i++)
    if (!strcmp(argv[i], flag)) return 1;
  return 0;
}

static void print_result(uint32_t cls, const int32_t *logits, uint32_t n) {
  uint32_t i;
  printf("%u", cls);
  for (i = 0; i < n; i++) printf(" %d", logits[i]);
  putchar('\n');
}

static tbn_status open_or_report(tbn_model *m, const void *data, size_t size) {
  tbn_status s = tbn_model_open(m, data, size);
  if (s != TBN_OK) fprintf(stderr, "tbn_cli: %s (layer %d)\n", tbn_status_string(s), m->bad_layer);
  return s;
}

/* Runs `count` inputs; returns 0 or the first failing status. type: 0 f32, 1 i8, 2 i16 (then
 * `params` holds params_len int32 triples' values, tbn_input_i16). */
static int run_inputs(const tbn_model *m, const uint8_t *inputs, uint32_t count, uint32_t type,
                      const int32_t *params, uint32_t params_len, int reuse) {
  tbn_info info;
  void *scratch;
  int32_t *logits;
  uint32_t k, cls;
  size_t stride;
  tbn_model_info(m, &info);
  scratch = malloc(info.scratch_bytes ? info.scratch_bytes : 4u);
  logits = (int32_t *)malloc(info.class_count * sizeof *logits);
  stride = (size_t)info.input_len * (type == 1 ? 1u : type == 2 ? 2u : 4u);
  if (!scratch || !logits) {
    fprintf(stderr, "tbn_cli: out of memory\n");
    exit(1);
  }
  for (k = 0; k < count; k++) {
    tbn_input_i16 i16;
    tbn_status s;
    i16.samples = (const int16_t *)(const void *)(inputs + k * stride);
    i16.params = params;
    i16.params_len = params_len;
    s = tbn_run_ex(m, type == 2 ? (const void *)&i16 : inputs + k * stride, (tbn_input_type)type,
                   info.input_len, scratch, info.scratch_bytes, logits, info.class_count, &cls,
                   reuse, NULL, NULL);
    if (s != TBN_OK) {
      printf("E %d\n", (int)s);
      free(scratch);
      free(logits);
      return (int)s;
    }
    print_result(cls, logits, info.class_count);
  }
  free(scratch);
  free(logits);
  return 0;
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int cmd_batch(const char *path, int reuse) {
  size_t size, at = 0;
  uint8_t *file = (uint8_t *)read_file(path, &size), *model_copy = NULL;
  int32_t *params = NULL;
  uint32_t params_len;
  while (at < size) {
    uint32_t model_bytes, type, count;
    size_t input_bytes;
    tbn_model m;
    tbn_info info;
    tbn_status s;
    if (size - at < 4) goto bad;
    model_bytes = rd32(file + at);
    at += 4;
    if (size - at < (size_t)model_bytes + 8u) goto bad;
    model_copy = (uint8_t *)malloc(model_bytes ? model_bytes : 1u);
    memcpy(model_copy, file + at, model_bytes);
    at += ((size_t)model_bytes + 3u) & ~(size_t)3u;
    if (size - at < 8) goto bad;
    type = rd32(file + at);
    count = rd32(file + at + 4);
    at += 8;
    if (type > 2) goto bad;
    params_len = 0;
    params = NULL;
    if (type == 2) { /* i16: u32 params_len, then params_len int32 values */
      if (size - at < 4) goto bad;
      params_len = rd32(file + at);
      at += 4;
      if ((size - at) / 4u < params_len) goto bad;
      params = (int32_t *)malloc(params_len ? params_len * 4u : 4u);
      memcpy(params, file + at, (size_t)params_len * 4u);
      at += (size_t)params_len * 4u;
    }
    s = tbn_model_open(&m, model_copy, model_bytes);
    printf("M %d %d\n", (int)s, m.bad_layer);
    if (s == TBN_OK) {
      tbn_model_info(&m, &info);
      input_bytes = (size_t)count * info.input_len * (type == 1 ? 1u : type == 2 ? 2u : 4u);
      if (size - at < input_bytes) goto bad;
      run_inputs(&m, file + at, count, type, params, params_len, reuse);
      at += (input_bytes + 3u) & ~(size_t)3u;
    } else if (count) {
      fprintf(stderr, "tbn_cli: batch record with inputs for a model that does not open\n");
      goto bad;
    }
    free(model_copy);
    model_copy = NULL;
    free(params);
    params = NULL;
  }
  free(file);
  return 0;
bad:
  fprintf(stderr, "tbn_cli: malformed batch file %s at byte %lu\n", path, (unsigned long)at);
  free(model_copy);
  free(params);
  free(file);
  return 1;
}

/* Called before each layer; callgrind dumps its counters on entry. */
void tbn_cli_layer_mark(void *ctx, uint32_t layer);
__attribute__((noinline)) void tbn_cli_layer_mark(void *ctx, uint32_t layer) {
  __asm__ volatile("" ::"r"(ctx), "r"(layer) : "memory");
}

static int cmd_profile(const tbn_model *m, const uint8_t *input, int i8, int reuse, long repeat) {
  tbn_info info;
  void *scratch;
  int32_t *logits;
  uint32_t cls = 0;
  long k;
  tbn_model_info(m, &info);
  scratch = malloc(info.scratch_bytes);
  logits = (int32_t *)malloc(info.class_count * sizeof *logits);
  for (k = 0; k < repeat; k++) {
    tbn_status s = tbn_run_ex(m, input, i8 ? TBN_INPUT_I8 : TBN_INPUT_F32, info.input_len, scratch,
                              info.scratch_bytes, logits, info.class_count, &cls, reuse,
                              tbn_cli_layer_mark, NULL);
    if (s != TBN_OK) break;
  }
  print_result(cls, logits, info.class_count);
  free(scratch);
  free(logits);
  return 0;
}

static int run_command(int argc, char **argv, void *data, size_t size, int reuse, int i8) {
  size_t in_size;
  tbn_model m;
  tbn_info info;
  tbn_status s;
  if (!strcmp(argv[1], "open")) {
    s = tbn_model_open(&m, data, size);
    printf("%d %d %s\n", (int)s, m.bad_layer, tbn_status_string(s));
    fflush(stdout);
    return s == TBN_OK ? 0 : 2;
  }
  if (open_or_report(&m, data, size) != TBN_OK) return 2;
  tbn_model_info(&m, &info);
  if (!strcmp(argv[1], "info")) {
    uint32_t i;
    printf("{\"version\":%u,\"fileBytes\":%u,\"layers\":%u,\"classes\":%u,\"inH\":%u,\"inW\":%u,"
           "\"inC\":%u,\"inputLen\":%u,\"scratchBytes\":%u,\"macs\":%llu,\"labels\":[",
           info.version, info.file_bytes, info.layer_count, info.class_count, info.in_h, info.in_w,
           info.in_c, info.input_len, info.scratch_bytes, (unsigned long long)info.macs);
    for (i = 0; i < info.class_count; i++) printf("%s\"%s\"", i ? "," : "", tbn_class_label(&m, i));
    printf("]}\n");
    return 0;
  }
  if (argc < 4) {
    fprintf(stderr, "tbn_cli: %s needs an input file\n", argv[1]);
    return 1;
  }
  {
    uint8_t *inputs = (uint8_t *)read_file(argv[3], &in_size);
    size_t stride = (size_t)info.input_len * (i8 ? 1u : 4u);
    int rc;
    if (!strcmp(argv[1], "profile")) {
      long repeat = 1;
      int i;
      for (i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--repeat")) repeat = strtol(argv[i + 1], NULL, 10);
      if (in_size < stride) {
        fprintf(stderr, "tbn_cli: input file shorter than one input\n");
        free(inputs);
        return 1;
      }
      rc = cmd_profile(&m, inputs, i8, reuse, repeat);
      free(inputs);
      return rc;
    }
    if (!strcmp(argv[1], "run")) {
      if (stride == 0 || in_size % stride != 0) {
        fprintf(stderr, "tbn_cli: input file is not a whole number of %lu-byte inputs\n",
                (unsigned long)stride);
        free(inputs);
        return 1;
      }
      rc = run_inputs(&m, inputs, (uint32_t)(in_size / stride), i8 ? 1u : 0u, NULL, 0, reuse) ? 2 : 0;
      free(inputs);
      return rc;
    }
    free(inputs);
  }
  fprintf(stderr, "tbn_cli: unknown command %s\n", argv[1]);
  return 1;
}

int main(int argc, char **argv) {
  size_t size;
  void *data;
  int rc;
  int reuse = !has_flag(argc, argv, "--no-reuse");
  int i8 = has_flag(argc, argv, "--i8");
  if (argc < 3) {
    fprintf(stderr, "usage: tbn_cli open|info|run|batch|profile MODEL|FILE [INPUTS] [--i8] [--no-reuse]\n");
    return 1;
  }
  if (!strcmp(argv[1], "batch")) return cmd_batch(argv[2], reuse);
  data = read_file(argv[2], &size);
  rc = run_command(argc, argv, data, size, reuse, i8);
  free(data);
  return rc;
}
