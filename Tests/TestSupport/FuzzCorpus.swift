import Foundation

/// The committed libFuzzer corpora (Tests/Fuzz/corpus/<target>: seeds, and crash inputs found by
/// `make fuzz` once added), replayed by each module's own tests as regression tests.
public enum FuzzCorpus {
    /// Tests/Fuzz/corpus, found from this file's path (Tests/TestSupport/FuzzCorpus.swift).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    /// Every input of corpus `name`, sorted by file name. Throws if the folder cannot be listed or a
    /// file cannot be read (a missing corpus is an error, not an empty one).
    public static func inputs(_ name: String) throws -> [(name: String, bytes: [UInt8])] {
        let dir = root.appendingPathComponent(name)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map { file in
            (name: "\(name)/\(file)", bytes: Array(try Data(contentsOf: dir.appendingPathComponent(file))))
        }
    }
}
