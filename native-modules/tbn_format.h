/*
 * tbn_format.h - the packed .tbn model format, version 1.
 *
 * This header is the single definition of the format. The C kernel reads it
 * directly; the TypeScript packer, reader and integer reference parse the
 * `#define TBN_...` lines of this file at load time (host/format/spec.ts), so
 * there is no second copy of any number below. FORMAT.md beside this file
 * explains the design; the arithmetic is specified here.
 *
 * All multi-byte fields are little-endian. Fields are read by byte offset,
 * never through a struct overlay, so the layout does not depend on a
 * compiler's padding rules.
 *
 * ------------------------------------------------------------------------
 * FILE LAYOUT
 *   [0, 64)                     file header (TBN_HDR_*)
 *   [64, 64 + 64*layer_count)   layer records (TBN_LYR_*), contiguous
 *   then sections, each starting at a 4-byte aligned offset:
 *     input quantisation  quant_count x {f32 mul, f32 add}
 *     class labels        class_count NUL-terminated UTF-8 strings
 *     input channels      (optional, header flag TBN_HF_CHANNELS) quant_count
 *                         NUL-terminated UTF-8 strings "name<TAB>unit"
 *     per layer: tile words, thresholds or multipliers, flips or biases
 *   file_bytes is the exact length of the file; a longer or shorter buffer
 *   is rejected. crc32 (IEEE 802.3, reflected, poly 0xEDB88320, init and
 *   final xor 0xFFFFFFFF: the zlib crc32) covers bytes [16, file_bytes).
 *
 * ------------------------------------------------------------------------
 * TENSORS
 *   Activations are channel-last: a tensor of shape (h, w, c) stores
 *   position (y, x) at index y*w + x. A 1-D sequence is h = 1.
 *   Three element types:
 *   - BIN: +1/-1 values, bit-packed per position into CW = ceil(c/32)
 *     uint32 words; channel ch is bit (ch % 32) of word (ch / 32).
 *     Bit 1 means -1, bit 0 means +1. Padding bits are 0.
 *   - I8:  int8 values, h*w*c bytes.
 *   - I32: int32 values, h*w*c words.
 *
 * INPUT
 *   The model input has shape (in_h, in_w, in_c). The quantisation section
 *   holds quant_count = Q pairs (f32 mul, f32 add), 1 <= Q <= in_c, with in_c
 *   a multiple of Q: element i of the flattened input uses pair (i mod Q).
 *   Q = in_c is one pair per channel; a dense first layer over a flattened
 *   sensor or image input declares (1, 1, h*w*c) with Q = c, so its rows are
 *   padded once per row, not once per position. A float value x is
 *   quantised to int8, in IEEE single precision, with no fused
 *   multiply-add:
 *       t = (x * mul[i mod Q]) + add[i mod Q]  (two rounded f32 operations)
 *       q = -127            if !(t >= -127)  (this also catches NaN)
 *           127             if t > 127
 *           round-half-away-from-zero(t) otherwise, computed as
 *             i = trunc(t); f = t - i; i + (f >= 0.5) - (f <= -0.5)
 *   int8 input given directly is used as is (-128 is allowed).
 *
 * INT16 INPUT (sensor counts; parameters supplied by the caller, not stored)
 *   An int16 count c of element i, channel j = i mod Q, with the caller's
 *   integer triple (mult_j, add_j, shift_j), is requantised to int8 as
 *       q = clamp(floor((c * mult_j + add_j) / 2^shift_j), -128, 127)
 *   in int32 arithmetic, the division being an arithmetic right shift.
 *   Valid parameters: -32768 <= mult <= 32767, -(2^30 - 1) <= add <= 2^30 - 1,
 *   0 <= shift <= 31; then |c * mult| <= 2^30 and the sum lies strictly
 *   inside int32: no step can overflow. Anything else is refused before any
 *   inference. The clamp is the full int8 range (one saturate instruction
 *   on cores that have one); float input never yields -128, int16 input
 *   may, as int8 input may. A caller derives the triple from the pair
 *   (mul_j, add_j) above and the sensor's unit per count u_j, so that
 *   q ~ round(c * u_j * mul_j + add_j): mult = round(s * 2^shift) with
 *   s = u_j * mul_j, add = round(add_j * 2^shift + 2^(shift-1)) (0.5 folds
 *   the rounding into the floor), at the largest shift keeping both in range
 *   (host/reference/quantize.ts, int16InputParams).
 *
 * INPUT DESCRIPTION (optional; FORMAT.md says why it is a flag, not a version)
 *   Header flags (TBN_HDR_FLAGS_U16) other than TBN_HF_ALL are invalid.
 *   - TBN_HF_CHANNELS: channels_offset/channels_bytes locate a table of
 *     quant_count entries, one per input channel (element i of the input
 *     belongs to channel i mod Q, as for quantisation), each a NUL-terminated
 *     UTF-8 string of at most TBN_MAX_LABEL_BYTES bytes with its NUL, filling
 *     the table exactly: the same rules as the class labels. The channel's
 *     name is the text before the first TAB, its physical unit the text
 *     after it (e.g. "x_acc\tm/s2"; empty when there is no TAB: unknown).
 *     Without the flag both fields are 0.
 *   - TBN_HF_RATE: rate_mhz is the sample rate the model was trained at
 *     (samples per second x 1000, at least 1) for sensor windows. Without
 *     the flag it is 0.
 *   The kernel never reads either; it validates them so every byte a
 *   host tool shows comes from a checked file.
 *
 * WEIGHT LAYERS (dense, conv1d, conv2d)
 *   Filters are (out_c, k_h, k_w, in_c), row-major; K = k_h*k_w*in_c is the
 *   length of one filter and N = out_c. The layer's full weight tensor has
 *   n = N*K binary weights; its tile has q = n/p bits (p divides n).
 *   dense is the case k_h = in_h, k_w = in_w, out_h = out_w = 1: one filter
 *   covers the whole input, flattened channel-last. conv1d has in_h = k_h =
 *   out_h = 1. (Clarification: dense and conv1d have stride_h = 1, dense
 *   also stride_w = 1; readers reject other values.) Padding is "valid";
 *   out_h = (in_h - k_h)/stride_h + 1, and
 *   likewise for w.
 *   Weight w(o, e) of output channel o and filter element e (row-major over
 *   (dy, dx, ch)) is stored in the tile in one of two layouts:
 *   - ROWS (flag TBN_LF_ROWS, required when p divides N, forbidden
 *     otherwise): the tile is N/p filter rows. Row r holds RW = k_h*k_w*CW
 *     words: element (dy, dx, ch) is bit (ch % 32) of word
 *     (dy*k_w + dx)*CW + ch/32, with CW = ceil(in_c/32) and padding bits 0.
 *     Output channel o uses row (o mod N/p). tile_words = (N/p)*RW.
 *   - STREAM (p does not divide N): the tile is q bits, bit j at bit
 *     (j % 32) of word j/32; w(o, e) is bit ((o*K + e) mod q).
 *     tile_words = ceil(q/32). (Clarification: bits past q in the last
 *     word are 0, as are flip bits past channel N-1; readers reject set ones.)
 *   A bit 1 is weight -1, a bit 0 is weight +1.
 *   With flag TBN_LF_REUSE (requires ROWS) a kernel computes each distinct
 *   row once per output position and applies it to its p output channels;
 *   without it, every output channel is computed on its own. Both give the
 *   same integers.
 *
 *   Accumulator, per output channel o and output position:
 *       acc = sum over e of w(o, e) * x(e)
 *   where x is +1/-1 (BIN), the int8 value (I8) or the int32 value (I32),
 *   computed in wrapping 32-bit two's complement arithmetic. For BIN input
 *   acc = K - 2*popcount(mismatches) (padding bits never mismatch).
 *
 *   Output, by out_type:
 *   - BIN (a hidden layer with sign activation): the output is +1 iff
 *         (acc >= T[o]) XOR flip[o]
 *     T is int16 when TBN_LF_T16 is set, else int32, one per channel at
 *     thresh_offset; flip is a bit array of ceil(N/32) words at
 *     aux_offset (channel o = bit o%32 of word o/32). A negative
 *     scale of BatchNorm/alpha sets flip; the shared tile is never negated.
 *   - I8 (hidden layer, ReLU, weight-only mode) and I32 (final layer,
 *     logits): with M = int32 multiplier[o] at thresh_offset,
 *     B = int32 bias[o] at aux_offset and s = shift (0..31):
 *         v = floor((acc * M + B) / 2^s)
 *     where the product and sum wrap in 32-bit two's complement and the
 *     division is an arithmetic right shift (floor). I8 output is
 *     clamp(v, 0, 127); I32 output is v.
 *
 * POOLING
 *   maxpool: window k_h x k_w, stride (stride_h, stride_w), valid. in_type ==
 *   out_type. BIN: +1 iff any element of the window is +1. I8/I32: max.
 *   gap (global average pool): out (1, 1, in_c), out_type I32, the SUM over
 *   positions (BIN counts +1 as 1 and -1 as -1). The 1/(h*w) is folded into
 *   the next layer. k_*, stride_* and p are 0 for gap; p is 0 for maxpool.
 *
 * CHAIN
 *   Layer 0 takes I8 input of the model's input shape. Each layer's input
 *   shape and type equal the previous layer's output. The last layer
 *   outputs I32 of shape (1, 1, class_count): the logits. The class is the
 *   index of the largest logit, the lowest index on a tie.
 *
 * SCRATCH
 *   scratch_bytes = 2*A + G, where A is the largest activation tensor of the
 *   chain in bytes (the int8 input included), each rounded up to a multiple
 *   of 4, and G is 4*RW for the largest weight layer in STREAM layout (0 if
 *   none). Activations ping-pong between the two A-sized halves; G holds one
 *   gathered filter row. A reader recomputes it and rejects a mismatch.
 *
 * VALIDATION
 *   (Clarification.) The order of the checks and the tbn_status each failure
 *   maps to are listed in FORMAT.md; the C kernel and host/format/reader.ts
 *   follow that list.
 */
#ifndef TBN_FORMAT_H
#define TBN_FORMAT_H

#define TBN_MAGIC 0x314E4254u /* bytes "TBN1" */
#define TBN_FORMAT_VERSION 1u
#define TBN_HEADER_BYTES 64u
#define TBN_LAYER_RECORD_BYTES 64u
#define TBN_CRC_START 16u
#define TBN_ALIGN 4u
#define TBN_MAX_LAYERS 64u
#define TBN_MAX_CLASSES 1024u
#define TBN_MAX_LABEL_BYTES 64u /* per label, its NUL included */

/* File header: byte offsets and sizes (u8/u16/u32 by suffix). */
#define TBN_HDR_MAGIC_U32 0u
#define TBN_HDR_VERSION_U16 4u
#define TBN_HDR_HEADER_BYTES_U16 6u
#define TBN_HDR_FILE_BYTES_U32 8u
#define TBN_HDR_CRC32_U32 12u
#define TBN_HDR_LAYER_COUNT_U16 16u
#define TBN_HDR_CLASS_COUNT_U16 18u
#define TBN_HDR_IN_H_U16 20u
#define TBN_HDR_IN_W_U16 22u
#define TBN_HDR_IN_C_U16 24u
#define TBN_HDR_FLAGS_U16 26u /* TBN_HF_* bits; others must be 0 */
#define TBN_HDR_SCRATCH_BYTES_U32 28u
#define TBN_HDR_QUANT_OFFSET_U32 32u /* quant_count x (f32 mul, f32 add) */
#define TBN_HDR_LABELS_OFFSET_U32 36u
#define TBN_HDR_LABELS_BYTES_U32 40u
#define TBN_HDR_LAYERS_OFFSET_U32 44u /* always TBN_HEADER_BYTES in v1 */
#define TBN_HDR_QUANT_COUNT_U16 48u   /* Q: pairs in the quantisation section */
/* bytes 50..51 are reserved and must be 0 */
#define TBN_HDR_CHANNELS_OFFSET_U32 52u /* TBN_HF_CHANNELS, else 0 */
#define TBN_HDR_CHANNELS_BYTES_U32 56u  /* TBN_HF_CHANNELS, else 0 */
#define TBN_HDR_RATE_MHZ_U32 60u        /* TBN_HF_RATE, else 0 */

/* Header flags. */
#define TBN_HF_CHANNELS 0x0001u /* input channel names and units */
#define TBN_HF_RATE 0x0002u     /* input sample rate */
#define TBN_HF_ALL 0x0003u

/* INT16 INPUT parameter bounds. */
#define TBN_I16_MULT_MAX 32767u     /* mult is int16: -(MAX + 1) <= mult <= MAX */
#define TBN_I16_ADD_MAX 0x3FFFFFFFu /* |add| <= 2^30 - 1 */
#define TBN_I16_SHIFT_MAX 31u
#define TBN_I16_PARAMS_PER_CHANNEL 3u /* mult, add, shift */

/* Layer record: byte offsets relative to the record start. */
#define TBN_LYR_KIND_U8 0u
#define TBN_LYR_IN_TYPE_U8 1u
#define TBN_LYR_OUT_TYPE_U8 2u
#define TBN_LYR_FLAGS_U8 3u
#define TBN_LYR_IN_H_U16 4u
#define TBN_LYR_IN_W_U16 6u
#define TBN_LYR_IN_C_U16 8u
#define TBN_LYR_OUT_H_U16 10u
#define TBN_LYR_OUT_W_U16 12u
#define TBN_LYR_OUT_C_U16 14u
#define TBN_LYR_K_H_U16 16u
#define TBN_LYR_K_W_U16 18u
#define TBN_LYR_STRIDE_H_U16 20u
#define TBN_LYR_STRIDE_W_U16 22u
#define TBN_LYR_P_U16 24u
#define TBN_LYR_SHIFT_U8 26u
/* byte 27 reserved, 0 */
#define TBN_LYR_TILE_OFFSET_U32 28u
#define TBN_LYR_TILE_WORDS_U32 32u
#define TBN_LYR_THRESH_OFFSET_U32 36u /* BIN out: T[N]; I8/I32 out: M[N] */
#define TBN_LYR_AUX_OFFSET_U32 40u    /* BIN out: flip bits; I8/I32 out: B[N] */
/* bytes 44..63 reserved, 0 */

/* Layer kinds. */
#define TBN_KIND_DENSE 1u
#define TBN_KIND_CONV1D 2u
#define TBN_KIND_CONV2D 3u
#define TBN_KIND_MAXPOOL 4u
#define TBN_KIND_GAP 5u

/* Element types of activations. */
#define TBN_TYPE_BIN 1u
#define TBN_TYPE_I8 2u
#define TBN_TYPE_I32 3u

/* Layer flags. */
#define TBN_LF_REUSE 0x01u /* compute N/p distinct rows once (needs ROWS) */
#define TBN_LF_ROWS 0x02u  /* tile stored as N/p padded rows (iff p | N) */
#define TBN_LF_T16 0x04u   /* BIN-out thresholds are int16, else int32 */
#define TBN_LF_ALL 0x07u

#endif /* TBN_FORMAT_H */
