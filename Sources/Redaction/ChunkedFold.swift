import Foundation

/// Folds a long text piece by piece, with exactly the term hits a fold of the whole text gives, so
/// that the memory a fold takes is bounded by the piece (a character whose compatibility form is
/// 18 letters, U+FDFA, makes the folded text 100 bytes per byte of input) and two pieces can be
/// folded and searched at once on two cores.
///
/// Each piece ("chunk") owns a stretch of the text and reports only hits that start there. It is
/// folded with context on both sides, cut where folding can stop and start again (``isCut``):
/// after ASCII white space or a non-ASCII character (never inside a `%XX` or `&…;` escape, which
/// are ASCII without white space). Across such a cut only the first unit of a fold can differ from
/// the whole text's fold (its gap, a jamo or "rn" joined to what came before), and only the last
/// unit or two at the other end (a jamo or a combining mark joined to what comes after). So a
/// chunk's fold starts at least two units before its stretch, and reaches at least `margin` folded
/// bytes past it (more than the longest hit, its plural ending and the boundary checks after it);
/// both are checked on the fold and widened until they hold. A stretch with no unit is skipped.
enum ChunkedFold {
    /// Input bytes per chunk: the fold of 8 KiB takes 90 KB, or 1.1 MB for text that folds to 12
    /// times its size (U+FDFA); each worker holds two (standard and skeleton) at a time. (16 KiB
    /// put an export of 4 MiB of U+FDFA over ten times its size in memory; the context read
    /// around each chunk, 384 bytes, is 5% more folding.)
    static let defaultSize = 8 << 10

    /// Whether folding may stop or start at `p`.
    @inline(__always) static func isCut(_ b: UnsafeBufferPointer<UInt8>, _ p: Int) -> Bool {
        if p <= 0 || p >= b.count { return true }
        if b[p] & 0xC0 == 0x80 { return false }
        let c = b[p - 1]
        return c >= 0x80 || c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D
    }

    static func cut(atOrAfter p: Int, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        var p = min(p, b.count)
        while !isCut(b, p) { p += 1 }
        return p
    }

    static func cut(atOrBefore p: Int, floor: Int, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        var p = max(p, floor)
        while p > floor && !isCut(b, p) { p -= 1 }
        return p
    }

    /// The stretches the chunks own: consecutive, covering the text, cut about every `size` bytes.
    static func plan(_ b: UnsafeBufferPointer<UInt8>, size: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var s = 0
        while s < b.count {
            let e = cut(atOrAfter: s + max(size, 1), b)
            out.append(s..<e)
            s = e
        }
        return out
    }

    /// One chunk's folds. Offsets in `standard` and `skeleton` are relative to `base`; `bytes` is
    /// the text from `base` on (as far as the folds reach).
    struct Chunk {
        var base: Int
        var own: Range<Int>
        var bytes: [UInt8]
        var standard: FoldedText
        var skeleton: FoldedText?
        /// This worker's ``FuzzyIndex/Memo`` (the leak check's chunks only: they fold skeletons).
        var memo: FuzzyIndex.Memo?

        /// Whether a hit starting at folded unit `i` of `t` belongs to this chunk.
        @inline(__always) func owns(_ t: FoldedText, _ i: Int) -> Bool {
            own.contains(base + Int(t.origStart[i]))
        }
    }

    /// Reusable folders of one worker (each keeps a cache of the non-ASCII characters it met).
    struct Folders {
        var standard = Folder(mode: .standard)
        var skeleton = Folder(mode: .skeleton)
        /// The edit-distance net's memory of candidates without a hit (made when first used).
        lazy var memo = FuzzyIndex.Memo()
    }

    /// Number of folded units (bytes) of `t` whose source starts before `offset` (relative).
    @inline(__always) static func unitsBefore(_ t: FoldedText, _ offset: Int) -> Int {
        var lo = 0, hi = t.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(t.origStart[mid]) < offset { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Folds chunk `k` of `plan` with enough context; nil when its stretch has no unit.
    static func fold(
        _ b: UnsafeBufferPointer<UInt8>, plan: [Range<Int>], _ k: Int, margin: Int, skeleton: Bool,
        _ folders: inout Folders, meter: WorkMeter? = nil
    ) -> Chunk? {
        let own = plan[k]
        var left = 128, right = 256, back = 1
        while true {
            let floor = plan[max(0, k - back)].lowerBound
            let q = own.lowerBound == 0 ? 0 : cut(atOrBefore: own.lowerBound - left, floor: floor, b)
            let f = own.upperBound >= b.count ? b.count : cut(atOrAfter: own.upperBound + right, b)
            let piece = UnsafeBufferPointer(rebasing: b[q..<f])
            meter?.add(piece.count * (skeleton ? 2 : 1))
            let standard = folders.standard.fold(piece)
            // Most pieces' skeleton is their standard fold with a few letters mapped.
            let skeletal =
                !skeleton
                ? nil
                : folders.standard.onlyFastPaths
                    ? Folder.skeleton(fromStandard: standard) : folders.skeleton.fold(piece)
            let s = own.lowerBound - q, e = own.upperBound - q
            let stdBefore = unitsBefore(standard, s), stdOwnEnd = unitsBefore(standard, e)
            let skBefore = skeletal.map { unitsBefore($0, s) } ?? 0
            let skOwnEnd = skeletal.map { unitsBefore($0, e) } ?? 0
            if stdOwnEnd == stdBefore && skOwnEnd == skBefore { return nil }  // nothing starts here
            var widen = false
            if q > 0 && (stdBefore < 2 || (skeletal != nil && skBefore < 1)) {
                widen = true
                if q > floor { left *= 4 } else { back *= 2 }
            }
            if f < b.count
                && (standard.count - stdOwnEnd < margin || (skeletal.map { $0.count - skOwnEnd < margin } ?? false))
            {
                widen = true
                right *= 4
            }
            if !widen {
                return Chunk(
                    base: q, own: own, bytes: Array(piece), standard: standard, skeleton: skeletal,
                    memo: skeleton ? folders.memo : nil)
            }
        }
    }

    /// `body`'s results for every chunk of `bytes` that has a unit, in text order; up to `workers`
    /// chunks are folded and searched at once.
    static func map<T: Sendable>(
        _ bytes: [UInt8], size: Int = defaultSize, margin: Int, skeleton: Bool,
        workers: Int = ChunkedFold.workers, meter: WorkMeter? = nil,
        _ body: @escaping @Sendable (Chunk) -> [T]
    ) -> [T] {
        each(bytes, size: size, margin: margin, skeleton: skeleton, workers: workers, meter: meter, body)
            .flatMap { $0 }
    }

    /// `body`'s result for every chunk of `bytes` that has a unit, one per chunk, in text order.
    static func each<R: Sendable>(
        _ bytes: [UInt8], size: Int = defaultSize, margin: Int, skeleton: Bool,
        workers: Int = ChunkedFold.workers, meter: WorkMeter? = nil,
        _ body: @escaping @Sendable (Chunk) -> R
    ) -> [R] {
        let plan: [Range<Int>] = bytes.withUnsafeBufferPointer { ChunkedFold.plan($0, size: size) }
        guard !plan.isEmpty else { return [] }
        // Each worker takes the next chunk when it is done with one: the export runs `suggest` on
        // a thread beside these, and a worker given every other chunk in advance waited for the
        // one that thread slowed down (the leak check's last 25 ms on one core of two).
        return concurrentMap(plan.count, workers: workers, state: { Folders() }) { k, folders -> R? in
            bytes.withUnsafeBufferPointer { b in
                fold(b, plan: plan, k, margin: margin, skeleton: skeleton, &folders, meter: meter).map(body)
            }
        }.compactMap { $0 }
    }

    /// Cores to use (at most 4: the export also runs `suggest` beside the leak check).
    static let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))
}

/// Counts work (bytes folded, table probes, stack entries scanned…) so that tests can bound it by
/// the input's size, whatever the input: linear work, checked without timing anything. Nil (no
/// counting) outside tests.
final class WorkMeter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add(_ n: Int) {
        lock.lock()
        count += n
        lock.unlock()
    }

    var total: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

/// `body(k, &state)` for every k in `0..<count`, in order of k: on up to `workers` threads when
/// `workers > 1`, each taking the next k when it is done (the items differ in cost) and keeping a
/// `state` of its own.
func concurrentMap<S, R: Sendable>(
    _ count: Int, workers: Int, state: @escaping @Sendable () -> S,
    _ body: @escaping @Sendable (Int, inout S) -> R
) -> [R] {
    let results = ResultSlots<R>(count: count)
    let threads = max(1, min(workers, count))
    let next = NextItem()
    let work: @Sendable (Int) -> Void = { _ in
        var s = state()
        while case let k = next.take(), k < count { results.set(k, body(k, &s)) }
    }
    if threads == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: work) }
    return results.values()
}

/// The next item to work on, shared by the workers of ``concurrentMap(_:workers:state:_:)``.
private final class NextItem: @unchecked Sendable {
    private let lock = NSLock()
    private var k = 0

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        k += 1
        return k - 1
    }
}

/// One result slot per chunk, each written by exactly one worker before `concurrentPerform`
/// returns, read after.
private final class ResultSlots<T>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<T?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ k: Int, _ value: T) { slots[k] = value }

    func values() -> [T] { slots.compactMap { $0 } }
}

extension ChunkedFold.Chunk {
    /// The folded units of `t` this chunk owns (units are in the order of their sources).
    func ownedUnits(_ t: FoldedText) -> Range<Int> {
        ChunkedFold.unitsBefore(t, own.lowerBound - base)..<ChunkedFold.unitsBefore(t, own.upperBound - base)
    }
}

extension TermIndex {
    /// The hits of ``hits(in:anyInteriorGap:)`` on a fold of all of `bytes`, found chunk by chunk
    /// (``ChunkedFold``), as source byte ranges (first unit's start to last unit's end).
    func spans(
        in bytes: [UInt8], chunkSize: Int = ChunkedFold.defaultSize,
        meter: WorkMeter? = nil
    ) -> [(lo: Int, hi: Int, rule: Int)] {
        spans(in: bytes, phones: nil, chunkSize: chunkSize, meter: meter).terms
    }

    /// The term hits as above, and the hits of `phones` on the digits of the same fold (the digits
    /// of all chunks joined: a number is matched over the whole text, ``PhoneIndex``).
    func spans(
        in bytes: [UInt8], phones: PhoneIndex?, chunkSize: Int = ChunkedFold.defaultSize,
        meter: WorkMeter? = nil
    ) -> (terms: [(lo: Int, hi: Int, rule: Int)], phones: [PhoneIndex.Hit]) {
        guard !isEmpty else { return ([], []) }
        let margin = (foldedPatterns.map(\.count).max() ?? 0) + 40
        let index = self
        let digits = phones.map { !$0.isEmpty } ?? false
        let pieces = ChunkedFold.each(bytes, size: chunkSize, margin: margin, skeleton: false, meter: meter) {
            chunk -> ([(lo: Int, hi: Int, rule: Int)], DigitRun) in
            let t = chunk.standard
            let hits = index.hits(in: t).filter { chunk.owns(t, $0.start) }.map {
                (lo: chunk.base + Int(t.origStart[$0.start]), hi: chunk.base + Int(t.origEnd[$0.end - 1]), rule: $0.rule)
            }
            var run = DigitRun()
            if digits { run.append(t, chunk.bytes, base: chunk.base, units: chunk.ownedUnits(t)) }
            return (hits, run)
        }
        let terms = pieces.flatMap(\.0)
        guard let phones, digits else { return (terms, []) }
        return (terms, phones.hits(in: DigitRun(joining: pieces.map(\.1)), bytes: bytes))
    }
}
