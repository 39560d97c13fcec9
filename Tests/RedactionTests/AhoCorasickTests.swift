import Foundation
import Testing

@testable import Redaction

/// The automaton (full rows near the root, children and failure links deeper) reports exactly the
/// occurrences a naive search finds: every pattern at every end position, overlapping ones included.
@Suite struct AhoCorasickTests {
    static func naive(_ patterns: [[UInt8]], _ text: [UInt8]) -> [[Int]] {
        var out: [[Int]] = []
        for end in 1...max(text.count, 1) where end <= text.count {
            for (p, pattern) in patterns.enumerated() where !pattern.isEmpty && pattern.count <= end {
                if text[(end - pattern.count)..<end].elementsEqual(pattern) { out.append([p, end]) }
            }
        }
        return out
    }

    @Test func findsWhatANaiveSearchFinds() {
        var found = 0
        for seed in 0..<300 {
            var rng = SeededGenerator(seed: UInt64(seed) &* 104_723)
            // A small alphabet: long shared prefixes, patterns inside patterns, deep states with
            // several children, failure chains through deep states.
            let alphabet: [UInt8] = Array("abc".utf8) + [0xEC, 0x9D, 0xB4]
            let patterns = (0..<Int.random(in: 1..<40, using: &rng)).map { _ in
                (0..<Int.random(in: 1..<9, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            }
            let text = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in
                Int.random(in: 0..<10, using: &rng) == 0 ? UInt8(ascii: "z") : alphabet.randomElement(using: &rng)!
            }
            var got: [[Int]] = []
            AhoCorasick(patterns: patterns).forEachMatch(in: text) { got.append([$0, $1]) }
            let want = Self.naive(patterns, text)
            #expect(got.sorted { $0.lexicographicallyPrecedes($1) } == want.sorted { $0.lexicographicallyPrecedes($1) })
            // In order of end position.
            #expect(got.map { $0[1] } == got.map { $0[1] }.sorted())
            found += want.count
        }
        #expect(found > 10_000)
    }
}
