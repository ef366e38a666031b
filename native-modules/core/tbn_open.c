/*
 * tbn_open.c - validation of a packed .tbn model (tbn_format.h), model info,
 * class labels and status strings.
 *
 * Everything tbn_run later trusts is checked here first: exact size, CRC,
 * alignment, every size and offset (32-bit arithmetic with explicit overflow
 * checks, no 64-bit multiply), layer kinds/types/flags/p/dims, the chain, the
 * label table and the header's scratch size.
 */
#include "tbn_internal.h"

void tbn__read_layer(const uint8_t *data, uint32_t index, tbn__layer *l) {
  const uint8_t *r = data + TBN_HEADER_BYTES + index * TBN_LAYER_RECORD_BYTES;
  l->kind = tbn__rd8(r, TBN_LYR_KIND_U8);
  l->in_type = tbn__rd8(r, TBN_LYR_IN_TYPE_U8);
  l->out_type = tbn__rd8(r, TBN_LYR_OUT_TYPE_U8);
  l->flags = tbn__rd8(r, TBN_LYR_FLAGS_U8);
  l->in_h = tbn__rd16(r, TBN_LYR_IN_H_U16);
  l->in_w = tbn__rd16(r, TBN_LYR_IN_W_U16);
  l->in_c = tbn__rd16(r, TBN_LYR_IN_C_U16);
  l->out_h = tbn__rd16(r, TBN_LYR_OUT_H_U16);
  l->out_w = tbn__rd16(r, TBN_LYR_OUT_W_U16);
  l->out_c = tbn__rd16(r, TBN_LYR_OUT_C_U16);
  l->k_h = tbn__rd16(r, TBN_LYR_K_H_U16);
  l->k_w = tbn__rd16(r, TBN_LYR_K_W_U16);
  l->s_h = tbn__rd16(r, TBN_LYR_STRIDE_H_U16);
  l->s_w = tbn__rd16(r, TBN_LYR_STRIDE_W_U16);
  l->p = tbn__rd16(r, TBN_LYR_P_U16);
  l->shift = tbn__rd8(r, TBN_LYR_SHIFT_U8);
  l->tile_offset = tbn__rd32(r, TBN_LYR_TILE_OFFSET_U32);
  l->tile_words = tbn__rd32(r, TBN_LYR_TILE_WORDS_U32);
  l->thresh_offset = tbn__rd32(r, TBN_LYR_THRESH_OFFSET_U32);
  l->aux_offset = tbn__rd32(r, TBN_LYR_AUX_OFFSET_U32);
}

uint32_t tbn__udiv(uint32_t n, uint32_t d, uint32_t *rem) {
  uint32_t q = 0, r = 0;
  int bit;
  for (bit = 31; bit >= 0; bit--) {
    r = (r << 1) | ((n >> bit) & 1u);
    if (r >= d) {
      r -= d;
      q |= 1u << bit;
    }
  }
  if (rem) *rem = r;
  return q;
}

/* *r = a * b; 0 on overflow. Only 16x16-bit products, so no 64-bit multiply
 * helper is ever needed. */
static int mul_ok(uint32_t a, uint32_t b, uint32_t *r) {
  uint32_t ah = a >> 16, al = a & 0xffffu, bh = b >> 16, bl = b & 0xffffu;
  uint32_t cross, low;
  if (ah && bh) return 0;
  cross = ah * bl + bh * al;
  if (cross > 0xffffu) return 0;
  cross <<= 16;
  low = al * bl;
  if (low > 0xffffffffu - cross) return 0;
  *r = cross + low;
  return 1;
}

static int add_ok(uint32_t a, uint32_t b, uint32_t *r) {
  if (a > 0xffffffffu - b) return 0;
  *r = a + b;
  return 1;
}

/* Full 64-bit product of two 32-bit values from 16-bit pieces. */
static uint64_t mul_wide(uint32_t a, uint32_t b) {
  uint32_t al = a & 0xffffu, ah = a >> 16, bl = b & 0xffffu, bh = b >> 16;
  return (uint64_t)(al * bl) + ((uint64_t)(ah * bl) << 16) + ((uint64_t)(al * bh) << 16) +
         ((uint64_t)(ah * bh) << 32);
}

/* zlib crc32 with a 16-entry nibble table (64 bytes of const data). */
static uint32_t crc32_bytes(const uint8_t *p, uint32_t n) {
  static const uint32_t table[16] = {
      0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u, 0x6b6b51f4u,
      0x4db26158u, 0x5005713cu, 0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
      0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu};
  uint32_t crc = 0xffffffffu;
  while (n--) {
    crc ^= *p++;
    crc = (crc >> 4) ^ table[crc & 15u];
    crc = (crc >> 4) ^ table[crc & 15u];
  }
  return crc ^ 0xffffffffu;
}

/* Bytes of a tensor rounded up to 4; 0 on overflow. */
static uint32_t tensor_bytes(uint32_t type, uint32_t h, uint32_t w, uint32_t c) {
  uint32_t hw, n;
  if (!mul_ok(h, w, &hw)) return 0;
  if (type == TBN_TYPE_BIN) {
    if (!mul_ok(hw, tbn__cw(c), &n) || !mul_ok(n, 4u, &n)) return 0;
  } else if (type == TBN_TYPE_I8) {
    if (!mul_ok(hw, c, &n) || !add_ok(n, 3u, &n)) return 0;
    n &= ~3u;
  } else {
    if (!mul_ok(hw, c, &n) || !mul_ok(n, 4u, &n)) return 0;
  }
  return n;
}

/* A section of `bytes` bytes at `off` must be 4-byte aligned and lie in
 * [lo, file_bytes). */
static tbn_status check_section(uint32_t off, uint32_t bytes, uint32_t lo, uint32_t file_bytes) {
  if (off & (TBN_ALIGN - 1u)) return TBN_E_ALIGN;
  if (off < lo || off > file_bytes || bytes > file_bytes - off) return TBN_E_OFFSET;
  return TBN_OK;
}

/* out == (in - k) / s + 1 for valid padding, checked by multiplication. */
static int valid_extent(uint32_t in, uint32_t k, uint32_t s, uint32_t out) {
  uint32_t span;
  if (k == 0 || s == 0 || out == 0 || k > in) return 0;
  span = in - k;
  return (out - 1u) * s <= span && span < out * s;
}

static int reserved_zero(const uint8_t *p, uint32_t from, uint32_t to) {
  uint32_t i;
  for (i = from; i < to; i++)
    if (p[i]) return 0;
  return 1;
}

/* True when every padding bit of the ROWS tile is 0 (a set padding bit would
 * count as a mismatch in the word-wise XOR). */
static int rows_padding_clear(const uint32_t *tile, uint32_t rows, uint32_t positions,
                              uint32_t cw, uint32_t in_c) {
  uint32_t used = in_c & 31u, r, pos;
  const uint32_t *w = tile + cw - 1u;
  if (used == 0) return 1;
  for (r = 0; r < rows; r++)
    for (pos = 0; pos < positions; pos++, w += cw)
      if (*w >> used) return 0;
  return 1;
}

/* Checks one weight layer's parameters and sections. *g_bytes receives the
 * gather buffer it needs (STREAM layout) or 0. */
static tbn_status check_weight_layer(const uint8_t *data, const tbn__layer *l, uint32_t lo,
                                     uint32_t file_bytes, uint32_t *g_bytes) {
  uint32_t k_positions, K, n, cw, rw, rem, rows, q, expected, bytes;
  tbn_status s;
  const uint32_t *tile;

  if (!valid_extent(l->in_h, l->k_h, l->s_h, l->out_h)) return TBN_E_LAYER;
  if (!valid_extent(l->in_w, l->k_w, l->s_w, l->out_w)) return TBN_E_LAYER;
  if (l->kind == TBN_KIND_DENSE &&
      (l->k_h != l->in_h || l->k_w != l->in_w || l->s_h != 1u || l->s_w != 1u))
    return TBN_E_LAYER;
  if (l->kind == TBN_KIND_CONV1D && (l->in_h != 1u || l->k_h != 1u || l->s_h != 1u))
    return TBN_E_LAYER;
  if (l->p == 0) return TBN_E_LAYER;

  k_positions = l->k_h * l->k_w;
  if (!mul_ok(k_positions, l->in_c, &K) || !mul_ok(K, l->out_c, &n)) return TBN_E_LAYER;
  cw = tbn__cw(l->in_c);
  if (!mul_ok(k_positions, cw, &rw) || !mul_ok(rw, 4u, &bytes)) return TBN_E_LAYER;

  q = tbn__udiv(n, l->p, &rem);
  if (rem != 0) return TBN_E_LAYER; /* p must divide n */
  rows = tbn__udiv(l->out_c, l->p, &rem);
  /* ROWS iff p | N */
  if (((l->flags & TBN_LF_ROWS) != 0) != (rem == 0)) return TBN_E_LAYER;
  if ((l->flags & TBN_LF_REUSE) && !(l->flags & TBN_LF_ROWS)) return TBN_E_LAYER;
  if ((l->flags & TBN_LF_T16) && l->out_type != TBN_TYPE_BIN) return TBN_E_LAYER;
  if ((l->out_type == TBN_TYPE_BIN && l->shift != 0) || l->shift > 31u) return TBN_E_LAYER;
  *g_bytes = 0;
  if (l->flags & TBN_LF_ROWS) {
    if (!mul_ok(rows, rw, &expected)) return TBN_E_LAYER;
  } else {
    expected = (q >> 5) + ((q & 31u) != 0);
    *g_bytes = bytes;
  }
  if (l->tile_words != expected || !mul_ok(expected, 4u, &bytes)) return TBN_E_LAYER;
  if ((s = check_section(l->tile_offset, bytes, lo, file_bytes)) != TBN_OK) return s;
  if (l->out_type == TBN_TYPE_BIN) {
    bytes = l->out_c * ((l->flags & TBN_LF_T16) ? 2u : 4u);
    if ((s = check_section(l->thresh_offset, bytes, lo, file_bytes)) != TBN_OK) return s;
    bytes = tbn__cw(l->out_c) * 4u;
    if ((s = check_section(l->aux_offset, bytes, lo, file_bytes)) != TBN_OK) return s;
  } else {
    bytes = l->out_c * 4u;
    if ((s = check_section(l->thresh_offset, bytes, lo, file_bytes)) != TBN_OK) return s;
    if ((s = check_section(l->aux_offset, bytes, lo, file_bytes)) != TBN_OK) return s;
  }
  /* padding bits after all section checks (FORMAT.md validation order) */
  tile = (const uint32_t *)(const void *)(data + l->tile_offset);
  if (l->flags & TBN_LF_ROWS) {
    if (!rows_padding_clear(tile, rows, k_positions, cw, l->in_c)) return TBN_E_LAYER;
  } else if ((q & 31u) && (tile[expected - 1u] >> (q & 31u))) {
    return TBN_E_LAYER;
  }
  if (l->out_type == TBN_TYPE_BIN && (l->out_c & 31u) &&
      (tbn__rd32(data, l->aux_offset + tbn__cw(l->out_c) * 4u - 4u) >> (l->out_c & 31u)))
    return TBN_E_LAYER;
  return TBN_OK;
}

static tbn_status check_pool_layer(const tbn__layer *l) {
  if (l->p || l->flags || l->shift) return TBN_E_LAYER;
  if (l->tile_offset || l->tile_words || l->thresh_offset || l->aux_offset) return TBN_E_LAYER;
  if (l->kind == TBN_KIND_GAP) {
    if (l->k_h || l->k_w || l->s_h || l->s_w) return TBN_E_LAYER;
    if (l->out_type != TBN_TYPE_I32 || l->out_h != 1u || l->out_w != 1u || l->out_c != l->in_c)
      return TBN_E_LAYER;
  } else {
    if (l->out_type != l->in_type || l->out_c != l->in_c) return TBN_E_LAYER;
    if (!valid_extent(l->in_h, l->k_h, l->s_h, l->out_h)) return TBN_E_LAYER;
    if (!valid_extent(l->in_w, l->k_w, l->s_w, l->out_w)) return TBN_E_LAYER;
  }
  return TBN_OK;
}

/* Length of the well-formed UTF-8 sequence at p[0..n), or 0 if it is not
 * (the same rule as a fatal TextDecoder: no overlongs, surrogates or code
 * points above U+10FFFF). */
static uint32_t utf8_sequence(const uint8_t *p, uint32_t n) {
  uint32_t b = p[0], len, i, lo = 0x80u, hi = 0xbfu;
  if (b < 0x80u) return 1;
  if (b >= 0xc2u && b <= 0xdfu) len = 2;
  else if (b >= 0xe0u && b <= 0xefu) len = 3;
  else if (b >= 0xf0u && b <= 0xf4u) len = 4;
  else return 0;
  if (b == 0xe0u) lo = 0xa0u;
  if (b == 0xedu) hi = 0x9fu;
  if (b == 0xf0u) lo = 0x90u;
  if (b == 0xf4u) hi = 0x8fu;
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (i = 2; i < len; i++)
    if (p[i] < 0x80u || p[i] > 0xbfu) return 0;
  return len;
}

/* class_count NUL-terminated UTF-8 labels of at most TBN_MAX_LABEL_BYTES
 * bytes (NUL included) filling the table exactly. */
static tbn_status check_labels(const uint8_t *p, uint32_t bytes, uint32_t count) {
  uint32_t k, pos = 0;
  for (k = 0; k < count; k++) {
    uint32_t start = pos;
    while (pos < bytes && p[pos] != 0) {
      uint32_t len = utf8_sequence(p + pos, bytes - pos);
      if (len == 0) {
        /* an ill-formed label that is also unterminated reports as unterminated */
        while (pos < bytes && p[pos] != 0) pos++;
        return TBN_E_LABELS;
      }
      pos += len;
    }
    if (pos >= bytes || p[pos] != 0) return TBN_E_LABELS;
    if (pos + 1u - start > TBN_MAX_LABEL_BYTES) return TBN_E_LABELS;
    pos++;
  }
  return pos == bytes ? TBN_OK : TBN_E_LABELS;
}

tbn_status tbn_model_open(tbn_model *m, const void *data, size_t size) {
  const uint8_t *d = (const uint8_t *)data;
  uint32_t file_bytes, layer_count, class_count, in_h, in_w, in_c, records_end, input_len;
  uint32_t quant_count, quant_rem;
  uint32_t off, bytes, act, act_max, g_max, scratch, i;
  uint32_t cur_type, cur_h, cur_w, cur_c;
  tbn_status s;

  if (!m) return TBN_E_ARG;
  memset(m, 0, sizeof *m);
  m->bad_layer = -1;
  if (!data) return TBN_E_ARG;
  if (((uintptr_t)data) & (TBN_ALIGN - 1u)) return TBN_E_ALIGN;
  if (size < TBN_HEADER_BYTES) return TBN_E_TRUNCATED;
  if (tbn__rd32(d, TBN_HDR_MAGIC_U32) != TBN_MAGIC) return TBN_E_MAGIC;
  if (tbn__rd16(d, TBN_HDR_VERSION_U16) != TBN_FORMAT_VERSION) return TBN_E_VERSION;
  if (tbn__rd16(d, TBN_HDR_HEADER_BYTES_U16) != TBN_HEADER_BYTES) return TBN_E_SIZE;
  file_bytes = tbn__rd32(d, TBN_HDR_FILE_BYTES_U32);
  if (file_bytes < TBN_HEADER_BYTES) return TBN_E_SIZE;
  if (size < (size_t)file_bytes) return TBN_E_TRUNCATED;
  if (size > (size_t)file_bytes) return TBN_E_SIZE;
  if (crc32_bytes(d + TBN_CRC_START, file_bytes - TBN_CRC_START) != tbn__rd32(d, TBN_HDR_CRC32_U32))
    return TBN_E_CRC;
  layer_count = tbn__rd16(d, TBN_HDR_LAYER_COUNT_U16);
  class_count = tbn__rd16(d, TBN_HDR_CLASS_COUNT_U16);
  in_h = tbn__rd16(d, TBN_HDR_IN_H_U16);
  in_w = tbn__rd16(d, TBN_HDR_IN_W_U16);
  in_c = tbn__rd16(d, TBN_HDR_IN_C_U16);
  if (layer_count == 0 || layer_count > TBN_MAX_LAYERS) return TBN_E_SIZE;
  if (class_count == 0 || class_count > TBN_MAX_CLASSES) return TBN_E_SIZE;
  if (in_h == 0 || in_w == 0 || in_c == 0) return TBN_E_SIZE;
  /* Reserved header fields set: written by a format this kernel does not know. */
  if (tbn__rd16(d, TBN_HDR_FLAGS_U16) != 0 || !reserved_zero(d, 50u, TBN_HEADER_BYTES))
    return TBN_E_VERSION;
  if (tbn__rd32(d, TBN_HDR_LAYERS_OFFSET_U32) != TBN_HEADER_BYTES) return TBN_E_OFFSET;
  records_end = TBN_HEADER_BYTES + layer_count * TBN_LAYER_RECORD_BYTES;
  if (records_end > file_bytes) return TBN_E_OFFSET;

  quant_count = tbn__rd16(d, TBN_HDR_QUANT_COUNT_U16);
  if (quant_count == 0 || quant_count > in_c) return TBN_E_SIZE;
  tbn__udiv(in_c, quant_count, &quant_rem);
  if (quant_rem != 0) return TBN_E_SIZE;
  off = tbn__rd32(d, TBN_HDR_QUANT_OFFSET_U32);
  if ((s = check_section(off, quant_count * 8u, records_end, file_bytes)) != TBN_OK) return s;
  off = tbn__rd32(d, TBN_HDR_LABELS_OFFSET_U32);
  bytes = tbn__rd32(d, TBN_HDR_LABELS_BYTES_U32);
  if ((s = check_section(off, bytes, records_end, file_bytes)) != TBN_OK) return s;
  if ((s = check_labels(d + off, bytes, class_count)) != TBN_OK) return s;

  if (!mul_ok(in_h * in_w, in_c, &input_len)) return TBN_E_SIZE;
  act_max = tensor_bytes(TBN_TYPE_I8, in_h, in_w, in_c);
  if (act_max == 0) return TBN_E_SIZE;
  g_max = 0;
  cur_type = TBN_TYPE_I8;
  cur_h = in_h;
  cur_w = in_w;
  cur_c = in_c;
  for (i = 0; i < layer_count; i++) {
    tbn__layer l;
    uint32_t g = 0;
    const uint8_t *rec = d + TBN_HEADER_BYTES + i * TBN_LAYER_RECORD_BYTES;
    m->bad_layer = (int32_t)i;
    tbn__read_layer(d, i, &l);
    if (l.kind < TBN_KIND_DENSE || l.kind > TBN_KIND_GAP) return TBN_E_LAYER;
    if (l.in_type < TBN_TYPE_BIN || l.in_type > TBN_TYPE_I32) return TBN_E_LAYER;
    if (l.out_type < TBN_TYPE_BIN || l.out_type > TBN_TYPE_I32) return TBN_E_LAYER;
    if (l.flags & ~TBN_LF_ALL) return TBN_E_LAYER;
    if (rec[27] != 0 || !reserved_zero(rec, 44u, TBN_LAYER_RECORD_BYTES)) return TBN_E_LAYER;
    if (l.in_type != cur_type || l.in_h != cur_h || l.in_w != cur_w || l.in_c != cur_c)
      return TBN_E_CHAIN;
    if (l.out_h == 0 || l.out_w == 0 || l.out_c == 0) return TBN_E_LAYER;
    s = tbn__is_weight(l.kind) ? check_weight_layer(d, &l, records_end, file_bytes, &g)
                               : check_pool_layer(&l);
    if (s != TBN_OK) return s;
    act = tensor_bytes(l.out_type, l.out_h, l.out_w, l.out_c);
    if (act == 0) return TBN_E_LAYER;
    if (act > act_max) act_max = act;
    if (g > g_max) g_max = g;
    cur_type = l.out_type;
    cur_h = l.out_h;
    cur_w = l.out_w;
    cur_c = l.out_c;
  }
  if (cur_type != TBN_TYPE_I32 || cur_h != 1u || cur_w != 1u || cur_c != class_count)
    return TBN_E_CHAIN;
  m->bad_layer = -1;
  if (!mul_ok(act_max, 2u, &scratch) || !add_ok(scratch, g_max, &scratch)) return TBN_E_SIZE;
  if (scratch != tbn__rd32(d, TBN_HDR_SCRATCH_BYTES_U32)) return TBN_E_SCRATCH;

  m->data = d;
  m->size = file_bytes;
  m->layer_count = layer_count;
  m->class_count = class_count;
  m->scratch_bytes = scratch;
  m->activation_bytes = act_max;
  m->input_len = input_len;
  return TBN_OK;
}

tbn_status tbn_model_info(const tbn_model *m, tbn_info *info) {
  uint32_t i;
  if (!m || !info || !m->data) return TBN_E_ARG;
  memset(info, 0, sizeof *info);
  info->version = tbn__rd16(m->data, TBN_HDR_VERSION_U16);
  info->file_bytes = m->size;
  info->layer_count = m->layer_count;
  info->class_count = m->class_count;
  info->in_h = tbn__rd16(m->data, TBN_HDR_IN_H_U16);
  info->in_w = tbn__rd16(m->data, TBN_HDR_IN_W_U16);
  info->in_c = tbn__rd16(m->data, TBN_HDR_IN_C_U16);
  info->input_len = m->input_len;
  info->scratch_bytes = m->scratch_bytes;
  for (i = 0; i < m->layer_count; i++) {
    tbn__layer l;
    tbn__read_layer(m->data, i, &l);
    if (tbn__is_weight(l.kind))
      info->macs += mul_wide(l.out_h * l.out_w, l.k_h * l.k_w * l.in_c * l.out_c);
  }
  return TBN_OK;
}

const char *tbn_class_label(const tbn_model *m, uint32_t index) {
  const uint8_t *p, *end;
  if (!m || !m->data || index >= m->class_count) return NULL;
  p = m->data + tbn__rd32(m->data, TBN_HDR_LABELS_OFFSET_U32);
  end = p + tbn__rd32(m->data, TBN_HDR_LABELS_BYTES_U32);
  while (index && p < end) {
    if (*p++ == 0) index--;
  }
  return (const char *)p;
}

const char *tbn_status_string(tbn_status status) {
  switch (status) {
    case TBN_OK: return "ok";
    case TBN_E_ARG: return "invalid argument (NULL pointer or unknown enum value)";
    case TBN_E_TRUNCATED: return "model truncated: buffer shorter than the header or file_bytes";
    case TBN_E_MAGIC: return "not a .tbn model (bad magic)";
    case TBN_E_VERSION: return "unsupported .tbn format version or reserved header fields set";
    case TBN_E_SIZE: return "model size mismatch: buffer longer than file_bytes or header sizes wrong";
    case TBN_E_CRC: return "model CRC32 mismatch";
    case TBN_E_ALIGN: return "model, scratch or a section not 4-byte aligned";
    case TBN_E_OFFSET: return "model section outside the file";
    case TBN_E_LAYER: return "bad layer record (kind, type, flags, p or dims)";
    case TBN_E_CHAIN: return "layer input does not match the previous layer's output";
    case TBN_E_SCRATCH: return "scratch buffer smaller than the model needs";
    case TBN_E_OUTPUT: return "logits buffer smaller than the class count";
    case TBN_E_INPUT: return "input length differs from the model's input size";
    case TBN_E_LABELS: return "malformed class label table";
  }
  return "unknown status";
}
