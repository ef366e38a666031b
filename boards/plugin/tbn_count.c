/*
 * tbn_count.c - QEMU TCG plugin: exact guest instruction counts at markers.
 *
 *   -plugin libtbn_count.so,mark=0x08000130,mark=0x08000140,range=0x08000200-0x08000300,out=/path/events.txt
 *
 * Every executed instruction adds 1 to a counter (inline, exact). Each time
 * the instruction at a `mark` address executes, the plugin records
 * (mark index, counter value before that instruction). At exit it writes
 *   T <total instructions>
 *   M <mark index> <count>      one line per event, in execution order
 *   R <range index> <count>     instructions executed with lo <= PC < hi
 *   P <pc> <count>              with `profile=1`: executions of each instruction
 *                               inside the ranges (a per-instruction profile)
 * to `out` (or through qemu_plugin_outs, i.e. the -d plugin log).
 * Single vCPU only (the boards are single core).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tbn_qemu_plugin_api.h"

TBN_PLUGIN_EXPORT int qemu_plugin_version = TBN_QEMU_PLUGIN_VERSION;

#define MAX_MARKS 16
#define MAX_RANGES 128

static uint64_t insn_count;
static uint64_t marks[MAX_MARKS];
static unsigned mark_count;
static const char *out_path;
static uint64_t range_lo[MAX_RANGES], range_hi[MAX_RANGES], range_count[MAX_RANGES];
static unsigned n_ranges;

/* Per-instruction profile: open-addressing table PC -> counter. */
#define PROFILE_SLOTS 65536u
typedef struct {
  uint64_t pc;
  uint64_t count;
  int used;
} profile_slot;
static profile_slot *profile;

static uint64_t *profile_counter(uint64_t pc) {
  uint32_t h = (uint32_t)(pc * 2654435761u) & (PROFILE_SLOTS - 1);
  for (uint32_t i = 0; i < PROFILE_SLOTS; i++, h = (h + 1) & (PROFILE_SLOTS - 1)) {
    if (!profile[h].used) {
      profile[h].used = 1;
      profile[h].pc = pc;
      return &profile[h].count;
    }
    if (profile[h].pc == pc) return &profile[h].count;
  }
  return NULL;
}

typedef struct {
  uint32_t mark;
  uint64_t count;
} event;
static event *events;
static size_t event_len, event_cap;
static int event_overflow;

static void on_mark(unsigned int vcpu, void *userdata) {
  (void)vcpu;
  if (event_len == event_cap) {
    size_t cap = event_cap ? event_cap * 2 : 4096;
    event *grown = realloc(events, cap * sizeof *events);
    if (!grown) {
      event_overflow = 1;
      return;
    }
    events = grown;
    event_cap = cap;
  }
  events[event_len].mark = (uint32_t)(uintptr_t)userdata;
  /* Differences between events are what matter; whether the marker
   * instruction itself is already counted is the same for every event. */
  events[event_len].count = insn_count;
  event_len++;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    /* 32-bit guests: compare the low 32 bits (riscv32 reports sign-extended PCs). */
    uint64_t pc = qemu_plugin_insn_vaddr(insn) & 0xFFFFFFFFu;
    for (unsigned m = 0; m < mark_count; m++) {
      if (marks[m] == pc) {
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)m);
      }
    }
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, 1);
    for (unsigned r = 0; r < n_ranges; r++) {
      if (pc >= range_lo[r] && pc < range_hi[r]) {
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &range_count[r], 1);
        uint64_t *slot = profile ? profile_counter(pc) : NULL;
        if (slot) qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, slot, 1);
      }
    }
  }
}

static void at_qemu_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  FILE *f = out_path ? fopen(out_path, "w") : NULL;
  char line[96];
  snprintf(line, sizeof line, "T %" PRIu64 "\n", insn_count);
  if (f) fputs(line, f); else qemu_plugin_outs(line);
  if (event_overflow) {
    if (f) fputs("X out of memory for events\n", f); else qemu_plugin_outs("X out of memory for events\n");
  }
  for (unsigned r = 0; r < n_ranges; r++) {
    snprintf(line, sizeof line, "R %u %" PRIu64 "\n", r, range_count[r]);
    if (f) fputs(line, f); else qemu_plugin_outs(line);
  }
  for (uint32_t i = 0; profile && i < PROFILE_SLOTS; i++) {
    if (!profile[i].used || !profile[i].count) continue;
    snprintf(line, sizeof line, "P 0x%" PRIx64 " %" PRIu64 "\n", profile[i].pc, profile[i].count);
    if (f) fputs(line, f); else qemu_plugin_outs(line);
  }
  for (size_t i = 0; i < event_len; i++) {
    snprintf(line, sizeof line, "M %" PRIu32 " %" PRIu64 "\n", events[i].mark, events[i].count);
    if (f) fputs(line, f); else qemu_plugin_outs(line);
  }
  if (f) fclose(f);
  free(events);
  free(profile);
}

TBN_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "mark=", 5) == 0) {
      if (mark_count == MAX_MARKS) return -1;
      marks[mark_count++] = strtoull(a + 5, NULL, 0) & 0xFFFFFFFFu;
    } else if (strncmp(a, "range=", 6) == 0) {
      char *end;
      if (n_ranges == MAX_RANGES) return -1;
      range_lo[n_ranges] = strtoull(a + 6, &end, 0) & 0xFFFFFFFFu;
      if (*end != '-') return -1;
      range_hi[n_ranges] = strtoull(end + 1, NULL, 0) & 0xFFFFFFFFu;
      n_ranges++;
    } else if (strcmp(a, "profile=1") == 0) {
      profile = calloc(PROFILE_SLOTS, sizeof *profile);
      if (!profile) return -1;
    } else if (strncmp(a, "out=", 4) == 0) {
      out_path = a + 4;
    } else {
      return -1;
    }
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, at_qemu_exit, NULL);
  return 0;
}
