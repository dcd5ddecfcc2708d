/*
 * Jemma's optional native leaf kernels: activations quantized to 8-bit blocks, then integer dot products against
 * quantized weight rows (what the Vector API cannot express: a widening int8 multiply-add).
 *
 * Built by the Maven build with the machine's C compiler when there is one (twice: AVX2, and AVX2 with AVX-512
 * VNNI; -DJK_VNNI), loaded by dev.jemma.tensor.NativeKernels through FFM. Leaf kernels only: no threads, no memory
 * management, no graph. The Java kernels are the fallback and the reference these are tested against.
 *
 * Numerics follow llama.cpp's CPU backend (ggml-quants.c, arch/x86/quants.c): activations become Q8_0 blocks
 * (d = max|x|/127 rounded to f16, q = round-half-even(x·127/max|x|); kept here with d widened to f32, and with
 * −8 × the sum of each four q, which lets unsigned weight codes meet signed activations in one multiply-add) for
 * Q4_0, Q5_0 and Q8_0 weights, and Q8_K blocks
 * (f32 d = max/-127 of the element of largest magnitude, q = round-half-even(x/d) capped at 127, and sums of
 * each 16 q) for Q4_K and Q6_K. Integer products are exact; each block's sum is scaled and added to a per-(row,
 * token) vector accumulator in block order, and the accumulator is summed across lanes the same way each time. A
 * result therefore never depends on how many rows or tokens a call covers: one token, a verification pass and a
 * prefill chunk give the same bits for the same (row, token). Compile with -ffp-contract=off so that stays true.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#ifndef JK_PREFIX
#define JK_PREFIX jk_avx2_
#endif
#define JK_CAT2(a, b) a##b
#define JK_CAT(a, b) JK_CAT2(a, b)
#define JK(name) JK_CAT(JK_PREFIX, name)

#define INLINE static inline __attribute__((always_inline))

/* ggml type ids (GGUF tensor types) */
enum { T_Q4_0 = 2, T_Q5_0 = 6, T_Q8_0 = 8, T_Q4_K = 12, T_Q6_K = 14 };

#define Q8_0_BYTES 68  /* f32 d (an f16 value, widened once here instead of per weight row), 32 × i8, 8 × i32 −8·Σ of each 4 */
#define Q8_0S_BYTES 40 /* f32 d, 32 × i8, i32 −8·Σ of all 32 */
#define Q8_K_BYTES 292 /* f32 d, 256 × i8, 16 × i16 sums of 16 */
#define MAX_TOKENS 4   /* tokens per micro-kernel call: the weight block is unpacked once for them */
/* Weight bytes are prefetched this far ahead of the block being read. A row is only a few hundred bytes, so the
 * hardware's streamer, which restarts at each row's end, left one decoding thread at 9 GB/s on the 178 MB Q8_0
 * output head (a plain read runs at 15.5); 4 KiB ahead it reads at 13-16. */
#define PREFETCH_AHEAD 4096

INLINE float f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

INLINE float f32(const uint8_t *p) {
    float f;
    memcpy(&f, p, 4);
    return f;
}

INLINE float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* ---------------------------------------------------------------- activation quantization */

/* One token's cols activations as Q8_0 blocks: with −8·Σ of each four q (68 bytes), or, with total set, with −8·Σ of
 * all 32 (40 bytes, for the interleaved weights below). */
static void quantize_q8_0_row(const float *x, int32_t cols, uint8_t *out, int total) {
    const __m256 signBit = _mm256_set1_ps(-0.0f);
    const int32_t bytes = total ? Q8_0S_BYTES : Q8_0_BYTES;
    for (int32_t b = 0; b < cols / 32; b++, x += 32, out += bytes) {
        __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8), v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(signBit, v0), _mm256_andnot_ps(signBit, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(signBit, v2), _mm256_andnot_ps(signBit, v3)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        float amax = _mm_cvtss_f32(h);
        float d = amax / 127.0f;
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        float dh = _cvtsh_ss(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
        memcpy(out, &dh, 4);
        __m256 s = _mm256_set1_ps(id);
        __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        /* the packs interleave 128-bit lanes; the permute puts the 32 bytes back in element order */
        __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *) (out + 4), p);
        __m256i sum4 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), p), _mm256_set1_epi16(1));
        __m256i minus8 = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(sum4, 3));
        if (total) {
            __m128i h = _mm_add_epi32(_mm256_castsi256_si128(minus8), _mm256_extracti128_si256(minus8, 1));
            h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
            h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
            int32_t t = _mm_cvtsi128_si32(h);
            memcpy(out + 36, &t, 4);
        } else {
            _mm256_storeu_si256((__m256i *) (out + 36), minus8);
        }
    }
}

/* One token's cols activations as Q8_K blocks. The scale comes from the first element of largest magnitude. */
static void quantize_q8_K_row(const float *x, int32_t cols, uint8_t *out) {
    const __m256 signBit = _mm256_set1_ps(-0.0f);
    for (int32_t b = 0; b < cols / 256; b++, x += 256, out += Q8_K_BYTES) {
        __m256 m = _mm256_setzero_ps();
        for (int k = 0; k < 32; k++) m = _mm256_max_ps(m, _mm256_andnot_ps(signBit, _mm256_loadu_ps(x + 8 * k)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        float amax = _mm_cvtss_f32(h);
        if (amax == 0.0f) {
            memset(out, 0, Q8_K_BYTES);
            continue;
        }
        __m256 a = _mm256_set1_ps(amax);
        int at = 0;
        for (int k = 0; k < 32; k++) {
            int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(signBit, _mm256_loadu_ps(x + 8 * k)), a, _CMP_EQ_OQ));
            if (hit) {
                at = 8 * k + __builtin_ctz((unsigned) hit);
                break;
            }
        }
        float iscale = -127.0f / x[at];
        __m256 s = _mm256_set1_ps(iscale);
        const __m256i cap = _mm256_set1_epi32(127);
        int16_t sums[16];
        for (int g = 0; g < 8; g++) {
            __m256i i[4];
            for (int k = 0; k < 4; k++) {
                /* the multiply in f32, then round half to even (the default rounding mode), as llama.cpp's nearest_int */
                i[k] = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * g + 8 * k), s)), cap);
            }
            __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i[0], i[1]), _mm256_packs_epi32(i[2], i[3]));
            p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *) (out + 4 + 32 * g), p);
            for (int half = 0; half < 2; half++) {
                __m256i v = _mm256_add_epi32(i[2 * half], i[2 * half + 1]);
                __m128i r = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
                r = _mm_add_epi32(r, _mm_shuffle_epi32(r, 0x4E));
                r = _mm_add_epi32(r, _mm_shuffle_epi32(r, 0xB1));
                sums[2 * g + half] = (int16_t) _mm_cvtsi128_si32(r);
            }
        }
        float d = 1.0f / iscale;
        memcpy(out, &d, 4);
        memcpy(out + 4 + 256, sums, 32);
    }
}

/* x[xOff + t·xStride ..] for t < tokens (floats) → out[outOff + t·outStride ..] (bytes); kind 0: Q8_0, 1: Q8_K, 2: Q8_0
 * with block totals. Offsets are
 * separate arguments so the Java side can pass its arrays whole (a slice would be an allocation per call). */
void JK(quantize)(int32_t kind, const float *x, int64_t xOff, int64_t xStride, int32_t tokens, int32_t cols, uint8_t *out,
                  int64_t outOff, int64_t outStride) {
    x += xOff;
    out += outOff;
    for (int32_t t = 0; t < tokens; t++) {
        if (kind == 1) quantize_q8_K_row(x + t * xStride, cols, out + t * outStride);
        else quantize_q8_0_row(x + t * xStride, cols, out + t * outStride, kind == 2);
    }
}

/* ---------------------------------------------------------------- weight blocks against Q8_0 activations */

/*
 * Each weight type's block is unpacked once per row into a form that one multiply-add (two on AVX2) takes against a
 * token's activations: the result is, per group of four weights, the exact integer Σ w·x, so these kernels give the
 * bits the signed products gave. Unsigned codes c = w + k (Q4_0: k = 8, Q5_0: 16, Q8_0: 128) meet the signed
 * activations, and the −k·Σx the code offset adds is the block's stored −8·Σx scaled, the accumulator's start.
 */

/* −8·Σx of each four activations of a Q8_0 block, as eight int32 */
INLINE __m256i minus8_sums(const uint8_t *xb) {
    return _mm256_loadu_si256((const __m256i *) (xb + 36));
}

/* each type's code offset k as 8 << shift */
enum { Q4_0_SHIFT = 0, Q5_0_SHIFT = 1, Q8_0_SHIFT = 4 };

/* −k·Σx of each four activations: where a multiply-add of codes against activations starts */
INLINE __m256i code_start(const uint8_t *xb, int shift) {
    return shift ? _mm256_slli_epi32(minus8_sums(xb), shift) : minus8_sums(xb);
}

INLINE __m256i activations(const uint8_t *xb) {
    return _mm256_loadu_si256((const __m256i *) (xb + 4));
}

/* start + Σ over each four bytes of u·x (u unsigned ≤ 31 without VNNI, so the 16-bit pairs cannot saturate) */
INLINE __m256i dot_u_x(__m256i start, __m256i u, __m256i x) {
#ifdef JK_VNNI
    return _mm256_dpbusd_epi32(start, u, x);
#else
    return _mm256_add_epi32(start, _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), _mm256_set1_epi16(1)));
#endif
}

/* Q4_0's 32 codes 0..15 in element order (weight = code − 8). */
INLINE __m256i unpack_q4_0(const uint8_t *b) {
    __m128i raw = _mm_loadu_si128((const __m128i *) (b + 2));
    __m256i n = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
    return _mm256_and_si256(n, _mm256_set1_epi8(0x0F));
}

INLINE __m256i dot_q4_0(__m256i c, const uint8_t *xb) {
    return dot_u_x(code_start(xb, Q4_0_SHIFT), c, activations(xb));
}

/* bit j of the 32-bit word at p as byte j: 0xFF where set, 0 where clear */
INLINE __m256i bits_to_bytes(const uint8_t *p) {
    uint32_t w;
    memcpy(&w, p, 4);
    __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int32_t) w),
            _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL, 0x0101010101010101LL, 0));
    __m256i probe = _mm256_set1_epi64x((int64_t) 0x8040201008040201ULL);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, probe), probe);
}

/* Q5_0's 32 codes nibble | fifth bit << 4, 0..31 (weight = code − 16). */
INLINE __m256i unpack_q5_0(const uint8_t *b) {
    __m128i raw = _mm_loadu_si128((const __m128i *) (b + 6));
    __m256i n = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
    __m256i hi = _mm256_and_si256(bits_to_bytes(b + 2), _mm256_set1_epi8(0x10));
    return _mm256_or_si256(n, hi);
}

INLINE __m256i dot_q5_0(__m256i c, const uint8_t *xb) {
    return dot_u_x(code_start(xb, Q5_0_SHIFT), c, activations(xb));
}

#ifdef JK_VNNI
/* Q8_0's weights w as codes w + 128 (the flipped sign bit), 0..255 */
INLINE __m256i unpack_q8_0(const uint8_t *b) {
    return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *) (b + 2)), _mm256_set1_epi8((char) 0x80));
}

INLINE __m256i dot_q8_0(__m256i c, const uint8_t *xb) {
    return _mm256_dpbusd_epi32(code_start(xb, Q8_0_SHIFT), c, activations(xb));
}
#else
/* Without VNNI, codes up to 255 would saturate the 16-bit pairs: |w| against x with w's sign moved onto x. */
INLINE __m256i unpack_q8_0(const uint8_t *b) {
    return _mm256_loadu_si256((const __m256i *) (b + 2));
}

INLINE __m256i dot_q8_0(__m256i w, const uint8_t *xb) {
    __m256i sx = _mm256_sign_epi8(activations(xb), w);
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), sx), _mm256_set1_epi16(1));
}
#endif

/* Row (nb blocks of bytesPerBlock) against T tokens' Q8_0 activations, into out[t·outStride]. */
#define DEFINE_ROW_Q8_0(NAME, UNPACK, DOT, BLOCK_BYTES)                                                          \
    INLINE void NAME(const uint8_t *w, int32_t nb, const uint8_t *x, int64_t xStride, int T, float *out,          \
                     int64_t outStride) {                                                                         \
        __m256 acc[MAX_TOKENS];                                                                                   \
        for (int t = 0; t < T; t++) acc[t] = _mm256_setzero_ps();                                                 \
        for (int32_t b = 0; b < nb; b++) {                                                                        \
            const uint8_t *wb = w + (int64_t) b * BLOCK_BYTES;                                                    \
            _mm_prefetch((const char *) wb + PREFETCH_AHEAD, _MM_HINT_T0);                                      \
            __m256i c = UNPACK(wb);                                                                               \
            float dw = f16(wb);                                                                                   \
            for (int t = 0; t < T; t++) {                                                                         \
                const uint8_t *xb = x + t * xStride + (int64_t) b * Q8_0_BYTES;                                   \
                __m256 p = _mm256_cvtepi32_ps(DOT(c, xb));                                                        \
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * f32(xb)), p, acc[t]);                                \
            }                                                                                                     \
        }                                                                                                         \
        for (int t = 0; t < T; t++) out[t * outStride] = hsum(acc[t]);                                            \
    }

DEFINE_ROW_Q8_0(row_q4_0, unpack_q4_0, dot_q4_0, 18)
DEFINE_ROW_Q8_0(row_q5_0, unpack_q5_0, dot_q5_0, 22)
DEFINE_ROW_Q8_0(row_q8_0, unpack_q8_0, dot_q8_0, 34)

#ifdef JK_VNNI
/*
 * Two rows at once in 512-bit vectors: row r in the low half, row r + 1 in the high half, each token's activations
 * broadcast to both. Every lane does what the 256-bit kernel's lane does, in the same order, so the bits are the
 * same; one multiply-add, conversion and scaled add serve two rows. Taken for two tokens or more (prefill chunks,
 * verification, batches: +25-30% on Q4_0 and Q8_0 at four tokens); a lone token keeps the 256-bit row, which is
 * as fast there. The K-quants gained nothing from it (their 16-bit multiply-adds gain no throughput at 512 bits).
 */
INLINE __m512i pair_i(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

INLINE __m512 pair_ps(float lo, float hi) {
    __m512d l = _mm512_castps_pd(_mm512_castps256_ps512(_mm256_set1_ps(lo)));
    return _mm512_castpd_ps(_mm512_insertf64x4(l, _mm256_castps_pd(_mm256_set1_ps(hi)), 1));
}

INLINE float hsum512_lo(__m512 v) {
    return hsum(_mm512_castps512_ps256(v));
}

INLINE float hsum512_hi(__m512 v) {
    return hsum(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/* the multiply-add's start for the code offset 8 << SHIFT, and the 32 activations, in both halves */
#define DEFINE_ROWS2_Q8_0(NAME, UNPACK, SHIFT, BLOCK_BYTES)                                                      \
    INLINE void NAME(const uint8_t *w0, const uint8_t *w1, int32_t nb, const uint8_t *x, int64_t xStride, int T,  \
                     float *out, int64_t outStride) {                                                             \
        __m512 acc[MAX_TOKENS];                                                                                   \
        for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();                                                 \
        for (int32_t b = 0; b < nb; b++) {                                                                        \
            const uint8_t *wb0 = w0 + (int64_t) b * BLOCK_BYTES, *wb1 = w1 + (int64_t) b * BLOCK_BYTES;           \
            _mm_prefetch((const char *) wb1 + PREFETCH_AHEAD, _MM_HINT_T0);                                       \
            __m512i c = pair_i(UNPACK(wb0), UNPACK(wb1));                                                         \
            __m512 dw = pair_ps(f16(wb0), f16(wb1));                                                              \
            for (int t = 0; t < T; t++) {                                                                         \
                const uint8_t *xb = x + t * xStride + (int64_t) b * Q8_0_BYTES;                                   \
                __m512i start = _mm512_broadcast_i64x4(code_start(xb, SHIFT));                                    \
                __m512i p = _mm512_dpbusd_epi32(start, c, _mm512_broadcast_i64x4(activations(xb)));               \
                acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(f32(xb))), _mm512_cvtepi32_ps(p), acc[t]); \
            }                                                                                                     \
        }                                                                                                         \
        for (int t = 0; t < T; t++) {                                                                             \
            out[t * outStride] = hsum512_lo(acc[t]);                                                              \
            out[t * outStride + 1] = hsum512_hi(acc[t]);                                                          \
        }                                                                                                         \
    }

DEFINE_ROWS2_Q8_0(rows2_q4_0, unpack_q4_0, Q4_0_SHIFT, 18)
DEFINE_ROWS2_Q8_0(rows2_q5_0, unpack_q5_0, Q5_0_SHIFT, 22)
DEFINE_ROWS2_Q8_0(rows2_q8_0, unpack_q8_0, Q8_0_SHIFT, 34)
#endif

/* ---------------------------------------------------------------- K-quant weights against Q8_K activations */

/* Q4_K's eight 6-bit scales and mins (packed in 12 bytes), as llama.cpp's get_scale_min_k4. */
INLINE void q4_K_scales(const uint8_t *s, uint8_t *sc, uint8_t *m) {
    for (int j = 0; j < 4; j++) {
        sc[j] = s[j] & 63;
        m[j] = s[j + 4] & 63;
    }
    for (int j = 4; j < 8; j++) {
        sc[j] = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
        m[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/* Q4_K super-block (256): f16 d, f16 dmin, 12 bytes of scales/mins, 128 bytes of nibbles; value = d·sc·q − dmin·m. */
INLINE void row_q4_K(const uint8_t *w, int32_t nb, const uint8_t *x, int64_t xStride, int T, float *out, int64_t outStride) {
    __m256 acc[MAX_TOKENS];
    for (int t = 0; t < T; t++) acc[t] = _mm256_setzero_ps();
    const __m256i low = _mm256_set1_epi8(0x0F);
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t *wb = w + (int64_t) b * 144;
        _mm_prefetch((const char *) wb + PREFETCH_AHEAD, _MM_HINT_T0);
        _mm_prefetch((const char *) wb + PREFETCH_AHEAD + 64, _MM_HINT_T0);
        uint8_t sc[8], m[8];
        q4_K_scales(wb + 4, sc, m);
        float d = f16(wb), dmin = f16(wb + 2);
        /* the mins meet the activation sums of 16: min j covers sums 2j and 2j+1 */
        int16_t m16[16];
        for (int j = 0; j < 16; j++) m16[j] = m[j >> 1];
        __m256i mins = _mm256_loadu_si256((const __m256i *) m16);
        __m256i sumi[MAX_TOKENS];
        for (int t = 0; t < T; t++) sumi[t] = _mm256_setzero_si256();
        const uint8_t *qs = wb + 16;
        for (int j = 0; j < 4; j++) {
            __m256i raw = _mm256_loadu_si256((const __m256i *) (qs + 32 * j));
            __m256i lo = _mm256_and_si256(raw, low), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
            __m256i s0 = _mm256_set1_epi16(sc[2 * j]), s1 = _mm256_set1_epi16(sc[2 * j + 1]);
            for (int t = 0; t < T; t++) {
                const uint8_t *xq = x + t * xStride + (int64_t) b * Q8_K_BYTES + 4 + 64 * j;
                __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *) xq)), s0);
                __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *) (xq + 32))), s1);
                sumi[t] = _mm256_add_epi32(sumi[t], _mm256_add_epi32(p0, p1));
            }
        }
        for (int t = 0; t < T; t++) {
            const uint8_t *xb = x + t * xStride + (int64_t) b * Q8_K_BYTES;
            float dx = f32(xb);
            __m256i msum = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *) (xb + 260)), mins);
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d * dx), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(-dmin * dx), _mm256_cvtepi32_ps(msum), acc[t]);
        }
    }
    for (int t = 0; t < T; t++) out[t * outStride] = hsum(acc[t]);
}

/* Q6_K's 32 codes 0..63 of group g (0..3) of half h of a block, in element order. */
INLINE void q6_K_codes(const uint8_t *wb, int h, __m256i q[4]) {
    const __m256i low = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(0x03);
    const uint8_t *ql = wb + 64 * h, *qh = wb + 128 + 32 * h;
    __m256i l0 = _mm256_loadu_si256((const __m256i *) ql), l1 = _mm256_loadu_si256((const __m256i *) (ql + 32));
    __m256i hb = _mm256_loadu_si256((const __m256i *) qh);
    q[0] = _mm256_or_si256(_mm256_and_si256(l0, low), _mm256_slli_epi16(_mm256_and_si256(hb, two), 4));
    q[1] = _mm256_or_si256(_mm256_and_si256(l1, low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), two), 4));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), two), 4));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), two), 4));
}

/* Q6_K super-block (256): 128 bytes of low nibbles, 64 of high bit pairs, 16 i8 scales, f16 d;
 * value = d·sc·(q − 32) with q in 0..63. The −32 is taken through the activation sums of 16. */
INLINE void row_q6_K(const uint8_t *w, int32_t nb, const uint8_t *x, int64_t xStride, int T, float *out, int64_t outStride) {
    __m256 acc[MAX_TOKENS];
    for (int t = 0; t < T; t++) acc[t] = _mm256_setzero_ps();
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t *wb = w + (int64_t) b * 210;
        _mm_prefetch((const char *) wb + PREFETCH_AHEAD, _MM_HINT_T0);
        _mm_prefetch((const char *) wb + PREFETCH_AHEAD + 64, _MM_HINT_T0);
        _mm_prefetch((const char *) wb + PREFETCH_AHEAD + 128, _MM_HINT_T0);
        const int8_t *sc = (const int8_t *) (wb + 192);
        float d = f16(wb + 208);
        __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) sc));
        __m256i sumi[MAX_TOKENS];
        for (int t = 0; t < T; t++) sumi[t] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            q6_K_codes(wb, h, q);
            for (int g = 0; g < 4; g++) {
                const int8_t *s = sc + 8 * h + 2 * g;
                __m256i s16 = _mm256_set_m128i(_mm_set1_epi16(s[1]), _mm_set1_epi16(s[0]));
                for (int t = 0; t < T; t++) {
                    const uint8_t *xq = x + t * xStride + (int64_t) b * Q8_K_BYTES + 4 + 128 * h + 32 * g;
                    __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(q[g], _mm256_loadu_si256((const __m256i *) xq)), s16);
                    sumi[t] = _mm256_add_epi32(sumi[t], p);
                }
            }
        }
        for (int t = 0; t < T; t++) {
            const uint8_t *xb = x + t * xStride + (int64_t) b * Q8_K_BYTES;
            /* 32·Σ sc_i·sums_i, spread over the eight lanes, leaves Σ sc·(q − 32)·x exactly */
            __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *) (xb + 260)), sc16), 5);
            __m256 p = _mm256_cvtepi32_ps(_mm256_sub_epi32(sumi[t], off));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d * f32(xb)), p, acc[t]);
        }
    }
    for (int t = 0; t < T; t++) out[t * outStride] = hsum(acc[t]);
}

/* ---------------------------------------------------------------- the product */

INLINE void row_tokens(int32_t type, const uint8_t *w, int32_t nb, const uint8_t *x, int64_t xStride, int T, float *out,
                       int64_t outStride) {
    switch (type) {
        case T_Q4_0: row_q4_0(w, nb, x, xStride, T, out, outStride); break;
        case T_Q5_0: row_q5_0(w, nb, x, xStride, T, out, outStride); break;
        case T_Q8_0: row_q8_0(w, nb, x, xStride, T, out, outStride); break;
        case T_Q4_K: row_q4_K(w, nb, x, xStride, T, out, outStride); break;
        case T_Q6_K: row_q6_K(w, nb, x, xStride, T, out, outStride); break;
        default: break;
    }
}

/* Specialised per token count, so each runs with its accumulators in registers. */
__attribute__((noinline)) static void row_1(int32_t type, const uint8_t *w, int32_t nb, const uint8_t *x, int64_t xs, float *o, int64_t os) { row_tokens(type, w, nb, x, xs, 1, o, os); }
__attribute__((noinline)) static void row_2(int32_t type, const uint8_t *w, int32_t nb, const uint8_t *x, int64_t xs, float *o, int64_t os) { row_tokens(type, w, nb, x, xs, 2, o, os); }
__attribute__((noinline)) static void row_3(int32_t type, const uint8_t *w, int32_t nb, const uint8_t *x, int64_t xs, float *o, int64_t os) { row_tokens(type, w, nb, x, xs, 3, o, os); }
__attribute__((noinline)) static void row_4(int32_t type, const uint8_t *w, int32_t nb, const uint8_t *x, int64_t xs, float *o, int64_t os) { row_tokens(type, w, nb, x, xs, 4, o, os); }

/* One row against tokens t0 ≤ t < t1, four at a time. */
INLINE void row_range(int32_t type, const uint8_t *wr, int32_t nb, const uint8_t *xq, int64_t xs, int32_t t0, int32_t t1,
                      float *o, int64_t os) {
    int32_t t = t0;
    for (; t + 4 <= t1; t += 4) row_4(type, wr, nb, xq + t * xs, xs, o + t * os, os);
    switch (t1 - t) {
        case 3: row_3(type, wr, nb, xq + t * xs, xs, o + t * os, os); break;
        case 2: row_2(type, wr, nb, xq + t * xs, xs, o + t * os, os); break;
        case 1: row_1(type, wr, nb, xq + t * xs, xs, o + t * os, os); break;
        default: break;
    }
}

#ifdef JK_VNNI
INLINE int has_rows2(int32_t type) {
    return type == T_Q4_0 || type == T_Q5_0 || type == T_Q8_0;
}

INLINE void rows2_tokens(int32_t type, const uint8_t *w0, const uint8_t *w1, int32_t nb, const uint8_t *x, int64_t xStride,
                         int T, float *out, int64_t outStride) {
    switch (type) {
        case T_Q4_0: rows2_q4_0(w0, w1, nb, x, xStride, T, out, outStride); break;
        case T_Q5_0: rows2_q5_0(w0, w1, nb, x, xStride, T, out, outStride); break;
        case T_Q8_0: rows2_q8_0(w0, w1, nb, x, xStride, T, out, outStride); break;
        default: break;
    }
}

#define ROWS2_N(N)                                                                                                  \
    __attribute__((noinline)) static void rows2_##N(int32_t type, const uint8_t *w0, const uint8_t *w1, int32_t nb, \
                                                    const uint8_t *x, int64_t xs, float *o, int64_t os) {           \
        rows2_tokens(type, w0, w1, nb, x, xs, N, o, os);                                                            \
    }
ROWS2_N(1)
ROWS2_N(2)
ROWS2_N(3)
ROWS2_N(4)

/* Rows r and r + 1 against tokens t0 ≤ t < t1, four at a time. */
INLINE void rows2_range(int32_t type, const uint8_t *w0, const uint8_t *w1, int32_t nb, const uint8_t *xq, int64_t xs, int32_t t0,
                        int32_t t1, float *o, int64_t os) {
    int32_t t = t0;
    for (; t + 4 <= t1; t += 4) rows2_4(type, w0, w1, nb, xq + t * xs, xs, o + t * os, os);
    switch (t1 - t) {
        case 3: rows2_3(type, w0, w1, nb, xq + t * xs, xs, o + t * os, os); break;
        case 2: rows2_2(type, w0, w1, nb, xq + t * xs, xs, o + t * os, os); break;
        case 1: rows2_1(type, w0, w1, nb, xq + t * xs, xs, o + t * os, os); break;
        default: break;
    }
}
#endif

/* out[outOff + t·outStride + r] = row r of w (at byte wOff + r·rowBytes) · token t of xq, for r < rows, t < tokens.
 * Returns 0, or -1 for a type without a kernel here (the caller checks types first). */
int32_t JK(matmul)(int32_t type, const uint8_t *w, int64_t wOff, int64_t rowBytes, int32_t rows, int32_t cols,
                   const uint8_t *xq, int64_t xqStride, int32_t tokens, float *out, int64_t outOff, int64_t outStride) {
    w += wOff;
    out += outOff;
    int32_t blockSize;
    switch (type) {
        case T_Q4_0: case T_Q5_0: case T_Q8_0: blockSize = 32; break;
        case T_Q4_K: case T_Q6_K: blockSize = 256; break;
        default: return -1;
    }
    int32_t nb = cols / blockSize;
    /* a group of tokens whose activations stay in L1 (16 KiB), and a group of rows that stays in L2 (128 KiB)
     * while that token group runs over it */
    int32_t tokenGroup = (int32_t) (16384 / (xqStride > 0 ? xqStride : 1));
    if (tokenGroup < MAX_TOKENS) tokenGroup = MAX_TOKENS;
    tokenGroup -= tokenGroup % MAX_TOKENS;
    int32_t rowGroup = (int32_t) (131072 / rowBytes);
    if (rowGroup < 1) rowGroup = 1;
    for (int32_t r0 = 0; r0 < rows; r0 += rowGroup) {
        int32_t r1 = r0 + rowGroup < rows ? r0 + rowGroup : rows;
        for (int32_t t0 = 0; t0 < tokens; t0 += tokenGroup) {
            int32_t t1 = t0 + tokenGroup < tokens ? t0 + tokenGroup : tokens;
            int32_t r = r0;
#ifdef JK_VNNI
            if (has_rows2(type) && tokens >= 2) {
                for (; r + 2 <= r1; r += 2) {
                    rows2_range(type, w + r * rowBytes, w + (r + 1) * rowBytes, nb, xq, xqStride, t0, t1, out + r, outStride);
                }
            }
#endif
            for (; r < r1; r++) row_range(type, w + r * rowBytes, nb, xq, xqStride, t0, t1, out + r, outStride);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- interleaved weights (AVX-512 VNNI build) */

#ifdef JK_VNNI
/*
 * Q4_0, Q5_0 and Q8_0 weights repacked at load, sixteen rows at a time, so that one 512-bit vector holds four
 * weights of each of sixteen rows: lane i of vector z is row i's codes 4z..4z+3. A token's four activations
 * 4z..4z+3 are then broadcast to every lane, and eight multiply-adds leave each row's whole block sum in its own
 * lane: no reduction across lanes, and one conversion and one scaled add per block serve sixteen rows. (The row
 * kernels above spend those per row, and llama.cpp repacks its Q4_0 the same way for the same reason.)
 *
 * Per group of sixteen rows and block of 32 columns, in block order within the group and group after group:
 *   32 bytes  the sixteen rows' f16 scales
 *   Q4_0, Q5_0: 256 bytes, four vectors of nibbles: lane i of vector j is row i's quant bytes 4j..4j+3, whose low
 *               nibbles are codes 4j..4j+3 and high nibbles codes 16+4j..; Q5_0 then 64 bytes, eight 64-bit masks:
 *               bit 4i+m of mask z is row i's fifth bit of code 4z+m
 *   Q8_0:       512 bytes, eight vectors of codes w + 128
 * and per group of sixteen rows and super-block of 256 columns (against Q8_K activations):
 *   Q4_K: 32 + 32 bytes of f16 d and dmin; 128 bytes of 6-bit scales and 128 of mins, [sub-block j][row i];
 *         2048 bytes: for each 32-byte quarter p of the nibbles, eight vectors, lane i of vector z holding row i's
 *         bytes 32p + 4z .. +3 (low nibbles: codes of sub-block 2p, high: of 2p + 1)
 *   Q6_K: 32 bytes of f16 d; 512 bytes of the sixteen i8 scales as i16 pairs, [pair k][row i] (scales 2k, 2k + 1);
 *         4096 bytes, the 6-bit codes 0..63 one per byte, lane i of vector z holding row i's codes 4z .. 4z + 3
 * Rows past the last are zero (scale 0). Every (row, token) sum is formed the same way whatever a call covers.
 */
#define PACK_ROWS 16
/* The interleaved weights are read as one stream, group after group, yet the hardware's prefetchers alone left
 * decoding well short of the bus: 2 KiB of software prefetch ahead took the synthetic 1B Q4_0's tg64 from 31.6 to
 * 40 t/s and the real 270M's 4-row verification pass from 270 to 325 t/s (1 KiB and 4 KiB ahead: a little less). */
#define PACKED_PREFETCH_AHEAD 2048
/* A second prefetch, into L2, further ahead, for the Q4_0, Q5_0 and Q8_0 kernels. Their per-block arithmetic keeps a
 * core from issuing its loads as fast as a plain read does; with lines already on their way to L2 one core's Q4_0
 * decode went from 16.1-16.9 to 17.9-18.3 GB/s (scripts/packed-kernel-bandwidth.c, 340 MB; a plain read: 19.2; 8 and
 * 16 KiB ahead: no better). A plain read gains nothing from it (scripts/read-bandwidth.c tries it too). */
#define PACKED_PREFETCH_FAR 4096
#define Q4_K_SC 64
#define Q4_K_MIN 192
#define Q4_K_QS 320
#define Q6_K_SC 32
#define Q6_K_CODES 544

INLINE int32_t packed_block_bytes(int32_t type) {
    switch (type) {
        case T_Q4_0: return 32 + 256;
        case T_Q5_0: return 32 + 256 + 64;
        case T_Q8_0: return 32 + 512;
        case T_Q4_K: return Q4_K_QS + 2048;
        case T_Q6_K: return Q6_K_CODES + 4096;
        default: return -1;
    }
}

INLINE int32_t packed_block_cols(int32_t type) {
    return type == T_Q4_K || type == T_Q6_K ? 256 : 32;
}

/* Bytes of the interleaved form of rows × cols weights of this type, or -1 for a type without one. */
int64_t JK(packed_bytes)(int32_t type, int32_t rows, int32_t cols) {
    int32_t pb = packed_block_bytes(type), bc = packed_block_cols(type);
    if (pb < 0 || cols % bc != 0) return -1;
    return (int64_t) ((rows + PACK_ROWS - 1) / PACK_ROWS) * (cols / bc) * pb;
}

/* Q6_K's 256 codes 0..63 of one block, in element order */
static void q6_K_block_codes(const uint8_t *wb, uint8_t *q) {
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = wb + 64 * h, *qh = wb + 128 + 32 * h;
        for (int l = 0; l < 32; l++) {
            q[128 * h + l] = (uint8_t) ((ql[l] & 0xF) | ((qh[l] & 3) << 4));
            q[128 * h + l + 32] = (uint8_t) ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
            q[128 * h + l + 64] = (uint8_t) ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
            q[128 * h + l + 96] = (uint8_t) ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
        }
    }
}

static void repack_k(int32_t type, const uint8_t *w, int64_t rowBytes, int32_t rows, int32_t cols, uint8_t *out, int32_t g0,
                     int32_t g1) {
    int32_t pb = packed_block_bytes(type), nb = cols / 256;
    for (int32_t g = g0; g < g1; g++) {
        for (int32_t b = 0; b < nb; b++) {
            uint8_t *dst = out + ((int64_t) g * nb + b) * pb;
            memset(dst, 0, pb);
            for (int i = 0; i < PACK_ROWS; i++) {
                int32_t r = g * PACK_ROWS + i;
                if (r >= rows) break;
                if (type == T_Q4_K) {
                    const uint8_t *src = w + r * rowBytes + (int64_t) b * 144;
                    memcpy(dst + 2 * i, src, 2);
                    memcpy(dst + 32 + 2 * i, src + 2, 2);
                    uint8_t sc[8], m[8];
                    q4_K_scales(src + 4, sc, m);
                    for (int j = 0; j < 8; j++) {
                        dst[Q4_K_SC + 16 * j + i] = sc[j];
                        dst[Q4_K_MIN + 16 * j + i] = m[j];
                    }
                    for (int p = 0; p < 4; p++)
                        for (int z = 0; z < 8; z++) memcpy(dst + Q4_K_QS + 64 * (8 * p + z) + 4 * i, src + 16 + 32 * p + 4 * z, 4);
                } else {
                    const uint8_t *src = w + r * rowBytes + (int64_t) b * 210;
                    memcpy(dst + 2 * i, src + 208, 2);
                    for (int k = 0; k < 8; k++) {
                        int16_t pair[2] = {(int8_t) src[192 + 2 * k], (int8_t) src[192 + 2 * k + 1]};
                        memcpy(dst + Q6_K_SC + 64 * k + 4 * i, pair, 4);
                    }
                    uint8_t q[256];
                    q6_K_block_codes(src, q);
                    for (int z = 0; z < 64; z++) memcpy(dst + Q6_K_CODES + 64 * z + 4 * i, q + 4 * z, 4);
                }
            }
        }
    }
}

/* Groups g0 ≤ g < g1 of w (rows × cols, row r at byte wOff + r·rowBytes) into their places in out. */
int32_t JK(repack)(int32_t type, const uint8_t *w, int64_t wOff, int64_t rowBytes, int32_t rows, int32_t cols, uint8_t *out,
                   int32_t g0, int32_t g1) {
    int32_t pb = packed_block_bytes(type);
    if (pb < 0) return -1;
    if (type == T_Q4_K || type == T_Q6_K) {
        repack_k(type, w + wOff, rowBytes, rows, cols, out, g0, g1);
        return 0;
    }
    int32_t nb = cols / 32, bb = type == T_Q4_0 ? 18 : type == T_Q5_0 ? 22 : 34;
    w += wOff;
    for (int32_t g = g0; g < g1; g++) {
        for (int32_t b = 0; b < nb; b++) {
            uint8_t *dst = out + ((int64_t) g * nb + b) * pb;
            memset(dst, 0, pb);
            uint64_t masks[8] = {0};
            for (int i = 0; i < PACK_ROWS; i++) {
                int32_t r = g * PACK_ROWS + i;
                if (r >= rows) break;
                const uint8_t *src = w + r * rowBytes + (int64_t) b * bb;
                memcpy(dst + 2 * i, src, 2);
                if (type == T_Q8_0) {
                    for (int z = 0; z < 8; z++)
                        for (int m = 0; m < 4; m++) dst[32 + 64 * z + 4 * i + m] = src[2 + 4 * z + m] ^ 0x80;
                } else {
                    const uint8_t *qs = src + (type == T_Q5_0 ? 6 : 2);
                    for (int j = 0; j < 4; j++) memcpy(dst + 32 + 64 * j + 4 * i, qs + 4 * j, 4);
                    if (type == T_Q5_0) {
                        uint32_t qh;
                        memcpy(&qh, src + 2, 4);
                        for (int z = 0; z < 8; z++) masks[z] |= (uint64_t) ((qh >> (4 * z)) & 0xF) << (4 * i);
                    }
                }
            }
            if (type == T_Q5_0) memcpy(dst + 32 + 256, masks, 64);
        }
    }
    return 0;
}

/* a block's lines, 2 KiB ahead into L1 and 4 KiB ahead into L2 */
INLINE void prefetch_block(const uint8_t *pb, int32_t pbytes) {
    for (int l = 0; l < pbytes; l += 64) {
        _mm_prefetch((const char *) pb + PACKED_PREFETCH_AHEAD + l, _MM_HINT_T0);
        _mm_prefetch((const char *) pb + PACKED_PREFETCH_FAR + l, _MM_HINT_T1);
    }
}

/* the eight vectors of codes of one packed Q5_0 (0..31) or Q8_0 (0..255) block */
INLINE void packed_codes(int32_t type, const uint8_t *pb, __m512i c[8]) {
    if (type == T_Q8_0) {
        for (int z = 0; z < 8; z++) c[z] = _mm512_loadu_si512(pb + 32 + 64 * z);
        return;
    }
    const __m512i low = _mm512_set1_epi8(0x0F);
    for (int j = 0; j < 4; j++) {
        __m512i raw = _mm512_loadu_si512(pb + 32 + 64 * j);
        c[j] = _mm512_and_si512(raw, low);
        c[j + 4] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low);
    }
    if (type == T_Q5_0) {
        const __m512i fifth = _mm512_set1_epi8(0x10);
        for (int z = 0; z < 8; z++) {
            uint64_t m;
            memcpy(&m, pb + 32 + 256 + 8 * z, 8);
            c[z] = _mm512_mask_add_epi8(c[z], (__mmask64) m, c[z], fifth);
        }
    }
}

INLINE int32_t i32_at(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Q5_0 or Q8_0: one group's sixteen rows against T tokens' Q8_0-with-total activations; acc[t] holds token t's
 * sixteen sums. */
INLINE void group_tokens(int32_t type, const uint8_t *pg, int32_t nb, const uint8_t *x, int64_t xs, int T, __m512 *acc) {
    const int32_t pbytes = packed_block_bytes(type);
    const int shift = type == T_Q5_0 ? 1 : 4; /* code offset 8 << shift (Q4_0 has group_q4_0_tokens) */
    for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t *pb = pg + (int64_t) b * pbytes;
        prefetch_block(pb, pbytes);
        __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) pb));
        __m512i c[8];
        packed_codes(type, pb, c);
        for (int t = 0; t < T; t++) {
            const uint8_t *xb = x + t * xs + (int64_t) b * Q8_0S_BYTES;
            /* −(8 << shift)·Σx: where the codes' multiply-adds start */
            /* two chains of four multiply-adds, not one of eight: the integer sums are exact either way, and the
             * shorter chains let a block's products overlap the next block's loads */
            __m512i s = _mm512_set1_epi32((int32_t) ((uint32_t) i32_at(xb + 36) << shift)), s1 = _mm512_setzero_si512();
            for (int z = 0; z < 8; z += 2) {
                s = _mm512_dpbusd_epi32(s, c[z], _mm512_set1_epi32(i32_at(xb + 4 + 4 * z)));
                s1 = _mm512_dpbusd_epi32(s1, c[z + 1], _mm512_set1_epi32(i32_at(xb + 8 + 4 * z)));
            }
            s = _mm512_add_epi32(s, s1);
            acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(f32(xb))), _mm512_cvtepi32_ps(s), acc[t]);
        }
    }
}

/* Q4_0 without shifting the high nibbles down: (byte & 0xF0) is 16 × the high code, so those four multiply-adds sum
 * to exactly 16 × theirs, and an arithmetic shift by 4 takes the factor off exactly. Four fewer vector operations a
 * block on the two ports the multiply-adds also need: the kernel then keeps up with memory more of the time. */
INLINE void group_q4_0_tokens(const uint8_t *pg, int32_t nb, const uint8_t *x, int64_t xs, int T, __m512 *acc) {
    const int32_t pbytes = packed_block_bytes(T_Q4_0);
    const __m512i low = _mm512_set1_epi8(0x0F), high = _mm512_set1_epi8((char) 0xF0);
    for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t *pb = pg + (int64_t) b * pbytes;
        prefetch_block(pb, pbytes);
        __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) pb));
        __m512i lo[4], hi[4];
        for (int j = 0; j < 4; j++) {
            __m512i raw = _mm512_loadu_si512(pb + 32 + 64 * j);
            lo[j] = _mm512_and_si512(raw, low);
            hi[j] = _mm512_and_si512(raw, high);
        }
        for (int t = 0; t < T; t++) {
            const uint8_t *xb = x + t * xs + (int64_t) b * Q8_0S_BYTES;
            __m512i s = _mm512_set1_epi32(i32_at(xb + 36)), s16 = _mm512_setzero_si512();
            for (int j = 0; j < 4; j++) {
                s = _mm512_dpbusd_epi32(s, lo[j], _mm512_set1_epi32(i32_at(xb + 4 + 4 * j)));
                s16 = _mm512_dpbusd_epi32(s16, hi[j], _mm512_set1_epi32(i32_at(xb + 20 + 4 * j)));
            }
            s = _mm512_add_epi32(s, _mm512_srai_epi32(s16, 4));
            acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(f32(xb))), _mm512_cvtepi32_ps(s), acc[t]);
        }
    }
}

/* Q4_K: one group's sixteen rows against T (≤ 4) tokens' Q8_K activations. Per sub-block of 32, eight multiply-adds
 * give each row's Σ code·x, scaled by its 6-bit scale in integers; the mins meet the activations' sums of 16 in pairs. */
INLINE void group_q4_K_tokens(const uint8_t *pg, int32_t nb, const uint8_t *x, int64_t xs, int T, __m512 *acc) {
    const __m512i low = _mm512_set1_epi8(0x0F);
    for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t *pb = pg + (int64_t) b * packed_block_bytes(T_Q4_K);
        for (int l = 0; l < packed_block_bytes(T_Q4_K); l += 64) _mm_prefetch((const char *) pb + PACKED_PREFETCH_AHEAD + l, _MM_HINT_T0);
        __m512i isum[4], msum[4];
        for (int t = 0; t < T; t++) isum[t] = msum[t] = _mm512_setzero_si512();
        for (int j = 0; j < 8; j++) {
            const uint8_t *qv = pb + Q4_K_QS + 64 * 8 * (j >> 1);
            __m512i c[8];
            for (int z = 0; z < 8; z++) {
                __m512i raw = _mm512_loadu_si512(qv + 64 * z);
                c[z] = _mm512_and_si512((j & 1) ? _mm512_srli_epi16(raw, 4) : raw, low);
            }
            __m512i sc = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (pb + Q4_K_SC + 16 * j)));
            for (int t = 0; t < T; t++) {
                const uint8_t *xq = x + t * xs + (int64_t) b * Q8_K_BYTES + 4 + 32 * j;
                __m512i s = _mm512_setzero_si512();
                for (int z = 0; z < 8; z++) s = _mm512_dpbusd_epi32(s, c[z], _mm512_set1_epi32(i32_at(xq + 4 * z)));
                isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(s, sc));
            }
        }
        for (int j = 0; j < 8; j++) {
            /* min j as an i16 pair (m, m) against the sums of 16 (2j, 2j + 1) */
            __m512i m = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (pb + Q4_K_MIN + 16 * j)));
            m = _mm512_or_si512(m, _mm512_slli_epi32(m, 16));
            for (int t = 0; t < T; t++) {
                const uint8_t *xb = x + t * xs + (int64_t) b * Q8_K_BYTES;
                msum[t] = _mm512_dpwssd_epi32(msum[t], m, _mm512_set1_epi32(i32_at(xb + 260 + 4 * j)));
            }
        }
        __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) pb));
        __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (pb + 32)));
        for (int t = 0; t < T; t++) {
            __m512 dx = _mm512_set1_ps(f32(x + t * xs + (int64_t) b * Q8_K_BYTES));
            acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, dx), _mm512_cvtepi32_ps(isum[t]), acc[t]);
            acc[t] = _mm512_fnmadd_ps(_mm512_mul_ps(dmin, dx), _mm512_cvtepi32_ps(msum[t]), acc[t]);
        }
    }
}

/* Q6_K: codes 0..63 one per byte; per sub-block of 16, four multiply-adds and the row's i8 scale in integers; the
 * codes' offset 32 comes off as 32·Σ scale·(sum of 16), the scales meeting the sums in i16 pairs. */
INLINE void group_q6_K_tokens(const uint8_t *pg, int32_t nb, const uint8_t *x, int64_t xs, int T, __m512 *acc) {
    for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t *pb = pg + (int64_t) b * packed_block_bytes(T_Q6_K);
        for (int l = 0; l < packed_block_bytes(T_Q6_K); l += 64) _mm_prefetch((const char *) pb + PACKED_PREFETCH_AHEAD + l, _MM_HINT_T0);
        __m512i isum[4], osum[4];
        for (int t = 0; t < T; t++) isum[t] = osum[t] = _mm512_setzero_si512();
        for (int k = 0; k < 8; k++) {
            __m512i pair = _mm512_loadu_si512(pb + Q6_K_SC + 64 * k);
            for (int h = 0; h < 2; h++) {
                int sub = 2 * k + h;
                __m512i sc = h ? _mm512_srai_epi32(pair, 16) : _mm512_srai_epi32(_mm512_slli_epi32(pair, 16), 16);
                __m512i c[4];
                for (int z = 0; z < 4; z++) c[z] = _mm512_loadu_si512(pb + Q6_K_CODES + 64 * (4 * sub + z));
                for (int t = 0; t < T; t++) {
                    const uint8_t *xq = x + t * xs + (int64_t) b * Q8_K_BYTES + 4 + 16 * sub;
                    __m512i s = _mm512_setzero_si512();
                    for (int z = 0; z < 4; z++) s = _mm512_dpbusd_epi32(s, c[z], _mm512_set1_epi32(i32_at(xq + 4 * z)));
                    isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(s, sc));
                }
            }
            for (int t = 0; t < T; t++) {
                const uint8_t *xb = x + t * xs + (int64_t) b * Q8_K_BYTES;
                osum[t] = _mm512_dpwssd_epi32(osum[t], pair, _mm512_set1_epi32(i32_at(xb + 260 + 4 * k)));
            }
        }
        __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) pb));
        for (int t = 0; t < T; t++) {
            __m512 dx = _mm512_set1_ps(f32(x + t * xs + (int64_t) b * Q8_K_BYTES));
            __m512i v = _mm512_sub_epi32(isum[t], _mm512_slli_epi32(osum[t], 5));
            acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, dx), _mm512_cvtepi32_ps(v), acc[t]);
        }
    }
}

#define PACKED_MAX_TOKENS 8
#define PACKED_MAX_TOKENS_K 4

/* rows r0 ≤ r < r1 of group g (lanes r − 16g) into out[t·os + r − rBase] */
INLINE void store_group(const __m512 *acc, int T, int32_t g, int32_t r0, int32_t r1, int32_t rBase, float *out, int64_t os) {
    int32_t first = g * PACK_ROWS;
    int32_t lo = r0 > first ? r0 - first : 0, hi = r1 < first + PACK_ROWS ? r1 - first : PACK_ROWS;
    __mmask16 m = (__mmask16) (((1u << hi) - 1) & ~((1u << lo) - 1));
    for (int t = 0; t < T; t++) {
        float *o = out + t * os + (first - rBase);
        if (m == 0xFFFF) _mm512_storeu_ps(o, acc[t]);
        else _mm512_mask_storeu_ps(o, m, acc[t]); /* lanes outside the mask are not written, nor touched */
    }
}

#define GROUP_N(N)                                                                                                    \
    __attribute__((noinline)) static void group_##N(int32_t type, const uint8_t *pg, int32_t nb, const uint8_t *x,    \
                                                    int64_t xs, int32_t g, int32_t r0, int32_t r1, float *o, int64_t os) { \
        __m512 acc[N];                                                                                                \
        if (type == T_Q4_K) group_q4_K_tokens(pg, nb, x, xs, N <= 4 ? N : 4, acc);                                    \
        else if (type == T_Q6_K) group_q6_K_tokens(pg, nb, x, xs, N <= 4 ? N : 4, acc);                               \
        else if (type == T_Q4_0) group_q4_0_tokens(pg, nb, x, xs, N, acc);                                            \
        else group_tokens(type, pg, nb, x, xs, N, acc);                                                               \
        store_group(acc, N, g, r0, r1, r0, o, os);                                                                    \
    }
GROUP_N(1)
GROUP_N(2)
GROUP_N(3)
GROUP_N(4)
GROUP_N(5)
GROUP_N(6)
GROUP_N(7)
GROUP_N(8)

typedef void (*group_fn)(int32_t, const uint8_t *, int32_t, const uint8_t *, int64_t, int32_t, int32_t, int32_t, float *, int64_t);
static const group_fn GROUP_FNS[PACKED_MAX_TOKENS + 1] = {0, group_1, group_2, group_3, group_4, group_5, group_6, group_7, group_8};

/*
 * out[outOff + t·outStride + (r − r0)] = row r · token t of xq (Q8_0 blocks with totals), for r0 ≤ r < r1, t < tokens,
 * from the interleaved weights packed (as JK(repack) wrote them for the whole matrix). Returns 0, or -1 for a type
 * without an interleaved form.
 */
int32_t JK(matmul_packed)(int32_t type, const uint8_t *packed, int32_t r0, int32_t r1, int32_t cols, const uint8_t *xq,
                          int64_t xqStride, int32_t tokens, float *out, int64_t outOff, int64_t outStride) {
    int32_t pbytes = packed_block_bytes(type);
    if (pbytes < 0) return -1;
    out += outOff;
    int32_t nb = cols / packed_block_cols(type);
    int64_t groupBytes = (int64_t) nb * pbytes;
    int32_t step = type == T_Q4_K || type == T_Q6_K ? PACKED_MAX_TOKENS_K : PACKED_MAX_TOKENS;
    int32_t g0 = r0 / PACK_ROWS, g1 = (r1 + PACK_ROWS - 1) / PACK_ROWS;
    /* a group of tokens whose activations stay in L1 (16 KiB), over groups of rows that stay in L2 (128 KiB) */
    int32_t tokenGroup = (int32_t) (16384 / (xqStride > 0 ? xqStride : 1));
    if (tokenGroup < step) tokenGroup = step;
    tokenGroup -= tokenGroup % step;
    int32_t chunk = (int32_t) (131072 / groupBytes);
    if (chunk < 1) chunk = 1;
    for (int32_t c0 = g0; c0 < g1; c0 += chunk) {
        int32_t c1 = c0 + chunk < g1 ? c0 + chunk : g1;
        for (int32_t t0 = 0; t0 < tokens; t0 += tokenGroup) {
            int32_t t1 = t0 + tokenGroup < tokens ? t0 + tokenGroup : tokens;
            for (int32_t g = c0; g < c1; g++) {
                const uint8_t *pg = packed + g * groupBytes;
                for (int32_t t = t0; t < t1; t += step) {
                    int32_t n = t1 - t < step ? t1 - t : step;
                    GROUP_FNS[n](type, pg, nb, xq + t * xqStride, xqStride, g, r0, r1, out + t * outStride, outStride);
                }
            }
        }
    }
    return 0;
}
#endif
