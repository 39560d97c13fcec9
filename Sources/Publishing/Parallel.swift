import Foundation

/// Two independent pieces of work on two threads.
enum Parallel {
    /// Runs `side` on another thread while `main` runs on this one, and returns both results once
    /// both are done (also when `main` throws: `side` never outlives the call).
    static func both<A, B: Sendable>(_ side: @escaping @Sendable () -> B, _ main: () throws -> A) rethrows -> (A, B) {
        let box = ResultBox<B>()
        let group = DispatchGroup()
        DispatchQueue.global(qos: .userInitiated).async(group: group) { box.value = side() }
        defer { group.wait() }
        let a = try main()
        group.wait()
        return (a, box.value!)
    }
}

/// Written by one thread before a `DispatchGroup` leaves, read by another only after waiting on it.
private final class ResultBox<B>: @unchecked Sendable {
    var value: B?
}

/// Work started on another thread now and taken later: ``value`` waits for it. Whoever starts one
/// takes its value on every path (a `defer`), so that the work never outlives the caller.
final class Pending<T: Sendable>: @unchecked Sendable {
    private var result: T?
    private let group = DispatchGroup()

    init(_ work: @escaping @Sendable () -> T) {
        DispatchQueue.global(qos: .userInitiated).async(group: group) { self.result = work() }
    }

    /// The work's result, once it is done (written by its thread before the group leaves).
    var value: T {
        group.wait()
        return result!
    }

    /// The result, handed over: this object no longer holds it (a large or sensitive one is not
    /// kept alive for the rest of the caller's scope). Taken once; ``wait()`` after it.
    func take() -> T {
        group.wait()
        defer { result = nil }
        return result!
    }

    /// Waits for the work to be done, without reading its result.
    func wait() { group.wait() }

    /// Waits for the work, then lets its result go here and now (a result that holds a resource,
    /// a file descriptor, is not released later by whichever thread drops the last reference).
    func discard() {
        group.wait()
        result = nil
    }
}
