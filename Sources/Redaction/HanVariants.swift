/// Traditional and simplified Chinese spellings of the same ideograph (`HanVariantsTable`, generated
/// from ICU's Hant-Hans data). A term written in one spelling stands for the others: a rule 会宁
/// (Hoeryong, as a simplified-Chinese source writes it) also finds 會寧, 會宁 and 会寧, and a rule 會寧
/// finds 会宁. Ideographs that simplify to the same one are one class: 發 and 髮 are both 发.
enum HanVariants {
    /// Ideograph → its simplified form, where they differ.
    static let simplified: [UInt32: UInt32] = {
        var map: [UInt32: UInt32] = [:]
        for item in HanVariantsTable.entries.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = item.split(separator: ":")
            guard parts.count == 2, let from = UInt32(parts[0], radix: 16), let to = UInt32(parts[1], radix: 16)
            else { preconditionFailure("HanVariantsTable: bad entry \(item)") }
            map[from] = to
        }
        return map
    }()

    /// Simplified form → every ideograph of its class, the simplified one first, the rest in
    /// scalar order.
    static let classes: [UInt32: [UInt32]] = {
        var byForm: [UInt32: [UInt32]] = [:]
        for (from, to) in simplified { byForm[to, default: [to]].append(from) }
        return byForm.mapValues { [$0[0]] + $0.dropFirst().sorted() }
    }()

    /// Every spelling of `scalar` that is the same ideograph: itself first.
    static func spellings(of scalar: UInt32) -> [UInt32] {
        let base = simplified[scalar] ?? scalar
        guard let all = classes[base] else { return [scalar] }
        return [scalar] + all.filter { $0 != scalar }
    }

    /// Spellings of `form` with each ideograph in any of its traditional or simplified forms, the
    /// form itself first: "会宁" → ["会宁", "會宁", "会寧", "會寧"]. At most `limit` forms (a name of
    /// four ideographs with two spellings each is 16).
    static func variants(_ form: String, limit: Int = 64) -> [String] {
        // Only a form with an ideograph loads the table (not Latin, not Hangul: bench's 1,000 facts).
        guard form.unicodeScalars.contains(where: isIdeograph) else { return [form] }
        let scalars = Array(form.unicodeScalars)
        let results = Spellings.combinations(scalars, at: scalars.indices, limit: limit, forms: spellings(of:))
        guard results.count > 1 else { return [form] }
        return results.map { String(String.UnicodeScalarView($0)) }
    }

    /// The ranges `scripts/gen_han_variants.py` reads: CJK Unified Ideographs and extensions A–H.
    static func isIdeograph(_ s: Unicode.Scalar) -> Bool {
        (0x3400...0x9FFF).contains(s.value) || (0x20000...0x323AF).contains(s.value)
    }
}
