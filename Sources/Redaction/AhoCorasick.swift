/// A byte-level Aho–Corasick automaton: every term and variant of every rule is matched in one
/// pass over the folded text.
///
/// Bytes are first mapped to classes (bytes that occur in no pattern share class 0). States near
/// the root (depth ≤ ``denseDepth``), where the scan spends most of its time, have a full row of
/// the DFA (`states × classes`, one table lookup per byte); deeper states, inside a long partial
/// match, keep only their children and their failure link, which the scan follows as the textbook
/// automaton does. The table stays small (a full DFA of 1,000 rules × 3 forms took 3.8 MB per
/// index) and the result is the same: the transitions followed are those the full DFA holds.
struct AhoCorasick: Sendable {
    /// byte → class.
    private let byteClass: [UInt8]
    private let classCount: Int
    /// Rows of the dense states: `delta[offset + class]` = the next state's reference.
    /// A reference is `offset << 1 | hasOutput` for a dense state (`offset` = its row's start), and
    /// `-(k + 1) << 1 | hasOutput` for sparse state `k`.
    private let delta: [Int32]
    /// Sparse state `k`: its children `childClass/childNext[childStart[k] ..< childStart[k + 1]]`,
    /// its failure link (a reference) and its state number (for the outputs).
    private let childStart: [Int32]
    private let childClass: [UInt8]
    private let childNext: [Int32]
    private let sparseFail: [Int32]
    private let sparseState: [Int32]
    /// Dense row `k`'s state number (for the outputs).
    private let denseState: [Int32]
    /// For a state number, the patterns that end exactly there.
    private let terminalStart: [Int32]
    /// The patterns that end at state `s` are `terminalPatterns[terminalStart[s] ..< terminalStart[s + 1]]`
    /// (in pattern order): two flat arrays, not an array per terminal state (one allocation each,
    /// made and freed again, was a fifth of building 1,000 facts' automaton).
    private let terminalPatterns: [Int32]
    /// For a state number, the nearest proper suffix state that is terminal, or -1.
    private let outputLink: [Int32]
    /// Pattern lengths in bytes.
    let patternLengths: [Int]

    /// States at this depth or nearer the root get a full row.
    static let denseDepth = 3

    /// Builds the automaton. Empty patterns are ignored (callers reject them earlier).
    init(patterns: [[UInt8]]) {
        var present = [Bool](repeating: false, count: 256)
        for p in patterns { for b in p { present[Int(b)] = true } }
        var byteClass = [UInt8](repeating: 0, count: 256)
        var classes = 1
        for b in 0..<256 where present[b] { byteClass[b] = UInt8(classes); classes += 1 }
        self.byteClass = byteClass
        self.classCount = classes
        self.patternLengths = patterns.map { $0.count }  // a key path here cost 700 instructions a pattern

        // Trie, as each state's list of children (most states have one), linked through flat
        // arrays: the child states of `s` are `firstKid[s]`, then `nextKid` of each, in the order
        // they were made, and the class of the byte into state `t` is `kidClass[t]`. The full DFA
        // of every state is never built, not even while building (two of them at once took 15 MB);
        // an array of children per state cost an allocation each, most of building 1,000 facts'.
        // Sized for the most states there can be (one per pattern byte, and the root) and filled
        // through buffer pointers: an append per array per state was most of building 1,000 facts'
        // automaton (the states past `stateCount` are never read).
        let most = 1 + patterns.reduce(0) { $0 + $1.count }
        var firstKid = [Int32](repeating: -1, count: most), lastKid = [Int32](repeating: -1, count: most)
        var nextKid = [Int32](repeating: -1, count: most)
        var kidClass = [UInt8](repeating: 0, count: most)
        var stateCount = 1
        var ends: [(state: Int32, pattern: Int32)] = []  // in pattern order
        ends.reserveCapacity(patterns.count)
        firstKid.withUnsafeMutableBufferPointer { firstKid in
            lastKid.withUnsafeMutableBufferPointer { lastKid in
                nextKid.withUnsafeMutableBufferPointer { nextKid in
                    kidClass.withUnsafeMutableBufferPointer { kidClass in
                        for (index, p) in patterns.enumerated() where !p.isEmpty {
                            var s = 0
                            for b in p {
                                let c = byteClass[Int(b)]
                                var k = firstKid[s]
                                while k >= 0 && kidClass[Int(k)] != c { k = nextKid[Int(k)] }
                                if k >= 0 {
                                    s = Int(k)
                                } else {
                                    let new = Int32(stateCount)
                                    stateCount += 1
                                    kidClass[Int(new)] = c
                                    if lastKid[s] >= 0 { nextKid[Int(lastKid[s])] = new } else { firstKid[s] = new }
                                    lastKid[s] = new
                                    s = Int(new)
                                }
                            }
                            ends.append((Int32(s), Int32(index)))
                        }
                    }
                }
            }
        }
        /// `body(c, t)` for each child state `t` of `s` and the class `c` of the byte into it.
        func forEachKid(_ s: Int, _ body: (Int, Int) -> Void) {
            var k = firstKid[s]
            while k >= 0 {
                body(Int(kidClass[Int(k)]), Int(k))
                k = nextKid[Int(k)]
            }
        }
        // Counting sort of the ends by state (stable: each state's patterns stay in pattern order).
        var terminalStart = [Int32](repeating: 0, count: stateCount + 1)
        for e in ends { terminalStart[Int(e.state) + 1] += 1 }
        for k in 0..<stateCount { terminalStart[k + 1] += terminalStart[k] }
        var terminalPatterns = [Int32](repeating: 0, count: ends.count)
        var fill = terminalStart
        for e in ends {
            terminalPatterns[Int(fill[Int(e.state)])] = e.pattern
            fill[Int(e.state)] += 1
        }
        func isTerminal(_ s: Int) -> Bool { terminalStart[s + 1] > terminalStart[s] }

        // Breadth-first order and depths; dense states (near the root) and sparse ones numbered
        // in that order, so a state's failure link (always shallower) is done before it.
        var order = [0]
        order.reserveCapacity(stateCount)
        var depth = [Int](repeating: 0, count: stateCount)
        var head = 0
        while head < order.count {
            let s = order[head]
            head += 1
            forEachKid(s) { _, t in
                depth[t] = depth[s] + 1
                order.append(t)
            }
        }
        var denseIndex = [Int32](repeating: -1, count: stateCount)
        var sparseIndex = [Int32](repeating: -1, count: stateCount)
        var dense: [Int] = [], sparse: [Int] = []
        sparse.reserveCapacity(stateCount)
        for s in order {
            if depth[s] <= AhoCorasick.denseDepth {
                denseIndex[s] = Int32(dense.count)
                dense.append(s)
            } else {
                sparseIndex[s] = Int32(sparse.count)
                sparse.append(s)
            }
        }

        // Failure links, output links and the dense rows (state numbers first, references after).
        var fail = [Int32](repeating: 0, count: stateCount)
        var outputLink = [Int32](repeating: -1, count: stateCount)
        var rows = [Int32](repeating: 0, count: dense.count * classes)
        /// The DFA's transition from `u` on `c`: a dense row, else a child, else the failure link's.
        func transition(_ u: Int, _ c: Int) -> Int {
            var u = u
            while true {
                if denseIndex[u] >= 0 { return Int(rows[Int(denseIndex[u]) * classes + c]) }
                var k = firstKid[u]
                while k >= 0 && Int(kidClass[Int(k)]) != c { k = nextKid[Int(k)] }
                if k >= 0 { return Int(k) }
                u = Int(fail[u])
            }
        }
        for s in order {
            if denseIndex[s] >= 0 {
                let row = Int(denseIndex[s]) * classes
                if s != 0 {
                    let from = Int(denseIndex[Int(fail[s])]) * classes  // shallower: dense, done
                    for c in 0..<classes { rows[row + c] = rows[from + c] }
                }
                forEachKid(s) { c, t in rows[row + c] = Int32(t) }
            }
            forEachKid(s) { c, t in
                let f = s == 0 ? 0 : transition(Int(fail[s]), c)
                fail[t] = Int32(f)
                outputLink[t] = !isTerminal(f) ? outputLink[f] : Int32(f)
            }
        }

        // References as described above: a dense row's start, shifted left once, must stay a
        // positive Int32 (`<<` drops the bits it shifts out); past that the automaton refuses to be
        // built rather than mistake a row for a sparse state (about 1.5 M patterns, 4 GiB of rows).
        precondition(rows.count < 1 << 30, "the automaton's transition table is too large")
        func reference(_ t: Int) -> Int32 {
            let output: Int32 = isTerminal(t) || outputLink[t] >= 0 ? 1 : 0
            if denseIndex[t] >= 0 { return denseIndex[t] * Int32(classes) << 1 | output }
            return -(sparseIndex[t] + 1) << 1 | output
        }
        var delta = rows
        for k in delta.indices { delta[k] = reference(Int(rows[k])) }
        var childStart: [Int32] = [0], childClass: [UInt8] = [], childNext: [Int32] = []
        var sparseFail: [Int32] = [], sparseState: [Int32] = []
        childStart.reserveCapacity(sparse.count + 1)
        childClass.reserveCapacity(stateCount)
        childNext.reserveCapacity(stateCount)
        sparseFail.reserveCapacity(sparse.count)
        sparseState.reserveCapacity(sparse.count)
        for s in sparse {
            forEachKid(s) { c, t in
                childClass.append(UInt8(c))
                childNext.append(reference(t))
            }
            childStart.append(Int32(childClass.count))
            sparseFail.append(reference(Int(fail[s])))
            sparseState.append(Int32(s))
        }
        self.delta = delta
        self.childStart = childStart
        self.childClass = childClass
        self.childNext = childNext
        self.sparseFail = sparseFail
        self.sparseState = sparseState
        self.denseState = dense.map { Int32($0) }
        self.terminalStart = terminalStart
        self.terminalPatterns = terminalPatterns
        self.outputLink = outputLink
    }

    /// Calls `body(pattern, endExclusive)` for every occurrence of every pattern, overlapping ones
    /// included, in order of end position.
    func forEachMatch(in text: [UInt8], _ body: (Int, Int) -> Void) {
        let classes = Int32(classCount)
        byteClass.withUnsafeBufferPointer { cls in
            delta.withUnsafeBufferPointer { delta in
                childStart.withUnsafeBufferPointer { childStart in
                    childClass.withUnsafeBufferPointer { childClass in
                        childNext.withUnsafeBufferPointer { childNext in
                            sparseFail.withUnsafeBufferPointer { sparseFail in
                                text.withUnsafeBufferPointer { bytes in
                                    var ref: Int32 = 0  // the root: dense row 0, no output
                                    for i in 0..<bytes.count {
                                        let c = cls[Int(bytes[i])]
                                        var s = ref >> 1
                                        var next: Int32 = 0
                                        var matched = false
                                        // A sparse state: its child for `c`, else the transition of its
                                        // failure link (until a dense state answers).
                                        while s < 0 {
                                            let k = Int(-s - 1)
                                            var j = Int(childStart[k])
                                            let end = Int(childStart[k + 1])
                                            while j < end && childClass[j] != c { j += 1 }
                                            if j < end {
                                                next = childNext[j]
                                                matched = true
                                                break
                                            }
                                            s = sparseFail[k] >> 1
                                        }
                                        ref = matched ? next : delta[Int(s) + Int(c)]
                                        if ref & 1 != 0 {
                                            let r = ref >> 1
                                            var state =
                                                r >= 0 ? Int(denseState[Int(r / classes)]) : Int(sparseState[Int(-r - 1)])
                                            while state >= 0 {
                                                for k in Int(terminalStart[state])..<Int(terminalStart[state + 1]) {
                                                    body(Int(terminalPatterns[k]), i + 1)
                                                }
                                                state = Int(outputLink[state])
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension AhoCorasick {
    /// For each byte, whether the root's transition on it is the root itself (no pattern starts
    /// with it, or a proper suffix of nothing): while the scan is at the root such bytes can be
    /// passed over without a transition (``forEachMatch(in:skipping:_:)``).
    func rootSelfLoops() -> [Bool] {
        (0..<256).map { b in delta[Int(byteClass[b])] == 0 }
    }

    /// ``forEachMatch(in:_:)`` that passes over bytes the root loops on (`stays`, from
    /// ``rootSelfLoops()``) in a tight loop while at the root: the same transitions and the same
    /// matches, in the same order (the root has no output, and its transition on such a byte is
    /// the root). For an index whose patterns start with few of the text's bytes (a source's
    /// facts) most bytes are passed over: the facts' scan of a 1 MiB export was 20 M instructions.
    func forEachMatch(in text: [UInt8], skipping stays: [Bool], _ body: (Int, Int) -> Void) {
        precondition(stays.count == 256)
        let classes = Int32(classCount)
        byteClass.withUnsafeBufferPointer { cls in
            delta.withUnsafeBufferPointer { delta in
                childStart.withUnsafeBufferPointer { childStart in
                    childClass.withUnsafeBufferPointer { childClass in
                        childNext.withUnsafeBufferPointer { childNext in
                            sparseFail.withUnsafeBufferPointer { sparseFail in
                                stays.withUnsafeBufferPointer { stays in
                                    text.withUnsafeBufferPointer { bytes in
                                        let n = bytes.count
                                        var ref: Int32 = 0  // the root: dense row 0, no output
                                        var i = 0
                                        while i < n {
                                            if ref == 0 {
                                                while i < n && stays[Int(bytes[i])] { i += 1 }
                                                if i == n { break }
                                            }
                                            let c = cls[Int(bytes[i])]
                                            var s = ref >> 1
                                            var next: Int32 = 0
                                            var matched = false
                                            while s < 0 {
                                                let k = Int(-s - 1)
                                                var j = Int(childStart[k])
                                                let end = Int(childStart[k + 1])
                                                while j < end && childClass[j] != c { j += 1 }
                                                if j < end {
                                                    next = childNext[j]
                                                    matched = true
                                                    break
                                                }
                                                s = sparseFail[k] >> 1
                                            }
                                            ref = matched ? next : delta[Int(s) + Int(c)]
                                            if ref & 1 != 0 {
                                                let r = ref >> 1
                                                var state =
                                                    r >= 0 ? Int(denseState[Int(r / classes)]) : Int(sparseState[Int(-r - 1)])
                                                while state >= 0 {
                                                    for k in Int(terminalStart[state])..<Int(terminalStart[state + 1]) {
                                                        body(Int(terminalPatterns[k]), i + 1)
                                                    }
                                                    state = Int(outputLink[state])
                                                }
                                            }
                                            i += 1
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
