import Testing

@testable import Publishing

/// An export asks glibc for one malloc arena (what worker threads free stays reusable by the
/// others instead of resident in arenas of their own); glibc takes it.
@Suite struct AllocatorPolicyTests {
    @Test func glibcTakesTheSingleArena() {
        #if canImport(Glibc)
        #expect(AllocatorPolicy.singleArena)
        #endif
    }
}
