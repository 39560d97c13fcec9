import Foundation
import Redaction
import VaultCore

/// Output formats of `export`.
public enum ExportFormat: String, CaseIterable, Sendable {
    case text, markdown, json
}

/// A redacted excerpt ready for review (`redact`) or publication (`export`).
public struct PreparedExcerpt: Sendable {
    public var recordID: String
    public var version: Int
    public var firstLine: Int
    public var lastLine: Int
    /// The redacted text's UTF-8, as it is published (held as bytes: the file is made from them,
    /// and a string of them is made only when asked for, ``text``).
    /// Set through ``text`` from outside the module (always valid UTF-8: the file is these bytes).
    public internal(set) var utf8: [UInt8]
    /// The redacted text.
    public var text: String {
        get { String(decoding: utf8, as: UTF8.self) }
        set { utf8 = Array(newValue.utf8) }
    }
    /// What was hidden, by rule (line numbers are record lines).
    public var findings: Findings
    /// Leak-check hits not accepted by the reporter (line numbers are record lines). Export refuses
    /// while this is not empty.
    public var leaks: [Leak]
    /// Near-miss hits the reporter accepted, as `RULE_ID:LINE`.
    public var accepted: [String]
    /// Whether any rule in scope hides anything in the record (this version, anywhere in it, not
    /// only in the excerpt). If none does, the review guard refuses the export.
    public var rulesApply = false
    /// `--no-rules`: the reporter states that the record names nobody (overrides the review guard).
    public var noRules = false
    /// Record lines of the phrases `suggest` lists in the excerpt that no rule covers (one entry
    /// per phrase).
    public var uncoveredLines: [Int] = []
    /// Invisible formatting characters (bidi controls, zero-width characters…) removed from `text`.
    public var invisibleRemoved = 0
    /// The source's facts this excerpt states and what it adds to what was published (§6.11).
    public var disclosure: DisclosureCheck
    /// `--accept-disclosure`: publish even though the disclosure threshold is reached (audited).
    public var acceptDisclosure = false

    /// Redactions by label.
    public var counts: [String: Int] {
        findings.countsByLabel
    }

    /// The review guard: no rule applies to the record and `--no-rules` was not given.
    public var unreviewed: Bool { !rulesApply && !noRules }

    /// The disclosure guard: the excerpt reaches the source's threshold and it was not accepted.
    public var disclosureRefused: Bool { disclosure.reachesThreshold && !acceptDisclosure }

    /// Whether `export` would write this excerpt.
    public var exportable: Bool { leaks.isEmpty && !unreviewed && !disclosureRefused }
}

/// Selection, redaction and the fail-closed leak check, over one record of an unlocked vault.
public enum Exporter {
    /// Decrypts the record in memory, selects the passage, applies every rule in scope, removes
    /// invisible formatting characters and runs the leak check (on the text as written, as an HTML
    /// renderer shows it and with right-to-left runs in display order). Writes nothing.
    public static func prepare(
        vault: Vault, id: String, version: Int? = nil, selection: ExcerptSelection,
        accept: [String] = [], noRules: Bool = false, acceptDisclosure: Bool = false
    ) throws -> PreparedExcerpt {
        // The vault's rules are read, checked against the manifest and opened on a thread of their
        // own while the record is read and decrypted (as the guard's facts below: reads through the
        // vault's serialized store and immutable keys only). Once the record's metadata is open, the
        // rules that apply to it are compiled into the redactor and the leak check's indexes on
        // another, while its body is decrypted and validated (the second core was idle then).
        let shared = SharedVault(vault: vault)
        let allRules = Pending { Result { () throws(VaultError) in try shared.vault.rules() } }
        defer { allRules.wait() }
        // The disclosure guard's facts are read and its matcher compiled on a thread of their own
        // from as soon as the source is known too (§6.11): after `suggest`'s candidates on the side
        // thread, they made it the longest path of the export at 1,000 facts.
        var compiling: Pending<CompiledRules>?
        var preparingGuard: Pending<Result<DisclosureCheck.Prepared, any Error>>?
        defer {
            compiling?.wait()
            preparingGuard?.wait()
        }
        var record = try vault.recordForPublishing(id, version: version) { rid, sourceID in
            compiling = Pending { CompiledRules(allRules.take(), recordID: rid, sourceID: sourceID, vault: shared.vault) }
            preparingGuard = Pending { Result { try DisclosureCheck.prepare(vault: shared.vault, sourceID: sourceID) } }
        }
        // (Both started: the metadata is opened before the body.)
        guard let compiled = compiling?.take(), let guardPreparing = preparingGuard else {
            throw VaultError.recordIntegrity(recordID: record.summary.id)
        }
        let rid = record.summary.id
        // Errors in the order they were met one after the other: the rules', the selection's, the
        // redactor's, then (after redacting) the leak check's.
        let rules = try compiled.rules.get()
        var excerpt = try Excerpt.select(selection, from: record.body)
        // `suggest`'s summary reads only the excerpt and, at the end, what was redacted: its
        // candidates are found on another thread from the start, beside the whole check.
        let pending = rules
        // The excerpt's UTF-8, copied once for the two threads that read it at the same time
        // (`suggest`'s candidates and the redaction each made their own: two record-sized copies
        // at the export's peak), and let go once both have it.
        let utf8 = SharedBytes(Array(excerpt.text.utf8), readers: 2)
        // A whole record is held once from here, as those bytes: its string (the record's body and
        // the excerpt) is let go, and made again only where it is needed (a pattern that scans the
        // whole text, the published text). Held as both, it was a record-sized copy through the
        // whole export.
        let text: String? = selection == .whole ? nil : excerpt.text
        if selection == .whole {
            record.body = ""
            excerpt.text = ""
        }
        let ((redactedFindings, redactor, display, checked, stated), candidates) = try Parallel.both({
            PendingSuggestions(utf8: utf8.take(), text: text, rules: pending)
        }) { () throws -> (Findings, Redactor, (utf8: [UInt8], removed: Int), [Leak], Set<String>) in
            let (redactor, unjoined) = try compiled.built.get()
            // A pattern the engine gives up on from here (redacting and checking, and `suggest`'s
            // detectors while they run) refuses the excerpt: its later matches were neither hidden
            // nor looked for.
            let failuresBefore = redactor.patternFailures()
            // The guard's facts, once they are read and folded, are joined to the leak check's
            // automaton of the rules' terms while redacting: they are matched in the scan that
            // matches those terms (§6.11). If preparing the guard failed, its error is thrown below,
            // after the leak check's own.
            let (redacted, built) = Parallel.both({ () -> Result<LeakChecker, RedactionError> in
                unjoined.map { $0.joining(try? guardPreparing.value.get().matcher) }
            }) {
                redactor.redactUTF8(utf8: utf8.take(), text: text)
            }
            let checker: LeakChecker
            switch built {
            case .success(let c): checker = c
            case .failure(let error): throw PublishingError.badRule(error)
            }
            // What is published has no invisible formatting; the leak check reads both texts (the
            // right-to-left runs are only visible in the one that still has its controls). The
            // guard's facts are matched on the leak check's folds of the published text.
            // Each text is checked as UTF-8 before it is made a string (the excerpt itself when
            // nothing was hidden, and then its bytes are those `suggest` and the redaction
            // shared): no text is held twice while it is checked.
            let written: String? = redacted.isInput ? text : nil
            let invisible = redacted.utf8.withUnsafeBufferPointer { DisplaySafety.invisibleFormatting(in: $0, removing: false) }
            let display: (utf8: [UInt8], removed: Int)
            let findings: Findings
            var leaks: [Leak], stated: Set<String>
            if invisible.removed == 0 {
                (leaks, stated) = checker.checkStatingFacts(utf8: redacted.utf8, text: written)
                let result = redactor.finishUTF8(consume redacted)
                findings = result.findings
                display = (result.utf8, 0)
            } else {
                // The text as written first; then the published text, which is never the written
                // one as a string (its findings keep their replacements apart).
                let asWritten = checker.check(utf8: redacted.utf8, text: written)
                let shown = redacted.utf8.withUnsafeBufferPointer { DisplaySafety.invisibleFormatting(in: $0, removing: true) }
                findings = (consume redacted).findings
                (leaks, stated) = checker.checkStatingFacts(utf8: shown.utf8)
                leaks = Leak.merged(leaks, asWritten)
                display = (shown.utf8, shown.removed)
            }
            let gaveUp = redactor.rulesGivenUp(since: failuresBefore)
            guard gaveUp.isEmpty else { throw PublishingError.patternGaveUp(ruleIDs: gaveUp) }
            return (findings, redactor, display, leaks, stated)
        }
        let shift = excerpt.firstLine - 1
        var findings = redactedFindings
        // (One number for all of them: text dense with numbers has a hundred thousand findings.)
        findings.shiftLines(by: shift)
        // Review guard: does any rule hide anything anywhere in the record?
        let rulesApply =
            !findings.isEmpty
            || (selection != .whole && !rules.isEmpty && !redactor.redact(record.body).findings.isEmpty)
        // The source's facts in the text as it would be published (§6.11).
        let guardPrepared = try guardPreparing.value.get()
        let disclosure = guardPrepared.evaluate(found: stated)
        var leaks = checked
        for i in leaks.indices { leaks[i].line += shift }
        // Phrases no rule covers (a rule's other Korean spelling, already hidden (issue 15), is advice
        // `suggest` gives, never an uncovered phrase: `covered(by:in:)` does not list it).
        let uncovered = candidates.uncoveredLines(by: redactedFindings).map { $0 + shift }

        var accepted: [String] = []
        for a in accept {
            let parts = a.split(separator: ":")
            guard parts.count == 2, parts[0].count >= 4, let line = Int(parts[1]) else {
                throw PublishingError.invalidAccept("--accept takes RULE_ID:LINE as printed by the leak check (got '\(a)')")
            }
            let matching = leaks.filter { $0.ruleID.hasPrefix(parts[0].lowercased()) && $0.line == line }
            guard !matching.isEmpty else {
                throw PublishingError.invalidAccept("--accept \(a): the leak check reports nothing there for this export")
            }
            // Only a single near miss can be accepted: never an exact or separator-free hit, never
            // a term glued into an address, and never several hits at once (one could hide another).
            guard matching.allSatisfy({ $0.kind.isNearMiss && $0.occurrences == 1 }) else {
                throw PublishingError.invalidAccept(
                    "--accept \(a): that is a real occurrence of a rule term (or several hits on one line), not a single near miss; rephrase the line or fix the rules"
                )
            }
            leaks.removeAll { $0.ruleID.hasPrefix(parts[0].lowercased()) && $0.line == line }
            accepted.append(matching.map { "\($0.ruleID):\($0.line)" }.first!)
        }
        return PreparedExcerpt(
            recordID: rid, version: record.summary.version, firstLine: excerpt.firstLine,
            lastLine: excerpt.lastLine, utf8: display.utf8, findings: findings, leaks: leaks,
            accepted: accepted, rulesApply: rulesApply, noRules: noRules,
            uncoveredLines: uncovered, invisibleRemoved: display.removed, disclosure: disclosure,
            acceptDisclosure: acceptDisclosure)
    }

    /// The bytes of an export in `format`. Never contains hidden terms: only the redacted text,
    /// ids, line numbers, counts and a hash. Markdown and JSON are escaped so that what a renderer
    /// shows is the checked text (``SafeMarkup``).
    public static func render(_ p: PreparedExcerpt, format: ExportFormat) throws -> [UInt8] {
        switch format {
        case .text:
            // A line feed ends the file unless the text ends in one alone: "\r\n" is one character,
            // not a line feed (as `String.hasSuffix("\n")` read it, when the text was a string).
            let b = p.utf8
            let endsInLineFeed = b.last == 0x0A && (b.count < 2 || b[b.count - 2] != 0x0D)
            return b.isEmpty || endsInLineFeed ? b : b + [0x0A]
        case .markdown:
            return p.utf8.withUnsafeBufferPointer { SafeMarkup.markdownBytes(utf8: $0) }
        case .json:
            struct Doc: Encodable {
                struct Lines: Encodable { var first: Int; var last: Int }
                var excerpt: String; var record: String; var version: Int; var lines: Lines
                var redactions: [String: Int]; var blake2b256: String
            }
            let doc = Doc(
                excerpt: p.text, record: p.recordID, version: p.version,
                lines: .init(first: p.firstLine, last: p.lastLine), redactions: p.counts,
                blake2b256: try ContentHash.blake2b256Hex(p.utf8))
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return SafeMarkup.jsonEscapingHTML(Array(try enc.encode(doc))) + [0x0A]
        }
    }

    /// `redact`: the preview, audited before it is returned for display.
    public static func preview(
        vault: Vault, id: String, version: Int? = nil, selection: ExcerptSelection,
        accept: [String] = [], noRules: Bool = false, acceptDisclosure: Bool = false
    ) throws -> PreparedExcerpt {
        let p = try prepare(
            vault: vault, id: id, version: version, selection: selection, accept: accept,
            noRules: noRules, acceptDisclosure: acceptDisclosure)
        var ids = [
            "record": p.recordID, "version": String(p.version), "lines": "\(p.firstLine)-\(p.lastLine)",
            "leaks": String(p.leaks.count), "rules-apply": p.rulesApply ? "yes" : "no"
        ]
        if noRules { ids["no-rules"] = "yes" }
        if p.disclosure.reachesThreshold { ids["disclosure"] = p.acceptDisclosure ? "accepted" : "refused" }
        try vault.audit(AuditEvent("redact", ids: ids))
        return p
    }

    /// The gate `export` and `share` apply alike: the review guard, the leak check and the
    /// disclosure guard, each refusal audited as `action` with `ids` (which gains the excerpt's
    /// record, version, lines, format and counts).
    static func gate(
        _ p: PreparedExcerpt, action: String, format: ExportFormat, noRules: Bool, acceptDisclosure: Bool, vault: Vault,
        ids: inout [String: String]
    ) throws {
        ids.merge([
            "record": p.recordID, "version": String(p.version), "lines": "\(p.firstLine)-\(p.lastLine)",
            "format": format.rawValue, "accepted": String(p.accepted.count), "uncovered": String(p.uncoveredLines.count)
        ]) { $1 }
        if noRules { ids["no-rules"] = "yes" }
        guard !p.unreviewed else {
            try? vault.audit(AuditEvent(action, outcome: .failed("norules"), ids: ids))
            throw PublishingError.noRuleApplies
        }
        guard p.leaks.isEmpty else {
            ids["leaks"] = String(p.leaks.count)
            try? vault.audit(AuditEvent(action, outcome: .failed("leak"), ids: ids))
            throw PublishingError.leaksFound(p.leaks)
        }
        try DisclosureCheck.enforce(p.disclosure, accept: acceptDisclosure, vault: vault, action: action, ids: &ids)
    }

    /// The audit attribute (and so the kind of its keyed hash, §11.2) an export's excerpt is logged as.
    static let excerptKind = "excerpt"

    /// `export`: selects, redacts and leak-checks, refuses a record no rule applies to (unless
    /// `noRules`) and anything that leaks, records provenance, audits, then writes to `out` (or
    /// returns the bytes for standard output).
    public static func export(
        vault: Vault, id: String, version: Int? = nil, selection: ExcerptSelection, accept: [String],
        noRules: Bool = false, acceptDisclosure: Bool = false, format: ExportFormat, out: String?,
        overwrite: Bool
    ) throws -> (excerpt: PreparedExcerpt, bytes: [UInt8]) {
        let p = try prepare(
            vault: vault, id: id, version: version, selection: selection, accept: accept,
            noRules: noRules, acceptDisclosure: acceptDisclosure)
        return (
            p,
            try publish(
                p, vault: vault, noRules: noRules, acceptDisclosure: acceptDisclosure, format: format, out: out,
                overwrite: overwrite)
        )
    }

    /// `export` once the excerpt is prepared: the gate, the provenance and ledger entry (recorded
    /// only on the ledger the disclosure guard read, ``DisclosureCheck/record``), the audit entry,
    /// then the file. The entry comes first so that a guard that let two exports through at once
    /// cannot have written either; it is removed again if the audit or the write fails.
    static func publish(
        _ p: PreparedExcerpt, vault: Vault, noRules: Bool, acceptDisclosure: Bool, format: ExportFormat, out: String?,
        overwrite: Bool
    ) throws -> [UInt8] {
        var ids: [String: String] = [:]
        try gate(
            p, action: "export", format: format, noRules: noRules, acceptDisclosure: acceptDisclosure, vault: vault, ids: &ids)
        // The file's bytes and hash on this thread; the excerpt's hash and its keyed hash for the
        // audit entry on another (each 10-15 ms per 10 MB: the audit entry hashed it after both).
        // (What --out may never be: read once, checked now and again just before the file is named.)
        let protected = out == nil ? [] : [vault.directory] + [try vault.auditLogPath()].compactMap { $0 }
        if let out { try OutputFile.checkTarget(out, overwrite: overwrite, protecting: protected) }
        let excerpt = p.utf8
        let shared = SharedVault(vault: vault)
        // Once the bytes are made, the file is written and synced with no name (a third thread: the
        // kernel's copy of 10 MB took 25 ms after the audit), and named only once the audit entry is
        // durable (``AtomicFile/Staged``: until then there is nothing on disk to find).
        var staging: Pending<AtomicFile.Staged?>?
        defer { staging?.discard() }
        let ((bytes, outputHash), (excerptHash, excerptValue)) = try Parallel.both({
            (
                Result { try ContentHash.blake2b256Hex(excerpt) },
                Result { () throws(VaultError) in try shared.vault.auditValueHash(excerpt, kind: Self.excerptKind) }
            )
        }) {
            let bytes = try render(p, format: format)
            if let out { staging = Pending { AtomicFile.Staged.stage(bytes, beside: out) } }
            return (bytes, try ContentHash.blake2b256Hex(bytes))
        }
        var values: [String: [UInt8]] = [:]
        let hashed: [String: [UInt8]] = [Self.excerptKind: try excerptValue.get()]
        if let out { values["path"] = Array(out.utf8) }
        let entryID = try DisclosureCheck.record(
            provenanceEntry(p, format: format, excerptHash: try excerptHash.get(), outputHash: outputHash), p.disclosure,
            accept: acceptDisclosure, vault: vault,
            action: "export", ids: &ids)
        // Audited before the file has a name: if the entry cannot be made durable, nothing is
        // exported (the staged file, written meanwhile, is freed unnamed).
        do { try vault.audit(AuditEvent("export", ids: ids, values: values, hashedValues: hashed)) } catch {
            try? vault.removeExport(entryID)
            throw error
        }
        if let out {
            do {
                // The target checked again just before it is named (it was checked before the
                // render; with --overwrite, a name swapped meanwhile is refused).
                try OutputFile.checkTarget(out, overwrite: overwrite, protecting: protected)
                try OutputFile.write(bytes, staged: staging?.take(), to: out, overwrite: overwrite)
            } catch {
                try? vault.audit(AuditEvent("export", outcome: .failed("io"), ids: ids, values: values, hashedValues: hashed))
                try? vault.removeExport(entryID)
                throw error
            }
        }
        return bytes
    }

    /// `suggest`: candidates for new rules, audited.
    public static func suggestions(vault: Vault, id: String) throws -> [Suggestion] {
        let r = try vault.recordForPublishing(id)
        let rules = try RuleCompiler.compile(try vault.rules(forRecord: r.summary.id, sourceID: r.summary.metadata.source))
        let found = suggest(r.body, rules: rules)
        try vault.audit(AuditEvent("suggest", ids: ["record": r.summary.id, "count": String(found.count)]))
        return found
    }

    /// `suggest`, facts part: candidate facts about the record's source (ages, dates, numbers with
    /// units, place-like names, occupations, family words) that neither a rule in scope nor one of
    /// the source's facts covers, audited.
    public static func factSuggestions(vault: Vault, id: String) throws -> [FactSuggestion] {
        let r = try vault.recordForPublishing(id)
        let source = r.summary.metadata.source
        let rules = try RuleCompiler.compile(try vault.rules(forRecord: r.summary.id, sourceID: source))
        let facts = try vault.facts(forSource: source).map {
            RedactionRule(
                id: "fact-" + $0.id, pattern: .term($0.fact.term, variants: $0.fact.variants, substring: false), label: "FACT")
        }
        let found = suggestFacts(r.body, covering: rules + facts)
        try vault.audit(AuditEvent("suggest-facts", ids: ["record": r.summary.id, "count": String(found.count)]))
        return found
    }

    /// Records the export (encrypted) so `provenance` can find it later.
    public static func recordProvenance(vault: Vault, _ p: PreparedExcerpt, format: ExportFormat, output: [UInt8]) throws {
        try vault.recordExport(try provenanceEntry(p, format: format, output: output))
    }

    /// The provenance and ledger entry of an export of `p` whose bytes are `output` (§6.7).
    static func provenanceEntry(_ p: PreparedExcerpt, format: ExportFormat, output: [UInt8]) throws -> ExportEntry {
        provenanceEntry(
            p, format: format, excerptHash: try ContentHash.blake2b256Hex(p.utf8),
            outputHash: try ContentHash.blake2b256Hex(output))
    }

    /// The same, with the BLAKE2b-256 hex of the excerpt's text and of the output already made.
    static func provenanceEntry(_ p: PreparedExcerpt, format: ExportFormat, excerptHash: String, outputHash: String)
        -> ExportEntry
    {
        ExportEntry(
            recordID: p.recordID, version: p.version, firstLine: p.firstLine, lastLine: p.lastLine,
            format: format.rawValue, excerptHash: excerptHash, outputHash: outputHash, redactions: p.counts,
            accepted: p.accepted, source: p.disclosure.sourceID, facts: p.disclosure.stated)
    }

    /// Export entries whose output or excerpt matches `fileBytes` (the file as published, the
    /// excerpt inside a JSON export, or the text without its final newline).
    public static func provenance(vault: Vault, fileBytes: [UInt8]) throws -> [ExportEntry] {
        let found = try findProvenance(vault: vault, fileBytes: fileBytes)
        try vault.audit(AuditEvent("provenance", ids: ["count": String(found.count)], values: ["file": fileBytes]))
        return found
    }

    static func findProvenance(vault: Vault, fileBytes: [UInt8]) throws -> [ExportEntry] {
        var candidates: Set<String> = [try ContentHash.blake2b256Hex(fileBytes)]
        if fileBytes.last == 0x0A { candidates.insert(try ContentHash.blake2b256Hex(Array(fileBytes.dropLast()))) }
        if let obj = try? JSONSerialization.jsonObject(with: Data(fileBytes)) as? [String: Any],
            let excerpt = obj["excerpt"] as? String
        {
            candidates.insert(try ContentHash.blake2b256Hex(Array(excerpt.utf8)))
        }
        return try vault.exports().filter { candidates.contains($0.outputHash) || candidates.contains($0.excerptHash) }
    }
}

/// The rules that apply to one record, compiled into the redactor (with the vault's placeholder
/// names) and the leak check's indexes: each part's result, so that its error is thrown where the
/// export met it before they were made on a thread of their own.
private struct CompiledRules: Sendable {
    var rules: Result<[RedactionRule], any Error>
    /// The redactor, and the leak check built on it (whose error is thrown after redacting).
    var built: Result<(Redactor, Result<LeakChecker, RedactionError>), any Error>

    init(_ all: Result<[(id: String, rule: StoredRule)], VaultError>, recordID: String, sourceID: String, vault: Vault) {
        rules = Result {
            try RuleCompiler.compile(try all.get().filter { $0.rule.applies(toRecord: recordID, sourceID: sourceID) })
        }
        built = rules.flatMap { rules in
            Result {
                var redactor: Redactor
                do throws(RedactionError) { redactor = try Redactor(rules: rules) } catch { throw PublishingError.badRule(error) }
                // Detector and regex matches: the same value is the same placeholder in every excerpt.
                redactor.entityName = try vault.placeholderNamer()
                let compiled = redactor
                return (redactor, Result { () throws(RedactionError) in try LeakChecker(redactor: compiled) })
            }
        }
    }
}

/// Bytes handed to `readers` threads, each of which takes them once: the box lets go of them when
/// the last has taken them (each reader's copy lives as long as it uses it).
private final class SharedBytes: @unchecked Sendable {
    private var bytes: [UInt8]?
    private var readers: Int
    private let lock = NSLock()

    init(_ bytes: [UInt8], readers: Int) {
        self.bytes = bytes
        self.readers = readers
    }

    func take() -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        // (A reader more than were counted would get no text: it would redact and check nothing.)
        guard let taken = bytes, readers > 0 else { preconditionFailure("the bytes were taken by every reader already") }
        readers -= 1
        if readers == 0 { bytes = nil }
        return taken
    }
}

/// The vault handed to the side thread of an export, which only reads through its serialized store
/// and immutable keys while the main thread redacts (as `parallelSearch`'s workers do).
private struct SharedVault: @unchecked Sendable {
    let vault: Vault
}
