/// A hand-picked subset of Unicode TR39 `confusables.txt`: Cyrillic, Greek, Armenian and other
/// letters that look like Latin letters, mapped to the lowercase ASCII letter they imitate.
/// The leak check folds both the terms and the text through it, so "Кim" (Cyrillic К) or
/// "Hоeryong" (Cyrillic о) is caught. Used only by the leak check, never to redact.
enum Confusables {
    static let map: [UInt32: UInt32] = {
        let pairs: [(String, Character)] = [
            // Cyrillic capitals and small letters
            ("АаӐӑ", "a"), ("ВвЬ", "b"), ("СсϹϲ", "c"), ("ԀԁᏧ", "d"), ("ЕеЁё", "e"), ("Ғ", "f"),
            ("ԌɡԍᏀ", "g"), ("НнҺһ", "h"), ("ІіЇїӀӏ", "l"), ("Јј", "j"), ("КкҚқ", "k"),
            ("Мм", "m"), ("Пп", "n"), ("ОоӦӧ", "o"), ("РрҎ", "p"), ("Ԛԛ", "q"), ("Гг", "r"),
            ("Ѕѕ", "s"), ("Тт", "t"), ("Ццսս", "u"), ("ѴѵνᏙ", "v"), ("Ԝԝѡ", "w"), ("ХхҲҳ", "x"),
            ("УуҮү", "y"), ("Ζ", "z"),
            // Greek
            ("ΑαἀἈ", "a"), ("Ββ", "b"), ("ΕεἘ", "e"), ("Ηη", "h"), ("ΙιϊἰΪ", "l"), ("Κκϰ", "k"),
            ("Μμ", "m"), ("Νη", "n"), ("Οοσ", "o"), ("Ρρϱ", "p"), ("Ττ", "t"), ("Υυγ", "y"),
            ("Χχ", "x"), ("ζ", "z"),
            // Latin lookalikes outside ASCII
            ("ıɩꞮ", "l"), ("ĸ", "k"), ("ʀ", "r"), ("ɑ", "a"), ("ɛ", "e"), ("ο", "o"), ("ꓲ", "l"), ("ʏ", "y"), ("ʜ", "h"),
            ("ᴋ", "k"), ("ᴍ", "m"), ("ɴ", "n"), ("ᴏ", "o"), ("ᴘ", "p"), ("ᴛ", "t"), ("ᴜ", "u"),
            ("ᴠ", "v"), ("ᴡ", "w"), ("ᴢ", "z"),
            // Armenian
            ("օՕ", "o"), ("հ", "h"), ("ոռ", "n"), ("ս", "u"), ("ց", "g"), ("ք", "p"),
        ]
        var map: [UInt32: UInt32] = [:]
        for (chars, target) in pairs {
            guard let t = target.unicodeScalars.first?.value else { continue }
            for s in chars.unicodeScalars where map[s.value] == nil { map[s.value] = t }
        }
        return map
    }()
}
