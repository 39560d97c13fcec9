/// A line diff of two texts in memory (`diff ID V1 V2`): the longest common subsequence of lines,
/// after the common head and tail are set aside, so the usual small edit to a long testimony
/// costs little. Pure: no crypto, no storage.
public enum LineDiff {
    public enum Line: Equatable, Sendable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// Beyond this many cells (lines × lines of the differing middle) the middle is shown as
    /// removed then added, rather than spending quadratic memory.
    static let maxCells = 16_000_000

    public static func diff(_ old: String, _ new: String) -> [Line] {
        let a = lines(old), b = lines(new)
        var head = 0
        while head < a.count && head < b.count && a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head && tail < b.count - head && a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let x = Array(a[head..<(a.count - tail)]), y = Array(b[head..<(b.count - tail)])
        var out = a[..<head].map { Line.same($0) }
        if x.count * y.count > maxCells {
            out += x.map { .removed($0) } + y.map { .added($0) }
        } else {
            // lcs[i][j]: length of the LCS of x[i...] and y[j...].
            var lcs = [[Int32]](repeating: [Int32](repeating: 0, count: y.count + 1), count: x.count + 1)
            for i in stride(from: x.count - 1, through: 0, by: -1) {
                for j in stride(from: y.count - 1, through: 0, by: -1) {
                    lcs[i][j] = x[i] == y[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
                }
            }
            var i = 0, j = 0
            while i < x.count || j < y.count {
                if i < x.count && j < y.count && x[i] == y[j] {
                    out.append(.same(x[i])); i += 1; j += 1
                } else if i < x.count && (j == y.count || lcs[i + 1][j] >= lcs[i][j + 1]) {
                    out.append(.removed(x[i])); i += 1
                } else {
                    out.append(.added(y[j])); j += 1
                }
            }
        }
        out += a[(a.count - tail)...].map { Line.same($0) }
        return out
    }

    static func lines(_ text: String) -> [String] {
        var l = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if l.last == "" { l.removeLast() }
        return l
    }
}
