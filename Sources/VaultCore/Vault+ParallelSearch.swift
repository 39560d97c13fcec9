import Foundation
import SodiumKit

/// What one search reader needs: its own locked buffers (record key, opened field, folded field),
/// fold cache and matcher. The vault's single-threaded path uses the vault's own buffers; each
/// worker of a parallel search makes its own, so no plaintext buffer is ever shared by two threads.
final class SearchReader {
    let key: SecureScratch
    let data: SecureScratch
    let fold: SecureScratch
    let needle: [UInt8]
    let cache = TextFolding.Cache()
    var matcher: TextFolding.Matcher
    let aliases: [String: String]

    init(key: SecureScratch, data: SecureScratch, fold: SecureScratch, needle: [UInt8], aliases: [String: String]) {
        self.key = key
        self.data = data
        self.fold = fold
        self.needle = needle
        self.aliases = aliases
        self.matcher = TextFolding.Matcher(needle: needle, cache: cache)
    }

    deinit { matcher.wipe() }

    static func fresh(needle: [UInt8], aliases: [String: String]) throws(SodiumError) -> SearchReader {
        SearchReader(
            key: try SecureScratch(capacity: XChaCha20Poly1305.keyBytes), data: try SecureScratch(capacity: 8192),
            fold: try SecureScratch(capacity: 8192), needle: needle, aliases: aliases)
    }
}

/// A record's latest version copied out of the database row (ciphertext only), to be handed to
/// another thread.
struct SealedLatest {
    var recordID: String
    var wrappedKey: [UInt8]
    var version: Int?
    var meta: [UInt8]
    var body: [UInt8]

    init(_ row: LatestRowView) {
        recordID = row.recordID
        wrappedKey = Array(row.wrappedKey)
        version = row.version
        meta = Array(row.meta)
        body = Array(row.body)
    }
}

extension Vault {
    /// A reader over the vault's own buffers, for searching on the calling thread.
    func ownSearchReader(needle: [UInt8], aliases: [String: String]) -> SearchReader {
        SearchReader(key: keyScratch, data: dataScratch, fold: foldScratch, needle: needle, aliases: aliases)
    }

    /// Searches of vaults with at least this many records run on up to `searchThreads` threads.
    static let parallelSearchThreshold = 512
    static let searchThreads = 4

    /// The calling thread walks the database, checks each record against the manifest (§6.8) and
    /// copies the sealed rows, in batches, into a small bounded queue (memory stays flat);
    /// `threads - 1` worker threads each open, fold and match them with their own locked buffers,
    /// and when the queue is full the calling thread does a batch itself (with the vault's
    /// buffers), so all `threads` stay busy. Finished batches are handed to `each` on the calling
    /// thread in walk order, as soon as every batch before them is done: the outcome is exactly the
    /// single-threaded one, streamed. The first error that is not a damaged record stops
    /// everything; so does reaching `limit` results.
    ///
    /// `batchSize`, `queueLimit` and `makeWorkerReader` are for tests (small batches interleave
    /// the paths; a failing reader factory leaves everything to the calling thread).
    func parallelSearch(
        needle: [UInt8], aliases: [String: String], threads: Int,
        batchSize: Int = 64, queueLimit: Int = 4, limit: Int? = nil,
        makeWorkerReader: @escaping @Sendable ([UInt8], [String: String]) throws -> SearchReader = { n, a in
            try SearchReader.fresh(needle: n, aliases: a)
        },
        each: (RecordSummary) -> Void
    ) throws(VaultError) -> WalkOutcome {
        let job = ParallelSearchJob(
            vault: self, needle: needle, aliases: aliases,
            callerReader: ownSearchReader(needle: needle, aliases: aliases), queueLimit: queueLimit,
            makeWorkerReader: makeWorkerReader)
        for _ in 1..<max(threads, 2) { job.startWorker() }
        var batch: [SealedLatest] = []
        batch.reserveCapacity(batchSize)
        var check: WalkCheck?
        var shown = 0
        var problems: [VaultError] = []
        var complete = true
        func hand(_ done: [(records: [RecordSummary], problems: [VaultError])]) {
            for r in done {
                problems += r.problems
                for summary in r.records where limit.map({ shown < $0 }) ?? true {
                    each(summary)
                    shown += 1
                }
            }
        }
        do {
            try store.forEachLatest(
                includeBody: true, manifest: { check = try WalkCheck(sealedManifest: $0, vault: self) }
            ) { row in
                if let limit, shown >= limit {
                    complete = false
                    throw WalkStopped()
                }
                guard check!.admit(row.recordID, version: row.version) else { return }
                batch.append(SealedLatest(row))
                if batch.count == batchSize {
                    guard job.send(batch) else { throw ParallelSearchJob.Stopped() }
                    batch.removeAll(keepingCapacity: true)
                    hand(job.ready())
                }
            }
            if complete && !batch.isEmpty { _ = job.send(batch) }
        } catch is ParallelSearchJob.Stopped {
            // A record failed for a reason other than damage: `finish` reports it.
        } catch is WalkStopped {
            job.cancel()
        } catch {
            // The walk itself failed: stop the workers at once, then report the walk's error.
            let failure = error as? VaultError ?? .storage(store.describe(error))
            job.fail(failure)
            _ = job.finish()
            throw failure
        }
        hand(try job.finish().get())
        guard let check else { throw .storage("the walk ended before it began") }
        return WalkOutcome(count: shown, problems: problems + (try walkProblems(check, complete: complete)))
    }
}

/// The queue between the walking thread and the workers, and the workers' results.
/// (@unchecked Sendable: all mutable state is guarded by `condition`; `vault` is only used through
/// `searchOne`, which reads nothing but immutable state.)
final class ParallelSearchJob: @unchecked Sendable {
    struct Stopped: Error {}

    /// The caller of `parallelSearch` keeps the vault alive until every worker has stopped.
    private unowned let vault: Vault
    /// Batches waiting at most: with the ones being worked on, a few hundred kilobytes of ciphertext.
    private let queueLimit: Int
    private let makeWorkerReader: @Sendable ([UInt8], [String: String]) throws -> SearchReader
    private let needle: [UInt8]
    private let aliases: [String: String]
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [(index: Int, rows: [SealedLatest])] = []
    private var sent = 0
    private var closed = false
    private var running = 0
    private var failure: VaultError?
    private var results: [Int: (records: [RecordSummary], problems: [VaultError])] = [:]
    /// The next batch to hand to the caller (every batch before it was handed out).
    private var handed = 0
    private var cancelled = false

    /// The calling thread's reader, for the batches it does itself.
    private let callerReader: SearchReader

    init(
        vault: Vault, needle: [UInt8], aliases: [String: String], callerReader: SearchReader, queueLimit: Int,
        makeWorkerReader: @escaping @Sendable ([UInt8], [String: String]) throws -> SearchReader
    ) {
        self.vault = vault
        self.needle = needle
        self.aliases = aliases
        self.callerReader = callerReader
        self.queueLimit = max(queueLimit, 1)
        self.makeWorkerReader = makeWorkerReader
    }

    /// Starts a worker thread; if the system refuses one (a thread limit), the search simply has
    /// one worker fewer (Foundation's Thread would fail silently and leave `finish` waiting).
    func startWorker() {
        condition.lock()
        running += 1
        condition.unlock()
        let retained = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { arg in
                guard let arg else { return nil }
                Unmanaged<ParallelSearchJob>.fromOpaque(arg).takeRetainedValue().work()
                return nil
            }, retained.toOpaque())
        if rc == 0 {
            pthread_detach(thread)
        } else {
            retained.release()
            condition.lock()
            running -= 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Queues a batch, or does it on the calling thread when the queue is full. False if a
    /// worker (or this batch) failed.
    func send(_ rows: [SealedLatest]) -> Bool {
        condition.lock()
        guard failure == nil, !cancelled else { condition.unlock(); return false }
        let index = sent
        sent += 1
        if queue.count < queueLimit {
            queue.append((index, rows))
            condition.broadcast()
            condition.unlock()
            return true
        }
        condition.unlock()
        return process(index: index, rows: rows, reader: callerReader)
    }

    /// The finished batches that every earlier batch precedes, in order, taken out (so results
    /// are kept only until they are handed on).
    func ready() -> [(records: [RecordSummary], problems: [VaultError])] {
        condition.lock()
        defer { condition.unlock() }
        var out: [(records: [RecordSummary], problems: [VaultError])] = []
        while let r = results.removeValue(forKey: handed) {
            out.append(r)
            handed += 1
        }
        return out
    }

    /// Enough results (`--limit`): nothing more is queued or worked on; `finish` hands out nothing.
    func cancel() {
        condition.lock()
        cancelled = true
        closed = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// No more batches: does what is still queued on the calling thread too (all of it, if no
    /// worker could start), waits for the workers, then returns the batches not yet handed out,
    /// in order, or the failure.
    func finish() -> Result<[(records: [RecordSummary], problems: [VaultError])], VaultError> {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
        while let (index, rows) = next() {
            guard process(index: index, rows: rows, reader: callerReader) else { break }
        }
        condition.lock()
        while running > 0 { condition.wait() }
        defer { condition.unlock() }
        if let failure { return .failure(failure) }
        if cancelled { return .success([]) }
        var out: [(records: [RecordSummary], problems: [VaultError])] = []
        for index in handed..<sent {
            guard let r = results.removeValue(forKey: index) else { return .failure(.storage("a search worker lost a batch")) }
            out.append(r)
        }
        handed = sent
        return .success(out)
    }

    private func next() -> (index: Int, rows: [SealedLatest])? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !closed && failure == nil { condition.wait() }
        guard failure == nil, !cancelled, !queue.isEmpty else { return nil }
        condition.broadcast()
        return queue.removeFirst()
    }

    /// Records the first failure; every thread stops taking batches.
    func fail(_ error: VaultError) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        defer {
            condition.lock()
            running -= 1
            condition.broadcast()
            condition.unlock()
        }
        // Without locked buffers of its own (mlock limit) this worker does nothing: the others,
        // and the calling thread in `finish`, do its share.
        guard let reader = try? makeWorkerReader(needle, aliases) else { return }
        while let (index, rows) = next() {
            guard process(index: index, rows: rows, reader: reader) else { return }
        }
    }

    /// Opens, folds and matches one batch; false (after recording the failure) if a record
    /// failed for a reason other than damage.
    private func process(index: Int, rows: [SealedLatest], reader: SearchReader) -> Bool {
        var records: [RecordSummary] = []
        var problems: [VaultError] = []
        for row in rows {
            do {
                let found = try row.wrappedKey.withUnsafeBytes { key in
                    try row.meta.withUnsafeBytes { meta in
                        try row.body.withUnsafeBytes { body in
                            try vault.searchOne(
                                recordID: row.recordID, wrappedKey: key, version: row.version,
                                meta: meta, body: body, reader: reader)
                        }
                    }
                }
                if let found { records.append(found) }
            } catch let e as VaultError {
                guard case .recordIntegrity = e else { fail(e); return false }
                problems.append(e)
            } catch {
                fail(.storage(vault.store.describe(error)))
                return false
            }
        }
        condition.lock()
        results[index] = (records, problems)
        condition.unlock()
        return true
    }
}
