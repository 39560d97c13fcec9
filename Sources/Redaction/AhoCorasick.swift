/// A byte-level Aho–Corasick automaton compiled to a full DFA, so matching every term and
/// variant of every rule is one pass over the folded text with one table lookup per byte.
///
/// Bytes are first mapped to classes (bytes that occur in no pattern share class 0), which keeps
/// the table at `states × classes` instead of `states × 256`.
struct AhoCorasick: Sendable {
    /// byte → class.
    private let byteClass: [UInt8]
    private let classCount: Int
    /// `delta[state * classCount + class]` = `(nextState * classCount) << 1 | hasOutput`.
    private let delta: [Int32]
    /// For a state (unscaled), the patterns that end exactly there.
    private let terminal: [[Int32]]
    /// For a state, the nearest proper suffix state that is terminal, or -1.
    private let outputLink: [Int32]
    /// Pattern lengths in bytes.
    let patternLengths: [Int]

    /// Builds the automaton. Empty patterns are ignored (callers reject them earlier).
    init(patterns: [[UInt8]]) {
        var present = [Bool](repeating: false, count: 256)
        for p in patterns { for b in p { present[Int(b)] = true } }
        var byteClass = [UInt8](repeating: 0, count: 256)
        var classes = 1
        for b in 0..<256 where present[b] { byteClass[b] = UInt8(classes); classes += 1 }
        self.byteClass = byteClass
        self.classCount = classes
        self.patternLengths = patterns.map(\.count)

        // Trie; -1 = no edge yet.
        var goto: [Int32] = Array(repeating: -1, count: classes)
        var terminal: [[Int32]] = [[]]
        for (index, p) in patterns.enumerated() where !p.isEmpty {
            var s = 0
            for b in p {
                let c = Int(byteClass[Int(b)])
                let next = goto[s * classes + c]
                if next >= 0 {
                    s = Int(next)
                } else {
                    let new = terminal.count
                    terminal.append([])
                    goto.append(contentsOf: repeatElement(-1, count: classes))
                    goto[s * classes + c] = Int32(new)
                    s = new
                }
            }
            terminal[s].append(Int32(index))
        }
        let stateCount = terminal.count

        // Breadth-first: failure links, then fill missing edges so the table is a DFA.
        var fail = [Int32](repeating: 0, count: stateCount)
        var outputLink = [Int32](repeating: -1, count: stateCount)
        var queue: [Int] = []
        queue.reserveCapacity(stateCount)
        for c in 0..<classes {
            let t = goto[c]
            if t > 0 { fail[Int(t)] = 0; queue.append(Int(t)) } else { goto[c] = 0 }
        }
        var head = 0
        while head < queue.count {
            let s = queue[head]; head += 1
            let f = Int(fail[s])
            outputLink[s] = terminal[f].isEmpty ? outputLink[f] : Int32(f)
            for c in 0..<classes {
                let t = goto[s * classes + c]
                if t >= 0 {
                    fail[Int(t)] = goto[f * classes + c]
                    queue.append(Int(t))
                } else {
                    goto[s * classes + c] = goto[f * classes + c]
                }
            }
        }

        var delta = [Int32](repeating: 0, count: stateCount * classes)
        for s in 0..<stateCount {
            for c in 0..<classes {
                let t = Int(goto[s * classes + c])
                let hasOutput = !terminal[t].isEmpty || outputLink[t] >= 0
                delta[s * classes + c] = Int32(t * classes) << 1 | (hasOutput ? 1 : 0)
            }
        }
        self.delta = delta
        self.terminal = terminal
        self.outputLink = outputLink
    }

    /// Calls `body(pattern, endExclusive)` for every occurrence of every pattern, overlapping ones
    /// included, in order of end position.
    func forEachMatch(in text: [UInt8], _ body: (Int, Int) -> Void) {
        let classes = classCount
        byteClass.withUnsafeBufferPointer { cls in
            delta.withUnsafeBufferPointer { delta in
                text.withUnsafeBufferPointer { bytes in
                    var s = 0
                    for i in 0..<bytes.count {
                        let v = delta[s + Int(cls[Int(bytes[i])])]
                        s = Int(v >> 1)
                        if v & 1 != 0 {
                            var state = s / classes
                            while state >= 0 {
                                for p in terminal[state] { body(Int(p), i + 1) }
                                state = Int(outputLink[state])
                            }
                        }
                    }
                }
            }
        }
    }
}
