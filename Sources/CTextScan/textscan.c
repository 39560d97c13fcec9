#include "CTextScan.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if !defined(__SSE2__)
/* Is the three-byte scalar b0 b1 b2 (already known to be a lead and two continuation bytes) in
 * the fast set? By lead byte: E5-E9, EB, EC always; E3 from U+3400 (E3 90); E4 except
 * U+4DC0-U+4DFF (E4 B7); EA from U+AC00 (EA B0); ED up to U+D7A3 (ED 9E A3). This also rules out
 * overlong forms (E0) and surrogates (ED A0-BF). */
static int fast3(uint8_t b0, uint8_t b1, uint8_t b2) {
    switch (b0) {
    case 0xE5: case 0xE6: case 0xE7: case 0xE8: case 0xE9: case 0xEB: case 0xEC: return 1;
    case 0xE3: return b1 >= 0x90;
    case 0xE4: return b1 != 0xB7;
    case 0xEA: return b1 >= 0xB0;
    case 0xED: return b1 < 0x9E || (b1 == 0x9E && b2 <= 0xA3);
    default: return 0;
    }
}
#endif

/* One block: returns the bytes consumed, 14 to 16 when the whole block is fast (a three-byte
 * scalar starting in its last two bytes is left for the next). Otherwise sets *stop and returns the
 * length of the fast prefix before the first scalar that is not (0 to 15 bytes). */
static size_t block(const uint8_t *p, uint8_t *q, int *stop) {
#if defined(__SSE2__)
    const __m128i v = _mm_loadu_si128((const __m128i *)p);
    /* Signed compares: non-ASCII bytes are negative, so never in 'A'..'Z'. */
    const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
    _mm_storeu_si128((__m128i *)q, _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
    const unsigned nonascii = (unsigned)_mm_movemask_epi8(v);
    if (nonascii == 0) return 16;
    const unsigned lead = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xF0)), _mm_set1_epi8((char)0xE0)));
    const unsigned cont = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xC0)), _mm_set1_epi8((char)0x80)));
    /* Every byte ASCII, a three-byte lead or a continuation byte; continuation bytes exactly one
     * and two bytes after each lead (no lead before the block reaches into it); leads that start
     * in the first 14 bytes fast (later ones are not consumed). A set bit marks a byte that breaks
     * a rule. */
    const unsigned expected = ((lead << 1) | (lead << 2)) & 0xFFFF;
    unsigned broken = (~(lead | cont | ~nonascii) & 0xFFFF) | (cont ^ expected);
    const __m128i s1 = _mm_loadu_si128((const __m128i *)(p + 1)), s2 = _mm_loadu_si128((const __m128i *)(p + 2));
#define EQ(x, c) _mm_cmpeq_epi8((x), _mm_set1_epi8((char)(c)))
#define GE(x, c) _mm_cmpeq_epi8(_mm_max_epu8((x), _mm_set1_epi8((char)(c))), (x))
#define LE(x, c) _mm_cmpeq_epi8(_mm_min_epu8((x), _mm_set1_epi8((char)(c))), (x))
    __m128i fast = _mm_and_si128(GE(v, 0xE5), LE(v, 0xE9));
    fast = _mm_or_si128(fast, _mm_or_si128(EQ(v, 0xEB), EQ(v, 0xEC)));
    fast = _mm_or_si128(fast, _mm_and_si128(EQ(v, 0xE3), GE(s1, 0x90)));
    fast = _mm_or_si128(fast, _mm_andnot_si128(EQ(s1, 0xB7), EQ(v, 0xE4)));
    fast = _mm_or_si128(fast, _mm_and_si128(EQ(v, 0xEA), GE(s1, 0xB0)));
    fast = _mm_or_si128(fast, _mm_and_si128(EQ(v, 0xED),
                                            _mm_or_si128(_mm_andnot_si128(GE(s1, 0x9E), _mm_set1_epi8(-1)),
                                                         _mm_and_si128(EQ(s1, 0x9E), LE(s2, 0xA3)))));
#undef EQ
#undef GE
#undef LE
    broken |= lead & 0x3FFF & ~(unsigned)_mm_movemask_epi8(fast);
    if (broken == 0) return (lead & 0x8000) ? 15 : (lead & 0x4000) ? 14 : 16;
    /* Everything before the first broken byte is fine: consume up to the start of the scalar that
     * byte belongs to (its lead, if a continuation byte was expected there). */
    *stop = 1;
    const unsigned first = (unsigned)__builtin_ctz(broken);
    if (!((expected >> first) & 1)) return first;
    return ((lead >> (first - 1)) & 1) ? first - 1 : first - 2;
#else
    /* Portable version of the same rules, a byte at a time. */
    size_t k = 0;
    while (k < 16) {
        uint8_t b = p[k];
        if (b < 0x80) {
            q[k] = (b >= 'A' && b <= 'Z') ? (uint8_t)(b | 0x20) : b;
            k += 1;
        } else if ((b & 0xF0) == 0xE0) {
            if (k >= 14) break;
            if ((p[k + 1] & 0xC0) != 0x80 || (p[k + 2] & 0xC0) != 0x80 || !fast3(b, p[k + 1], p[k + 2])) { *stop = 1; return k; }
            memcpy(q + k, p + k, 3);
            k += 3;
        } else {
            *stop = 1;
            return k;
        }
    }
    return k;
#endif
}

size_t sourcevault_fold_blocks(const uint8_t *src, size_t n, uint8_t *dst, size_t cap) {
    size_t i = 0;
    int stop = 0;
    while (!stop && n - i >= 18 && cap - i >= 16) {
        size_t step = block(src + i, dst + i, &stop);
        /* A block is stored whole; what it did not consume is zeroed, so no copy of text is left
         * beyond what the caller counts as written (the caller wipes exactly that). */
        if (step < 16) memset(dst + i + step, 0, 16 - step);
        i += step;
    }
    return i;
}
