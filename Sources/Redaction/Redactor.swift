import Foundation

/// One redacted span.
public struct Finding: Sendable, Hashable {
    /// The rule that won the span (the longest match when several rules overlap).
    public var ruleID: String
    public var label: String
    /// 1-based line in the original text where the span starts.
    public var line: Int
    /// UTF-8 byte offsets in the original text, widened to whole grapheme clusters.
    public var originalRange: Range<Int>
    /// What replaced the span.
    public var replacement: String
}

/// Redacted text and what was hidden (by rule id and position, never the hidden text).
public struct RedactionResult: Sendable {
    public var text: String
    public var findings: Findings
}

/// A redaction before its output is a string (``Redactor/redactUTF8(_:utf8:)``): a caller that
/// checks the output's bytes first does not hold the output twice meanwhile. ``Redactor/finish(_:of:)``
/// makes the ``RedactionResult``.
public struct RedactedUTF8: Sendable {
    /// The output's UTF-8, NFC, as it is published.
    public var utf8: [UInt8]
    public var findings: Findings
    /// `utf8` is the input's own UTF-8: nothing was hidden, and the input was NFC (the input
    /// string is the output).
    public var isInput: Bool
    /// The findings' replacements are at their offsets in `utf8` (it was not normalized after
    /// they were placed).
    var replacementsInOutput: Bool
}

/// What one redaction hid, in text order: a collection of ``Finding`` values stored compactly
/// (24 bytes a finding, and every replacement's bytes in one buffer), each ``Finding`` made when it
/// is read. As an array of ``Finding``s (three strings each) the hundred thousand findings of 2 MiB
/// dense with phone numbers and dates took 10 MB, held through the whole export.
public struct Findings: RandomAccessCollection, Sendable {
    struct Entry {
        var rule: UInt32
        var line: UInt32
        var lo: UInt32
        var hi: UInt32
        var replacementStart: UInt32
        var replacementCount: UInt32
    }

    /// The rules the entries' indexes refer to (the redactor's array, shared, not copied).
    let rules: [RedactionRule]
    var entries: [Entry] = []
    /// The replacements' UTF-8, one after another, while the redaction is made: in blocks of 64 KiB
    /// (a replacement never spans two; a longer one has a block of its own), each entry's
    /// `replacementStart` being its block << 16 | its offset in it. One array doubling as it grew
    /// held 4.5 MiB for the 2 MiB of replacements of text dense with numbers (the export's peak).
    /// Once the output is made, the replacements are read from there instead
    /// (``readReplacements(from:)``) and the blocks let go.
    var replacementBlocks: [[UInt8]] = []
    static let replacementBlockSize = 1 << 16

    /// Whether the replacements are held apart from the output (it was normalized after they were
    /// placed, or it is not made yet).
    var replacementsHeldApart: Bool { output == nil && outputUTF8 == nil }
    /// The redaction's output (as a string, or as its UTF-8 when it was never made a string), when
    /// the entries' `replacementStart` are UTF-8 offsets in it.
    private var output: String? = nil
    private var outputUTF8: [UInt8]? = nil
    /// Added to every finding's line (``shiftLines(by:)``).
    var lineShift = 0

    init(rules: [RedactionRule]) { self.rules = rules }

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }

    public subscript(position: Int) -> Finding {
        let e = entries[position]
        let rule = rules[Int(e.rule)]
        return Finding(
            ruleID: rule.id, label: rule.label, line: Int(e.line) + lineShift,
            originalRange: Int(e.lo)..<Int(e.hi), replacement: replacement(e))
    }

    func replacement(_ e: Entry) -> String {
        let start = Int(e.replacementStart), count = Int(e.replacementCount)
        if let outputUTF8 { return String(decoding: outputUTF8[start..<start + count], as: UTF8.self) }
        guard let output else {
            let offset = start & 0xFFFF
            return String(decoding: replacementBlocks[start >> 16][offset..<offset + count], as: UTF8.self)
        }
        let utf8 = output.utf8
        let a = utf8.index(utf8.startIndex, offsetBy: start)
        return String(decoding: utf8[a..<utf8.index(a, offsetBy: count)], as: UTF8.self)
    }

    /// Points the entries at their replacements in `text`, the output made from them (the
    /// original with each entry's range, in order, replaced), and lets the replacements' own
    /// bytes go. `text` shares its storage with the output: nothing is copied.
    mutating func readReplacements(from text: String) {
        pointAtOutput()
        output = text
    }

    /// The same, with the output as its UTF-8 (the array's storage is shared, not copied).
    mutating func readReplacements(fromUTF8 bytes: [UInt8]) {
        pointAtOutput()
        outputUTF8 = bytes
    }

    private mutating func pointAtOutput() {
        var shift = 0
        for k in entries.indices {
            let e = entries[k]
            entries[k].replacementStart = UInt32(Int(e.lo) + shift)
            shift += Int(e.replacementCount) - (Int(e.hi) - Int(e.lo))
        }
        replacementBlocks = []
    }

    /// The findings' ranges in the original text (no ``Finding`` made for them).
    var originalRanges: [Range<Int>] { entries.map { Int($0.lo)..<Int($0.hi) } }

    /// The findings' ranges as a ``RangeSet`` (they are in text order and disjoint: no sorted copy).
    var covered: RangeSet { RangeSet(ascending: entries.lazy.map { Int($0.lo)..<Int($0.hi) }) }

    /// How many findings each label has (no ``Finding`` made for them).
    public var countsByLabel: [String: Int] {
        var perRule: [Int: Int] = [:]
        for e in entries { perRule[Int(e.rule), default: 0] += 1 }
        var out: [String: Int] = [:]
        for (rule, n) in perRule { out[rules[rule].label, default: 0] += n }
        return out
    }

    /// Adds `n` to every finding's line (an excerpt's lines in record lines).
    public mutating func shiftLines(by n: Int) { lineShift += n }

    mutating func append(rule: Int, line: Int, range: Range<Int>, replacement: String) {
        let count = replacement.utf8.count
        let size = Findings.replacementBlockSize
        if replacementBlocks.isEmpty || replacementBlocks[replacementBlocks.count - 1].count + count > size {
            var block: [UInt8] = []
            block.reserveCapacity(Swift.max(count, size))
            replacementBlocks.append(block)
        }
        let block = replacementBlocks.count - 1
        precondition(block < 1 << 16, "too many replacements for one redaction")
        let offset = replacementBlocks[block].count
        replacementBlocks[block].append(contentsOf: replacement.utf8)
        entries.append(
            Entry(
                rule: UInt32(rule), line: UInt32(line), lo: UInt32(range.lowerBound), hi: UInt32(range.upperBound),
                replacementStart: UInt32(block << 16 | offset), replacementCount: UInt32(count)))
    }
}

/// A regex or detector match already found (range and rule): a value, not an array per match
/// (texts dense with numbers have hundreds of thousands).
struct RegexMatch: Hashable {
    let lo: Int
    let hi: Int
    let rule: Int
}

/// A raw match in original-text coordinates, before merging.
///
/// Stored as five 32-bit numbers (20 bytes, not 40): texts dense with numbers have hundreds of
/// thousands of matches, held several times over while rounds are merged. Offsets and rule
/// indexes past `UInt32.max` trap (fail closed: nothing is exported) rather than wrap; a text
/// that long (4 GiB) is far beyond anything the vault holds in memory.
struct Span {
    private var lo32: UInt32
    private var hi32: UInt32
    private var rule32: UInt32
    private var matchLo32: UInt32
    private var matchHi32: UInt32

    var lo: Int {
        get { Int(lo32) }
        set { lo32 = UInt32(newValue) }
    }
    var hi: Int {
        get { Int(hi32) }
        set { hi32 = UInt32(newValue) }
    }
    var rule: Int {
        get { Int(rule32) }
        set { rule32 = UInt32(newValue) }
    }
    /// What the rule matched (for the winner of a merged span: its own match, before merging and
    /// widening). The numbering key (``Redactor/entity(_:bytes:folder:)``) is read from it only for
    /// the spans that are replaced: texts dense with numbers have hundreds of thousands of matches,
    /// and a string per match held them in memory several times over.
    var matchLo: Int {
        get { Int(matchLo32) }
        set { matchLo32 = UInt32(newValue) }
    }
    var matchHi: Int {
        get { Int(matchHi32) }
        set { matchHi32 = UInt32(newValue) }
    }

    /// The order ``Redactor/merge(sorted:bytes:)`` reads matches in: by start, longest first, then rule.
    static func inMergeOrder(_ a: Span, _ b: Span) -> Bool {
        a.lo32 != b.lo32 ? a.lo32 < b.lo32 : (a.hi32 != b.hi32 ? a.hi32 > b.hi32 : a.rule32 < b.rule32)
    }

    init(lo: Int, hi: Int, rule: Int) {
        lo32 = UInt32(lo)
        hi32 = UInt32(hi)
        rule32 = UInt32(rule)
        matchLo32 = lo32
        matchHi32 = hi32
    }
}

/// Compiled rules. Create once per rule set; `redact` is safe to call from any thread.
///
/// Guarantees of ``redact(_:)``:
/// - every byte outside the redacted spans is copied unchanged, and spans cover whole grapheme
///   clusters (a combining accent or jamo is never left behind or split);
/// - the output is NFC. Replacements are NFC and never start with a combining character, and spans
///   end on cluster boundaries, so nothing in a replacement can compose with its neighbours: for NFC
///   input the output is therefore NFC with no further change (checked, and tested). For input that
///   is not NFC the whole output is normalized to NFC as a last step — the unredacted parts are then
///   canonically equivalent to, not byte-identical with, the original; `originalRange` still refers
///   to the original bytes. The vault stores NFC text, so this path is for foreign input.
/// - a replacement never depends on the length of what it hides.
public struct Redactor: Sendable {
    let rules: [RedactionRule]
    let terms: TermIndex
    /// Term rules that are phone numbers, matched in any grouping (`PhoneIndex`).
    let phones: PhoneIndex
    let regexRules: [(rule: Int, regex: SharedRegex)]
    /// NFC replacement per rule (nil = numbered label).
    let fixedReplacements: [String?]
    /// Numbering key of each rule's term matches ("t<index>"), formatted once here, not per hit.
    let termEntities: [String]
    /// Whether each rule is a term rule.
    let isTerm: [Bool]
    /// A stable name for what a regex or detector rule matched (SECURITY.md §6.6: the vault derives
    /// it from a keyed hash of the label and the folded match), so the same phone number is the
    /// same placeholder in every excerpt. It gets `"LABEL\0folded match"` and returns the part
    /// after `LABEL-`. Nil numbers such matches per redaction.
    public var entityName: (@Sendable (String) -> String)?

    /// How many times the engine gave up on each of the regex and detector rules' patterns, so far
    /// (``ICURegex/failures``): read before and after a redaction and its leak check, for
    /// ``rulesGivenUp(since:)``.
    public func patternFailures() -> [Int] { regexRules.map { $0.regex.engine.failures } }

    /// The ids of the rules a pattern of which the engine gave up on since `before` (a reading of
    /// ``patternFailures()``): their matches past that point were not searched for, so what they
    /// hide may be in the output and the leak check did not look for it either.
    public func rulesGivenUp(since before: [Int]) -> [String] {
        var ids: [String] = []
        for (k, r) in regexRules.enumerated() where k < before.count && r.regex.engine.failures > before[k] {
            let id = rules[r.rule].id
            if !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    /// Compiles `rules`: folds every term and variant, builds one automaton for all of them,
    /// compiles regexes. Throws on the first bad rule, naming its id only.
    public init(rules: [RedactionRule]) throws(RedactionError) {
        var ids = Set<String>()
        var fixed: [String?] = []
        var regexRules: [(Int, SharedRegex)] = []
        for (index, rule) in rules.enumerated() {
            guard !rule.id.isEmpty else { throw .emptyRuleID }
            guard ids.insert(rule.id).inserted else { throw .duplicateRuleID(rule.id) }
            guard RuleLabel.isValid(rule.label) else { throw .invalidLabel(ruleID: rule.id) }
            if let r = rule.replacement {
                let normalized = TextSupport.nfc(r)
                guard let first = normalized.unicodeScalars.first,
                    !normalized.allSatisfy(\.isWhitespace)
                else { throw .invalidReplacement(ruleID: rule.id) }
                switch first.properties.generalCategory {
                case .nonspacingMark, .spacingMark, .enclosingMark: throw .invalidReplacement(ruleID: rule.id)
                default: if first.value == 0x200D { throw .invalidReplacement(ruleID: rule.id) }
                }
                fixed.append(normalized)
            } else {
                fixed.append(nil)
            }
            switch rule.pattern {
            case .term:
                break  // compiled below, all together
            case .regex(let pattern):
                guard !pattern.isEmpty,
                    let compiled = try? NSRegularExpression(pattern: pattern, options: [])
                else {
                    throw .invalidRegex(ruleID: rule.id)
                }
                // A pattern that matches the empty string would redact nothing yet hide errors.
                if compiled.firstMatch(in: "", options: [], range: NSRange(location: 0, length: 0)) != nil {
                    throw .invalidRegex(ruleID: rule.id)
                }
                regexRules.append((index, SharedRegex(compiled)))
            case .detector(let d):
                for r in d.patterns { regexRules.append((index, r)) }
            }
        }
        self.rules = rules
        self.fixedReplacements = fixed
        self.termEntities = rules.indices.map { "t\($0)" }
        self.isTerm = rules.map { if case .term = $0.pattern { true } else { false } }
        self.regexRules = regexRules
        self.terms = try TermIndex(rules: rules, mode: .standard)
        self.phones = PhoneIndex(rules: rules)
    }

    /// Redacts `text`: every span hit by a rule becomes the rule's replacement, or `[LABEL-N]`
    /// where N numbers entities per label in order of first appearance within this call.
    public func redact(_ text: String) -> RedactionResult {
        redact(text, utf8: Array(text.utf8))
    }

    /// ``redact(_:)`` given `text`'s UTF-8 (`utf8` must be exactly `Array(text.utf8)`), as the
    /// caller already holds it for another reader.
    public func redact(_ text: String, utf8 bytes: consuming [UInt8]) -> RedactionResult {
        finish(redactUTF8(text, utf8: bytes), of: text)
    }

    /// ``redact(_:utf8:)`` with the output left as UTF-8. The redactor lets go of `utf8` once it
    /// has found what to hide (the output is made from the text's own storage), or hands it back
    /// as the output when nothing was hidden.
    public func redactUTF8(_ text: String, utf8 bytes: consuming [UInt8]) -> RedactedUTF8 {
        precondition(bytes.count == text.utf8.count, "utf8 is not the text's UTF-8")
        // Native UTF-8 storage makes the UTF-8 offset → String.Index conversions below O(1)
        // (a no-op for native strings; bridged ones are copied once).
        var text = text
        text.makeContiguousUTF8()
        return redactUTF8(utf8: bytes, text: text)
    }

    /// ``redactUTF8(_:utf8:)`` of the text whose UTF-8 is `bytes` (valid UTF-8), given as `text`
    /// when the caller holds it as a string too (native, contiguous); without it, a string of the
    /// text is made only if a pattern scans the whole of it (an export's whole record is held once,
    /// as these bytes).
    public func redactUTF8(utf8 bytes: consuming [UInt8], text: String?) -> RedactedUTF8 {
        // (Bytes that are not the text would be redacted while the text is published.)
        precondition(text.map { $0.utf8.count == bytes.count } ?? true, "utf8 is not the text's UTF-8")
        var clusters: [Span]
        do {
            let input = copy bytes  // (the same storage, for the closure: a parameter it captures could not be let go below)
            clusters = TextSupport.once({ text ?? String(decoding: input, as: UTF8.self) }) {
                mergedSpans(text: $0, bytes: input)
            }
        }

        // Nothing hidden: the output is the text itself (its storage shared, not copied), NFC.
        guard !clusters.isEmpty else {
            let findings = Findings(rules: rules)
            guard bytes.withUnsafeBufferPointer({ TextSupport.isNFC($0) }) else {
                var source = ""
                if let text { source = text } else { source = String(decoding: bytes, as: UTF8.self) }
                let normalized = TextSupport.nfc(source)
                return RedactedUTF8(utf8: Array(normalized.utf8), findings: findings, isInput: false, replacementsInOutput: false)
            }
            return RedactedUTF8(utf8: bytes, findings: findings, isInput: true, replacementsInOutput: false)
        }
        // (On text dense with numbers the output's peak: the caller's copy of the text is not
        // held beside the findings and the output when no other reader holds it.)
        if var text {
            _ = consume bytes
            return text.withUTF8 { output(clusters: &clusters, bytes: $0) }
        }
        return bytes.withUnsafeBufferPointer { output(clusters: &clusters, bytes: $0) }
    }

    /// The ``RedactionResult`` of `redacted`, a redaction of `text`: the output as a string (`text`
    /// itself when it is the output; nil: made from the output's bytes), the findings reading
    /// their replacements from it.
    public func finish(_ redacted: consuming RedactedUTF8, of text: String?) -> RedactionResult {
        if redacted.isInput, let text {
            precondition(text.utf8.count == redacted.utf8.count, "the redaction is not of this text")
            return RedactionResult(text: text, findings: redacted.findings)
        }
        let output = String(decoding: redacted.utf8, as: UTF8.self)
        redacted.utf8 = []
        // (Taken out, not copied: the entries are the only reference to their storage.)
        var findings = Findings(rules: rules)
        swap(&findings, &redacted.findings)
        if redacted.replacementsInOutput { findings.readReplacements(from: output) }
        return RedactionResult(text: output, findings: findings)
    }

    /// `finish` without the string: the output as its UTF-8 (the findings read their replacements
    /// from it), for a caller that publishes the bytes and never needs the text as a string (an
    /// export's file: making a string of 10 MB validated and copied it, 20 ms at the export's end).
    public func finishUTF8(_ redacted: consuming RedactedUTF8) -> (utf8: [UInt8], findings: Findings) {
        let output = redacted.utf8
        redacted.utf8 = []
        var findings = Findings(rules: rules)
        swap(&findings, &redacted.findings)
        if redacted.replacementsInOutput { findings.readReplacements(fromUTF8: output) }
        return (output, findings)
    }

    /// The redacted text's UTF-8 and findings of the text whose UTF-8 is `bytes` with `clusters`
    /// hidden (let go once they are findings, before the output is made).
    private func output(clusters: inout [Span], bytes: UnsafeBufferPointer<UInt8>) -> RedactedUTF8 {
        var findings = Findings(rules: rules)
        findings.entries.reserveCapacity(clusters.count)
        // entity → its "[LABEL-N]": an entity recurs often, so format its replacement once.
        var numbered: [String: String] = [:]
        // label → last N used; per-redaction numbers start after the numbers rules hold.
        var nextNumber: [String: Int] = [:]
        for r in rules { if let n = r.number { nextNumber[r.label] = max(nextNumber[r.label] ?? 0, n) } }
        // Line numbers as the clusters come (their starts only grow).
        var line = 1
        var counted = 0
        var folder = Folder(mode: .standard)
        var outputBytes = bytes.count
        for c in clusters {
            let rule = rules[c.rule]
            let replacement: String
            if let fixed = fixedReplacements[c.rule] {
                replacement = fixed
            } else {
                let entity = entity(c, bytes: bytes, folder: &folder)
                if entityName != nil, !isTerm[c.rule] {
                    // A stable name (the same for the same value wherever it is): nothing to
                    // remember, and on text dense with numbers nearly every value is new.
                    replacement = placeholder(rule, entity: entity, next: &nextNumber)
                } else if let known = numbered[entity] {
                    replacement = known
                } else {
                    replacement = placeholder(rule, entity: entity, next: &nextNumber)
                    numbered[entity] = replacement
                }
            }
            outputBytes += replacement.utf8.count - (c.hi - c.lo)
            line += TextSupport.newlines(in: bytes, counted..<max(counted, c.lo))
            counted = max(counted, c.lo)
            findings.append(rule: c.rule, line: line, range: c.lo..<c.hi, replacement: replacement)
        }
        clusters = []

        // The output is assembled from slices of `text` (already valid UTF-8, cut at cluster
        // boundaries) and the replacements' bytes, copied into a string allocated once at its
        // known size.
        let output = [UInt8](unsafeUninitializedCapacity: outputBytes) { out, initialized in
            var n = 0
            var copied = 0
            func copy(_ from: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) {
                guard !r.isEmpty else { return }
                UnsafeMutableRawPointer(out.baseAddress! + n).copyMemory(
                    from: from.baseAddress! + r.lowerBound, byteCount: r.count)
                n += r.count
            }
            for e in findings.entries {
                copy(bytes, copied..<Int(e.lo))
                let offset = Int(e.replacementStart & 0xFFFF)
                findings.replacementBlocks[Int(e.replacementStart >> 16)].withUnsafeBufferPointer { rep in
                    copy(rep, offset..<offset + Int(e.replacementCount))
                }
                copied = Int(e.hi)
            }
            copy(bytes, copied..<bytes.count)
            initialized = n
        }
        // (Normalized, the output no longer holds the replacements at the entries' offsets.)
        guard output.withUnsafeBufferPointer({ TextSupport.isNFC($0) }) else {
            let normalized = TextSupport.nfc(String(decoding: output, as: UTF8.self))
            return RedactedUTF8(utf8: Array(normalized.utf8), findings: findings, isInput: false, replacementsInOutput: false)
        }
        return RedactedUTF8(utf8: output, findings: findings, isInput: false, replacementsInOutput: true)
    }

    /// Numbering key of a span: the rule for terms (every variant is one entity); rule plus the
    /// folded match for regex and detector rules (each distinct phone number is its own entity;
    /// "010-1234-5678" and "010 1234 5678" may still differ, but case and width variants of one
    /// address do not).
    func entity(_ span: Span, bytes: UnsafeBufferPointer<UInt8>, folder: inout Folder) -> String {
        if case .term = rules[span.rule].pattern { return termEntities[span.rule] }
        let key = folder.fold(UnsafeBufferPointer(rebasing: bytes[span.matchLo..<span.matchHi])).bytes
        return "r\(span.rule):" + String(decoding: key, as: UTF8.self)
    }

    /// `[LABEL-N]` for one entity: the rule's own number for its terms; a stable name for a regex or
    /// detector match when the caller gave `entityName`; else the next number of the label.
    func placeholder(_ rule: RedactionRule, entity: String, next: inout [String: Int]) -> String {
        if case .term = rule.pattern, let n = rule.number { return "[\(rule.label)-\(n)]" }
        if case .term = rule.pattern {
        } else if let entityName, let colon = entity.utf8.firstIndex(of: UInt8(ascii: ":")) {
            return "[\(rule.label)-\(entityName(rule.label + "\0" + entity[entity.utf8.index(after: colon)...]))]"
        }
        let n = (next[rule.label] ?? 0) + 1
        next[rule.label] = n
        return "[\(rule.label)-\(n)]"
    }

    /// All raw matches of all rules, in original byte offsets (not merged, not snapped). A regex or
    /// detector match (range and rule) is listed once, however many of a detector's patterns find it.
    func rawSpans(text: String, bytes: [UInt8]) -> [Span] {
        rawSpans(text: { text }, bytes: bytes)
    }

    /// ``rawSpans(text:bytes:)`` with the text as a string asked of `text` only if a pattern scans
    /// the whole of it.
    func rawSpans(text: () -> String, bytes: [UInt8]) -> [Span] {
        // Folded chunk by chunk (ChunkedFold): the same hits, in memory bounded by a chunk.
        let found = terms.spans(in: bytes, phones: phones)
        let regex = regexSpans(in: text, viewBytes: bytes, excluding: nil)
        // No term or phone hit (text dense with numbers and no names): the regex spans as they
        // are, not copied beside themselves.
        guard !found.terms.isEmpty || !found.phones.isEmpty else { return regex }
        var spans: [Span] = []
        spans.reserveCapacity(found.terms.count + found.phones.count + regex.count)
        for hit in found.terms {
            spans.append(Span(lo: hit.lo, hi: hit.hi, rule: hit.rule))
        }
        // A phone number is one entity however it is grouped: "[PHONE-1]" for every form.
        for hit in found.phones {
            spans.append(Span(lo: hit.lo, hi: hit.hi, rule: hit.rule))
        }
        spans += regex
        return spans
    }

    /// Matches of the regex and detector rules in `view` (the text, or the text with spans
    /// blanked out: same byte offsets; `viewBytes` is its UTF-8), each (range, rule) once, sorted by
    /// range then rule. Built-in patterns run only around their anchors (``SuggestWindows``: the
    /// same matches as a scan of the whole view), so a view whose digits are all hidden costs next
    /// to nothing.
    func regexSpans(in view: String, viewBytes: [UInt8]) -> [Span] {
        regexSpans(in: { view }, viewBytes: viewBytes)
    }

    /// ``regexSpans(in:viewBytes:)`` with the view as a string made only if a pattern needs the
    /// whole of it (those that run around their anchors read `viewBytes` alone): a blanked view of
    /// a long text is not held twice.
    ///
    /// With `known` (spans in ``Span/inMergeOrder``), only the spans none of `known` has (as
    /// ``unseen(_:in:)`` keeps them): a later round finds again nearly everything the first found,
    /// and its spans are not all made only to be dropped.
    func regexSpans(in view: () -> String, viewBytes: [UInt8], excluding known: [Span]? = nil) -> [Span] {
        // A long view: the patterns on two threads (or more); those that run over most of it a
        // piece at a time share each piece. One search for the anchors, one set of windows.
        let patterns = regexRules
        let workers = viewBytes.count >= 1 << 16 ? ChunkedFold.workers : 1
        // (The scan, its anchors and windows, let go before the spans are made: on text dense with
        // numbers, megabytes at the export's peak.)
        func search() -> [SuggestWindows.PackedRanges] {
            var scan = SuggestWindows.Scan(viewBytes)
            return SuggestWindows.packedMatchesOfEach(
                patterns.map(\.regex), text: view, bytes: viewBytes, scan: &scan, workers: workers)
        }
        var found = search()
        if let merged = Redactor.merging(found, rules: patterns.map(\.rule), excluding: known) { return merged }
        var spans: [Span] = []
        spans.reserveCapacity(found.reduce(0) { $0 + $1.count })
        for k in found.indices {
            let rule = patterns[k].rule
            for r in found[k] { spans.append(Span(lo: r.lowerBound, hi: r.upperBound, rule: rule)) }
            found[k] = SuggestWindows.PackedRanges()  // each pattern's ranges let go once they are spans
        }
        let unique = Redactor.uniqued(consume spans)
        guard let known else { return unique }
        return Redactor.unseen(unique, in: known)
    }

    /// ``uniqued(_:)`` of the spans of every pattern's matches (`rules[k]` the rule of `lists[k]`),
    /// made by merging the lists, each already in order of start: no array of them all to sort
    /// and no sort's scratch space (half as large again). Nil if a list is not strictly in order of
    /// start, or if there are more than 64 (the caller then sorts).
    static func merging(_ lists: [SuggestWindows.PackedRanges], rules: [Int], excluding known: [Span]? = nil) -> [Span]? {
        // (Each span takes a look at every list: past a few dozen lists, sorting is cheaper.)
        guard lists.count <= 64 else { return nil }
        for list in lists {
            let p = list.packed
            for i in p.indices.dropFirst() where p[i] >> 32 <= p[i - 1] >> 32 { return nil }
        }
        var out: [Span] = []
        if known == nil { out.reserveCapacity(lists.reduce(0) { $0 + $1.count }) }
        var next = [Int](repeating: 0, count: lists.count)
        var seen = UnseenFilter(known ?? [])
        while true {
            // The smallest (lo, hi, rule) among the lists' next ranges (a few dozen lists at most).
            var best = -1
            var key = (lo: UInt64.max, rule: Int.max)
            for k in lists.indices where next[k] < lists[k].packed.count {
                let p = lists[k].packed[next[k]]
                // (lo << 32 | hi compares as (lo, hi).)
                if p < key.lo || (p == key.lo && rules[k] < key.rule) {
                    best = k
                    key = (p, rules[k])
                }
            }
            guard best >= 0 else { break }
            next[best] += 1
            let span = Span(lo: Int(key.lo >> 32), hi: Int(key.lo & 0xFFFF_FFFF), rule: key.rule)
            if let last = out.last, last.lo == span.lo, last.hi == span.hi, last.rule == span.rule { continue }
            if known != nil, seen.isKnown(span) { continue }
            out.append(span)
        }
        return out
    }

    /// Whether spans, taken in order of start, are among `known` (in ``Span/inMergeOrder``): the
    /// test ``unseen(_:in:)`` makes, one span at a time.
    struct UnseenFilter {
        let known: [Span]
        var k = 0
        init(_ known: [Span]) { self.known = known }

        mutating func isKnown(_ s: Span) -> Bool {
            // `known` by start: bisect to the first span starting at or after s.lo (the spans
            // asked about come by start too, so the search only moves forward).
            var lo = k, hi = known.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if known[mid].lo < s.lo { lo = mid + 1 } else { hi = mid }
            }
            k = lo
            var j = k
            while j < known.count, known[j].lo == s.lo {
                if known[j].hi == s.hi && known[j].rule == s.rule { return true }
                j += 1
            }
            return false
        }
    }

    /// `spans` sorted by (lo, hi, rule), each (lo, hi, rule) once (their match is their range).
    /// Sorted and uniqued in place (the caller hands the array over: no second copy of it).
    static func uniqued(_ spans: consuming [Span]) -> [Span] {
        spans.sort { ($0.lo, $0.hi, $0.rule) < ($1.lo, $1.hi, $1.rule) }
        var count = 0
        for k in spans.indices {
            if count > 0, spans[count - 1].lo == spans[k].lo, spans[count - 1].hi == spans[k].hi,
                spans[count - 1].rule == spans[k].rule
            {
                continue
            }
            spans[count] = spans[k]
            count += 1
        }
        spans.removeLast(spans.count - count)
        return spans
    }

    /// The spans of `found` (sorted by (lo, hi, rule), as ``regexSpans(in:viewBytes:)`` returns
    /// them, each once) whose (lo, hi, rule) is in none of `known` (in ``Span/inMergeOrder``): what
    /// a set of every match seen so far would let through, without the set (on text dense with
    /// numbers it held hundreds of thousands of matches).
    static func unseen(_ found: [Span], in known: [Span]) -> [Span] {
        var filter = UnseenFilter(known)
        return found.filter { !filter.isKnown($0) }
    }

    /// Merged spans, after the patterns have run again around what is hidden: once a span is
    /// replaced, its neighbours see a bracket where they saw a letter or digit ("+86138001" glued
    /// to "Jongyol" is no phone number until the name becomes "[PERSON-1]"). So the patterns run
    /// again on the text with the merged spans (whole grapheme clusters, as replaced) blanked out
    /// as "[]]]…" (same byte offsets), until nothing new turns up: redacting the redacted text then
    /// finds nothing more. Each round adds at least one match, so this ends; past 64 rounds (64
    /// numbers glued in a chain) the rest is left to the export's leak check, which refuses it.
    func mergedSpans(text: String, bytes: [UInt8]) -> [Span] {
        spans(text: text, bytes: bytes, keepFirstPass: false).merged
    }

    /// ``mergedSpans(text:bytes:)`` with the text as a string asked of `text` only if a pattern
    /// scans the whole of it.
    func mergedSpans(text: () -> String, bytes: [UInt8]) -> [Span] {
        spans(text: text, bytes: bytes, keepFirstPass: false).merged
    }

    /// ``mergedSpans(text:bytes:)`` and the raw matches of the first round (``rawSpans(text:bytes:seen:)``),
    /// or none unless `keepFirstPass` (a copy of every match: on text dense with numbers, megabytes).
    func spans(text: String, bytes: [UInt8], keepFirstPass: Bool = true) -> (firstPass: [Span], merged: [Span]) {
        spans(text: { text }, bytes: bytes, keepFirstPass: keepFirstPass)
    }

    /// ``spans(text:bytes:keepFirstPass:)`` with the text as a string asked of `text` only if a
    /// pattern scans the whole of it.
    func spans(text: () -> String, bytes: [UInt8], keepFirstPass: Bool) -> (firstPass: [Span], merged: [Span]) {
        var raw = rawSpans(text: text, bytes: bytes)
        let firstPass = keepFirstPass ? raw : []
        // Kept sorted as `merge` reads it, in place: no sorted copy per round. It holds every match
        // found so far, so a later round's matches are new when they are not in it (``unseen``).
        raw.sort(by: Span.inMergeOrder)
        guard !raw.isEmpty, !regexRules.isEmpty else { return (firstPass, merge(sorted: raw, bytes: bytes)) }
        /// The matches in the text with `spans` blanked out (the view lives only for the call).
        func found(blanking spans: [Span], excluding known: [Span]) -> [Span] {
            var view = bytes
            for m in spans { Redactor.blank(m, in: &view) }
            return regexSpans(in: { String(decoding: view, as: UTF8.self) }, viewBytes: view, excluding: known)
        }
        for _ in 0..<64 {
            // Two views: everything hidden (a number glued to the one before it), and only the
            // terms hidden, so a pattern may still grow over a shorter match ("5 May 2024" where
            // "May 2024" alone matched while a name clung to the "5").
            // (Skipped when it is the same view, or the original text, already searched.)
            // The merged spans are blanked as `merge` makes them, never held as an array beside
            // the view (on text dense with numbers, megabytes at the export's peak); only the
            // terms' are kept, for their own view.
            var termsOnly: [Span] = []
            var mergedCount = 0
            var more: [Span]
            do {
                var view = bytes
                forEachMerged(sorted: raw, bytes: bytes) { m in
                    mergedCount += 1
                    if isTerm[m.rule] { termsOnly.append(m) }
                    Redactor.blank(m, in: &view)
                }
                // (Only what `raw` does not hold yet is made: ``unseen(_:in:)``.)
                more = regexSpans(in: { String(decoding: view, as: UTF8.self) }, viewBytes: view, excluding: raw)
            }
            if !termsOnly.isEmpty && termsOnly.count < mergedCount {
                more = Redactor.uniqued(more + found(blanking: termsOnly, excluding: raw))
            }
            guard !more.isEmpty else { break }
            // (At its size: appending to an array at its capacity would double it.)
            raw.reserveCapacity(raw.count + more.count)
            raw += more
            raw.sort(by: Span.inMergeOrder)
        }
        return (firstPass, merge(sorted: raw, bytes: bytes))
    }

    /// `span` blanked out in `view` (a copy of the text's bytes) as "[]]]…": the same byte offsets.
    @inline(__always) static func blank(_ span: Span, in view: inout [UInt8]) {
        guard span.lo < span.hi, span.hi <= view.count else { return }
        view[span.lo] = 0x5B
        for k in (span.lo + 1)..<span.hi { view[k] = 0x5D }
    }

    /// Merges overlapping matches into one span each (so nothing any rule matched stays visible),
    /// won by the longest match (then the earlier rule), widened to grapheme clusters.
    func merge(_ raw: [Span], bytes: [UInt8]) -> [Span] {
        merge(sorted: raw.sorted(by: Span.inMergeOrder), bytes: bytes)
    }

    /// ``merge(_:bytes:)`` of matches already in ``Span/inMergeOrder``. One array is made: the
    /// spans are merged into it, then widened and joined in place.
    func merge(sorted spans: [Span], bytes: [UInt8]) -> [Span] {
        guard !spans.isEmpty else { return [] }
        // Counted first, so the array is made at its size (grown by doubling it held up to twice
        // the spans, megabytes on text dense with numbers).
        var groups = 0
        var end = 0
        for s in spans {
            if groups == 0 || s.lo >= end {
                groups += 1
                end = s.hi
            } else {
                end = max(end, s.hi)
            }
        }
        var merged: [Span] = []
        merged.reserveCapacity(groups)
        forEachMerged(sorted: spans, bytes: bytes) { merged.append($0) }
        return merged
    }

    /// Each span ``merge(sorted:bytes:)`` returns, in order, with no array of them: overlapping
    /// matches are merged into one span, its winner the span's own match (`matchLo..<matchHi`, the
    /// longest, then the earlier rule), then widened to whole clusters and joined to the span before
    /// when the widening reaches it.
    func forEachMerged(sorted spans: [Span], bytes: [UInt8], _ emit: (Span) -> Void) {
        // The span being widened and joined (emitted once the next one starts past it).
        var pending: Span?
        var floor = 0
        func widen(_ group: Span) {
            var span = group
            if let last = pending, span.lo < last.hi {
                // Widening the previous span swallowed the start of this one: join them.
                let r = TextSupport.snapToGraphemes(bytes, last.hi, max(span.hi, last.hi), floor: last.hi)
                pending!.hi = max(last.hi, r.upperBound)
                floor = pending!.hi
                return
            }
            let r = TextSupport.snapToGraphemes(bytes, span.lo, span.hi, floor: floor)
            span.lo = r.lowerBound
            span.hi = r.upperBound
            if let last = pending, span.lo < last.hi {
                pending!.hi = max(last.hi, span.hi)
            } else {
                if let last = pending { emit(last) }
                pending = span
            }
            floor = pending!.hi
        }
        // The group of overlapping matches being merged (widened once the next one starts past it).
        var group: Span?
        for s in spans {
            if var m = group, s.lo < m.hi {
                m.hi = max(m.hi, s.hi)
                let length = s.hi - s.lo, winnerLength = m.matchHi - m.matchLo
                if length > winnerLength || (length == winnerLength && s.rule < m.rule) {
                    m.rule = s.rule
                    m.matchLo = s.matchLo
                    m.matchHi = s.matchHi
                }
                group = m
            } else {
                if let m = group { widen(m) }
                group = s
            }
        }
        if let m = group { widen(m) }
        if let last = pending { emit(last) }
    }
}
