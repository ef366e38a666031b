/*
 * tbn_open.c - validation of a packed .tbn model (tbn_format.h), model info,
 * class labels and status strings.
 *
 * Everything tbn_run later trusts is checked here first: exact size, CRC,
 * alignment, every size and offset (32-bit arithmetic with explicit overflow
 * checks, no 64-bit multiply), layer kinds/types/flags/p/dims, the chain, the
 * label table and the header's scratch size.
 *
 * Written for size (the -DTBN_SMALL kernel targets 4 KB of text): a layer
 * record is decoded into an array of 20 words (the fields of tbn__layer, in
 * order) so runs of fields are checked in loops, products carry a sticky
 * overflow flag checked once, and one helper checks every section.
 */
#include "tbn_internal.h"

#if defined(__GNUC__)
#define OPEN_NOINLINE __attribute__((noinline))
#else
#define OPEN_NOINLINE
#endif

/* Field indices of a decoded record: the order of tbn__layer's members. */
enum {
  F_KIND, F_IN_TYPE, F_OUT_TYPE, F_FLAGS, F_IN_H, F_IN_W, F_IN_C, F_OUT_H, F_OUT_W, F_OUT_C,
  F_K_H, F_K_W, F_S_H, F_S_W, F_P, F_SHIFT, F_TILE_OFF, F_TILE_WORDS, F_THRESH_OFF, F_AUX_OFF,
  F_COUNT
};

/* memcpy of the decoded words into tbn__layer needs it to be exactly them;
 * read_fields needs the record layout of tbn_format.h. */
typedef char tbn__layer_is_20_words[sizeof(tbn__layer) == F_COUNT * sizeof(uint32_t) ? 1 : -1];
typedef char tbn__record_layout[TBN_LYR_FLAGS_U8 == F_FLAGS && TBN_LYR_IN_H_U16 == F_IN_H &&
                                        TBN_LYR_P_U16 == TBN_LYR_IN_H_U16 + 2u * (F_P - F_IN_H) &&
                                        TBN_LYR_SHIFT_U8 == TBN_LYR_P_U16 + 2u &&
                                        TBN_LYR_AUX_OFFSET_U32 == TBN_LYR_TILE_OFFSET_U32 + 12u
                                    ? 1
                                    : -1];

/* the label and channel tables are read as (offset, bytes) pairs; the
 * channel flag is bit 0 (the table loop runs to hflags & TBN_HF_CHANNELS) */
typedef char tbn__table_fields[TBN_HDR_LABELS_BYTES_U32 == TBN_HDR_LABELS_OFFSET_U32 + 4u &&
                                       TBN_HDR_CHANNELS_BYTES_U32 == TBN_HDR_CHANNELS_OFFSET_U32 + 4u &&
                                       TBN_HF_CHANNELS == 1u
                                   ? 1
                                   : -1];

/* The model is 4-byte aligned (checked first) and every field lies at a
 * multiple of its size, so fields are read with aligned loads; like
 * tbn_run.c (tile words) this needs a little-endian core. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tbn_open.c reads aligned little-endian fields directly: port before use on big-endian"
#endif
static uint32_t rd16(const uint8_t *p, uint32_t off) {
  return ((const uint16_t *)(const void *)p)[off >> 1];
}
static uint32_t rd32(const uint8_t *p, uint32_t off) {
  return ((const uint32_t *)(const void *)p)[off >> 2];
}

/* Record `index` as F_COUNT words: bytes 0-3 are u8, then eleven u16, the
 * u8 shift at 26, reserved byte 27, four u32 from 28. */
static void read_fields(const uint8_t *data, uint32_t index, uint32_t *f) {
  const uint8_t *r = data + TBN_HEADER_BYTES + index * TBN_LAYER_RECORD_BYTES;
  uint32_t i;
  for (i = 0; i < F_COUNT; i++)
    f[i] = i < F_IN_H ? r[i]
           : i < F_SHIFT ? rd16(r, TBN_LYR_IN_H_U16 + 2u * (i - F_IN_H))
           : i == F_SHIFT ? r[TBN_LYR_SHIFT_U8]
                          : rd32(r, TBN_LYR_TILE_OFFSET_U32 + 4u * (i - F_TILE_OFF));
}

/* tbn_run decodes every layer once per inference: the default build keeps
 * straight-line loads there (the loop costs about 0.4% of a HAR inference). */
void tbn__read_layer(const uint8_t *data, uint32_t index, tbn__layer *l) {
#ifdef TBN_SMALL
  uint32_t f[F_COUNT];
  read_fields(data, index, f);
  memcpy(l, f, sizeof f);
#else
  const uint8_t *r = data + TBN_HEADER_BYTES + index * TBN_LAYER_RECORD_BYTES;
  l->kind = r[TBN_LYR_KIND_U8];
  l->in_type = r[TBN_LYR_IN_TYPE_U8];
  l->out_type = r[TBN_LYR_OUT_TYPE_U8];
  l->flags = r[TBN_LYR_FLAGS_U8];
  l->in_h = rd16(r, TBN_LYR_IN_H_U16);
  l->in_w = rd16(r, TBN_LYR_IN_W_U16);
  l->in_c = rd16(r, TBN_LYR_IN_C_U16);
  l->out_h = rd16(r, TBN_LYR_OUT_H_U16);
  l->out_w = rd16(r, TBN_LYR_OUT_W_U16);
  l->out_c = rd16(r, TBN_LYR_OUT_C_U16);
  l->k_h = rd16(r, TBN_LYR_K_H_U16);
  l->k_w = rd16(r, TBN_LYR_K_W_U16);
  l->s_h = rd16(r, TBN_LYR_STRIDE_H_U16);
  l->s_w = rd16(r, TBN_LYR_STRIDE_W_U16);
  l->p = rd16(r, TBN_LYR_P_U16);
  l->shift = r[TBN_LYR_SHIFT_U8];
  l->tile_offset = rd32(r, TBN_LYR_TILE_OFFSET_U32);
  l->tile_words = rd32(r, TBN_LYR_TILE_WORDS_U32);
  l->thresh_offset = rd32(r, TBN_LYR_THRESH_OFFSET_U32);
  l->aux_offset = rd32(r, TBN_LYR_AUX_OFFSET_U32);
#endif
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

/* a * b, setting *ovf when it does not fit 32 bits. Only 16x16-bit
 * products, so no 64-bit multiply helper is ever needed. */
static uint32_t mul(uint32_t a, uint32_t b, uint32_t *ovf) {
  uint32_t ah = a >> 16, al = a & 0xffffu, bh = b >> 16, bl = b & 0xffffu;
  uint32_t cross = ah * bl + bh * al, low = al * bl;
  if ((ah && bh) || cross > 0xffffu || low > 0xffffffffu - (cross << 16)) *ovf = 1;
  return a * b;
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
  uint32_t ovf = 0, n;
  /* bytes per position: c <= 65535, so these do not overflow */
  c = type == TBN_TYPE_BIN ? tbn__cw(c) * 4u : type == TBN_TYPE_I8 ? c : c * 4u;
  n = mul(mul(h, w, &ovf), c, &ovf);
  if (n & 3u) { /* only I8 needs rounding; BIN and I32 are whole words */
    if (n > 0xfffffffcu) return 0;
    n = (n | 3u) + 1u;
  }
  return ovf ? 0 : n;
}

/* A section of `bytes` bytes at `off` must be 4-byte aligned and lie in
 * [lo, file_bytes). */
static tbn_status check_section(uint32_t off, uint32_t bytes, uint32_t lo, uint32_t file_bytes) {
  if (off & (TBN_ALIGN - 1u)) return TBN_E_ALIGN;
  if (off < lo || off > file_bytes || bytes > file_bytes - off) return TBN_E_OFFSET;
  return TBN_OK;
}

/* out == (in - k) / s + 1 for valid padding, checked by multiplication.
 * Out of line: GCC would otherwise inline a copy per axis (about 110 B). */
OPEN_NOINLINE static int valid_extent(uint32_t in, uint32_t k, uint32_t s, uint32_t out) {
  uint32_t span;
  if (k == 0 || s == 0 || out == 0 || k > in) return 0;
  span = in - k;
  return (out - 1u) * s <= span && span < out * s;
}

static int nonzero(const uint8_t *p, uint32_t from, uint32_t to) {
  for (; from < to; from++)
    if (p[from]) return 1;
  return 0;
}

/* Whether any of `count` words at `w`, `stride` apart, has a bit at or above
 * `used` (1..31) set; used == 0 means whole words, nothing to check. Set
 * padding bits would count as mismatches in the word-wise XOR. */
static int padding_set(const uint8_t *w8, uint32_t count, uint32_t stride, uint32_t used) {
  const uint32_t *w = (const uint32_t *)(const void *)w8;
  if (used == 0) return 0;
  for (; count; count--, w += stride)
    if (*w >> used) return 1;
  return 0;
}

/* Checks record f (F_* words) after its chain check: geometry, then a weight
 * layer's sections and padding bits, then the output size. *g_bytes receives
 * the gather row a STREAM layer needs, *act its output tensor's bytes. */
static tbn_status check_layer(const uint8_t *d, const uint32_t *f, uint32_t lo, uint32_t file_bytes,
                              uint32_t *g_bytes, uint32_t *act) {
  uint32_t kind = f[F_KIND], flags = f[F_FLAGS], out_c = f[F_OUT_C], in_c = f[F_IN_C];
  uint32_t bin_out = f[F_OUT_TYPE] == TBN_TYPE_BIN, i, ovf = 0;
  uint32_t kpos, cw, rw, q, rows, rem, expected, sec[3];
  tbn_status s;

  /* both axes (out_h, out_w >= 1 there): gap's window is the whole input
   * (its k and s must be 0) */
  for (i = 0; i < 2u; i++) {
    uint32_t in = f[F_IN_H + i], k = f[F_K_H + i], st = f[F_S_H + i];
    if (kind == TBN_KIND_GAP) {
      k = in;
      st = 1;
    }
    if (kind == TBN_KIND_DENSE && (k != in || st != 1u)) return TBN_E_LAYER;
    if (kind == TBN_KIND_CONV1D && i == 0 && (in != 1u || st != 1u)) return TBN_E_LAYER;
    if (!valid_extent(in, k, st, f[F_OUT_H + i])) return TBN_E_LAYER;
  }

  if (!tbn__is_weight(kind)) {
    /* pools: p, shift, offsets, tile_words (gap: k and stride too) and flags 0 */
    for (i = kind == TBN_KIND_GAP ? F_K_H : F_P; i < F_COUNT; i++)
      if (f[i]) return TBN_E_LAYER;
    if (flags || out_c != in_c) return TBN_E_LAYER;
    if (f[F_OUT_TYPE] != (kind == TBN_KIND_GAP ? TBN_TYPE_I32 : f[F_IN_TYPE])) return TBN_E_LAYER;
    *g_bytes = 0;
  } else {
    kpos = f[F_K_H] * f[F_K_W]; /* each <= 65535 */
    cw = tbn__cw(in_c);
    rw = mul(kpos, cw, &ovf);
    /* q = n / p with n = N*K; p must divide n; N >= 1 before the sections
     * (pools: out_c == in_c >= 1) */
    q = tbn__udiv(mul(mul(kpos, in_c, &ovf), out_c, &ovf), f[F_P], &rem);
    if (f[F_P] == 0 || rem || out_c == 0) return TBN_E_LAYER;
    rows = tbn__udiv(out_c, f[F_P], &rem);
    /* ROWS iff p | N; REUSE needs ROWS; T16 only for BIN out; BIN out: shift 0 */
    if (((flags & TBN_LF_ROWS) != 0) != (rem == 0)) return TBN_E_LAYER;
    if ((flags & TBN_LF_REUSE) && !(flags & TBN_LF_ROWS)) return TBN_E_LAYER;
    if ((flags & TBN_LF_T16) && !bin_out) return TBN_E_LAYER;
    if (f[F_SHIFT] > (bin_out ? 0u : 31u)) return TBN_E_LAYER;
    *g_bytes = 0;
    if (flags & TBN_LF_ROWS) {
      expected = mul(rows, rw, &ovf);
    } else {
      expected = (q >> 5) + ((q & 31u) != 0);
      *g_bytes = mul(rw, 4u, &ovf);
    }
    sec[0] = mul(expected, 4u, &ovf);
    if (f[F_TILE_WORDS] != expected || ovf) return TBN_E_LAYER;
    /* thresholds (T16: int16) or multipliers; flip words or biases */
    sec[1] = out_c * ((flags & TBN_LF_T16) ? 2u : 4u);
    sec[2] = (bin_out ? tbn__cw(out_c) : out_c) * 4u;
    for (i = 0; i < 3u; i++)
      if ((s = check_section(f[i ? F_THRESH_OFF + i - 1u : F_TILE_OFF], sec[i], lo, file_bytes)) !=
          TBN_OK)
        return s;
    /* padding bits after all section checks (FORMAT.md validation order):
     * ROWS: each position's last word, STREAM: the last word, flips */
    if ((flags & TBN_LF_ROWS)
            ? padding_set(d + f[F_TILE_OFF] + cw * 4u - 4u, rows * kpos, cw, in_c & 31u)
            : padding_set(d + f[F_TILE_OFF] + expected * 4u - 4u, 1u, 0, q & 31u))
      return TBN_E_LAYER;
    if (bin_out && padding_set(d + f[F_AUX_OFF] + sec[2] - 4u, 1u, 0, out_c & 31u))
      return TBN_E_LAYER;
  }
  *act = tensor_bytes(f[F_OUT_TYPE], f[F_OUT_H], f[F_OUT_W], out_c);
  return *act ? TBN_OK : TBN_E_LAYER;
}

/* Length of the well-formed UTF-8 sequence at p[0..n), or 0 if it is not
 * (the same rule as a fatal TextDecoder: no overlongs, surrogates or code
 * points above U+10FFFF). */
static uint32_t utf8_sequence(const uint8_t *p, uint32_t n) {
  uint32_t b = p[0], len, i, lo, hi;
  if (b < 0x80u) return 1;
  if (b < 0xc2u || b > 0xf4u) return 0;
  len = 2u + (b >= 0xe0u) + (b >= 0xf0u);
  /* the second byte's range excludes overlongs (e0, f0), surrogates (ed)
   * and code points past U+10FFFF (f4) */
  lo = b == 0xe0u ? 0xa0u : b == 0xf0u ? 0x90u : 0x80u;
  hi = b == 0xedu ? 0x9fu : b == 0xf4u ? 0x8fu : 0xbfu;
  if (n < len) return 0;
  for (i = 1; i < len; i++, lo = 0x80u, hi = 0xbfu)
    if (p[i] < lo || p[i] > hi) return 0;
  return len;
}

/* class_count NUL-terminated UTF-8 labels of at most TBN_MAX_LABEL_BYTES
 * bytes (NUL included) filling the table exactly. */
static tbn_status check_labels(const uint8_t *p, uint32_t bytes, uint32_t count) {
  uint32_t pos = 0;
  for (; count; count--) {
    uint32_t start = pos;
    while (pos < bytes && p[pos] != 0) {
      uint32_t len = utf8_sequence(p + pos, bytes - pos);
      if (len == 0) return TBN_E_LABELS;
      pos += len;
    }
    if (pos >= bytes || pos + 1u - start > TBN_MAX_LABEL_BYTES) return TBN_E_LABELS;
    pos++;
  }
  return pos == bytes ? TBN_OK : TBN_E_LABELS;
}

tbn_status tbn_model_open(tbn_model *m, const void *data, size_t size) {
  const uint8_t *d = (const uint8_t *)data;
  uint32_t file_bytes, layer_count, class_count, in_h, in_w, in_c, records_end;
  uint32_t quant_count, rem, off, bytes, act, act_max, g_max, i, hflags, ovf = 0;
  uint32_t f[F_COUNT], cur_type = TBN_TYPE_I8, cur_h, cur_w, cur_c;
  tbn_status s;

  if (!m) return TBN_E_ARG;
  memset(m, 0, sizeof *m);
  m->bad_layer = -1;
  if (!data) return TBN_E_ARG;
  if (((uintptr_t)data) & (TBN_ALIGN - 1u)) return TBN_E_ALIGN;
  if (size < TBN_HEADER_BYTES) return TBN_E_TRUNCATED;
  if (rd32(d, TBN_HDR_MAGIC_U32) != TBN_MAGIC) return TBN_E_MAGIC;
  if (rd16(d, TBN_HDR_VERSION_U16) != TBN_FORMAT_VERSION) return TBN_E_VERSION;
  if (rd16(d, TBN_HDR_HEADER_BYTES_U16) != TBN_HEADER_BYTES) return TBN_E_SIZE;
  file_bytes = rd32(d, TBN_HDR_FILE_BYTES_U32);
  if (file_bytes < TBN_HEADER_BYTES) return TBN_E_SIZE;
  if (size < (size_t)file_bytes) return TBN_E_TRUNCATED;
  if (size > (size_t)file_bytes) return TBN_E_SIZE;
  if (crc32_bytes(d + TBN_CRC_START, file_bytes - TBN_CRC_START) != rd32(d, TBN_HDR_CRC32_U32))
    return TBN_E_CRC;
  layer_count = rd16(d, TBN_HDR_LAYER_COUNT_U16);
  class_count = rd16(d, TBN_HDR_CLASS_COUNT_U16);
  in_h = rd16(d, TBN_HDR_IN_H_U16);
  in_w = rd16(d, TBN_HDR_IN_W_U16);
  in_c = rd16(d, TBN_HDR_IN_C_U16);
  if (layer_count - 1u >= TBN_MAX_LAYERS || class_count - 1u >= TBN_MAX_CLASSES) return TBN_E_SIZE;
  if (in_h == 0 || in_w == 0 || in_c == 0) return TBN_E_SIZE;
  /* Unknown header flags or reserved bytes set (a format this kernel does
   * not know), or a flag that disagrees with its fields. */
  hflags = rd16(d, TBN_HDR_FLAGS_U16);
  if ((hflags & ~TBN_HF_ALL) || rd16(d, 50u) ||
      (!(hflags & TBN_HF_CHANNELS) &&
       (rd32(d, TBN_HDR_CHANNELS_OFFSET_U32) | rd32(d, TBN_HDR_CHANNELS_BYTES_U32))) ||
      !(hflags & TBN_HF_RATE) != !rd32(d, TBN_HDR_RATE_MHZ_U32))
    return TBN_E_VERSION;
  records_end = TBN_HEADER_BYTES + layer_count * TBN_LAYER_RECORD_BYTES;
  if (rd32(d, TBN_HDR_LAYERS_OFFSET_U32) != TBN_HEADER_BYTES || records_end > file_bytes)
    return TBN_E_OFFSET;

  quant_count = rd16(d, TBN_HDR_QUANT_COUNT_U16);
  tbn__udiv(in_c, quant_count, &rem);
  if (quant_count == 0 || quant_count > in_c || rem != 0) return TBN_E_SIZE;
  off = rd32(d, TBN_HDR_QUANT_OFFSET_U32);
  if ((s = check_section(off, quant_count * 8u, records_end, file_bytes)) != TBN_OK) return s;
  /* class labels, then (TBN_HF_CHANNELS) quant_count input channel names
   * "name<TAB>unit" under the same rules */
  for (i = 0; i <= (hflags & TBN_HF_CHANNELS); i++) {
    uint32_t at = i ? TBN_HDR_CHANNELS_OFFSET_U32 : TBN_HDR_LABELS_OFFSET_U32;
    off = rd32(d, at);
    bytes = rd32(d, at + 4u);
    if ((s = check_section(off, bytes, records_end, file_bytes)) != TBN_OK) return s;
    if ((s = check_labels(d + off, bytes, i ? quant_count : class_count)) != TBN_OK) return s;
  }

  /* the int8 input: its bytes rounded to 4 are the first activation size */
  act_max = tensor_bytes(TBN_TYPE_I8, in_h, in_w, in_c);
  if (act_max == 0) return TBN_E_SIZE;
  g_max = 0;
  /* chain state: the previous layer's output, first the model input */
  cur_h = in_h;
  cur_w = in_w;
  cur_c = in_c;
  for (i = 0; i < layer_count; i++) {
    const uint8_t *rec = d + TBN_HEADER_BYTES + i * TBN_LAYER_RECORD_BYTES;
    uint32_t g = 0;
    m->bad_layer = (int32_t)i;
    read_fields(d, i, f);
    if (f[F_KIND] - TBN_KIND_DENSE > TBN_KIND_GAP - TBN_KIND_DENSE ||
        f[F_IN_TYPE] - TBN_TYPE_BIN > TBN_TYPE_I32 - TBN_TYPE_BIN ||
        f[F_OUT_TYPE] - TBN_TYPE_BIN > TBN_TYPE_I32 - TBN_TYPE_BIN || (f[F_FLAGS] & ~TBN_LF_ALL) ||
        nonzero(rec, 27u, 28u) || nonzero(rec, 44u, TBN_LAYER_RECORD_BYTES))
      return TBN_E_LAYER;
    if (f[F_IN_TYPE] != cur_type || f[F_IN_H] != cur_h || f[F_IN_W] != cur_w || f[F_IN_C] != cur_c) return TBN_E_CHAIN;
    if ((s = check_layer(d, f, records_end, file_bytes, &g, &act)) != TBN_OK) return s;
    if (act > act_max) act_max = act;
    if (g > g_max) g_max = g;
    cur_type = f[F_OUT_TYPE];
    cur_h = f[F_OUT_H];
    cur_w = f[F_OUT_W];
    cur_c = f[F_OUT_C];
  }
  if (cur_type != TBN_TYPE_I32 || cur_h != 1u || cur_w != 1u || cur_c != class_count) return TBN_E_CHAIN;
  m->bad_layer = -1;
  /* 2A + G */
  act = mul(act_max, 2u, &ovf) + g_max;
  if (ovf || act < g_max) return TBN_E_SIZE;
  if (act != rd32(d, TBN_HDR_SCRATCH_BYTES_U32)) return TBN_E_SCRATCH;

  m->data = d;
  m->size = file_bytes;
  m->layer_count = layer_count;
  m->class_count = class_count;
  m->scratch_bytes = act;
  m->activation_bytes = act_max;
  m->input_len = in_h * in_w * in_c; /* fits: act_max did not overflow */
  return TBN_OK;
}

tbn_status tbn_model_info(const tbn_model *m, tbn_info *info) {
  uint32_t i, f[F_COUNT];
  if (!m || !info || !m->data) return TBN_E_ARG;
  memset(info, 0, sizeof *info);
  info->version = rd16(m->data, TBN_HDR_VERSION_U16);
  info->file_bytes = m->size;
  info->layer_count = m->layer_count;
  info->class_count = m->class_count;
  info->in_h = rd16(m->data, TBN_HDR_IN_H_U16);
  info->in_w = rd16(m->data, TBN_HDR_IN_W_U16);
  info->in_c = rd16(m->data, TBN_HDR_IN_C_U16);
  info->quant_count = rd16(m->data, TBN_HDR_QUANT_COUNT_U16);
  info->input_len = m->input_len;
  info->scratch_bytes = m->scratch_bytes;
  for (i = 0; i < m->layer_count; i++) {
    read_fields(m->data, i, f);
    if (tbn__is_weight(f[F_KIND])) {
      /* positions out_h*out_w times K*N (each a 32-bit product), the 64-bit
       * product by shift and add: no 64-bit multiply helper */
      uint32_t a = f[F_OUT_H] * f[F_OUT_W], b = f[F_K_H] * f[F_K_W] * f[F_IN_C] * f[F_OUT_C];
      uint64_t x = a;
      for (; b; b >>= 1, x <<= 1)
        if (b & 1u) info->macs += x;
    }
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
    case TBN_E_PARAMS: return "int16 input parameters: not 3 per channel, or mult/add/shift out of range";
  }
  return "unknown status";
}
