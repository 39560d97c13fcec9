#ifndef SOURCEVAULT_CTEXTSCAN_H
#define SOURCEVAULT_CTEXTSCAN_H
#include <stddef.h>
#include <stdint.h>

/*
 * The block step of search folding (VaultCore/TextFolding.swift), in C for SSE2: Swift's SIMD types
 * compile to per-lane calls here, and a 64-bit-word version ran at 1 ns a byte on mixed text.
 *
 * Copies src[0..n) to dst 16 bytes at a time, ASCII letters lowercased, for as long as each block
 * holds only ASCII and valid three-byte UTF-8 scalars of the "fast set" (Hangul syllables
 * U+AC00-U+D7A3, CJK ideographs U+3400-U+4DBF and U+4E00-U+9FFF), which are their own folded form.
 * Stops before the first scalar that is anything else, or when fewer than 18 bytes of input or 16
 * of output remain. Returns the number of bytes consumed (equal to the number written: the
 * up to 16 bytes after them that a last block touched are zeroed), which always ends on a scalar
 * boundary: a three-byte scalar starting in the last two bytes of a block
 * is left for the next. `src` must be at a scalar boundary. Reads nothing outside src[0..n), writes
 * nothing outside dst[0..cap).
 */
size_t sourcevault_fold_blocks(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);

#endif
