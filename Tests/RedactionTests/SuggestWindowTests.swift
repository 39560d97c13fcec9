import Foundation
import Testing

@testable import Redaction

/// `suggest` runs its built-in patterns only where they can match (``SuggestWindows``): the same
/// matches as a scan of the whole text, on texts full of what they look for.
@Suite struct SuggestWindowTests {
    /// Every built-in pattern `suggest` runs, in a fixed order.
    static var patterns: [(String, SharedRegex)] {
        var out: [(String, SharedRegex)] = []
        for d in Detector.allCases { for (i, r) in d.patterns.enumerated() { out.append(("\(d).\(i)", r)) } }
        for (i, r) in Suggester.Patterns.numberWithUnit.enumerated() { out.append(("numberWithUnit.\(i)", r)) }
        for (i, r) in Suggester.Patterns.capitalized.enumerated() { out.append(("capitalized.\(i)", r)) }
        return out
    }

    /// Every anchor a spec names is one the scan looks for (an unknown one would scan the whole text).
    @Test func everyAnchorIsLookedFor() {
        var scan = SuggestWindows.Scan(Array("x".utf8))
        for spec in SuggestWindows.specs.values {
            #expect(scan.windows(for: spec) != nil, "\(spec.anchors)")
        }
    }

    @Test func everyPatternHasASpec() {
        let missing = Self.patterns.filter { SuggestWindows.specs[SuggestWindows.fingerprint($0.1.regex)] == nil }
        let list = missing.map { String(format: "%@ 0x%016llX", $0.0, SuggestWindows.fingerprint($0.1.regex)) }
        #expect(missing.isEmpty, "patterns without a window spec (they scan the whole text): \(list)")
    }
}

extension SuggestWindowTests {
    static let found = [
        "+82 10-1234-5678", "+1 (555) 123-4567", "(02) 1234-5678", "010-1234-5678", "02-123-4567", "01012345678",
        "13800138000", "+86 138 0013 8000", "+82\u{A0}10\u{A0}1234\u{A0}5678", "010–1234–5678", "+82 10 1234 5678 9",
        "+82 10 12 34 56 78", "42 ° 25 ′ 48 ″ N , ; 129 ° 45 ′ 10 ″ E", "12 year old", "in his late '70s",
        "kim.min@example.com", "ri＠naver．com", "a@b.co.kr", "x\u{200B}y@z.com", "@@", "a@b",
        "https://example.com/a?b=c", "www.example.org/x", "example.co.kr", "naver.com/path", "HTTP://X.IO",
        "WWW.EXAMPLE.COM", "ex.\u{212A}r", "192.168.0.1", "10.0.0.255", "fe80::1", "2001:db8::ff00:42:8329", "12:30:45",
        "42.4°N 129.9°E", "42.4 N, 129.9 E", "42°25'48\"N 129°45'E", "42.43, 129.75", "42.43°, 129.75°",
        "42 ° 25 ′ 48 ″ N , ; 129 ° 45 ′ E", "42.4 ° N ,,, ; 129.9 ° E", "2024-05-17", "17/05/2024", "5/17/24",
        "5th of May, 2024", "5th  of\tMay.,\n2024", "May 5th, 2024", "May 2024", "SEPT. 12", "12 sept.",
        "2024년 5월 17일", "2024 년 5 월 17 일", "5월 17일", "2024年5月17日", "2024 年 5 月 17 日", "5月17日",
        "二〇二四年五月十七日", "12 years old", "12-year-old", "aged 12", "in her early twenties", "mid-30s",
        "late teens", "in his twenties", "in my '80s", "In Their\u{3000}Sixties", "12세", "20대 초반", "20 대 후반",
        "12岁", "20多岁", "十二岁", "12 km", "3 people", "5.5kg", "30명", "5公里", "100 %", "1,000 won",
        "Kim Jong-yol", "Musan County", "O'Brien", "Ri’s", "Jong-yol", "The River Of", "Émile Zola", "ÉMILE ZOLA",
        "Kim\u{A0}Jong\u{A0}Yol", "١٢٣-٤٥٦-٧٨٩٠", "１２ km", "0", "1.", ".5", "°", "年", "岁", ":", "::",
        "0086 159 2271 0634", "(+86) 159 2271 0634", "( +86 ) 159-2271-0634", "1 3 8 0 0 1 3 8 0 0 0",
        "0 1 0 - 1 2 3 4 - 5 6 7 8", "159.2271.0634", "０１０-１２３４-５６７８", "＋82 10 1234 5678",
        "+82 10-1234-5678 2024", "010\u{200B}1234\u{200B}5678", "010 /1234/ 5678", "138\n0013\n8000",
        "꯱꯲ km", "+82 ꯱꯰-1234-5678", "강을 12岁", "\u{A620}\u{A621} people"
    ]
    static let filler = [
        "the", "river", "was", "cold", "강을", "건넜다", "我们", "a", ".", "-", "'", "(", ")", "+", "Kim",
        "Tie", "teen", "mid", "x"
    ]
    static let separators = [
        " ", " ", " ", "  ", "\n", "\t", "\u{A0}", "\u{3000}", ", ", "; ", "\u{2028}", "\u{0B}",
        "\u{85}", "", "\r\n", " \u{A0} "
    ]

    static func text(_ seed: Int) -> String {
        var rng = SeededGenerator(seed: UInt64(seed) &* 7_777)
        var out = ""
        for _ in 0..<Int.random(in: 1..<60, using: &rng) {
            var piece =
                Int.random(in: 0..<3, using: &rng) == 0
                ? Self.found.randomElement(using: &rng)!
                : Self.filler.randomElement(using: &rng)!
            // Stretch the white space inside a piece: runs of any length count as one separator.
            if Bool.random(using: &rng) {
                piece = piece.replacingOccurrences(of: " ", with: Self.separators.randomElement(using: &rng)!)
            }
            out += piece + Self.separators.randomElement(using: &rng)!
        }
        return out
    }

    @Test func windowsFindWhatTheWholeTextScanFinds() {
        var windowed = 0
        for seed in 0..<400 {
            let text = Self.text(seed)
            let bytes = Array(text.utf8)
            var scan = SuggestWindows.Scan(bytes)
            for (name, regex) in Self.patterns {
                let want = regex.matches(in: text)
                // Windows merged only where they overlap: each must hold its matches alone.
                let got = SuggestWindows.matches(
                    regex, in: text, bytes: bytes, scan: &scan,
                    alwaysWindows: true, gap: 0)
                #expect(got == want, "\(name) in \(text.debugDescription)")
                windowed += want.count
            }
        }
        #expect(windowed > 2_000)  // the texts are full of matches: the comparison means something
    }

    /// Text with none of the anchors: no window, so no regular expression runs at all.
    @Test func plainProseHasNoWindows() {
        let text = String(repeating: "the river was cold and we crossed at night 강을 건넜다.\n", count: 200)
        var scan = SuggestWindows.Scan(Array(text.utf8))
        for (name, regex) in Self.patterns where !name.hasPrefix("capitalized") && name != "url.2" {
            let spec = SuggestWindows.specs[SuggestWindows.fingerprint(regex.regex)]!
            #expect(scan.windows(for: spec)?.isEmpty == true, "\(name)")
        }
    }
}

extension SuggestWindowTests {
    /// The number-with-unit patterns take their digits possessively (`\d++`): the same matches as
    /// the patterns that could give digits back.
    @Test func possessiveDigitsMatchTheSame() throws {
        let before = [
            #"(?<![\w.])\d+(?:[.,]\d+)?\s?(?:km|kilomet(?:er|re)s?|miles?|met(?:er|re)s?|m|kg|kilograms?|lbs?|pounds?|"#
                + #"years?|months?|weeks?|days?|hours?|won|yuan|dollars?|usd|krw|cny|rmb|%|percent|people|persons?|"#
                + #"children|men|women)\b"#,
            #"(?<![\d.])\d+(?:[.,]\d+)?\s?(?:킬로미터|킬로|미터|명|개월|시간|원|위안|달러|리|km)"#,
            #"(?<![\d.])\d+(?:[.,]\d+)?\s?(?:公里|米|个人|人|个月|天|小时|元|块|美元|里)"#
        ]
        for (old, new) in zip(before, Suggester.Patterns.numberWithUnit) {
            let reference = SharedRegex(try NSRegularExpression(pattern: old, options: new.regex.options))
            for seed in 0..<300 {
                let text = Self.text(seed) + " 12.5km 1,000,000 won 3 People 30명 5公里 12 12m 100%"
                #expect(new.matches(in: text) == reference.matches(in: text), "\(text.debugDescription)")
            }
        }
    }
}

extension SuggestWindowTests {
    /// Where windows cover most of the text, the patterns run over it a piece at a time (a UTF-16
    /// copy of a piece, not of the whole text): the same matches as the whole scan, with pieces so
    /// small that matches start, end and run across every boundary.
    @Test func piecesFindWhatTheWholeTextScanFinds() {
        var compared = 0
        for seed in 0..<300 {
            let text = Self.text(seed) + Self.text(seed + 1_000)
            let bytes = Array(text.utf8)
            let scan = SuggestWindows.Scan(bytes)
            for (name, regex) in Self.patterns {
                guard let spec = SuggestWindows.specs[SuggestWindows.fingerprint(regex.regex)] else { continue }
                let want = regex.matches(in: text)
                for size in [1, 7, 23, 64, 200] {
                    guard
                        let got = SuggestWindows.inPieces(
                            regex, spec: spec, bytes: bytes, scan: scan, pieceSize: size, meter: nil)
                    else {
                        // Only name phrases are not scanned in pieces.
                        #expect(spec.anchors == [.capitalizedTokens], "\(name)")
                        continue
                    }
                    #expect(got == want, "\(name), pieces of \(size), in \(text.debugDescription)")
                }
                compared += want.count
            }
        }
        #expect(compared > 2_000)
    }
}

extension SuggestWindowTests {
    /// A token longer than a piece may reach past (digits without white space) is scanned whole,
    /// once, not by pieces that would each run to its end; up to that length, by pieces.
    @Test func aTokenLongerThanThePiecesReachIsScannedWhole() throws {
        let regex = try #require(Detector.phone.patterns.first)
        let spec = try #require(SuggestWindows.specs[SuggestWindows.fingerprint(regex.regex)])
        for (length, pieced) in [(2_000, true), (40_000, false)] {
            let text = String(repeating: "0123456789", count: length / 10) + " +82 10-1234-5678"
            let bytes = Array(text.utf8)
            let meter = WorkMeter()
            let found = SuggestWindows.inPieces(
                regex, spec: spec, bytes: bytes, scan: SuggestWindows.Scan(bytes), pieceSize: 1_000,
                maxReach: 10_000, meter: meter)
            #expect((found != nil) == pieced)
            #expect(meter.total <= 12 * bytes.count)
            var scan = SuggestWindows.Scan(bytes)
            #expect(SuggestWindows.matches(regex, in: text, bytes: bytes, scan: &scan) == regex.matches(in: text))
        }
    }
}

extension SuggestWindowTests {
    /// Patterns that share each piece (one string a piece for all of them, on one or two threads)
    /// find what each one's whole scan finds; so does the redactor's and the leak check's way in,
    /// `matchesOfEach`, which picks windows, pieces or the whole text per pattern.
    @Test func patternsSharingPiecesFindWhatEachWholeScanFinds() {
        let all = Self.patterns.map(\.1)
        let pieced = all.compactMap { r -> (regex: SharedRegex, spec: SuggestWindows.Spec)? in
            guard let spec = SuggestWindows.specs[SuggestWindows.fingerprint(r.regex)],
                !spec.anchors.contains(.capitalizedTokens)
            else { return nil }
            return (r, spec)
        }
        var compared = 0
        for seed in 0..<150 {
            let text = Self.text(seed) + Self.text(seed + 2_000)
            let bytes = Array(text.utf8)
            let wantAll = all.map { $0.matches(in: text) }
            let wantPieced = pieced.map { $0.regex.matches(in: text) }
            for size in [1, 13, 64, 300] {
                for workers in [1, 2] {
                    let got = SuggestWindows.inPieces(
                        pieced, bytes: bytes, scan: SuggestWindows.Scan(bytes), pieceSize: size, workers: workers,
                        meter: nil)
                    #expect(got == wantPieced, "pieces of \(size), \(workers) threads, in \(text.debugDescription)")
                    var scan = SuggestWindows.Scan(bytes)
                    let each = SuggestWindows.matchesOfEach(
                        all, in: text, bytes: bytes, scan: &scan, workers: workers, pieceSize: size)
                    #expect(each == wantAll, "pieces of \(size), \(workers) threads, in \(text.debugDescription)")
                }
            }
            compared += wantAll.reduce(0) { $0 + $1.count }
        }
        #expect(compared > 2_000)
    }
}

extension SuggestWindows.Scan {
    /// ``capitalizedRuns()`` as first written, token by token: the reference the scan from the
    /// upper-case letters is compared with.
    func capitalizedRunsByToken() -> [Range<Int>] {
        var out: [Range<Int>] = []
        var runStart = -1, runTokens = 0, runEnd = 0
        var i = 0
        while i < b.count {
            let s = separator(at: i, commas: false)
            if s > 0 { i += s; continue }
            var end = i
            var upper = false
            while end < b.count {
                let c = b[end]
                if c < 0x80 {
                    if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D { break }
                    if c &- 0x41 < 26 { upper = true }
                    end += 1
                    continue
                }
                if separator(at: end, commas: false) != 0 { break }
                if c >= 0xC0 && !upper {
                    let v = TextSupport.scalar(b, at: end)
                    if !(0xAC00...0xD7A3).contains(v) && !(0x4E00...0x9FFF).contains(v),
                        let u = Unicode.Scalar(v), u.properties.generalCategory == .uppercaseLetter
                    {
                        upper = true
                    }
                }
                end += length(at: end)
            }
            if upper {
                if runStart < 0 { runStart = i; runTokens = 0 }
                runTokens += 1
                runEnd = end
            } else {
                if runTokens >= 2 { out.append(runStart..<runEnd) }
                runStart = -1; runTokens = 0
            }
            i = end
        }
        if runTokens >= 2 { out.append(runStart..<runEnd) }
        return out
    }
}

@Suite struct CapitalizedRunTests {
    static let pieces = [
        "Kim", "Jong-yol", "kim", "the", "THE", "X", "x", "Musan", "County", " ", "  ", "\t", "\n", "\r\n", "\u{0B}", "\u{A0}",
        "\u{3000}", "\u{2003}", "\u{2028}", "\u{205F}", "\u{1680}", "\u{85}", ",", ".", "-", "'", "이종열", "김", "李钟烈", "É",
        "é", "Ω", "ω", "Ж", "ж", "Ǆ", "ǅ", "ǈ", "Ａ", "ａ", "Ⅻ", "𝐀", "𝐚", "\u{301}", "e\u{301}", "\u{200B}", "Ɐ", "ꙁ", "Ꙁ",
        "\u{A7FF}", "\u{4DC0}", "\u{D7B0}", "\u{AC00}", "\u{3400}", "ß", "ẞ", "İ", "Ł", "ł", "Ɓ", "Ա", "ա", "Ⴀ", "Ꭰ",
        "𞤀", "𞤢", "Ǳ"
    ]

    /// The scan from the upper-case letters finds the runs the token-by-token scan found.
    @Test func theRunsAreTheTokenScansRuns() {
        for seed in 0..<5_000 {
            var rng = SeededGenerator(seed: UInt64(seed) &* 7919)
            var text = ""
            for _ in 0..<Int.random(in: 0...30, using: &rng) { text += Self.pieces.randomElement(using: &rng)! }
            let scan = SuggestWindows.Scan(Array(text.utf8))
            #expect(scan.capitalizedRuns() == scan.capitalizedRunsByToken(), "\(text.debugDescription)")
        }
    }

    /// Over every scalar: an upper-case letter's first byte is one the capitals' scan stops at,
    /// and a decimal digit's or an anchor character's first byte one the anchors' pass reads.
    @Test func theTablesStopAtEveryCapitalDigitAndAnchor() {
        let anchors: Set<UInt32> = [0x5E74, 0x5C81, 0x17F, 0xFF20, 0x2019]
        var capitals = 0, digits = 0
        for v in UInt32(0)...0x10FFFF {
            guard let u = Unicode.Scalar(v) else { continue }
            let lead = Int(Array(String(u).utf8)[0])
            if u.properties.generalCategory == .uppercaseLetter {
                capitals += 1
                if !SuggestWindows.Scan.mayStartUpper[lead] { Issue.record("capital U+\(String(v, radix: 16)) passed over") }
            }
            if u.properties.numericType == .decimal || anchors.contains(v) {
                digits += 1
                if SuggestWindows.Scan.noAnchorByte[lead] { Issue.record("U+\(String(v, radix: 16)) passed over") }
            }
        }
        #expect(capitals > 1_500 && digits > 600)
    }

    /// The bytes the anchors' pass reads past are no anchor's: no digit, and none of the
    /// characters its anchors are, in the blocks whose lead bytes it passes over.
    @Test func theAnchorsPassReadsPastNoAnchor() {
        let anchors: Set<UInt32> = [0x5E74, 0x5C81, 0x17F, 0xFF20, 0x2019]
        for v in Array(0x4000...0x4FFF) + Array(0x6000...0x9FFF) + Array(0xB000...0xCFFF) {
            let u = Unicode.Scalar(v)!
            #expect(u.properties.numericType != .decimal && !anchors.contains(UInt32(v)), "U+\(String(v, radix: 16))")
        }
        for b in 0..<0x80 where SuggestWindows.Scan.noAnchorByte[b] {
            #expect(!(0x30...0x39).contains(b) && !"+(@:.-'WwTt".utf8.contains(UInt8(b)))
        }
    }

    /// The blocks passed over unread hold no upper-case letter and no separator.
    @Test func thePassedOverBlocksHaveNoCapitals() {
        for v in Array(0x4000...0x9FFF) + Array(0xB000...0xDFFF) {
            guard let u = Unicode.Scalar(v) else { continue }  // (surrogates)
            #expect(u.properties.generalCategory != .uppercaseLetter && !u.properties.isWhitespace, "U+\(String(v, radix: 16))")
        }
    }
}
