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
