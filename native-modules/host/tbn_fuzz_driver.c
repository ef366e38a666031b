/*
 * tbn_fuzz_driver.c - deterministic mutation loop for tbn_fuzz.c, used when
 * clang's libFuzzer runtime is not installed (Debian: libclang-rt-14-dev).
 * Accepts the libFuzzer arguments the tests pass: -max_total_time=SECONDS
 * (other -flags are ignored) and corpus directories. Each step copies a
 * corpus file, applies 1-4 mutations (bit flips, random bytes, interesting
 * 16/32-bit values, chunk copies, truncation) from a fixed-seed PRNG and calls
 * LLVMFuzzerTestOneInput. Sanitizer reports abort the process.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
  uint8_t *data;
  size_t size;
} sample;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 16);
}

static void load_dir(const char *dir, sample **corpus, size_t *count, size_t *cap) {
  DIR *d = opendir(dir);
  struct dirent *e;
  if (!d) {
    fprintf(stderr, "tbn_fuzz: cannot open corpus directory %s\n", dir);
    exit(1);
  }
  while ((e = readdir(d)) != NULL) {
    char path[4096];
    FILE *f;
    long n;
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (!(f = fopen(path, "rb"))) continue;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n > 0) {
      if (*count == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *corpus = (sample *)realloc(*corpus, *cap * sizeof **corpus);
      }
      (*corpus)[*count].data = (uint8_t *)malloc((size_t)n);
      (*corpus)[*count].size = fread((*corpus)[*count].data, 1, (size_t)n, f);
      (*count)++;
    }
    fclose(f);
  }
  closedir(d);
}

static void mutate(uint8_t *b, size_t *size) {
  static const uint32_t interesting[] = {0, 1, 2, 3, 4, 31, 32, 33, 63, 64, 127, 128, 255, 256,
                                         0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000u,
                                         0xfffffffcu, 0xffffffffu};
  uint32_t k, changes = 1 + rnd() % 4;
  for (k = 0; k < changes && *size > 0; k++) {
    size_t at = rnd() % *size;
    /* most structure is in the header and layer records: aim there often */
    if ((rnd() & 3) != 0 && *size > 64) at = 16 + rnd() % (*size < 320 ? *size - 16 : 304);
    switch (rnd() % 6) {
      case 0: b[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
      case 1: b[at] = (uint8_t)rnd(); break;
      case 2: {
        uint32_t v = interesting[rnd() % (sizeof interesting / sizeof *interesting)];
        size_t w = (rnd() & 1) ? 2 : 4, i;
        for (i = 0; i < w && at + i < *size; i++) b[at + i] = (uint8_t)(v >> (8 * i));
        break;
      }
      case 3: {
        size_t from = rnd() % *size, len = 1 + rnd() % 16;
        if (from + len <= *size && at + len <= *size) memmove(b + at, b + from, len);
        break;
      }
      case 4: *size = at + 1; break;
      default: b[at] = (uint8_t)(b[at] + 1 + rnd() % 4); break;
    }
  }
}

int main(int argc, char **argv) {
  sample *corpus = NULL;
  size_t count = 0, cap = 0;
  long seconds = 60;
  unsigned long long runs = 0;
  time_t start = time(NULL);
  int i;
  for (i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "-max_total_time=", 16)) seconds = strtol(argv[i] + 16, NULL, 10);
    else if (argv[i][0] != '-') load_dir(argv[i], &corpus, &count, &cap);
  }
  if (!count) {
    fprintf(stderr, "tbn_fuzz: empty corpus\n");
    return 1;
  }
  for (i = 0; (size_t)i < count; i++, runs++) LLVMFuzzerTestOneInput(corpus[i].data, corpus[i].size);
  for (;;) {
    const sample *s = &corpus[rnd() % count];
    uint8_t *b = (uint8_t *)malloc(s->size);
    size_t size = s->size;
    memcpy(b, s->data, size);
    mutate(b, &size);
    LLVMFuzzerTestOneInput(b, size);
    free(b);
    if ((++runs & 255u) == 0 && time(NULL) - start >= seconds) break;
  }
  printf("tbn_fuzz (deterministic mutation loop, no libFuzzer)\n");
  printf("stat::number_of_executed_units: %llu\n", runs);
  for (i = 0; (size_t)i < count; i++) free(corpus[i].data);
  free(corpus);
  return 0;
}
