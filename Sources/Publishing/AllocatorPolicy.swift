#if canImport(Glibc)
import Glibc
#endif

/// How the C allocator is asked to behave while an export runs (memory, not behaviour: the bytes
/// exported are the same either way). Asked for by the one-shot `export`, `share` and `redact`
/// processes, never by the library: one arena for a whole process made a later parallel `search`
/// in the same process (an `open` session, the bench) contend for it, 843 -> 1,084 ms at 100,000
/// records.
public enum AllocatorPolicy {
    /// One malloc arena for the whole process. glibc otherwise gives each thread that allocates
    /// while another holds the lock an arena of its own (up to eight per core), and what a thread
    /// frees stays in its arena, where no other thread reuses it: the export's worker threads
    /// (redaction's patterns, the leak check's chunks, `suggest` and the disclosure guard beside
    /// them) each kept their own high-water mark resident. Two cores contend little for one arena.
    /// Applied once, when first read; arenas made before it stay in use.
    /// (`mallopt` is looked up at run time: `<malloc.h>` is not part of Swift's Glibc module.)
    /// Whether glibc took it.
    public static let singleArena: Bool = {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mArenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        return unsafeBitCast(symbol, to: Mallopt.self)(mArenaMax, 1) == 1
        #else
        return false
        #endif
    }()
}
