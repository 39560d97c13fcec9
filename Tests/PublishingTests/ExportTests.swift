import Foundation
import GRDB
import Redaction
import SodiumKit
import TestSupport
import Testing
import VaultCore

@testable import Publishing

final class Fixture {
    let tmp = TempDirectory("pub")
    let vault: Vault
    let recordID: String
    static let body = """
        Ri Jong-yol crossed near Hoeryŏng.
        He met Old Kim at the pumping station.

        이종열은 무산군에서 왔다.
        Call +86 138 0013 8000 if needed.
        The river was frozen.
        """

    init(rules: [StoredRule] = []) throws {
        vault = try Vault.create(
            directory: tmp.vault, passphrase: try SecureBytes(copying: Array("pw".utf8)),
            profile: .test
        ) { _ in }
        _ = try vault.addSource(alias: "Magpie")
        recordID = try vault.addRecord(NewRecord(sourceAlias: "Magpie", title: "T", body: Self.body))
        for r in rules { _ = try vault.addRule(r) }
    }
}

@Suite struct SelectionTests {
    @Test func linesAndQuotes() throws {
        let body = "one\ntwo\nthree\n\nfive Quote here\nsix\n"
        #expect(try Excerpt.select(.lines(2, 3), from: body) == Excerpt(text: "two\nthree\n", firstLine: 2, lastLine: 3))
        #expect(try Excerpt.select(.whole, from: body).lastLine == 6)
        // The whole text's last line, counted without the line table: as `--lines` counts them.
        for (text, last) in [("", 1), ("a", 1), ("a\n", 1), ("a\nb", 2), ("\n\n", 2), ("a\n\nb\n", 3)] {
            #expect(try Excerpt.select(.whole, from: text) == Excerpt(text: text, firstLine: 1, lastLine: last))
            if !text.isEmpty { #expect(try Excerpt.select(.lines(1, last), from: text).text == text) }
        }
        #expect(throws: PublishingError.self) { _ = try Excerpt.select(.lines(5, 7), from: body) }
        // A quote with different case and a line break instead of a space selects its paragraph
        // (--paragraph), or its sentence (here: everything up to the end, no sentence ends before).
        #expect(
            try Excerpt.select(.paragraph("QUOTE\nhere"), from: body)
                == Excerpt(text: "five Quote here\nsix\n", firstLine: 5, lastLine: 6))
        #expect(
            try Excerpt.select(.quote("QUOTE\nhere"), from: body)
                == Excerpt(text: "five Quote here\nsix", firstLine: 5, lastLine: 6))
        #expect(throws: PublishingError.quoteNotFound) { _ = try Excerpt.select(.quote("absent words"), from: body) }
        #expect(throws: PublishingError.quoteAmbiguous(count: 2)) { _ = try Excerpt.select(.quote("t"), from: "t x\n\nt y") }
        #expect(throws: PublishingError.self) { _ = try ExcerptSelection.parseLines("3-1") }
        #expect(try ExcerptSelection.parseLines("4") == .lines(4, 4))
    }
}

@Suite struct ExportTests {
    static let rules = [
        StoredRule(kind: .term, value: "Ri Jong-yol", variants: ["이종열", "Jong-yol"], label: "PERSON"),
        StoredRule(kind: .term, value: "Hoeryŏng", label: "PLACE"),
        StoredRule(kind: .term, value: "Musan", variants: ["무산군"], label: "PLACE", replacement: "a border county"),
        StoredRule(kind: .detector, value: "phone", label: "PHONE"),
        StoredRule(kind: .term, value: "Old Kim", label: "PERSON")
    ]

    /// A regex rule the engine gives up on (its backtracking stack overflows on a long run of what
    /// it repeats) is not taken as having matched nothing past that point: the preview and the
    /// export are refused, naming the rule, and nothing is written; the record the pattern has no
    /// trouble with still exports.
    @Test func aPatternTheEngineGivesUpOnRefusesTheExport() throws {
        let f = try Fixture(rules: Self.rules)
        let rule = try f.vault.addRule(StoredRule(kind: .regex, value: "(?:x|y)*z", label: "ID"))
        let body = "Ri Jong-yol wrote " + String(repeating: "x", count: 1_000_000) + "\n"
        let id = try f.vault.addRecord(NewRecord(sourceAlias: "Magpie", title: "T2", body: body))
        let out = f.tmp.path + "/out.txt"
        for run in [
            { _ = try Exporter.preview(vault: f.vault, id: id, selection: .whole) },
            {
                _ = try Exporter.export(
                    vault: f.vault, id: id, selection: .whole, accept: [], format: .text, out: out, overwrite: false)
            }
        ] as [() throws -> Void] {
            #expect(throws: PublishingError.patternGaveUp(ruleIDs: [rule])) { try run() }
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole).exportable)
    }

    /// The rules are read on a thread of their own while the record is decrypted: a rule deleted
    /// from the file while the vault is open still stops the preview and the export, named (§6.8),
    /// and a record that is not there is still the error a mistyped id gets.
    @Test func aRuleDeletedWhileOpenStopsTheExport() throws {
        let f = try Fixture(rules: Self.rules)
        let deleted = try f.vault.addRule(StoredRule(kind: .term, value: "Pak", label: "PERSON"))
        let db = try DatabaseQueue(path: f.tmp.vaultDatabase)
        try db.write { try $0.execute(sql: "DELETE FROM rule WHERE id = ?", arguments: [deleted]) }
        let missing = VaultError.vaultIntegrity("rule \(deleted) is missing (deleted from the file?)")
        for run in [
            { _ = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole) },
            { _ = try Exporter.preview(vault: f.vault, id: f.recordID, selection: .whole) },
            {
                _ = try Exporter.export(
                    vault: f.vault, id: f.recordID, selection: .whole, accept: [], format: .text,
                    out: f.tmp.path + "/out.txt", overwrite: false)
            }
        ] as [() throws -> Void] {
            #expect { try run() } throws: { ($0 as? VaultError) == missing }
        }
        #expect(!FileManager.default.fileExists(atPath: f.tmp.path + "/out.txt"))
        #expect(throws: VaultError.noSuchRecord(prefix: "ffffffffffff")) {
            _ = try Exporter.prepare(vault: f.vault, id: "ffffffffffff", selection: .whole)
        }
        // A body that fails its check after the metadata opened (and the rules began compiling on
        // their thread): the record's error, as before, with the rule still missing.
        try db.write { try $0.execute(sql: "UPDATE record_version SET body = meta WHERE record_id = ?", arguments: [f.recordID]) }
        #expect(throws: VaultError.recordIntegrity(recordID: f.recordID)) {
            _ = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole)
        }
    }

    /// A whole record is held once, as its UTF-8 (no string of it while it is redacted and checked):
    /// its export is the export of the same lines through the string path (`--lines 1-N`), with
    /// nothing hidden, a text NFC changes, a regex rule that scans the whole text, and invisible
    /// formatting to remove.
    @Test func aWholeRecordHeldAsBytesExportsAsItsLines() throws {
        let bodies = [
            "Nothing to hide here.\nA second line.\n",
            "Cafe\u{301} by the river, decomposed.\nJo\u{308}rg left at dawn.",
            "Ri Jong-yol met Pak at Kilometre 14.\nCall +86 138 0013 8000.\n",
            "Jo\u{200B}ng-yol \u{202E}loy-gnoJ iR\u{202C} crossed.\nThe river was frozen.\n"
        ]
        let rules = Self.rules + [StoredRule(kind: .regex, value: "Kilometre [0-9]+", label: "PLACE")]
        for body in bodies {
            let f = try Fixture(rules: rules)
            let id = try f.vault.addRecord(NewRecord(sourceAlias: "Magpie", title: "B", body: body))
            let whole = try Exporter.prepare(vault: f.vault, id: id, selection: .whole, noRules: true)
            let lines = try Exporter.prepare(
                vault: f.vault, id: id, selection: .lines(1, whole.lastLine), noRules: true)
            #expect(whole.text == lines.text, "\(body.debugDescription)")
            #expect(whole.text.utf8.elementsEqual(lines.text.utf8))
            #expect(Array(whole.findings) == Array(lines.findings))
            #expect(whole.leaks == lines.leaks && whole.invisibleRemoved == lines.invisibleRemoved)
            #expect(whole.uncoveredLines == lines.uncoveredLines)
        }
        // (The paths differ where they should: the text NFC changes is exported normalized, the
        // regex rule hid its match, the invisible formatting was removed.)
        let f = try Fixture(rules: rules)
        let nfc = try f.vault.addRecord(NewRecord(sourceAlias: "Magpie", title: "N", body: bodies[1]))
        // (Compared as bytes: as strings, "e\u{301}" and "\u{E9}" are equal.)
        let normalized = try Exporter.prepare(vault: f.vault, id: nfc, selection: .whole, noRules: true).text
        #expect(Array(normalized.utf8).starts(with: Array("Caf\u{E9} ".utf8)))
        #expect(!normalized.unicodeScalars.contains("\u{301}"))
        let regex = try f.vault.addRecord(NewRecord(sourceAlias: "Magpie", title: "R", body: bodies[2]))
        #expect(!(try Exporter.prepare(vault: f.vault, id: regex, selection: .whole).text.contains("Kilometre")))
        let hidden = try f.vault.addRecord(NewRecord(sourceAlias: "Magpie", title: "H", body: bodies[3]))
        let reversed = try Exporter.prepare(vault: f.vault, id: hidden, selection: .whole, noRules: true)
        #expect(reversed.invisibleRemoved >= 2)
        // The name reversed inside the override is found in the written text's display order.
        #expect(reversed.leaks.contains { $0.kind == .reversed })
        #expect(!reversed.exportable)
    }

    @Test func wholeRecordIsRedactedAndClean() throws {
        let f = try Fixture(rules: Self.rules)
        let p = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole)
        #expect(p.leaks.isEmpty)
        for secret in ["Jong", "이종열", "Hoery", "무산", "138", "Old Kim"] { #expect(!p.text.contains(secret), "\(secret)") }
        #expect(p.text.contains("[PERSON-1] crossed near [PLACE-1]."))
        #expect(p.text.contains("[PERSON-1]은 a border county에서 왔다."))
        #expect(p.text.contains("The river was frozen."))
        #expect(p.counts["PERSON"] == 3 && p.counts["PHONE"] == 1)
        let json = try JSONSerialization.jsonObject(with: Data(try Exporter.render(p, format: .json))) as! [String: Any]
        #expect(json["record"] as? String == f.recordID)
        #expect((json["excerpt"] as? String) == p.text)
        let hash = try ContentHash.blake2b256Hex(Array(p.text.utf8))
        #expect(json["blake2b256"] as? String == hash)
        #expect(!String(decoding: try Exporter.render(p, format: .json), as: UTF8.self).contains("Jong"))
    }

    /// A text export ends in one line feed, read from the excerpt's bytes as it was from the
    /// string: "\r\n" is one character, not a line feed, and gets one; a lone "\n" does not.
    @Test func aTextExportEndsInOneLineFeed() throws {
        let f = try Fixture(rules: Self.rules)
        var p = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole)
        for (text, file) in [
            ("", ""), ("a", "a\n"), ("a\n", "a\n"), ("a\r\n", "a\r\n\n"), ("a\n\u{301}", "a\n\u{301}\n"), ("\n", "\n"),
            ("a\r", "a\r\n")
        ] {
            p.text = text
            #expect(try Exporter.render(p, format: .text) == Array(file.utf8), "\(Array(text.utf8))")
            let old = text.hasSuffix("\n") || text.isEmpty ? text : text + "\n"
            #expect(file == old)
        }
    }

    @Test func scopesApplyOnlyWhereTheySay() throws {
        let f = try Fixture()
        let other = try f.vault.addSource(alias: "Crane")
        _ = try f.vault.addRule(StoredRule(kind: .term, value: "Hoeryŏng", label: "PLACE", scope: .source(id: other.id)))
        #expect(try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole).text.contains("Hoeryŏng"))
        _ = try f.vault.addRule(StoredRule(kind: .term, value: "Hoeryŏng", label: "PLACE", scope: .record(id: f.recordID)))
        #expect(!(try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole).text.contains("Hoeryŏng")))
    }

    @Test func lineNumbersAreRecordLines() throws {
        let f = try Fixture(rules: Self.rules)
        let p = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .lines(4, 5))
        #expect(p.firstLine == 4 && p.lastLine == 5)
        #expect(Set(p.findings.map(\.line)) == [4, 5])
    }

    /// A near miss (one letter off) refuses the export until accepted by rule id and line; an exact
    /// hit can never be accepted.
    @Test func nearMissNeedsExplicitAcceptance() throws {
        let f = try Fixture()
        let id = try f.vault.addRule(StoredRule(kind: .term, value: "Hoeryang", label: "PLACE"))
        // The record says "Hoeryŏng": edit distance 1 from "Hoeryang" after folding.
        let p = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole)
        #expect(p.leaks.map(\.ruleID) == [id] && p.leaks.first?.line == 1)
        let ok = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole, accept: ["\(id):1"])
        #expect(ok.leaks.isEmpty && ok.accepted == ["\(id):1"])
        #expect(throws: PublishingError.self) {
            _ = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole, accept: ["\(id):2"])
        }
    }

    @Test func provenanceFindsTheExport() throws {
        let f = try Fixture(rules: Self.rules)
        let p = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .lines(1, 2))
        for format in ExportFormat.allCases {
            let bytes = try Exporter.render(p, format: format)
            try Exporter.recordProvenance(vault: f.vault, p, format: format, output: bytes)
            let found = try Exporter.provenance(vault: f.vault, fileBytes: bytes)
            #expect(found.contains { $0.recordID == f.recordID && $0.format == format.rawValue && $0.firstLine == 1 })
        }
        #expect(try Exporter.provenance(vault: f.vault, fileBytes: Array("unrelated text\n".utf8)).isEmpty)
    }

    @Test func badRulesAreRefusedBeforeStorage() throws {
        #expect(throws: PublishingError.self) {
            try RuleCompiler.validate(StoredRule(kind: .regex, value: "([a-z", label: "PERSON"))
        }
        #expect(throws: PublishingError.self) {
            try RuleCompiler.validate(StoredRule(kind: .term, value: "---", label: "PERSON"))
        }
        #expect(throws: PublishingError.self) {
            try RuleCompiler.validate(StoredRule(kind: .detector, value: "dna", label: "ID"))
        }
        let f = try Fixture()
        _ = try f.vault.addRule(StoredRule(kind: .term, value: "Old Kim", label: "PERSON"))
        #expect(throws: VaultError.self) { _ = try f.vault.addRule(StoredRule(kind: .term, value: "OLD  KIM ", label: "PERSON")) }
        #expect(throws: VaultError.self) { _ = try f.vault.addRule(StoredRule(kind: .term, value: "  ", label: "PERSON")) }
    }
}

@Suite struct OutputFileTests {
    @Test func createsPrivateFileAndRefusesToOverwrite() throws {
        let tmp = TempDirectory("out")
        defer { withExtendedLifetime(tmp) {} }
        let dir = tmp.path
        let path = dir + "/x.txt"
        try OutputFile.write(Array("a".utf8), to: path, overwrite: false)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(throws: PublishingError.outputExists(path)) { try OutputFile.write(Array("b".utf8), to: path, overwrite: false) }
        #expect(FileManager.default.contents(atPath: path) == Data("a".utf8))
        try OutputFile.write(Array("b".utf8), to: path, overwrite: true)
        #expect(FileManager.default.contents(atPath: path) == Data("b".utf8))
        #expect(throws: PublishingError.self) {
            try OutputFile.write(Array("c".utf8), to: dir + "/missing/x.txt", overwrite: false)
        }
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["x.txt"])
    }

    /// A staged file has no name until it is given one: the directory shows nothing while it is
    /// written and synced, nor after it is dropped unnamed; named, it is the bytes, 0600, never
    /// over an existing file unless replacing, and no temporary name is left.
    @Test func aStagedFileHasNoNameUntilItIsGivenOne() throws {
        let tmp = TempDirectory("staged")
        defer { withExtendedLifetime(tmp) {} }
        let dir = tmp.path
        let path = dir + "/x.md"
        let files = { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }
        // (A file system with no unnamed files, an old overlayfs: the export writes the usual way.)
        guard AtomicFile.Staged.stage([0x61], beside: path) != nil else { return }
        do {
            let dropped = try #require(AtomicFile.Staged.stage(Array("dropped".utf8), beside: path))
            #expect(try files().isEmpty)
            withExtendedLifetime(dropped) {}
        }
        #expect(try files().isEmpty)
        let first = try #require(AtomicFile.Staged.stage(Array("first".utf8), beside: path))
        #expect(try files().isEmpty)
        #expect(try first.name(path, replace: false))
        #expect(FileManager.default.contents(atPath: path) == Data("first".utf8))
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        let second = try #require(AtomicFile.Staged.stage(Array("second".utf8), beside: path))
        #expect(throws: AtomicFile.Failure.exists) { _ = try second.name(path, replace: false) }
        #expect(FileManager.default.contents(atPath: path) == Data("first".utf8))
        #expect(try second.name(path, replace: true))
        #expect(FileManager.default.contents(atPath: path) == Data("second".utf8))
        #expect(try files() == ["x.md"])
        // Through OutputFile: an existing file is refused as before, whatever was staged.
        let third = AtomicFile.Staged.stage(Array("third".utf8), beside: path)
        #expect(throws: PublishingError.outputExists(path)) {
            try OutputFile.write(Array("third".utf8), staged: third, to: path, overwrite: false)
        }
        #expect(FileManager.default.contents(atPath: path) == Data("second".utf8))
        #expect(try files() == ["x.md"])
    }
}

/// An audit sink that refuses `export` entries while `refusing` (the log full, or gone), and
/// notes, when each `export` entry is made, what is in the export's directory then: whether the
/// file has its name already, and whether an unnamed file of this process is in that directory
/// (an `O_TMPFILE` file reads as `DIR/#INODE (deleted)` in `/proc/self/fd`).
final class RefusingExportSink: AuditSink {
    var refusing = true
    var refused = 0
    let path: String
    var namedAtEntry: [Bool] = []
    var stagedAtEntry: [Bool] = []

    init(watching path: String) { self.path = path }

    static func unnamedFiles(in dir: String) -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter {
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) ?? ""
            return target.hasPrefix(dir + "/#") && target.hasSuffix(" (deleted)")
        }.count
    }

    func failedUnlock(store: any VaultStore, vaultID: [UInt8], method: String) {}
    func unauthenticated(store: any VaultStore, vaultID: [UInt8], action: String) {}
    func unlocked(_ vault: Vault, method: String) throws -> Int { 0 }
    func record(_ event: AuditEvent, vault: Vault, sign: Bool) throws {
        guard event.action == "export", event.outcome == .ok else { return }
        namedAtEntry.append(FileManager.default.fileExists(atPath: path))
        // (The file is written on a thread of its own: it may not be open yet.)
        let dir = (path as NSString).deletingLastPathComponent
        var staged = false
        for _ in 0..<200 where !staged {
            staged = Self.unnamedFiles(in: dir) > 0
            if !staged { usleep(5_000) }
        }
        stagedAtEntry.append(staged)
        guard refusing else { return }
        refused += 1
        throw VaultError.storage("the audit log refuses the entry")
    }
}

@Suite struct AuditedBeforeWrittenTests {
    /// The export's file is written (unnamed) while its audit entry is made, and named only once
    /// the entry is durable: an export the log refuses leaves nothing in the directory, and the
    /// same export the log takes leaves the file, 0600, the bytes `render` makes.
    @Test func anExportTheLogRefusesLeavesNothingBehind() throws {
        let f = try Fixture(rules: ExportTests.rules)
        let dir = f.tmp.file("out")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let path = dir + "/x.md"
        let sink = RefusingExportSink(watching: path)
        f.vault.attachAudit(sink)
        // Whether this directory's file system has unnamed files (it is not the test's to say).
        let staging = AtomicFile.Staged.stage([0x61], beside: path) != nil
        for format in [ExportFormat.markdown, .text] {
            #expect(throws: (any Error).self) {
                _ = try Exporter.export(
                    vault: f.vault, id: f.recordID, selection: .whole, accept: [], format: format, out: path, overwrite: false)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
            // The refused export's unnamed file is let go with the call, not later.
            #expect(RefusingExportSink.unnamedFiles(in: dir) == 0)
        }
        #expect(sink.refused == 2)
        sink.refusing = false
        let (p, bytes) = try Exporter.export(
            vault: f.vault, id: f.recordID, selection: .whole, accept: [], format: .markdown, out: path, overwrite: false)
        let rendered = try Exporter.render(p, format: .markdown)
        #expect(FileManager.default.contents(atPath: path) == Data(bytes) && bytes == rendered)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["x.md"])
        // When each entry was made, the file had no name yet; where it can, it was written unnamed.
        #expect(sink.namedAtEntry == [false, false, false])
        #expect(sink.stagedAtEntry == [staging, staging, staging])
    }
}
