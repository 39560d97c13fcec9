import Foundation

/// Case-, accent- and width-insensitive folding for search. Query and text go through the same
/// function, so NFC and NFD input (and precomposed or jamo Hangul) compare equal.
enum TextFolding {
    static func fold(_ text: String) -> [UInt8] {
        let utf8 = text.utf8
        // ASCII fast path: lowercase bytes; identical to what the general path gives for ASCII.
        if utf8.allSatisfy({ $0 < 0x80 }) {
            return utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        }
        let folded = text.decomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .decomposedStringWithCompatibilityMapping
        // Strip any combining marks folding left behind (Hangul jamo are letters and stay).
        var scalars = String.UnicodeScalarView()
        for s in folded.unicodeScalars where !(s.properties.generalCategory == .nonspacingMark) {
            scalars.append(s)
        }
        return Array(String(scalars).utf8)
    }

    /// True if `needle` occurs in `haystack` (both already folded).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        let first = needle[0], n = needle.count
        return haystack.withUnsafeBufferPointer { h in
            var i = 0
            let last = h.count - n
            while i <= last {
                if h[i] == first {
                    var j = 1
                    while j < n && h[i + j] == needle[j] { j += 1 }
                    if j == n { return true }
                }
                i += 1
            }
            return false
        }
    }
}
