import Foundation
import Testing

@testable import Redaction

/// Redacts `text` with `rules` (compiled fresh) and returns the output text.
func redact(_ text: String, _ rules: [RedactionRule]) throws -> String {
    try Redactor(rules: rules).redact(text).text
}

/// Rebuilds the output from the original and the findings: proves every byte outside a finding
/// was copied unchanged (for NFC input).
func spliced(_ original: String, _ result: RedactionResult) -> String {
    let bytes = Array(original.utf8)
    var out: [UInt8] = []
    var copied = 0
    for f in result.findings {
        out.append(contentsOf: bytes[copied..<f.originalRange.lowerBound])
        out.append(contentsOf: f.replacement.utf8)
        copied = f.originalRange.upperBound
    }
    out.append(contentsOf: bytes[copied...])
    return String(decoding: out, as: UTF8.self)
}

func isNFC(_ s: String) -> Bool {
    s.precomposedStringWithCanonicalMapping.utf8.elementsEqual(s.utf8)
}

/// A small deterministic generator so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
