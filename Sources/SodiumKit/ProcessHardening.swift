internal import CSodium

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide protections for a program that holds keys and plaintext in memory.
public enum ProcessHardening {
    /// Turns core dumps off (they would contain keys and plaintext), marks the process not
    /// dumpable on Linux (which also stops same-user processes without CAP_SYS_PTRACE from
    /// attaching or reading `/proc/PID/mem`), and sets umask 077 so every file created is 0600.
    public static func apply() {
        var zero = rlimit(rlim_cur: 0, rlim_max: 0)
        #if os(Linux)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &zero)
        _ = sourcevault_set_not_dumpable()
        #else
        _ = setrlimit(RLIMIT_CORE, &zero)
        #endif
        umask(0o077)
        // A file-size limit makes writes fail with EFBIG (reported, refused) instead of killing us.
        signal(SIGXFSZ, SIG_IGN)
        installCrashHandlers()
    }

    /// glibc: allocations of 256 KiB and more are mapped on their own and unmapped when freed.
    /// Otherwise glibc raises this threshold to the largest buffer freed so far, and later
    /// multi-megabyte buffers (a sealed manifest is 2 MB at 100,000 records) land in the heap,
    /// which keeps their pages after use: a few MB more at `rekey`'s peak (issue 19; `rekey` only).
    public static func mapLargeAllocations() {
        #if os(Linux)
        _ = sourcevault_map_allocations_from(256 * 1024)
        #endif
    }

    /// Replaces the runtime's crash reporter, which prints registers and the memory they point at
    /// (possibly keys or plaintext) to stderr, with one fixed line and exit status 1.
    static func installCrashHandlers() {
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
            var action = sigaction()
            #if os(Linux)
            action.__sigaction_handler.sa_handler = { _ in
                let msg = "sourcevault: internal error: the program stopped itself; nothing more was written\n"
                _ = msg.withCString { write(2, $0, strlen($0)) }
                _exit(1)
            }
            #else
            action.__sigaction_u.__sa_handler = { _ in
                let msg = "sourcevault: internal error: the program stopped itself; nothing more was written\n"
                _ = msg.withCString { write(2, $0, strlen($0)) }
                _exit(1)
            }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            _ = sigaction(sig, &action, nil)
        }
    }
}

/// Whether the process may be dumped or ptrace-attached by same-user processes (Linux; false elsewhere).
public func prctlDumpable() -> Bool {
    #if os(Linux)
    return sourcevault_get_dumpable() != 0
    #else
    return false
    #endif
}
