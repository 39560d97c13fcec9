import Foundation

/// Hangul tables: jamo composition (for text spelled out in compatibility jamo) and the initial-sound
/// rule (두음 법칙) that separates North and South Korean spellings of one name.
enum Hangul {
    // Jamo indices as in Unicode's syllable formula: syllable = 0xAC00 + (L × 21 + V) × 28 + T.
    // Initials L: ㄱ0 ㄲ1 ㄴ2 ㄷ3 ㄸ4 ㄹ5 ㅁ6 ㅂ7 ㅃ8 ㅅ9 ㅆ10 ㅇ11 ㅈ12 ㅉ13 ㅊ14 ㅋ15 ㅌ16 ㅍ17 ㅎ18.
    // Vowels V: ㅏ0 ㅐ1 ㅑ2 ㅒ3 ㅓ4 ㅔ5 ㅕ6 ㅖ7 ㅗ8 ㅘ9 ㅙ10 ㅚ11 ㅛ12 ㅜ13 ㅝ14 ㅞ15 ㅟ16 ㅠ17 ㅡ18 ㅢ19 ㅣ20.
    // Finals T: none0 ㄱ1 ㄲ2 ㄳ3 ㄴ4 ㄵ5 ㄶ6 ㄷ7 ㄹ8 ㄺ9 ㄻ10 ㄼ11 ㄽ12 ㄾ13 ㄿ14 ㅀ15 ㅁ16 ㅂ17 ㅄ18 ㅅ19 ㅆ20
    // ㅇ21 ㅈ22 ㅊ23 ㅋ24 ㅌ25 ㅍ26 ㅎ27.

    /// Final index of an initial consonant, nil for ㄸ ㅃ ㅉ (never finals).
    private static let initialToFinal: [UInt32?] = [
        1, 2, 4, 7, nil, 8, 16, 17, nil, 19, 20, 21, 22, nil, 23, 24, 25, 26, 27
    ]

    static func finalIndex(ofInitial l: UInt32) -> UInt32? {
        l < 19 ? initialToFinal[Int(l)] : nil
    }

    /// Two-consonant finals typed as two jamo: (final, next initial) → final.
    static func doubleFinal(_ t: UInt32, _ l: UInt32) -> UInt32? {
        switch (t, l) {
        case (1, 9): 3  // ㄱㅅ ㄳ
        case (4, 12): 5  // ㄴㅈ ㄵ
        case (4, 18): 6  // ㄴㅎ ㄶ
        case (8, 0): 9  // ㄹㄱ ㄺ
        case (8, 6): 10  // ㄹㅁ ㄻ
        case (8, 7): 11  // ㄹㅂ ㄼ
        case (8, 9): 12  // ㄹㅅ ㄽ
        case (8, 16): 13  // ㄹㅌ ㄾ
        case (8, 17): 14  // ㄹㅍ ㄿ
        case (8, 18): 15  // ㄹㅎ ㅀ
        case (17, 9): 18  // ㅂㅅ ㅄ
        default: nil
        }
    }

    /// Compound vowels typed as two jamo: (vowel, next vowel) → vowel.
    static func compoundVowel(_ a: UInt32, _ b: UInt32) -> UInt32? {
        switch (a, b) {
        case (8, 0): 9  // ㅗㅏ ㅘ
        case (8, 1): 10  // ㅗㅐ ㅙ
        case (8, 20): 11  // ㅗㅣ ㅚ
        case (13, 4): 14  // ㅜㅓ ㅝ
        case (13, 5): 15  // ㅜㅔ ㅞ
        case (13, 20): 16  // ㅜㅣ ㅟ
        case (18, 20): 19  // ㅡㅣ ㅢ
        default: nil
        }
    }

    static func isSyllable(_ s: UInt32) -> Bool { (0xAC00...0xD7A3).contains(s) }

    // MARK: Initial-sound rule (두음 법칙)

    /// Vowels that start with a y-glide, and ㅣ: before them an initial ㄹ or ㄴ is dropped (ㅇ).
    /// (Vowels 2, 3, 6, 7, 12, 17 and 20 as bits: no array per call.)
    private static func isYOrI(_ v: UInt32) -> Bool {
        v < 32 && (1 << v) & (1 << 2 | 1 << 3 | 1 << 6 | 1 << 7 | 1 << 12 | 1 << 17 | 1 << 20) != 0
    }

    private static let rieul: UInt32 = 5, nieun: UInt32 = 2, ieung: UInt32 = 11

    /// The South Korean spelling of `syllable` at the start of a word.
    ///
    /// South Korean orthography (한글 맞춤법, 1988, 제3장 제5절 두음 법칙) writes Sino-Korean syllables
    /// that begin a word without their initial ㄹ or ㄴ; North Korean orthography (조선말규범집) keeps them:
    /// - 제10항: 녀, 뇨, 뉴, 니 → 여, 요, 유, 이 (ㄴ before ㅣ and the y-vowels becomes silent ㅇ:
    ///   녀성/여성, 년세/연세);
    /// - 제11항: 랴, 려, 례, 료, 류, 리 → 야, 여, 예, 요, 유, 이 (ㄹ before ㅣ and the y-vowels becomes
    ///   ㅇ: 리종열/이종열, 류경/유경, 량강도/양강도, 력사/역사);
    /// - 제12항: 라, 래, 로, 뢰, 루, 르 → 나, 내, 노, 뇌, 누, 느 (ㄹ before the other vowels becomes ㄴ:
    ///   로동/노동, 락원/낙원, 라선/나선).
    /// A final consonant does not change the rule (량 → 양, 륙 → 육, 론 → 논). Syllables with
    /// other initials are returned unchanged.
    static func southern(_ syllable: UInt32) -> UInt32 {
        guard isSyllable(syllable) else { return syllable }
        let index = syllable - 0xAC00
        let l = index / 588, v = index / 28 % 21, t = index % 28
        let to: UInt32
        switch l {
        case rieul: to = isYOrI(v) ? ieung : nieun  // 제11항, 제12항
        case nieun where isYOrI(v): to = ieung  // 제10항
        default: return syllable
        }
        return 0xAC00 + (to * 21 + v) * 28 + t
    }

    /// Every spelling of `syllable` at the start of a word that has the same South Korean spelling:
    /// 리 → [이, 리, 니], 노 → [노, 로], 녀 → [여, 려, 녀]. The first is the South Korean one.
    static func initialSoundForms(_ syllable: UInt32) -> [UInt32] {
        let south = southern(syllable)
        guard isSyllable(south) else { return [syllable] }
        let index = south - 0xAC00
        let l = index / 588, v = index / 28 % 21, t = index % 28
        func with(_ initial: UInt32) -> UInt32 { 0xAC00 + (initial * 21 + v) * 28 + t }
        if l == ieung && isYOrI(v) { return [south, with(rieul), with(nieun)] }
        if l == nieun && !isYOrI(v) { return [south, with(rieul)] }
        return [south]
    }

    /// `initialSoundForms(syllable).count > 1`, without the array (compiling a vault's Hangul
    /// facts asks it of every syllable).
    static func hasInitialSoundAlternate(_ syllable: UInt32) -> Bool {
        let south = southern(syllable)
        guard isSyllable(south) else { return false }
        let index = south - 0xAC00
        let l = index / 588, v = index / 28 % 21
        return (l == ieung && isYOrI(v)) || (l == nieun && !isYOrI(v))
    }

    /// Two-syllable surnames: in a four-syllable personal name the given name starts at the third.
    static let twoSyllableSurnames: Set<String> = ["남궁", "황보", "제갈", "사공", "선우", "독고", "서문", "동방"]

    /// Scalar offsets (in the NFC form) of the syllables that start a name part in `form`; see
    /// `initialSoundVariants`.
    static func nameStarts(_ form: String, person: Bool) -> [Int] {
        nameStarts(Array(form.precomposedStringWithCanonicalMapping.unicodeScalars), person: person)
    }

    static func nameStarts(_ scalars: [Unicode.Scalar], person: Bool) -> [Int] {
        var starts: [Int] = []
        var k = 0
        while k < scalars.count {
            guard isSyllable(scalars[k].value) else { k += 1; continue }
            var end = k
            while end < scalars.count && isSyllable(scalars[end].value) { end += 1 }
            let run = end - k
            starts.append(k)
            if person && (2...4).contains(run) {
                let firstTwo = String(String.UnicodeScalarView(scalars[k..<k + 2]))
                if run == 4 && twoSyllableSurnames.contains(firstTwo) {
                    starts.append(k + 2)
                } else if run <= 3 {
                    starts.append(k + 1)
                }
            }
            k = end
        }
        return starts
    }

    /// Spellings of `form` that differ from it only by the initial-sound rule at the start of a name
    /// part, the form itself first: "리종열" → ["리종열", "이종열", "니종열"]. A name part starts each run of
    /// Hangul syllables; in a personal name (`person`) written as one run of 2–4 syllables the given name
    /// is a part too ("리룡남" → "이용남": surname and given name are separate words in the orthography,
    /// 한글 맞춤법 제11항 붙임 2 and 제48항). Forms with fewer than two Hangul syllables get no alternates
    /// (a one-syllable term already matches anywhere in Hangul text). At most `limit` forms.
    /// False when `form` certainly has no other spelling under the initial-sound rule, found in one
    /// pass over its UTF-8 without normalizing it: no byte E1…ED (no Hangul syllable or jamo at
    /// all), or no conjoining jamo (nothing NFC could compose into a syllable) and no syllable
    /// whose initial has another spelling (`initialSoundForms`). Every form of 1,000 facts went
    /// through NFC and scalar arrays only to come back unchanged (`make bench`).
    static func mayHaveInitialSoundVariants(_ form: String) -> Bool {
        var copy = form
        return copy.withUTF8 { b -> Bool in
            guard b.contains(where: { $0 &- 0xE1 <= 0xED - 0xE1 }) else { return false }
            var i = 0
            while i < b.count {
                let lead = b[i]
                guard lead >= 0x80 else { i += 1; continue }
                let len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                guard len == 3, i + 2 < b.count else { i += len; continue }
                let v = UInt32(lead & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F)
                if (0x1100...0x11FF).contains(v) || (0xA960...0xA97F).contains(v) || (0xD7B0...0xD7FF).contains(v) {
                    return true
                }
                if isSyllable(v) && hasInitialSoundAlternate(v) { return true }
                i += 3
            }
            return false
        }
    }

    static func initialSoundVariants(_ form: String, person: Bool, limit: Int = 64) -> [String] {
        // Without a Hangul syllable or conjoining jamo (UTF-8 lead bytes E1…ED) there is no syllable
        // in the NFC form either (only jamo compose into syllables). Else NFC through TextSupport,
        // whose fast check skips Foundation for text already NFC. (Foundation's NFC of every form
        // was most of compiling 1,000 facts, `make bench`.)
        guard mayHaveInitialSoundVariants(form) else { return [form] }
        let nfc = TextSupport.nfc(form)
        let scalars = Array(nfc.unicodeScalars)
        let starts = nameStarts(scalars, person: person)
        let syllables = scalars.filter { isSyllable($0.value) }.count
        guard syllables >= 2 else { return [form] }
        let results = Spellings.combinations(scalars, at: starts, limit: limit, forms: initialSoundForms)
        guard results.count > 1 else { return [form] }  // no name part has another spelling
        var seen = Set<String>()
        var out = [form]
        seen.insert(nfc)
        for r in results {
            let s = String(String.UnicodeScalarView(r))
            if seen.insert(s).inserted { out.append(s) }
        }
        return Array(out.prefix(limit))
    }
}
