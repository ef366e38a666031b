/*
 * harness.c - bare-metal harness shared by every emulated board.
 *
 * It runs the jobs of a host-generated blob (placed in flash) through the C
 * kernel and prints, per window, the status, the class and the int32 logits:
 *   R <job> <window> <status> <class> <logit0> <logit1> ...
 * A job whose model does not open prints "O <job> <status> <bad_layer>".
 * The last line is "DONE <jobs>"; the exit status is 0 when the blob was
 * well formed (kernel statuses are reported, not judged, here).
 *
 * Blob (little-endian uint32 words):
 *   [0] magic "TBNJ", [1] job count, then per job 8 words:
 *   model_offset, model_bytes, input_offset, window_count,
 *   input_type (0 f32, 1 i8, 2 i16), input_len (elements per window),
 *   flags (bit 0: honour TBN_LF_REUSE; bits 1-2: 0 = the TBN kernel,
 *   1 = bench_int8_run, 2 = bench_f32_run, 3 = bench_cmsis_run (CMSIS-NN,
 *   boards/bench/cmsis_har.c) with the "model" being that baseline's
 *   weights, see boards/bench/), params_offset (i16 only, else 0: a u32
 *   count then that many int32 values, the tbn_input_i16 parameters).
 * Offsets are from the blob start; models, f32/i16 inputs and params are
 * 4-byte aligned.
 *
 * Instruction counting: tbn_mark_begin/tbn_mark_end bracket every inference
 * and tbn_mark_layer is the kernel's per-layer hook. They are empty, never
 * inlined functions; the QEMU plugin counts instructions between entries of
 * their first instructions (addresses given on its command line).
 */
#include <stddef.h>
#include <stdint.h>

#include "board_io.h"
#include "tbn.h"

#ifndef HARNESS_SCRATCH_BYTES
#define HARNESS_SCRATCH_BYTES 65536
#endif
#define HARNESS_MAX_CLASSES 1024
#define JOB_WORDS 8u
#define BLOB_MAGIC 0x4A4E4254u /* "TBNJ" */

static uint32_t scratch[HARNESS_SCRATCH_BYTES / 4];

/* Baseline kernels of the board benchmark, linked only into bench images. */
int bench_int8_run(const uint8_t *weights, uint32_t weight_bytes, const int8_t *input, void *scratch,
                   uint32_t scratch_bytes, int32_t *logits, tbn_layer_hook hook, void *ctx) __attribute__((weak));
int bench_f32_run(const uint8_t *weights, uint32_t weight_bytes, const float *input, void *scratch,
                  uint32_t scratch_bytes, int32_t *logits, tbn_layer_hook hook, void *ctx) __attribute__((weak));
int bench_cmsis_run(const uint8_t *weights, uint32_t weight_bytes, const int8_t *input, void *scratch,
                    uint32_t scratch_bytes, int32_t *logits, tbn_layer_hook hook, void *ctx) __attribute__((weak));
#define BENCH_CLASSES 5u
static int32_t logits[HARNESS_MAX_CLASSES];

/* Distinct bodies so that no optimisation folds the markers into one. */
static volatile uint32_t mark_sink;
__attribute__((noinline, noipa, used)) void tbn_mark_begin(void) { mark_sink = 1u; }
__attribute__((noinline, noipa, used)) void tbn_mark_end(void) { mark_sink = 2u; }
__attribute__((noinline, noipa, used)) void tbn_mark_layer(void *ctx, uint32_t layer) {
  (void)ctx;
  mark_sink = layer;
}

typedef struct {
  char buf[256];
  size_t len;
} line_buf;

static void line_flush(line_buf *l) {
  if (l->len) board_write(l->buf, l->len);
  l->len = 0;
}

static void line_char(line_buf *l, char c) {
  if (l->len == sizeof l->buf) line_flush(l);
  l->buf[l->len++] = c;
}

static void line_str(line_buf *l, const char *s) {
  while (*s) line_char(l, *s++);
}

/* Decimal without division (the lx106 libgcc has no divide helpers). */
static void line_u32(line_buf *l, uint32_t v) {
  static const uint32_t pow10[10] = {1000000000u, 100000000u, 10000000u, 1000000u, 100000u,
                                     10000u,      1000u,      100u,      10u,      1u};
  int started = 0;
  for (unsigned i = 0; i < 10; i++) {
    char d = '0';
    while (v >= pow10[i]) {
      v -= pow10[i];
      d++;
    }
    if (d != '0' || started || i == 9) {
      line_char(l, d);
      started = 1;
    }
  }
}

static void line_i32(line_buf *l, int32_t v) {
  if (v < 0) {
    line_char(l, '-');
    line_u32(l, 0u - (uint32_t)v);
  } else {
    line_u32(l, (uint32_t)v);
  }
}

/* One result line: "R job window status class logits..." (the logits only when status is 0). */
static void print_result(line_buf *l, uint32_t job, uint32_t window, int32_t status, int32_t cls,
                         const int32_t *values, uint32_t count) {
  line_str(l, "R ");
  line_u32(l, job);
  line_char(l, ' ');
  line_u32(l, window);
  line_char(l, ' ');
  line_i32(l, status);
  line_char(l, ' ');
  line_i32(l, cls);
  for (uint32_t c = 0; status == 0 && c < count; c++) {
    line_char(l, ' ');
    line_i32(l, values[c]);
  }
  line_char(l, '\n');
  line_flush(l);
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int fail(line_buf *l, const char *why) {
  line_str(l, "E ");
  line_str(l, why);
  line_char(l, '\n');
  line_flush(l);
  return 2;
}

/* Marker calibration: the same call pattern with no work between, so the
 * host can subtract the markers' own cost. */
static void calibrate(void) {
  tbn_mark_begin();
  tbn_mark_layer(NULL, 0);
  tbn_mark_end();
}

int harness_main(void) {
  line_buf l;
  l.len = 0;
  const uint8_t *blob = tbn_blob;
  uint32_t blob_bytes = (uint32_t)(tbn_blob_end - tbn_blob);
  if (((uintptr_t)blob & 3u) != 0) return fail(&l, "blob not aligned");
  if (blob_bytes < 8 || rd32(blob) != BLOB_MAGIC) return fail(&l, "bad blob magic");
  uint32_t jobs = rd32(blob + 4);
  if (jobs > (blob_bytes - 8) / (JOB_WORDS * 4)) return fail(&l, "job table outside blob");

  calibrate();
  for (uint32_t j = 0; j < jobs; j++) {
    const uint8_t *rec = blob + 8 + j * JOB_WORDS * 4;
    uint32_t model_off = rd32(rec), model_bytes = rd32(rec + 4), input_off = rd32(rec + 8);
    uint32_t windows = rd32(rec + 12), input_type = rd32(rec + 16), input_len = rd32(rec + 20);
    uint32_t flags = rd32(rec + 24), params_off = rd32(rec + 28);
    uint32_t elem = input_type == TBN_INPUT_F32 ? 4u : input_type == TBN_INPUT_I16 ? 2u : 1u;
    tbn_input_i16 i16;
    i16.samples = NULL;
    i16.params = NULL;
    i16.params_len = 0;
    if (input_type == TBN_INPUT_I16) {
      if ((params_off & 3u) || params_off > blob_bytes - 4u) return fail(&l, "params outside blob");
      i16.params_len = rd32(blob + params_off);
      if (i16.params_len > (blob_bytes - params_off - 4u) / 4u) return fail(&l, "params outside blob");
      i16.params = (const int32_t *)(const void *)(blob + params_off + 4u);
    }
    if (model_off > blob_bytes || model_bytes > blob_bytes - model_off) return fail(&l, "model outside blob");
    if (input_off > blob_bytes || input_len > blob_bytes) return fail(&l, "inputs outside blob");
    /* windows * input_len * elem <= room, without 64-bit multiply or division. */
    uint32_t room = blob_bytes - input_off, need = 0;
    for (uint32_t w = 0; w < windows; w++) {
      if (input_len * elem > room - need) return fail(&l, "inputs outside blob");
      need += input_len * elem;
    }
    if (input_type > TBN_INPUT_I16 || ((input_off & 3u) && elem != 1u)) return fail(&l, "bad input type/alignment");

    uint32_t kernel = (flags >> 1) & 3u;
    if (kernel != 0) {
      if ((kernel == 1 && !bench_int8_run) || (kernel == 2 && !bench_f32_run) || (kernel == 3 && !bench_cmsis_run))
        return fail(&l, "baseline kernel not linked");
      if ((model_off & 3u) || (kernel == 2 && input_type != TBN_INPUT_F32) || (kernel != 2 && input_type != TBN_INPUT_I8))
        return fail(&l, "bad baseline job");
      for (uint32_t w = 0; w < windows; w++) {
        const uint8_t *in = blob + input_off + w * input_len * elem;
        tbn_mark_begin();
        int r = kernel == 1   ? bench_int8_run(blob + model_off, model_bytes, (const int8_t *)in, scratch, sizeof scratch,
                                               logits, tbn_mark_layer, NULL)
                : kernel == 3 ? bench_cmsis_run(blob + model_off, model_bytes, (const int8_t *)in, scratch, sizeof scratch,
                                                logits, tbn_mark_layer, NULL)
                              : bench_f32_run(blob + model_off, model_bytes, (const float *)in, scratch, sizeof scratch,
                                            logits, tbn_mark_layer, NULL);
        tbn_mark_end();
        print_result(&l, j, w, r, -1, logits, BENCH_CLASSES);
      }
      continue;
    }
    tbn_model m;
    tbn_status s = tbn_model_open(&m, blob + model_off, model_bytes);
    if (s != TBN_OK) {
      line_str(&l, "O ");
      line_u32(&l, j);
      line_char(&l, ' ');
      line_u32(&l, (uint32_t)s);
      line_char(&l, ' ');
      line_i32(&l, m.bad_layer);
      line_char(&l, '\n');
      line_flush(&l);
      continue;
    }
    tbn_info info;
    tbn_model_info(&m, &info);
    if (info.scratch_bytes > sizeof scratch) return fail(&l, "model scratch exceeds HARNESS_SCRATCH_BYTES");
    if (info.class_count > HARNESS_MAX_CLASSES) return fail(&l, "too many classes");
    for (uint32_t w = 0; w < windows; w++) {
      const uint8_t *in = blob + input_off + w * input_len * elem;
      uint32_t cls = 0xFFFFFFFFu;
      i16.samples = (const int16_t *)(const void *)in;
      tbn_mark_begin();
      s = tbn_run_ex(&m, input_type == TBN_INPUT_I16 ? (const void *)&i16 : in, (tbn_input_type)input_type,
                     input_len, scratch, sizeof scratch, logits,
                     info.class_count, &cls, (int)(flags & 1u), tbn_mark_layer, NULL);
      tbn_mark_end();
      print_result(&l, j, w, (int32_t)s, (int32_t)cls, logits, info.class_count);
    }
  }
  line_str(&l, "DONE ");
  line_u32(&l, jobs);
  line_char(&l, '\n');
  line_flush(&l);
  return 0;
}
