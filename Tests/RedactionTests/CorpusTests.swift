import Foundation
import Testing

@testable import Redaction

/// The redaction corpus (Tests/RedactionTests/Corpus/*.json, issue 15 item 7): cases in English, Korean,
/// Chinese and mixed text, each with its rules, a text, what must be hidden and what must be kept,
/// grouped in classes (phone, emoji-boundary, confusable, jamo, initial-sound, … and the classes handled
/// before: case, spacing, hyphen, line-break, nfd, zero-width, full-width, possessive, particle, han).
///
/// A case is scored on the redacted text: a *leak* is a must-hide string still there (outside the
/// must-keep strings), an *over-redaction* a must-keep string that lost an occurrence, a *refusal* any
/// finding of the export's leak check (the reporter would be stuck). All three must be zero.
/// `make redaction-report` prints the table per language and class (REDACTION_REPORT=file).
@Suite struct CorpusTests {
    struct Rule: Decodable {
        var term: String?
        var variants: [String]?
        var label: String?
        var detector: String?
        var regex: String?
    }

    struct Case: Decodable {
        var `class`: String
        var rules: [Rule]
        var text: String
        var hide: [String]
        var keep: [String]
    }

    struct File: Decodable {
        var language: String
        var cases: [Case]
    }

    struct Score {
        var cases = 0, hide = 0, keep = 0, leaks = 0, overRedactions = 0, refusals = 0
        mutating func add(_ s: Score) {
            cases += s.cases; hide += s.hide; keep += s.keep
            leaks += s.leaks; overRedactions += s.overRedactions; refusals += s.refusals
        }
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    static func load() throws -> [File] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
        return try names.sorted().map { name in
            try JSONDecoder().decode(File.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
        }
    }

    static func rules(_ c: Case) throws -> [RedactionRule] {
        try c.rules.enumerated().map { index, r in
            let id = "r\(index)"
            if let d = r.detector {
                let detector = try #require(Detector(rawValue: d), "unknown detector \(d)")
                return .detector(id, detector)
            }
            if let regex = r.regex { return RedactionRule(id: id, pattern: .regex(regex), label: r.label ?? "PERSON") }
            let term = try #require(r.term, "a rule needs a term, detector or regex")
            return RedactionRule(
                id: id, pattern: .term(term, variants: r.variants ?? [], substring: false),
                label: r.label ?? "PERSON")
        }
    }

    static func occurrences(_ needle: String, in haystack: String) -> Int {
        guard !needle.isEmpty else { return 0 }
        var count = 0
        var rest = haystack[...]
        while let r = rest.range(of: needle, options: .literal) {
            count += 1
            rest = rest[r.upperBound...]
        }
        return count
    }

    /// Scores one case; `problems` gets a line per failure (for the test's messages).
    static func score(_ c: Case, problems: inout [String]) throws -> Score {
        let rules = try rules(c)
        let out = try Redactor(rules: rules).redact(c.text).text
        var s = Score(cases: 1, hide: c.hide.count, keep: c.keep.count)
        // Must-keep strings are masked first, so "Kim" is not found inside a kept "Kimbap".
        var masked = out
        for k in c.keep.sorted(by: { $0.count > $1.count }) {
            masked = masked.replacingOccurrences(of: k, with: "\u{1}", options: .literal)
        }
        for h in c.hide {
            if !c.text.contains(h) { problems.append("must-hide \(h.debugDescription) is not in the text") }
            if masked.contains(h) {
                s.leaks += 1
                problems.append("leak: \(h.debugDescription) in \(out.debugDescription)")
            }
        }
        for k in c.keep {
            if !c.text.contains(k) { problems.append("must-keep \(k.debugDescription) is not in the text") }
            if occurrences(k, in: out) < occurrences(k, in: c.text) {
                s.overRedactions += 1
                problems.append("over-redaction: \(k.debugDescription) in \(out.debugDescription)")
            }
        }
        let leaks = try LeakChecker(rules: rules).check(out)
        if !leaks.isEmpty {
            s.refusals += 1
            problems.append("export refuses \(leaks.map(\.description)): \(out.debugDescription)")
        }
        return s
    }

    @Test func corpusHasNoLeaksNoOverRedactionsNoRefusals() throws {
        let files = try Self.load()
        try #require(Set(files.map(\.language)).isSuperset(of: ["en", "ko", "zh", "mixed"]))
        var table: [String: [String: Score]] = [:]  // language → class → score
        for file in files {
            try #require(!file.cases.isEmpty, "\(file.language): empty corpus")
            for (index, c) in file.cases.enumerated() {
                var problems: [String] = []
                let s = try Self.score(c, problems: &problems)
                table[file.language, default: [:]][c.class, default: Score()].add(s)
                #expect(problems.isEmpty, "\(file.language) #\(index) \(c.class): \(problems.joined(separator: "; "))")
                #expect(!c.hide.isEmpty || !c.keep.isEmpty, "\(file.language) #\(index): nothing to check")
            }
        }
        // Every class of issue 15 is covered, and the classes handled before.
        let classes = Set(table.values.flatMap(\.keys))
        for required in [
            "phone", "phone-detector", "emoji-boundary", "confusable", "mccune-reischauer", "jamo",
            "stretcher", "variant-order", "initial-sound", "over-redaction", "case", "spacing", "hyphen",
            "line-break", "nfd", "zero-width", "full-width", "possessive", "particle", "han"
        ] {
            #expect(classes.contains(required), "no case of class \(required)")
        }
        if let path = ProcessInfo.processInfo.environment["REDACTION_REPORT"], !path.isEmpty {
            try Data(Self.report(table).utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    /// The corpus in numbers, per language and class.
    static func report(_ table: [String: [String: Score]]) -> String {
        func row(_ a: String, _ b: String, _ s: Score) -> String {
            func pad(_ x: String, _ n: Int) -> String { x + String(repeating: " ", count: max(0, n - x.count)) }
            func num(_ v: Int) -> String {
                let t = String(v)
                return String(repeating: " ", count: max(0, 6 - t.count)) + t
            }
            return pad(a, 9) + pad(b, 20) + num(s.cases) + num(s.hide) + num(s.keep) + num(s.leaks)
                + num(s.overRedactions) + num(s.refusals)
        }
        var lines = [
            "Redaction corpus (Tests/RedactionTests/Corpus): must-hide strings left (leaks),",
            "must-keep strings lost (over-redactions), leak-check findings on the output (refusals).", "",
            "language class                cases  hide  keep leaks  over  refs"
        ]
        var total = Score()
        var byClass: [String: Score] = [:]
        for language in table.keys.sorted() {
            var sub = Score()
            for (cls, s) in table[language]!.sorted(by: { $0.key < $1.key }) {
                lines.append(row(language, cls, s))
                sub.add(s)
                byClass[cls, default: Score()].add(s)
            }
            lines.append(row(language, "(all)", sub))
            total.add(sub)
        }
        lines.append("")
        for (cls, s) in byClass.sorted(by: { $0.key < $1.key }) { lines.append(row("(all)", cls, s)) }
        lines.append(row("(all)", "(all)", total))
        return lines.joined(separator: "\n") + "\n"
    }
}
