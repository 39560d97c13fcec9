/* The SSE2 and portable builds of sourcevault_fold_blocks must agree byte for byte (`make test`
 * builds textscan.c twice, the second time without __SSE2__ and under another name), and neither
 * may write outside dst[0..cap). Random inputs are biased towards the bytes the rules care about. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t sourcevault_fold_blocks(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);
size_t portable_fold_blocks(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);

static uint64_t state = 0x9E3779B97F4A7C15u;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }

int main(void) {
    static const uint8_t alphabet[] = { 'a', 'Z', ' ', '.', 0x80, 0x8F, 0x90, 0x9E, 0x9F, 0xA0, 0xA3, 0xA4, 0xB0, 0xB7,
                                        0xBF, 0xC3, 0xE0, 0xE3, 0xE4, 0xE5, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xF0 };
    /* Mostly well-formed Hangul/CJK/ASCII, with a broken byte now and then. */
    static const char *pieces[] = { "a", "Z", " ", "\xea\xb0\x95", "\xea\xb0\x80", "\xed\x9e\xa3", "\xed\x9e\xa4", "\xe5\x9b\xbe",
                                    "\xe3\x90\x80", "\xe3\x8f\xbf", "\xe4\xb7\x80", "\xe4\xb8\x80", "\xe9\xbf\xbf", "\xc3\xa9" };
    uint8_t src[64], a[80], b[80];
    long disagreements = 0, overruns = 0;
    for (long round = 0; round < 2000000; round++) {
        size_t n = 0, target = (size_t)(next() % 60);
        int mode = (int)(next() % 2);
        while (n < target) {
            if (mode == 0) { src[n++] = alphabet[next() % sizeof alphabet]; continue; }
            const char *p = pieces[next() % (sizeof pieces / sizeof *pieces)];
            size_t len = strlen(p);
            if (n + len > target) break;
            memcpy(src + n, p, len);
            n += len;
            if (next() % 50 == 0) src[next() % n] = alphabet[next() % sizeof alphabet];
        }
        size_t cap = (size_t)(next() % 70);
        memset(a, 0xA5, sizeof a);
        memset(b, 0xA5, sizeof b);
        size_t ra = sourcevault_fold_blocks(src, n, a, cap), rb = portable_fold_blocks(src, n, b, cap);
        if (ra != rb || memcmp(a, b, ra) != 0) {
            if (disagreements++ < 5) fprintf(stderr, "disagree: n=%zu cap=%zu sse=%zu portable=%zu\n", n, cap, ra, rb);
        }
        for (size_t k = cap; k < sizeof a; k++) if (a[k] != 0xA5 || b[k] != 0xA5) { overruns++; break; }
    }
    printf("CTextScan: SSE2 and portable builds compared on 2,000,000 inputs: %ld disagreements, %ld writes past cap\n",
           disagreements, overruns);
    return disagreements || overruns ? 1 : 0;
}
