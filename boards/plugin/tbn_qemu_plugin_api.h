/*
 * tbn_qemu_plugin_api.h - our own minimal declaration of the part of QEMU's
 * stable TCG plugin API (QEMU_PLUGIN_VERSION 1, as in QEMU 7.2) that the
 * instruction counter uses. Debian ships the plugin loader in its QEMU
 * binaries but not the header; the names, argument types and enum values
 * below were checked against QEMU's public include/qemu/qemu-plugin.h.
 * QEMU resolves these functions from its own executable when it loads us.
 */
#ifndef TBN_QEMU_PLUGIN_API_H
#define TBN_QEMU_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#define TBN_PLUGIN_EXPORT __attribute__((visibility("default")))
#define TBN_QEMU_PLUGIN_VERSION 1

typedef uint64_t qemu_plugin_id_t;

/* What QEMU passes to qemu_plugin_install; only target_name is read here. */
typedef struct {
  const char *target_name;
  struct {
    int min;
    int cur;
  } version;
  _Bool system_emulation;
  union {
    struct {
      int smp_vcpus;
      int max_vcpus;
    } system;
  };
} qemu_info_t;

struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);

#endif
