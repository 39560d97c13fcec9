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
    private let terminal: [[Int32]]
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
        self.patternLengths = patterns.map(\.count)

        // Trie, as each state's list of children (most states have one), linked through flat
        // arrays: the child states of `s` are `firstKid[s]`, then `nextKid` of each, in the order
        // they were made, and the class of the byte into state `t` is `kidClass[t]`. The full DFA
        // of every state is never built, not even while building (two of them at once took 15 MB);
        // an array of children per state cost an allocation each, most of building 1,000 facts'.
        var firstKid: [Int32] = [-1], lastKid: [Int32] = [-1], nextKid: [Int32] = [-1]
        var kidClass: [UInt8] = [0]
        var terminal: [[Int32]] = [[]]
        for (index, p) in patterns.enumerated() where !p.isEmpty {
            var s = 0
            for b in p {
                let c = byteClass[Int(b)]
                var k = firstKid[s]
                while k >= 0 && kidClass[Int(k)] != c { k = nextKid[Int(k)] }
                if k >= 0 {
                    s = Int(k)
                } else {
                    let new = Int32(terminal.count)
                    terminal.append([])
                    firstKid.append(-1)
                    lastKid.append(-1)
                    nextKid.append(-1)
                    kidClass.append(c)
                    if lastKid[s] >= 0 { nextKid[Int(lastKid[s])] = new } else { firstKid[s] = new }
                    lastKid[s] = new
                    s = Int(new)
                }
            }
            terminal[s].append(Int32(index))
        }
        /// `body(c, t)` for each child state `t` of `s` and the class `c` of the byte into it.
        func forEachKid(_ s: Int, _ body: (Int, Int) -> Void) {
            var k = firstKid[s]
            while k >= 0 {
                body(Int(kidClass[Int(k)]), Int(k))
                k = nextKid[Int(k)]
            }
        }
        let stateCount = terminal.count

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
                outputLink[t] = terminal[f].isEmpty ? outputLink[f] : Int32(f)
            }
        }

        // References as described above.
        func reference(_ t: Int) -> Int32 {
            let output: Int32 = !terminal[t].isEmpty || outputLink[t] >= 0 ? 1 : 0
            if denseIndex[t] >= 0 { return denseIndex[t] * Int32(classes) << 1 | output }
            return -(sparseIndex[t] + 1) << 1 | output
        }
        var delta = rows
        for k in delta.indices { delta[k] = reference(Int(rows[k])) }
        var childStart: [Int32] = [0], childClass: [UInt8] = [], childNext: [Int32] = []
        var sparseFail: [Int32] = [], sparseState: [Int32] = []
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
        self.terminal = terminal
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
            }
        }
    }
}
