/// Look-alike letters, per Unicode TR39 (confusables.txt, through the generated `ConfusablesTable`),
/// shared by the redactor and the leak check: both fold text and terms through the same data.
///
/// - The redactor (`FoldMode.standard`) maps letters of any script that imitate Latin letters
///   (Cyrillic "К", Greek "Ο", Lisu "ꓙꓳꓠꓖ", Cherokee "ᎫᎾ", Armenian "օ") to the Latin letters they
///   imitate, so "Кim" and "ᎫᎾNG-YOL" are redacted, not merely refused at export. A vertical stroke
///   named as a letter I (Cyrillic "І", Lisu "ꓲ") reads "i" there, where the skeleton says "l".
/// - The leak check (`FoldMode.skeleton`) uses every entry (also symbols and digits: "∨" → v,
///   Bengali "৪" → 8) and stays stricter: it folds i/l/1/I and 0/o together, "rn" with "m", and adds the
///   hand-picked lookalikes below that TR39 lists elsewhere or not at all.
///
/// Scripts without word boundaries (Han, Kana, Hangul, …) are left out of the generated table: NFKD
/// and the folder's own jamo composition handle them.
enum Confusables {
    struct Entry {
        /// The prototype (skeleton) scalars, as in TR39.
        let target: [UInt32]
        /// What the redactor maps the scalar to: nil = the leak check's skeleton only.
        let redactor: [UInt32]?
    }

    /// Scalar → entry, parsed once from `ConfusablesTable.entries`.
    static let table: [UInt32: Entry] = {
        var map: [UInt32: Entry] = [:]
        for item in ConfusablesTable.entries.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 2, let source = UInt32(parts[0], radix: 16) else { continue }
            let target = parts[1].split(separator: "+").compactMap { UInt32($0, radix: 16) }
            let flag = parts.count > 2 ? parts[2] : ""
            map[source] = Entry(target: target, redactor: flag == "r" ? target : flag == "i" ? [0x69] : nil)
        }
        return map
    }()

    /// The target `mode` folds `scalar` to, or nil when it has no entry for that mode.
    @inline(__always)
    static func target(_ scalar: UInt32, mode: FoldMode) -> [UInt32]? {
        guard let entry = table[scalar] else { return nil }
        return mode == .skeleton ? entry.target : entry.redactor
    }

    /// The leak check's extra lookalikes (skeleton mode only), consulted before TR39: letters that look
    /// like a Latin letter in common fonts although TR39 lists them under another prototype (м → ʍ,
    /// п → π, ε → ꞓ, and ꞓ itself) or not at all (ц, μ, χ, ζ). Mapped to the lowercase ASCII letter they
    /// imitate.
    static let stricter: [UInt32: UInt32] = {
        let pairs: [(String, Character)] = [
            ("β", "b"), ("Ԁ", "d"), ("εɛꞓꞒ", "e"), ("Ғ", "f"), ("Һ", "h"), ("μм", "m"), ("Пп", "n"), ("Ҏք", "p"),
            ("Ԛ", "q"), ("Г", "r"), ("Цц", "u"), ("ҳχ", "x"), ("ζ", "z")
        ]
        var map: [UInt32: UInt32] = [:]
        for (chars, letter) in pairs {
            guard let t = letter.unicodeScalars.first?.value else { continue }
            for s in chars.unicodeScalars where map[s.value] == nil { map[s.value] = t }
        }
        return map
    }()
}
