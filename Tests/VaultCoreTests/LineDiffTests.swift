import Testing

@testable import VaultCore

/// `diff ID V1 V2`'s line diff: applying it to the old text gives the new one, and it keeps every
/// line the two share in order (a longest common subsequence).
@Suite struct LineDiffTests {
    static func apply(_ d: [LineDiff.Line]) -> (old: [String], new: [String]) {
        var old: [String] = [], new: [String] = []
        for l in d {
            switch l {
            case .same(let s): old.append(s); new.append(s)
            case .removed(let s): old.append(s)
            case .added(let s): new.append(s)
            }
        }
        return (old, new)
    }

    @Test func smallEdits() {
        #expect(LineDiff.diff("a\nb\nc\n", "a\nB\nc\nd\n") == [.same("a"), .removed("b"), .added("B"), .same("c"), .added("d")])
        #expect(LineDiff.diff("", "x\n") == [.added("x")])
        #expect(LineDiff.diff("x\n", "x\n") == [.same("x")])
    }

    @Test func randomTextsRoundTripWithAMinimalNumberOfChanges() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return Int(seed % UInt64(n)) }
        for _ in 0..<300 {
            let a = (0..<next(12)).map { _ in ["p", "q", "r", "s"][next(4)] }
            let b = (0..<next(12)).map { _ in ["p", "q", "r", "s"][next(4)] }
            let d = LineDiff.diff(a.joined(separator: "\n"), b.joined(separator: "\n"))
            let (old, new) = Self.apply(d)
            #expect(old == a && new == b, "\(a) \(b)")
            // Naive LCS length: the diff keeps exactly that many lines.
            var t = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
            for i in stride(from: a.count - 1, through: 0, by: -1) {
                for j in stride(from: b.count - 1, through: 0, by: -1) {
                    t[i][j] = a[i] == b[j] ? t[i + 1][j + 1] + 1 : max(t[i + 1][j], t[i][j + 1])
                }
            }
            #expect(d.filter { if case .same = $0 { true } else { false } }.count == t[0][0])
        }
    }
}

/// `search`'s snippet: from the hit's offset when folding kept the text in place, else by lines;
/// both give the hit's line cut around it.
@Suite struct SearchSnippetTests {
    static func snippets(_ text: String, _ query: String) -> (fast: String?, slow: String?) {
        let cache = TextFolding.Cache()
        let needle = TextFolding.fold(query)
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { b in
            let folded = TextFolding.fold(utf8: b, cache: cache) ?? []
            let hit = folded.withUnsafeBytes { TextFolding.firstMatch($0, needle) }
            let fast = hit.flatMap {
                folded.count == b.count ? SearchSnippet.snippet(in: b, at: $0, needle: needle, cache: cache) : nil
            }
            return (fast, SearchSnippet.snippet(in: b, needle: needle, cache: cache))
        }
    }

    @Test func fastAndSlowAgreeOnTheLineAndCutAroundTheHit() throws {
        let long = String(repeating: "The road north was closed that winter. ", count: 4)
        let text = "first line\n\(long)Then Hye-jin came with the broker and \(long)\nlast\n"
        let (fast, slow) = Self.snippets(text, "hye jin")
        let f = try #require(fast)
        #expect(f.hasPrefix("…") && f.hasSuffix("…") && f.contains("Hye-jin came with the broker"), "\(f)")
        #expect(f.count <= SearchSnippet.width + 2)
        #expect(try #require(slow).contains("Hye-jin came"))
        #expect(Self.snippets("short line with Pak Chol in it\n", "pak chol").fast == "short line with Pak Chol in it")
        // A line the hit is not on (offsets moved by folding) gives nil: the line search is used.
        let cache = TextFolding.Cache()
        let nilAtWrongPlace = Array("abc\npak chol\n".utf8).withUnsafeBytes {
            SearchSnippet.snippet(in: $0, at: 0, needle: TextFolding.fold("pak chol"), cache: cache)
        }
        #expect(nilAtWrongPlace == nil)
    }

    /// The line search on a long line whose folding changes lengths (ŏ, Hangul): the window still
    /// holds the hit, wherever on the line it is.
    @Test func theLineSearchCutsAroundAHitInMultibyteText() throws {
        for before in [0, 7, 40, 120] {
            let pad = String(repeating: "강을 건넜다 ", count: before)
            let text = "첫 줄\n\(pad)we crossed near Hoeryŏng at dawn \(String(repeating: "밤에 국경 ", count: 60))\n"
            let slow = try #require(Self.snippets(text, "hoeryong").slow, "\(before)")
            #expect(slow.contains("Hoeryŏng") && slow.count <= SearchSnippet.width + 2, "\(before): \(slow)")
        }
    }
}
